# ---
# jupyter:
#   jupytext:
#     formats: notebooks///py:percent,source/acceleration///ipynb
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · The roofline model: how fast could this kernel possibly be?
#
# The first three notebooks made kernels faster: BLAS instead of loops, fused instead of
# unfused, cache-friendly instead of cache-hostile. This one asks a different question: **how
# much faster could each of them still get?** The answer comes from two numbers you will
# measure on your own machine and one number you compute for each kernel. In this notebook you
# will
#
# 1. count the *arithmetic intensity* of a kernel: FLOPs per byte it has to move,
# 2. turn two hardware limits (a compute roof and a memory roof) into the roofline model,
# 3. measure both roofs on **your** machine,
# 4. draw the roofline and place the kernels of notebooks 01-03 on it, measured here, and
# 5. decide, for each kernel, which roof holds it back, how far below it sits, and what would
#    move it.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell right
# below. The visible tests give quick feedback; the grader runs more tests on other inputs.
#
# **Memory.** Each notebook of this course, solved, runs within 2 GiB (the size of a Binder
# session). Arrays meant to be larger than your caches are sized from your caches and capped
# to fit that budget (`accel.machine.array_bytes_beyond_caches`); a printed note says when the
# cap keeps part of a measurement in cache.

# %% nbgrader={"grade": false, "grade_id": "setup_roofline", "locked": true, "schema_version": 3, "solution": false, "task": false}
import io
import math
import os
import platform

import matplotlib.pyplot as plt
import numba
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter
from threadpoolctl import threadpool_info

from numba import njit, prange

from accel import benchmark, gbs, gflops, skip_unfinished
from accel.bench import pinned_threads
from accel.grading import quiet
from accel.machine import (array_bytes_beyond_caches, blas_thread_control, cache_hierarchy,
                           last_level_cache_bytes, memory_budget_bytes, usable_cpus)

# While nbgrader grades a submission it sets NBGRADER_EXECUTION; the exploratory
# measurements then use smaller sizes so that grading stays quick.
GRADING = "NBGRADER_EXECUTION" in os.environ

blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
print(f"Python {platform.python_version()}, NumPy {np.__version__}, {usable_cpus()['count']} usable CPU(s)")
if blas_thread_control()["note"]:  # Accelerate (macOS): "1 thread" BLAS may use several cores
    print(blas_thread_control()["note"])
for pool in blas:
    print(f"BLAS: {pool['internal_api']} {pool.get('version')}, "
          f"{pool['num_threads']} thread(s), built for {pool.get('architecture')}")
print(f"largest cache reported for cpu0: {last_level_cache_bytes() / 2**20:.0f} MiB; "
      f"memory budget {memory_budget_bytes() / 2**30:.1f} GiB")

# %% [markdown]
# ## Two ways to be slow
#
# Every kernel does two kinds of work: it computes (multiplies, adds, a `tanh`), and it moves
# data between main memory and the core. Both have a top speed:
#
# * the **compute roof** $P$, in GFLOP/s: how many floating-point operations per second the
#   cores can finish at best;
# * the **memory roof** $B$, in GB/s: how many bytes per second main memory can deliver.
#
# Which one limits a kernel depends on how much computing it does *per byte it moves*. That
# ratio is the kernel's **arithmetic intensity**:
#
# $$I = \frac{\text{FLOPs}}{\text{bytes moved}} \quad \text{(FLOP/byte)}$$
#
# **How this notebook counts bytes** (one rule, used for the memory roof, every kernel, the
# all-threads roofs and the grader's own measurements): "bytes moved" is the traffic between
# main memory and the core that the computation cannot avoid, *as the memory system carries
# it*. Every input is read once. Every output is written once **and read once before that**:
# a CPU cache works in whole lines, so a store to a line that is not in the cache first loads
# the line (the *write-allocate*), then the modified line is written back. So an output array
# costs two sweeps of memory, an input one. You will measure this below rather than take it on
# trust. A version of the kernel that makes extra passes over memory moves more than that; it
# then shows up *below* the roof, and the gap is the traffic it wastes.

# %% [markdown]
# ## Exercise 1 · `arithmetic_intensity`
#
# Write `arithmetic_intensity(flops, bytes_moved)`, returning FLOPs per byte as a `float`.
#
# For example, scaling a float64 vector, `y = 2.5 * x` with `n` elements, does `n`
# multiplications and moves `3 * 8 * n` bytes by the rule above (read `x`; read and write
# `y`): 1/24 FLOP per byte, whatever `n` is.

# %% nbgrader={"grade": false, "grade_id": "arithmetic_intensity", "locked": false, "schema_version": 3, "solution": true, "task": false}
def arithmetic_intensity(flops: float, bytes_moved: float) -> float:
    """FLOPs per byte moved (FLOP/byte).

    flops: floating-point operations of the kernel; bytes_moved: bytes it reads and writes
    (positive). Returns a float.
    """
    ### BEGIN SOLUTION
    return float(flops) / float(bytes_moved)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_arithmetic_intensity", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""arithmetic_intensity: FLOPs divided by bytes, as a float."""
from accel.grading import check_close

