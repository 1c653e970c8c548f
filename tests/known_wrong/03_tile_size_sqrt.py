"""tile_size_for_cache solves for T but does not round down to a power of two (147 for 256 KiB)."""
NOTEBOOK = "03_cache_tiling"
ANSWERS = {"tile_size_for_cache": '''
def tile_size_for_cache(cache_bytes, itemsize=4, n_tiles=3):
    if cache_bytes <= 0 or itemsize <= 0 or n_tiles <= 0:
        raise ValueError("all arguments must be positive")
    tile = int(math.sqrt(cache_bytes / (n_tiles * itemsize)))
    if tile < 1:
        raise ValueError(f"a cache of {cache_bytes} bytes is too small for {n_tiles} tiles")
    return tile
'''}
LOSES = ["test_tile_size_for_cache"]
