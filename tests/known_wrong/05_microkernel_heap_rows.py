"""microkernel keeps its six rows in np.zeros arrays (on the heap): right values, but the compiler
stores and reloads every accumulator at every step, so it runs no faster than the cache-blocked
loop."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"microkernel": '''
@njit(cache=False, fastmath={"contract"}, boundscheck=False)
def microkernel(a_panel, b_panel, kc, c, i0, j0):
    c0 = np.zeros(NR, c.dtype)
    c1 = np.zeros(NR, c.dtype)
    c2 = np.zeros(NR, c.dtype)
    c3 = np.zeros(NR, c.dtype)
    c4 = np.zeros(NR, c.dtype)
    c5 = np.zeros(NR, c.dtype)
    for p in range(kc):
        a0, a1, a2 = a_panel[p, 0], a_panel[p, 1], a_panel[p, 2]
        a3, a4, a5 = a_panel[p, 3], a_panel[p, 4], a_panel[p, 5]
        for j in range(NR):
            bj = b_panel[p, j]
            c0[j] += a0 * bj
            c1[j] += a1 * bj
            c2[j] += a2 * bj
            c3[j] += a3 * bj
            c4[j] += a4 * bj
            c5[j] += a5 * bj
    rows, cols = min(MR, c.shape[0] - i0), min(NR, c.shape[1] - j0)
    for j in range(cols):
        c[i0, j0 + j] += c0[j]
        if rows > 1:
            c[i0 + 1, j0 + j] += c1[j]
        if rows > 2:
            c[i0 + 2, j0 + j] += c2[j]
        if rows > 3:
            c[i0 + 3, j0 + j] += c3[j]
        if rows > 4:
            c[i0 + 4, j0 + j] += c4[j]
        if rows > 5:
            c[i0 + 5, j0 + j] += c5[j]
'''}
LOSES = ["test_register_blocked_matmul_speed"]
