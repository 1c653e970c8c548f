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
# # 03 · Cache-aware tiling: loop order, blocking and what BLAS already does
#
# A matrix product does `2N^3` floating-point operations on only `3N^2` numbers, so every number
# could be reused `N` times. Whether it *is* reused while it still sits in a fast cache, or has
# to be fetched from main memory again, decides a large part of the speed. In this notebook you
# will
#
# 1. read the cache sizes of **your** machine,
# 2. measure what walking memory in the wrong direction costs,
# 3. write a compiled triple loop in two loop orders and compare them,
# 4. cut the loops into blocks and find out where blocking starts to pay,
# 5. pick a tile size from a cache size, and
# 6. tile a product on top of BLAS, and see honestly how that compares with one BLAS call.
#
# As in the other notebooks, every number here is measured while you run it.
#
# **How to work.** Fill in the cells marked `# YOUR CODE HERE`, then run the test cell right
# below. The visible tests give quick feedback; the grader runs more tests on other inputs.
# The loop kernels are compiled with [numba](https://numba.readthedocs.io): the first call of
# each one compiles it (a fraction of a second), later calls run machine code.
#
# **Memory.** Each notebook of this course, solved, runs within 2 GiB (the size of a Binder
# session). Arrays meant to be larger than your caches are sized from your caches and capped
# to fit that budget (`accel.machine.array_bytes_beyond_caches`); a printed note says when the
# cap keeps part of a measurement in cache.

# %% nbgrader={"grade": false, "grade_id": "setup_tiling", "locked": true, "schema_version": 3, "solution": false, "task": false}
import math
import os

import matplotlib.pyplot as plt
import numpy as np
from numba import njit

from accel import Tensor, benchmark, gbs, gflops, skip_unfinished
from accel.machine import array_bytes_beyond_caches

# While nbgrader grades a submission it sets NBGRADER_EXECUTION; the exploratory
# measurements then use smaller sizes so that grading stays quick.
GRADING = "NBGRADER_EXECUTION" in os.environ

# %% [markdown]
# ## The memory hierarchy of this machine
#
# Between the core and main memory sit several caches, each larger and slower than the one
# before: a small level-1 data cache per core, a larger level-2 cache, and usually a last-level
# cache shared by several cores. Data moves between them in whole *cache lines* (64 bytes on
# most x86 and many Arm CPUs), never as single numbers.
#
# On Linux the kernel describes the caches of each CPU in
# `/sys/devices/system/cpu/cpu0/cache/index*/`. `accel.machine.cache_hierarchy` reads them
# there (every notebook of the course uses it). Elsewhere it falls back to `os.sysconf` (values
# from the C library, which can be approximate) and, failing that, to typical sizes that are
# clearly marked as assumptions: check the `source` column before you trust a number.

# %%
from accel.machine import cache_hierarchy

caches = cache_hierarchy()
L1_BYTES = caches[0]["bytes"]
L2_BYTES = next((c["bytes"] for c in caches if c["level"] == 2), L1_BYTES)
LLC_BYTES = caches[-1]["bytes"]

