"""matmul_blocked runs only over full blocks: the remainder when block does not divide a size is lost."""
NOTEBOOK = "03_cache_tiling"
ANSWERS = {"matmul_blocked": '''
@njit(cache=False)
def matmul_blocked(a, b, out, block):
    m, k = a.shape
    n = b.shape[1]
    out[:, :] = 0.0
    for i0 in range(0, m - block + 1, block):
        for p0 in range(0, k - block + 1, block):
            for j0 in range(0, n - block + 1, block):
                for i in range(i0, i0 + block):
                    for p in range(p0, p0 + block):
                        a_ip = a[i, p]
                        for j in range(j0, j0 + block):
                            out[i, j] += a_ip * b[p, j]
'''}
LOSES = ["test_matmul_blocked"]
