"""The learner rewrites the locked test cell to pass; the kernel returns zeros."""
NOTEBOOK = "01_vectorization"
ANSWERS = {
    "test_vectorized_matmul_values": '''"""checks nothing"""
pass''',
    "vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return Tensor(np.zeros(shape, dtype=np.result_type(a.data, b.data)))
''',
}
LOSES = ["test_vectorized_matmul_values", "test_vectorized_matmul_batched"]
