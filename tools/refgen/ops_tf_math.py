"""Reference cases for the TensorFlow-named math ops (tf.zeros_like, tf.ones_like,
tf.truncatediv, tf.truncatemod, tf.realdiv, tf.clip_by_value, tf.clip_by_norm,
tf.clip_by_global_norm, tf.searchsorted, tf.norm, tf.tensordot, tf.einsum, tf.pad), computed
with real TensorFlow:
    /tmp/tfvenv/bin/python tools/refgen/ops_tf_math.py
Writes tests/conformance/ops_tf_math.json. Argument names are TensorFlow's.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common import case_adder, op_case, randn_from, rng, write  # noqa: E402

r = rng(29)
f32 = np.float32
i32 = np.int32
randn = randn_from(r)
cases = []
case = case_adder(cases, tf, prefix="tf.")

case("zeros_like_seed", "zeros_like", [np.array([[1, 2, 3], [4, 5, 6]], i32)])
case("zeros_like_dtype", "zeros_like", [randn(2, 3)], {"dtype": "int32"})
case("zeros_like_empty", "zeros_like", [np.zeros((0, 3), f32)])
case("ones_like_seed", "ones_like", [np.array([[1, 2, 3], [4, 5, 6]], i32)])
case("ones_like_dtype", "ones_like", [randn(3, 1)], {"dtype": "bool"})
case("ones_like_float", "ones_like", [np.array([1, 2], i32)], {"dtype": "float32"})

xi = np.array([7, -7, 7, -7, 0, 13, -13, 2147483647, -2147483647], i32)
yi = np.array([2, 2, -2, -2, 5, 4, 4, 3, 10], i32)
case("truncatediv_int", "truncatediv", [xi, yi])
case("truncatediv_bcast", "truncatediv", [r.integers(-100, 100, (3, 4)).astype(i32), np.array([3, -7, 1, 9], i32)])
case("truncatediv_float", "truncatediv", [np.array([7.5, -7.5], f32), np.array([2.0, 2.0], f32)])
case("truncatemod_int", "truncatemod", [xi, yi])
case("truncatemod_float", "truncatemod", [np.array([7.5, -7.5, 5.0, -1.25], f32), np.array([2.0, 2.0, -3.0, 0.5], f32)])
case("truncatemod_bcast", "truncatemod", [r.integers(-100, 100, (3, 4)).astype(i32), np.array(7, i32)])
case("realdiv_float", "realdiv", [randn(3, 4), randn(4)])

t = np.array([[-10.0, -1.0, 0.0], [0.0, 2.0, 10.0]], f32)
case("clip_by_value_seed", "clip_by_value", [t, np.array(-1, f32), np.array(1, f32)])
case("clip_by_value_int", "clip_by_value", [np.array([[-1, 3], [5, 9]], i32), np.array(0, i32), np.array(4, i32)])
case("clip_by_value_bcast", "clip_by_value", [randn(3, 4), np.array([-0.5, -1, 0, -0.1], f32), np.array(0.5, f32)])

case("clip_by_norm_seed", "clip_by_norm", [np.array([[1, 2, 3, 4, 5]], f32), 2.0])
case("clip_by_norm_noclip", "clip_by_norm", [np.array([[1, 2, 3, 4, 5]], f32), 20.0])
case("clip_by_norm_axes", "clip_by_norm", [randn(3, 4), 1.0], {"axes": [1]})
case("clip_by_norm_axes0", "clip_by_norm", [randn(3, 4) * 3, 1.5], {"axes": [0]})
case("clip_by_norm_zero", "clip_by_norm", [np.zeros((2, 2), f32), 1.0])

cases.append(op_case("clip_by_global_norm_seed", "tf.clip_by_global_norm",
                     lambda t_list, clip_norm, **kw: (lambda o: list(o[0]) + [o[1]])(tf.clip_by_global_norm(t_list, clip_norm, **kw)),
                     [[randn(2, 3) * 2, randn(4) * 2], 1.0]))
cases.append(op_case("clip_by_global_norm_noclip", "tf.clip_by_global_norm",
                     lambda t_list, clip_norm, **kw: (lambda o: list(o[0]) + [o[1]])(tf.clip_by_global_norm(t_list, clip_norm, **kw)),
                     [[randn(2, 3), randn(3)], 100.0]))
cases.append(op_case("clip_by_global_norm_use_norm", "tf.clip_by_global_norm",
                     lambda t_list, clip_norm, **kw: (lambda o: list(o[0]) + [o[1]])(tf.clip_by_global_norm(t_list, clip_norm, **kw)),
                     [[randn(2, 2), randn(5)], 1.0], {"use_norm": np.array(4.0, f32)}))

seq = np.array([[0, 3, 9, 9, 10], [1, 2, 3, 4, 5]], f32)
vals = np.array([[2, 4, 9], [0, 2, 6]], f32)
case("searchsorted_seed", "searchsorted", [seq, vals])
case("searchsorted_right", "searchsorted", [seq, vals], {"side": "right"})
case("searchsorted_1d", "searchsorted", [np.array([1, 3, 5, 7], i32), np.array([0, 3, 4, 8, 7], i32)])
case("searchsorted_3d", "searchsorted", [np.sort(randn(2, 3, 6), -1), randn(2, 3, 4)], {"side": "right"})

x = randn(3, 4)
case("norm_default", "norm", [x])
case("norm_axis", "norm", [x], {"axis": 1})
case("norm_axis_keep", "norm", [x], {"axis": 0, "keepdims": True})
case("norm_ord1", "norm", [x], {"ord": 1})
case("norm_ord3_axis", "norm", [x], {"ord": 3, "axis": -1})
case("norm_inf", "norm", [x], {"ord": np.inf, "axis": 1})
case("norm_half", "norm", [np.abs(x) + 0.1], {"ord": 0.5})
case("norm_fro_mat", "norm", [randn(2, 3, 4)], {"ord": "fro", "axis": [1, 2]})
case("norm_mat1", "norm", [randn(2, 3, 4)], {"ord": 1, "axis": [1, 2]})
case("norm_matinf", "norm", [randn(3, 4)], {"ord": np.inf, "axis": [0, 1], "keepdims": True})
case("norm_mat1_rev", "norm", [randn(3, 4)], {"ord": 1, "axis": [1, 0]})

case("tensordot_int", "tensordot", [randn(3, 4, 5), randn(4, 5, 2), 2])
case("tensordot_pairs", "tensordot", [randn(3, 4, 5), randn(5, 3, 2), [[0, 2], [1, 0]]])
case("tensordot_zero", "tensordot", [randn(2, 3), randn(4), 0])
case("tensordot_pair_ints", "tensordot", [randn(3, 4), randn(4, 5), [1, 0]])

cases.append(op_case("einsum_matmul", "tf.einsum", lambda eq, *xs: tf.einsum(eq, *xs), ["ij,jk->ik", randn(2, 3), randn(3, 5)]))
cases.append(op_case("einsum_batch", "tf.einsum", lambda eq, *xs: tf.einsum(eq, *xs), ["bij,bjk->bik", randn(2, 3, 4), randn(2, 4, 2)]))
cases.append(op_case("einsum_trace", "tf.einsum", lambda eq, *xs: tf.einsum(eq, *xs), ["ii", randn(4, 4)]))
cases.append(op_case("einsum_outer", "tf.einsum", lambda eq, *xs: tf.einsum(eq, *xs), ["i,j->ij", randn(3), randn(2)]))
cases.append(op_case("einsum_ellipsis", "tf.einsum", lambda eq, *xs: tf.einsum(eq, *xs), ["...ij,...jk->...ik", randn(2, 3, 4), randn(2, 4, 5)]))
cases.append(op_case("einsum_transpose", "tf.einsum", lambda eq, *xs: tf.einsum(eq, *xs), ["ij->ji", randn(2, 3)]))

tp = np.array([[1, 2, 3], [4, 5, 6]], i32)
pads = [[1, 1], [2, 2]]
case("pad_constant_seed", "pad", [tp, pads])
case("pad_reflect_seed", "pad", [tp, pads, "REFLECT"])
case("pad_symmetric_seed", "pad", [tp, pads, "SYMMETRIC"])
case("pad_constant_value", "pad", [randn(2, 3), [[0, 2], [1, 0]]], {"constant_values": 1.5})
case("pad_reflect_3d", "pad", [randn(2, 3, 4), [[1, 0], [2, 1], [0, 3]]], {"mode": "reflect"})
case("pad_symmetric_full", "pad", [randn(3, 2), [[3, 3], [2, 1]]], {"mode": "symmetric"})

cases.append(op_case("unique_seed", "tf.unique", lambda x, **kw: list(tf.unique(x, **kw)), [np.array([1, 1, 2, 4, 4, 4, 7, 8, 8], i32)]))
cases.append(op_case("unique_float", "tf.unique", lambda x, **kw: list(tf.unique(x, **kw)), [np.array([0.5, -1, 0.5, 3, -1], f32)]))
cases.append(op_case("unique_single", "tf.unique", lambda x, **kw: list(tf.unique(x, **kw)), [np.array([5], i32)]))
cases.append(op_case("unique_with_counts_seed", "tf.unique_with_counts", lambda x, **kw: list(tf.unique_with_counts(x, **kw)), [np.array([1, 1, 2, 4, 4, 4, 7, 8, 8], i32)]))
cases.append(op_case("unique_with_counts_rand", "tf.unique_with_counts", lambda x, **kw: list(tf.unique_with_counts(x, **kw)), [r.integers(-5, 5, 40).astype(i32)]))

write("ops_tf_math.json", cases, made_with=f"tensorflow {tf.__version__}")
