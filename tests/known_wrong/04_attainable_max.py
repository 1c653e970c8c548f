"""attainable_gflops takes the higher of the two roofs (max instead of min)."""
NOTEBOOK = "04_roofline"
ANSWERS = {"attainable_gflops": '''
def attainable_gflops(ai, peak_gflops, bandwidth_gbs):
    return np.maximum(peak_gflops, np.multiply(ai, bandwidth_gbs))
'''}
LOSES = ["test_attainable_gflops_scalar", "test_attainable_gflops_arrays"]
