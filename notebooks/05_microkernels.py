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
# # 05 · Latency, parallelism in flight, and Little's law
#
# Notebook 04 measured how *fast* a core computes and how *fast* memory delivers: two
# throughputs. This notebook measures the other half of performance: **latency**, how long one
# operation takes from start to result, and how many operations a core must keep *in flight*
# at once to turn that latency into throughput. In this notebook you will
#
# 1. time one chain of dependent fused multiply-adds (FMAs) against many independent chains,
#    and find the FMA latency and throughput of your core;
# 2. derive how many independent accumulators a kernel needs to reach the FMA peak;
# 3. measure the latency of every level of your memory hierarchy with a *pointer chase*;
# 4. use **Little's law** with your own numbers: how many bytes must be in flight to reach your
#    memory bandwidth at your memory latency;
# 5. write a **register-blocked matrix multiply**, the structure inside BLAS: packed panels and
#    a micro-kernel that keeps a block of results in registers.
#
# The one idea behind all of them: **in flight = latency x throughput**. It explains why the FMA
# loops of notebook 04 needed several independent values per element, why BLAS keeps a block
# of results in registers, and why one core cannot use all of a server's memory bandwidth.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell right
# below. The visible tests give quick feedback; the grader runs more tests on other inputs.
#
# **Memory.** Solved, this notebook runs within 2 GiB. The largest pointer chase is sized from
# your caches and capped to fit that budget (`accel.machine.array_bytes_beyond_caches`); a
# printed note says when the cap keeps part of a measurement in cache.

# %% nbgrader={"grade": false, "grade_id": "setup_microkernels", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import platform

import matplotlib.pyplot as plt
import numpy as np
from numba import njit

from accel import benchmark, gbs, gflops, skip_unfinished
from accel.bench import pinned_threads
from accel.grading import quiet
from accel.machine import array_bytes_beyond_caches, cache_hierarchy, last_level_cache_bytes, usable_cpus

# While nbgrader grades a submission it sets NBGRADER_EXECUTION; the exploratory
# measurements then use fewer steps and sizes so that grading stays quick.
GRADING = "NBGRADER_EXECUTION" in os.environ

KiB, MiB = 1 << 10, 1 << 20
print(f"Python {platform.python_version()}, NumPy {np.__version__}, {usable_cpus()['count']} usable CPU(s)")
for cache in cache_hierarchy():
    print(f"L{cache['level']} {cache['type'].lower()} cache: {cache['bytes'] / KiB:,.0f} KiB "
          f"(from {cache['source']})")

# %% [markdown]
# ## Latency and throughput
#
# An FMA instruction computes `x * a + b` in one step (2 FLOPs). A core can *start* one or more
# FMAs every clock cycle (its **throughput**), but each one takes several cycles before its
# result can be used (its **latency**). Both are properties of your CPU; you will measure them.
#
# Take a chain where every FMA needs the previous result:
#
# ```python
# for _ in range(steps):
#     x = x * a + b        # must wait for the x of the previous step
# ```
#
# This loop runs at one FMA per *latency*, however many FMA units the core has: they sit
# idle, waiting. Now give the core `k` **independent** chains, `x0, x1, ..., x(k-1)`, each
# updated once per step. While `x0`'s FMA is in progress, `x1`'s can start, and so on. With
# enough chains the units never wait, and the loop runs at the core's full throughput. How many
# is enough? Exactly the number of FMAs that must be in flight at once:
#
# $$\text{chains needed} = \text{latency} \times \text{throughput}$$
#
# (latency in ns, throughput in FMAs per ns). This is **Little's law**, known from queues: the
# average number of items in a system equals their arrival rate times the time each spends in
# it. It holds for FMA units, for cache misses and for checkout lines alike.
#
# ### The chain kernels
#
# To keep `k` values in registers, numba needs `k` separate local variables (an array of `k`
# values would be stored to memory and loaded back at every step, which adds the latency of
# that round trip to each chain). The cell below writes the source of a kernel with `k` named
# accumulators and compiles it; print `FMA_CHAINS_SOURCE.format(...)` to see one.
# `fastmath={"contract"}` lets numba fuse each multiply and add into one FMA instruction and
# nothing else: with `fastmath=True` the compiler could reorder the arithmetic and change what
# is measured.

# %%
FMA_A, FMA_B = 0.999, 0.001  # x -> 0.999 x + 0.001 stays bounded (it tends to 1)
_fma_kernels = {}


def make_fma_chains(k: int):
    """A compiled kernel ``chains(x, steps, a, b)`` with ``k`` independent FMA chains.

    x: 1-D float64 array of length k (the start values; the final values are written back).
    Each of the ``steps`` steps updates every chain once: ``x_i = x_i * a + b``.
    Cost: 2 * k * steps FLOPs, no memory traffic (the chains live in registers).
    Kernels are compiled once per k and kept.
    """
    if k not in _fma_kernels:
        lines = ["def chains(x, steps, a, b):"]
        lines += [f"    x{i} = x[{i}]" for i in range(k)]
        lines += ["    for _ in range(steps):"]
        lines += [f"        x{i} = x{i} * a + b" for i in range(k)]
        lines += [f"    x[{i}] = x{i}" for i in range(k)]
        namespace = {}
        exec("\n".join(lines), namespace)  # the source of a k-chain kernel, then compiled
        kernel = njit(cache=False, fastmath={"contract"})(namespace["chains"])
        kernel(np.ones(k), 1, FMA_A, FMA_B)  # compile now, not while timing
        _fma_kernels[k] = kernel
    return _fma_kernels[k]


x_demo = np.array([0.5, 2.0, 3.0])
make_fma_chains(3)(x_demo, 2, FMA_A, FMA_B)
print("3 chains after 2 steps:", x_demo, "(each: (x * 0.999 + 0.001) * 0.999 + 0.001)")

# %% [markdown]
# ## Exercise 1 · `chain_gflops`
#
# Write `chain_gflops(k, steps=None)`: the rate of the `k`-chain kernel in GFLOP/s on one
# thread. Get the kernel with `make_fma_chains(k)`, create a float64 array of `k` start values
# (any values near 1), and time `kernel(x, steps, FMA_A, FMA_B)` with `benchmark(...,
# threads=1)`. One call performs `k * steps` FMAs of 2 FLOPs each. When `steps` is `None`,
# choose a count that makes one call last at least a fraction of a millisecond (for example
# 200,000 while grading, 1,000,000 otherwise).
#
# The test runs your function with a stand-in for `benchmark` that reports exactly 1 second
# per call (`OneSecondClock`), so your FLOP count is checked exactly, on any machine; then it
# times 1 chain against 8 for real (8 chains must be at least 2.5x faster).

# %% nbgrader={"grade": false, "grade_id": "chain_gflops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def chain_gflops(k: int, steps: int | None = None) -> float:
    """GFLOP/s of ``k`` independent FMA chains (float64, one thread).

    k: number of chains (1 or more); steps: updates per chain and call. One call does
    k * steps FMAs = 2 * k * steps FLOPs. Returns the best rate as a float.
    """
    ### BEGIN SOLUTION
    if steps is None:
        steps = 200_000 if GRADING else 1_000_000
    kernel = make_fma_chains(k)
    x = np.linspace(0.5, 1.5, k)
    seconds = benchmark(kernel, x, steps, FMA_A, FMA_B, repeat=5, threads=1).best
    return gflops(2 * k * steps, seconds)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_chain_gflops_count", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""chain_gflops: 2 FLOPs per FMA, k * steps FMAs per call, counted exactly with a fixed clock."""
from accel.grading.roofline import clocked_call


def _counted_gflops(k, steps):
    """What chain_gflops(k, steps) returns when every call takes exactly 1 second, and the
    arrays it timed."""
    with quiet():  # chain_gflops looks `benchmark` up when it runs: it gets a fixed clock
        counted, calls = clocked_call(chain_gflops, k, steps)
    return float(counted), calls


for _k, _steps in [(3, 1000)]:
    _got, _calls = _counted_gflops(_k, _steps)
    assert _calls, "chain_gflops did not call benchmark(...)"
    assert any(a.size == _k and a.dtype == np.float64 for call in _calls for a in call), (
        f"chain_gflops({_k}) should time the {_k}-chain kernel on a float64 array of {_k} values")
    _want = 2 * _k * _steps / 1e9
    assert abs(_got / _want - 1) < 1e-6, (
        f"with a clock that says 1 s per call, chain_gflops({_k}, steps={_steps}) returned "
        f"{_got:.6g} GFLOP; one call does {_k} x {_steps} FMAs of 2 FLOPs = {_want:.6g} GFLOP")
