"""02_kernel_fusion.ipynb was never submitted."""
DAMAGE = {"02_kernel_fusion": "missing"}
LOSES = {"01_vectorization": [], "02_kernel_fusion": ["*"]}
EXPECT_NOTE = "notebook missing"