print(f"{'level':>5} {'type':>8} {'size':>10}  {'largest N x N float64 that fits':>32}  source")
for c in caches:
    n_fit = math.isqrt(c["bytes"] // 8)
    print(f"{'L' + str(c['level']):>5} {c['type']:>8} {c['bytes'] / 2**10:>7.0f} KiB  {n_fit:>32}  {c['source']}")

# %% [markdown]
# The column of `N` values gives a first feel for the sizes involved: the largest square
# float64 matrix that fits a cache level on its own. A matrix product touches three matrices, so for it the limits are
# lower still.
#
# ## Walking memory: along rows or down columns
#
# NumPy stores a 2-D array in *row-major* (C) order by default: `x[i, j]` and `x[i, j + 1]`
# are neighbours in memory, while `x[i, j]` and `x[i + 1, j]` are a whole row apart. Summing a
# matrix row by row reads memory in order, and every line that arrives is used in full (a
# 64-byte line holds 8 float64 values). Summing it column by column jumps a whole row ahead at each step: each
# line delivers one useful value, and unless the lines of earlier columns are still cached
# when the next column needs them, the rest of each line is wasted.
#
# Both kernels below do exactly the same additions. They are compiled with `fastmath=True`,
# which lets the compiler reorder the additions of the sum (so it can use vector registers);
# that is fine for a measurement, and it changes only the rounding.

# %%
@njit(cache=False, fastmath=True)
def sum_by_rows(x):
    total = 0.0
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            total += x[i, j]
    return total


@njit(cache=False, fastmath=True)
def sum_by_columns(x):
    total = 0.0
    for j in range(x.shape[1]):
        for i in range(x.shape[0]):
            total += x[i, j]
    return total


# the largest matrix: at least 4096 x 4096 and twice the last-level cache (within the memory budget)
n_beyond = max(4096, math.isqrt(array_bytes_beyond_caches(arrays=1) // 8))
walk_sizes = [256, 1024] if GRADING else [256, 1024, 2048, n_beyond]
print(f"{'N':>5} {'matrix':>10} {'by rows':>10} {'by columns':>11} {'ratio':>7}   (GB/s read, float64)")
for n in walk_sizes:
    x = np.random.default_rng(n).random((n, n))
    rows = benchmark(sum_by_rows, x, repeat=3, min_time=0.005).best
    cols = benchmark(sum_by_columns, x, repeat=3, min_time=0.005).best
    print(f"{n:>5} {x.nbytes / 2**20:>6.1f} MiB {gbs(x.nbytes, rows):>10.1f} "
          f"{gbs(x.nbytes, cols):>11.1f} {cols / rows:>6.1f}x")

# %% [markdown]
# Compare the sizes in the table with your cache sizes above. While the whole matrix fits in a
# cache, the lines fetched for one column are still there for the next few columns and the
# penalty stays moderate. Once the matrix is larger than the caches, every step down a column
# goes out to main memory for one number. (Outside grading the table goes up to at least
# 4096 x 4096, 128 MiB, and to twice your last-level cache when that is larger.)
#
# ## Exercise 1 · `matmul_ijk`
#
# The textbook product, compiled. For `a` of shape `(m, k)` and `b` of shape `(k, n)`, write
# `out[i, j] = sum over p of a[i, p] * b[p, j]`, with the loops in the order **i, j, p**: for
# each output element, a dot product of row `i` of `a` with column `j` of `b`.
#
# Rules for the three kernels of this notebook: inputs are 2-D float64 ndarrays (not `Tensor`s),
# `out` is a preallocated `(m, n)` float64 array **that holds garbage on entry**, the kernel
# writes the whole result into it and returns nothing. Use explicit loops over single elements;
# keep the `@njit(cache=False)` line.

# %% nbgrader={"grade": false, "grade_id": "matmul_ijk", "locked": false, "schema_version": 3, "solution": true, "task": false}
@njit(cache=False)
def matmul_ijk(a, b, out):
    """out = a @ b with loops in i, j, p order (p runs over the inner dimension).

    a: (m, k), b: (k, n), out: (m, n), all 2-D float64; out is overwritten, nothing returned.
    Cost: 2*m*k*n FLOPs. The innermost loop reads b down a column: consecutive reads are
    n * 8 bytes apart.
    """
    ### BEGIN SOLUTION
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        for j in range(n):
            total = 0.0
            for p in range(k):
                total += a[i, p] * b[p, j]
            out[i, j] = total
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_matmul_ijk", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""matmul_ijk: writes a @ b into out (garbage on entry), square and odd non-square shapes."""
from accel.grading import check_close, quiet

a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
want = np.array([[7.0, -1.0], [16.0, -1.0]])
out = np.full((2, 2), np.nan)
with quiet():
    matmul_ijk(a, b, out)
check_close(out, want, what="matmul_ijk (2x3 @ 3x2)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3031)
for _m, _k, _n in [(1, 1, 1), (7, 13, 5), (33, 17, 65), (64, 64, 64)]:
    _a = _rng.standard_normal((_m, _k))
    _b = _rng.standard_normal((_k, _n))
    _want = _a @ _b  # before the call: a kernel may write into its inputs
    _out = np.full((_m, _n), np.nan)
    with quiet():
        matmul_ijk(_a, _b, _out)
    check_close(_out, _want, rtol=1e-9, atol=1e-9, what=f"matmul_ijk {_a.shape} @ {_b.shape}")
### END HIDDEN TESTS

# %% [markdown]
# ## Exercise 2 · `matmul_ikj`
#
# Now swap the two inner loops: order **i, p, j**. For a fixed `i` and `p`, the value
# `a[i, p]` is multiplied with the whole row `p` of `b` and added into the whole row `i` of
# `out`. The innermost loop now walks *along* rows of `b` and `out`, in memory order, and its
# iterations are independent of each other, so the compiler can also use vector instructions.
#
# The arithmetic is the same as in `matmul_ijk`; only the order of the work changes. Remember
# that `out` holds garbage on entry.

# %% nbgrader={"grade": false, "grade_id": "matmul_ikj", "locked": false, "schema_version": 3, "solution": true, "task": false}
@njit(cache=False)
def matmul_ikj(a, b, out):
    """out = a @ b with loops in i, p, j order: the innermost loop runs along rows of b and out.

    a: (m, k), b: (k, n), out: (m, n), all 2-D float64; out is overwritten, nothing returned.
    Cost: 2*m*k*n FLOPs; the innermost loop reads b and updates out at consecutive addresses.
    """
    ### BEGIN SOLUTION
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        for j in range(n):
            out[i, j] = 0.0
        for p in range(k):
            a_ip = a[i, p]
            for j in range(n):
                out[i, j] += a_ip * b[p, j]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_matmul_ikj", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""matmul_ikj: writes a @ b into out (garbage on entry), square and odd non-square shapes."""
from accel.grading import check_close, quiet

a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
want = np.array([[7.0, -1.0], [16.0, -1.0]])
out = np.full((2, 2), np.nan)
with quiet():
    matmul_ikj(a, b, out)
check_close(out, want, what="matmul_ikj (2x3 @ 3x2)")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3032)
for _m, _k, _n in [(1, 1, 1), (9, 4, 11), (65, 33, 17), (64, 64, 64)]:
    _a = _rng.standard_normal((_m, _k))
    _b = _rng.standard_normal((_k, _n))
    _want = _a @ _b  # before the call: a kernel may write into its inputs
    _out = np.full((_m, _n), np.nan)
    with quiet():
        matmul_ikj(_a, _b, _out)
    check_close(_out, _want, rtol=1e-9, atol=1e-9, what=f"matmul_ikj {_a.shape} @ {_b.shape}")
    with quiet():
        matmul_ikj(_a, _b, _out)  # a second call into the same out must give the same answer
    check_close(_out, _want, rtol=1e-9, atol=1e-9,
                what=f"matmul_ikj {_a.shape} @ {_b.shape}, called twice with the same out")
### END HIDDEN TESTS

# %% [markdown]
# ### Same arithmetic, different order
#
# Time both orders on the same inputs. The rate is in GFLOP/s, so different sizes compare.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    order_sizes = [64, 128] if GRADING else [128, 200, 256, 300, 512]
    print(f"{'N':>5} {'ijk':>12} {'ikj':>12} {'ikj/ijk':>9}   (GFLOP/s, float64)")
    for n in order_sizes:
        rng = np.random.default_rng(n)
        a_n, b_n, out_n = rng.random((n, n)), rng.random((n, n)), np.empty((n, n))
        t_ijk = benchmark(matmul_ijk, a_n, b_n, out_n, repeat=3, min_time=0.01).best
        t_ikj = benchmark(matmul_ikj, a_n, b_n, out_n, repeat=3, min_time=0.01).best
        print(f"{n:>5} {gflops(2 * n**3, t_ijk):>12.2f} {gflops(2 * n**3, t_ikj):>12.2f} "
              f"{t_ijk / t_ikj:>8.1f}x")

# %% [markdown]
# Several things slow `matmul_ijk` down. Its innermost loop reads `b` down a column, one number
# per cache line, as in the column sum above. And it adds every product into one running
# total: the compiler may not reorder floating-point additions on its own, so it keeps this
# loop scalar, one multiply and one add at a time instead of a whole vector of them.
# `matmul_ikj` has neither problem.
#
# Outside grading the table also has sizes that are not powers of two; compare them with their
# neighbours. A cache is split into *sets*, and a few bits of each address choose the one set a
# line may go into. When a row is a power of two in bytes long, the addresses of a column walk
# differ only in higher bits, so they all compete for the same few sets and evict each other
# long before the cache is full (*conflict misses*). How strongly this shows depends on the size
# and layout of your caches, which is exactly why the grader fixes the size it measures at.
#
# The grader checks this on its own inputs. It times your `matmul_ikj` against a compiled
# i, j, p loop of its own in alternating rounds, with fresh inputs for every call, and takes the
# median of the rounds' ratios. Every call, yours and the grader's, crosses from the grader's
# process into another one and back (about a millisecond for three 256 x 256 arrays), so the
# ratio it sees is lower than the one you measure above. To pass, `matmul_ikj` must be at least
# **4x** faster on 256 x 256 float64 matrices, a size with power-of-two rows; a correct pair
# reads about 12x there in the grader, and an i, j, p loop about 1x.

# %% nbgrader={"grade": true, "grade_id": "test_matmul_ikj_speed", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""matmul_ikj: at least 4x faster than an i, j, p loop at N=256 float64 (paired rounds, median ratio)."""
from accel.grading import quiet, require_speedup, speed_ratio


def _fresh_operands(_seed, _m=256, _k=256, _n=256):
    _gen = np.random.default_rng(3300 + _seed)
    return _gen.random((_m, _k)), _gen.random((_k, _n)), np.empty((_m, _n))


# Here: a comparison with *your* matmul_ijk, for guidance. The grade comes from the grader's own
# compiled i, j, p loop, so an unfinished matmul_ijk costs nothing in this cell.
try:
    with quiet():
        matmul_ijk(*_fresh_operands(0, 4, 4, 4))
    _ijk_ready = True
except Exception:
    _ijk_ready = False
with quiet():
    matmul_ikj(*_fresh_operands(0, 8, 8, 8))  # yours must at least run (and compile)
if _ijk_ready:
    ratio = speed_ratio(matmul_ikj, matmul_ijk, _fresh_operands, repeats=5)
    print(f"matmul_ikj vs your matmul_ijk at 256x256: {ratio}")
print("The grader asks for at least 4x against its own compiled i, j, p loop.")
### BEGIN HIDDEN TESTS
from accel_instructor.reference.tiling import baseline_matmul_ijk

with quiet():
    baseline_matmul_ijk(*_fresh_operands(0, 8, 8, 8))  # compile outside the timing
_ratio = speed_ratio(matmul_ikj, baseline_matmul_ijk, lambda _seed: _fresh_operands(_seed + 50),
                     repeats=5)
require_speedup(_ratio, 4, "matmul_ikj vs the grader's compiled i, j, p loop (256x256 float64)")
### END HIDDEN TESTS

# %% [markdown]
# ## How big should a block be?
#
# Loop order fixes the innermost loop. The next idea is *blocking* (or *tiling*): cut the
# matrices into square tiles of `T x T` and multiply tile by tile, so that the tiles being
# worked on stay in a cache while they are reused. A tile product `C_tile += A_tile @ B_tile`
# needs three tiles at once, so a common rule of thumb asks for
#
# $$n_\text{tiles} \cdot T^2 \cdot \text{itemsize} \le \text{cache size}$$
#
# and, because sizes that are powers of two divide typical matrix sizes evenly, takes the
# largest power of two that satisfies it. The tile is sized for a cache *level*, not for a
# cache line: multiply out `T * T * itemsize` for a tile of a few dozen rows and compare it with
# the 64 bytes of a cache line, and you find hundreds of lines in one tile.
#
# ## Exercise 3 · `tile_size_for_cache`
#
# Return the largest power of two `T` (1, 2, 4, ...) with
# `n_tiles * T * T * itemsize <= cache_bytes`, as an `int`. Raise `ValueError` when any argument
# is not a positive integer, and also when the cache is too small for even `T = 1`
# (`cache_bytes < n_tiles * itemsize`): there is no sensible tile then, and a silent 0 or 1 would
# hide the mistake.

# %% nbgrader={"grade": false, "grade_id": "tile_size_for_cache", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tile_size_for_cache(cache_bytes: int, itemsize: int = 4, n_tiles: int = 3) -> int:
    """Largest power-of-two T such that n_tiles tiles of T x T items of itemsize bytes fit in
    cache_bytes. Raises ValueError for non-positive arguments or a cache too small for T = 1."""
    ### BEGIN SOLUTION
    for name, value in (("cache_bytes", cache_bytes), ("itemsize", itemsize), ("n_tiles", n_tiles)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if n_tiles * itemsize > cache_bytes:
        raise ValueError(f"a cache of {cache_bytes} bytes cannot hold {n_tiles} tiles of even "
                         f"one {itemsize}-byte item")
    tile = 1
    while n_tiles * (2 * tile) ** 2 * itemsize <= cache_bytes:
        tile *= 2
    return int(tile)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_tile_size_for_cache", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""tile_size_for_cache: largest power-of-two tile, as an int, for several caches and item sizes."""
got = tile_size_for_cache(32 * 2**10, itemsize=8, n_tiles=3)
assert isinstance(got, (int, np.integer)), f"tile_size_for_cache should return an int (32.0 is a float), got {type(got).__name__}"
assert got == 32, f"tile_size_for_cache(32 KiB, itemsize=8, n_tiles=3): expected 32, got {got!r}"
### BEGIN HIDDEN TESTS
for _args, _expected in [((2**20, 4, 3), 256), ((48 * 2**10, 8, 3), 32),
                         ((3 * 64 * 64 * 4, 4, 3), 64), ((3 * 64 * 64 * 4 - 1, 4, 3), 32),
                         ((12, 4, 3), 1), ((2**20, 8, 2), 256), ((2**20, 4, 1), 512),
                         ((32 * 2**20, 4, 3), 1024), ((1000, 2, 5), 8)]:
    _got = tile_size_for_cache(*_args)
    assert isinstance(_got, (int, np.integer)), (
        f"tile_size_for_cache{_args} should return an int, got {type(_got).__name__}")
    assert _got == _expected, f"tile_size_for_cache{_args}: expected {_expected}, got {_got!r}"
assert tile_size_for_cache(2**20) == 256, "tile_size_for_cache(1 MiB) with the defaults: expected 256"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_tile_size_for_cache_errors", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""tile_size_for_cache: ValueError for non-positive arguments and for a cache too small for T=1."""
from accel.grading import expect_value_error

with expect_value_error(what="tile_size_for_cache(0)"):
    tile_size_for_cache(0)
with expect_value_error(what="tile_size_for_cache(11, itemsize=4, n_tiles=3): too small for T = 1"):
    tile_size_for_cache(11, 4, 3)
### BEGIN HIDDEN TESTS
for _args in [(-4096, 4, 3), (4096, 0, 3), (4096, 4, 0), (4096, -8, 3), (11, 4, 3), (1, 8, 1)]:
    with expect_value_error(what=f"tile_size_for_cache{_args}"):
        tile_size_for_cache(*_args)
### END HIDDEN TESTS

# %% [markdown]
# What does the rule say for the caches of this machine?

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    for c in caches:
        for itemsize, name in ((4, "float32"), (8, "float64")):
            print(f"L{c['level']} ({c['bytes'] / 2**10:.0f} KiB), {name}: "
                  f"T = {tile_size_for_cache(c['bytes'], itemsize)}")

# %% [markdown]
# ## Exercise 4 · `matmul_blocked`
#
# Take `matmul_ikj` and cut each of its three loops into blocks of `block` iterations: three
# outer loops walk over the blocks (`i0`, `p0`, `j0` in steps of `block`), and inside them the
# i, p, j loops of `matmul_ikj` run over one block each. Sizes need not be multiples of
# `block`: the last block in each dimension is shorter (`min(i0 + block, m)`).
#
# While the inner loops run, they touch a `block x block` piece of `b` over and over, once for
# every row of the current block of `a`; if that piece fits a cache, it is fetched from further
# out only once for all those rows, instead of once per row as in `matmul_ikj`. Inputs and `out` follow the rules of Exercise 1 (`out` holds garbage on entry).
#
# *Hint for speed (not graded):* inside the blocks, take row views such as
# `out_row = out[i, j0:j1]` and `b_row = b[p, j0:j1]` and run the innermost loop over them;
# the compiler handles those short contiguous loops better than two-dimensional indexing with
# changing bounds.

# %% nbgrader={"grade": false, "grade_id": "matmul_blocked", "locked": false, "schema_version": 3, "solution": true, "task": false}
@njit(cache=False)
def matmul_blocked(a, b, out, block):
    """out = a @ b, with the i, p, j loops of matmul_ikj cut into blocks of `block` iterations.

    a: (m, k), b: (k, n), out: (m, n), all 2-D float64; block: positive int (need not divide
    m, k or n). out is overwritten, nothing returned. Cost: 2*m*k*n FLOPs; while one block of
    b (block*block*8 bytes) is reused by up to `block` rows of a, it can stay in a cache.
    """
    ### BEGIN SOLUTION
    m, k = a.shape
    n = b.shape[1]
    for i in range(m):
        for j in range(n):
            out[i, j] = 0.0
    for i0 in range(0, m, block):
        i1 = min(i0 + block, m)
        for p0 in range(0, k, block):
            p1 = min(p0 + block, k)
            for j0 in range(0, n, block):
                j1 = min(j0 + block, n)
                for i in range(i0, i1):
                    out_row = out[i, j0:j1]
                    for p in range(p0, p1):
                        a_ip = a[i, p]
                        b_row = b[p, j0:j1]
                        for j in range(j1 - j0):
                            out_row[j] += a_ip * b_row[j]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_matmul_blocked", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""matmul_blocked: writes a @ b into out, for blocks that do and do not divide the sizes."""
from accel.grading import check_close, quiet

a = np.arange(16.0).reshape(4, 4)
b = np.eye(4) + 1.0
want = a @ b
out = np.full((4, 4), np.nan)
with quiet():
    matmul_blocked(a, b, out, 2)
check_close(out, want, rtol=1e-12, atol=1e-12, what="matmul_blocked 4x4 with block=2")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3034)
for _m, _k, _n, _block in [(1, 1, 1, 4), (37, 29, 41, 8), (30, 20, 25, 7), (12, 9, 10, 1),
                           (50, 60, 70, 64), (130, 70, 90, 32)]:
    _a = _rng.standard_normal((_m, _k))
    _b = _rng.standard_normal((_k, _n))
    _want = _a @ _b  # before the call: a kernel may write into its inputs
    _out = np.full((_m, _n), np.nan)
    with quiet():
        matmul_blocked(_a, _b, _out, _block)
    check_close(_out, _want, rtol=1e-9, atol=1e-9,
                what=f"matmul_blocked {_a.shape} @ {_b.shape} with block={_block}")
### END HIDDEN TESTS

# %% [markdown]
# ### Where does blocking start to pay?
#
# Below, `matmul_ikj` and `matmul_blocked` (with the float64 tile size your rule gives for the
# L2 cache) run on growing matrices. The column "3 matrices" is the memory the product touches,
# to compare with your last-level cache. While everything fits in the last-level cache, expect
# no gain and often a loss: `matmul_ikj` then already reads from a cache, and the blocked loops
# pay for their extra bookkeeping and shorter inner loops. Look in your table for the first size
# where the matrices no longer fit, and for what happens to both kernels there. Outside grading
# the largest size takes several seconds.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    block = tile_size_for_cache(L2_BYTES, itemsize=8)
    block_sizes = [128, 256] if GRADING else [256, 512, 1024, 2048]
    print(f"block = {block}; last-level cache {LLC_BYTES / 2**20:.1f} MiB")
    print(f"{'N':>5} {'3 matrices':>11} {'ikj':>9} {'blocked':>9} {'blocked/ikj':>12}   (GFLOP/s, float64)")
    for n in block_sizes:
        rng = np.random.default_rng(n)
        a_n, b_n, out_n = rng.random((n, n)), rng.random((n, n)), np.empty((n, n))
        big = n >= 1024
        t_ikj = benchmark(matmul_ikj, a_n, b_n, out_n, warmup=0 if big else 1,
                          repeat=2 if big else 3, min_time=0 if big else 0.01).best
        t_blk = benchmark(matmul_blocked, a_n, b_n, out_n, block, warmup=0 if big else 1,
                          repeat=2 if big else 3, min_time=0 if big else 0.01).best
        print(f"{n:>5} {3 * n * n * 8 / 2**20:>7.1f} MiB {gflops(2 * n**3, t_ikj):>9.2f} "
              f"{gflops(2 * n**3, t_blk):>9.2f} {t_ikj / t_blk:>11.2f}x")

# %% [markdown]
# ## Exercise 5 · `tiled_matmul` on top of BLAS
#
# The same blocking idea, now with NumPy: three loops over tiles, and each tile product handed
# to BLAS with `@`. For `a` of shape `(m, k)` and `b` of shape `(k, n)`:
#
# * loop over row tiles `i`, column tiles `j` and inner tiles `p`, in steps of `tile_size`, and
#   add `a.data[i:i+t, p:p+t] @ b.data[p:p+t, j:j+t]` into the matching tile of the result; every
#   product is on blocks of **at most** `tile_size` in every dimension. Slicing past the end of
#   an array simply gives a shorter slice, which handles the edge tiles when a size is not a
#   multiple of the tile;
# * return a `Tensor` of shape `(m, n)` with the dtype of the inputs (float32 in, float32 out:
#   create the result with that dtype);
# * raise `ValueError` when an input is not 2-D or the inner dimensions differ (the message
#   shows **both shapes**, as in notebook 01), and when `tile_size` is not a positive integer
#   (the message names `tile_size`). "Not a positive integer" includes `0`, `-8`, `2.5` and
#   `None`: check the type before comparing, since `None < 1` raises `TypeError`, not
#   `ValueError`.
#
# The grader checks the tiling itself: it passes arrays that write down the shape of every
# product they take part in. Multiply slices of `a.data` and `b.data` directly; a copy made with
# `np.asarray`, `np.array` or `np.ascontiguousarray` is a plain array that records nothing, and
# then the check cannot see your tiles.

# %% nbgrader={"grade": false, "grade_id": "tiled_matmul", "locked": false, "schema_version": 3, "solution": true, "task": false}
def tiled_matmul(a: Tensor, b: Tensor, tile_size: int = 64) -> Tensor:
    """Matrix product computed tile by tile, each tile product through BLAS.

    a: (m, k), b: (k, n), both 2-D; returns (m, n) in the inputs' dtype. Every product is on
    blocks of at most tile_size x tile_size. Raises ValueError for non-2-D inputs, mismatched
    inner dimensions (naming both shapes) or a tile_size that is not a positive integer.
    Cost: 2*m*k*n FLOPs in ceil(m/t)*ceil(k/t)*ceil(n/t) BLAS calls, plus one Python-level
    loop step (slicing, a call, an addition) per tile product.
    """
    ### BEGIN SOLUTION
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"tiled_matmul needs 2-D inputs, got {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}: inner dimensions "
                         f"{a.shape[1]} and {b.shape[0]} differ")
    if isinstance(tile_size, bool) or not isinstance(tile_size, (int, np.integer)) or tile_size < 1:
        raise ValueError(f"tile_size must be a positive integer, got {tile_size!r}")
    t = int(tile_size)
    m, k = a.shape
    n = b.shape[1]
    a_data, b_data = a.data, b.data
    out = np.zeros((m, n), dtype=np.result_type(a_data.dtype, b_data.dtype))
    for i in range(0, m, t):
        for j in range(0, n, t):
            out_tile = out[i:i + t, j:j + t]  # a view: adding into it updates out
            for p in range(0, k, t):
                out_tile += a_data[i:i + t, p:p + t] @ b_data[p:p + t, j:j + t]
    return Tensor(out)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_tiled_matmul_values", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""tiled_matmul: correct values when the sizes are multiples of the tile."""
from accel.grading import as_array, check_close

a = Tensor(np.arange(16, dtype=np.float32).reshape(4, 4))
b = Tensor(np.eye(4, dtype=np.float32) * 2)
want = a.data * 2
check_close(as_array(tiled_matmul(a, b, tile_size=2), "tiled_matmul"), want,
            what="tiled_matmul 4x4 with tile_size=2")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3051)
for _m, _k, _n, _t, _dtype in [(128, 64, 192, 32, np.float64), (96, 96, 96, 48, np.float64),
                               (64, 128, 32, 32, np.float32), (16, 16, 16, 16, np.float64),
                               (6, 4, 8, 2, np.float64)]:
    _a = _rng.standard_normal((_m, _k)).astype(_dtype)
    _b = _rng.standard_normal((_k, _n)).astype(_dtype)
    _tol = 1e-9 if _dtype == np.float64 else 1e-4
    _want = _a.astype(np.float64) @ _b.astype(np.float64)
    check_close(as_array(tiled_matmul(Tensor(_a), Tensor(_b), tile_size=_t), "tiled_matmul"),
                _want, rtol=_tol, atol=_tol,
                what=f"tiled_matmul {_a.shape} @ {_b.shape} with tile_size={_t}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_tiled_matmul_edges", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""tiled_matmul: correct values when the sizes are not multiples of the tile (edge tiles)."""
from accel.grading import as_array, check_close

gen = np.random.default_rng(5)
a_odd = gen.standard_normal((5, 7))
b_odd = gen.standard_normal((7, 3))
want = a_odd @ b_odd
check_close(as_array(tiled_matmul(Tensor(a_odd), Tensor(b_odd), tile_size=2), "tiled_matmul"),
            want, rtol=1e-9, atol=1e-9, what="tiled_matmul (5, 7) @ (7, 3) with tile_size=2")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3052)
for _m, _k, _n, _t, _dtype in [(67, 45, 33, 16, np.float64), (1, 1, 1, 4, np.float64),
                               (100, 3, 70, 64, np.float64), (130, 129, 131, 64, np.float32),
                               (5, 7, 3, 64, np.float64), (9, 10, 11, 1, np.float64),
                               (64, 65, 63, 32, np.float64)]:
    _a = _rng.standard_normal((_m, _k)).astype(_dtype)
    _b = _rng.standard_normal((_k, _n)).astype(_dtype)
    _tol = 1e-9 if _dtype == np.float64 else 1e-4
    _want = _a.astype(np.float64) @ _b.astype(np.float64)
    check_close(as_array(tiled_matmul(Tensor(_a), Tensor(_b), tile_size=_t), "tiled_matmul"),
                _want, rtol=_tol, atol=_tol,
                what=f"tiled_matmul {_a.shape} @ {_b.shape} with tile_size={_t}")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_tiled_matmul_dtype", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""tiled_matmul: keeps float32 as float32 and float64 as float64."""
from accel.grading import as_array, check_dtype

c32 = as_array(tiled_matmul(Tensor(np.ones((4, 4), np.float32)), Tensor(np.ones((4, 4), np.float32)),
                            tile_size=2), "tiled_matmul")
check_dtype(c32, np.float32, "tiled_matmul of float32 inputs")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3053)
for _dtype in (np.float32, np.float64):
    _a = _rng.standard_normal((32, 64)).astype(_dtype)
    _b = _rng.standard_normal((64, 16)).astype(_dtype)
    check_dtype(as_array(tiled_matmul(Tensor(_a), Tensor(_b), tile_size=16), "tiled_matmul"),
                _dtype, f"tiled_matmul of {np.dtype(_dtype)} inputs")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_tiled_matmul_errors", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""tiled_matmul: ValueError for mismatched or non-2-D shapes (naming both) and bad tile sizes."""
from accel.grading import expect_value_error

with expect_value_error("(3, 4)", "(5, 2)", what="tiled_matmul((3, 4), (5, 2))"):
    tiled_matmul(Tensor(np.zeros((3, 4))), Tensor(np.zeros((5, 2))))
for tile in (0, None):
    with expect_value_error("tile_size", what=f"tiled_matmul(..., tile_size={tile!r})"):
        tiled_matmul(Tensor(np.zeros((4, 4))), Tensor(np.zeros((4, 4))), tile_size=tile)
### BEGIN HIDDEN TESTS
for _sa, _sb in [((2, 3, 4), (4, 5)), ((6,), (6, 2)), ((3, 3), (3,)), ((7, 2), (3, 7))]:
    with expect_value_error(str(_sa), str(_sb), what=f"tiled_matmul({_sa}, {_sb})"):
        tiled_matmul(Tensor(np.zeros(_sa)), Tensor(np.zeros(_sb)))
for _tile in (-8, 2.5, None):
    with expect_value_error("tile_size", what=f"tiled_matmul(..., tile_size={_tile!r})"):
        tiled_matmul(Tensor(np.zeros((4, 4))), Tensor(np.zeros((4, 4))), tile_size=_tile)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_tiled_matmul_structure", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
"""tiled_matmul: really tiles - every product is on blocks of at most tile_size, and the result is right."""
from accel.grading import as_array, check_close
from accel.grading.tiling import largest_block, largest_product, record_products

gen = np.random.default_rng(6)
a_np = gen.standard_normal((96, 64)).astype(np.float32)
b_np = gen.standard_normal((64, 128)).astype(np.float32)
want = a_np @ b_np
result, products = record_products(tiled_matmul, a_np, b_np, tile_size=32)
check_close(as_array(result, "tiled_matmul"), want, rtol=1e-4, atol=1e-4,
            what="tiled_matmul (96, 64) @ (64, 128) with tile_size=32, on recording arrays")
print(f"{len(products)} products seen; largest operand extent {largest_block(products)}")
assert products, ("no matrix product on the inputs was seen: multiply slices of a.data and b.data "
                  "with @, np.matmul or np.dot (copies made with np.asarray/np.array record nothing)")
assert largest_block(products) <= 32, (
    f"a product used a block larger than tile_size=32: {largest_product(products)}")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3054)
