"""The learner deleted the test cell of matmul_flops."""
DAMAGE = {"01_vectorization": "delete:test_matmul_flops"}
LOSES = {"01_vectorization": ["test_matmul_flops"], "02_kernel_fusion": []}
EXPECT_NOTE = "graded cells deleted: test_matmul_flops"
