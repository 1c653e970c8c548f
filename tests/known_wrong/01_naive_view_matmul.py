"""naive_matmul hands the product to NumPy through a plain view of the inputs: right values
and dtype, no loop at all (the loop is the lesson; the grader's timing against its own Python
loop sees a product hundreds of times faster)."""
NOTEBOOK = "01_vectorization"
ANSWERS = {"naive_matmul": '''
def naive_matmul(a, b):
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"inner dimensions differ: a is {a.shape}, b is {b.shape}")
    return Tensor(a.data.view(np.ndarray) @ b.data.view(np.ndarray))
'''}
LOSES = ["test_naive_matmul"]