_a = _rng.standard_normal((128, 192))
_b = _rng.standard_normal((192, 64))
_want = _a @ _b
_result, _products = record_products(tiled_matmul, _a, _b, tile_size=64)
check_close(as_array(_result, "tiled_matmul"), _want, rtol=1e-9, atol=1e-9,
            what="tiled_matmul (128, 192) @ (192, 64) with tile_size=64, on recording arrays")
assert _products and largest_block(_products) <= 64, (
    f"tiled_matmul (128, 192) @ (192, 64), tile_size=64: largest block {largest_block(_products)}")
# Sizes that are not multiples of the tile: the edge tiles must be small too (values are
# checked in test_tiled_matmul_edges).
for _m, _k, _n, _t in [(150, 100, 70, 32), (70, 90, 33, 16)]:
    _, _products = record_products(tiled_matmul, _rng.standard_normal((_m, _k)),
                                   _rng.standard_normal((_k, _n)), tile_size=_t)
    assert _products and largest_block(_products) <= _t, (
        f"tiled_matmul ({_m}, {_k}) @ ({_k}, {_n}), tile_size={_t}: "
        f"{len(_products)} products, largest block {largest_block(_products)}")
### END HIDDEN TESTS

# %% [markdown]
# ### Is it fast enough?
#
# Tiling on top of BLAS adds one Python loop step per tile product. With reasonable tiles that
# should cost a few times one BLAS call at most; the grader checks that `tiled_matmul` with
# `tile_size=64` on 256 x 256 float32 matrices takes at most **10x** as long as one `np.matmul`
# (one thread, paired rounds, median ratio; in the grader both calls cross the same process
# boundary).

