"""Probes for notebook 01: inputs that refuse whole-array arithmetic."""
from __future__ import annotations

import numpy as np


class LoopOnlyArray(np.ndarray):
    """An ndarray that refuses whole-array arithmetic, for checking "loops only" kernels.

    Reading single elements (``x[i, j]``) or converting with ``tolist()`` works; any NumPy ufunc
    or array function applied to it (``@``, ``np.dot``, ``x[i, :] * y``, ``.sum()``) raises.
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        __tracebackhide__ = True  # IPython then shows the message, not this helper
        raise AssertionError(
            f"naive_matmul used NumPy's {ufunc.__name__} on whole arrays; this exercise asks for "
            f"explicit Python loops over single elements."
        )

    def __array_function__(self, func, types, args, kwargs):
        __tracebackhide__ = True  # IPython then shows the message, not this helper
        raise AssertionError(
            f"naive_matmul called np.{func.__name__} on whole arrays; this exercise asks for "
            f"explicit Python loops over single elements."
        )
