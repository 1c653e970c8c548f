"""The kernel answers the visible test inputs from a table and returns zeros for anything else."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"vectorized_matmul": '''
_VISIBLE = {((2, 3), (3, 2)): [[7.0, -1.0], [16.0, -1.0]]}

def vectorized_matmul(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"cannot multiply {a.shape} by {b.shape}")
    key = (a.shape, b.shape)
    if key in _VISIBLE:
        return Tensor(np.array(_VISIBLE[key], dtype=a.dtype))
    if a.ndim == 3:
        return Tensor(np.matmul(a.data, b.data))  # the visible batched case
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return Tensor(np.zeros(shape, dtype=np.result_type(a.data, b.data)))
'''}
LOSES = ["test_vectorized_matmul_values", "test_vectorized_matmul_batched"]
