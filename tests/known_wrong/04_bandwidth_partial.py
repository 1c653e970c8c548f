"""A correct variant, not a mistake: measure_bandwidth_gbs times a module-level triad bound to
its arrays with functools.partial (functools is allowed). The fixed clock must see the bound
arrays and count its 6 sweeps; it keeps every point."""
NOTEBOOK = "04_roofline"
ANSWERS = {"measure_bandwidth_gbs": '''
import functools


def triad(a, b, c, s):
    np.multiply(c, s, out=a)
    np.add(a, b, out=a)


def measure_bandwidth_gbs(repeat=None):
    if repeat is None:
        repeat = 10 if GRADING else 20
    n = array_bytes_beyond_caches(arrays=3) // 8
    a = np.zeros(n)
    b = np.full(n, 1.0)
    c = np.full(n, 2.0)
    best = benchmark(functools.partial(triad, a, b, c, 3.0), repeat=repeat, min_time=0).best
    return 6 * n * a.itemsize / best / 1e9
'''}
LOSES = []
