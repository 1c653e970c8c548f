"""A last cell prints IPython's input history `In` (where hidden tests used to be) and lists and reads the grader's reference folder; the kernels are the reference's.

With the policy on, intake refuses the cell. With it off (tests/test_two_process.py), it runs: the
history of 01 and 02 holds only the cells that stand in for the tests, and the sandbox has an empty
folder where the grader's reference baselines are.
"""
_SNOOP = '''
import os
print("HISTORY:", "\\n".join(In))
import importlib.util
_spec = importlib.util.find_spec("accel_instructor")
_where = os.path.join(os.path.dirname(_spec.origin), "reference")
print("REFERENCE FILES:", sorted(os.listdir(_where)) if os.path.isdir(_where) else "none")
for _name in (sorted(os.listdir(_where)) if os.path.isdir(_where) else []):
    with open(os.path.join(_where, _name)) as _f:
        print(_f.read())
'''
EXTRA_CELLS = {"01_vectorization": [("answers_check_understanding", _SNOOP)],
               "02_kernel_fusion": [("answers_fusion_bytes", _SNOOP)]}
LOSES = {"01_vectorization": [], "02_kernel_fusion": []}
BLOCKED = True  # intake refuses the attacking cell (see test_catalogues.py)
