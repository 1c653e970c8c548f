"""naive_matmul takes a shortcut through NumPy dot products of whole rows and columns."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"naive_matmul": '''
def naive_matmul(a, b):
    m, k = a.shape
    _, n = b.shape
    out = np.zeros((m, n), dtype=a.dtype)
    for i in range(m):
        for j in range(n):
            out[i, j] = np.dot(a.data[i, :], b.data[:, j])
    return Tensor(out)
'''}
LOSES = ["test_naive_matmul"]
