"""A cell registers an IPython input transformer that turns every later cell (the tests) into `pass`; the kernel returns zeros."""
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
import IPython
IPython.get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
'''),
    ("vectorized_matmul", '''
import warnings
warnings.sys.modules["IPython"].get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
'''),
]}
DAMAGE = {"02_kernel_fusion": "missing"}
LOSES = {"01_vectorization": ["test_vectorized_matmul_values", "test_vectorized_matmul_batched"], "02_kernel_fusion": ["*"]}
BLOCKED = True  # intake refuses the attacking cells (see test_catalogues.py)
