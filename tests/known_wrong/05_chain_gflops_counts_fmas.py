"""chain_gflops counts one FLOP per FMA instead of two: half the true rate. (Latency and
throughput are then both off by 2x the other way, so the chains needed stay right.)"""
NOTEBOOK = "05_microkernels"
ANSWERS = {"chain_gflops": '''
def chain_gflops(k, steps=None):
    if steps is None:
        steps = 200_000 if GRADING else 1_000_000
    kernel = make_fma_chains(k)
    x = np.linspace(0.5, 1.5, k)
    seconds = benchmark(kernel, x, steps, FMA_A, FMA_B, repeat=5, threads=1).best
    return gflops(k * steps, seconds)
'''}
LOSES = ["test_chain_gflops_count"]
