"""compiled_gelu converts the input to float64 and back around the loop: full-size copies."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"compiled_gelu": '''
@njit(cache=False)
def gelu_loop(x_flat, out_flat):
    for i in range(x_flat.size):
        v = x_flat[i]
        out_flat[i] = 0.5 * v * (1.0 + math.tanh(SQRT_2_OVER_PI * (v + GELU_A * v * v * v)))


def compiled_gelu(x):
    flat = x.data.reshape(-1).astype(np.float64)
    out = np.empty_like(flat)
    gelu_loop(flat, out)
    return Tensor(out.astype(x.dtype).reshape(x.shape))
'''}
LOSES = ["test_compiled_gelu_memory"]
