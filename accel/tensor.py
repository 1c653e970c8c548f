"""A deliberately small tensor: just enough structure for the course's kernel signatures."""
from __future__ import annotations

import numpy as np


class Tensor:
    """An n-dimensional array of numbers, backed by a NumPy ndarray.

    ``Tensor(data)`` wraps an ndarray *without copying* and keeps its dtype, so timing a kernel
    measures the kernel and not a hidden copy; a NumPy scalar keeps its dtype too. Anything else (lists, tuples, Python scalars) is
    converted with ``np.asarray(..., dtype=np.float32)``: float32 is the course's default dtype.

    Attributes: ``data`` (the ndarray), ``shape``, ``dtype``, ``ndim``, ``size``, ``nbytes``.
    ``np.asarray(tensor)`` returns ``tensor.data`` without a copy.
    """

    __slots__ = ("data",)

    def __init__(self, data):
        if isinstance(data, Tensor):
            data = data.data
        elif isinstance(data, np.generic):  # a NumPy scalar (0-d results): keep its dtype
            data = np.asarray(data)
        elif not isinstance(data, np.ndarray):
            try:
                data = np.asarray(data, dtype=np.float32)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"Tensor expects an ndarray, a number or a (nested) list of numbers; "
                    f"got {type(data).__name__}: {err}"
                ) from None
        self.data = data

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def nbytes(self) -> int:
        return self.data.nbytes

    def __array__(self, dtype=None, copy=None):
        if dtype is None and not copy:
            return self.data
        return np.array(self.data, dtype=dtype, copy=True if copy else None)

    def __repr__(self) -> str:
        body = np.array2string(self.data, threshold=20, edgeitems=2, separator=", ")
        return f"Tensor({body}, dtype={self.dtype})"
