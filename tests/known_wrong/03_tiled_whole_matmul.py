"""tiled_matmul validates its inputs, then ignores tile_size and makes one whole-matrix product."""
NOTEBOOK = "03_cache_tiling"
ANSWERS = {"tiled_matmul": '''
def tiled_matmul(a, b, tile_size=64):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"tiled_matmul needs 2-D inputs, got {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    if not isinstance(tile_size, int) or tile_size < 1:
        raise ValueError(f"tile_size must be a positive integer, got {tile_size!r}")
    return Tensor(a.data @ b.data)
'''}
LOSES = ["test_tiled_matmul_structure"]
