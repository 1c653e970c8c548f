"""Inputs and a small table of values for notebook 02's tests, and the structural check of
``fused_gelu`` (the grader's float64 reference and baselines are not part of the course)."""
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


# Any floating-point arithmetic instruction and the type it works on: ``fmul fast float``,
# ``fadd <8 x double>``, or a (vector) FMA call ``@llvm.fma.v16f32`` / ``@llvm.fmuladd.f64``.
_FLOAT_OP = re.compile(
    r"=\s*(?:fmul|fadd|fsub|fdiv|frem|fneg)\b[^<\n%]*?(?:<(\d+) x (float|double)>|\b(float|double)\b)"
    r"|@llvm\.(?:fma|fmuladd)\.(?:v(\d+))?f(32|64)\(")


def float_work(llvm_ir: str) -> dict[str, int]:
    """The floating-point arithmetic in LLVM IR, counted per element: an instruction on
    ``<16 x float>`` counts 16, one on a scalar ``float`` or ``double`` counts 1.

    Returns ``{"float32 vectors": ..., "float32 scalars": ..., "float64": ...}``: arithmetic on
    vectors of at least 4 float32 values (SIMD), on single float32 values (the remainder loop
    after a vectorised one, or a loop that did not vectorise) and on float64 values, scalar or
    vector. Comparisons and selects (the clamps and blends) are not counted.
    """
    work = {"float32 vectors": 0, "float32 scalars": 0, "float64": 0}
    for lanes, vtype, stype, call_lanes, call_bits in _FLOAT_OP.findall(llvm_ir):
        if call_bits:
            lanes, kind = int(call_lanes or 1), "float" if call_bits == "32" else "double"
        else:
            lanes, kind = int(lanes or 1), vtype or stype
        if kind == "double":
            work["float64"] += lanes
        elif lanes >= 4:
            work["float32 vectors"] += lanes
        else:
            work["float32 scalars"] += lanes
    return work


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
       on vectors of at least 4 float32 values (LLVM's ``<N x float>``: SIMD), that vector work
       is most of its float work (:func:`float_work`: counted per element, the float32-vector
       part is at least the float64 part and at least the single-float32 part, which holds the
       remainder loop after a vectorised one), and it calls no transcendental function
       (``tanh``, ``exp``, ...), which the CPU would run one element at a time. The check reads ``loop.inspect_llvm(signature)`` (in the two-process grader: as the learner's kernel reports it), the LLVM IR numba
       hands to the compiler's back end, so it holds on any CPU that has SIMD registers.
    """
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    from numba import types
    from numba.core.dispatcher import Dispatcher

    from . import as_array, quiet

    array = types.Array(types.float32, 1, "C")
    learner_ir = getattr(type(loop), "llvm_ir", None)  # the two-process grader's proxy: IR from there
    ir, kind = None, type(loop).__name__
    if learner_ir is not None:
        try:
            ir = learner_ir(loop, [["float32", 1, "C"]] * 2)
        except TypeError as err:
            kind = str(err)
    if ir is None and not isinstance(loop, Dispatcher):
        _fail(f"{what}: expected a numba-compiled function (decorated with @njit), got "
              f"{kind}. Write the loop over the elements in {what} and compile "
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
    if ir is None:
        with quiet():
            ir = loop.inspect_llvm((array, array))
    calls = math_calls(ir)
    if calls:
        _fail(f"{what}: the compiled code calls {', '.join(calls)}, a library function the "
              f"CPU runs on one element at a time. Replace math.tanh (or math.exp) by the "
              f"rational approximation with TANH_P and TANH_Q: plain multiplications, "
              f"additions and one division, which the compiler can run on vectors.")
    lanes = float32_vector_lanes(ir)
    work = float_work(ir)
    vector, scalar, double = (work["float32 vectors"], work["float32 scalars"], work["float64"])
    if lanes >= 4 and (vector < double or vector < scalar):
        _fail(f"{what}: only part of the compiled code's float work runs on float32 vectors: "
              f"counted per element, {vector} on float32 vectors against {double} on float64 "
              f"values and {scalar} on single float32 values (the vectorised part must be at "
              f"least as large as each). Look for a bare literal such as 0.5 or 1.0 or a "
              f"float(...) (float64 arithmetic), or a step the compiler could not vectorise.")
    if lanes < 4:
        _fail(f"{what}: the compiled code does no arithmetic on vectors of float32 values "
              f"(no <N x float> operation in its LLVM IR), so it handles one element at a "
              f"time. Look for: a bare literal such as 0.5 or 1.0 (a float64: the arithmetic "
              f"becomes float64), float(...) on the element, a division without "
              f"error_model=\"numpy\" (checked for zero on every element).")
    return lanes
