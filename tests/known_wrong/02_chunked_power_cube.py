"""chunked_gelu computes the cube with xs ** 3: correct and lean, but slower than the baseline."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"chunked_gelu": '''
def chunked_gelu(x, chunk_size=65536):
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    flat = x.data.reshape(-1)
    n = flat.size
    out = np.empty_like(flat)
    for start in range(0, n, chunk_size):
        xs = flat[start:start + chunk_size]
        out[start:start + chunk_size] = 0.5 * xs * (1.0 + np.tanh(SQRT_2_OVER_PI * (xs + GELU_A * xs ** 3)))
    return Tensor(out.reshape(x.shape))
'''}
LOSES = ["test_chunked_gelu_speed"]
