"""naive_matmul converts the inputs with tolist() (which the exercise allows) and multiplies the
rebuilt arrays with NumPy instead of looping: right values and dtype, no loop. The grader's
loop-only inputs hand out tolist() elements that refuse to become an array again (a speed check
could not tell this apart: converting m*k + k*n elements costs about as much per element as the
loop's m*k*n multiply-adds, so the ratio grows only with the matrix size)."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"naive_matmul": '''
def naive_matmul(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"inner dimensions differ: a is {a.shape}, b is {b.shape}")
    x = np.array(a.data.tolist(), dtype=a.dtype)
    y = np.array(b.data.tolist(), dtype=a.dtype)
    return Tensor(x @ y)
'''}
LOSES = ["test_naive_matmul"]
