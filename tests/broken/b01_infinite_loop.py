"""naive_matmul's cell never finishes (a while loop that never exits)."""
ANSWERS = {"01_vectorization": {"naive_matmul": '''
def naive_matmul(a, b):
    raise NotImplementedError

while True:
    pass
'''}}
LOSES = {"01_vectorization": ["test_naive_matmul"], "02_kernel_fusion": []}
EXPECT_NOTE = None  # a cell time-out shows in the feedback, not as an intake finding
