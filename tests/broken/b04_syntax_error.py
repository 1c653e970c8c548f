"""naive_matmul's cell does not parse (a missing colon)."""
ANSWERS = {"01_vectorization": {"naive_matmul": '''
def naive_matmul(a, b)
    return a
'''}}
LOSES = {"01_vectorization": ["test_naive_matmul"], "02_kernel_fusion": []}
EXPECT_NOTE = None
