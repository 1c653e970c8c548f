"""measure_peak_gflops times the creation of the random matrices together with the product."""
NOTEBOOK = "04_roofline"
ANSWERS = {"measure_peak_gflops": '''
def measure_peak_gflops(sizes=None, repeat=6):
    if sizes is None:
        sizes = (256, 512) if GRADING else (256, 512, 1024, 2048)
    rng = np.random.default_rng(0)

    def product(n):
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        return a @ b

    best = 0.0
    for n in sizes:
        seconds = benchmark(product, n, repeat=repeat, min_time=0).best
        best = max(best, gflops(2 * n**3, seconds))
    return best
'''}
LOSES = ["test_peak_plausible"]
