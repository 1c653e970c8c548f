"""vectorized_matmul loops over the rows of a in Python, one broadcast multiply and sum per row: correct, and an honest attempt, but about 15-20x faster than the grader's triple loop where the lesson's one BLAS call is hundreds of times faster (issue 15's "row loop")."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}: need 2-D inputs")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    x, y = a.data, b.data
    batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    out = np.empty(batch + (x.shape[-2], y.shape[-1]), dtype=np.result_type(x, y))
    for i in range(x.shape[-2]):
        out[..., i, :] = (x[..., i, :, None] * y).sum(axis=-2)
    return Tensor(out)
'''}
LOSES = ["test_vectorized_matmul_speed"]
