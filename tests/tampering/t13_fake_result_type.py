"""The kernel returns a Tensor subclass whose dtype property lies (float64 data reported as float32)."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
class LyingTensor(Tensor):
    dtype = property(lambda self: np.dtype(np.float32))

def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    return LyingTensor(np.matmul(a.data, b.data).astype(np.float64))
'''}
LOSES = ["test_vectorized_matmul_values", "test_vectorized_matmul_batched", "test_vectorized_matmul_dtype"]
