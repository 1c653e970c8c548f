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
# # 01 · Vectorization: from Python loops to BLAS
#
# A matrix product is the workhorse of machine learning, and the first place where *how* you
# compute matters more than *what* you compute. In this notebook you will
#
# 1. write a matrix product with plain Python loops and time it,
# 2. hand the same product to NumPy (which calls a BLAS library) and time that,
# 3. count floating-point operations so both can be reported in GFLOP/s,
# 4. measure how the rate grows with the matrix size on **your** machine, and
# 5. explain where the speed-up you measure (orders of magnitude, not a few times) comes from.
#
# Every number in this notebook is measured while you run it. Nothing is copied from a
# textbook, so your numbers will differ from your neighbour's, and that is the point.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell right
# below. The visible tests give quick feedback; the grader runs more tests on other inputs.
#
# **Code rules (all five notebooks).** While grading, the tests of this notebook run in a
# process of the grader's own that calls your functions with plain data; in notebooks 02 to 05
# they still share your notebook's Python process. Either way the grader will not run a cell
# that reaches into shared machinery, and gives a clear reason instead. Your code may import
# `numpy`, `numba`, `math`, `time`, `functools`, `itertools`, `collections`, `matplotlib` and
# `accel` (and a few more harmless modules); it may not assign to attributes of modules or shared
# objects (`np.something = ...`), rebind the names the tests use (`np`, `Tensor`, ...), or use
# `exec`, `eval`, `getattr`, `open`, `global`, `__dunder__` names, magics or shell commands. No
# kernel in this course needs any of them. To check a notebook before you hand it in, run
# `python -m accel.policy 01_vectorization.ipynb` in a terminal.
#
# **Memory.** Each notebook of this course, solved, runs within 2 GiB (the size of a Binder
# session). Arrays meant to be larger than your caches are sized from your caches and capped
# to fit that budget (`accel.machine.array_bytes_beyond_caches`); a printed note says when the
# cap keeps part of a measurement in cache.

# %% nbgrader={"grade": false, "grade_id": "setup_vectorization", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import platform
import time

import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_info

from accel import Tensor, benchmark, gflops, pinned_threads, skip_unfinished
from accel.machine import blas_thread_control, usable_cpus

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

# %% [markdown]
# ## Why a Python loop is slow
#
# In `c += a * b` on Python numbers the interpreter looks up the type of `a`, finds its
# multiplication method, allocates a new float object for the result, does the same for the
# addition, and decrements reference counts on the way. The multiplication itself is a single
# machine instruction; everything around it costs tens of nanoseconds.
#
# A modern core, meanwhile, can finish one or more *vector* fused multiply-adds per clock cycle,
# each working on several numbers at once (how many depends on the CPU; notebook 04 measures
# what yours does). The gap between "one interpreted operation" and "what the silicon can do"
# is the subject of this course.

# %% [markdown]
# ## Exercise 1 · `naive_matmul`
#
# Write the textbook triple loop. For `a` of shape `(m, k)` and `b` of shape `(k, n)`:
#
# $$c_{ij} = \sum_{p=0}^{k-1} a_{ip}\, b_{pj}$$
#
# Rules for this one: use Python loops over single elements (you may call `.tolist()` or index
# `a.data[i, p]`), but no NumPy arithmetic on whole arrays or rows. Creating the result with
# `np.zeros`, `np.empty`, `np.zeros_like` or `np.empty_like` is fine (that is not arithmetic).
# Return a `Tensor` of shape `(m, n)` with the **dtype of `a`**: float32 in, float32 out;
# float64 in, float64 out. Careful: `Tensor(list_of_lists)` always makes float32, so build the
# array with that dtype first, e.g. `Tensor(np.array(rows, dtype=a.dtype))`. The grader checks
# values, shape and dtype on float32 and float64 inputs of other shapes, and that no
# whole-array arithmetic is used: it passes inputs that refuse NumPy arithmetic, whose elements
# read with `.tolist()` work in your loops but will not become a NumPy array again. It also
# times it against its own Python triple loop: a loop of interpreted operations runs at most a
# few times faster than another one, while a product NumPy computes behind the scenes (through
# a view or a copy of the inputs) is hundreds of times faster, so anything more than 20x faster
# than the grader's loop loses this test. This slow
# function is your baseline.

