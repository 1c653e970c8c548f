"""The grader's loop baseline for notebook 01 (an answer in itself: never shipped to students)."""
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
