"""Probes for notebook 01: inputs that refuse whole-array arithmetic."""
from __future__ import annotations

import numpy as np


_NOT_ARITHMETIC = {"zeros_like", "empty_like", "ones_like", "full_like", "shape", "ndim", "size"}


def _value(x):
    return x.value if type(x) is LoopElement else x


class LoopElement:
    """One element of a :class:`LoopOnlyArray` read through ``tolist()``: a number for the
    arithmetic of Python loops (``+ - * /``, comparisons, ``float()``; results are plain
    floats), but not something NumPy turns back into an array (``np.array(rows)`` raises), so
    ``tolist()`` cannot carry the product back to NumPy."""

    __slots__ = ("value",)

    def __init__(self, value: float):
        self.value = value

    def __array__(self, *args, **kwargs):
        __tracebackhide__ = True  # IPython then shows the message, not this helper
        raise AssertionError(
            "naive_matmul turned the elements it read with tolist() back into a NumPy array; "
            "this exercise asks for every product and sum in your own Python loops."
        )

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        return repr(self.value)

    def __hash__(self):
        return hash(self.value)

    def __neg__(self):
        return -self.value

    def __pos__(self):
        return +self.value

    def __abs__(self):
        return abs(self.value)

    def __add__(self, other):
        return self.value + _value(other)

    def __radd__(self, other):
        return _value(other) + self.value

    def __sub__(self, other):
        return self.value - _value(other)

    def __rsub__(self, other):
        return _value(other) - self.value

    def __mul__(self, other):
        return self.value * _value(other)

    def __rmul__(self, other):
        return _value(other) * self.value

    def __truediv__(self, other):
        return self.value / _value(other)

    def __rtruediv__(self, other):
        return _value(other) / self.value

    def __eq__(self, other):
        return self.value == _value(other)

    def __lt__(self, other):
        return self.value < _value(other)

    def __le__(self, other):
        return self.value <= _value(other)

    def __gt__(self, other):
        return self.value > _value(other)

    def __ge__(self, other):
        return self.value >= _value(other)


def _wrap_elements(nested):
    if isinstance(nested, list):
        return [_wrap_elements(item) for item in nested]
    return LoopElement(nested)


class LoopOnlyArray(np.ndarray):
    """An ndarray that refuses whole-array arithmetic, for checking "loops only" kernels.

    Reading single elements (``x[i, j]``) or converting with ``tolist()`` works (its elements
    are :class:`LoopElement` numbers, which NumPy will not turn back into an array), and so do
    the functions that only create an array or report a shape (``np.zeros_like``, ``np.empty_like``,
    ``np.shape``; they return plain ndarrays). Any NumPy ufunc or other array function applied
    to it (``@``, ``np.dot``, ``x[i, :] * y``, ``.sum()``) raises.
    """

    def tolist(self):
        return _wrap_elements(self.view(np.ndarray).tolist())

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
