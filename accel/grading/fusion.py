"""Inputs and a small table of values for notebook 02's tests; the float64 reference and the
eight-step baseline live in :mod:`accel_instructor.reference.fusion`."""
from __future__ import annotations

import math

import numpy as np

GELU_A = 0.044715
"""The cubic coefficient of the tanh approximation of GELU."""

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
"""sqrt(2/pi) as a Python float: a "weak" scalar under NumPy 2, so it keeps float32 as float32."""


# A few GELU values (float64, 10 significant digits) for the visible tests; the hidden tests
# compare against a float64 reference on many more inputs.
VISIBLE_X = (-30.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 30.0)
VISIBLE_GELU = (-0.0, -0.003637392082, -0.1588080094, -0.1542859902, 0.0, 0.3457140098,
                0.8411919906, 2.996362608, 30.0)


def gelu_cases(rng: np.random.Generator, dtype) -> list[np.ndarray]:
    """Inputs for the correctness checks: 0-d, 1-d of odd sizes, 3-d, and huge |x|.

    Huge values exercise saturation: GELU(x) is x for large positive x and 0 for large negative
    x, and must stay finite even where the cube overflows.
    """
    dtype = np.dtype(dtype)
    big = 1e30 if dtype == np.float32 else 1e200
    cases = [
        np.array(rng.standard_normal(), dtype=dtype),
        rng.standard_normal(1).astype(dtype),
        (3 * rng.standard_normal(1001)).astype(dtype),
        (2 * rng.standard_normal((3, 5, 7))).astype(dtype),
        np.linspace(-12, 12, 4097, dtype=dtype),
        np.array([-big, -1e20, -3e4, -50.0, -9.0, 9.0, 50.0, 3e4, 1e20, big], dtype=dtype),
    ]
    return cases