# %% nbgrader={"grade": true, "grade_id": "test_tiled_matmul_speed", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
"""tiled_matmul: at most 10x slower than one np.matmul at N=256, tile_size=64 (1 thread, paired)."""
from accel.grading import require_speedup, speed_ratio
from accel.grading.tiling import blas_matmul


def _square_pair(_seed, _m=256, _k=256, _n=256, _dtype=np.float32):
    _gen = np.random.default_rng(3500 + _seed)
    return (_gen.standard_normal((_m, _k)).astype(_dtype),
            _gen.standard_normal((_k, _n)).astype(_dtype))


def _tiled_64(_x, _y):
    return tiled_matmul(Tensor(_x), Tensor(_y), tile_size=64)


# ratio = (time of one np.matmul) / (time of tiled_matmul): 0.1 means ten times as long.
ratio = speed_ratio(_tiled_64, blas_matmul, _square_pair, repeats=7, min_time=0.005)
print(f"256x256 float32, medians of 7 rounds: tiled_matmul(tile_size=64) "
      f"{ratio.candidate_seconds * 1e3:.3f} ms, one np.matmul {ratio.baseline_seconds * 1e3:.3f} ms "
      f"-> {1 / ratio.ratio:.1f}x as long")
require_speedup(ratio, 0.1, "tiled_matmul(tile_size=64) relative to one np.matmul (256x256 float32; "
                            "0.1x = ten times as long)")
