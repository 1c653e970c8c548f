"""The Little's-law answers multiply by 8 (bits for bytes): Q3, Q4 and Q5 are 8x off; Q1 and Q2
stay right."""
NOTEBOOK = "05_microkernels"
ANSWERS = {"answers_latency": '''
q1_vector_accumulators = 4 * 2
q2_float32_values_in_flight = 4 * 2 * 16
q3_bytes_in_flight = 50 * 8 * 80
q4_lines_in_flight = q3_bytes_in_flight / 64
q5_one_core_gbs = 12 * 64 * 8 / 90
'''}
LOSES = ["test_latency_q3_bytes_in_flight", "test_latency_q4_lines_in_flight",
         "test_latency_q5_one_core_gbs"]
