"""The learner duplicated the naive_matmul solution cell (nbgrader alone fails on this)."""
DAMAGE = {"01_vectorization": "duplicate:naive_matmul"}
LOSES = {"01_vectorization": [], "02_kernel_fusion": []}
EXPECT_NOTE = "duplicate of 'naive_matmul'"