### BEGIN HIDDEN TESTS
_ratio = speed_ratio(_tiled_64, blas_matmul,
                     lambda _seed: _square_pair(_seed + 20, 256, 320, 192, np.float64),
                     repeats=7, min_time=0.005)
require_speedup(_ratio, 0.1, "tiled_matmul(tile_size=64) relative to one np.matmul "
                             "((256, 320) @ (320, 192) float64)")
### END HIDDEN TESTS

# %% [markdown]
# ## Tile size against one BLAS call
#
# Your `tiled_matmul` gets one more chance: a sweep over tile sizes, against one `np.matmul` on
# the same float32 matrices, both on one thread. The dotted line marks the tile your
# `tile_size_for_cache` suggests for the L2 cache.

# %%
with skip_unfinished():  # a kernel not written yet: one line, no traceback
    n_sweep = 256 if GRADING else 1024
    tiles = [16, 32, 64, 128, 256] if GRADING else [16, 32, 64, 128, 256, 512, 1024]
    rng = np.random.default_rng(3)
    a_s = Tensor(rng.standard_normal((n_sweep, n_sweep)).astype(np.float32))
    b_s = Tensor(rng.standard_normal((n_sweep, n_sweep)).astype(np.float32))
    flops = 2 * n_sweep**3
    one_call = gflops(flops, benchmark(np.matmul, a_s.data, b_s.data, repeat=3, min_time=0.005,
                                       threads=1).best)
    tiled_rates = [gflops(flops, benchmark(tiled_matmul, a_s, b_s, t, repeat=3, min_time=0.005,
                                           threads=1).best) for t in tiles]
    for t, rate in zip(tiles, tiled_rates):
        print(f"tile {t:>5}: {rate:7.1f} GFLOP/s  ({rate / one_call:5.1%} of one np.matmul)")
    print(f"one np.matmul: {one_call:.1f} GFLOP/s")

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(tiles, tiled_rates, marker="o", label="tiled_matmul")
    ax.axhline(one_call, color="black", linestyle="--", label="one np.matmul")
    ax.axvline(tile_size_for_cache(L2_BYTES, itemsize=4), color="gray", linestyle=":",
               label="tile_size_for_cache(L2)")
    ax.set_xscale("log", base=2)
    ax.set(xlabel="tile size T (T x T, float32)", ylabel="throughput (GFLOP/s)",
           title=f"tiled_matmul vs one BLAS call, N = {n_sweep}, 1 thread")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    plt.show()

