"""A correct variant, not a mistake: naive_matmul creates its result with np.zeros_like-style
calls on the (loop-only) inputs and fills it element by element; it must keep every point."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"naive_matmul": '''
def naive_matmul(a, b):
    m, k = a.shape
    k_b, n = b.shape
    if k != k_b:
        raise ValueError(f"inner dimensions differ: a is {a.shape}, b is {b.shape}")
    out = np.zeros_like(a.data, shape=(m, n))
    for i in range(m):
        for j in range(n):
            total = 0.0
            for p in range(k):
                total += a.data[i, p] * b.data[p, j]
            out[i, j] = total
    return Tensor(out)
'''}
LOSES = []
