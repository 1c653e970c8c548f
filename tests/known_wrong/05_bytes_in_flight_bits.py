"""bytes_in_flight mixes bits and bytes (GB/s read as gigabits, times 8): 8x too many bytes."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"bytes_in_flight": '''
def bytes_in_flight(bandwidth_gbs, latency_ns):
    return float(bandwidth_gbs) * 8 * float(latency_ns)
'''}
LOSES = ["test_bytes_in_flight", "test_bytes_in_flight_your_numbers"]
