"""Timing helpers for learners and for the grader.

The machine you run on is shared and noisy. These helpers follow three rules:
warm up before timing, repeat and keep the best (or the median), and pin thread counts
so two measurements compare like with like.
"""
from __future__ import annotations

import contextlib
import statistics
import sys
import time
from dataclasses import dataclass, field

from threadpoolctl import threadpool_limits


@dataclass(frozen=True)
class Timing:
    """Seconds per call over ``len(samples)`` repeats (each repeat may loop ``number`` calls)."""

    samples: tuple[float, ...] = field(repr=False)
    number: int = 1

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def worst(self) -> float:
        return max(self.samples)

    def __str__(self) -> str:
        return (f"best {format_seconds(self.best)}, median {format_seconds(self.median)} "
                f"per call ({len(self.samples)} repeats x {self.number} calls)")


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)
_GLIBC_DEFAULT_TRIM, _GLIBC_DEFAULT_MMAP_MAX = 128 * 1024, 65536


def _glibc_malloc_functions():
    """(mallopt, malloc_trim) of glibc, or None elsewhere (macOS, musl, Windows)."""
    import ctypes  # local: no module attribute of this package hands ctypes to a notebook

    try:
        libc = ctypes.CDLL(None)
        mallopt, malloc_trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):
        return None
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    malloc_trim.argtypes, malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    return mallopt, malloc_trim


@contextlib.contextmanager
def steady_heap():
    """Keep freed memory in the process during the block, so timed calls do not page-fault.

    glibc returns large freed blocks to the kernel (each array over its mmap threshold is a
    fresh mapping; the heap top is trimmed), and the next call that allocates pays one page
    fault per 4 KiB it touches: thousands per call for a 16 MB array, which is as slow as the
    kernel itself on a virtual machine, and falls on whichever function allocates first. Here
    every allocation comes from the heap and nothing is trimmed, so after one warm-up call the
    timed calls reuse memory already mapped. The defaults come back, and the memory is
    released, at the end of the block. A no-op where glibc is not the C library.
    """
    functions = _glibc_malloc_functions()
    if functions is None:
        yield
        return
    mallopt, malloc_trim = functions
    mallopt(_M_MMAP_MAX, 0)
    mallopt(_M_TRIM_THRESHOLD, 1 << 30)
    try:
        yield
    finally:
        mallopt(_M_MMAP_MAX, _GLIBC_DEFAULT_MMAP_MAX)
        mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT_TRIM)
        malloc_trim(0)


@contextlib.contextmanager
def pinned_threads(n: int | None = 1):
    """Run the block with BLAS/OpenMP pools and numba limited to ``n`` threads.

    ``n=None`` leaves everything as it is. Pinning makes ratios between two kernels stable on a
    shared machine; it also means BLAS numbers are single-core numbers.
    """
    global PINNED
    if n is None:
        yield
        return
    numba = sys.modules.get("numba")  # only touch numba if the notebook already uses it
    previous = numba.get_num_threads() if numba is not None else None
    pinned_before, PINNED = PINNED, n
    with threadpool_limits(limits=n):
        if numba is not None:
            numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        try:
            yield
        finally:
            PINNED = pinned_before
            if numba is not None:
                numba.set_num_threads(previous)


PINNED: int | None = None  # the innermost pinned_threads' n: the two-process grader forwards it


def benchmark(fn, *args, warmup: int = 1, repeat: int = 5, min_time: float = 0.02,
              threads: int | None = None, **kwargs) -> Timing:
    """Time ``fn(*args, **kwargs)``: ``warmup`` untimed calls, then ``repeat`` timed samples.

    Each sample loops the call enough times to last at least ``min_time`` seconds, so very fast
    kernels are not lost in timer noise. Returns a :class:`Timing` (``.best``, ``.median``).
    ``threads`` pins BLAS and numba threads for the measurement (see :func:`pinned_threads`).
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    clock = time.perf_counter
    with pinned_threads(threads), steady_heap():
        for _ in range(warmup):
            fn(*args, **kwargs)
        number = 1
        while True:  # find how many calls make one sample last min_time
            start = clock()
            for _ in range(number):
                fn(*args, **kwargs)
            elapsed = clock() - start
            if elapsed >= min_time or number >= 1 << 20:
                break
            number *= 2 if elapsed == 0 else max(2, min(10, int(min_time / elapsed) + 1))
        samples = [elapsed / number]
        for _ in range(repeat - 1):
            start = clock()
            for _ in range(number):
                fn(*args, **kwargs)
            samples.append((clock() - start) / number)
    return Timing(tuple(samples), number)


def gflops(flops: float, seconds: float) -> float:
    """Billions of floating-point operations per second."""
    return flops / seconds / 1e9


def gbs(bytes_moved: float, seconds: float) -> float:
    """Gigabytes (1e9 bytes) per second."""
    return bytes_moved / seconds / 1e9


@contextlib.contextmanager
def skip_unfinished():
    """Run a demonstration; if a kernel it calls is not written yet, say so in one line.

    ``with skip_unfinished(): ...`` stops the block at the first ``NotImplementedError`` (the
    stub of an exercise you have not done) or ``NameError`` (a name that an unfinished cell
    above did not define) and prints ``skipped: <its message>`` instead of a traceback. Any
    other error shows as usual. Only the course's demonstration cells use it; test cells fail.
    """
    try:
        yield
    except NotImplementedError as err:
        print(f"skipped: {err}")
    except NameError as err:  # a name an unfinished cell above did not get to define
        print(f"skipped: {err} (a cell above has not run to the end yet)")
