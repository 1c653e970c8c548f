"""fma_latency_and_throughput takes the latency from the best rate (the throughput-bound end of
the table) instead of from one chain: the latency looks k times shorter."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"fma_latency_and_throughput": '''
def fma_latency_and_throughput(table):
    best = max(table.values())
    return 2.0 / best, best / 2
'''}
LOSES = ["test_fma_latency_and_throughput", "test_chains_match_your_measurement"]
