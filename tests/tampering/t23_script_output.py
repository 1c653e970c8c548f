"""An answer returns an object whose HTML is a <script> (and which offers JavaScript too), to run
in the instructor's browser when formgrader shows the submission; the kernel returns zeros.

The grader keeps only text, checked PNG and sanitised HTML of learner outputs, and formgrader
renders with sanitising on: the script never reaches a page (tests/test_browser.py opens it)."""
# Only notebook 01 is handed in (02 missing, scored 0): the attack needs one notebook.
ANSWERS = {"01_vectorization": {"vectorized_matmul": '''
class Shown:
    """What a cell shows: a script for any browser that renders it."""
    def _repr_html_(self):
        return ("<b id='attack-html'>shown</b><script>window.accelPwned = 'html'; "
                "document.title = 'PWNED';</script><img src=x onerror=\\"window.accelPwned = 'img'\\">")

    def _repr_javascript_(self):
        return "window.accelPwned = 'javascript';"


def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return Tensor(np.zeros(shape, dtype=np.result_type(a.data, b.data)))
'''}}
EXTRA_CELLS = {"01_vectorization": [("vectorized_matmul", "Shown()")]}
DAMAGE = {"02_kernel_fusion": "missing"}
LOSES = {"01_vectorization": ["test_vectorized_matmul_values", "test_vectorized_matmul_batched"], "02_kernel_fusion": ["*"]}
