"""01_vectorization.ipynb is a folder (an unzipped copy of the notebook inside it)."""
DAMAGE = {"01_vectorization": "folder"}
LOSES = {"01_vectorization": ["*"], "02_kernel_fusion": []}
EXPECT_NOTE = "not a file"
