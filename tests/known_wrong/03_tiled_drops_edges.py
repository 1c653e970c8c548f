"""tiled_matmul only loops over whole tiles: rows and columns past the last full tile stay zero."""
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
    m, k = a.shape
    n = b.shape[1]
    out = np.zeros((m, n), dtype=a.dtype)
    for i in range(0, m - m % t, t):
        for j in range(0, n - n % t, t):
            for p in range(0, k - k % t, t):
                out[i:i + t, j:j + t] += a.data[i:i + t, p:p + t] @ b.data[p:p + t, j:j + t]
    return Tensor(out)
'''}
LOSES = ["test_tiled_matmul_edges"]
