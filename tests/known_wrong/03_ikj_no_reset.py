"""matmul_ikj adds into out without clearing it first: garbage (or an earlier result) stays in."""
NOTEBOOK = "03_cache_tiling"
ANSWERS = {"matmul_ikj": '''
@njit(cache=False)
def matmul_ikj(a, b, out):
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        for p in range(k):
            for j in range(n):
                out[i, j] += a[i, p] * b[p, j]
'''}
LOSES = ["test_matmul_ikj"]
