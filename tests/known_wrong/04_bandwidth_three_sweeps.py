"""measure_bandwidth_gbs counts the two-pass NumPy triad as STREAM's 3 sweeps instead of 6:
0.5x of the true bandwidth."""
NOTEBOOK = "04_roofline"
ANSWERS = {"measure_bandwidth_gbs": '''
def measure_bandwidth_gbs(repeat=None):
    if repeat is None:
        repeat = 10 if GRADING else 20
    n = max(64 * 2**20, 2 * last_level_cache_bytes()) // 8
    a = np.zeros(n)
    b = np.full(n, 1.0)
    c = np.full(n, 2.0)

    def triad():
        np.multiply(c, 3.0, out=a)
        np.add(a, b, out=a)

    best = benchmark(triad, repeat=repeat, min_time=0).best
    return 3 * n * a.itemsize / best / 1e9
'''}
LOSES = ["test_bandwidth_plausible"]
