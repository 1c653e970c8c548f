"""Figure readers for notebook 04 (the roofline); the grader's own roof
measurements are in :mod:`accel_instructor.reference.roofline`.

The figure readers only collect what an Axes holds (lines, marker positions, texts); the
assertions about them live in the notebook's test cells.
"""
from __future__ import annotations

import functools

import numpy as np


# ---------------------------------------------------------------------------------------------
# Reading a matplotlib Axes


def _has_marker(line) -> bool:
    marker = line.get_marker()
    return marker not in (None, "", " ", "None", "none")


def _has_linestyle(line) -> bool:
    return line.get_linestyle() not in (None, "", " ", "None", "none")


def drawn_lines(ax) -> list[np.ndarray]:
    """Vertices (k x 2 arrays, data coordinates) of every Line2D drawn with a line style."""
    out = []
    for line in ax.get_lines():
        if not _has_linestyle(line):
            continue
        x = np.asarray(line.get_xdata(), dtype=float).ravel()
        y = np.asarray(line.get_ydata(), dtype=float).ravel()
        if x.size >= 2 and x.size == y.size:
            out.append(np.column_stack([x, y]))
    return out


def marker_points(ax) -> np.ndarray:
    """Positions (k x 2, data coordinates) of every marker: ``plot(..., marker=...)`` points
    and ``scatter`` offsets."""
    points = []
    for line in ax.get_lines():
        if _has_marker(line):
            x = np.asarray(line.get_xdata(), dtype=float).ravel()
            y = np.asarray(line.get_ydata(), dtype=float).ravel()
            if x.size == y.size:
                points.extend(zip(x, y))
    for collection in ax.collections:
        offsets = np.asarray(collection.get_offsets(), dtype=float)
        if offsets.ndim == 2 and offsets.shape[1] == 2 and len(offsets):
            points.extend(map(tuple, offsets))
    return np.array(points, dtype=float).reshape(-1, 2)


def axes_texts(ax) -> list[str]:
    """Every text on the Axes: annotations, ``ax.text`` and legend entries."""
    texts = [t.get_text() for t in ax.texts]
    legend = ax.get_legend()
    if legend is not None:
        texts.extend(t.get_text() for t in legend.get_texts())
    return texts


def point_problems(fig, kernels: dict) -> list[str]:
    """What is wrong with a roofline figure's kernel points: each of ``kernels`` ({name:
    (FLOP/byte, GFLOP/s)}) needs exactly one marker at its coordinates on the first Axes and its
    name in an annotation, text or legend entry. Returns one sentence per problem ([] when none)."""
    ax = fig.axes[0]
    points, texts = marker_points(ax), axes_texts(ax)
    problems = []
    for name, (ai, rate) in kernels.items():
        hits = int(np.sum(np.isclose(points[:, 0], ai, rtol=1e-6)
                          & np.isclose(points[:, 1], rate, rtol=1e-6))) if len(points) else 0
        if hits != 1:
            problems.append(f"{name!r}: expected one marker at ({ai:.4g}, {rate:.4g}), found {hits}")
        if not any(name in text for text in texts):
            problems.append(f"{name!r}: the name appears in no annotation, text or legend entry")
    return problems


# ---------------------------------------------------------------------------------------------
# Checking a measurement's byte or FLOP count without timing anything


class OneSecondClock:
    """A stand-in for :func:`accel.benchmark` that times nothing.

    Every call reports exactly 1 second per call, runs nothing, and records the ndarrays the
    timed function would work on (:func:`timed_arrays`). A measurement function that divides its
    byte (or FLOP) count by the time then returns exactly that count / 1e9, which a test compares with the count the exercise asks
    for, whatever the machine's speed.
    """

    def __init__(self):
        self.calls: list[list[np.ndarray]] = []

    def __call__(self, fn, *args, **kwargs):
        from ..bench import Timing

        self.calls.append(timed_arrays(fn, args, kwargs))
        return Timing(samples=(1.0,))


class TimedArray:
    """What a :class:`OneSecondClock` recorded of an array in the learner's kernel, as the
    two-process grader receives it: its shape and dtype (and so ``size``, ``ndim``, ``nbytes``),
    not its data (a learner-side report)."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(int(n) for n in shape), np.dtype(dtype)
        if self.dtype.kind not in "biufc" or len(self.shape) > 32 or min(self.shape, default=0) < 0:
            raise ValueError("not an array's shape and dtype")

    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))
    ndim = property(lambda self: len(self.shape))
    nbytes = property(lambda self: self.size * self.dtype.itemsize)

    def __repr__(self) -> str:
        return f"<array {self.shape} {self.dtype}>"


def clocked_call(fn, *args, **kwargs):
    """``(fn(*args, **kwargs), calls)`` with ``benchmark`` replaced, where ``fn`` looks it up
    (its module's globals: the notebook's), by a :class:`OneSecondClock` for the call; ``calls``
    is what the clock recorded, a list of arrays per timed call. In the two-process grader the
    call runs in the learner's kernel and the arrays come back as :class:`TimedArray`."""
    __tracebackhide__ = True
    remote = getattr(type(fn), "clocked_call", None)
    if remote is not None:
        return remote(fn, *args, **kwargs)
    namespace = fn.__globals__
    clock, missing = OneSecondClock(), object()
    real = namespace.get("benchmark", missing)
    namespace["benchmark"] = clock
    try:
        result = fn(*args, **kwargs)
    finally:
        if real is missing:
            namespace.pop("benchmark", None)
        else:
            namespace["benchmark"] = real
    return result, clock.calls


def timed_arrays(fn, args=(), kwargs=None) -> list[np.ndarray]:
    """The ndarrays a call ``fn(*args, **kwargs)`` works on: its arguments (keyword arguments
    too), the arguments bound by ``functools.partial`` (nested partials too), and the arrays
    ``fn`` closes over."""
    arrays = [a for a in (*args, *(kwargs or {}).values()) if isinstance(a, np.ndarray)]
    while isinstance(fn, functools.partial):
        arrays += [a for a in (*fn.args, *fn.keywords.values()) if isinstance(a, np.ndarray)]
        fn = fn.func
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, np.ndarray):
            arrays.append(value)
    return arrays
