"""values_in_flight ignores the number of FMA pipes (latency x lanes): half or a quarter of the
accumulators a core with 2 or 4 pipes needs."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"values_in_flight": '''
def values_in_flight(latency_cycles, pipes, lanes):
    return int(latency_cycles) * int(lanes)
'''}
LOSES = ["test_values_in_flight"]
