"""fused_gelu is a compiled one-pass loop that calls math.tanh: fused in memory, but the scalar
library call keeps it from vectorising (vectorisation: its compiled code calls tanh), so it is
far slower than chunked NumPy (speed). The formula as written also gives NaN for -inf
(-inf * (1 + tanh(-inf)) = -inf * 0), where GELU is 0 (values)."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"fused_gelu": '''
@njit(cache=False)
def fused_gelu_loop(x_flat, out_flat):
    for i in range(x_flat.size):
        v = float(x_flat[i])
        out_flat[i] = 0.5 * v * (1.0 + math.tanh(SQRT_2_OVER_PI * (v + GELU_A * v * v * v)))


def fused_gelu(x):
    flat = x.data.reshape(-1)
    out = np.empty_like(flat)
    fused_gelu_loop(flat, out)
    return Tensor(out.reshape(x.shape))
'''}
LOSES = ["test_fused_gelu_values", "test_fused_gelu_vectorised", "test_fused_gelu_speed"]
