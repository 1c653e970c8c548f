"""unfused_gelu written as one expression: right values, but not eight kept arrays (memory)."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"unfused_gelu": '''
def unfused_gelu(x):
    v = x.data
    return Tensor(np.asarray(0.5 * v * (1.0 + np.tanh(SQRT_2_OVER_PI * (v + GELU_A * (v * v * v))))))
'''}
LOSES = ["test_unfused_gelu_memory"]
