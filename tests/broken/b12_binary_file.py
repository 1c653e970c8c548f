"""01_vectorization.ipynb holds binary bytes (a zip or PDF handed in under its name)."""
DAMAGE = {"01_vectorization": "binary"}
LOSES = {"01_vectorization": ["*"], "02_kernel_fusion": []}
EXPECT_NOTE = "not a valid notebook file"
