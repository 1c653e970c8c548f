"""Support package of the Acceleration course: what learners import, and what the grader needs.

Learners use :class:`Tensor`, :func:`benchmark` and :func:`pinned_threads`. The grader's helpers
live in :mod:`accel.grading`; the instructor command line in :mod:`accel.cli`.
"""
from .bench import Timing, benchmark, gbs, gflops, pinned_threads
from .tensor import Tensor

__all__ = ["Tensor", "Timing", "benchmark", "gbs", "gflops", "pinned_threads"]
