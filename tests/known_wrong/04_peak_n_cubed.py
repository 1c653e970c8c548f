"""measure_peak_gflops counts N^3 FLOPs per product instead of 2 N^3: half the true rate."""
NOTEBOOK = "04_roofline"
ANSWERS = {"measure_peak_gflops": '''
def measure_peak_gflops(sizes=None, repeat=6):
    if sizes is None:
        sizes = (256, 512) if GRADING else (256, 512, 1024, 2048)
    rng = np.random.default_rng(0)
    best = 0.0
    for n in sizes:
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = rng.standard_normal((n, n)).astype(np.float32)
        c = np.empty((n, n), dtype=np.float32)
        seconds = benchmark(np.matmul, a, b, out=c, repeat=repeat, min_time=0).best
        best = max(best, gflops(n**3, seconds))
    return best
'''}
LOSES = ["test_peak_plausible"]