# %% nbgrader={"grade": false, "grade_id": "naive_matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
def naive_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with explicit Python loops.

    a: (m, k), b: (k, n), 2-D, any float dtype. Returns (m, n) in a's dtype.
    Cost: 2*m*k*n FLOPs, each one an interpreted Python operation.
    """
    ### BEGIN SOLUTION
    m, k = a.shape
    k_b, n = b.shape
    if k != k_b:
        raise ValueError(f"inner dimensions differ: a is {a.shape}, b is {b.shape}")
    a_rows = a.data.tolist()
    b_rows = b.data.tolist()
    out = [[0.0] * n for _ in range(m)]
    for i in range(m):
        a_row, out_row = a_rows[i], out[i]
        for j in range(n):
            total = 0.0
            for p in range(k):
                total += a_row[p] * b_rows[p][j]
            out_row[j] = total
    return Tensor(np.array(out, dtype=a.dtype).reshape(m, n))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_naive_matmul", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""naive_matmul: correct values, shape and dtype, using loops over single elements only."""
from accel.grading import as_array, check_close, check_dtype
from accel.grading.matmul import LoopOnlyArray

a = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = Tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
c = as_array(naive_matmul(a, b), "naive_matmul")
check_close(c, [[7.0, -1.0], [16.0, -1.0]], what="naive_matmul (2x3 @ 3x2)")
check_dtype(c, np.float32, "naive_matmul of float32 inputs")
c = as_array(naive_matmul(Tensor(a.data.astype(np.float64)), Tensor(b.data.astype(np.float64))),
             "naive_matmul")
check_dtype(c, np.float64, "naive_matmul of float64 inputs")
c = as_array(naive_matmul(Tensor(a.data.view(LoopOnlyArray)), Tensor(b.data.view(LoopOnlyArray))),
             "naive_matmul")
check_close(c, [[7.0, -1.0], [16.0, -1.0]], what="naive_matmul on inputs that refuse whole-array arithmetic")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(1701)
for _m, _k, _n, _dtype in [(1, 1, 1, np.float64), (5, 7, 3, np.float64), (4, 9, 6, np.float32)]:
    _a = _rng.standard_normal((_m, _k)).astype(_dtype)
    _b = _rng.standard_normal((_k, _n)).astype(_dtype)
    _want = _a.astype(np.float64) @ _b.astype(np.float64)  # before the call: inputs may be mutated
    _c = as_array(naive_matmul(Tensor(_a), Tensor(_b)), "naive_matmul")
    check_close(_c, _want, rtol=1e-4, atol=1e-5, what=f"naive_matmul {_a.shape} @ {_b.shape}")
    check_dtype(_c, _dtype, f"naive_matmul of {np.dtype(_dtype)} inputs")
# Whole-array NumPy arithmetic on the inputs raises inside LoopOnlyArray.
_a = _rng.standard_normal((3, 4)).view(LoopOnlyArray)
_b = _rng.standard_normal((4, 2)).view(LoopOnlyArray)
_want = _a.view(np.ndarray) @ _b.view(np.ndarray)
check_close(as_array(naive_matmul(Tensor(_a), Tensor(_b)), "naive_matmul"), _want,
            rtol=1e-10, atol=1e-12, what="naive_matmul on loop-only inputs")
# The loop itself: a plain view or a C-level copy of the inputs (view(np.ndarray), np.array,
# tobytes) would hand the product to NumPy, which no input type can stop; its speed gives it
# away. (Elements read with tolist() from a LoopOnlyArray refuse to become an array again.)
from accel.grading import speed_ratio
from accel_instructor.reference.matmul import trusted_naive_matmul


def _loop_pair(_seed):
    _gen = np.random.default_rng(1800 + _seed)
    return _gen.standard_normal((512, 24)), _gen.standard_normal((24, 24))


_ratio = speed_ratio(lambda _x, _y: naive_matmul(Tensor(_x), Tensor(_y)), trusted_naive_matmul,
                     _loop_pair, repeats=3)
assert _ratio.ratio <= 20, (
    f"naive_matmul ran {_ratio.ratio:.0f}x faster than the grader's Python triple loop "
    f"({_ratio}); a loop of interpreted Python operations is at most a few times faster. "
    f"Compute every product and sum in your own loops, not with NumPy on a copy or view.")
### END HIDDEN TESTS

