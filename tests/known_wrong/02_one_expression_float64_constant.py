"""one_expression_gelu uses np.sqrt(2 / np.pi): a NumPy float64 scalar promotes float32 data (NEP 50)."""
NOTEBOOK = "02_kernel_fusion"
ANSWERS = {"one_expression_gelu": '''
def one_expression_gelu(x):
    v = x.data
    return Tensor(np.asarray(0.5 * v * (1 + np.tanh(np.sqrt(2 / np.pi) * (v + 0.044715 * v * v * v)))))
'''}
LOSES = ["test_one_expression_gelu_dtype"]
