"""vectorized_matmul converts to float64: values right, dtype wrong."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}: need 2-D inputs")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    return Tensor(np.matmul(a.data.astype(np.float64), b.data.astype(np.float64)))
'''}
LOSES = ["test_vectorized_matmul_dtype"]
