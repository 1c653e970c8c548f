"""Helpers for the course's test cells: clear assertions, paired timing, memory peaks.

Everything here is used by visible *and* hidden tests, so it holds no answers: hidden tests
live only in the source notebooks (and nbgrader's gradebook), never in this package.

Each check raises ``AssertionError`` with a message that says what was expected, what came,
and what to look at next; nothing here writes to stderr (nbgrader zeroes a graded cell that
does).
"""
from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import time
import tracemalloc
import warnings
from dataclasses import dataclass

import numpy as np

from ..bench import pinned_threads
from ..tensor import Tensor


def _fail(message: str):
    """Raise a check's AssertionError: in a notebook, the one short frame of these helpers that
    IPython shows (the others set ``__tracebackhide__``), right above the message."""
    raise AssertionError(message) from None


def as_array(result, what: str = "result") -> np.ndarray:
    """The ndarray inside a kernel's result; the kernels must return a :class:`Tensor`.

    The types are checked exactly: a subclass could override ``dtype`` or comparisons and make
    a wrong answer look right.
    """
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    if type(result) is not Tensor:
        _fail(
            f"{what}: expected a Tensor, got {type(result).__name__}. "
            f"Wrap the ndarray you computed: return Tensor(array)."
        )
    if type(result.data) is not np.ndarray:
        _fail(
            f"{what}: expected a Tensor holding a plain numpy.ndarray, got one holding "
            f"{type(result.data).__name__}. Return Tensor(np.asarray(...))."
        )
    return result.data


def check_close(got, expected, *, rtol: float = 1e-5, atol: float = 1e-6,
                what: str = "result") -> None:
    """Assert shape equality and element-wise closeness, explaining the first difference."""
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    got = got.data if isinstance(got, Tensor) else np.asarray(got)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        _fail(f"{what}: expected shape {expected.shape}, got {got.shape}.")
    if not np.all(np.isfinite(got[np.isfinite(expected)])):
        _fail(f"{what}: contains inf or nan where the reference is finite.")
    err = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    bound = atol + rtol * np.abs(expected.astype(np.float64))
    bad = err > bound
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        _fail(
            f"{what}: {int(bad.sum())} of {bad.size} values differ from the reference "
            f"(first at index {where}: expected {expected[where]!r}, got {got[where]!r}; "
            f"tolerance rtol={rtol}, atol={atol})."
        )


def check_dtype(got, expected_dtype, what: str = "result") -> None:
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    dtype = got.dtype
    if dtype != np.dtype(expected_dtype):
        _fail(
            f"{what}: expected dtype {np.dtype(expected_dtype)}, got {dtype}. "
            f"Look for a float64 constant or a conversion that promotes the data."
        )


@contextlib.contextmanager
def expect_value_error(*must_mention: str, what: str = "call"):
    """Assert that the block raises ValueError whose message mentions every given string."""
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    try:
        yield
    except ValueError as err:
        message = str(err)
        missing = [text for text in must_mention if text not in message]
        if missing:
            _fail(
                f"{what}: raised ValueError({message!r}), but the message should mention "
                f"{', '.join(missing)} so the caller can see what went wrong."
            )
    except Exception as err:  # noqa: BLE001 - any other type is the learner's bug to see
        _fail(
            f"{what}: expected ValueError, got {type(err).__name__}: {err}"
        )
    else:
        _fail(f"{what}: expected ValueError, but nothing was raised.")


@contextlib.contextmanager
def quiet():
    """Silence warnings and stderr for the block (nbgrader zeroes a cell that writes stderr)."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@dataclass(frozen=True)
class SpeedRatio:
    baseline_seconds: float
    candidate_seconds: float

    @property
    def ratio(self) -> float:
        """How many times faster the candidate is than the baseline."""
        return self.baseline_seconds / self.candidate_seconds

    def __str__(self) -> str:
        return (f"{self.ratio:.1f}x (baseline best {self.baseline_seconds * 1e3:.3f} ms, "
                f"candidate best {self.candidate_seconds * 1e3:.3f} ms)")


def _best_time(fn, args, clock, min_time):
    """Seconds per call of fn(*args), looped to last at least min_time."""
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    number = 0
    start = clock()
    while True:
        fn(*args)
        number += 1
        elapsed = clock() - start
        if elapsed >= min_time:
            return elapsed / number


def speed_ratio(candidate, baseline, make_args, *, repeats: int = 5, warmup: int = 1,
                threads: int | None = 1, min_time: float = 0.002) -> SpeedRatio:
    """Time ``candidate`` against ``baseline`` in this process, paired and interleaved.

    ``make_args(i)`` returns a fresh argument tuple for round ``i``, so a kernel cannot answer
    from a cache of inputs it has already seen. Each round times both functions on the same
    arguments, alternating which goes first; the best round of each is kept. Thread pools are
    pinned (``threads``) so the ratio does not depend on what else the machine is doing.
    """
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    clock = time.perf_counter
    best_candidate = best_baseline = float("inf")
    with pinned_threads(threads), quiet():
        for i in range(warmup):
            args = make_args(-1 - i)
            candidate(*args)
            baseline(*args)
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for i in range(repeats):
                args = make_args(i)
                pair = [(candidate, "c"), (baseline, "b")]
                if i % 2:
                    pair.reverse()
                for fn, tag in pair:
                    seconds = _best_time(fn, args, clock, min_time)
                    if tag == "c":
                        best_candidate = min(best_candidate, seconds)
                    else:
                        best_baseline = min(best_baseline, seconds)
        finally:
            if gc_was_enabled:
                gc.enable()
    return SpeedRatio(best_baseline, best_candidate)


def _log_ratio(what: str, ratio: float, threshold) -> None:
    log = os.environ.get("ACCEL_RATIO_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(json.dumps({"check": what, "ratio": ratio, "threshold": threshold}) + "\n")


def require_speedup(ratio: SpeedRatio, at_least: float, what: str) -> None:
    """Assert that ``ratio`` reaches ``at_least``; the message gives both numbers.

    When ``ACCEL_RATIO_LOG`` names a file (the grader-stability benchmark sets it), the
    measurement is appended to it as one JSON line, pass or fail.
    """
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    _log_ratio(what, ratio.ratio, at_least)
    if not ratio.ratio >= at_least:
        _fail(f"{what}: expected at least {at_least:g}x, measured {ratio}")


def require_within(ratio: float, low: float, high: float, what: str, hint: str = "") -> None:
    """Assert ``low <= ratio <= high`` (a measurement against the grader's own); logged like
    :func:`require_speedup` for the stability benchmark. ``what`` names the check (keep it the
    same from run to run); ``hint`` adds the measured values and what to look at."""
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    _log_ratio(what, ratio, f"{low:g}-{high:g}")
    if not low <= ratio <= high:
        _fail(f"{what}: expected between {low:g}x and {high:g}x of the grader's "
                             f"measurement, got {ratio:.2f}x. {hint}".rstrip())


def traced_peak_bytes(fn, *args, **kwargs) -> int:
    """Peak bytes allocated (as NumPy reports them to tracemalloc) while ``fn`` runs.

    The result array counts too: a kernel that returns a new n-element float32 array has a
    peak of at least 4n bytes. Temporaries show up as the excess over that.
    """
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.clear_traces()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        with quiet():
            fn(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - base
