"""ridge_point divides bandwidth by peak (the inverse of the ridge point)."""
NOTEBOOK = "04_roofline"
ANSWERS = {"ridge_point": '''
def ridge_point(peak_gflops, bandwidth_gbs):
    return bandwidth_gbs / peak_gflops
'''}
LOSES = ["test_ridge_point"]
