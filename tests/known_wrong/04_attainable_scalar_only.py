"""attainable_gflops uses Python's min: right for one intensity, fails on an array."""
NOTEBOOK = "04_roofline"
ANSWERS = {"attainable_gflops": '''
def attainable_gflops(ai, peak_gflops, bandwidth_gbs):
    return min(peak_gflops, ai * bandwidth_gbs)
'''}
LOSES = ["test_attainable_gflops_arrays"]
