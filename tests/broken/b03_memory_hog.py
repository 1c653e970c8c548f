"""vectorized_matmul's cell tries to allocate 12 GiB (more than the grading kernel may use)."""
ANSWERS = {"01_vectorization": {"vectorized_matmul": '''
_cache = np.ones((12 << 30) // 8)

def vectorized_matmul(a, b):
    return Tensor(np.matmul(a.data, b.data))
'''}}
LOSES = {"01_vectorization": ["test_vectorized_matmul_values", "test_vectorized_matmul_batched",
                              "test_vectorized_matmul_dtype", "test_vectorized_matmul_errors",
                              "test_vectorized_matmul_speed"],
         "02_kernel_fusion": []}
EXPECT_NOTE = None