# %% [markdown]
# ## The honest lesson
#
# An optimised BLAS library already does everything this notebook did by hand, and more: it
# blocks the product for each cache level, copies ("packs") the tiles into a layout its inner
# kernel reads contiguously, and keeps a small block of the output in vector registers while it
# streams through the inputs. Cutting the product into tiles *before* calling BLAS adds a Python
# loop step per tile and hands BLAS smaller problems, on which its own blocking has less room.
# Look at your sweep: tiny tiles are dominated by the per-call overhead, and the curve can at
# best approach the dashed line as the tiles grow towards the whole matrix.
#
# Where tiling by hand can pay is where *you* write the innermost loops: compare `matmul_ikj`
# and `matmul_blocked` in your table above, at the sizes that no longer fit your last-level
# cache. That is also the situation on a GPU, where a kernel
# author stages tiles in fast on-chip memory explicitly, and in fused kernels (notebook 02),
# where a tile is loaded once and several operations are applied to it before it leaves the
# cache.

# %% [markdown]
# ## Check your understanding
#
# Answer with numbers (Python expressions are fine). Use 1 KiB = 2**10 bytes.
#
# **Q1.** A float64 matrix of shape `(1000, 1024)` is stored in row-major (C) order. How many
# bytes apart in memory are `x[i, j]` and `x[i + 1, j]`? Store it in `q1_column_stride_bytes`.
#
# **Q2.** How many bytes does one 64 x 64 tile of float32 values occupy? Store it in
# `q2_tile_bytes`.
#
# **Q3.** A CPU has a 256 KiB L2 cache. Two 2048 x 2048 float32 matrices are multiplied tile by
# tile, and three square tiles (one each of A, B and C) should fit in L2 together. What is the
# largest power-of-two tile side? Store it in `q3_tile_side`.