# %% [markdown]
# ### How long is one step of the loop?
#
# The inner loop runs `m * k * n` times. Dividing the run time by that count gives the cost of
# one multiply-add *as Python executes it*.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    n_probe = 48 if GRADING else 96
    a_probe = Tensor(np.random.default_rng(0).standard_normal((n_probe, n_probe)).astype(np.float32))
    naive_time = benchmark(naive_matmul, a_probe, a_probe, repeat=3, min_time=0)
    ns_per_step = naive_time.best / n_probe**3 * 1e9
    print(f"naive_matmul at N={n_probe}: {naive_time}")
    print(f"about {ns_per_step:.0f} ns per inner-loop step on this machine")

# %% [markdown]
# ## Exercise 2 · `vectorized_matmul`
#
# NumPy's `np.matmul` (the `@` operator) hands the whole product to a BLAS library written in C
# and assembly. Write `vectorized_matmul` on top of it, with the same rules as `np.matmul`:
#
# * both inputs have **at least 2 dimensions**; the last two are the matrix dimensions and any
#   leading ones are *batch* dimensions, broadcast against each other (`(8, 3, 4) @ (4, 5)` is
#   allowed and gives `(8, 3, 5)`);
# * the result's dtype is what NumPy gives (float32 in, float32 out: do not convert);
# * when an input has fewer than 2 dimensions, or the inner dimensions differ, raise
#   `ValueError` with a message that shows **both shapes**, for example
#   `cannot multiply (3, 4) by (5, 2): inner dimensions 4 and 5 differ`.

# %% nbgrader={"grade": false, "grade_id": "vectorized_matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
def vectorized_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Batched matrix product through BLAS.

    a: (..., m, k), b: (..., k, n) with broadcastable batch dimensions; returns (..., m, n) in
    NumPy's result dtype (float32 @ float32 -> float32).
    Raises ValueError, naming both shapes, if an input is not at least 2-D or k differs.
    Cost: 2*m*k*n FLOPs per batch element; moves (m*k + k*n + m*n) * itemsize bytes at least.
    """
    ### BEGIN SOLUTION
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(
            f"cannot multiply {a.shape} by {b.shape}: both inputs need at least 2 dimensions"
        )
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"cannot multiply {a.shape} by {b.shape}: inner dimensions "
            f"{a.shape[-1]} and {b.shape[-2]} differ"
        )
    return Tensor(np.matmul(a.data, b.data))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_vectorized_matmul_values", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""vectorized_matmul: correct values on 2-D inputs, square and not."""
a = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = Tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
check_close(as_array(vectorized_matmul(a, b), "vectorized_matmul"), [[7.0, -1.0], [16.0, -1.0]],
            what="vectorized_matmul (2x3 @ 3x2)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(4242)
for _m, _k, _n in [(1, 1, 1), (17, 31, 9), (64, 3, 128), (100, 100, 100)]:
    _a = _rng.standard_normal((_m, _k))
    _b = _rng.standard_normal((_k, _n))
    _want = _a @ _b
    check_close(as_array(vectorized_matmul(Tensor(_a), Tensor(_b)), "vectorized_matmul"),
                _want, rtol=1e-9, atol=1e-9, what=f"vectorized_matmul {_a.shape} @ {_b.shape}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_vectorized_matmul_batched", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""vectorized_matmul: batch dimensions, including broadcasting between a and b."""
x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
y = np.ones((4, 5), dtype=np.float32)
want = x @ y
check_close(as_array(vectorized_matmul(Tensor(x), Tensor(y)), "vectorized_matmul"), want,
            what="vectorized_matmul (2, 3, 4) @ (4, 5)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(99)
for _sa, _sb in [((5, 3, 4), (5, 4, 2)), ((2, 1, 6, 7), (3, 7, 4)), ((6, 5), (4, 5, 3))]:
    _a = _rng.standard_normal(_sa)
    _b = _rng.standard_normal(_sb)
    _want = np.matmul(_a, _b)
    check_close(as_array(vectorized_matmul(Tensor(_a), Tensor(_b)), "vectorized_matmul"),
                _want, rtol=1e-9, atol=1e-9, what=f"vectorized_matmul {_sa} @ {_sb}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_vectorized_matmul_dtype", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""vectorized_matmul: keeps float32 as float32 and float64 as float64."""
c32 = as_array(vectorized_matmul(Tensor(np.ones((3, 3), np.float32)),
                                 Tensor(np.ones((3, 3), np.float32))), "vectorized_matmul")
check_dtype(c32, np.float32, "vectorized_matmul of float32 inputs")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(7)
for _dtype in (np.float32, np.float64):
    _a = _rng.standard_normal((5, 6)).astype(_dtype)  # 2-D: batching is graded separately
    _b = _rng.standard_normal((6, 3)).astype(_dtype)
    check_dtype(as_array(vectorized_matmul(Tensor(_a), Tensor(_b)), "vectorized_matmul"),
                _dtype, f"vectorized_matmul of {np.dtype(_dtype)} inputs")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_vectorized_matmul_errors", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""vectorized_matmul: ValueError naming both shapes for bad inputs."""
from accel.grading import expect_value_error

with expect_value_error("(3, 4)", "(5, 2)", what="vectorized_matmul((3, 4), (5, 2))"):
    vectorized_matmul(Tensor(np.zeros((3, 4))), Tensor(np.zeros((5, 2))))
### BEGIN HIDDEN TESTS
for _sa, _sb in [((2, 7, 3), (2, 4, 5)), ((6,), (6, 2)), ((3, 3), (3,))]:
    with expect_value_error(str(_sa), str(_sb), what=f"vectorized_matmul({_sa}, {_sb})"):
        vectorized_matmul(Tensor(np.zeros(_sa)), Tensor(np.zeros(_sb)))
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 3 · counting FLOPs
#
# To compare kernels of different sizes we report a *rate*: floating-point operations per
# second. Each of the `m * n` outputs of a matrix product is a dot product of length `k`: `k`
# multiplications and `k` additions. (Strictly `k - 1` additions, but every BLAS and every
# roofline paper counts `2k`, because hardware does them as `k` fused multiply-adds.)
#
# Write `matmul_flops(m, k, n)`, the FLOP count of an `(m, k) @ (k, n)` product, as an `int`.

# %% nbgrader={"grade": false, "grade_id": "matmul_flops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def matmul_flops(m: int, k: int, n: int) -> int:
    """Floating-point operations of an (m, k) @ (k, n) product: one multiply and one add per
    term of each of the m*n dot products of length k."""
    ### BEGIN SOLUTION
    return 2 * m * k * n
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_matmul_flops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""matmul_flops: 2*m*k*n as an int, for square and non-square shapes."""
got = matmul_flops(2, 2, 2)
assert isinstance(got, (int, np.integer)), f"matmul_flops should return an int (2.0 is a float), got {type(got).__name__}"
assert got == 16, f"matmul_flops(2, 2, 2): expected 16, got {got}"
### BEGIN HIDDEN TESTS
for _m, _k, _n in [(1, 1, 1), (3, 5, 7), (1024, 1024, 1024), (7, 1, 11)]:
    _got = matmul_flops(_m, _k, _n)
    assert isinstance(_got, (int, np.integer)), f"matmul_flops should return an int, got {type(_got).__name__}"
    assert _got == 2 * _m * _k * _n, f"matmul_flops({_m}, {_k}, {_n}): expected {2 * _m * _k * _n}, got {_got}"
### END HIDDEN TESTS

# %% [markdown]
# ## How much faster?
#
# Now time both versions on the same inputs. The comparison pins BLAS to one thread, so this
# is one core against one core: the whole difference comes from *how* the work is done, not
# from using more cores.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    sizes = [32, 48] if GRADING else [32, 64, 128]
    print(f"{'N':>5} {'naive':>12} {'vectorized':>12} {'speed-up':>10}")
    for n in sizes:
        a_n = Tensor(np.random.default_rng(n).standard_normal((n, n)).astype(np.float32))
        slow = benchmark(naive_matmul, a_n, a_n, repeat=3, min_time=0, threads=1).best
        fast = benchmark(vectorized_matmul, a_n, a_n, repeat=5, threads=1).best
        print(f"{n:>5} {slow * 1e3:>9.2f} ms {fast * 1e6:>9.1f} us {slow / fast:>9.0f}x")

# %% [markdown]
# The grader repeats this comparison with its own loop-based baseline (not your
# `naive_matmul`), on fresh random inputs for every call, after a warm-up, in rounds that
# alternate which goes first, both on one core; the verdict is the median of the rounds' ratios.
# A single timing would be at the mercy of whatever else the machine is doing. The grader's
# inputs are tall and narrow (2048 x 24 @ 24 x 24), so a loop over rows is caught as a loop. To
# pass, `vectorized_matmul` must be at least **50x** faster than that baseline; a correct answer
# reads 100x or more there, even though every call also crosses from the grader's process into
# your kernel's and back.

# %% nbgrader={"grade": true, "grade_id": "test_vectorized_matmul_speed", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""vectorized_matmul: at least 50x faster than a loop-based baseline (paired rounds, median ratio, 1 thread)."""
from accel.grading import require_speedup, speed_ratio


def _fresh_pair(seed, shape_a=(40, 40), shape_b=(40, 40)):
    rng = np.random.default_rng(1000 + seed)
    return (rng.standard_normal(shape_a).astype(np.float32),
            rng.standard_normal(shape_b).astype(np.float32))


def _student(a, b):
    return vectorized_matmul(Tensor(a), Tensor(b))


def _your_naive(a, b):
    return naive_matmul(Tensor(a), Tensor(b))


# Here: a comparison with *your* naive_matmul, for guidance. The grade comes from the grader's
# own loop baseline (not shown), so an unfinished naive_matmul costs nothing here.
try:
    _your_naive(*_fresh_pair(0, (2, 2), (2, 2)))
    _naive_ready = True
except Exception:
    _naive_ready = False
if _naive_ready:
    print(f"vectorized_matmul vs your naive_matmul at 40x40: "
          f"{speed_ratio(_student, _your_naive, _fresh_pair, repeats=3)}")
else:
    _student(*_fresh_pair(0))  # your vectorized_matmul must at least run
    print("naive_matmul is not ready, so there is nothing to compare with yet")
print("The grader asks for at least 50x against its own loop baseline, on other inputs.")
### BEGIN HIDDEN TESTS
from accel_instructor.reference.matmul import trusted_naive_matmul

_ratio = speed_ratio(_student, trusted_naive_matmul,
                     lambda seed: _fresh_pair(seed + 50, (2048, 24), (24, 24)), repeats=5)
require_speedup(_ratio, 50, "vectorized_matmul vs the loop baseline (2048x24 @ 24x24)")
### END HIDDEN TESTS

# %% [markdown]
# ## Scaling: GFLOP/s against N
#
# A faster kernel is nice; a *rate* tells you how close to the hardware you are. Below, the
# product of two `N x N` float32 matrices is timed for growing `N`, once with BLAS pinned to a
# single thread and once with all of its threads. For small `N` the fixed cost of each call
# (Python, argument checks, starting threads) dominates; for large `N` the rate settles at what
# the BLAS kernel can sustain.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    sweep = [64, 128, 256] if GRADING else [64, 128, 256, 512, 1024, 2048]
    rates = {"1 thread": [], "all threads": []}
    spread = 1.0  # the largest median / best of one measurement: how steady the machine was
    for n in sweep:
        a_n = Tensor(np.random.default_rng(n).standard_normal((n, n)).astype(np.float32))
        for label, threads in (("1 thread", 1), ("all threads", None)):
            t = benchmark(vectorized_matmul, a_n, a_n, repeat=3, min_time=0.02, threads=threads)
            rates[label].append(gflops(matmul_flops(n, n, n), t.best))
            spread = max(spread, t.median / t.best)

    print(f"{'N':>6} {'1 thread':>12} {'all threads':>12}   (GFLOP/s, float32)")
    for n, one, every in zip(sweep, rates["1 thread"], rates["all threads"]):
        print(f"{n:>6} {one:>12.1f} {every:>12.1f}")
    # the sentences that match these numbers, not those of the machine this was written on
    cores = usable_cpus()["count"]
    gain = rates["all threads"][-1] / rates["1 thread"][-1]
    if gain >= 1.3:
        print(f"At N={sweep[-1]}, all threads ran {gain:.1f}x as fast as one ({cores} cores "
              f"available to this process): a large product splits well across cores.")
    elif gain >= 0.8:
        print(f"At N={sweep[-1]}, all threads ran about as fast as one ({gain:.2f}x, {cores} "
              f"cores available to this process): with few free cores there is little to share.")
    else:
        print(f"At N={sweep[-1]}, all threads ran slower than one ({gain:.2f}x): the other cores "
              f"were busy (other programs, or other users of a shared machine), and BLAS's "
              f"threads waited for each other. Close other programs and rerun this cell; until "
              f"then, trust the one-thread column.")
    if spread > 1.25:
        print(f"Repeats of one measurement differed by up to {100 * (spread - 1):.0f}% (median "
              f"against best): the machine was busy, or changed its clock speed, while timing. "
              f"Rerun this cell when it is quieter before drawing conclusions.")

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in rates.items():
        ax.plot(sweep, values, marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set(xlabel="matrix size N (N x N, float32)", ylabel="throughput (GFLOP/s)",
           title="np.matmul on this machine")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    plt.show()

# %% [markdown]
# ## What BLAS does that a loop cannot
#
# Three things, stacked on top of each other:
#
# * **SIMD.** One vector instruction multiplies and adds 8 float32 pairs (AVX2, 256-bit
#   registers) or 16 (AVX-512, 512-bit registers) in one go. How many of them a core completes
#   per cycle, and whether a 512-bit instruction runs at full width or as two 256-bit halves,
#   differs from one microarchitecture to the next; rather than look it up, notebook 04 measures
#   it with a loop of fused multiply-adds. The cell below lists which vector extensions your CPU
#   reports.
# * **Blocking.** The product is cut into tiles that fit the caches and the registers, so every
#   number fetched from memory is reused many times before it is evicted. Notebook 03 is about
#   this.
# * **Threads.** Large products are split across cores. Compare the two curves above: if your
#   machine has more than one core, the gap between them is the threading.
#
# The interpreter overhead disappears too, of course: one Python call does `2N^3` FLOPs.

# %%
from accel.machine import cpu_features

cpu = cpu_features()  # /proc/cpuinfo on Linux, sysctl on macOS; x86-64 or ARM
print(f"{cpu['name']}: widest vector extension {cpu['simd']}, "
      f"{cpu['vector_bits']}-bit registers ({cpu['vector_bits_source']})")
for extension, present in cpu["extensions"].items():
    print(f"{extension:>8}: {'unknown' if present is None else 'yes' if present else 'no'}")
print(f"source: {cpu['source']}")

# %% [markdown]
# ## Check your understanding
#
# Answer with numbers (Python expressions are fine). Use 1 MiB = 2**20 bytes.
#
# **Q1.** Two 1024 x 1024 float32 matrices are multiplied. The product reads A and B once and
# writes C once. What is its arithmetic intensity, in FLOPs per byte moved? Store it in
# `q1_intensity`.
#
# **Q2.** A 1024 x 1024 x 1024 float32 product finishes in 10 ms. What rate is that, in GFLOP/s
# (1 GFLOP = 1e9 FLOPs)? Store it in `q2_gflops`.

# %% nbgrader={"grade": false, "grade_id": "answers_check_understanding", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
q1_intensity = (2 * 1024**3) / (3 * 1024**2 * 4)  # FLOPs / bytes of A, B and C
q2_gflops = (2 * 1024**3) / 10e-3 / 1e9
### END SOLUTION
print(f"Q1: {q1_intensity:.1f} FLOP/byte   Q2: {q2_gflops:.1f} GFLOP/s")

# %% nbgrader={"grade": true, "grade_id": "test_q1_intensity", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q1: arithmetic intensity of a 1024^3 float32 matmul (checked to 1%)."""
assert isinstance(q1_intensity, (int, float, np.integer, np.floating)), "q1_intensity should be a number"
### BEGIN HIDDEN TESTS
assert abs(q1_intensity - 2 * 1024**3 / (3 * 4 * 1024**2)) < 0.01 * 170.67, (
    f"q1_intensity: got {q1_intensity:.2f} FLOP/byte; count 2*N^3 FLOPs and 3 matrices of N^2 "
    f"float32 values (4 bytes each)")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_q2_gflops", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q2: GFLOP/s of a 1024^3 matmul that takes 10 ms (checked to 1%)."""
assert isinstance(q2_gflops, (int, float, np.integer, np.floating)), "q2_gflops should be a number"
### BEGIN HIDDEN TESTS
assert abs(q2_gflops - 2 * 1024**3 / 0.01 / 1e9) < 0.01 * 214.7, (
    f"q2_gflops: got {q2_gflops:.2f}; divide the FLOP count by the seconds, then by 1e9")
### END HIDDEN TESTS

# %% [markdown]
# ## Reflection (graded by hand)
#
# In a few sentences: what speed-up did **you** measure between `naive_matmul` and
# `vectorized_matmul` at the largest size you tried, and which of the three effects above
# (SIMD, blocking, threads) does your scaling plot let you see directly? Which one can it
# *not* show, and why?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflection_blas_speedup", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# A model answer names the measured speed-up (hundreds to thousands of times), notes that the
# gap between the one-thread and all-threads curves shows threading directly once N is large
# enough to be split, and that SIMD and blocking both live inside the one-thread curve: the plot
# shows their combined effect but cannot separate them; that needs a kernel written with and
# without each optimisation (notebook 03 does this for blocking).
