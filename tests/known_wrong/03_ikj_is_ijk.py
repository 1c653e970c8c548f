"""matmul_ikj keeps the i, j, p loop order of matmul_ijk: right values, no speed-up."""
NOTEBOOK = "03_cache_tiling"
ANSWERS = {"matmul_ikj": '''
@njit(cache=False)
def matmul_ikj(a, b, out):
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        for j in range(n):
            total = 0.0
            for p in range(k):
                total += a[i, p] * b[p, j]
            out[i, j] = total
'''}
LOSES = ["test_matmul_ikj_speed"]
