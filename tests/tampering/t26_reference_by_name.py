"""naive_matmul calls the grader's own loop baseline by name (`accel_instructor.reference`), which a hidden test used to leave in the kernel's globals.

With the policy on, intake refuses the import; with it off (tests/test_two_process.py), 01's
sandbox has no reference to import, and its test cells import it in the grader's kernel only.
"""
ANSWERS = {"01_vectorization": {"naive_matmul": '''
from accel_instructor.reference.matmul import trusted_naive_matmul

def naive_matmul(a, b):
    return Tensor(trusted_naive_matmul(a.data, b.data))
'''}}
DAMAGE = {"02_kernel_fusion": "missing"}
LOSES = {"01_vectorization": ["test_naive_matmul"], "02_kernel_fusion": ["*"]}
BLOCKED = True  # intake refuses the import (see test_catalogues.py)
