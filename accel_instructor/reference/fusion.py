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


def trusted_chunked_gelu(x: np.ndarray, chunk_size: int = 65536) -> np.ndarray:
    """The nine GELU steps over chunks of ``chunk_size`` elements, in two reused scratch
    buffers: the fixed baseline of the fused-kernel speed check.

    x: ndarray of any shape, float32 or float64; returns the same shape and dtype. The cube is
    two multiplications and every constant a Python float (nothing is promoted). Main memory
    sees one read of x and one write of the result; the nine passes run on cache-resident
    chunks, each a NumPy call with its fixed cost. Memory: the output plus two chunks.
    """
    flat = x.reshape(-1)
    n = flat.size
    out = np.empty_like(flat)
    m = min(chunk_size, n)
    t = np.empty(m, dtype=flat.dtype)
    h = np.empty(m, dtype=flat.dtype)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        xs, tk, hk = flat[start:stop], t[: stop - start], h[: stop - start]
        np.multiply(xs, xs, out=tk)
        np.multiply(tk, GELU_A, out=tk)
        np.add(tk, 1.0, out=tk)
        np.multiply(tk, xs, out=tk)
        np.multiply(tk, SQRT_2_OVER_PI, out=tk)
        np.tanh(tk, out=tk)
        np.add(tk, 1.0, out=tk)
        np.multiply(xs, 0.5, out=hk)
        np.multiply(hk, tk, out=out[start:stop])
    return out.reshape(x.shape)
