"""A compiled loop writes far outside its array and the kernel process dies (segmentation fault)."""
ANSWERS = {"01_vectorization": {"matmul_flops": '''
import numba

@numba.njit
def _scribble(buffer):
    buffer[1 << 40] = 1.0  # 8 TiB past the start: unmapped memory

_scribble(np.zeros(4))

def matmul_flops(m, k, n):
    return 2 * m * k * n
'''}}
LOSES = {"01_vectorization": ["*"], "02_kernel_fusion": []}
EXPECT_NOTE = "scored 0"
