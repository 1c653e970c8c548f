"""make_cycle walks the array in order (nxt[i] = i + 1): one cycle, but the prefetchers follow it,
so the chase measures L1 latency at every size."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"make_cycle": '''
def make_cycle(n, seed=0):
    return ((np.arange(n) + 1) % n).astype(np.int64)
'''}
LOSES = ["test_make_cycle_random", "test_chase_latency_curve"]
