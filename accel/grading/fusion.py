"""Inputs and a small table of values for notebook 02's tests; the float64 reference and the
eight-step baseline live in :mod:`accel_instructor.reference.fusion`."""
from __future__ import annotations

import math
import re

import numpy as np

from ..tensor import Tensor
from . import _fail

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


# --- the structural check of fused_gelu: one compiled loop that runs on float32 vectors ---

# A call to a transcendental function in the compiled code: LLVM's intrinsics (``llvm.exp``,
# also in their vector forms ``llvm.exp.v16f32``, which the back end splits into one library
# call per element when no vector math library is in use) and the C library's own names.
_MATH_CALL = re.compile(
    r"\bcall\b[^@\n]*@\"?((?:llvm\.)?(?:a?(?:sin|cos|tan)h?|atan2|exp(?:2|10|m1)?|log(?:2|10|1p)?"
    r"|powi?|erfc?|cbrt|[lt]gamma)f?)(?:\.[\w.]+)?\"?\(")
# Arithmetic on a vector of float32 values: ``fmul fast <16 x float>``, or a vector FMA.
_PACKED_F32 = re.compile(
    r"=\s*(?:fmul|fadd|fsub|fdiv|fneg)\b[^<\n]*<(\d+) x float>"
    r"|call\b[^@\n]*<(\d+) x float> @llvm\.(?:fma|fmuladd)\.")


def float32_vector_lanes(llvm_ir: str) -> int:
    """The widest vector of float32 values that LLVM IR does arithmetic on (0: none).

    ``<16 x float>`` is 16 float32 values in one 512-bit register, ``<8 x float>`` 256 bits,
    ``<4 x float>`` 128 bits (SSE, or NEON on ARM).
    """
    lanes = [int(a or b) for a, b in _PACKED_F32.findall(llvm_ir)]
    return max(lanes, default=0)


def math_calls(llvm_ir: str) -> list[str]:
    """The transcendental functions (tanh, exp, log, pow, ...) that LLVM IR calls, sorted."""
    return sorted(set(_MATH_CALL.findall(llvm_ir)))


def check_vectorised_loop(loop, fused, x: np.ndarray, what: str = "fused_gelu_loop") -> int:
    """Assert that ``loop`` is one numba-compiled loop that runs on vectors of float32 values,
    and that ``fused`` computes its float32 results with it. Returns the number of lanes.

    loop: the kernel ``loop(x_flat, out_flat)``; fused: ``fused(Tensor) -> Tensor``;
    x: a float32 test input of any shape. Three checks, each with its own message:

    1. ``loop`` is a numba ``@njit`` function (a Dispatcher), not a Python function;
    2. ``fused(Tensor(x))`` gives bit for bit what ``loop`` writes for ``x.reshape(-1)``
       (so ``fused`` really calls it, for float32 input);
    3. the machine code numba compiles for two C-contiguous 1-D float32 arrays does arithmetic
       on vectors of at least 4 float32 values (LLVM's ``<N x float>``: SIMD) and calls no
       transcendental function (``tanh``, ``exp``, ...), which the CPU would run one element
       at a time. The check reads ``loop.inspect_llvm(signature)``, the LLVM IR numba
       hands to the compiler's back end, so it holds on any CPU that has SIMD registers.
    """
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    from numba import types
    from numba.core.dispatcher import Dispatcher

    from . import as_array, quiet

    if not isinstance(loop, Dispatcher):
        _fail(f"{what}: expected a numba-compiled function (decorated with @njit), got "
              f"{type(loop).__name__}. Write the loop over the elements in {what} and compile "
              f"it with @njit(fastmath={{\"contract\"}}, error_model=\"numpy\").")
    x = np.ascontiguousarray(x, dtype=np.float32)
    flat = x.reshape(-1)
    want = np.empty_like(flat)
    with quiet():
        loop(flat.copy(), want)
        got = as_array(fused(Tensor(x.copy())), "fused_gelu")
    if got.shape != x.shape or got.dtype != np.float32 or not np.array_equal(
            got.reshape(-1), want, equal_nan=True):
        _fail(f"fused_gelu on float32 input of shape {x.shape} did not return what {what} "
              f"writes for the flattened input. fused_gelu must flatten the input, allocate "
              f"the output and call {what}(flat, out) to fill all of it.")
    array = types.Array(types.float32, 1, "C")
    with quiet():
        ir = loop.inspect_llvm((array, array))
    calls = math_calls(ir)
    if calls:
        _fail(f"{what}: the compiled code calls {', '.join(calls)}, a library function the "
              f"CPU runs on one element at a time. Replace math.tanh (or math.exp) by the "
              f"rational approximation with TANH_P and TANH_Q: plain multiplications, "
              f"additions and one division, which the compiler can run on vectors.")
    lanes = float32_vector_lanes(ir)
    if lanes < 4:
        _fail(f"{what}: the compiled code does no arithmetic on vectors of float32 values "
              f"(no <N x float> operation in its LLVM IR), so it handles one element at a "
              f"time. Look for: a bare literal such as 0.5 or 1.0 (a float64: the arithmetic "
              f"becomes float64), float(...) on the element, a division without "
              f"error_model=\"numpy\" (checked for zero on every element).")
    return lanes
