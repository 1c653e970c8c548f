"""The grader's own measurements and figure readers (notebook 04, the roofline).

The plausibility checks of notebook 04 compare the learner's measured roofs with measurements
the grader makes itself, in the same cell, by a different code path:

* :func:`trusted_bandwidth_gbs`: an out-of-place ``np.add`` on float32 arrays far larger than
  the last-level cache (the learner writes a triad on their own arrays);
* :func:`trusted_peak_gflops`: float32 ``np.matmul`` into a preallocated output, all threads.

Both keep the best *single call* of many. On a shared virtual machine a call is sometimes
stalled for tens of milliseconds (the other virtual CPU is descheduled); looping many calls
into one sample would average the stalls in, while the fastest single call does not see them.

The figure readers only collect what an Axes holds (lines, marker positions, texts); the
assertions about them live in the notebook's test cells.
"""
from __future__ import annotations

import glob
import os
import time

import numpy as np

from ..bench import pinned_threads

MiB = 1 << 20


def last_level_cache_bytes(default: int = 32 * MiB) -> int:
    """Size in bytes of the largest CPU cache Linux reports for cpu0 (``default`` elsewhere)."""
    sizes = []
    for folder in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*"):
        try:
            with open(os.path.join(folder, "type")) as f:
                if f.read().strip() == "Instruction":
                    continue
            with open(os.path.join(folder, "size")) as f:
                text = f.read().strip().upper()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            sizes.append(int(digits) * scale)
    return max(sizes) if sizes else default


def _best_single_call(fn, calls: int) -> float:
    """Fastest of ``calls`` timed single calls of ``fn()``, after one untimed warm-up call."""
    clock = time.perf_counter
    fn()
    best = float("inf")
    for _ in range(calls):
        start = clock()
        fn()
        best = min(best, clock() - start)
    return best


def trusted_bandwidth_gbs(calls: int = 12) -> float:
    """Main-memory bandwidth in GB/s (1e9 bytes/s) from ``np.add(x, y, out=z)``, one thread.

    x, y, z are float32 arrays of max(64 MiB, 2 x last-level cache) each, so the three never
    fit in cache. Bytes per element: read x, read y, and z twice (the cache first reads each
    line of z before it is overwritten, the write-allocate, then writes it back): 4 x 4 bytes.
    Counting the write-allocate puts this figure on the same footing as a two-pass NumPy triad
    counted as 5 array sweeps (whose second pass reads its output anyway).
    """
    n = max(64 * MiB, 2 * last_level_cache_bytes()) // 4
    x = np.full(n, 1.0, dtype=np.float32)
    y = np.full(n, 2.0, dtype=np.float32)
    z = np.full(n, 0.0, dtype=np.float32)
    seconds = _best_single_call(lambda: np.add(x, y, out=z), calls)
    return 4 * n * 4 / seconds / 1e9


def trusted_peak_gflops(sizes=(384, 512, 768), calls: int = 8) -> float:
    """Best float32 ``np.matmul`` rate in GFLOP/s over ``sizes``, with all BLAS threads.

    Each size is an N x N @ N x N product into a preallocated output: 2 N^3 FLOPs per call.
    """
    best = 0.0
    rng = np.random.default_rng(2024)
    with pinned_threads(None):
        for n in sizes:
            a = rng.standard_normal((n, n)).astype(np.float32)
            b = rng.standard_normal((n, n)).astype(np.float32)
            c = np.empty((n, n), dtype=np.float32)
            seconds = _best_single_call(lambda: np.matmul(a, b, out=c), calls)
            best = max(best, 2 * n**3 / seconds / 1e9)
    return best


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
