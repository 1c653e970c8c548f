"""naive_matmul calls the grader's own loop baseline by name (`accel_instructor.reference`), and chunked_gelu the grader's exact GELU, found in the kernel's globals (where a hidden test of 02 used to leave it) or imported.

With the policy on, intake refuses the imports; with it off (tests/test_two_process.py), the
sandbox has no reference to import, and the test cells import it in the grader's kernel only:
no test's names reach the learner's globals, so both kernels fail every test that calls them.
"""
ANSWERS = {"01_vectorization": {"naive_matmul": '''
from accel_instructor.reference.matmul import trusted_naive_matmul

def naive_matmul(a, b):
    return Tensor(trusted_naive_matmul(a.data, b.data))
'''}, "02_kernel_fusion": {"chunked_gelu": '''
def chunked_gelu(x, chunk_size=65536):
    exact = globals().get("reference_gelu")
    if exact is None:
        from accel_instructor.reference.fusion import reference_gelu as exact
    return Tensor(np.asarray(exact(x.data), dtype=x.data.dtype))
'''}}
LOSES = {"01_vectorization": ["test_naive_matmul"],
         "02_kernel_fusion": ["test_chunked_gelu_values", "test_chunked_gelu_dtype", "test_chunked_gelu_errors",
                              "test_chunked_gelu_memory", "test_chunked_gelu_speed"]}
BLOCKED = True  # intake refuses the import (see test_catalogues.py)
