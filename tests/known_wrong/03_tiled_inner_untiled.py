"""tiled_matmul tiles only rows and columns: each product takes a whole strip of the inner dimension."""
NOTEBOOK = "03_cache_tiling"
ANSWERS = {"tiled_matmul": '''
def tiled_matmul(a, b, tile_size=64):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"tiled_matmul needs 2-D inputs, got {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    if not isinstance(tile_size, int) or tile_size < 1:
        raise ValueError(f"tile_size must be a positive integer, got {tile_size!r}")
    t = tile_size
    m, n = a.shape[0], b.shape[1]
    out = np.empty((m, n), dtype=a.dtype)
    for i in range(0, m, t):
        for j in range(0, n, t):
            out[i:i + t, j:j + t] = a.data[i:i + t, :] @ b.data[:, j:j + t]
    return Tensor(out)
'''}
LOSES = ["test_tiled_matmul_structure"]
