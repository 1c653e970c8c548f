"""fused_gelu is the one NumPy expression again: right dtype and finite values, but nine passes with
full-size temporaries (memory), slower than chunked NumPy (speed), and no compiled loop
(vectorisation); and NaN for -inf, where GELU is 0 (values)."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"fused_gelu": '''
def fused_gelu(x):
    v = x.data
    return Tensor(np.asarray(0.5 * v * (1.0 + np.tanh(SQRT_2_OVER_PI * (v + GELU_A * (v * v * v))))))
'''}
LOSES = ["test_fused_gelu_values", "test_fused_gelu_memory", "test_fused_gelu_vectorised", "test_fused_gelu_speed"]
