"""The learner package of the Acceleration course: everything a student's notebooks import.

* :class:`Tensor`, :func:`benchmark`, :func:`pinned_threads`, :func:`gflops`, :func:`gbs` - what
  the exercises build on; :func:`skip_unfinished` - demonstrations skip kernels not written yet;
* :mod:`accel.machine` - caches and memory of this machine, probed the same way in every notebook;
* :mod:`accel.grading` - the helpers that test cells call (they hold no answers);
* :mod:`accel.siblings` - notebook 04 loads your kernels from your notebooks 01-03;
* :mod:`accel.policy` - the self-check: ``python -m accel.policy acceleration/*.ipynb``.

It is shipped to students whole. The instructor's tooling (CLI, grading, the grader's reference
baselines) is the separate package ``accel_instructor`` and never ships.
"""
from .bench import Timing, benchmark, gbs, gflops, pinned_threads, skip_unfinished
from .tensor import Tensor

__all__ = ["Tensor", "Timing", "benchmark", "gbs", "gflops", "pinned_threads", "skip_unfinished"]
