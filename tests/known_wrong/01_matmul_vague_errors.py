"""vectorized_matmul raises ValueError without saying which shapes were given."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError("shapes do not match")
    return Tensor(np.matmul(a.data, b.data))
'''}
LOSES = ["test_vectorized_matmul_errors"]
