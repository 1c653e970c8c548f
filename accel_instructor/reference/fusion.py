"""The grader's GELU reference and eight-step baseline for notebook 02 (answers: never shipped)."""
from __future__ import annotations

import numpy as np

from accel.grading.fusion import GELU_A, SQRT_2_OVER_PI


def reference_gelu(x) -> np.ndarray:
    """GELU (tanh approximation) computed in float64: the values every kernel is compared with.

    x: any shape, any float dtype (a Tensor or an ndarray). Returns a float64 ndarray of the
    same shape. Overflow of the cube for huge |x| is harmless (tanh saturates to +-1), so the
    floating-point warnings it would raise are switched off.
    """
    x = np.asarray(getattr(x, "data", x), dtype=np.float64)
    with np.errstate(all="ignore"):
        return 0.5 * x * (1.0 + np.tanh(SQRT_2_OVER_PI * (x + GELU_A * (x * x * x))))


def trusted_unfused_gelu(x: np.ndarray) -> np.ndarray:
    """Eight NumPy steps, each a new full-size array: the fixed baseline of the speed checks.

    x: ndarray of any shape, float32 or float64; returns the same shape and dtype.
    Written the fair way: the cube is ``x * x * x`` (``x ** 3`` takes a slow path on negative
    float32 bases) and every constant is a Python float, so nothing is promoted to float64.
    Cost: 9 NumPy operations (the cube is two), each a full pass over memory, and 8 full-size
    arrays allocated. The learner's own ``unfused_gelu`` is never used as the baseline.
    """
    cube = x * x * x
    scaled_cube = GELU_A * cube
    inner = x + scaled_cube
    scaled = SQRT_2_OVER_PI * inner
    t = np.tanh(scaled)
    one_plus_t = 1.0 + t
    half_x = 0.5 * x
    return half_x * one_plus_t
