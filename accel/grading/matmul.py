"""The grader's own matmul baselines (notebook 01)."""
from __future__ import annotations

import numpy as np


def trusted_naive_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Triple loop over Python lists: the fixed baseline that speed checks are measured against.

    a: (m, k), b: (k, n), any float dtype; returns (m, n) in a's dtype.
    Cost: 2*m*k*n FLOPs executed one interpreted operation at a time (~50 ns each).
    The learner's own ``naive_matmul`` is never used as the baseline.
    """
    m, k = a.shape
    k2, n = b.shape
    if k != k2:
        raise ValueError(f"inner dimensions differ: {a.shape} @ {b.shape}")
    rows, cols = a.tolist(), b.T.tolist()
    out = [[sum(x * y for x, y in zip(row, col)) for col in cols] for row in rows]
    return np.array(out, dtype=a.dtype).reshape(m, n)


class LoopOnlyArray(np.ndarray):
    """An ndarray that refuses whole-array arithmetic, for checking "loops only" kernels.

    Reading single elements (``x[i, j]``) or converting with ``tolist()`` works; any NumPy ufunc
    or array function applied to it (``@``, ``np.dot``, ``x[i, :] * y``, ``.sum()``) raises.
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise AssertionError(
            f"naive_matmul used NumPy's {ufunc.__name__} on whole arrays; this exercise asks for "
            f"explicit Python loops over single elements."
        )

    def __array_function__(self, func, types, args, kwargs):
        raise AssertionError(
            f"naive_matmul called np.{func.__name__} on whole arrays; this exercise asks for "
            f"explicit Python loops over single elements."
        )
