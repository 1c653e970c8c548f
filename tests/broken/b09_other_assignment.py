"""01_vectorization.ipynb is a notebook from another assignment saved under this name."""
DAMAGE = {"01_vectorization": "other_assignment"}
LOSES = {"01_vectorization": ["*"], "02_kernel_fusion": []}
EXPECT_NOTE = "another assignment"
