"""pack_a and pack_b copy only what is inside the matrices and leave the rest of the panel as it
was: the micro-kernel cuts its block off at the edges, so the product is still right, but the
panels hold stale values past the edges."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"pack_panels": '''
@njit(cache=False, boundscheck=False)
def pack_a(a, i0, p0, kc, a_panel):
    for p in range(kc):
        for i in range(min(MR, a.shape[0] - i0)):
            a_panel[p, i] = a[i0 + i, p0 + p]


@njit(cache=False, boundscheck=False)
def pack_b(b, p0, j0, kc, b_panel):
    for p in range(kc):
        for j in range(min(NR, b.shape[1] - j0)):
            b_panel[p, j] = b[p0 + p, j0 + j]
'''}
LOSES = ["test_pack_panels"]
