"""01_vectorization.ipynb is 400 kB of nested JSON arrays (json.loads raises RecursionError)."""
DAMAGE = {"01_vectorization": "nested_json"}
LOSES = {"01_vectorization": ["*"], "02_kernel_fusion": []}
EXPECT_NOTE = "JSON nested too deeply"
