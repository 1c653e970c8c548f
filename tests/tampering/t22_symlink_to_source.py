"""01_vectorization.ipynb is handed in as a symbolic link to the instructor's source notebook (answers and hidden tests)."""
DAMAGE = {"01_vectorization": "symlink_to_source"}
LOSES = {"01_vectorization": ["*"], "02_kernel_fusion": []}
EXPECT_NOTE = "symbolic link"
