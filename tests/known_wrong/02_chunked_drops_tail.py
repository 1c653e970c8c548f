"""chunked_gelu only processes whole chunks: the short last chunk is left uncomputed."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"chunked_gelu": '''
def chunked_gelu(x, chunk_size=65536):
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    flat = x.data.reshape(-1)
    out = np.empty_like(flat)
    t = np.empty(chunk_size, dtype=flat.dtype)
    h = np.empty(chunk_size, dtype=flat.dtype)
    for k in range(flat.size // chunk_size):
        xs = flat[k * chunk_size:(k + 1) * chunk_size]
        np.multiply(xs, xs, out=t)
        np.multiply(t, GELU_A, out=t)
        np.add(t, 1.0, out=t)
        np.multiply(t, xs, out=t)
        np.multiply(t, SQRT_2_OVER_PI, out=t)
        np.tanh(t, out=t)
        np.add(t, 1.0, out=t)
        np.multiply(xs, 0.5, out=h)
        np.multiply(h, t, out=out[k * chunk_size:(k + 1) * chunk_size])
    return Tensor(out.reshape(x.shape))
'''}
LOSES = ["test_chunked_gelu_values"]
