"""01_vectorization.ipynb was cut off while saving: not valid JSON."""
DAMAGE = {"01_vectorization": "not_json"}
LOSES = {"01_vectorization": ["*"], "02_kernel_fusion": []}
EXPECT_NOTE = "not a valid notebook file"
