"""Issue 15's full-marks attack: `__import__` taken from a generator frame's builtins, then an IPython input transformer that wraps every later cell (the tests) in try/except; the kernels are stubs.

In one interpreter this scored the reference's full marks. The policy finds nothing to refuse in
it (no forbidden name appears: `__import__` is a dict key), so it runs whether the policy is on
or off; but 01's test cells run in the grader's own kernel, which the transformer never
reaches: every test of an unwritten kernel fails.
"""
BASE = "release"
EXTRA_CELLS = {"01_vectorization": [
    ("naive_matmul", '''
_imp = (i for i in [0]).gi_frame.f_builtins["__import__"]
_shell = _imp("IPython").get_ipython()

def _swallow(lines):
    body = "".join(lines)
    return ["try:\\n"] + ["    " + line + "\\n" for line in body.splitlines()] + ["except BaseException:\\n    pass\\n"]

_shell.input_transformers_post.append(_swallow)
'''),
]}
DAMAGE = {"02_kernel_fusion": "missing"}
LOSES = {"01_vectorization": ["test_naive_matmul", "test_vectorized_matmul_values", "test_vectorized_matmul_batched",
                              "test_vectorized_matmul_dtype", "test_vectorized_matmul_errors", "test_matmul_flops",
                              "test_vectorized_matmul_speed", "test_q1_intensity", "test_q2_gflops"],
         "02_kernel_fusion": ["*"]}
BLOCKED = False  # the policy finds nothing to refuse here (issue 15's point): it runs, and gains nothing
