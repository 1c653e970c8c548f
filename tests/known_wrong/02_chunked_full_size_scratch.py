"""chunked_gelu loops over chunks but allocates its scratch buffers at the full array size."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"chunked_gelu": '''
def chunked_gelu(x, chunk_size=65536):
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    flat = x.data.reshape(-1)
    n = flat.size
    out = np.empty_like(flat)
    t = np.empty_like(flat)
    h = np.empty_like(flat)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        xs, tk, hk = flat[start:stop], t[start:stop], h[start:stop]
        np.multiply(xs, xs, out=tk)
        np.multiply(tk, GELU_A, out=tk)
        np.add(tk, 1.0, out=tk)
        np.multiply(tk, xs, out=tk)
        np.multiply(tk, SQRT_2_OVER_PI, out=tk)
        np.tanh(tk, out=tk)
        np.add(tk, 1.0, out=tk)
        np.multiply(xs, 0.5, out=hk)
        np.multiply(hk, tk, out=out[start:stop])
    return Tensor(out.reshape(x.shape))
'''}
LOSES = ["test_chunked_gelu_memory"]
