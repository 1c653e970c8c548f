"""chase loads nxt[i] for i = 0, 1, 2, ...: the addresses no longer depend on the loaded values,
so the loads overlap and the result is not where the chain ends."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"chase": '''
@njit(cache=False)
def chase(nxt, start, steps):
    p = start
    for i in range(steps):
        p = nxt[(start + i) % nxt.size]
    return p
'''}
LOSES = ["test_chase_values", "test_chase_latency_curve"]
