"""Reference cases for the matrix-product ops: matmul, dot, tensordot, outer, einsum.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/ops_matmul.py
"""
import numpy as np
from keras import ops

from common import op_case, rng, write

r = rng(7)


def f32(*shape):
    return r.uniform(-1.0, 1.0, size=shape).astype("float32")


def i32(*shape):
    return r.integers(-5, 6, size=shape).astype("int32")


cases = []

# matmul: 2-D, odd sizes, 1-D operands, broadcast batches, ints, empty dims.
mm = [
    ("2d", f32(3, 4), f32(4, 5)),
    ("odd_17x3x65", f32(17, 3), f32(3, 65)),
    ("tile_edges_65x17x66", f32(65, 17), f32(17, 66)),
    ("vec_vec", f32(7), f32(7)),
    ("vec_mat", f32(4), f32(4, 3)),
    ("mat_vec", f32(3, 4), f32(4)),
    ("batch_vec", f32(2, 3, 4), f32(4)),
    ("vec_batch", f32(4), f32(2, 4, 3)),
    ("batch_broadcast", f32(2, 1, 3, 4), f32(5, 4, 6)),
    ("batch_vs_2d", f32(3, 2, 5), f32(5, 2)),
    ("2d_vs_batch", f32(2, 5), f32(3, 5, 4)),
    ("int32", i32(3, 4), i32(4, 2)),
    ("int32_batch", i32(2, 3, 4), i32(2, 4, 5)),
    ("int_float_mix", i32(3, 4), f32(4, 2)),
    ("empty_k", np.zeros((3, 0), "float32"), np.zeros((0, 4), "float32")),
    ("empty_m", np.zeros((0, 3), "float32"), f32(3, 4)),
    ("empty_batch", np.zeros((0, 2, 3), "float32"), f32(3, 4)),
    ("k1", f32(5, 1), f32(1, 6)),
    ("m1_n1", f32(1, 9), f32(9, 1)),
]
for name, a, b in mm:
    cases.append(op_case(f"matmul_{name}", "matmul", ops.matmul, [a, b], rtol=1e-5, atol=1e-5))
cases.append(op_case("matmul_float16", "matmul", ops.matmul,
                     [f32(4, 8).astype("float16"), f32(8, 3).astype("float16")], rtol=1e-2, atol=1e-2))

# dot
dots = [
    ("scalar", np.float32(2.5), f32(2, 3)),
    ("vec_vec", f32(5), f32(5)),
    ("mat_vec", f32(3, 5), f32(5)),
    ("vec_mat", f32(5), f32(5, 2)),
    ("mat_mat", f32(3, 4), f32(4, 2)),
    ("nd_nd", f32(2, 3, 4), f32(5, 4, 6)),
    ("int32", i32(3, 4), i32(4, 2)),
]
for name, a, b in dots:
    cases.append(op_case(f"dot_{name}", "dot", ops.dot, [a, b], rtol=1e-5, atol=1e-5))

# tensordot
tds = [
    ("axes1", f32(3, 4), f32(4, 5), 1),
    ("axes2", f32(2, 3, 4), f32(3, 4, 5), 2),
    ("axes0", f32(2, 3), f32(4), 0),
    ("pairs", f32(3, 4, 5), f32(4, 3, 2), ([1, 0], [0, 1])),
    ("pairs_single", f32(3, 4, 5), f32(5, 2), ([2], [0])),
    ("negative", f32(3, 4, 5), f32(2, 5), ([-1], [-1])),
    ("int32", i32(2, 3), i32(3, 2), 1),
]
for name, a, b, axes in tds:
    cases.append(op_case(f"tensordot_{name}", "tensordot", ops.tensordot, [a, b], {"axes": axes},
                         rtol=1e-5, atol=1e-5))

# outer
cases.append(op_case("outer_vectors", "outer", ops.outer, [f32(3), f32(4)], rtol=1e-6, atol=1e-6))
cases.append(op_case("outer_flattens", "outer", ops.outer, [f32(2, 3), f32(2, 2)], rtol=1e-6, atol=1e-6))
cases.append(op_case("outer_int32", "outer", ops.outer, [i32(3), i32(2)]))

# einsum
eins = [
    ("matmul", "ij,jk->ik", [f32(3, 4), f32(4, 5)]),
    ("implicit", "ij,jk", [f32(3, 4), f32(4, 5)]),
    ("batched", "bij,bjk->bik", [f32(2, 3, 4), f32(2, 4, 5)]),
    ("shared_weight", "bij,jk->bik", [f32(2, 3, 4), f32(4, 5)]),
    ("transpose", "ij->ji", [f32(3, 4)]),
    ("diagonal", "ii->i", [f32(4, 4)]),
    ("trace", "ii", [f32(4, 4)]),
    ("sum_all", "ij->", [f32(3, 4)]),
    ("sum_rows", "ij->j", [f32(3, 4)]),
    ("inner", "i,i->", [f32(6), f32(6)]),
    ("outer", "i,j->ij", [f32(3), f32(4)]),
    ("ellipsis", "...ij,...jk->...ik", [f32(2, 3, 4), f32(2, 4, 5)]),
    ("ellipsis_broadcast", "...ij,...jk->...ik", [f32(2, 1, 3, 4), f32(5, 4, 2)]),
    ("attention_scores", "bhqd,bhkd->bhqk", [f32(2, 3, 5, 4), f32(2, 3, 6, 4)]),
    ("attention_values", "bhqk,bhkd->bhqd", [f32(2, 3, 5, 6), f32(2, 3, 6, 4)]),
    ("heads_split", "bqhd,bkhd->bhqk", [f32(2, 5, 3, 4), f32(2, 6, 3, 4)]),
    ("dense_einsum", "abc,cd->abd", [f32(2, 3, 4), f32(4, 5)]),
    ("three_operands", "abc,cd,de->abe", [f32(2, 3, 4), f32(4, 5), f32(5, 2)]),
    ("rowwise_dot", "ij,ij->i", [f32(3, 5), f32(3, 5)]),
    ("transposed_lhs", "ki,kj->ij", [f32(5, 3), f32(5, 4)]),
    ("implicit_order", "ba,cb", [f32(3, 4), f32(5, 3)]),
    ("int32", "ij,jk->ik", [i32(3, 4), i32(4, 2)]),
    ("int32_sum", "ij->", [i32(3, 4)]),
]
for name, s, xs in eins:
    cases.append(op_case(f"einsum_{name}", "einsum", ops.einsum, [s, *xs], rtol=1e-5, atol=1e-5))

write("ops_matmul.json", cases)
