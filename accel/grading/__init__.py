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
import itertools
import json
import os
import statistics
import time
import tracemalloc
import warnings
from dataclasses import dataclass

import numpy as np

from ..bench import pinned_threads, steady_heap
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
    """A paired timing: per-call seconds of each side (medians over the rounds) and the ratio
    measured in each round; the verdict is the median of the rounds' ratios."""
    baseline_seconds: float
    candidate_seconds: float
    mismatch: str = ""  # non-empty: a timed result of the candidate was not the baseline's
    round_ratios: tuple[float, ...] = ()

    @property
    def ratio(self) -> float:
        """How many times faster the candidate is than the baseline: the median of the rounds'
        ratios (each round times both sides back to back, so a slow spell of the machine
        affects one round's two timings together, not one side's best)."""
        if self.round_ratios:
            return statistics.median(self.round_ratios)
        return self.baseline_seconds / self.candidate_seconds

    def __str__(self) -> str:
        spread = (f", rounds {min(self.round_ratios):.1f}-{max(self.round_ratios):.1f}x"
                  if len(self.round_ratios) > 1 else "")
        return (f"{self.ratio:.1f}x (median of {max(len(self.round_ratios), 1)} rounds{spread}; "
                f"baseline {self.baseline_seconds * 1e3:.3f} ms, "
                f"candidate {self.candidate_seconds * 1e3:.3f} ms per call)")


def _copy_of(args):
    return tuple(a.copy() if type(a) is np.ndarray else Tensor(a.data.copy()) if type(a) is Tensor else a
                 for a in args)


def _outcome(result, args):
    """What a call produced: its return value, and the arrays it was given (kernels that write
    into an ``out`` argument return None)."""
    value = result.data if type(result) is Tensor else result
    arrays = [a.data if type(a) is Tensor else a for a in args]
    return value, [a for a in arrays if isinstance(a, np.ndarray)]


def _same(one, other) -> bool:
    """Two outcomes (return value, arrays passed) agree."""
    return (_agree(one[0], other[0]) and len(one[1]) == len(other[1])
            and all(_agree(g, e) for g, e in zip(one[1], other[1])))


def _agree(got, expected) -> bool:
    if got is None or expected is None:
        return got is None and expected is None
    try:
        got, expected = np.asarray(got), np.asarray(expected)
        if got.shape != expected.shape:
            return False
        if expected.dtype.kind not in "fc":
            return bool(np.array_equal(got, expected))
        scale = float(np.nanmax(np.abs(expected))) if expected.size else 0.0
        return bool(np.allclose(got, expected, rtol=1e-3, atol=1e-3 * max(scale, 1e-30), equal_nan=True))
    except (TypeError, ValueError):
        return False


def _timed_calls(fn, make_args, seeds, clock, window: float):
    """Seconds per call of ``fn``, called until the calls add up to at least ``window`` seconds
    (at least one call). Every call gets ``make_args(seed)`` of a seed no other call used:
    fresh random inputs, made outside the timed region, so neither a cache keyed on identity
    or content nor one keyed on "nearly the same array" ever hits. Returns the seconds per
    call, the last call's arguments (as they were before the call) and its outcome."""
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    number, total = 0, 0.0
    while True:
        call_args = make_args(next(seeds))
        before = _copy_of(call_args)  # kept unchanged for the check
        start = clock()
        result = fn(*call_args)
        total += clock() - start
        number += 1
        if total >= window:  # the last timed call is the one checked
            return total / number, (before, _outcome(result, call_args))


def speed_ratio(candidate, baseline, make_args, *, repeats: int = 5, warmup: int = 1,
                threads: int | None = 1, min_time: float = 0.002,
                clock=time.perf_counter) -> SpeedRatio:
    """Time ``candidate`` against ``baseline`` in this process, in paired, alternating rounds.

    ``make_args(seed)`` returns a fresh argument tuple for any non-negative int ``seed``; every
    call, timed or not, is given ``make_args`` of a seed no other call used (fresh random
    inputs: a kernel cannot answer from a cache of inputs it has seen, not even of nearly the
    same ones). The rules that make the verdict hold on a busy machine:

    * each round times both functions back to back, and which goes first alternates;
    * both sides are timed over a window at least as long as one baseline call (measured in
      the warm-up round), so a short kernel is not timed in the gaps between the moments the
      machine takes the core away while the long baseline is always caught by them;
    * the verdict is the median of the rounds' ratios, not each side's best round;
    * thread pools are pinned (``threads``) and garbage collection is off while timing.

    The last timed result of the candidate in each round is checked, after that round's timing,
    against the candidate itself run again on a copy of the same arguments, with the baseline as
    arbiter: when the kernel alone gives the baseline's answer but its timed call returned
    something else, that is recorded in ``mismatch`` and :func:`require_speedup` fails (no speed
    credit for results a timed call did not compute). A kernel that is simply wrong is left to
    its values tests (one mistake costs only its own points).

    Memory stays at one steady state (:func:`~accel.bench.steady_heap`): the warm-up is a
    whole untimed round, each round's check is done and its arrays freed before the next round,
    and freed memory is kept mapped, so no timed call pays page faults for a growing heap.
    ``clock`` is the timer (tests pass a simulated one).
    """
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    seeds = itertools.count()
    window = min_time
    if _BASELINE_HOOK is not None:  # the two-process grader: the baseline crosses as the learner's calls do
        baseline = _BASELINE_HOOK(baseline)
    ratios, candidate_times, baseline_times = [], [], []
    mismatch = ""
    with pinned_threads(threads), steady_heap(), quiet(), _timing_scope():
        for i in range(warmup):  # untimed: a whole round, so the heap reaches its steady size
            _timed_round(candidate, baseline, make_args, seeds, clock, 0.0, i)
        # The window is one *warm* baseline call: the warm-up's first call may compile or fault
        # (a 0.3 s window made a 5 ms kernel's check run 17 s: fresh inputs for every call).
        _, b_seconds, _ = _timed_round(candidate, baseline, make_args, seeds, clock, 0.0, warmup)
        window = max(window, b_seconds)
        for i in range(repeats):
            c_seconds, b_seconds, problem = _timed_round(candidate, baseline, make_args, seeds,
                                                         clock, window, i)
            candidate_times.append(c_seconds)
            baseline_times.append(b_seconds)
            ratios.append(b_seconds / c_seconds if c_seconds > 0 else float("inf"))
            mismatch = mismatch or problem
    return SpeedRatio(statistics.median(baseline_times), statistics.median(candidate_times),
                      mismatch, tuple(ratios))


