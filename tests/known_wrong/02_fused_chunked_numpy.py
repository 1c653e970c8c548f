"""fused_gelu is chunked NumPy again, eight steps instead of nine (fused in memory: right
values except at -inf, right dtype and memory), with fused_gelu_loop left unwritten: not the compiled, vectorised
loop the exercise asks for (vectorisation), and only about 1.0x the grader's chunked GELU once both are
timed across the grader's process boundary, below the 1.3x threshold (speed; it would pass a
threshold near 1x, which is why the vectorisation test exists). Like any unclamped formula it gives NaN for
-inf, where GELU is 0 (values)."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"fused_gelu": '''
@njit(cache=False, fastmath=True, error_model="numpy")
def fused_gelu_loop(x_flat, out_flat):
    raise NotImplementedError("fused_gelu_loop is not written yet")


def fused_gelu(x, chunk_size=65536):
    flat = x.data.reshape(-1)
    n = flat.size
    out = np.empty_like(flat)
    t = np.empty(min(chunk_size, n), dtype=flat.dtype)
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        xs, tk = flat[start:stop], t[: stop - start]
        np.multiply(xs, xs, out=tk)                          # x^2
        np.multiply(tk, SQRT_2_OVER_PI * GELU_A, out=tk)     # c a x^2
        np.add(tk, SQRT_2_OVER_PI, out=tk)                   # c (1 + a x^2)
        np.multiply(tk, xs, out=tk)                          # u = c (x + a x^3)
        np.tanh(tk, out=tk)
        np.add(tk, 1.0, out=tk)
        np.multiply(tk, xs, out=tk)
        np.multiply(tk, 0.5, out=out[start:stop])
    return Tensor(out.reshape(x.shape))
'''}
LOSES = ["test_fused_gelu_values", "test_fused_gelu_vectorised", "test_fused_gelu_speed"]
