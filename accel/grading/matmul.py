"""Probes for notebook 01: inputs that refuse whole-array arithmetic."""
from __future__ import annotations

import numpy as np


_NOT_ARITHMETIC = {"zeros_like", "empty_like", "ones_like", "full_like", "shape", "ndim", "size"}


class LoopOnlyArray(np.ndarray):
    """An ndarray that refuses whole-array arithmetic, for checking "loops only" kernels.

    Reading single elements (``x[i, j]``) or converting with ``tolist()`` works, and so do the
    functions that only create an array or report a shape (``np.zeros_like``, ``np.empty_like``,
    ``np.shape``; they return plain ndarrays). Any NumPy ufunc or other array function applied
    to it (``@``, ``np.dot``, ``x[i, :] * y``, ``.sum()``) raises.
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        __tracebackhide__ = True  # IPython then shows the message, not this helper
        raise AssertionError(
            f"naive_matmul used NumPy's {ufunc.__name__} on whole arrays; this exercise asks for "
            f"explicit Python loops over single elements."
        )

    def __array_function__(self, func, types, args, kwargs):
        if func.__name__ in _NOT_ARITHMETIC:  # creating an output or asking for a shape is fine
            plain = [arg.view(np.ndarray) if isinstance(arg, LoopOnlyArray) else arg for arg in args]
            if func.__name__.endswith("_like"):
                kwargs = {**kwargs, "subok": False}
            return func(*plain, **kwargs)
        __tracebackhide__ = True  # IPython then shows the message, not this helper
        raise AssertionError(
            f"naive_matmul called np.{func.__name__} on whole arrays; this exercise asks for "
            f"explicit Python loops over single elements."
        )
