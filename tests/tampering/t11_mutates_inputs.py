"""The kernel zeroes its inputs in place and returns zeros, so a reference computed afterwards would agree."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    a.data[...] = 0
    b.data[...] = 0
    return Tensor(np.matmul(a.data, b.data))
'''}
LOSES = ["test_vectorized_matmul_values", "test_vectorized_matmul_batched"]
