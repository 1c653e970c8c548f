"""fused_gelu clamps tanh's argument but not x: for huge |x| the cube overflows and the result
is wrong or nan instead of x or 0 (values only: the loop still vectorises)."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"fused_gelu": '''
@njit(cache=False, fastmath=True, error_model="numpy")
def fused_gelu_loop(x_flat, out_flat):
    p0, p1, p2, p3 = TANH_P
    q0, q1, q2, q3 = TANH_Q
    for i in range(x_flat.size):
        v = x_flat[i]
        u = F32_SQRT_2_OVER_PI * (v + F32_GELU_A * v * v * v)
        u = min(max(u, -TANH_CLAMP), TANH_CLAMP)
        s = u * u
        p = u * (p0 + s * (p1 + s * (p2 + s * p3)))
        q = q0 + s * (q1 + s * (q2 + s * q3))
        out_flat[i] = F32_HALF * v * (F32_ONE + p / q)


def fused_gelu(x):
    flat = x.data.reshape(-1)
    out = np.empty_like(flat)
    fused_gelu_loop(flat, out)
    return Tensor(out.reshape(x.shape))
'''}
LOSES = ["test_fused_gelu_values"]
