"""Q1 answered with the old chapter's figure (8 MB per matrix, 24e6 bytes): 89 instead of 170.7."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"answers_check_understanding": '''
q1_intensity = 2_147_483_648 / 24_000_000
q2_gflops = 2 * 1024**3 / 10e-3 / 1e9
'''}
LOSES = ["test_q1_intensity"]
