"""A compiled loop writes far outside its array and the kernel process dies (segmentation fault)
in matmul_flops's cell: the cells completed before it keep their points, the rest score 0."""
ANSWERS = {"01_vectorization": {"matmul_flops": '''
import numba

@numba.njit
def _scribble(buffer):
    buffer[1 << 40] = 1.0  # 8 TiB past the start: unmapped memory

_scribble(np.zeros(4))

def matmul_flops(m, k, n):
    return 2 * m * k * n
'''}}
LOSES = {"01_vectorization": ["test_matmul_flops", "test_vectorized_matmul_speed", "test_q1_intensity",
                              "test_q2_gflops"],
         "02_kernel_fusion": []}
EXPECT_NOTE = "the cells that ran before it are scored"
