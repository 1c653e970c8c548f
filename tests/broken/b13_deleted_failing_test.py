"""The learner deleted the test cell their wrong matmul_flops fails: restored and run, it scores 0
(not "awaiting manual grading", which would give the answer a second chance)."""
ANSWERS = {"01_vectorization": {"matmul_flops": '''
def matmul_flops(m, k, n):
    return m * k * n  # forgets the add of each multiply-add
'''}}
DAMAGE = {"01_vectorization": "delete:test_matmul_flops"}
LOSES = {"01_vectorization": ["test_matmul_flops"], "02_kernel_fusion": []}
EXPECT_NOTE = "graded cells deleted: test_matmul_flops; restored"