# %% nbgrader={"grade": false, "grade_id": "answers_cache_tiling", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
q1_column_stride_bytes = 1024 * 8
q2_tile_bytes = 64 * 64 * 4
q3_tile_side = 2 ** int(math.log2(math.isqrt(256 * 2**10 // (3 * 4))))
### END SOLUTION
print(f"Q1: {q1_column_stride_bytes} bytes   Q2: {q2_tile_bytes} bytes   Q3: T = {q3_tile_side}")

# %% nbgrader={"grade": true, "grade_id": "test_q1_column_stride_bytes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q1: distance in bytes between vertical neighbours of a (1000, 1024) C-ordered float64 matrix."""
assert isinstance(q1_column_stride_bytes, (int, float, np.integer, np.floating)), \
    "q1_column_stride_bytes should be a number"
### BEGIN HIDDEN TESTS
assert q1_column_stride_bytes == 8192, (
    f"q1_column_stride_bytes: got {q1_column_stride_bytes}; one step down a column skips a whole "
    f"row of 1024 float64 values")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_q2_tile_bytes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q2: bytes in one 64 x 64 float32 tile."""
assert isinstance(q2_tile_bytes, (int, float, np.integer, np.floating)), "q2_tile_bytes should be a number"
### BEGIN HIDDEN TESTS
assert q2_tile_bytes == 16384, (
    f"q2_tile_bytes: got {q2_tile_bytes}; count 64 * 64 values of 4 bytes each")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_q3_tile_side", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
"""Q3: largest power-of-two tile side with three float32 tiles in a 256 KiB L2 cache."""
assert isinstance(q3_tile_side, (int, float, np.integer, np.floating)), "q3_tile_side should be a number"
### BEGIN HIDDEN TESTS
assert q3_tile_side == 128, (
    f"q3_tile_side: got {q3_tile_side}; solve 3 * T * T * 4 <= 256 * 1024 and round T down to a "
    f"power of two")
### END HIDDEN TESTS

# %% [markdown]
# ## Reflection (graded by hand)
#
# In a few sentences: which tile size was fastest for `tiled_matmul` on your machine, and how
# close did it come to one `np.matmul`? Why can tiling on top of BLAS not beat one BLAS call?
# And where in this notebook did blocking by hand pay off on your machine (at which size), and
# why there?

# %% [markdown] nbgrader={"grade": true, "grade_id": "reflection_tiling_on_blas", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# A model answer quotes the measured best tile and its fraction of one np.matmul (below 100%,
# with small tiles far below because each tile product pays a Python loop step and a BLAS call
# on a tiny problem), and explains that BLAS already blocks for every cache level and for the
# registers and packs its tiles, so tiling it again only adds overhead. Blocking by hand paid
# for the compiled loops, at the sizes where the matrices no longer fit the last-level cache
# (in the ikj vs blocked table), because there `matmul_ikj` streams b from main memory for
# every row of a, while the blocked loop reuses each block of b from a cache.
