"""a plausible first attempt: correct loops, a float64 slip and a wrong FLOP count"""
STUDENT = "partly_wrong"
BASE = "reference"
ANSWERS = {
    "01_vectorization": {
        "vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    return Tensor(np.matmul(a.data, b.data).astype(np.float64))
''',
        "matmul_flops": '''
def matmul_flops(m, k, n):
    return m * k * n
''',
    },
}
LOSES = {"01_vectorization": ["test_vectorized_matmul_dtype", "test_matmul_flops"]}
