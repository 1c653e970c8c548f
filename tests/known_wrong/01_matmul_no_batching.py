"""vectorized_matmul handles 2-D only: np.dot does not broadcast batch dimensions."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}: need 2-D inputs")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(f"only 2-D inputs are supported, got {a.shape} and {b.shape}")
    return Tensor(np.dot(a.data, b.data))
'''}
LOSES = ["test_vectorized_matmul_batched"]