_SIDE_HOOK = None  # the two-process grader's: called with "c" or "b" before each side is timed


def set_side_hook(hook) -> None:
    """``hook(side)`` runs before each side of a timed round ("c" the candidate, "b" the
    baseline) and with "c" after it, and with "begin" and "end" around a whole timing: the
    two-process grader puts both sides on one core for the timing and freezes the learner's
    sandbox while its baseline runs (:mod:`accel_instructor.bridge`)."""
    global _SIDE_HOOK
    _SIDE_HOOK = hook


_BASELINE_HOOK = None  # the two-process grader's: a baseline -> the same baseline, called across


def set_baseline_hook(hook) -> None:
    """``hook(baseline)`` returns the function :func:`speed_ratio` times as the baseline: the
    two-process grader runs the grader's own baselines in a trusted process of its own, called
    across the same boundary as the learner's kernel (:mod:`accel_instructor.bridge`)."""
    global _BASELINE_HOOK
    _BASELINE_HOOK = hook


@contextlib.contextmanager
def _timing_scope():
    if _SIDE_HOOK is not None:
        _SIDE_HOOK("begin")
    try:
        yield
    finally:
        if _SIDE_HOOK is not None:
            _SIDE_HOOK("end")


def _timed_round(candidate, baseline, make_args, seeds, clock, window: float, i: int):
    """One round: both functions timed (the candidate first in even rounds), then the
    candidate's last timed result checked. Returns (candidate s, baseline s, mismatch)."""
    seconds, checked = {}, None
    order = (("c", candidate), ("b", baseline))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for tag, fn in order if i % 2 == 0 else order[::-1]:
            if _SIDE_HOOK is not None:
                _SIDE_HOOK(tag)
            seconds[tag], last = _timed_calls(fn, make_args, seeds, clock, window)
            if tag == "c":
                checked = last
    finally:
        if _SIDE_HOOK is not None:
            _SIDE_HOOK("c")
        if gc_was_enabled:
            gc.enable()
    before, outcome = checked
    return seconds["c"], seconds["b"], _timed_result_mismatch(candidate, baseline, before,
                                                                 outcome, i)


def _timed_result_mismatch(candidate, baseline, before, outcome, round_index: int) -> str:
    """Why a timed call's ``outcome`` cannot be credited, or "" when it can: the candidate run
    alone on a copy of the same inputs, with the baseline as arbiter."""
    reference = _copy_of(before)
    expected = _outcome(baseline(*reference), reference)
    time.sleep(0.02)  # apart from the timing: no "called again at once" shortcut applies
    again = _outcome(candidate(*before), before)
    # flagged only when the kernel is right on its own (it agrees with the baseline on these
    # inputs) but its timed call returned something else: a wrong kernel loses its values
    # tests, not its speed test too
    if not _same(outcome, again) and _same(again, expected):
        return (f"in round {round_index + 1}, a timed call returned something other than the "
                f"same kernel returns for the same inputs outside the timing; every timed call "
                f"must compute its result (no caching, no shortcuts while timed)")
    return ""


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
    if ratio.mismatch:
        raise AssertionError(f"{what}: not credited: {ratio.mismatch}")
    if not ratio.ratio >= at_least:
        _fail(f"{what}: expected at least {at_least:g}x, measured {ratio}")


def require_at_least(ratio: float, at_least: float, what: str, hint: str = "") -> None:
    """Assert ``ratio >= at_least`` for a ratio the test measured itself (two rates of the
    learner's own kernels, say); logged like :func:`require_speedup` for the stability
    benchmark. ``what`` names the check (keep it the same from run to run); ``hint`` says what
    to look at when it fails."""
    __tracebackhide__ = True  # IPython then shows the message, not this helper
    _log_ratio(what, ratio, at_least)
    if not ratio >= at_least:
        _fail(f"{what}: expected at least {at_least:g}x, measured {ratio:.2f}x. {hint}".rstrip())


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
    traced_call = getattr(type(fn), "traced_call", None)
    if traced_call is not None:  # a learner's function in the two-process grader: measured there
        return traced_call(fn, *args, **kwargs)[1]
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
