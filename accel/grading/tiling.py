"""Baselines and probes for notebook 03 (cache-aware tiling); the grader's compiled loop
baseline is not part of the course.

* :func:`blas_matmul` - one ``np.matmul`` call: the baseline that ``tiled_matmul`` is timed against.
* :class:`RecordingArray` and :func:`record_products` - operands that write down the shapes of
  every product they take part in, to check that a "tiled" product really multiplies tiles.
"""
from __future__ import annotations

import numpy as np

# NumPy ufuncs and functions that multiply matrices (or tensors). A call to any of them on a
# RecordingArray is logged with the shapes of all its array operands.
PRODUCT_UFUNCS = frozenset({"matmul", "vecdot", "matvec", "vecmat"})
PRODUCT_FUNCTIONS = frozenset({"dot", "vdot", "inner", "outer", "tensordot", "einsum",
                               "multi_dot", "kron", "matmul", "linalg.multi_dot"})


def blas_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One BLAS call for the whole product: (m, k) @ (k, n) -> (m, n), NumPy's result dtype."""
    return np.matmul(a, b)


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, RecordingArray) else x


def _array_shapes(objects) -> tuple[tuple[int, ...], ...]:
    shapes = []
    for obj in objects:
        if isinstance(obj, np.ndarray):
            shapes.append(tuple(obj.shape))
        elif isinstance(obj, (list, tuple)):
            shapes.extend(_array_shapes(obj))
    return tuple(shapes)


def _shared_log(objects):
    for obj in objects:
        if isinstance(obj, RecordingArray) and obj.log is not None:
            return obj.log
        if isinstance(obj, (list, tuple)):
            log = _shared_log(obj)
            if log is not None:
                return log
    return None


def _unwrap(obj):
    if isinstance(obj, RecordingArray):
        return obj.view(np.ndarray)
    if isinstance(obj, tuple):
        return tuple(_unwrap(x) for x in obj)
    if isinstance(obj, list):
        return [_unwrap(x) for x in obj]
    return obj


def _rewrap(result, log):
    """Results of non-product operations stay RecordingArrays, so later products still count."""
    if isinstance(result, np.ndarray) and not isinstance(result, RecordingArray) and result.ndim:
        wrapped = result.view(RecordingArray)
        wrapped.log = log
        return wrapped
    if isinstance(result, tuple):
        return tuple(_rewrap(x, log) for x in result)
    if isinstance(result, list):
        return [_rewrap(x, log) for x in result]
    return result


class RecordingArray(np.ndarray):
    """An ndarray that logs the operand shapes of every matrix product it takes part in.

    Slices and views keep recording into the same log (``a[i:i+t, p:p+t] @ b[p:p+t, j:j+t]`` is
    logged as ``("matmul", ((t, t), (t, t)))``). ``@``, ``np.matmul``, ``np.dot``, ``x.dot(y)``,
    ``np.einsum``, ``np.tensordot`` and friends are logged; the product itself returns a plain
    ndarray. Other operations compute as usual. ``np.asarray(x)`` or ``np.array(x)`` return a
    plain ndarray, which records nothing.
    """

    log: list | None

    def __array_finalize__(self, obj):
        self.log = getattr(obj, "log", None)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        log = _shared_log(inputs + tuple(kwargs.get("out", ()) or ()))
        is_product = ufunc.__name__ in PRODUCT_UFUNCS and method == "__call__"
        if is_product and log is not None:
            log.append((ufunc.__name__, _array_shapes(inputs)))
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _unwrap(tuple(out))
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else tuple(out)
        return result if is_product else _rewrap(result, log)

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        module = getattr(func, "__module__", "") or ""
        qualified = f"linalg.{name}" if module.endswith("linalg") else name
        log = _shared_log(tuple(args) + tuple(kwargs.values()))
        is_product = qualified in PRODUCT_FUNCTIONS or name in PRODUCT_FUNCTIONS
        if is_product and log is not None:
            log.append((qualified, _array_shapes(tuple(args) + tuple(kwargs.values()))))
        result = func(*_unwrap(tuple(args)), **{k: _unwrap(v) for k, v in kwargs.items()})
        return result if is_product else _rewrap(result, log)

    def dot(self, b, out=None):  # ndarray.dot does not dispatch to __array_function__
        return np.dot(self, b, out=out)


def recording(x: np.ndarray, log: list) -> RecordingArray:
    """A view of ``x`` that appends to ``log`` whenever it takes part in a product."""
    view = np.asarray(x).view(RecordingArray)
    view.log = log
    return view


def record_products(fn, a: np.ndarray, b: np.ndarray, *args, **kwargs):
    """Call ``fn(Tensor(a'), Tensor(b'), *args, **kwargs)`` on recording views a', b' of a and b.

    Returns ``(result, products)``: ``products`` lists ``(operation, operand_shapes)`` in call
    order. A result that is a Tensor holding one of this module's RecordingArrays (a kernel that
    built its output with ``np.zeros_like(a.data)``, say) is handed back holding a plain ndarray
    view of the same data, so that :func:`accel.grading.as_array` accepts it.
    """
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    from ..tensor import Tensor

    recorded_call = getattr(type(fn), "recorded_call", None)
    if recorded_call is not None:  # a learner's function in the two-process grader: recorded there
        return recorded_call(fn, a, b, *args, **kwargs)
    log: list = []
    result = fn(Tensor(recording(a, log)), Tensor(recording(b, log)), *args, **kwargs)
    if type(result) is Tensor and type(result.data) is RecordingArray:
        result = Tensor(result.data.view(np.ndarray))
    return result, list(log)


def largest_block(products) -> int:
    """The largest extent, in any dimension, of any operand of the logged products."""
    return max((max(shape, default=0) for _, shapes in products for shape in shapes), default=0)


def largest_product(products):
    """The logged product whose operands have the largest extent (for error messages)."""
    return max(products, key=lambda entry: max((max(s, default=0) for s in entry[1]), default=0),
               default=None)
