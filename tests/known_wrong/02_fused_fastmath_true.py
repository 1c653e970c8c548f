"""fused_gelu_loop is the solution's loop compiled with fastmath=True instead of
fastmath={"contract"}: it still vectorises and is as fast, but the compiler may assume no NaN or
infinity, and +inf and the largest float32 values come out as NaN, and NaN as a number (values
only)."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"fused_gelu": '''
@njit(cache=False, fastmath=True, error_model="numpy")
def fused_gelu_loop(x_flat, out_flat):
    p0, p1, p2, p3 = TANH_P
    q0, q1, q2, q3 = TANH_Q
    k1 = F32_SQRT_2_OVER_PI
    k3 = F32_SQRT_2_OVER_PI * F32_GELU_A
    for i in range(x_flat.size):
        v = x_flat[i]
        w = min(max(v, -GELU_SATURATION), GELU_SATURATION)
        u = w * (k1 + k3 * (w * w))
        s = u * u
        t = u * (p0 + s * (p1 + s * (p2 + s * p3))) / (q0 + s * (q1 + s * (q2 + s * q3)))
        h = F32_HALF * v
        r = h + h * t
        if v < -GELU_SATURATION:
            r = F32_ZERO
        out_flat[i] = r


def fused_gelu(x):
    flat = x.data.reshape(-1)
    out = np.empty_like(flat)
    fused_gelu_loop(flat, out)
    return Tensor(out.reshape(x.shape))
'''}
LOSES = ["test_fused_gelu_values"]