print("FLOP count: 2 k steps per call, as expected")
### BEGIN HIDDEN TESTS
for _k, _steps in [(1, 777), (5, 12345), (11, 4096)]:
    _got, _calls = _counted_gflops(_k, _steps)
    assert any(a.size == _k and a.dtype == np.float64 for call in _calls for a in call), (
        f"chain_gflops({_k}) should time the {_k}-chain kernel on a float64 array of {_k} values")
    _want = 2 * _k * _steps / 1e9
    assert abs(_got / _want - 1) < 1e-6, (
        f"chain_gflops({_k}, steps={_steps}) with a 1 s clock: got {_got:.6g} GFLOP, expected "
        f"2 x {_k} x {_steps} / 1e9 = {_want:.6g}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_chain_gflops_measures", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""chain_gflops: 8 independent chains run at least 2.5x the rate of one (measured here)."""
assert chain_gflops(1, 1_000) > 0, "chain_gflops(1, steps) should return a rate in GFLOP/s, above 0"
### BEGIN HIDDEN TESTS
from accel.grading import require_at_least

# Every CPU with FMA has a latency of 3 cycles or more and one pipe or more; so 8 chains
# reach min(8, latency x pipes) >= 3 times the rate of one chain. Measured on Zen 4 with the
# machine shared: 6.8-8.6x; a kernel timed on the wrong number of chains: about 1x.
with quiet():
    _rates = {k: [] for k in (1, 8)}
    for _round in range(3):
        for _k in (1, 8):
            _rates[_k].append(float(chain_gflops(_k, 100_000)))
_ratio = max(_rates[8]) / max(_rates[1])
print(f"1 chain {max(_rates[1]):.2f} GFLOP/s, 8 chains {max(_rates[8]):.2f} GFLOP/s: {_ratio:.1f}x")
require_at_least(_ratio, 2.5, "8 independent FMA chains over 1 (chain_gflops, one thread)",
                 "Time make_fma_chains(k) for the k you were given, on one thread")
### END HIDDEN TESTS

# %% [markdown]
# ### Your core: rate against the number of chains
#
# The cell below measures `k = 1, 2, 3, 4, 6, 8, 10, 12, 16` chains. Expect the rate to grow
# in proportion to `k` at first (every chain waits out the full latency, and more chains means
# more work per wait), then to level off at the core's throughput. Where it levels off is the
# number of chains your core needs. Each `k` is measured in several rounds, interleaved, and
# keeps its best: a program that shares your core for a moment then spoils one round, not
# the table.

# %%
CHAIN_COUNTS = (1, 2, 3, 4, 6, 8, 10, 12, 16)
chain_table = {}
with skip_unfinished():
    for _round in range(2 if GRADING else 3):
        for k in CHAIN_COUNTS:
            chain_table[k] = max(chain_table.get(k, 0.0), chain_gflops(k))
    for k, rate in chain_table.items():
        print(f"{k:2d} chain(s): {rate:6.2f} GFLOP/s = {rate / 2:5.2f} FMAs/ns")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(list(chain_table), list(chain_table.values()), marker="o")
    ax.set(xlabel="independent chains k", ylabel="GFLOP/s (float64, one thread)",
           title="FMA chains: latency-bound, then throughput-bound")
    ax.grid(True, alpha=0.3)
    plt.show()

# %% [markdown]
# ## Exercise 2 · latency, throughput and the chains needed
#
# From a table like `chain_table` (`{k: GFLOP/s}`, with `k = 1` in it):
#
# * `fma_latency_and_throughput(table)` returns `(latency_ns, fmas_per_ns)`. With one chain,
#   every FMA waits for the one before, so the time of one FMA at `k = 1` *is* the latency:
#   `k = 1` performs `table[1] / 2` FMAs per ns (2 FLOPs per FMA, GFLOP/s = FLOPs per ns).
#   The throughput is the best rate in the table, in FMAs per ns.
# * `chains_needed(latency_ns, fmas_per_ns)` returns the number of chains that keeps
#   `latency x throughput` FMAs in flight (Little's law), as the nearest whole number and at
#   least 1. Measured latency and throughput each carry a few percent of noise, so a product
#   of 8.1 means 8 chains, and 7.7 means 8 too.

# %% nbgrader={"grade": false, "grade_id": "fma_latency_and_throughput", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fma_latency_and_throughput(table: dict) -> tuple[float, float]:
    """(latency in ns of one FMA, throughput in FMAs per ns) from {chains k: GFLOP/s}.

    table must hold k = 1 (one dependent chain) and all rates must be positive.
    """
    ### BEGIN SOLUTION
    latency_ns = 1.0 / (table[1] / 2)
    fmas_per_ns = max(table.values()) / 2
    return float(latency_ns), float(fmas_per_ns)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_fma_latency_and_throughput", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""fma_latency_and_throughput: latency from the one-chain rate, throughput from the best rate."""
from accel.grading import check_close

_lat, _thr = fma_latency_and_throughput({1: 0.5, 2: 1.0, 4: 2.0, 8: 2.0})
check_close(_lat, 4.0, rtol=1e-9, atol=0, what="latency_ns for {1: 0.5 GFLOP/s, ...}")
check_close(_thr, 1.0, rtol=1e-9, atol=0, what="fmas_per_ns for a best rate of 2 GFLOP/s")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5050)
for _case in range(5):
    _one = float(_rng.uniform(0.2, 3.0))
    _table = {1: _one}
    for _k in (2, 3, 4, 6, 8, 12, 16):
        _table[_k] = _one * min(_k, float(_rng.uniform(2, 20))) * float(_rng.uniform(0.9, 1.1))
    _want_lat, _want_thr = 2 / _one, max(_table.values()) / 2
    _lat, _thr = fma_latency_and_throughput(dict(_table))
    check_close(_lat, _want_lat, rtol=1e-9, atol=0, what=f"latency_ns for {_table}")
    check_close(_thr, _want_thr, rtol=1e-9, atol=0, what=f"fmas_per_ns for {_table}")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "chains_needed", "locked": false, "schema_version": 3, "solution": true, "task": false}
