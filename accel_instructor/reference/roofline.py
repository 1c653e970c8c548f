"""The grader's own roof measurements for notebook 04 (answers in themselves: never shipped).

The plausibility checks compare the learner's measured roofs with measurements the grader makes
itself, in the same cell, by a different code path:

* :func:`trusted_bandwidth_gbs`: an out-of-place ``np.add`` on float32 arrays far larger than
  the last-level cache (the learner writes a triad on their own arrays);
* :func:`trusted_peak_gflops`: float32 ``np.matmul`` into a preallocated output, all threads.

Both keep the best *single call* of many. On a shared virtual machine a call is sometimes
stalled for tens of milliseconds (the other virtual CPU is descheduled); looping many calls
into one sample would average the stalls in, while the fastest single call does not see them.
"""
from __future__ import annotations

import time

import numpy as np

from accel.machine import array_bytes_beyond_caches


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
    fit in cache, capped by the course's memory budget (accel.machine.array_bytes_beyond_caches).
    Bytes per element by notebook 04's rule (one sweep per array read, two per array written):
    read x, read y, and z twice (the cache first reads each line of z before it is overwritten,
    the write-allocate, then writes it back): 4 x 4 bytes. The learner's two-pass NumPy triad
    counted the same way makes 6 sweeps, so the two figures are on the same footing.
    """
    n = array_bytes_beyond_caches(arrays=3, note=False) // 4
    x = np.full(n, 1.0, dtype=np.float32)
    y = np.full(n, 2.0, dtype=np.float32)
    z = np.full(n, 0.0, dtype=np.float32)
    seconds = _best_single_call(lambda: np.add(x, y, out=z), calls)
    return 4 * n * 4 / seconds / 1e9


def trusted_peak_gflops(sizes=(256, 512), calls: int = 8) -> float:
    """Best float32 ``np.matmul`` rate in GFLOP/s over ``sizes``, with the threads the caller
    allows (see accel.bench.pinned_threads).

    Each size is an N x N @ N x N product into a preallocated output: 2 N^3 FLOPs per call. The
    sizes are those the learner's function uses while grading, so both see the same caches.
    """
    best = 0.0
    rng = np.random.default_rng(2024)
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        c = np.empty((n, n), dtype=np.float32)
        seconds = _best_single_call(lambda: np.matmul(a, b, out=c), calls)
        best = max(best, 2 * n**3 / seconds / 1e9)
    return best
