"""The old chapter's byte counts: 16 memory operations for unfused, 2 for the single expression."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"answers_fusion_bytes": '''
q1_unfused_bytes = 16 * 4
q2_expression_bytes = 2 * 4
q3_fused_bytes = 2 * 4
q4_time_removed = (8 - 2.5) / 8
'''}
LOSES = ["test_q1_unfused_bytes", "test_q2_expression_bytes"]