def chains_needed(latency_ns: float, fmas_per_ns: float) -> int:
    """Independent chains that keep latency x throughput FMAs in flight (Little's law), to the
    nearest whole number (measurements are noisy by a few percent). Returns an int >= 1."""
    ### BEGIN SOLUTION
    return max(1, int(round(latency_ns * fmas_per_ns)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_chains_needed", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""chains_needed: latency x throughput, to the nearest whole number, at least 1."""
assert chains_needed(1.1, 7.0) == 8, f"chains_needed(1.1, 7.0): 7.7 -> 8, got {chains_needed(1.1, 7.0)}"
### BEGIN HIDDEN TESTS
for _lat, _thr, _want in [(4.0, 2.0, 8), (0.5, 1.0, 1), (1.2, 10.5, 13), (3.0, 0.25, 1),
                          (2.5, 4.0, 10), (0.9, 16.0, 14), (1.1, 7.34, 8), (5.0, 0.05, 1)]:
    _got = chains_needed(_lat, _thr)
    assert isinstance(_got, (int, np.integer)) and _got == _want, (
        f"chains_needed({_lat}, {_thr}): latency x throughput = {_lat * _thr:g} FMAs in flight, "
        f"so {_want} chains (nearest whole number, at least 1); got {_got!r}")
### END HIDDEN TESTS

# %% [markdown]
# ### Your numbers
#
# The cell below applies your two functions to your own table. `my_chains` is how many
# independent accumulators a float64 loop on your core needs to reach the FMA peak; compare
# it with where your plot levels off.

# %%
with skip_unfinished():
    my_latency_ns, my_fmas_per_ns = fma_latency_and_throughput(chain_table)
    my_chains = chains_needed(my_latency_ns, my_fmas_per_ns)
    print(f"FMA latency {my_latency_ns:.2f} ns, throughput {my_fmas_per_ns:.2f} FMAs/ns "
          f"-> {my_latency_ns * my_fmas_per_ns:.1f} FMAs in flight: {my_chains} chains")

# %% nbgrader={"grade": true, "grade_id": "test_chains_match_your_measurement", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""my_chains: Little's law applied to your own chain_table, which shows a latency-bound start."""
assert chains_needed(4.0, 2.0) >= 1, "chains_needed(latency_ns, fmas_per_ns) should be at least 1"
### BEGIN HIDDEN TESTS
assert set(CHAIN_COUNTS) <= set(chain_table), (
    f"chain_table should hold a rate for every k in {CHAIN_COUNTS}; it has {sorted(chain_table)}")
_lat = 2 / chain_table[1]
_thr = max(chain_table.values()) / 2
_want = max(1, int(round(_lat * _thr)))
assert my_chains == _want, (
    f"from your chain_table: latency {_lat:.3f} ns x {_thr:.3f} FMAs/ns = {_lat * _thr:.2f} in "
    f"flight, so {_want} chains; my_chains is {my_chains!r}")
assert max(chain_table.values()) >= 2.5 * chain_table[1], (
    f"your chain_table rises only {max(chain_table.values()) / chain_table[1]:.2f}x from one "
    f"chain to its best: one chain should be latency-bound (rerun the measurement)")
### END HIDDEN TESTS

# %% [markdown]
# ## Pipes and lanes
#
# Your throughput combines two kinds of parallelism of the core. It has several FMA units
# (**pipes**) that each start one FMA instruction per cycle, and one instruction can work on a
# whole SIMD register of values (**lanes**: 2 float64 or 4 float32 per 128 bits of register).
# The chains above are scalar: one value per instruction, so they fill the pipes but not the
# lanes. A SIMD kernel needs one independent accumulator *register* per FMA in flight,
# `latency (cycles) x pipes`, and each register holds `lanes` values, so the number of
# independent **values** it keeps in flight is
#
# $$\text{values in flight} = \text{latency} \times \text{pipes} \times \text{lanes}.$$
#
# This is why the FMA loop of notebook 04 worked on many independent array elements at once,
# and why a fast matrix-multiply kernel keeps a whole block of `C` (dozens to hundreds of
# values) in registers while it streams through `A` and `B`: that block is its set of
# independent accumulators.
#
# ## Exercise 3 · `values_in_flight`
#
# Write `values_in_flight(latency_cycles, pipes, lanes)`: the number of independent values a
# kernel must keep in flight to keep every lane of every FMA pipe busy.

# %% nbgrader={"grade": false, "grade_id": "values_in_flight", "locked": false, "schema_version": 3, "solution": true, "task": false}
def values_in_flight(latency_cycles: int, pipes: int, lanes: int) -> int:
    """Independent accumulator values needed: latency (cycles) x FMA pipes x SIMD lanes."""
    ### BEGIN SOLUTION
    return int(latency_cycles) * int(pipes) * int(lanes)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_values_in_flight", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""values_in_flight: latency x pipes x lanes."""
assert values_in_flight(4, 1, 1) == 4, f"one scalar pipe of latency 4: 4, got {values_in_flight(4, 1, 1)}"
### BEGIN HIDDEN TESTS
for _lat, _pipes, _lanes in [(4, 2, 8), (3, 2, 16), (5, 2, 4), (4, 4, 4), (4, 2, 1)]:
    _got = values_in_flight(_lat, _pipes, _lanes)
    assert _got == _lat * _pipes * _lanes, (
        f"values_in_flight({_lat}, {_pipes}, {_lanes}): every one of {_pipes} pipes starts an "
        f"instruction of {_lanes} lanes each cycle for {_lat} cycles, "
        f"{_lat * _pipes * _lanes} values; got {_got!r}")
### END HIDDEN TESTS

# %% [markdown]
# ## Memory latency: the pointer chase
#
# Loads have a latency too, and it depends on where the data is: a few cycles from the L1
# cache, tens of cycles from L2 and L3, and around a hundred nanoseconds from main memory.
# Measuring it takes care, because a core hides latency whenever it can: it issues the next
# loads before the first one returns, and its prefetchers fetch lines before they are asked for.
#
# A **pointer chase** defeats both. An array `nxt` holds, for every position, the position to
# visit next, and the kernel follows it:
#
# ```python
# p = start
# for _ in range(steps):
#     p = nxt[p]          # the address of the next load is the result of this one
# ```
#
# Every load needs the previous load's value, so only one is ever in flight and each step costs
# one full load latency. If `nxt` is a **random** cycle through the whole array, no prefetcher
# can guess the next address, and the working set is the whole array. (Walking the array in
# order, `nxt[i] = i + 1`, would also be dependent, but the prefetchers would have every line
# in L1 before it is needed: you would measure L1 latency at every size.)
#
# ## Exercise 4 · `make_cycle` and `chase`
#
# * `make_cycle(n, seed)` returns an int64 array `nxt` of length `n` such that following
#   `nxt` from any position visits all `n` positions once and then returns: **one** cycle
#   through all of them, in a random order. One way: shuffle the positions
#   (`np.random.default_rng(seed).permutation(n)`) to get a visiting order, then point each
#   position of that order to the next one, and the last back to the first.
# * `chase(nxt, start, steps)`, compiled with `@njit`, follows `nxt` `steps` times from
#   `start` and returns the position it ends on (an integer).

# %% nbgrader={"grade": false, "grade_id": "make_cycle", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_cycle(n: int, seed: int = 0) -> np.ndarray:
    """int64 array nxt of length n (n >= 1): one cycle through all n positions in a random
    order (following nxt from any position visits every position once, then returns).

    Memory: 2 arrays of n int64 while it builds (the order and nxt).
    """
    ### BEGIN SOLUTION
    order = np.random.default_rng(seed).permutation(n)
    nxt = np.empty(n, dtype=np.int64)
    nxt[order[:-1]] = order[1:]
    nxt[order[-1]] = order[0]
    return nxt
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_make_cycle_one_cycle", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""make_cycle: an int64 array that is one cycle through every position."""


def _cycle_problem(nxt, n):
    """Why nxt is not one cycle through n positions ("" when it is)."""
    nxt = np.asarray(nxt)
    if nxt.shape != (n,) or nxt.dtype != np.int64:
        return f"expected an int64 array of shape ({n},), got {nxt.dtype} {nxt.shape}"
    if not np.array_equal(np.sort(nxt), np.arange(n)):
        return "nxt is not a permutation of 0..n-1 (some position is pointed to twice or never)"
    p, seen = 0, 0
    for seen in range(1, n + 1):  # follow it: back at 0 after exactly n steps
        p = int(nxt[p])
        if p == 0:
            break
    if seen != n:
        return f"following nxt from 0 comes back after {seen} steps, not {n}: several cycles"
    return ""


_problem = _cycle_problem(make_cycle(10, seed=1), 10)
assert not _problem, f"make_cycle(10): {_problem}"
### BEGIN HIDDEN TESTS
for _n, _seed in [(1, 0), (2, 3), (97, 5), (4096, 11), (100_003, 2)]:
    _problem = _cycle_problem(make_cycle(_n, seed=_seed), _n)
    assert not _problem, f"make_cycle({_n}, seed={_seed}): {_problem}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_make_cycle_random", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""make_cycle: the order is random (few steps land in the same or the next cache line), and
depends on the seed."""


def _near_steps(nxt):
    """Fraction of steps that land within 64 bytes (8 int64) of where they left."""
    nxt = np.asarray(nxt)
    return float(np.mean(np.abs(nxt - np.arange(nxt.size)) <= 8))


_near = _near_steps(make_cycle(4096, seed=0))
assert _near < 0.05, (
    f"{100 * _near:.0f}% of the steps of make_cycle(4096) land within 64 bytes of the last "
    f"one: a prefetcher can follow that; visit the positions in a random order")
### BEGIN HIDDEN TESTS
for _n, _seed in [(1000, 3), (65536, 9)]:
    _near = _near_steps(make_cycle(_n, seed=_seed))
    assert _near < 0.05, (f"make_cycle({_n}, seed={_seed}): {100 * _near:.0f}% of the steps "
                          f"land within 64 bytes: not a random order")
assert not np.array_equal(make_cycle(1000, seed=1), make_cycle(1000, seed=2)), (
    "make_cycle gives the same cycle for seeds 1 and 2: use the seed")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "chase", "locked": false, "schema_version": 3, "solution": true, "task": false}
@njit(cache=False)
def chase(nxt, start, steps):
    """Follow nxt (1-D int64) ``steps`` times from ``start``; return the final position.

    Cost: ``steps`` dependent loads of 8 bytes, each from wherever nxt[p] happens to live;
    no arithmetic to speak of.
    """
    ### BEGIN SOLUTION
    p = start
    for _ in range(steps):
        p = nxt[p]
    return p
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_chase_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""chase: follows nxt step by step from start."""
_nxt = np.array([2, 0, 3, 1], dtype=np.int64)  # 0 -> 2 -> 3 -> 1 -> 0
with quiet():
    for _steps, _want in [(0, 0), (1, 2), (2, 3), (3, 1), (4, 0), (9, 2)]:
        _got = chase(_nxt, 0, _steps)
        assert int(_got) == _want, f"chase([2, 0, 3, 1], start=0, steps={_steps}): expected {_want}, got {_got!r}"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(505)
for _n in (5, 333, 10_007):
    _order = _rng.permutation(_n)
    _nx = np.empty(_n, dtype=np.int64)
    _nx[_order] = np.roll(_order, -1)
    for _start, _steps in [(int(_rng.integers(_n)), int(_rng.integers(1, 3 * _n))) for _ in range(3)]:
        _p = _start
        for _ in range(_steps):
            _p = int(_nx[_p])
        with quiet():
            _got = chase(_nx.copy(), _start, _steps)
        assert int(_got) == _p, (f"chase(nxt of {_n}, start={_start}, steps={_steps}): "
                                 f"expected {_p}, got {_got!r}")
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 5 · `chase_latency_ns`
#
# Write `chase_latency_ns(working_set_bytes, steps=None, seed=0)`: build a cycle of
# `working_set_bytes // 8` positions with `make_cycle`, time `chase(nxt, 0, steps)` with
# `benchmark(..., threads=1)` (its untimed warm-up call brings the array into whatever caches
# it fits), and return the nanoseconds per step. When `steps` is `None`, use enough steps that
# a call lasts a few milliseconds even from L1 (for example 200,000 while grading, 1,000,000
# otherwise), and build the cycle before timing, not inside the timed call.
#
# The test checks your step count with the fixed clock, then measures a small and a large
# working set: a random chase from beyond the caches must be several times slower than one
# from L1, on any machine.

# %% nbgrader={"grade": false, "grade_id": "chase_latency_ns", "locked": false, "schema_version": 3, "solution": true, "task": false}
def chase_latency_ns(working_set_bytes: int, steps: int | None = None, seed: int = 0) -> float:
    """Nanoseconds per dependent load of a random pointer chase over ``working_set_bytes``.

    The cycle has working_set_bytes // 8 int64 positions (at least 2); ``steps`` loads are
    timed per call, best of 3. Memory: 2 x working_set_bytes while the cycle is built.
    """
    ### BEGIN SOLUTION
    if steps is None:
        steps = 200_000 if GRADING else 1_000_000
    nxt = make_cycle(max(2, working_set_bytes // 8), seed)
    seconds = benchmark(chase, nxt, 0, steps, repeat=3, min_time=0, threads=1).best
    return seconds / steps * 1e9
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_chase_latency_count", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""chase_latency_ns: seconds per call / steps, on a cycle of working_set_bytes // 8 positions."""


def _counted_latency(size, steps):
    with quiet():
        got, calls = clocked_call(chase_latency_ns, size, steps)
    return float(got), calls


_got, _calls = _counted_latency(64 * KiB, 1000)
assert any(a.size == 64 * KiB // 8 for call in _calls for a in call), (
    "chase_latency_ns(64 KiB) should time chase on a cycle of 64 KiB / 8 = 8192 positions")
assert abs(_got / 1e6 - 1) < 1e-6, (
    f"with a clock that says 1 s per call, chase_latency_ns(64 KiB, steps=1000) returned "
    f"{_got:.6g} ns; 1 s / 1000 steps = 1e6 ns per step")
### BEGIN HIDDEN TESTS
for _size, _steps in [(24 * KiB, 777), (1 * MiB, 50_000)]:
    _got, _calls = _counted_latency(_size, _steps)
    assert any(a.size == _size // 8 for call in _calls for a in call), (
        f"chase_latency_ns({_size}) should time chase on {_size // 8} positions")
    assert abs(_got / (1e9 / _steps) - 1) < 1e-6, (
        f"chase_latency_ns({_size}, steps={_steps}) with a 1 s clock: got {_got:.6g} ns, "
        f"expected 1e9 / {_steps} = {1e9 / _steps:.6g}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_chase_latency_curve", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""chase_latency_ns: latency rises with the working set (within noise) and a chase beyond the
caches is at least 4x slower than one in L1 (an array-order walk is not)."""
assert chase_latency_ns(16 * KiB, steps=10_000) > 0, "chase_latency_ns should return ns per load, above 0"
### BEGIN HIDDEN TESTS
from accel.grading import require_at_least

# 16 KiB fits every L1; 64 MiB is beyond the L2 of every CPU and beyond the L3 of most. Random
# loads from L3 or memory take 10-100x an L1 hit (measured on Zen 4: 1.1 ns vs about 100 ns);
# a walk in array order stays near L1 latency at every size, thanks to the prefetchers.
_sizes = [16 * KiB, 256 * KiB, 4 * MiB, min(64 * MiB, array_bytes_beyond_caches(arrays=2, note=False))]
with quiet():
    _lat = [float(chase_latency_ns(_s, 100_000, seed=7)) for _s in _sizes]
print("ns per load: " + ", ".join(f"{_s // KiB} KiB {_l:.1f}" for _s, _l in zip(_sizes, _lat)))
for _i in range(1, len(_sizes)):
    assert _lat[_i] >= 0.7 * max(_lat[:_i]), (
        f"latency at {_sizes[_i] // KiB} KiB ({_lat[_i]:.2f} ns) is well below a smaller working "
        f"set's ({max(_lat[:_i]):.2f} ns): the chase should get slower as the data leaves each cache")
require_at_least(_lat[-1] / _lat[0], 4, "chase latency beyond the caches over 16 KiB (chase_latency_ns)",
                 f"A chase over {_sizes[-1] // MiB} MiB took {_lat[-1]:.2f} ns per load, the one "
                 f"over 16 KiB {_lat[0]:.2f} ns; random dependent loads beyond the caches should be "
                 f"far slower. Check that make_cycle visits positions in a random order and that "
                 f"every load of chase depends on the one before")
### END HIDDEN TESTS

# %% [markdown]
# ### Your latency curve
#
# The cell below chases working sets from well inside your L1 cache to 4 times your last-level
# cache (as far as the memory budget allows: building a cycle takes two arrays of its size), and
# marks the cache sizes your system reports. Expect steps: flat
# while the working set fits a cache level, rising as it spills into the next one. Near the
# top, part of the rise is not the memory at all: a random load into a large array also misses
# the TLB (the cache of address translations), and the page-table walk adds its own latency.

# %%
caches = cache_hierarchy()
largest = min(4 * last_level_cache_bytes(), array_bytes_beyond_caches(arrays=3, times_llc=4))
if GRADING:  # fewer, smaller points while grading
    largest = min(largest, 64 * MiB)
sweep_sizes = []
size = 16 * KiB
while size <= largest:
    sweep_sizes.append(size)
    size *= 4 if GRADING else 2
latency_curve = {}
with skip_unfinished():
    for size in sweep_sizes:
        latency_curve[size] = chase_latency_ns(size)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([s / KiB for s in latency_curve], list(latency_curve.values()), marker="o")
    for cache in caches:
        ax.axvline(cache["bytes"] / KiB, color="gray", linestyle=":")
        ax.annotate(f"L{cache['level']}", (cache["bytes"] / KiB, max(latency_curve.values())),
                    textcoords="offset points", xytext=(3, -12), fontsize=9)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set(xlabel="working set (KiB)", ylabel="latency per dependent load (ns)",
           title="Pointer chase: the latency of each level")
    ax.grid(True, which="both", alpha=0.3)
    plt.show()
    l1_latency_ns = latency_curve[sweep_sizes[0]]
    dram_latency_ns = latency_curve[sweep_sizes[-1]]
    for cache in caches:
        inside = [s for s in latency_curve if s <= cache["bytes"] // 2]
        if inside:
            print(f"L{cache['level']} ({cache['bytes'] // KiB} KiB): about "
                  f"{latency_curve[inside[-1]]:.1f} ns at {inside[-1] // KiB} KiB")
    print(f"largest working set {sweep_sizes[-1] // MiB} MiB: {dram_latency_ns:.1f} ns per load, "
          f"{dram_latency_ns / l1_latency_ns:.0f}x the L1 latency")

# %% [markdown]
# ## Little's law for memory
#
# The same law governs memory. To stream data at bandwidth `B` when each request takes latency
# `L` to come back, a core must keep `B x L` bytes of requests in flight. GB/s times ns is
# bytes (the 1e9 and the 1e-9 cancel): for example 20 GB/s at 80 ns needs 1,600 bytes in
# flight, 25 requests of one 64-byte cache line (x86 CPUs have 64-byte lines; Apple's
# M-series have 128-byte lines).
#
# A core can only track a limited number of outstanding cache misses (its *miss buffers*: a
# few dozen lines per core on current CPUs). That sets the bandwidth one core can reach:
# `lines in flight x line size / latency`. Your pointer chase keeps exactly **one** line in
# flight, which is why it reaches only a tiny fraction of the memory bandwidth: it moves 8 bytes
# per latency. A streaming loop keeps many in flight, because its addresses do not depend on
# loaded data and the prefetchers run ahead.
#
# First, your memory bandwidth: the cell below times `np.sum` over an array larger than your
# caches (one read of every byte, nothing written: the bytes counted are the bytes of the
# array).

# %%
n_read = array_bytes_beyond_caches(arrays=2) // 8
big = np.ones(n_read)
dram_read_gbs = gbs(big.nbytes, benchmark(np.sum, big, repeat=5 if GRADING else 10,
                                           min_time=0, threads=1).best)
del big
print(f"read bandwidth, one thread: {dram_read_gbs:.1f} GB/s ({n_read * 8 / MiB:.0f} MiB summed)")

# %% [markdown]
# ## Exercise 6 · `bytes_in_flight`
#
# Write `bytes_in_flight(bandwidth_gbs, latency_ns)`: the bytes a core must keep in flight to
# sustain `bandwidth_gbs` (GB/s, 1e9 bytes per second) at `latency_ns` (ns). Mind the units:
# bandwidth here is in byte**s**, not bits.

# %% nbgrader={"grade": false, "grade_id": "bytes_in_flight", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bytes_in_flight(bandwidth_gbs: float, latency_ns: float) -> float:
    """Little's law for memory: bytes in flight = bandwidth (GB/s) x latency (ns). A float."""
    ### BEGIN SOLUTION
    return float(bandwidth_gbs) * float(latency_ns)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_bytes_in_flight", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""bytes_in_flight: GB/s x ns = bytes."""
check_close(bytes_in_flight(20.0, 100.0), 2000.0, rtol=1e-9, atol=0, what="bytes_in_flight(20 GB/s, 100 ns)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5051)
for _bw, _lat in zip(_rng.uniform(1, 400, 6), _rng.uniform(1, 300, 6)):
    _want = _bw * _lat
    check_close(bytes_in_flight(float(_bw), float(_lat)), _want, rtol=1e-9, atol=0,
                what=f"bytes_in_flight({_bw:.4g} GB/s, {_lat:.4g} ns)")
### END HIDDEN TESTS

# %% [markdown]
# ### Your numbers
#
# The cell below puts your measured bandwidth and your measured memory latency (the largest
# working set of your chase) into Little's law.

# %%
with skip_unfinished():
    my_bytes_in_flight = bytes_in_flight(dram_read_gbs, dram_latency_ns)
    print(f"{dram_read_gbs:.1f} GB/s x {dram_latency_ns:.1f} ns = {my_bytes_in_flight:,.0f} bytes "
          f"in flight = {my_bytes_in_flight / 64:.0f} lines of 64 bytes")
    print(f"the pointer chase keeps 1 line in flight: {64 / dram_latency_ns:.2f} GB/s of lines "
          f"at most, {100 * (64 / dram_latency_ns) / dram_read_gbs:.1f}% of the streaming read")

# %% nbgrader={"grade": true, "grade_id": "test_bytes_in_flight_your_numbers", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""my_bytes_in_flight: your read bandwidth x your memory latency, in bytes."""
assert bytes_in_flight(10.0, 100.0) > 0, "bytes_in_flight(gb_per_s, latency_ns) should be above 0"
### BEGIN HIDDEN TESTS
_want = dram_read_gbs * latency_curve[max(latency_curve)]
check_close(my_bytes_in_flight, _want, rtol=1e-6, atol=0,
            what=f"my_bytes_in_flight ({dram_read_gbs:.2f} GB/s x "
                 f"{latency_curve[max(latency_curve)]:.2f} ns)")
### END HIDDEN TESTS

# %% [markdown]
# ## A register-blocked micro-kernel
#
# The blocked matmul of notebook 03 stalls far below the FMA peak, and the chains above say
# why. Its inner loop is `out_row[j] += a_ip * b_row[j]`: every FMA loads an output value and
# stores it back, so the loop is limited by loads and stores, and each output value waits for
# the previous update of the same value. BLAS libraries (Goto's method, BLIS) instead keep a
# small block of the output, `MR x NR` values, in **registers** for a whole panel of the inner
# dimension, so the only memory traffic in the inner loop is one row of `NR` values of `B` and
# `MR` values of `A` per step, and `MR x NR` FMAs happen per step.
#
# The structure, from the outside in:
#
# 1. **Pack** a `KC x NR` panel of `B` and a `KC x MR` panel of `A` into small contiguous
#    arrays, in exactly the order the micro-kernel reads them, padded with zeros at the edges
#    of the matrices (so the micro-kernel never needs an edge case in its inner loop).
# 2. The **micro-kernel** runs over the `KC` steps of the panels, keeping its `MR` rows of `NR`
#    accumulators in registers, and adds the finished block to `C` once at the end.
# 3. The **macro loops** walk `C` in `MR x NR` blocks and the inner dimension in panels of `KC`.
#
# Here `MR = 6` rows of `NR = 16` values: 96 accumulators. In float32 that is 12 registers of
# 256 bits (8 lanes), or 24 of 128 bits (4 lanes, Arm NEON), at least as many independent
# chains as latency x pipes asks on common cores (8 for a 4-cycle FMA with 2 pipes, 16 with 4
# pipes), and few enough to leave registers for the `A` and `B` values. In float64 the same
# block needs twice as many registers; on a core with 16 vector registers it no longer fits,
# and the compiler spills some to memory. That is why BLAS chooses `MR` and `NR` per data type
# and per core.
#
# **Keeping a row in registers from numba.** An array created with `np.zeros` lives on the heap:
# the compiler must assume other code can see it, so it stores and reloads the values at every
# step, which is the slow loop of notebook 03 again. The helper `stack_row(NR, dtype)` below
# gives an array in the function's own stack frame instead; no other code can see it, so after
# unrolling the loop over `NR` the compiler keeps its values in registers. `NR` must be a
# constant (the global `NR`), because the stack frame's size is fixed when the function is
# compiled.

# %%
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

MR, NR = 6, 16  # one block of C: MR rows of NR values, kept in registers
KC = 256  # depth of one packed panel: a KC x NR float32 panel of B (KC * NR * 4 bytes) sits in L1


@intrinsic
def stack_row(typingctx, nitems, dtype):
    """A 1-D C-contiguous array of ``nitems`` values of ``dtype`` in the caller's stack frame.

    Use inside @njit functions only; ``nitems`` must be a compile-time constant (a global int
    such as ``NR``). The values start undefined: write every element before reading it. The
    array lives until the function returns (never return it or store it elsewhere).
    """
    if not isinstance(nitems, types.IntegerLiteral) or not isinstance(dtype, types.DType):
        return None
    count, element = nitems.literal_value, dtype.dtype
    row_type = types.Array(element, 1, "C")

    def codegen(context, builder, signature, args):
        data = cgutils.alloca_once(builder, context.get_value_type(element), size=count)
        row = context.make_array(row_type)(context, builder)
        itemsize = context.get_abi_sizeof(context.get_value_type(element))
        context.populate_array(row, data=data, shape=[context.get_constant(types.intp, count)],
                               strides=[context.get_constant(types.intp, itemsize)],
                               itemsize=context.get_constant(types.intp, itemsize), meminfo=None)
        return row._getvalue()

    return row_type(nitems, dtype), codegen


# %% [markdown]
# ## Exercise 7 · `pack_a` and `pack_b`
#
# Write the two packing functions (compiled with numba; they are called from the macro loops).
#
# * `pack_a(a, i0, p0, kc, a_panel)` fills the `(KC, MR)` array `a_panel` with
#   `a_panel[p, i] = a[i0 + i, p0 + p]` for `p < kc` and `i < MR`, and `0` where `i0 + i` is
#   past the last row of `a`. (Column `p` of `A` becomes row `p` of the panel: the micro-kernel
#   reads the `MR` values of one step side by side.)
# * `pack_b(b, p0, j0, kc, b_panel)` fills the `(KC, NR)` array `b_panel` with
#   `b_panel[p, j] = b[p0 + p, j0 + j]` for `p < kc` and `j < NR`, and `0` where `j0 + j` is
#   past the last column of `b`.
#
# Rows `kc` and beyond of a panel are not read and may hold anything.

# %% nbgrader={"grade": false, "grade_id": "pack_panels", "locked": false, "schema_version": 3, "solution": true, "task": false}
@njit(cache=False, boundscheck=False)
def pack_a(a, i0, p0, kc, a_panel):
    """Copy a[i0:i0+MR, p0:p0+kc] transposed into a_panel[:kc, :MR], zeros past a's last row.

    a: (m, k) float array; a_panel: (KC, MR) array of a's dtype, written in place; kc <= KC.
    Cost: kc * MR values read and written, no FLOPs.
    """
    ### BEGIN SOLUTION
    m = a.shape[0]
    for p in range(kc):
        for i in range(MR):
            a_panel[p, i] = a[i0 + i, p0 + p] if i0 + i < m else 0
    ### END SOLUTION


@njit(cache=False, boundscheck=False)
def pack_b(b, p0, j0, kc, b_panel):
    """Copy b[p0:p0+kc, j0:j0+NR] into b_panel[:kc, :NR], zeros past b's last column.

    b: (k, n) float array; b_panel: (KC, NR) array of b's dtype, written in place; kc <= KC.
    Cost: kc * NR values read and written, no FLOPs.
    """
    ### BEGIN SOLUTION
    n = b.shape[1]
    for p in range(kc):
        for j in range(NR):
            b_panel[p, j] = b[p0 + p, j0 + j] if j0 + j < n else 0
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_pack_panels", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""pack_a, pack_b: the panels hold the right values, zeros past the edges of the matrices."""
from accel.grading import check_close


def _check_packs(m, k, n, i0, p0, j0, kc, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    a_panel = np.full((KC, MR), np.nan, dtype)
    b_panel = np.full((KC, NR), np.nan, dtype)
    pack_a(a, i0, p0, kc, a_panel)
    pack_b(b, p0, j0, kc, b_panel)
    want_a = np.zeros((kc, MR), dtype)
    rows = a[i0:i0 + MR, p0:p0 + kc]
    want_a[:, :rows.shape[0]] = rows.T
    want_b = np.zeros((kc, NR), dtype)
    cols = b[p0:p0 + kc, j0:j0 + NR]
    want_b[:, :cols.shape[1]] = cols
    where = f"({m}x{k} @ {k}x{n} {np.dtype(dtype).name}, i0={i0}, p0={p0}, j0={j0}, kc={kc})"
    check_close(a_panel[:kc], want_a, rtol=0, atol=0, what=f"pack_a {where}")
    check_close(b_panel[:kc], want_b, rtol=0, atol=0, what=f"pack_b {where}")


_check_packs(8, 5, 20, 6, 0, 16, 5, np.float64, 1)  # both panels run past an edge
print("pack_a and pack_b: values and zero padding as expected")
### BEGIN HIDDEN TESTS
_check_packs(13, 300, 37, 12, 256, 32, 44, np.float32, 2)
_check_packs(6, 9, 16, 0, 3, 0, 6, np.float32, 3)
_check_packs(1, 1, 1, 0, 0, 0, 1, np.float64, 4)
_check_packs(20, 7, 50, 6, 2, 16, 5, np.float64, 5)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 8 · `microkernel`
#
# Write `microkernel(a_panel, b_panel, kc, c, i0, j0)`: add the product of the first `kc` rows
# of the two panels to the block of `c` at rows `i0 ...` and columns `j0 ...`:
# `c[i0 + i, j0 + j] += sum over p < kc of a_panel[p, i] * b_panel[p, j]`, only where
# `i0 + i` and `j0 + j` are inside `c` (at the edges the block is cut off).
#
# Keep the block in six named rows, `c0 = stack_row(NR, c.dtype)` to `c5`, each set to zero
# first. Then, for each step `p`, read the six values `a_panel[p, 0]` to `a_panel[p, 5]` into
# local variables and update all six rows in **one** loop over `j in range(NR)`:
# `c0[j] += a0 * b_panel[p, j]`, and so on. One loop with six updates lets the compiler turn it
# into a few vector FMAs per row, and each vector load of `b_panel`'s row serves all six rows.
# At the end, add the rows to `c` (a loop over the rows and columns that are inside `c`).

# %% nbgrader={"grade": false, "grade_id": "microkernel", "locked": false, "schema_version": 3, "solution": true, "task": false}
@njit(cache=False, fastmath={"contract"}, boundscheck=False)
def microkernel(a_panel, b_panel, kc, c, i0, j0):
    """c[i0:i0+MR, j0:j0+NR] += a_panel[:kc].T @ b_panel[:kc], cut off at the edges of c.

    a_panel: (KC, MR), b_panel: (KC, NR), c: (m, n), one float dtype; kc <= KC. The MR x NR
    block of accumulators stays in registers (six stack rows). Cost: 2 * MR * NR * kc FLOPs;
    per step p, MR + NR values read from the (L1-resident) panels; c read and written once.
    """
    ### BEGIN SOLUTION
    c0 = stack_row(NR, c.dtype)
    c1 = stack_row(NR, c.dtype)
    c2 = stack_row(NR, c.dtype)
    c3 = stack_row(NR, c.dtype)
    c4 = stack_row(NR, c.dtype)
    c5 = stack_row(NR, c.dtype)
    for j in range(NR):
        c0[j] = 0
        c1[j] = 0
        c2[j] = 0
        c3[j] = 0
        c4[j] = 0
        c5[j] = 0
    for p in range(kc):
        a0, a1, a2 = a_panel[p, 0], a_panel[p, 1], a_panel[p, 2]
        a3, a4, a5 = a_panel[p, 3], a_panel[p, 4], a_panel[p, 5]
        for j in range(NR):
            bj = b_panel[p, j]
            c0[j] += a0 * bj
            c1[j] += a1 * bj
            c2[j] += a2 * bj
            c3[j] += a3 * bj
            c4[j] += a4 * bj
            c5[j] += a5 * bj
    rows, cols = min(MR, c.shape[0] - i0), min(NR, c.shape[1] - j0)
    for j in range(cols):
        c[i0, j0 + j] += c0[j]
        if rows > 1:
            c[i0 + 1, j0 + j] += c1[j]
        if rows > 2:
            c[i0 + 2, j0 + j] += c2[j]
        if rows > 3:
            c[i0 + 3, j0 + j] += c3[j]
        if rows > 4:
            c[i0 + 4, j0 + j] += c4[j]
        if rows > 5:
            c[i0 + 5, j0 + j] += c5[j]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_microkernel_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""microkernel: adds the panels' product into c's block, cut off at c's edges."""


def _check_microkernel(m, n, i0, j0, kc, dtype, seed):
    rng = np.random.default_rng(seed)
    a_panel = rng.standard_normal((KC, MR)).astype(dtype)
    b_panel = rng.standard_normal((KC, NR)).astype(dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    want = c.astype(np.float64)
    block = a_panel[:kc].astype(np.float64).T @ b_panel[:kc].astype(np.float64)
    rows, cols = min(MR, m - i0), min(NR, n - j0)
    want[i0:i0 + rows, j0:j0 + cols] += block[:rows, :cols]
    microkernel(a_panel, b_panel, kc, c, i0, j0)
    tol = 1e-4 if np.dtype(dtype) == np.float32 else 1e-10
    check_close(c, want, rtol=tol, atol=tol * np.sqrt(kc),
                what=f"microkernel on a {m}x{n} {np.dtype(dtype).name} c at ({i0}, {j0}), kc={kc}")


_check_microkernel(6, 16, 0, 0, 5, np.float64, 11)  # one whole block, added to what c holds
print("microkernel: one 6 x 16 block as expected")
### BEGIN HIDDEN TESTS
_check_microkernel(6, 16, 0, 0, KC, np.float32, 12)
_check_microkernel(9, 21, 6, 16, 37, np.float64, 13)  # cut off: 3 rows, 5 columns
_check_microkernel(20, 40, 12, 16, 1, np.float32, 14)  # a block inside a larger c
_check_microkernel(1, 1, 0, 0, 7, np.float64, 15)
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 9 · `register_blocked_matmul`
#
# Write the macro loops: `register_blocked_matmul(a, b)` returns `a @ b` as a new array of the
# inputs' dtype, computed with your packing functions and micro-kernel. The order BLIS uses:
#
# ```
# c = zeros (m, n)
# for each panel p0 = 0, KC, 2 KC, ... of the inner dimension (kc = min(KC, k - p0) deep):
#     pack every NR-wide column panel of B at p0 (one (KC, NR) panel per block of columns)
#     for each block of MR rows, i0 = 0, MR, ...:
#         pack A's (KC, MR) panel at (i0, p0)
#         for each block of NR columns: microkernel(...) into c at (i0, j0)
# ```
#
# The packed panels of `B` for one `p0` fit in the L2 cache of most cores at the sizes used
# here; the `A` panel stays in L1 while the micro-kernel walks across them. Allocate the panels
# once (for example `np.zeros((n_blocks, KC, NR), a.dtype)` for `B`), not inside the loops.

# %% nbgrader={"grade": false, "grade_id": "register_blocked_matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
@njit(cache=False, boundscheck=False)
def register_blocked_matmul(a, b):
    """a @ b with packed panels and an MR x NR register block (one thread).

    a: (m, k), b: (k, n), C-contiguous, one float dtype (float32 or float64); returns a new
    (m, n) array of that dtype. Cost: 2*m*k*n FLOPs; packing copies the k*n values of B and the
    m*k values of A once each; c is read and written ceil(k / KC) times.
    """
    ### BEGIN SOLUTION
    m, k = a.shape
    n = b.shape[1]
    c = np.zeros((m, n), a.dtype)
    n_blocks = (n + NR - 1) // NR
    b_panels = np.zeros((n_blocks, KC, NR), a.dtype)
    a_panel = np.zeros((KC, MR), a.dtype)
    for p0 in range(0, k, KC):
        kc = min(KC, k - p0)
        for jb in range(n_blocks):
            pack_b(b, p0, jb * NR, kc, b_panels[jb])
        for i0 in range(0, m, MR):
            pack_a(a, i0, p0, kc, a_panel)
            for jb in range(n_blocks):
                microkernel(a_panel, b_panels[jb], kc, c, i0, jb * NR)
    return c
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_register_blocked_matmul_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""register_blocked_matmul: a @ b on odd sizes, float32 and float64, in the inputs' dtype."""
from accel.grading import check_dtype


def _check_blocked(m, k, n, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    got = register_blocked_matmul(a, b)
    what = f"register_blocked_matmul({m}x{k} @ {k}x{n}, {np.dtype(dtype).name})"
    check_dtype(got, np.dtype(dtype), what=what)
    tol = 1e-4 if np.dtype(dtype) == np.float32 else 1e-10
    check_close(got, a.astype(np.float64) @ b.astype(np.float64), rtol=tol,
                atol=tol * np.sqrt(k), what=what)


_check_blocked(7, 5, 9, np.float64, 21)
print("register_blocked_matmul: 7x5 @ 5x9 as expected")
### BEGIN HIDDEN TESTS
_check_blocked(67, 300, 45, np.float32, 22)  # more than one panel of KC
_check_blocked(13, 257, 33, np.float64, 23)
_check_blocked(1, 1, 1, np.float32, 24)
_check_blocked(96, 512, 48, np.float64, 25)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_register_blocked_matmul_speed", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""register_blocked_matmul: at least 0.7x the speed of the grader's compiled i, p, j loop
(measured here): a guard against a C block kept in memory instead of registers."""
assert register_blocked_matmul(np.ones((2, 3), np.float32), np.ones((3, 2), np.float32)).shape == (2, 2), (
    "register_blocked_matmul(a, b) should return the (m, n) product")
### BEGIN HIDDEN TESTS
from accel.grading import require_speedup, speed_ratio
from accel_instructor.reference.microkernels import baseline_loop_matmul


def _square_float32(seed):
    rng = np.random.default_rng(5100 + seed)
    return (rng.standard_normal((384, 384)).astype(np.float32),
            rng.standard_normal((384, 384)).astype(np.float32))


# The grader's loop is vectorized along j but loads and stores its output at every FMA.
# Register blocking gains only about 2.2-2.5x over it at 384-1024 on Zen 4 (one thread), so no
# threshold can sit 3x from both a correct kernel and an unblocked loop (1.0-1.2x). Measured in
# one process, three alternating trials, 2 vCPUs shared: the reference 2.1-2.7x, the
# micro-kernel with np.zeros rows (stored and reloaded at every step) 0.2x. The threshold sits
# 3x from both of those: a guard that a correct kernel clears on a busy machine (a busy
# neighbour on the same core slows this FMA-bound kernel more than the load/store-bound loop;
# the reference once read 0.8x with 5 short rounds). The notebook prints the learner's own gain.
with quiet():
    _ratio = speed_ratio(register_blocked_matmul, baseline_loop_matmul, _square_float32,
                         repeats=9, min_time=0.03)
print(f"register_blocked_matmul vs the grader's i, p, j loop (384x384 float32): {_ratio}")
require_speedup(_ratio, 0.7, "register_blocked_matmul vs the grader's compiled i, p, j loop "
                             "(384x384 float32, one thread)")
### END HIDDEN TESTS

# %% [markdown]
# ### Your micro-kernel against BLAS
#
# The cell below times your kernel and `np.matmul` (BLAS), both on one thread, at N = 512 in
# float32 and float64. Compare with your blocked matmul of notebook 03 (its rate is in that
# notebook) and with the FMA rates you measured above.

# %%
matmul_rates = {}
with skip_unfinished():
    n_mm = 256 if GRADING else 512
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a_mm = rng.standard_normal((n_mm, n_mm)).astype(dtype)
        b_mm = rng.standard_normal((n_mm, n_mm)).astype(dtype)
        for name, fn in (("register-blocked (yours)", register_blocked_matmul),
                         ("BLAS np.matmul", np.matmul)):
            seconds = benchmark(fn, a_mm, b_mm, repeat=3 if GRADING else 7, threads=1).best
            matmul_rates[name, np.dtype(dtype).name] = gflops(2 * n_mm ** 3, seconds)
    for (name, dtype_name), rate in matmul_rates.items():
        blas = matmul_rates["BLAS np.matmul", dtype_name]
        print(f"{dtype_name} {name:26s} {rate:7.1f} GFLOP/s ({100 * rate / blas:5.1f}% of BLAS)")

# %% [markdown]
# On the machine this course was tested on (AMD Zen 4), the register-blocked kernel reached
# 70-90% of one-thread BLAS in float32 and about twice a compiled `i, p, j` loop; your
# numbers above are the ones that count. What BLAS still does better: the BLIS **five loops**
# also block for the L2 and L3 caches (blocks of `A` sized for L2, panels of `B` for L3) and
# run the macro loops on several threads; the micro-kernel is written in assembly (or
# intrinsics) for each core, with `MR x NR` chosen for its registers and FMA latency,
# **prefetch** instructions that fetch the next panels early, and packing overlapped with
# computing. In float64 the
# 6 x 16 block needs 24 registers of 256 bits; on a core with 16 such registers it spills,
# which the float64 line above may show.

# %% [markdown]
# ## A cache-aware roofline
#
# The roofline of notebook 04 has one memory roof: DRAM. A kernel whose data fits in a cache
# sees a higher one: the bandwidth of that cache. The *cache-aware* roofline draws one memory
# roof per level, each with the bandwidth measured at a working set that fits that level, and
# places every kernel under the roof of the smallest level that holds its working set.
#
# Reading memory needs the same care as the FMA chains: a sum with one accumulator is a chain
# of dependent adds and measures the add latency, not the cache. The kernel below keeps 8 rows
# of `NR` float32 partial sums (8 or more vector registers, the count your chains table
# suggested). Bytes are counted as in notebook 04: what the kernel reads (it writes nothing, so
# there is no write-allocate to count). The compute roof is an FMA loop with 8 rows of `NR`
# float32 accumulators: the float32 vector peak of one core.

# %%
READ_ROWS = 8 * NR  # values summed per step: 8 rows of NR accumulators


@njit(cache=False, fastmath={"contract"}, boundscheck=False)
def read_sum(x, passes=1):
    """passes x the sum of x (1-D float32, length a multiple of 8 * NR), 8 x NR partial sums.

    Several passes in one call keep a small (L1) array from measuring the call overhead.
    Cost: passes * x.size FLOPs (one add per value), passes * x.nbytes bytes read, no writes.
    """
    r0 = stack_row(NR, x.dtype)
    r1 = stack_row(NR, x.dtype)
    r2 = stack_row(NR, x.dtype)
    r3 = stack_row(NR, x.dtype)
    r4 = stack_row(NR, x.dtype)
    r5 = stack_row(NR, x.dtype)
    r6 = stack_row(NR, x.dtype)
    r7 = stack_row(NR, x.dtype)
    for j in range(NR):
        r0[j] = r1[j] = r2[j] = r3[j] = r4[j] = r5[j] = r6[j] = r7[j] = 0
    blocks = x.reshape(x.size // READ_ROWS, 8, NR)  # plain indices: no offset arithmetic
    for step in range(passes * blocks.shape[0]):
        i = step % blocks.shape[0]
        for j in range(NR):
            r0[j] += blocks[i, 0, j]
            r1[j] += blocks[i, 1, j]
            r2[j] += blocks[i, 2, j]
            r3[j] += blocks[i, 3, j]
            r4[j] += blocks[i, 4, j]
            r5[j] += blocks[i, 5, j]
            r6[j] += blocks[i, 6, j]
            r7[j] += blocks[i, 7, j]
    total = 0.0
    for j in range(NR):
        total += r0[j] + r1[j] + r2[j] + r3[j] + r4[j] + r5[j] + r6[j] + r7[j]
    return total


@njit(cache=False, fastmath={"contract"}, boundscheck=False)
def fma_peak_loop(x, steps):
    """steps x 8 x NR float32 FMAs (x = x * 0.999 + 0.001) on 8 rows of NR accumulators.

    x: 1-D float32 array of NR start values. Cost: 16 * NR * steps FLOPs, no memory traffic.
    """
    r0 = stack_row(NR, x.dtype)
    r1 = stack_row(NR, x.dtype)
    r2 = stack_row(NR, x.dtype)
    r3 = stack_row(NR, x.dtype)
    r4 = stack_row(NR, x.dtype)
    r5 = stack_row(NR, x.dtype)
    r6 = stack_row(NR, x.dtype)
    r7 = stack_row(NR, x.dtype)
    for j in range(NR):
        r0[j] = r1[j] = r2[j] = r3[j] = r4[j] = r5[j] = r6[j] = r7[j] = x[j]
    a, b = np.float32(0.999), np.float32(0.001)
    for _ in range(steps):
        for j in range(NR):
            r0[j] = r0[j] * a + b
            r1[j] = r1[j] * a + b
            r2[j] = r2[j] * a + b
            r3[j] = r3[j] * a + b
            r4[j] = r4[j] * a + b
            r5[j] = r5[j] * a + b
            r6[j] = r6[j] * a + b
            r7[j] = r7[j] * a + b
    total = 0.0
    for j in range(NR):
        total += r0[j] + r1[j] + r2[j] + r3[j] + r4[j] + r5[j] + r6[j] + r7[j]
    return total


def level_of(working_set_bytes: int, caches: list) -> str:
    """The smallest cache level ("L1", "L2", ...) that holds working_set_bytes, else "DRAM"."""
    for cache in caches:
        if working_set_bytes <= cache["bytes"]:
            return f"L{cache['level']}"
    return "DRAM"


peak_steps = 200_000 if GRADING else 2_000_000
peak_f32_gflops = gflops(16 * NR * peak_steps, benchmark(
    fma_peak_loop, np.ones(NR, np.float32), peak_steps, repeat=5, threads=1).best)
print(f"compute roof (float32 FMAs, 8 x {NR} accumulators, one thread): "
      f"{peak_f32_gflops:.1f} GFLOP/s")

caches = cache_hierarchy()
read_sizes = {f"L{c['level']}": c["bytes"] // 2 for c in caches}  # half a level: it stays there
# beyond the caches, within the memory budget, and at most 512 MiB (64 MiB while grading)
dram_bytes = min(array_bytes_beyond_caches(arrays=1), (64 if GRADING else 512) * MiB)
read_sizes = {level: min(size, dram_bytes) for level, size in read_sizes.items()}
read_sizes["DRAM"] = dram_bytes
level_roofs = {}
for level, size in read_sizes.items():
    x = np.ones(max(READ_ROWS, size // 4 // READ_ROWS * READ_ROWS), np.float32)
    passes = max(1, (16 * MiB) // x.nbytes)  # at least 16 MiB read per call
    seconds = benchmark(read_sum, x, passes, repeat=5 if GRADING else 9, threads=1,
                        min_time=0).best
    level_roofs[level] = gbs(passes * x.nbytes, seconds)
    print(f"{level:4s} read at {x.nbytes / KiB:10,.0f} KiB: {level_roofs[level]:6.1f} GB/s")
    del x

# %% [markdown]
# Where your kernels sit: the read sum at the DRAM working set (1 FLOP per 4 bytes), and your
# register-blocked matmul at sizes whose working set (three `N x N` float32 matrices, `12 N^2`
# bytes) falls in different levels. Its intensity follows notebook 04's byte rule: read `a` and
# `b` once, write `c` once with its write-allocate read, `16 N^2` bytes for `2 N^3` FLOPs.

# %%
placed_kernels = {}
with skip_unfinished():
    for n_mm in (32, 128, 512):
        a_mm = np.ones((n_mm, n_mm), np.float32)
        seconds = benchmark(register_blocked_matmul, a_mm, a_mm, repeat=3, threads=1).best
        level = level_of(12 * n_mm ** 2, caches)
        placed_kernels[f"matmul N={n_mm} ({level})"] = (2 * n_mm ** 3 / (16 * n_mm ** 2),
                                                       gflops(2 * n_mm ** 3, seconds))
x = np.ones(read_sizes["DRAM"] // 4 // READ_ROWS * READ_ROWS, np.float32)
read_seconds = benchmark(read_sum, x, repeat=3, min_time=0, threads=1).best
placed_kernels["read sum (DRAM)"] = (0.25, gflops(x.size, read_seconds))
del x
for name, (ai, rate) in placed_kernels.items():
    print(f"{name:24s} {ai:8.2f} FLOP/byte {rate:7.1f} GFLOP/s "
          f"({100 * rate / peak_f32_gflops:5.1f}% of the compute roof)")

# %% [markdown]
# ## Exercise 10 · `plot_cache_roofline`
#
# Write `plot_cache_roofline(peak_gflops, level_roofs, kernels)` returning a matplotlib `Figure`
# with one `Axes`. `level_roofs` maps a level name (`"L1"`, `"L2"`, ..., `"DRAM"`) to its
# bandwidth in GB/s; `kernels` maps a name to `(arithmetic_intensity, measured_gflops)`. As in
# notebook 04, the grader reads the figure:
#
# * **Axes:** both logarithmic; the x label contains `FLOP/byte`, the y label `GFLOP/s`.
# * **One memory roof per level** with `ax.plot`: the line `y = bandwidth * x` from `x_lo` up
#   to that level's ridge `(peak / bandwidth, peak)`, with the level's name on the plot (a
#   legend entry or an annotation). Choose `x_lo` at or below the smallest kernel intensity and
#   the smallest ridge (a factor of 4 below leaves room).
# * **The compute roof:** `y = peak` from the smallest ridge to `x_hi`, at or above the largest
#   kernel intensity and ridge.
# * **One marker per kernel** at exactly `(arithmetic_intensity, measured_gflops)`, with its
#   name on the plot.
#
# Do not call `plt.show()` inside the function; return the figure.

# %% nbgrader={"grade": false, "grade_id": "plot_cache_roofline", "locked": false, "schema_version": 3, "solution": true, "task": false}
def plot_cache_roofline(peak_gflops: float, level_roofs: dict, kernels: dict):
    """Cache-aware roofline on log-log axes: one memory roof per level (slope = its bandwidth,
    up to its ridge), the compute roof (flat at peak), one labelled point per kernel.

    level_roofs: {level name: GB/s}; kernels: {name: (FLOP/byte, GFLOP/s)}. Returns the Figure.
    """
    ### BEGIN SOLUTION
    ridges = {level: peak_gflops / bw for level, bw in level_roofs.items()}
    ais = [ai for ai, _ in kernels.values()]
    x_lo = min([*ridges.values(), *ais]) / 4
    x_hi = max([*ridges.values(), *ais]) * 4
    fig, ax = plt.subplots(figsize=(7, 5))
    for level, bw in level_roofs.items():
        ax.plot([x_lo, ridges[level]], [bw * x_lo, peak_gflops], linewidth=1.5,
                label=f"{level} {bw:.0f} GB/s")
    ax.plot([min(ridges.values()), x_hi], [peak_gflops, peak_gflops], color="black", linewidth=2,
            label=f"compute {peak_gflops:.0f} GFLOP/s")
    for index, (name, (ai, rate)) in enumerate(kernels.items()):
        ax.plot([ai], [rate], marker="o", linestyle="none", color="black")
        ax.annotate(name, (ai, rate), textcoords="offset points",
                    xytext=(5, -12 if index % 2 == 0 else 6), fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set(xlabel="arithmetic intensity (FLOP/byte)", ylabel="performance (GFLOP/s)",
           title="Cache-aware roofline (one thread, float32)")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, which="both", alpha=0.3)
    return fig
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_plot_cache_roofline_roofs", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""plot_cache_roofline: a memory roof per level up to its ridge, the compute roof, level names."""
from matplotlib.figure import Figure

from accel.grading.roofline import axes_texts, drawn_lines


def _cache_roof_problems(fig, peak, roofs, kernels):
    """What is missing from the roofs drawn in fig (an empty list when they are right)."""
    if not isinstance(fig, Figure):
        return [f"expected a matplotlib Figure, got {type(fig).__name__}"]
    ax = fig.axes[0]
    problems = []
    if ax.get_xscale() != "log" or ax.get_yscale() != "log":
        problems.append("both axes should be logarithmic")
    if "flop/byte" not in ax.get_xlabel().lower() or "gflop/s" not in ax.get_ylabel().lower():
        problems.append("the x label should mention FLOP/byte and the y label GFLOP/s")
    ais = [ai for ai, _ in kernels.values()]
    ridges = {level: peak / bw for level, bw in roofs.items()}
    need_lo, need_hi = min([*ridges.values(), *ais]), max([*ridges.values(), *ais])
    segments = [verts[i:i + 2] for verts in drawn_lines(ax) for i in range(len(verts) - 1)]
    for level, bw in roofs.items():
        xs = [x for seg in segments if seg[0, 0] != seg[1, 0] and np.all(seg[:, 0] > 0)
              and np.allclose(seg[:, 1], bw * seg[:, 0], rtol=1e-3)
              and np.all(seg[:, 0] <= ridges[level] * 1.001) for x in seg[:, 0]]
        if not xs or min(xs) > need_lo * 1.001 or max(xs) < ridges[level] * 0.999:
            problems.append(f"the {level} roof y = {bw:.4g} * x should run from x <= "
                            f"{need_lo:.4g} up to its ridge at x = {ridges[level]:.4g}")
        if not any(level in text for text in axes_texts(ax)):
            problems.append(f"the name {level!r} appears in no legend entry or annotation")
    flat = [x for seg in segments if np.allclose(seg[:, 1], peak, rtol=1e-3) for x in seg[:, 0]]
    if not flat or min(flat) > min(ridges.values()) * 1.001 or max(flat) < need_hi * 0.999:
        problems.append(f"the compute roof y = {peak:.4g} should run from the smallest ridge "
                        f"x = {min(ridges.values()):.4g} to x >= {need_hi:.4g}")
    return problems


_demo_roofs = {"L1": 200.0, "L2": 80.0, "DRAM": 20.0}
_demo_kernels = {"stream": (0.25, 4.0), "matmul": (40.0, 60.0)}
fig = plot_cache_roofline(100.0, dict(_demo_roofs), dict(_demo_kernels))
problems = _cache_roof_problems(fig, 100.0, _demo_roofs, _demo_kernels)
plt.close(fig)
assert not problems, ("plot_cache_roofline (peak 100; L1 200, L2 80, DRAM 20 GB/s): "
                     + "; ".join(problems))
print("plot_cache_roofline: roofs as expected")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5405)
for _case in range(3):
    _peak = float(_rng.uniform(20, 3000))
    _levels = ["L1", "L2", "L3", "DRAM"][:int(_rng.integers(2, 5))]
    _bws = sorted(_rng.uniform(3, 800, len(_levels)), reverse=True)
    _roofs = {name: float(bw) for name, bw in zip(_levels, _bws)}
    _kernels = {f"kernel {_i}": (float(10 ** _rng.uniform(-2.5, 3)), float(_rng.uniform(0.1, 10)))
                for _i in range(int(_rng.integers(1, 6)))}
    _fig = plot_cache_roofline(_peak, dict(_roofs), dict(_kernels))
    _problems = _cache_roof_problems(_fig, _peak, _roofs, _kernels)
    plt.close(_fig)
    assert not _problems, f"plot_cache_roofline (peak {_peak:.4g}, roofs {_roofs}): " + "; ".join(_problems)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_plot_cache_roofline_points", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""plot_cache_roofline: exactly one marker per kernel at (intensity, GFLOP/s), each named."""
from accel.grading.roofline import point_problems

fig = plot_cache_roofline(100.0, dict(_demo_roofs), dict(_demo_kernels))
problems = point_problems(fig, _demo_kernels)
plt.close(fig)
assert not problems, "plot_cache_roofline: " + "; ".join(problems)
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5406)
for _case in range(3):
    _roofs = {"L1": float(_rng.uniform(100, 800)), "DRAM": float(_rng.uniform(3, 60))}
    _kernels = {f"k{_i}-{int(_rng.integers(1000))}": (float(10 ** _rng.uniform(-2, 3)),
                                                       float(_rng.uniform(0.1, 50)))
                for _i in range(int(_rng.integers(1, 7)))}
    _fig = plot_cache_roofline(float(_rng.uniform(50, 500)), dict(_roofs), dict(_kernels))
    _problems = point_problems(_fig, _kernels)
    plt.close(_fig)
    assert not _problems, "plot_cache_roofline: " + "; ".join(_problems)
### END HIDDEN TESTS

# %% [markdown]
# ### Your cache-aware roofline

# %%
with skip_unfinished():
    fig = plot_cache_roofline(peak_f32_gflops, level_roofs, placed_kernels)
    plt.show()

# %% [markdown]
# ## Check your understanding
#
# Store each answer in the variable named in bold; each is checked to 1%.
#
# 1. A core has an FMA latency of 4 cycles and 2 FMA pipes. How many independent **vector**
#    accumulators (registers) does a loop need to keep both pipes busy?
#    **`q1_vector_accumulators`**
# 2. The same core with 512-bit registers, on float32 (16 lanes): how many independent float32
#    **values** must be in flight? **`q2_float32_values_in_flight`**
# 3. A memory system delivers 50 GB/s at a latency of 80 ns. How many bytes must be in flight?
#    **`q3_bytes_in_flight`**
# 4. How many 64-byte cache lines is that? **`q4_lines_in_flight`**
# 5. One core can keep at most 12 cache-line misses (64 bytes each) in flight, and memory
#    latency is 90 ns. What bandwidth, in GB/s, can this core reach at most?
#    **`q5_one_core_gbs`**

# %% nbgrader={"grade": false, "grade_id": "answers_latency", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
q1_vector_accumulators = 4 * 2
q2_float32_values_in_flight = 4 * 2 * 16
q3_bytes_in_flight = 50 * 80
q4_lines_in_flight = 50 * 80 / 64
q5_one_core_gbs = 12 * 64 / 90
### END SOLUTION
print(f"Q1: {q1_vector_accumulators}  Q2: {q2_float32_values_in_flight}  Q3: {q3_bytes_in_flight} "
      f"bytes  Q4: {q4_lines_in_flight} lines  Q5: {q5_one_core_gbs:.2f} GB/s")

# %% nbgrader={"grade": true, "grade_id": "test_latency_q1_vector_accumulators", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q1: vector accumulators for latency 4 and 2 pipes (checked to 1%)."""
assert isinstance(q1_vector_accumulators, (int, float, np.integer, np.floating)), "q1_vector_accumulators should be a number"
### BEGIN HIDDEN TESTS
assert abs(q1_vector_accumulators - 8) < 0.08, (
    f"q1_vector_accumulators: got {q1_vector_accumulators}; each of 2 pipes starts one per "
    f"cycle and each result takes 4 cycles")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_latency_q2_values_in_flight", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q2: float32 values in flight with 16 lanes (checked to 1%)."""
assert isinstance(q2_float32_values_in_flight, (int, float, np.integer, np.floating)), "q2_float32_values_in_flight should be a number"
### BEGIN HIDDEN TESTS
assert abs(q2_float32_values_in_flight - 128) < 1.28, (
    f"q2_float32_values_in_flight: got {q2_float32_values_in_flight}; latency x pipes x lanes")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_latency_q3_bytes_in_flight", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q3: bytes in flight at 50 GB/s and 80 ns (checked to 1%)."""
assert isinstance(q3_bytes_in_flight, (int, float, np.integer, np.floating)), "q3_bytes_in_flight should be a number"
### BEGIN HIDDEN TESTS
assert abs(q3_bytes_in_flight - 4000) < 40, (
    f"q3_bytes_in_flight: got {q3_bytes_in_flight}; GB/s x ns = bytes")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_latency_q4_lines_in_flight", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q4: 64-byte lines in flight at 50 GB/s and 80 ns (checked to 1%)."""
assert isinstance(q4_lines_in_flight, (int, float, np.integer, np.floating)), "q4_lines_in_flight should be a number"
### BEGIN HIDDEN TESTS
assert abs(q4_lines_in_flight - 62.5) < 0.625 + 1e-9, (
    f"q4_lines_in_flight: got {q4_lines_in_flight}; the bytes of Q3 in lines of 64 bytes")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_latency_q5_one_core_gbs", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q5: bandwidth of one core with 12 lines in flight at 90 ns (checked to 1%)."""
assert isinstance(q5_one_core_gbs, (int, float, np.integer, np.floating)), "q5_one_core_gbs should be a number"
### BEGIN HIDDEN TESTS
_want = 12 * 64 / 90
assert abs(q5_one_core_gbs - _want) < 0.01 * _want, (
    f"q5_one_core_gbs: got {q5_one_core_gbs}; bytes in flight / latency = bandwidth "
    f"(bytes per ns = GB/s)")
### END HIDDEN TESTS

# %% [markdown]
# ## Systems thinking (graded by hand)
#
# Use Little's law and your own numbers (say which ones). **Why is walking a linked list of a
# million nodes slow even when the total data is small, and what would you change?** Compare
# the time per node your pointer chase measured with the time per element of a streaming read
# at your bandwidth; then name two ways to put more requests in flight (for example several
# independent lists walked together, a different data layout, or software prefetch), and say
# which limit you reach next.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflection_latency_systems", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# A model answer quotes the learner's numbers. Each node's address is known only when the
# previous node has arrived, so only one cache miss is in flight: every node costs a full
# memory latency (about 100 ns on many machines; the learner's chase gives theirs), while a
# streaming read of 8-byte values at, say, 20 GB/s costs 0.4 ns per element, hundreds of times
# less. Little's law says the list moves one line per latency (64 bytes / 100 ns = 0.64 GB/s
# at best, a few percent of the bandwidth). Remedies put more misses in flight: walk several
# independent lists (or several parts of one) interleaved, so k chases overlap (k lines in
# flight, up to the core's miss buffers); store the nodes in an array in visiting order (then
# the prefetchers stream them); or prefetch nodes known ahead (skip pointers). The next limit is
# the number of misses one core can keep outstanding (a few dozen lines), and after that the
# memory bandwidth shared by all cores; more threads help only until the bandwidth is reached.
