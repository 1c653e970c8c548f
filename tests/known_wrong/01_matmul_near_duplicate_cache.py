"""vectorized_matmul is the slow loop over output elements, with a cache keyed on "nearly the
same inputs" (shape, dtype and the medians of a and b): right values, dtype and errors, since
different inputs miss. The grader once timed copies of one array with one element changed,
which this cache answered in microseconds (issue 15: 9.9x real speed passed the 50x check);
every timed call now gets fresh random inputs, so it never hits (speed)."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
_seen = {}


def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}: need 2-D inputs")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    x, y = a.data, b.data
    key = (x.shape, y.shape, x.dtype.str, y.dtype.str,
           round(float(np.median(x)), 6), round(float(np.median(y)), 6))
    if key not in _seen:
        batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
        m, n = x.shape[-2], y.shape[-1]
        out = np.empty(batch + (m, n), dtype=np.result_type(x, y))
        for i in range(m):
            for j in range(n):
                out[..., i, j] = (x[..., i, :] * y[..., :, j]).sum(axis=-1)
        _seen[key] = out
    return Tensor(_seen[key].copy())
'''}
LOSES = ["test_vectorized_matmul_speed"]