got = arithmetic_intensity(1_000_000, 12_000_000)
assert isinstance(got, (float, np.floating)), f"expected a float, got {type(got).__name__}"
check_close(got, 1 / 12, rtol=1e-12, atol=0, what="arithmetic_intensity(1e6, 12e6)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(404)
for _flops, _bytes in zip(10 ** _rng.uniform(0, 12, 8), 10 ** _rng.uniform(0, 12, 8)):
    _want = _flops / _bytes
    _got = arithmetic_intensity(_flops, _bytes)
    assert isinstance(_got, (float, np.floating)), f"expected a float, got {type(_got).__name__}"
    check_close(_got, _want, rtol=1e-12, atol=0,
                what=f"arithmetic_intensity({_flops:.4g}, {_bytes:.4g})")
_got = arithmetic_intensity(7, 2)  # integers must not be divided as integers
check_close(_got, 3.5, rtol=1e-12, atol=0, what="arithmetic_intensity(7, 2)")
### END HIDDEN TESTS

# %% [markdown]
# ## The roofline
#
# A kernel with intensity $I$ that streams its data at the full memory bandwidth $B$ performs
# $I \cdot B$ GFLOP/s; it cannot go faster than that, because the data does not arrive faster.
# It cannot go faster than $P$ either. So the best rate it can *attain* is
#
# $$\text{attainable}(I) = \min(P,\; I \cdot B).$$
#
# Plotted against $I$ on log-log axes this is a sloped line (the memory roof) that meets a flat
# line (the compute roof). They meet at the **ridge point** $I^* = P / B$:
#
# * a kernel with $I < I^*$ is **memory-bound**: even at full bandwidth it cannot keep the
#   arithmetic units busy, and only moving fewer bytes (or getting more bandwidth) helps;
# * a kernel with $I > I^*$ is **compute-bound**: the data arrives faster than it can be used,
#   and only doing the arithmetic faster (SIMD, more cores, lower precision) helps.
#
# ## Exercise 2 · `ridge_point` and `attainable_gflops`
#
# Write `ridge_point(peak_gflops, bandwidth_gbs)`, the intensity in FLOP/byte where the two
# roofs meet, and `attainable_gflops(ai, peak_gflops, bandwidth_gbs)`, the formula above.
# `attainable_gflops` must work when `ai` is a single number **and** when it is a NumPy array
# of intensities (then it returns an array of the same shape). GFLOP/s and GB/s use the same
# 1e9, so `ai * bandwidth_gbs` is already in GFLOP/s.

# %% nbgrader={"grade": false, "grade_id": "ridge_point", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ridge_point(peak_gflops: float, bandwidth_gbs: float) -> float:
    """Arithmetic intensity (FLOP/byte) at which the memory roof reaches the compute roof."""
    ### BEGIN SOLUTION
    return float(peak_gflops) / float(bandwidth_gbs)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_ridge_point", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""ridge_point: peak divided by bandwidth (FLOP/byte)."""
check_close(ridge_point(100.0, 20.0), 5.0, rtol=1e-12, atol=0, what="ridge_point(100, 20)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(4040)
for _peak, _bw in zip(_rng.uniform(1, 5000, 6), _rng.uniform(1, 2000, 6)):
    _want = _peak / _bw
    check_close(ridge_point(_peak, _bw), _want, rtol=1e-12, atol=0,
                what=f"ridge_point({_peak:.4g}, {_bw:.4g})")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "attainable_gflops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attainable_gflops(ai, peak_gflops: float, bandwidth_gbs: float):
    """Roofline bound in GFLOP/s: min(peak, ai * bandwidth).

    ai: a number or an ndarray of arithmetic intensities (FLOP/byte). Returns a float for a
    number, an ndarray of the same shape for an array.
    """
    ### BEGIN SOLUTION
    return np.minimum(peak_gflops, np.multiply(ai, bandwidth_gbs))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_attainable_gflops_scalar", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""attainable_gflops: the lower of the two roofs, for single intensities."""
check_close(attainable_gflops(1.0, 100.0, 20.0), 20.0, rtol=1e-12, atol=0,
            what="attainable_gflops(1, peak=100, bandwidth=20)")
check_close(attainable_gflops(50.0, 100.0, 20.0), 100.0, rtol=1e-12, atol=0,
            what="attainable_gflops(50, peak=100, bandwidth=20)")
got = attainable_gflops(1.0, 100.0, 20.0)
assert np.ndim(got) == 0, f"attainable_gflops of a number should be a number, got {got!r}"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(40401)
for _ai, _peak, _bw in zip(10 ** _rng.uniform(-3, 3, 10), _rng.uniform(5, 3000, 10),
                           _rng.uniform(1, 500, 10)):
    _want = min(_peak, _ai * _bw)
    _got = attainable_gflops(float(_ai), float(_peak), float(_bw))
    assert np.ndim(_got) == 0, f"attainable_gflops of a number should be a number, got {_got!r}"
    check_close(_got, _want, rtol=1e-12, atol=0,
                what=f"attainable_gflops({_ai:.4g}, {_peak:.4g}, {_bw:.4g})")
check_close(attainable_gflops(4.0, 80.0, 20.0), 80.0, rtol=1e-12, atol=0,
            what="attainable_gflops at the ridge point")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attainable_gflops_arrays", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""attainable_gflops: works element-wise on an array of intensities."""
ais = np.array([0.1, 1.0, 5.0, 10.0, 100.0])
got = np.asarray(attainable_gflops(ais, 100.0, 20.0))
check_close(got, [2.0, 20.0, 100.0, 100.0, 100.0], rtol=1e-12, atol=0,
            what="attainable_gflops([0.1, 1, 5, 10, 100], peak=100, bandwidth=20)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(40402)
for _shape in [(1,), (17,), (3, 4)]:
    _ais = 10 ** _rng.uniform(-3, 3, _shape)
    _peak, _bw = float(_rng.uniform(5, 3000)), float(_rng.uniform(1, 500))
    _want = np.minimum(_peak, _ais * _bw)  # before the call: the input may be mutated
    _got = np.asarray(attainable_gflops(_ais, _peak, _bw))
    check_close(_got, _want, rtol=1e-12, atol=0,
                what=f"attainable_gflops on an array of shape {_shape}")
### END HIDDEN TESTS

# %% [markdown]
# ## Measuring the memory roof
#
# The memory roof is the rate at which data streams between main memory and the cores. The
# classic way to measure it is the STREAM *triad*, `a = b + s * c` on arrays far too large for
# any cache. Three things matter:
#
# * **Arrays well beyond the last-level cache.** Otherwise part of the data comes from cache
#   and you measure the cache, not memory. Use at least 64 MiB per array, and at least twice the
#   largest cache (the setup cell printed it), with all three arrays allocated before timing.
#   `array_bytes_beyond_caches(arrays=3)` (imported above) gives exactly that size in bytes,
#   capped so that the three arrays fit in the memory budget.
# * **A preallocated output.** `a = b + s * c` allocates two new arrays every call, and fresh
#   memory costs page faults the first time it is touched. Write into `a` with `out=`.
# * **Honest byte counting.** NumPy cannot do the triad in one pass. It runs
#   `np.multiply(c, s, out=a)` and then `np.add(a, b, out=a)`, two full passes over memory.
#   Count the array sweeps of each pass with this notebook's rule (an input: one sweep; an
#   output not yet in the cache: two, the write-allocate read and the write; an array that the
#   same pass has just read is already in the cache when it is written). Each sweep is
#   `n * itemsize` bytes. STREAM's single compiled loop would count fewer, and counting too few
#   understates your bandwidth.
#
# On a shared machine a call is now and then interrupted by something else. Time **single
# calls** (`benchmark(..., min_time=0)`) and keep the fastest: that one ran undisturbed, and the
# roof is about what the hardware *can* do.
#
# ### Does a write cost one sweep or two? Measure it
#
# Three compiled loops, one thread, on float32 arrays far larger than the cache: a read-only
# sum (reads one array), a fill (writes one array, reads none) and a scale-copy `dst = s * src`
# (reads one array, writes another; the factor keeps the compiler from swapping in `memcpy`,
# whose large copies may bypass the cache). Each rate is shown twice: counting only the reads
# and writes in the code, and counting a write-allocate read for every written array too. The
# count that gives all three about the same bandwidth is the one the memory system follows.

# %%
@njit(cache=False, fastmath={"reassoc"})
def read_sum(src, reps):
    """Sum of src (1-D float32, a multiple of 8 long), reps times over: reps * src.nbytes bytes
    read, nothing written. Eight partial sums over eight blocks of src keep eight independent
    vector additions in flight, enough to hide an addition's latency even from L1."""
    q = src.size // 8
    t0 = t1 = t2 = t3 = t4 = t5 = t6 = t7 = src.dtype.type(0)
    for _ in range(reps):
        for i in range(q):
            t0 += src[i]
            t1 += src[i + q]
            t2 += src[i + 2 * q]
            t3 += src[i + 3 * q]
            t4 += src[i + 4 * q]
            t5 += src[i + 5 * q]
            t6 += src[i + 6 * q]
            t7 += src[i + 7 * q]
    return t0 + t1 + t2 + t3 + t4 + t5 + t6 + t7


@njit(cache=False)
def stream_fill(dst, value):
    """dst[:] = value (1-D float32): dst.nbytes written, nothing read by the code."""
    for i in range(dst.size):
        dst[i] = value


@njit(cache=False)
def stream_scale(dst, src, s):
    """dst = s * src (1-D float32, same size): src.nbytes read, dst.nbytes written."""
    for i in range(dst.size):
        dst[i] = s * src[i]


with skip_unfinished():
    tiny = np.ones(64, dtype=np.float32)  # compile the three loops before the big arrays exist
    read_sum(tiny, 1)
    stream_fill(tiny, np.float32(1))
    stream_scale(tiny, tiny.copy(), np.float32(2))
    n_wa = array_bytes_beyond_caches(arrays=2) // 4  # float32 elements, beyond the caches
    src_wa, dst_wa = np.ones(n_wa, dtype=np.float32), np.full(n_wa, 2.0, dtype=np.float32)
    sweep = 4 * n_wa / 1e9  # GB in one sweep of one array
    best_of = {"read": [], "fill": [], "scale-copy": []}
    for _round in range(2 if GRADING else 4):  # interleaved, best of each
        best_of["read"].append(benchmark(read_sum, src_wa, 1, repeat=3, min_time=0, threads=1).best)
        best_of["fill"].append(benchmark(stream_fill, dst_wa, np.float32(1), repeat=3, min_time=0, threads=1).best)
        best_of["scale-copy"].append(benchmark(stream_scale, dst_wa, src_wa, np.float32(2), repeat=3, min_time=0, threads=1).best)
    del src_wa, dst_wa
    # (sweeps counting reads and writes only, sweeps with a write-allocate per written array)
    sweeps = {"read": (1, 1), "fill": (1, 2), "scale-copy": (2, 3)}
    rates = {name: [k * sweep / min(best_of[name]) for k in sweeps[name]] for name in sweeps}
    print(f"{'loop':<11} {'code only':>10} {'with write-allocate':>20}  (GB/s, {4 * n_wa / 2**20:.0f} MiB arrays)")
    for name, (plain, with_wa) in rates.items():
        print(f"{name:<11} {plain:>10.1f} {with_wa:>20.1f}")
    read_rate = rates["read"][0]
    for name in ("fill", "scale-copy"):  # which count puts this loop nearer the read-only rate?
        plain, with_wa = rates[name]
        if abs(math.log(with_wa / read_rate)) < abs(math.log(plain / read_rate)):
            print(f"{name}: counting the write-allocate puts it nearer the read-only rate "
                  f"({with_wa:.1f} against {read_rate:.1f} GB/s): its writes cost a read too.")
        else:
            print(f"{name}: it is nearer the read-only rate without the write-allocate "
                  f"({plain:.1f} against {read_rate:.1f} GB/s): here the CPU skipped the read, "
                  f"which some CPUs do when a loop overwrites whole cache lines.")
    print("The notebook counts the write-allocate for every written array. Where a CPU skips it, a "
          "kernel can read a little above 100% of its memory roof; the table below says so if it "
          "happens. (On a busy machine these three rates move around: rerun the cell.)")

# %% [markdown]
# ## Exercise 3 · `measure_bandwidth_gbs`
#
# Write `measure_bandwidth_gbs()` following the three points above. Return the best triad rate
# in GB/s (1e9 bytes per second). Keep the memory it uses within the budget (size the arrays
# with `array_bytes_beyond_caches(arrays=3)`), and keep it quick (well under a second) when
# `GRADING` is set.
#
# Time it with `benchmark` (imported at the top), either as `benchmark(triad, repeat=...,
# min_time=0)` where `triad` is a function without arguments defined inside
# `measure_bandwidth_gbs` (it then closes over your arrays), or with the arrays as arguments.
#
# The test checks two things. **Your byte count, exactly**: it runs your function once with a
# stand-in for `benchmark` (`OneSecondClock`) that times nothing, reports exactly 1 second per
# call and notes the arrays you timed; your result must then be the triad's sweeps of the largest of
# those arrays, in GB (within 1%): count them yourself with the rule above. A wrong count
# fails here on any machine. **What you time**: your real measurement must be within 0.5x to 1.5x of the
# grader's own bandwidth, measured in the same cell with different code.

# %% nbgrader={"grade": false, "grade_id": "measure_bandwidth_gbs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def measure_bandwidth_gbs(repeat: int | None = None) -> float:
    """Main-memory bandwidth in GB/s from a NumPy triad a = b + s * c, one thread.

    Arrays: float64, array_bytes_beyond_caches(arrays=3) each (max(64 MiB, 2 x last-level
    cache), capped by the memory budget), allocated and touched before
    timing; output preallocated. Bytes per triad: 6 * n * 8 (two passes: read c, read and
    write a (write-allocate); read a, read b, write a). Returns the best of ``repeat``
    single-call timings.
    """
    ### BEGIN SOLUTION
    if repeat is None:
        repeat = 10 if GRADING else 20
    n = array_bytes_beyond_caches(arrays=3) // 8
    a = np.zeros(n)
    b = np.full(n, 1.0)
    c = np.full(n, 2.0)
    s = 3.0

    def triad():
        np.multiply(c, s, out=a)
        np.add(a, b, out=a)

    best = benchmark(triad, repeat=repeat, min_time=0).best
    return 6 * n * a.itemsize / best / 1e9
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_bandwidth_plausible", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""measure_bandwidth_gbs: 6 sweeps counted exactly (fixed clock), and 0.5x-1.5x of the grader's bandwidth."""
from accel.grading import require_within
from accel.grading.roofline import clocked_call

# your function looks `benchmark` up when it runs: for this call it gets a fixed clock
counted, calls = clocked_call(measure_bandwidth_gbs)
counted = float(counted)
timed = [a for call in calls for a in call]
assert timed, ("measure_bandwidth_gbs did not call benchmark(...) on a function that uses your "
               "arrays (as arguments, or from inside measure_bandwidth_gbs)")
big_mib, counted_sweeps = max(a.nbytes for a in timed) / 2**20, counted * 1e9 / max(a.nbytes for a in timed)
del calls, timed  # drop the recorded arrays before measuring for real (memory budget)
assert abs(counted_sweeps / 6 - 1) < 0.01, (
    f"with a clock that says 1 s, measure_bandwidth_gbs returned {counted:.4g}, i.e. "
    f"{counted_sweeps:.3g} sweeps of your {big_mib:.0f} MiB arrays; the two-call NumPy triad "
    f"makes 6 (read c, read and write a: the write-allocate; read a, read b, write a)")
print(f"byte count: 6 sweeps of {big_mib:.0f} MiB, as expected")

bw_first = measure_bandwidth_gbs()
assert isinstance(bw_first, (float, np.floating)), f"expected a float, got {type(bw_first).__name__}"
assert np.isfinite(bw_first) and 0.1 < bw_first < 10_000, (
    f"measure_bandwidth_gbs returned {bw_first!r} GB/s; main memory moves between a few and a "
    f"few hundred GB/s")
print(f"your triad: {bw_first:.1f} GB/s")
### BEGIN HIDDEN TESTS
from accel_instructor.reference.roofline import trusted_bandwidth_gbs

# Interleave the learner's and the grader's measurement and keep the best of each. Noise on a
# shared machine only ever slows a measurement down, so the best of each rises towards the true
# value with every round: stop as soon as they agree (a wrong byte count never will).
_learner, _trusted = [bw_first], []
for _round in range(6):
    if _round % 2:
        _learner.append(float(measure_bandwidth_gbs()))
        _trusted.append(trusted_bandwidth_gbs())
    else:
        _trusted.append(trusted_bandwidth_gbs())
        _learner.append(float(measure_bandwidth_gbs()))
    _ratio = max(_learner) / max(_trusted)
    if 0.5 <= _ratio <= 1.5:
        break
print(f"grader's measurement: {max(_trusted):.1f} GB/s; ratio {_ratio:.2f}")
require_within(_ratio, 0.5, 1.5, "measure_bandwidth_gbs vs the grader's own bandwidth",
    f"measure_bandwidth_gbs gives {max(_learner):.1f} GB/s against the grader's "
    f"{max(_trusted):.1f} GB/s. Check the byte count (6 array sweeps per NumPy triad), that the "
    f"arrays are far larger than the cache, and that you time single calls")
### END HIDDEN TESTS

# %% [markdown]
# ## Measuring the compute roof
#
# A textbook would compute the peak from the data sheet: cores x clock x FLOPs per cycle. Do not
# trust that on your machine. The clock `/proc/cpuinfo` shows is often the *nominal* one, and a
# modern core runs faster than that whenever it can; a peak computed from it can make BLAS look
# faster than 100% of "peak", which is impossible. So measure instead, twice: first the best
# rate of the most compute-intensive library kernel you have, a float32 matrix product through
# BLAS (this exercise); then, after it, the rate of a loop that does nothing but fused
# multiply-adds on data in registers, which is what the cores can do at most. BLAS as a percent
# of that loop's rate is the real "percent of peak".
#
# ## Exercise 4 · `measure_peak_gflops`
#
# Write `measure_peak_gflops()`: time float32 `np.matmul` for a sweep of sizes `N` (for example
# 256 and 512 while `GRADING`, 256 up to 2048 otherwise), with as many BLAS threads as the
# caller allows (do not set threads inside: the cell that uses it pins one thread), single
# calls, and return the best rate in GFLOP/s (an `N x N @ N x N` product is `2 N^3` FLOPs).
# Create the matrices before timing: only the product belongs inside the timed call.
#
# Time each product with `benchmark(np.matmul, a, b, ...)` (or a function without arguments
# that closes over `a` and `b`). The test checks **your FLOP count exactly** with the same
# fixed 1-second clock as above (the result must be `2 N^3 / 1e9` for the largest float32
# product you timed, within 1%; `N^3` fails), and **what you time**: with BLAS pinned to one
# thread on both sides, your real measurement must be within 0.5x to 1.5x of the grader's own
# matmul rate.

# %% nbgrader={"grade": false, "grade_id": "measure_peak_gflops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def measure_peak_gflops(sizes=None, repeat: int = 6) -> float:
    """Best float32 matmul rate in GFLOP/s over a sweep of square sizes, with the BLAS
    threads the caller allows (see accel.bench.pinned_threads).

    Each N x N @ N x N product costs 2 N^3 FLOPs; the matrices (and the output) are created
    before timing. Returns the best of ``repeat`` single-call timings over all sizes.
    """
    ### BEGIN SOLUTION
    if sizes is None:
        sizes = (256, 512) if GRADING else (256, 512, 1024, 2048)
    rng = np.random.default_rng(0)
    best = 0.0
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        c = np.empty((n, n), dtype=np.float32)
        seconds = benchmark(np.matmul, a, b, out=c, repeat=repeat, min_time=0).best
        best = max(best, gflops(2 * n**3, seconds))
    return best
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_peak_plausible", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""measure_peak_gflops: 2 N^3 FLOPs counted exactly (fixed clock), and 0.5x-1.5x of the grader's rate."""
from accel.grading import require_within
from accel.grading.roofline import clocked_call

counted, calls = clocked_call(measure_peak_gflops)
counted = float(counted)
products = [[a for a in call if a.ndim == 2][:2] for call in calls]
products = [(a, b) for a, b in (p for p in products if len(p) == 2) if a.shape[1] == b.shape[0]]
all_float32 = all(a.dtype == np.float32 and b.dtype == np.float32 for a, b in products)
want = max((2 * a.shape[0] * a.shape[1] * b.shape[1] for a, b in products), default=0) / 1e9
del calls, products  # drop the recorded arrays before measuring for real (memory budget)
assert want, ("measure_peak_gflops did not call benchmark(...) on a matrix product of "
              "arrays it created (as arguments, or from inside measure_peak_gflops)")
assert all_float32, "measure_peak_gflops should time float32 products"
assert abs(counted / want - 1) < 0.01, (
    f"with a clock that says 1 s, measure_peak_gflops returned {counted:.4g} GFLOP; the "
    f"largest product you timed does 2 N^3 = {want:.4g} GFLOP (one multiply and one add per term)")
print("FLOP count: 2 N^3 per product, as expected")

peak_first = measure_peak_gflops()
assert isinstance(peak_first, (float, np.floating)), f"expected a float, got {type(peak_first).__name__}"
assert np.isfinite(peak_first) and 0.1 < peak_first < 1e6, (
    f"measure_peak_gflops returned {peak_first!r} GFLOP/s, which no CPU does")
print(f"your matmul peak: {peak_first:.1f} GFLOP/s")
### BEGIN HIDDEN TESTS
# Both measurements run pinned to one thread, interleaved, best of each, until they agree or
# eight rounds have run. This check is about the FLOP count and what is timed, not about
# threads: when another process keeps a core busy, a two-thread BLAS product can crawl for
# seconds (13 GFLOP/s instead of 250 was measured here, for a whole cell), while one-thread
# products are unaffected. A timed set-up stays out of the band (0.26x); wrong FLOP counts
# are caught exactly by the fixed clock above.
from accel.bench import pinned_threads
from accel_instructor.reference.roofline import trusted_peak_gflops

_learner, _trusted = [], []
with pinned_threads(1):
    for _round in range(8):
        if _round % 2:
            _learner.append(float(measure_peak_gflops()))
            _trusted.append(trusted_peak_gflops())
        else:
            _trusted.append(trusted_peak_gflops())
            _learner.append(float(measure_peak_gflops()))
        _ratio = max(_learner) / max(_trusted)
        if 0.5 <= _ratio <= 1.5 and _round >= 1:
            break
print(f"one thread each: yours {max(_learner):.1f}, the grader's {max(_trusted):.1f} GFLOP/s; "
      f"ratio {_ratio:.2f}")
require_within(_ratio, 0.5, 1.5, "measure_peak_gflops vs the grader's own matmul peak",
    f"With one thread each, measure_peak_gflops gives {max(_learner):.1f} GFLOP/s against the "
    f"grader's float32 matmul at {max(_trusted):.1f} GFLOP/s. Check the FLOP count (2 N^3), the "
    f"dtype (float32), and that only the product is timed")
### END HIDDEN TESTS

# %% [markdown]
# ## The FMA peak: what a core can do
#
# A *fused multiply-add* (FMA) computes `v * a + b` as one instruction: 2 FLOPs. A core has one
# or more FMA units (pipes), each starting a new vector FMA every cycle, but one FMA takes
# several cycles (its *latency*, about 4) before its result can feed the next. To keep every
# pipe busy a loop needs at least latency x pipes independent FMAs in flight. The loop below is
# built the way the Empirical Roofline Toolkit (Berkeley Lab) builds its compute kernel: eight
# independent chains per iteration (eight blocks of a small, L1-resident array), each put
# through 8 dependent FMAs per visit, and the iterations are independent of each other too.
# The compiler runs the loop over `j` on SIMD vectors; memory plays no part.
# (`fastmath={"contract"}` lets numba fuse each multiply and add into one FMA instruction, and
# nothing else.)
#
# The loop measures only what the compiler made of it: if numba used vectors narrower than the
# widest your CPU has (some compilers prefer 256-bit vectors on CPUs with 512-bit units), the
# loop misses part of the peak. The cell reads the compiled loop's machine code and says which
# width it used. BLAS, written by hand for each CPU, is the other candidate for the roof.

# %%
@njit(cache=False, fastmath={"contract"})
def fma_loop(v, reps, a, b):
    """v: 1-D float32 or float64 array, a multiple of 8 long and small enough for L1, updated
    in place. Cost: 16 * v.size * reps FLOPs (8 FMAs of 2 FLOPs per element and visit); no
    memory traffic beyond L1. Eight independent chains (the eight blocks of v) per iteration."""
    q = v.size // 8
    for _ in range(reps):
        for j in range(q):
            x0, x1, x2, x3 = v[j], v[j + q], v[j + 2 * q], v[j + 3 * q]
            x4, x5, x6, x7 = v[j + 4 * q], v[j + 5 * q], v[j + 6 * q], v[j + 7 * q]
            for _k in range(8):  # 8 FMAs on each of the 8 independent chains
                x0, x1, x2, x3 = x0 * a + b, x1 * a + b, x2 * a + b, x3 * a + b
                x4, x5, x6, x7 = x4 * a + b, x5 * a + b, x6 * a + b, x7 * a + b
            v[j], v[j + q], v[j + 2 * q], v[j + 3 * q] = x0, x1, x2, x3
            v[j + 4 * q], v[j + 5 * q], v[j + 6 * q], v[j + 7 * q] = x4, x5, x6, x7


def fma_peak_gflops(dtype, n=1024, reps=None):
    """Best FMA-loop rate in GFLOP/s on one thread for `dtype` (float32 or float64)."""
    reps = reps or (1000 if GRADING else 4000)
    v = np.ones(n, dtype=dtype)
    a, b = dtype(0.999), dtype(0.001)  # |a| < 1 keeps the values bounded
    fma_loop(v[:8], 1, a, b)  # compile
    seconds = benchmark(fma_loop, v, reps, a, b, repeat=5, min_time=0, threads=1).best
    return gflops(16 * n * reps, seconds)


def simd_bits(machine_code):
    """Widest SIMD register width (bits) used by vector FMA/multiply/add instructions in
    `machine_code` (x86 or Arm assembly text), or None when none is recognised."""
    import re
    widths = {"xmm": 128, "ymm": 256, "zmm": 512}
    bits = [widths[r] for r in re.findall(r"\bv(?:fn?m(?:add|sub)\w*|mul|add)p[sd]\s+%?(xmm|ymm|zmm)",
                                          machine_code)]
    bits += [128 for _ in re.findall(r"\bf(?:mla|mul|add)\s+v\d+\.(?:4s|2d)", machine_code)]
    if re.search(r"\bfmla\s+z\d+\.[sd]", machine_code):
        bits.append(-1)  # Arm SVE: scalable vectors, width chosen by the hardware
    return max(bits) if bits else None


def widest_simd_bits():
    """Widest SIMD width (bits) this CPU offers, from the features LLVM reports, or None."""
    from llvmlite import binding as llvm
    features = {f.lstrip("+") for f in llvm.get_host_cpu_features().flatten().split(",")
                if f.startswith("+")}
    if "avx512f" in features:
        return 512
    if "avx" in features:
        return 256
    if {"sse2", "neon", "asimd"} & features:
        return 128
    return None


fma32 = fma_peak_gflops(np.float32)
fma64 = fma_peak_gflops(np.float64)
print(f"FMA loop, one thread: float32 {fma32:.1f} GFLOP/s, float64 {fma64:.1f} GFLOP/s "
      f"(ratio {fma32 / fma64:.2f})")
used = simd_bits("\n".join(fma_loop.inspect_asm().values()))
widest = widest_simd_bits()
if used == -1:
    print("numba compiled the FMA loop for scalable (SVE) vectors: their width is the hardware's")
elif used is None or widest is None:
    print("the SIMD width of the compiled FMA loop could not be read on this CPU; BLAS below "
          "is the check: if it beats the loop, the loop missed part of the peak")
elif used < widest:
    print(f"numba used {used}-bit vectors, but this CPU has {widest}-bit ones: the loop can reach "
          f"only about {used / widest:.0%} of the peak; BLAS (hand-written for this CPU) may set "
          f"the compute roof instead")
else:
    print(f"numba used {used}-bit vectors, the widest this CPU offers")

# %% [markdown]
# ## Your machine's roofs, one thread
#
# A roofline is only consistent when both roofs are measured with the **same number of
# threads**: bandwidth and compute both grow with cores, but not by the same factor, and a
# ridge computed from a one-thread memory roof and an all-cores compute roof lands far to the
# right of where either really is. Below, every roof is measured on **one thread**, and so
# is every kernel in the table further down.
#
# A roof is the most the machine was *seen* to do, so it must bound every kernel. The compute
# roof for each dtype is therefore the **higher** of the FMA loop and a BLAS matrix product,
# measured in turns (a few rounds, best of each: a moment of noise on a shared machine only
# ever slows a measurement down). Likewise the memory roof is the highest of three streaming
# loops, measured in the same rounds: your NumPy triad, the compiled scale-copy loop from above
# and a NumPy add (`np.add(a, b, out=c)`). They mix reads and writes differently (the add reads
# three lines for every line it writes, counting the write-allocate; the other two read two),
# and a memory system rarely serves every mix at the same rate.

# %%
def scale_copy_gbs(repeat=None):
    """Best rate in GB/s of stream_scale on two float32 arrays beyond the caches, one thread:
    3 sweeps (read src; write-allocate and write dst). The arrays are freed on return."""
    n = array_bytes_beyond_caches(arrays=3, note=False) // 4
    src, dst = np.ones(n, dtype=np.float32), np.zeros(n, dtype=np.float32)
    seconds = benchmark(stream_scale, dst, src, np.float32(2), min_time=0, threads=1,
                        repeat=repeat or (4 if GRADING else 10)).best
    return 3 * 4 * n / seconds / 1e9


def add_arrays():
    """Three float32 arrays (a, b, out) for `np.add`, together well beyond the caches: the same
    size for the roof below and for the add in the kernel table, so neither gets more help
    from a cache than the other. Sized as four arrays' share of the budget: the kernel table
    keeps two GELU arrays alive beside them."""
    n = array_bytes_beyond_caches(arrays=4, note=False) // 4
    rng = np.random.default_rng(11)
    return (rng.standard_normal(n, dtype=np.float32), rng.standard_normal(n, dtype=np.float32),
            np.zeros(n, dtype=np.float32))


def add_gbs(repeat=None):
    """Best rate in GB/s of np.add(a, b, out=c) on `add_arrays()`, one thread: 4 sweeps (read a
    and b; write-allocate and write c). The arrays are freed on return."""
    a, b, c = add_arrays()
    seconds = benchmark(np.add, a, b, c, min_time=0, threads=1,
                        repeat=repeat or (4 if GRADING else 10)).best
    return 4 * c.nbytes / seconds / 1e9


def blas_gflops(dtype, n=512, repeat=4):
    """Best rate of one n x n @ n x n product of `dtype` (2 n^3 FLOPs), BLAS threads as allowed."""
    a_b = np.random.default_rng(8).standard_normal((n, n)).astype(dtype)
    out_b = np.empty_like(a_b)
    return gflops(2 * n**3, benchmark(np.matmul, a_b, a_b, out=out_b, repeat=repeat, min_time=0).best)


seen = {key: [] for key in ("triad", "scale", "add", "fma32", "fma64", "blas32", "blas64")}


def measure_roofs(rounds):
    """Add `rounds` interleaved rounds of every roof measurement (one thread) to `seen`; return
    the best of each so far and the roofs (B in GB/s, P32 and P64 in GFLOP/s) they set."""
    with pinned_threads(1):
        for _round in range(rounds):
            seen["triad"].append(measure_bandwidth_gbs())
            seen["scale"].append(scale_copy_gbs())
            seen["add"].append(add_gbs())
            seen["blas32"].append(measure_peak_gflops())
            seen["fma32"].append(fma_peak_gflops(np.float32))
            seen["blas64"].append(blas_gflops(np.float64))
            seen["fma64"].append(fma_peak_gflops(np.float64))
    best = {key: max(values) for key, values in seen.items()}
    return (best, max(best["triad"], best["scale"], best["add"]), max(best["fma32"], best["blas32"]),
            max(best["fma64"], best["blas64"]))


with skip_unfinished():  # a kernel not written yet: one line, no traceback
    best, bandwidth, peak, peak64 = measure_roofs(1 if GRADING else 3)
    blas_peak = best["blas32"]
    ridge = ridge_point(peak, bandwidth)
    ridge64 = ridge_point(peak64, bandwidth)
    memory_setter = max([("your triad", best["triad"]), ("the scale-copy loop", best["scale"]),
                         ("the NumPy add", best["add"])], key=lambda pair: pair[1])[0]
    print(f"memory roof   B    = {bandwidth:7.1f} GB/s     (one thread: your NumPy triad {best['triad']:.1f}, "
          f"scale-copy {best['scale']:.1f}, add {best['add']:.1f}; set by {memory_setter})")
    for dtype, fma_key, blas_key, roof in (("float32", "fma32", "blas32", peak),
                                           ("float64", "fma64", "blas64", peak64)):
        setter = "the FMA loop" if best[fma_key] >= best[blas_key] else "BLAS"
        print(f"compute roof  P{dtype[-2:]}  = {roof:7.1f} GFLOP/s  ({dtype}, one thread: FMA loop "
              f"{best[fma_key]:.1f}, BLAS {best[blas_key]:.1f}; set by {setter})")
    if best["blas32"] > best["fma32"] or best["blas64"] > best["fma64"]:
        print("BLAS beat the FMA loop: the loop did not keep every FMA pipe busy (narrower vectors "
              "or too few independent chains for this CPU), so BLAS, the faster code, sets the roof.")
    else:
        print(f"BLAS float32 matmul reached {100 * best['blas32'] / peak:.0f}% of the FMA loop: "
              f"packing, loads and loop overhead take the rest.")
    print(f"ridge point   I*   = {ridge:7.2f} FLOP/byte for float32, {ridge64:.2f} for float64")

# %% [markdown]
# ### The same roofs with every core
#
# With all cores, both roofs can rise, and usually not by the same factor: every core brings
# its own FMA units, while all cores share the memory controllers. (On a shared machine, a core
# that another program keeps busy adds nothing, and can even make the all-threads figure lower
# than the one-thread one: a parallel loop finishes only when its slowest thread does. The cell
# reports what you actually got.) The
# ridge moves with them, which is why roofs measured with different thread counts must never
# be mixed in one plot. Below, the memory roof comes from the same two-pass triad as yours,
# written as two compiled parallel loops (`prange`; 6 array sweeps, counted exactly like your
# NumPy triad) and the compute roof from the FMA loop spread over the threads.
# Both run on one thread, on all of them, and on the powers of two in between (1, 2, 4, ...
# up to the number of cores numba may use), always on the same arrays, so the scaling factors
# compare like with like. A float32 BLAS matrix product joins them (its threads are set
# through threadpoolctl, numba's through `numba.set_num_threads`; `benchmark(threads=n)` does
# both). (Skipped while grading: compiling parallel loops takes a few seconds.)

# %%
@njit(cache=False, parallel=True)
def parallel_triad(a, b, c, s):
    """a = s * c, then a = a + b, as two parallel passes like the NumPy triad (1-D arrays of
    one size): 6 sweeps of a.size * itemsize bytes, the write-allocate of the first counted."""
    for i in prange(a.size):
        a[i] = s * c[i]
    for i in prange(a.size):
        a[i] = a[i] + b[i]


@njit(cache=False, parallel=True)
def parallel_fma(v, reps, a, b):
    """fma_loop on every row of v, the rows spread over the threads: 16 * v.size * reps FLOPs."""
    for row in prange(v.shape[0]):
        fma_loop(v[row], reps, a, b)


cores = min(usable_cpus()["count"], numba.config.NUMBA_NUM_THREADS)
thread_counts = sorted({1, cores} | {2**k for k in range(1, 16) if 2**k < cores})
bandwidth_all = peak_all = None
scaling = {}  # threads -> (triad GB/s, FMA GFLOP/s, BLAS GFLOP/s)
if GRADING:  # compiling parallel loops takes seconds: skipped while grading
    print("all-threads roofs and the thread sweep: skipped while grading")
else:
    with skip_unfinished():  # the one-thread roofs above may not be measured yet
        parallel_triad(np.zeros(64), np.ones(64), np.ones(64), 3.0)  # compile before the big arrays
        v_all = np.ones((cores, 1024), dtype=np.float32)
        f32a, f32b = np.float32(0.999), np.float32(0.001)
        parallel_fma(v_all[:, :8], 1, f32a, f32b)  # compile
        n_tr = array_bytes_beyond_caches(arrays=3) // 8  # float64 elements, beyond the caches
        a_tr, b_tr, c_tr = np.zeros(n_tr), np.ones(n_tr), np.ones(n_tr)
        a_mm = np.random.default_rng(7).standard_normal((1024, 1024)).astype(np.float32)
        for threads in thread_counts:
            t_tr = benchmark(parallel_triad, a_tr, b_tr, c_tr, 3.0, repeat=12, min_time=0,
                             threads=threads).best
            t_fma = benchmark(parallel_fma, v_all, 4000, f32a, f32b, repeat=5, min_time=0,
                              threads=threads).best
            t_mm = benchmark(np.matmul, a_mm, a_mm, repeat=5, threads=threads).best
            scaling[threads] = (6 * n_tr * 8 / t_tr / 1e9, gflops(16 * v_all.size * 4000, t_fma),
                                gflops(2 * 1024**3, t_mm))
        del a_tr, b_tr, c_tr, v_all, a_mm
        for threads, (bw_t, fma_t, mm_t) in scaling.items():
            print(f"{threads} thread(s): compiled triad {bw_t:6.1f} GB/s (6 sweeps counted), "
                  f"float32 FMA loop {fma_t:6.1f} GFLOP/s, ridge {fma_t / bw_t:5.2f} FLOP/byte, "
                  f"BLAS matmul N=1024 {mm_t:6.1f} GFLOP/s")
        # The roofs with all threads available: the best seen with up to `cores` threads (a program
        # allowed every core may still use only one), never below the one-thread roofs.
        bandwidth_all = max(bandwidth, *(bw_t for bw_t, _, _ in scaling.values()))
        peak_all = max(peak, *(max(fma_t, mm_t) for _, fma_t, mm_t in scaling.values()))
        gain_memory = scaling[cores][0] / scaling[1][0]
        gain_compute = max(scaling[cores][1:]) / max(scaling[1][1:])
        print(f"all-threads roofs: B = {bandwidth_all:.1f} GB/s, P32 = {peak_all:.1f} GFLOP/s "
              f"(the best seen with up to {cores} threads, one-thread roofs included)")
        print(f"from 1 to {cores} threads: memory x{gain_memory:.2f}, compute x{gain_compute:.2f}")
        if cores == 1:
            print("numba may use one thread here: the all-threads roofs are the one-thread roofs.")
        elif gain_compute < 0.8 * cores:
            print(f"The compute roof grew by less than the {cores} threads promise: some of your cores "
                  f"are probably busy with other programs, or the CPU count includes hyper-threads "
                  f"that share a core's FMA units. Rerun with other programs closed to see more.")
        if cores > 1 and min(gain_memory, gain_compute) < 1:
            print("At least one of the two rates fell with more threads, so this run cannot say how "
                  "memory and compute scale against each other: rerun when the machine is quiet.")
        elif cores > 1 and gain_memory < gain_compute:
            print("Memory bandwidth grew less than compute: the cores share the memory controllers, "
                  "so the ridge moves right with more threads.")
        elif cores > 1:
            print("Memory bandwidth grew at least as much as compute here: one core could not keep "
                  "enough requests in flight to use all of the memory system.")

# %% [markdown]
# ### Speed-up against threads, and Amdahl's law
#
# The plot below shows each kernel's speed-up over its own one-thread rate, against the number
# of threads, next to the ideal line (`n` threads, `n` times the speed). Each curve also gets
# an **Amdahl fit**: Amdahl's law says that if a fraction `s` of the work is serial, `n`
# threads give a speed-up of `1 / (s + (1 - s) / n)`. Solving it for `s` from a measured
# speed-up `S` on `n` threads gives `s = (1/S - 1/n) / (1 - 1/n)` (the *Karp-Flatt* metric);
# the cell fits one `s` to all points by least squares.
#
# The FMA loop has no serial part and touches no memory: every core brings its own FMA units,
# so it should follow the ideal line (unless another program keeps some of your cores busy, or
# the CPU count includes hyper-threads, two of which share one core's FMA units). BLAS is
# close to it for a large product. The triad is the interesting one: its code has no serial
# part either, yet its curve flattens. One core cannot use all of the memory system: it can
# keep only so many cache-line requests in flight at once, and each one waits for the full
# memory latency, so one core's bandwidth is about (requests in flight x 64 bytes) / latency.
# More cores put more requests in flight and the triad speeds up, **until the memory
# controllers deliver all they can**; from there every extra core only waits its turn. On a
# laptop, one or two cores may already reach that point; a server chip with many memory
# channels needs many cores to saturate them, and its triad keeps scaling much longer. So the
# fitted `s` of the triad is not a serial part of the code: it is Amdahl's formula used to
# describe a shared resource, and it tells you how quickly the memory roof stops rising.
# More cores help a memory-bound kernel only while the memory system still has bandwidth to
# spare; after that, only moving fewer bytes (fusion, smaller dtypes, tiling) helps.

# %%
def amdahl_serial_fraction(threads, speedups):
    """Least-squares serial fraction s of 1/S = s + (1 - s)/n over the points with n > 1,
    clipped to [0, 1] (superlinear points would give s < 0)."""
    n = np.asarray(threads, dtype=float)
    inv = 1.0 / np.asarray(speedups, dtype=float)
    keep = n > 1
    x, y = 1 - 1 / n[keep], inv[keep] - 1 / n[keep]
    if not keep.any():
        return float("nan")
    return float(np.clip(np.sum(x * y) / np.sum(x * x), 0.0, 1.0))


with skip_unfinished():  # a kernel not written yet: one line, no traceback
    if not scaling:
        print("thread sweep: skipped while grading")
    else:
        fig_t, ax_t = plt.subplots(figsize=(6, 4))
        n_dense = np.linspace(1, cores, 200)
        ax_t.plot(n_dense, n_dense, color="gray", linestyle=":", label="ideal (n threads, n x)")
        for k, (label, color) in enumerate([("triad (memory-bound)", "C0"),
                                            ("FMA loop (compute-bound)", "C1"),
                                            ("BLAS matmul N=1024", "C2")]):
            rates = [scaling[t][k] for t in thread_counts]
            speedup = [r / rates[0] for r in rates]
            s_fit = amdahl_serial_fraction(thread_counts, speedup)
            ax_t.plot(thread_counts, speedup, marker="o", color=color,
                      label=f"{label}: Amdahl s = {s_fit:.2f}")
            if cores > 1:
                ax_t.plot(n_dense, 1 / (s_fit + (1 - s_fit) / n_dense), color=color,
                          linestyle="--", alpha=0.6)
            print(f"{label:<26} speed-up " + ", ".join(
                f"{t} thr x{sp:.2f}" for t, sp in zip(thread_counts, speedup))
                + f"; Amdahl serial fraction s = {s_fit:.2f}")
            if min(speedup) < 0.9:
                print(f"  {label} got slower with more threads: some of your cores are probably "
                      f"busy with another program (a parallel loop waits for its slowest thread); "
                      f"the fit then says nothing about the kernel")
        if cores > 1:
            ax_t.set_xscale("log", base=2)
            ax_t.set_yscale("log", base=2)
            ax_t.yaxis.set_major_formatter(ScalarFormatter())
        ax_t.set(xlabel="threads", ylabel="speed-up over 1 thread",
                 title=f"Strong scaling on {cores} core(s) (dashed: Amdahl fits)")
        ax_t.set_xticks(thread_counts, [str(t) for t in thread_counts])
        ax_t.grid(True, which="both", alpha=0.3)
        ax_t.legend(fontsize=7)
        plt.show()

# %% [markdown]
# ## Exercise 5 · `plot_roofline`
#
# Write `plot_roofline(peak_gflops, bandwidth_gbs, kernels)` returning a matplotlib `Figure`
# with one `Axes`. `kernels` maps a name to `(arithmetic_intensity, measured_gflops)`. The grader
# reads the figure, so draw it exactly like this:
#
# * **Axes:** both axes logarithmic (`ax.set_xscale("log")`, `ax.set_yscale("log")`); the x
#   label contains `FLOP/byte`, the y label contains `GFLOP/s`.
# * **The roof** with `ax.plot`, as one line through the three points
#   `(ai_lo, bandwidth * ai_lo)`, `(ridge, peak)` and `(ai_hi, peak)`, or as two lines that meet
#   at `(ridge, peak)`. Choose `ai_lo` at or below the smallest kernel intensity and the ridge,
#   `ai_hi` at or above the largest kernel intensity and the ridge (a factor of 4 beyond them
#   leaves some room). Mark the ridge point; for example with a marker or an annotation.
# * **One point per kernel**, at exactly `(arithmetic_intensity, measured_gflops)`: a marker
#   drawn with `ax.plot(x, y, "o")` or `ax.scatter`, and its name on the plot, with
#   `ax.annotate(name, ...)` or as a legend entry.
#
# Do not call `plt.show()` inside the function; return the figure.

# %% nbgrader={"grade": false, "grade_id": "plot_roofline", "locked": false, "schema_version": 3, "solution": true, "task": false}
def plot_roofline(peak_gflops: float, bandwidth_gbs: float, kernels: dict) -> Figure:
    """Roofline plot on log-log axes: the memory roof (slope = bandwidth), the compute roof
    (flat at peak), the ridge point where they meet, and one labelled point per kernel.

    kernels: {name: (arithmetic_intensity FLOP/byte, measured GFLOP/s)}. Returns the Figure.
    """
    ### BEGIN SOLUTION
    ridge = peak_gflops / bandwidth_gbs
    ais = [ai for ai, _ in kernels.values()]
    ai_lo = min([ridge, *ais]) / 4
    ai_hi = max([ridge, *ais]) * 4
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    ax.plot([ai_lo, ridge, ai_hi], [bandwidth_gbs * ai_lo, peak_gflops, peak_gflops],
            color="black", linewidth=2, label="roofline")
    ax.plot([ridge], [peak_gflops], marker="D", color="black", linestyle="none")
    ax.annotate(f"ridge {ridge:.2g} FLOP/byte", (ridge, peak_gflops), textcoords="offset points",
                xytext=(6, 8), fontsize=9)
    markers = "osD^v<>Ph*Xp"
    for index, (name, (ai, rate)) in enumerate(kernels.items()):  # a legend: labels never overlap
        ax.plot([ai], [rate], marker=markers[index % len(markers)], color=f"C{index % 10}",
                linestyle="none", label=name)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(top=peak_gflops * 2)  # room for the ridge label
    ax.set(xlabel="arithmetic intensity (FLOP/byte)", ylabel="performance (GFLOP/s)",
           title=f"Roofline: {peak_gflops:.0f} GFLOP/s, {bandwidth_gbs:.0f} GB/s")
    ax.grid(True, which="both", alpha=0.3)
    return fig
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_plot_roofline_axes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""plot_roofline: a Figure with log-log axes labelled in FLOP/byte and GFLOP/s."""
demo_kernels = {"add": (1 / 12, 1.5), "matmul": (40.0, 80.0)}
fig = plot_roofline(100.0, 20.0, dict(demo_kernels))
assert isinstance(fig, Figure), f"plot_roofline should return a matplotlib Figure, got {type(fig).__name__}"
ax = fig.axes[0]
assert ax.get_xscale() == "log" and ax.get_yscale() == "log", (
    f"both axes should be logarithmic; got x: {ax.get_xscale()}, y: {ax.get_yscale()}")
assert "flop/byte" in ax.get_xlabel().lower(), f"x label should mention FLOP/byte: {ax.get_xlabel()!r}"
assert "gflop/s" in ax.get_ylabel().lower(), f"y label should mention GFLOP/s: {ax.get_ylabel()!r}"
plt.close(fig)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(40403)
_fig = plot_roofline(float(_rng.uniform(20, 2000)), float(_rng.uniform(5, 200)),
                     {"k1": (0.3, 1.0), "k2": (700.0, 5.0), "k3": (2.5, 2.5)})
assert isinstance(_fig, Figure), "plot_roofline should return a matplotlib Figure"
_ax = _fig.axes[0]
assert _ax.get_xscale() == "log" and _ax.get_yscale() == "log", "both axes should be logarithmic"
assert "flop/byte" in _ax.get_xlabel().lower() and "gflop/s" in _ax.get_ylabel().lower(), (
    "axis labels should mention FLOP/byte (x) and GFLOP/s (y)")
plt.close(_fig)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_plot_roofline_roof", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""plot_roofline: memory roof (slope B) and compute roof (flat at P) meeting at the ridge P/B."""
from accel.grading.roofline import drawn_lines


def _roof_problems(fig, peak, bw, kernels):
    """What is missing from the roof drawn in fig (an empty list when it is right)."""
    ridge = peak / bw
    ais = [ai for ai, _ in kernels.values()]
    need_lo, need_hi = min([ridge, *ais]), max([ridge, *ais])
    mem_x, flat_x, corner = [], [], False
    for verts in drawn_lines(fig.axes[0]):
        x, y = verts[:, 0], verts[:, 1]
        corner |= bool(np.any(np.isclose(x, ridge, rtol=1e-3) & np.isclose(y, peak, rtol=1e-3)))
        for i in range(len(x) - 1):
            seg_x, seg_y = x[i:i + 2], y[i:i + 2]
            if seg_x[0] == seg_x[1] or not np.all(seg_x > 0):
                continue
            if np.allclose(seg_y, bw * seg_x, rtol=1e-3) and np.all(seg_x <= ridge * 1.001):
                mem_x.extend(seg_x)
            elif np.allclose(seg_y, peak, rtol=1e-3) and np.all(seg_x >= ridge * 0.999):
                flat_x.extend(seg_x)
    problems = []
    if not corner:
        problems.append(f"no line has a vertex at the ridge point ({ridge:.4g}, {peak:.4g})")
    if not mem_x or min(mem_x) > need_lo * 1.001 or max(mem_x) < ridge * 0.999:
        problems.append(f"the memory roof y = {bw:.4g} * x should run from x <= {need_lo:.4g} "
                        f"up to the ridge at x = {ridge:.4g}")
    if not flat_x or min(flat_x) > ridge * 1.001 or max(flat_x) < need_hi * 0.999:
        problems.append(f"the compute roof y = {peak:.4g} should run from the ridge at "
                        f"x = {ridge:.4g} to x >= {need_hi:.4g}")
    return problems


fig = plot_roofline(100.0, 20.0, dict(demo_kernels))  # a copy: the checks use the original
problems = _roof_problems(fig, 100.0, 20.0, demo_kernels)
plt.close(fig)
assert not problems, "plot_roofline (peak 100, bandwidth 20): " + "; ".join(problems)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(40404)
for _case in range(3):
    _peak, _bw = float(_rng.uniform(20, 3000)), float(_rng.uniform(3, 300))
    _kernels = {f"kernel {_i}": (float(10 ** _rng.uniform(-2.5, 3)), float(_rng.uniform(0.1, 10)))
                for _i in range(int(_rng.integers(1, 6)))}
    _fig = plot_roofline(_peak, _bw, dict(_kernels))
    _problems = _roof_problems(_fig, _peak, _bw, _kernels)
    plt.close(_fig)
    assert not _problems, f"plot_roofline (peak {_peak:.4g}, bandwidth {_bw:.4g}): " + "; ".join(_problems)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_plot_roofline_points", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""plot_roofline: exactly one marker per kernel at (intensity, GFLOP/s), each labelled by name."""
from accel.grading.roofline import point_problems

fig = plot_roofline(100.0, 20.0, dict(demo_kernels))
problems = point_problems(fig, demo_kernels)
plt.close(fig)
assert not problems, "plot_roofline: " + "; ".join(problems)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(40405)
for _case in range(3):
    _peak, _bw = float(_rng.uniform(20, 3000)), float(_rng.uniform(3, 300))
    _kernels = {}
    for _i in range(int(_rng.integers(1, 7))):
        _ai = float(10 ** _rng.uniform(-2.5, 3))
        _kernels[f"k{_i}-{int(_rng.integers(1000))}"] = (_ai, float(min(_peak, _ai * _bw) * _rng.uniform(0.02, 0.95)))
    _fig = plot_roofline(_peak, _bw, dict(_kernels))
    _problems = point_problems(_fig, _kernels)
    plt.close(_fig)
    assert not _problems, "plot_roofline: " + "; ".join(_problems)
### END HIDDEN TESTS

# %% [markdown]
# ## Your kernels, measured here
#
# Now the kernels you wrote in notebooks 01-03 go on your roofline. They are not copied here:
# `kernels_from` reads your other notebook, runs its set-up cell and your answer cells (no
# measurements, no tests), and hands back your functions. A kernel you have not written yet is
# simply left off the plot. Two library kernels join them: NumPy's element-wise add and BLAS
# matmul. For each kernel the FLOPs and the unavoidable bytes are counted by hand:
#
# | kernel | FLOPs | arrays read | arrays written |
# |---|---|---|---|
# | element-wise add `z = x + y`, `n` float32 elements | `n` | `x`, `y` | `z` |
# | GELU, `n` float32 elements (any version) | `9 n` (see below) | `x` | the result |
# | matmul `N x N @ N x N`, float32 | `2 N^3` | `A`, `B` | `C` |
# | matmul `N x N @ N x N`, float64 (the loops of notebook 03) | `2 N^3` | `A`, `B` | `C` |
#
# The bytes follow the one rule of this notebook: an array read costs one sweep of its size,
# an array written two (the write-allocate read and the write). `stream_bytes` below does that
# sum for each kernel; the Check-your-understanding questions ask you for the intensities.
#
# The **GELU convention**: the tanh approximation
# `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))` is counted as 9 FLOPs per element,
# with `x^3` as two multiplications and `tanh` as **one** FLOP (it really costs a dozen or more
# instructions, but counting it as one keeps the number comparable with other courses).
# Further down, the cell counts the FLOPs your compiled `fused_gelu_loop` really executes.
#
# **Two intensities.** The table counts the *compulsory* traffic: what any version of the kernel
# must move. The literature also uses the *operational* intensity: FLOPs over the bytes a given
# version really moves between memory and the core. For the one-pass versions (chunked,
# compiled, `fused_gelu`) both are the same. The unfused GELU makes one full pass per NumPy
# operation (notebook 02 counted its reads and writes), so its operational intensity is much
# lower: fusing moves the point to the **right** on the roofline, towards more FLOPs per byte.
# The table below prints both; the plot places every kernel at its compulsory intensity, plus
# the unfused GELU once more at its operational one.
#
# **Fresh outputs.** Your GELU kernels return a new array each call. An array this large is
# usually handed back to the operating system when it is freed, so each call gets fresh pages,
# and the first write to every page costs a page fault (the OS also zeroes the page): time
# that is neither arithmetic nor memory traffic. The compiled loops of notebook 02
# (`gelu_loop`, `fused_gelu_loop`) take their output as an argument, so they are timed writing
# into one preallocated array, as a kernel inside a framework with a caching allocator would;
# `fused_gelu` itself is timed too, so you can see what the fresh output costs.
#
# **Threads and dtypes.** Every kernel is timed on one thread, like the roofs. float64 kernels
# (the compiled loops of notebook 03) are compared with the float64 FMA peak, float32 ones with
# the float32 peak. The element-wise arrays are sized well beyond the cache, so their data comes
# from memory. The add gets arrays of its own, as large as those of the NumPy add in the memory
# roof, so the kernel and its roof stream from the same place (smaller arrays would get part of
# their data from the cache, and the add could read above its roof).

# %%
from accel import Tensor
from accel.siblings import kernels_from

yours, notes = {}, []
for notebook, names in [("01_vectorization.ipynb", ["naive_matmul"]),
                        ("02_kernel_fusion.ipynb", ["unfused_gelu", "chunked_gelu", "gelu_loop",
                                                    "fused_gelu_loop", "fused_gelu"]),
                        ("03_cache_tiling.ipynb", ["matmul_ijk", "matmul_ikj"])]:
    found, why = kernels_from(notebook, names)
    yours.update(found)
    notes += why

# float32 elements: at least 32 MiB (grading) or 64 MiB per array, and twice the cache outside
# grading; the unfused GELU keeps about twelve such arrays alive, all within the memory budget
n_elem = array_bytes_beyond_caches(arrays=12, times_llc=1 if GRADING else 2,
                                   at_least=(32 if GRADING else 64) * 2**20) // 4
x = np.random.default_rng(1).standard_normal(n_elem).astype(np.float32)
out = np.empty_like(x)


def ready(name, *probe_args):
    """Your kernel `name`, if it exists and runs on a small input (compiling it, if it is numba)."""
    if name not in yours:
        return None
    try:
        with quiet():
            yours[name](*probe_args)
    except Exception as err:
        notes.append(f"{name} is not ready yet ({type(err).__name__})")
        return None
    return yours[name]


small = Tensor(x[:1000].copy())
probe = np.random.default_rng(3).standard_normal((16, 16))


def stream_bytes(reads, writes, elements, itemsize):
    """Bytes moved by `reads` arrays read and `writes` arrays written, each of `elements`
    values of `itemsize` bytes: one sweep per array read, two per array written (the
    write-allocate read and the write)."""
    return (reads + 2 * writes) * elements * itemsize

# %% [markdown]
# Time each kernel (single calls, best of several, one thread) and collect
# `name -> (intensity, GFLOP/s)`, with each kernel's dtype for its compute roof.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    kernels = {}
    dtype_of = {}      # name -> "float32" or "float64": which FMA peak is its compute roof
    operational = {}   # name -> FLOP/byte with the bytes this version really moves


    def measure(name, fn, args, flops, bytes_moved, dtype="float32", moved=None,
                repeat=4 if GRADING else 12):
        seconds = benchmark(fn, *args, repeat=repeat, min_time=0, threads=1).best
        kernels[name] = (arithmetic_intensity(flops, bytes_moved), gflops(flops, seconds))
        dtype_of[name] = dtype
        operational[name] = arithmetic_intensity(flops, moved or bytes_moved)


    with quiet():
        # the add on the arrays of the add in the memory roof (fewer arrays: larger than x)
        add_args = add_arrays()
        try:  # freed even when an unwritten kernel of yours stops the cell here
            measure("add (NumPy)", np.add, add_args, add_args[0].size, stream_bytes(2, 1, add_args[0].size, 4))
        finally:
            del add_args
        # the unfused GELU: 9 NumPy operations reading 12 arrays in all, each writing a new one
        gelu_bytes = stream_bytes(1, 1, n_elem, 4)
        for label, name, moved in [("GELU unfused", "unfused_gelu", stream_bytes(12, 9, n_elem, 4)),
                                   ("GELU chunked", "chunked_gelu", gelu_bytes),
                                   ("GELU fused, new output", "fused_gelu", gelu_bytes)]:
            fn = ready(name, small)
            if fn is not None:
                measure(label, fn, (Tensor(x),), 9 * n_elem, gelu_bytes, moved=moved)
        for label, name in [("GELU compiled loop", "gelu_loop"), ("GELU fused loop", "fused_gelu_loop")]:
            fn = ready(name, small.data, np.empty_like(small.data))
            if fn is not None:
                measure(label, fn, (x, out), 9 * n_elem, gelu_bytes,
                        repeat=2 if GRADING and name == "gelu_loop" else 4 if GRADING else 12)
        if "GELU unfused" in kernels:  # the same measurement at its operational intensity
            kernels["GELU unfused, bytes it moves"] = (operational["GELU unfused"], kernels["GELU unfused"][1])
            dtype_of["GELU unfused, bytes it moves"] = "float32"
            operational["GELU unfused, bytes it moves"] = operational["GELU unfused"]
        for n in ((64, 256, 512) if GRADING else (64, 256, 1024, 2048)):
            a_n = np.random.default_rng(n).standard_normal((n, n)).astype(np.float32)
            measure(f"matmul N={n} (BLAS)", np.matmul, (a_n, a_n), 2 * n**3, stream_bytes(2, 1, n * n, 4))
        n64 = 256 if GRADING else 1024
        a_n = np.random.default_rng(6).standard_normal((n64, n64))
        measure(f"matmul N={n64} f64 (BLAS)", np.matmul, (a_n, a_n), 2 * n64**3,
                stream_bytes(2, 1, n64 * n64, 8), "float64")
        fn = ready("naive_matmul", Tensor(np.ones((2, 2), np.float32)), Tensor(np.ones((2, 2), np.float32)))
        if fn is not None:
            n_py = 40 if GRADING else 64
            a_n = Tensor(np.random.default_rng(4).standard_normal((n_py, n_py)).astype(np.float32))
            measure(f"Python loops N={n_py}", fn, (a_n, a_n), 2 * n_py**3, stream_bytes(2, 1, n_py**2, 4), repeat=3)
        n_loop = 128 if GRADING else 256
        a_n = np.random.default_rng(5).standard_normal((n_loop, n_loop))
        for label, name in [("ijk loop", "matmul_ijk"), ("ikj loop", "matmul_ikj")]:
            fn = ready(name, probe, probe, np.empty_like(probe))
            if fn is not None:
                measure(f"{label} N={n_loop} f64", fn, (a_n, a_n, np.empty_like(a_n)),
                        2 * n_loop**3, stream_bytes(2, 1, n_loop**2, 8), "float64", repeat=3)
        del a_n, x, out  # the arrays measured: freed before the roofs may be measured again
    for note in notes:
        print("not on the plot:", note)

    def kernels_above_roofs(names):
        """The kernels among `names` measured above the current one-thread roof."""
        roof_of = {"float32": peak, "float64": peak64}
        return [name for name in names if kernels[name][1]
                > attainable_gflops(kernels[name][0], roof_of[dtype_of[name]], bandwidth)]


    # A kernel above a roof means the roof was measured in a busy moment: measure it again.
    for _attempt in range(0 if GRADING else 3):
        if not kernels_above_roofs(kernels):
            break
        print(f"above a roof: {', '.join(kernels_above_roofs(kernels))}; measuring the roofs again "
              f"(a roof measured while other programs ran reads low)")
        best, bandwidth, peak, peak64 = measure_roofs(1)
    ridge, ridge64 = ridge_point(peak, bandwidth), ridge_point(peak64, bandwidth)
    peaks = {"float32": peak, "float64": peak64}
    print(f"roofs (one thread): B = {bandwidth:.1f} GB/s, P32 = {peak:.1f}, P64 = {peak64:.1f} GFLOP/s "
          f"(bytes: one sweep per array read, two per array written)\n")
    print(f"{'kernel':<29} {'dtype':>7} {'FLOP/B':>7} {'oper.':>7} {'GFLOP/s':>8} {'roof':>7} "
          f"{'of roof':>8} {'of peak':>8}  bound by")
    for name, (ai, rate) in kernels.items():
        p_k = peaks[dtype_of[name]]
        roof = attainable_gflops(ai, p_k, bandwidth)
        bound = "memory" if ai < ridge_point(p_k, bandwidth) else "compute"
        print(f"{name:<29} {dtype_of[name]:>7} {ai:>7.3g} {operational[name]:>7.3g} {rate:>8.3g} "
              f"{roof:>7.1f} {100 * rate / roof:>7.3g}% {100 * rate / p_k:>7.3g}%  {bound}")
    above = kernels_above_roofs(kernels)
    if above:
        print(f"\nAbove 100% of a roof: {', '.join(above)}. No kernel can beat the hardware, so a "
              f"roof was measured low: in a noisy moment (rerun the roof cells with other programs "
              f"closed); or part of the data came from a cache (if a note above says the arrays "
              f"were capped); or, if this repeats, this CPU skips the write-allocate read the "
              f"byte count assumes (see the read, fill and scale-copy measurement).")
    else:
        print("\nEvery kernel is at or below its roof.")

# %% [markdown]
# ## Is the fused GELU memory-bound? Count what it executes
#
# The 9 FLOPs per element are a convention. Your `fused_gelu_loop` computes `tanh` with a
# rational approximation, so it executes more arithmetic than that. The cell below reads the
# machine code numba compiled for it and counts, in its widest-vector loop, the floating-point
# arithmetic instructions (an FMA as 2 FLOPs; comparisons, min/max and bit operations not at
# all) per vector of results stored: the FLOPs each element really costs. With those FLOPs and
# the bytes it must move, the roofline decides where the kernel stands, with one thread and
# with all of them.

# %%
WIDTH_RANK = {"v": 1, "xmm": 1, "ymm": 2, "zmm": 3}  # Arm NEON v-registers are 128 bits


def executed_flops_per_element(machine_code):
    """FLOPs per element of the vector loop in `machine_code` (x86 or Arm assembly), or None.

    The loop body is taken to be the basic block (the lines between two labels) with the most
    vector floating-point arithmetic at the widest width; its FLOPs (an FMA counts 2) are
    divided by its vector stores of that width (one per vector of results): each instruction
    and each store covers the same lanes, so no lane count is needed."""
    import re
    arith = re.compile(r"^\s*(v(?:fn?m(?:add|sub)\w*|mul|add|sub|div)p[sd])\s[^\n]*?%(xmm|ymm|zmm)\d+\s*$"
                       r"|^\s*(fmla|fmls|fmul|fadd|fsub|fdiv)\s+(v)\d+\.4s")
    store = re.compile(r"^\s*vmov\w*p[sd]\s+%(xmm|ymm|zmm)\d+,\s*[^%\s]*\("
                       r"|^\s*(?:str|stp|stur)\s+(q)\d+|^\s*st1\s+\{(v)")
    blocks, current = [], []
    for line in machine_code.splitlines():
        if re.match(r"^\S+:", line):  # a label starts a new basic block
            blocks.append(current)
            current = []
        current.append(line)
    blocks.append(current)
    best = None  # (rank of width, FLOPs, stores)
    for block in blocks:
        ops = [m for m in map(arith.match, block) if m]
        if not ops:
            continue
        widths = [m.group(2) or m.group(4) for m in ops]
        widest = max(widths, key=WIDTH_RANK.get)
        flops = sum(2 if (m.group(1) or m.group(3)).startswith(("vf", "fml")) else 1
                    for m, w in zip(ops, widths) if w == widest)
        stores = sum(1 for m in map(store.match, block)
                     if m and (m.group(1) == widest or (widest == "v" and not m.group(1))))
        rank = (WIDTH_RANK[widest], flops)
        if stores and (best is None or rank > best[0]):
            best = (rank, flops, stores)
    return best[1] / best[2] if best else None


with skip_unfinished():  # a kernel not written yet: one line, no traceback
    if "GELU fused loop" not in kernels:
        print("fused_gelu_loop is not on the table yet: write it in notebook 02 first")
    else:
        loop = yours["fused_gelu_loop"]
        code = "\n".join(text for sig, text in loop.inspect_asm().items() if "float32" in str(sig))
        per_element = executed_flops_per_element(code)
        rate_conv = kernels["GELU fused loop"][1]  # GFLOP/s at 9 FLOPs per element
        elements_per_s = rate_conv * 1e9 / 9
        moved_gbs = elements_per_s * stream_bytes(1, 1, 1, 4) / 1e9
        if per_element is None:
            per_element = 9.0
            print("could not read this CPU's machine code: using the convention, 9 FLOPs per element")
        else:
            print(f"fused_gelu_loop executes about {per_element:.1f} FLOPs per element "
                  f"(the convention counts 9)")
        ai_exec = per_element / stream_bytes(1, 1, 1, 4)
        rate_exec = elements_per_s * per_element / 1e9
        print(f"executed intensity {ai_exec:.2f} FLOP/byte; measured {rate_exec:.1f} executed GFLOP/s, "
              f"moving {moved_gbs:.1f} GB/s")
        settings = [("one thread", peak, bandwidth)]
        if peak_all is not None:
            settings.append((f"all {cores} threads", peak_all, bandwidth_all))
        for where, p_w, b_w in settings:
            side = "memory" if ai_exec < ridge_point(p_w, b_w) else "compute"
            print(f"{where}: ridge {ridge_point(p_w, b_w):.2f} FLOP/byte, so it is {side}-bound there; "
                  f"it runs at {100 * moved_gbs / b_w:.0f}% of the memory roof and "
                  f"{100 * rate_exec / p_w:.0f}% of the compute roof")
        if peak_all is None:
            print("(all threads: skipped while grading)")

# %% [markdown]
# ## GEMV vs GEMM: the batch size sets the intensity
#
# BLAS sorts its routines in levels: level 1 works on vectors (like the add above), level 2 on a
# matrix and a vector (GEMV), level 3 on two matrices (GEMM). A dense layer of a neural network
# applies a weight matrix `W` (`K x N`) to a batch of `B` input rows: `(B x K) @ (K x N)`. It
# does `2 B K N` FLOPs and must read the weights and the inputs and write the outputs (two
# sweeps, by this notebook's rule).
#
# With `B = 1` (one request, one token at a time: a GEMV) every weight takes part in a single
# multiply-add, so the intensity is about `2 K N / (4 K N)` FLOP/byte whatever the layer
# size: memory-bound on any current CPU or GPU. Every extra row of the batch reuses each weight
# once more, so while the weights dominate the traffic the intensity grows about as `B / 2`.
# That is why inference servers batch requests, and why generating text one token at a time is
# limited by memory bandwidth rather than by FLOPs. The weight matrix below is larger than
# your last-level cache, so it really comes from memory on every call.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    # weights larger than the caches, within a quarter of the arrays' share of the budget
    w_bytes = array_bytes_beyond_caches(arrays=4)
    k_dim = n_dim = int(np.sqrt(w_bytes / 4)) // 64 * 64
    weights = np.random.default_rng(7).random((k_dim, n_dim), dtype=np.float32)
    batches = (1, 16, 128) if GRADING else (1, 4, 16, 64, 256)
    with quiet():
        for bsz in batches:
            inputs = np.random.default_rng(bsz).random((bsz, k_dim), dtype=np.float32)
            label = "GEMV batch 1" if bsz == 1 else f"GEMM batch {bsz}"
            measure(label, np.matmul, (inputs, weights), 2 * bsz * k_dim * n_dim,
                    stream_bytes(1, 0, k_dim * n_dim, 4) + stream_bytes(1, 0, bsz * k_dim, 4)
                    + stream_bytes(0, 1, bsz * n_dim, 4),
                    repeat=4 if GRADING else 8)
    del weights, inputs  # freed before the roofs may be measured again
    gemv_names = ["GEMV batch 1" if bsz == 1 else f"GEMM batch {bsz}" for bsz in batches]
    for _attempt in range(0 if GRADING else 3):
        if not kernels_above_roofs(gemv_names):
            break
        print(f"above a roof: {', '.join(kernels_above_roofs(gemv_names))}; measuring the roofs again")
        best, bandwidth, peak, peak64 = measure_roofs(1)
    ridge, ridge64 = ridge_point(peak, bandwidth), ridge_point(peak64, bandwidth)
    if kernels_above_roofs(kernels):
        print(f"Above 100% of a roof: {', '.join(kernels_above_roofs(kernels))} (see the table above "
              f"for what that means)")
    print(f"roofs now: B = {bandwidth:.1f} GB/s, P32 = {peak:.1f} GFLOP/s (one thread)")
    print(f"weights {k_dim} x {n_dim} float32 ({4 * k_dim * n_dim / 2**20:.0f} MiB), one thread")
    print(f"{'batch':>6} {'FLOP/byte':>10} {'GFLOP/s':>9} {'of roof':>8}  bound by")
    for bsz in batches:
        name = "GEMV batch 1" if bsz == 1 else f"GEMM batch {bsz}"
        ai, rate = kernels[name]
        roof = attainable_gflops(ai, peak, bandwidth)
        print(f"{bsz:>6} {ai:>10.2f} {rate:>9.3g} {100 * rate / roof:>7.3g}%  "
              f"{'memory' if ai < ridge else 'compute'}")
    rates = {bsz: kernels["GEMV batch 1" if bsz == 1 else f"GEMM batch {bsz}"][1] for bsz in batches}
    slower = [bsz for bsz in batches[1:] if rates[bsz] < rates[1]]
    if slower:
        print(f"Batch {', '.join(map(str, slower))} ran at fewer GFLOP/s than batch 1, although it "
              f"streams the same weights and does more FLOPs per byte: your BLAS handles a batch of "
              f"more than one row with a different routine than a single row, and at small batches "
              f"that routine's fixed costs outweigh the reuse.")
    rising = all(rates[b2] >= rates[b1] for b1, b2 in zip(batches[1:], batches[2:]))
    print(f"From batch {batches[1]} on, the rate {'rises with every larger batch' if rising else 'does not rise steadily'}"
          f" ({', '.join(f'{rates[b]:.3g}' for b in batches)} GFLOP/s for batches "
          f"{', '.join(map(str, batches))}).")
    crossing = [b for b in batches if kernels["GEMV batch 1" if b == 1 else f"GEMM batch {b}"][0] >= ridge]
    print(f"The ridge ({ridge:.2f} FLOP/byte) is crossed at batch {crossing[0]}." if crossing
          else f"No batch measured here reaches the ridge ({ridge:.2f} FLOP/byte).")

# %% [markdown]
# ## Your roofline
#
# Your `plot_roofline` draws the one-thread float32 roofs and the points. The cell adds the
# float64 compute roof (dotted) and the all-threads roofs (dashed) to the same axes. The
# figure is saved as `roofline.png` next to this notebook, so you can put it in a report.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    fig = plot_roofline(peak, bandwidth, kernels)
    ax_r = fig.axes[0]
    lo, hi = ax_r.get_xlim()
    ax_r.plot([ridge64, hi], [peak64, peak64], linestyle=":", color="gray",
              label=f"float64 compute roof, 1 thread ({peak64:.0f} GFLOP/s)")
    if peak_all is not None:
        ridge_all = peak_all / bandwidth_all
        ax_r.plot([lo, ridge_all, hi], [bandwidth_all * lo, peak_all, peak_all], linestyle="--",
                  color="gray", label=f"all {cores} threads ({peak_all:.0f} GFLOP/s, {bandwidth_all:.0f} GB/s)")
        ax_r.set_ylim(top=max(ax_r.get_ylim()[1], 2 * peak_all))
    ax_r.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=7)
    if GRADING:
        fig.savefig(io.BytesIO(), format="png")  # render it, but leave no file behind while grading
    else:
        fig.savefig("roofline.png", dpi=150, bbox_inches="tight")
        print("saved roofline.png")
    plt.show()

# %% [markdown]
# ## Reading the plot
#
# For each point, look at two things: which side of the ridge it is on, and how far below the
# roof above it it sits (the "of roof" column).
#
# * **Element-wise add** has a tiny intensity (your Q1 below), far left of the ridge point of
#   any current CPU. It can never be compute-bound: the best it can do is stream at memory
#   speed. If your table shows it near 100% of its roof, nothing but fewer bytes will speed it
#   up: fusing it with the operations around it (so `z` is never written and read back), or
#   storing the data in a narrower type (bfloat16 halves the bytes and doubles the intensity).
# * **GELU** has the same compulsory intensity in every version; the versions differ in how
#   many bytes they *really* move. The unfused one makes a full pass over memory for every step:
#   at its compulsory intensity it sits far below the memory roof, and the extra point at its
#   operational intensity shows where that time went. Fewer passes only help when the fused
#   code also keeps its arithmetic fast: compare your "GELU compiled loop" (one pass, but a
#   scalar library `tanh` per element) with "GELU chunked" and "GELU fused loop" in the table.
#   Whether the fused loop is limited by memory or by arithmetic on your machine, with one
#   thread and with all, the cell after the table decided from its executed FLOPs.
# * **Matmul** has an intensity that grows with the matrix size `N`. Small products may sit
#   left of the ridge, large ones right of it. The "of peak" column is BLAS's percent of the
#   compute roof, which is the higher of the FMA loop and BLAS itself (the roofs cell said which
#   set it). Small products fall further below because the fixed cost of each call is not spread
#   over enough work. How the GEMV and GEMM points move with the batch size, and at which batch
#   they cross the ridge, the GEMV cell printed from your own measurements.
# * **The loop matmuls** (Python loops from notebook 01, compiled `ijk` and `ikj` loops from
#   notebook 03) have exactly the intensity of a BLAS product of the same size and dtype, yet sit far
#   below the roof. Intensity counts the bytes the computation *needs*; the `ijk` loop moves
#   far more, because it walks down columns and reuses little from the cache, and the Python
#   loop is held back by the interpreter, by neither roof. The points show how far a kernel is
#   from what the hardware allows, not why: the why is in the code.
#
# The roofs are measurements too, with their own error: the table said whether any kernel
# came out above its roof, and why that can happen.

# %% [markdown]
# ## Where the memory roof comes from: one roof per cache level
#
# The memory roof above is the bandwidth of main memory, because the arrays were made larger
# than every cache. A kernel whose data fits in a cache sees a higher roof. The sweep below
# reads arrays of growing size over and over with `read_sum` from the write-allocate measurement
# (compiled, vectorised, eight independent sums; one thread), and
# reports the read bandwidth for each *working set*. Expect plateaus, one per cache level, and
# a drop each time the working set outgrows a level; the dashed lines mark the size of every
# data cache level your system reports for one core (`accel.machine.cache_hierarchy()`: L1d,
# L2, L3, ...). A drop often starts a little before the line: the cache also holds other data
# (the loop's code, the page tables, other programs), and a shared last-level cache is shared.
# (Skipped while grading: it takes a few seconds.)

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    if GRADING:
        print("working-set sweep: skipped while grading")
    else:
        ws_bytes = [2**k for k in range(14, 29, 1) if 2**k <= max(256 * 2**20, 4 * last_level_cache_bytes())]
        ws_rate = []
        big = np.ones(max(ws_bytes) // 4, dtype=np.float32)
        for nbytes in ws_bytes:
            v = big[: nbytes // 4]
            reps = max(1, (256 * 2**20) // nbytes)  # about 256 MiB read per sample
            seconds = benchmark(read_sum, v, reps, repeat=5, min_time=0, threads=1).best
            ws_rate.append(reps * nbytes / seconds / 1e9)
        del big
        fig_ws, ax_ws = plt.subplots(figsize=(6, 4))
        ax_ws.plot(ws_bytes, ws_rate, marker="o")
        for shade, cache in zip(("0.7", "0.5", "0.3", "0.1"), cache_hierarchy()):
            name = f"L{cache['level']}{'d' if cache['type'] == 'Data' else ''}"
            size = (f"{cache['bytes'] / 2**20:g} MiB" if cache["bytes"] >= 2**20
                    else f"{cache['bytes'] / 2**10:g} KiB")
            ax_ws.axvline(cache["bytes"], linestyle="--", color=shade, label=f"{name} {size}")
        ax_ws.axhline(bandwidth, linestyle=":", color="black", label="memory roof B (triad)")
        ax_ws.set_xscale("log", base=2)
        ax_ws.set_yscale("log")
        ax_ws.set(xlabel="working set (bytes)", ylabel="read bandwidth (GB/s)",
                  title="Read bandwidth against working-set size, 1 thread")
        ax_ws.grid(True, which="both", alpha=0.3)
        ax_ws.legend()
        plt.show()
        for nbytes, rate in zip(ws_bytes, ws_rate):
            print(f"{nbytes / 2**10:>10,.0f} KiB: {rate:7.1f} GB/s")

# %% [markdown]
# ## Check your understanding
#
# Answer with numbers (Python expressions are fine). Count float32 values as 4 bytes, and count
# bytes by this notebook's rule: each input read once (one sweep), each output written once
# and read once before that (two sweeps, the write-allocate).
#
# **Q1.** `z = x + y` on float32 vectors of length `n`: its arithmetic intensity in FLOP/byte.
# Store it in `q1_ai_add`.
#
# **Q2.** GELU (tanh approximation) on a float32 vector, with the convention of this notebook:
# 9 FLOPs per element, `tanh` counted as one. Store its intensity in `q2_ai_gelu`.
#
# **Q3.** The product of two 768 x 768 float32 matrices (read A and B, write C). Store its
# intensity in `q3_ai_matmul_768`.
#
# **Q4.** A dense layer with a 4096 x 4096 float32 weight matrix applied to a single input
# vector (batch 1, a GEMV): read the weights and the input, write the output. Store
# its intensity in `q4_ai_gemv`.
#
# **Q5.** The same layer applied to a batch of 64 input rows. Store its intensity in
# `q5_ai_gemm_batch64`.
#
# **Q6.** The *operational* intensity of the eight-step unfused GELU on float32 data: 9 FLOPs
# per element over the bytes it really moves. Start from your answer to Q1 of notebook 02
# (which counted each read and each write once) and add the write-allocate of every array its
# nine operations write. Store it in
# `q6_ai_gelu_unfused_operational`.
#
# **Q7.** `measure_bandwidth_gbs` runs the triad as two NumPy calls on float64 arrays. How many
# bytes per element does one triad move, by this notebook's rule? Store it in
# `q7_triad_bytes_per_element`.
#
# **Q8.** More cores only speed up the part of a program that runs in parallel (Amdahl's law:
# with a fraction `f` parallel and `n` cores, the speed-up is `1 / ((1 - f) + f / n)`). A
# program is 90% parallel; what speed-up does it get on 8 cores? Store it in
# `q8_amdahl_speedup`. (And a memory-bound kernel gains only what the extra cores add to the
# memory roof: compare your one-thread and all-threads triads, and the thread sweep above.)

# %% nbgrader={"grade": false, "grade_id": "answers_roofline_intensities", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
q1_ai_add = 1 / ((2 + 2 * 1) * 4)
q2_ai_gelu = 9 / ((1 + 2 * 1) * 4)
q3_ai_matmul_768 = 2 * 768**3 / ((2 + 2 * 1) * 768**2 * 4)
q4_ai_gemv = 2 * 4096 * 4096 / (4 * (4096 * 4096 + 4096 + 2 * 4096))
q5_ai_gemm_batch64 = 2 * 64 * 4096 * 4096 / (4 * (4096 * 4096 + 64 * 4096 + 2 * 64 * 4096))
q6_ai_gelu_unfused_operational = 9 / (84 + 9 * 4)
q7_triad_bytes_per_element = (3 + 3) * 8
q8_amdahl_speedup = 1 / ((1 - 0.9) + 0.9 / 8)
### END SOLUTION
print(f"Q1: {q1_ai_add:.4f}   Q2: {q2_ai_gelu:.4f}   Q3: {q3_ai_matmul_768:.2f} FLOP/byte")
print(f"Q4: {q4_ai_gemv:.4f}   Q5: {q5_ai_gemm_batch64:.2f}   Q6: {q6_ai_gelu_unfused_operational:.4f} "
      f"FLOP/byte   Q7: {q7_triad_bytes_per_element} bytes   Q8: {q8_amdahl_speedup:.2f}x")

# %% nbgrader={"grade": true, "grade_id": "test_roofline_q1_ai_add", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q1: arithmetic intensity of a float32 element-wise add (checked to 1%)."""
assert isinstance(q1_ai_add, (int, float, np.integer, np.floating)), "q1_ai_add should be a number"
### BEGIN HIDDEN TESTS
assert abs(q1_ai_add - 1 / 16) < 0.01 / 16, (
    f"q1_ai_add: got {q1_ai_add:.4f}; one addition per element, two 4-byte reads and one "
    f"4-byte write, which also reads the line first (write-allocate)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_roofline_q2_ai_gelu", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q2: arithmetic intensity of float32 GELU at 9 FLOPs per element (checked to 1%)."""
assert isinstance(q2_ai_gelu, (int, float, np.integer, np.floating)), "q2_ai_gelu should be a number"
### BEGIN HIDDEN TESTS
assert abs(q2_ai_gelu - 9 / 12) < 0.01 * 9 / 12, (
    f"q2_ai_gelu: got {q2_ai_gelu:.4f}; 9 FLOPs per element over one 4-byte read and one "
    f"4-byte write with its write-allocate read")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_roofline_q3_ai_matmul", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q3: arithmetic intensity of a 768 x 768 float32 matmul (checked to 1%)."""
assert isinstance(q3_ai_matmul_768, (int, float, np.integer, np.floating)), "q3_ai_matmul_768 should be a number"
### BEGIN HIDDEN TESTS
assert abs(q3_ai_matmul_768 - 768 / 8) < 0.01 * 768 / 8, (
    f"q3_ai_matmul_768: got {q3_ai_matmul_768:.2f}; 2 N^3 FLOPs over two N x N float32 "
    f"matrices read and one written (two sweeps), 4 bytes per value")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_roofline_q4_ai_gemv", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q4: arithmetic intensity of a float32 GEMV with a 4096 x 4096 weight (checked to 1%)."""
assert isinstance(q4_ai_gemv, (int, float, np.integer, np.floating)), "q4_ai_gemv should be a number"
### BEGIN HIDDEN TESTS
_want = 2 * 4096 * 4096 / (4 * (4096 * 4096 + 3 * 4096))
assert abs(q4_ai_gemv - _want) < 0.01 * _want, (
    f"q4_ai_gemv: got {q4_ai_gemv}; 2 K N FLOPs over 4 bytes for each weight and input value "
    f"and 8 for each output value (write-allocate and write)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_roofline_q5_ai_gemm_batch64", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q5: arithmetic intensity of the same layer on a batch of 64 rows (checked to 1%)."""
assert isinstance(q5_ai_gemm_batch64, (int, float, np.integer, np.floating)), "q5_ai_gemm_batch64 should be a number"
### BEGIN HIDDEN TESTS
_want = 2 * 64 * 4096 * 4096 / (4 * (4096 * 4096 + 3 * 64 * 4096))
assert abs(q5_ai_gemm_batch64 - _want) < 0.01 * _want, (
    f"q5_ai_gemm_batch64: got {q5_ai_gemm_batch64}; 2 B K N FLOPs over the weights and B input "
    f"rows read (4 bytes a value) and B output rows written (8 bytes a value)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_roofline_q6_gelu_operational", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q6: operational intensity of the eight-step unfused GELU, float32 (checked to 1%)."""
assert isinstance(q6_ai_gelu_unfused_operational, (int, float, np.integer, np.floating)), "q6_ai_gelu_unfused_operational should be a number"
### BEGIN HIDDEN TESTS
_want = 9 / 120
assert abs(q6_ai_gelu_unfused_operational - _want) < 0.01 * _want, (
    f"q6_ai_gelu_unfused_operational: got {q6_ai_gelu_unfused_operational}; 9 FLOPs per element "
    f"over what the nine NumPy operations move: notebook 02's count plus a 4-byte "
    f"write-allocate read for each of the nine arrays written")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_roofline_q7_triad_bytes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q7: bytes per element of the two-call NumPy triad on float64 (checked to 1%)."""
assert isinstance(q7_triad_bytes_per_element, (int, float, np.integer, np.floating)), "q7_triad_bytes_per_element should be a number"
### BEGIN HIDDEN TESTS
_want = 48
assert abs(q7_triad_bytes_per_element - _want) < 0.01 * _want, (
    f"q7_triad_bytes_per_element: got {q7_triad_bytes_per_element}; two calls: read c, read and "
    f"write a (write-allocate), then read a, read b and write a; 8 bytes each")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_roofline_q8_amdahl", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q8: Amdahl speed-up of a 90% parallel program on 8 cores (checked to 1%)."""
assert isinstance(q8_amdahl_speedup, (int, float, np.integer, np.floating)), "q8_amdahl_speedup should be a number"
### BEGIN HIDDEN TESTS
_want = 1 / (0.1 + 0.9 / 8)
assert abs(q8_amdahl_speedup - _want) < 0.01 * _want, (
    f"q8_amdahl_speedup: got {q8_amdahl_speedup}; 1 / ((1 - f) + f / n) with f = 0.9, n = 8")
### END HIDDEN TESTS

# %% [markdown]
# ## Reflection (graded by hand)
#
# Look at your table and your plot. **Which of your kernels are memory-bound, and what would you
# change first?** Name the kernel you would work on first, say how far below its roof it is
# (from your table), and what change would move its point, in which direction (up towards the
# roof, or to the right by raising its intensity).

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflection_roofline_bound", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# A model answer uses the learner's own table: element-wise add and every GELU version sit left
# of the ridge at the convention's 9 FLOPs (small matmuls may be too; the fused loop's executed
# FLOPs may put it right of the ridge, as the cell after the table says). Add is already close to its roof,
# so only fewer bytes can help: fuse it into its neighbours or use a narrower type, which moves
# the point to the right. The unfused GELU is the first thing to change: it is far below its
# roof (a few percent to a few tens of percent) because every step is a pass over memory;
# fusing it (chunked, or one compiled vectorisable loop) moves it up towards the memory roof at
# the same compulsory intensity; its operational intensity rises to the compulsory one.
# A compiled loop that calls the scalar library tanh is the counter-example: one pass, yet
# lower than unfused NumPy, because its arithmetic is no longer vectorised. Large matmuls are compute-bound and already near
# the compute roof; the loop matmuls have the same intensity but sit far below, which is a
# cache-use problem (loop order, blocking), not a roofline limit.

# %% [markdown]
# ## Systems thinking (graded by hand)
#
# Answer two of the three, with numbers worked out from the counting rules of this notebook
# (say which convention you use) and, where you can, your own measured roofs:
#
# 1. **Attention vs layer normalisation.** In a transformer layer with sequence length `L` and
#    model width `d`, the attention scores `Q K^T` are an `(L x d) @ (d x L)` product; layer
#    normalisation reads an `L x d` activation, does a handful of FLOPs per element, and writes
#    it back. Estimate both intensities for `L = 2048`, `d = 1024`, float32. Which one is
#    memory-bound on your roofline, and what does that say about where fusion pays off?
# 2. **Convolution.** A 3 x 3 convolution with `C` input and `C` output channels on an
#    `H x W` image does `2 * 9 * C * C * H * W` FLOPs. Estimate its compulsory intensity for
#    `C = 64`, `H = W = 56`, float32 (input, weights and output each moved once). Is it closer
#    to a GEMV or to a large GEMM?
# 3. **Choosing hardware.** Two machines cost the same per hour: one has twice the FLOP/s, the
#    other twice the memory bandwidth. Which would you pick to serve a language model one
#    request at a time (batch 1), and which to train it with large batches? Use the GEMV/GEMM
#    measurements above.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflection_systems_thinking", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# A model answer (any two). (1) Attention scores: `2 L^2 d` FLOPs over `4 (2 L d + L^2)` bytes,
# for L = 2048, d = 1024 about 8.6e9 / 3.4e7, roughly 250 FLOP/byte: compute-bound on any CPU
# roofline. Layer normalisation: some 5-10 FLOPs per element over 8 bytes per element (read
# and write once), about 1 FLOP/byte or less: memory-bound, like GELU, so it is the kind of
# kernel that gains from being fused into its neighbours (one pass instead of several), while
# the matmul-like parts gain from better compute. (2) Convolution: 2 * 9 * 64 * 64 * 56 * 56 =
# 2.3e8 FLOPs over 4 * (64 * 56 * 56 * 2 + 9 * 64 * 64) bytes, about 1.8e6 bytes: about
# 130 FLOP/byte, much closer to a large GEMM (each weight is reused at every pixel, each pixel
# by every output channel). (3) Batch 1 serving is a GEMV at about 0.5 FLOP/byte: it is
# limited by bandwidth, so the machine with twice the bandwidth serves about twice as fast;
# large-batch training is GEMM-dominated and compute-bound, so the machine with twice the FLOP/s
# wins there. The answer quotes the learner's measured GEMV and GEMM points to support this.
