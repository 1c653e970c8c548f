"""The learner deleted the test cell of matmul_flops (a right answer): the test is restored from the
release and run, so it keeps its point (deleting a test never changes its points)."""
DAMAGE = {"01_vectorization": "delete:test_matmul_flops"}
LOSES = {"01_vectorization": [], "02_kernel_fusion": []}
EXPECT_NOTE = "graded cells deleted: test_matmul_flops; restored"
