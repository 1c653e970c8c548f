"""vectorized_matmul loops over output elements in Python, one small dot product each: correct but slow."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}: need 2-D inputs")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    x, y = a.data, b.data
    batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    m, n = x.shape[-2], y.shape[-1]
    out = np.empty(batch + (m, n), dtype=np.result_type(x, y))
    for i in range(m):
        for j in range(n):
            out[..., i, j] = (x[..., i, :] * y[..., :, j]).sum(axis=-1)
    return Tensor(out)
'''}
LOSES = ["test_vectorized_matmul_speed"]
