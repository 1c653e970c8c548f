"""Cells write over the grading package, the config, the gradebook and another student's graded notebook with NumPy file I/O and ../ paths; the kernel returns zeros."""
# Only notebook 01 is handed in (02 missing, scored 0): the attack needs one notebook.
ANSWERS = {"01_vectorization": {"vectorized_matmul": '''
def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return Tensor(np.zeros(shape, dtype=np.result_type(a.data, b.data)))
'''}}
EXTRA_CELLS = {"01_vectorization": [
    ("vectorized_matmul", '''
np.savetxt("../../../accel/grading/__init__.py", [0], header="def require_speedup(*a, **k): pass")
'''),
    ("vectorized_matmul", '''
np.zeros(1).tofile("../../../nbgrader_config.py")
'''),
    ("vectorized_matmul", '''
np.save("../../../gradebook.db", np.zeros(1))
'''),
    ("vectorized_matmul", '''
np.save("../../../autograded/t00_control/acceleration/01_vectorization.ipynb", np.zeros(1))
'''),
]}
DAMAGE = {"02_kernel_fusion": "missing"}
LOSES = {"01_vectorization": ["test_vectorized_matmul_values", "test_vectorized_matmul_batched"], "02_kernel_fusion": ["*"]}
BLOCKED = True  # intake refuses the attacking cells (see test_catalogues.py)
