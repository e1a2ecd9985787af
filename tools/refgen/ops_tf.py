"""Reference cases for the TensorFlow-named ops of the seed pages (tf.fill, tf.eye, tf.one_hot,
tf.strided_slice, tf.tensor_scatter_nd_*, tf.histogram_fixed_width_bins,
tf.histogram_fixed_width, tf.argsort, tf.sort, tf.unstack), computed with real TensorFlow.

Needs tensorflow-cpu (2.x) and numpy, not Keras:
    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu numpy
    /tmp/tfvenv/bin/python tools/refgen/ops_tf.py
Writes tests/conformance/ops_tf.json. Argument names are TensorFlow's.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common import case_adder, randn_from, rng, write  # noqa: E402

r = rng(17)
f32 = np.float32
i32 = np.int32
randn = randn_from(r)
cases = []
case = case_adder(cases, tf, prefix="tf.")


# ---- fill ----
case("fill_seed", "fill", [[2, 3], np.array(9, i32)])
case("fill_float", "fill", [[3, 1, 2], np.array(2.5, f32)])
case("fill_scalar", "fill", [[], np.array(-1.5, f32)])
case("fill_bool", "fill", [[2, 2], np.array(True)])
case("fill_empty", "fill", [[2, 0, 3], np.array(7, i32)])

# ---- eye ----
case("eye_seed", "eye", [2])
case("eye_batch_seed", "eye", [2], {"batch_shape": [3]})
case("eye_cols_seed", "eye", [2], {"num_columns": 3})
case("eye_tall", "eye", [4, 2])
case("eye_batch2_int", "eye", [3], {"num_columns": 2, "batch_shape": [2, 1], "dtype": "int32"})
case("eye_bool", "eye", [3], {"dtype": "bool"})
case("eye_empty", "eye", [0])
case("eye_zero_cols", "eye", [2], {"num_columns": 0})

# ---- one_hot ----
case("one_hot_seed1", "one_hot", [np.array([0, 1, 2], i32), 3])
case("one_hot_seed2", "one_hot", [np.array([0, 2, -1, 1], i32), 3],
     {"on_value": 5.0, "off_value": 0.0, "axis": -1})
case("one_hot_seed3", "one_hot", [np.array([[0, 2], [1, -1]], i32), 3],
     {"on_value": 1.0, "off_value": 0.0, "axis": -1})
case("one_hot_axis0", "one_hot", [np.array([0, 2, 1, 5], i32), 4], {"axis": 0})
case("one_hot_axis1_2d", "one_hot", [np.array([[0, 1, 2], [2, 1, 0]], i32), 3], {"axis": 1})
case("one_hot_axis2_2d", "one_hot", [np.array([[0, 1], [3, 0]], i32), 4], {"axis": 2})
case("one_hot_int_on", "one_hot", [np.array([1, 0, 3], i32), 3], {"on_value": 7})
case("one_hot_int_off", "one_hot", [np.array([1, 0], i32), 3], {"on_value": 2, "off_value": -1})
case("one_hot_off_only", "one_hot", [np.array([1, 0], i32), 2], {"off_value": 0.25})
case("one_hot_dtype_int", "one_hot", [np.array([1, 4], i32), 4], {"dtype": "int32"})
case("one_hot_dtype_on", "one_hot", [np.array([0, 1], i32), 2], {"on_value": 3.0, "dtype": "float32"})
case("one_hot_bool", "one_hot", [np.array([2, 0], i32), 3], {"on_value": True, "off_value": False})
case("one_hot_scalar", "one_hot", [np.array(1, i32), 3])
case("one_hot_scalar_oob", "one_hot", [np.array(5, i32), 3])
case("one_hot_depth0", "one_hot", [np.array([0, 1], i32), 0])
case("one_hot_empty", "one_hot", [np.zeros((2, 0), i32), 3], {"axis": 0})

# ---- strided_slice ----
t = np.array([[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]], [[5, 5, 5], [6, 6, 6]]], i32)
case("ss_seed1", "strided_slice", [t, [1, 0, 0], [2, 1, 3], [1, 1, 1]])
case("ss_seed2", "strided_slice", [t, [1, 0, 0], [2, 2, 3], [1, 1, 1]])
case("ss_seed3", "strided_slice", [t, [1, -1, 0], [2, -3, 3], [1, -1, 1]])
x = randn(7, 8, 9)
# foo[5:, :, :3] on a 7x8x9 tensor == foo[5:7, 0:8, 0:3]
case("ss_doc_mask", "strided_slice", [x, [5, 0, 0], [0, 0, 3], [1, 1, 1]],
     {"begin_mask": 0, "end_mask": 3})
case("ss_doc_mask_explicit", "strided_slice", [x, [5, 0, 0], [7, 8, 3], [1, 1, 1]])
# foo[::-1] on a shape-8 tensor reverses it
case("ss_reverse", "strided_slice", [randn(8), [0], [0], [-1]], {"begin_mask": 1, "end_mask": 1})
x4 = randn(10, 3, 3, 10)
# foo[3:5, ..., 4:5] on 10x3x3x10
case("ss_ellipsis_mid", "strided_slice", [x4, [3, 0, 4], [5, 0, 5], [1, 1, 1]], {"ellipsis_mask": 2})
# foo[3:5, ...]
case("ss_ellipsis_end", "strided_slice", [x4, [3, 0], [5, 0], [1, 1]], {"ellipsis_mask": 2})
# foo[:4, tf.newaxis, :2]
x2 = randn(6, 5)
case("ss_newaxis", "strided_slice", [x2, [0, 0, 0], [4, 0, 2], [1, 1, 1]],
     {"begin_mask": 1, "new_axis_mask": 2})
# foo[:, 3, :] -> shrink_axis_mask == 2
case("ss_shrink", "strided_slice", [randn(4, 6, 5), [0, 3, 0], [0, 4, 0], [1, 1, 1]],
     {"begin_mask": 5, "end_mask": 5, "shrink_axis_mask": 2})
case("ss_shrink_neg", "strided_slice", [randn(4, 6, 5), [-1], [0], [1]], {"shrink_axis_mask": 1})
case("ss_shrink_all", "strided_slice", [randn(4, 6), [2, -3], [3, -2], [1, 1]], {"shrink_axis_mask": 3})
case("ss_neg_stride_2", "strided_slice", [randn(9, 4), [7, 3], [0, 0], [-2, -1]], {"end_mask": 3})
case("ss_stride_3", "strided_slice", [randn(10, 7), [1, 0], [10, 7], [3, 2]])
case("ss_clamp", "strided_slice", [randn(5, 4), [-100, 2], [100, 100], [1, 1]])
case("ss_clamp_rev", "strided_slice", [randn(5, 4), [100, 1], [-100, 3], [-1, 1]])
case("ss_empty", "strided_slice", [randn(5, 4), [3, 0], [1, 4], [1, 1]])
case("ss_empty_rev", "strided_slice", [randn(5, 4), [1, 0], [3, 4], [-1, 1]])
case("ss_strides_none", "strided_slice", [randn(5, 4), [1, -3], [4, -1]])
case("ss_partial_spec", "strided_slice", [randn(4, 3, 2), [1], [3], [1]])
case("ss_ellipsis_first_newaxis", "strided_slice", [randn(2, 3, 4), [0, 0, 1], [0, 0, 3], [1, 1, 1]],
     {"ellipsis_mask": 1, "new_axis_mask": 2})
case("ss_newaxis_and_shrink", "strided_slice", [randn(2, 3, 4), [0, 0, 1], [1, 1, 2], [1, 1, 1]],
     {"new_axis_mask": 2, "shrink_axis_mask": 6})
case("ss_ellipsis_shrink", "strided_slice", [np.arange(24, dtype=i32).reshape(2, 3, 4), [0, 0, 0],
     [1, 1, 1], [1, 1, 1]], {"ellipsis_mask": 2, "shrink_axis_mask": 5})
case("ss_many_newaxis", "strided_slice", [randn(2, 3), [0, 0, 0, 0, 0], [1, 1, 1, 1, 1],
     [1, 1, 1, 1, 1]], {"ellipsis_mask": 2, "new_axis_mask": 1 + 4 + 16})
case("ss_scalar_newaxis", "strided_slice", [np.array(3.5, f32), [0], [1], [1]], {"new_axis_mask": 1})
case("ss_scalar_ellipsis", "strided_slice", [np.array(3.5, f32), [0], [1], [1]], {"ellipsis_mask": 1})
case("ss_empty_input", "strided_slice", [np.zeros((0, 3), f32), [-1, 0], [0, 2], [-1, 1]])
case("ss_bool", "strided_slice", [randn(4, 5) > 0, [3, 1], [0, 5], [-1, 2]], {"end_mask": 1})
case("ss_large_neg", "strided_slice", [randn(3, 50), [0, 45], [3, 2], [2, -7]])

# ---- tensor_scatter_nd_* ----
case("tsu_seed_scalar", "tensor_scatter_nd_update",
     [np.zeros(8, i32), np.array([[1], [3], [4], [7]], i32), np.array([9, 10, 11, 12], i32)])
case("tsu_seed_2d", "tensor_scatter_nd_update",
     [np.ones((3, 2), i32), np.array([[0, 1], [2, 0]], i32), np.array([5, 10], i32)])
case("tsu_seed_rows", "tensor_scatter_nd_update",
     [np.zeros((6, 3), i32), np.array([[2], [4]], i32), np.array([[1, 2, 3], [4, 5, 6]], i32)])
case("tsu_seed_x", "tensor_scatter_nd_update",
     [np.zeros((5, 5), f32),
      np.array([[[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]], [[0, 4], [1, 3], [2, 2], [3, 1], [4, 0]]], i32),
      np.ones((2, 5), f32)])
case("tsu_video", "tensor_scatter_nd_update",
     [np.zeros((4, 3, 2, 2, 3), f32), np.array([[0, 0], [1, 0], [2, 0]], i32), np.ones((3, 2, 2, 3), f32)])
case("tsu_dup_last_wins", "tensor_scatter_nd_update",
     [np.zeros(4, f32), np.array([[1], [1], [3], [1]], i32), np.array([1.0, 2.0, 3.0, 4.0], f32)])
case("tsu_bool", "tensor_scatter_nd_update",
     [np.array([True, False, False]), np.array([[1], [0]], i32), np.array([True, False])])
case("tsu_empty_updates", "tensor_scatter_nd_update",
     [randn(3, 2), np.zeros((0, 1), i32), np.zeros((0, 2), f32)])
case("tsu_folded", "tensor_scatter_nd_update",
     [randn(4, 5, 3), np.array([[[0, 1], [3, 4]], [[2, 2], [1, 0]]], i32), randn(2, 2, 3)])
case("tsa_seed1", "tensor_scatter_nd_add",
     [np.ones(8, i32), np.array([[4], [3], [1], [7]], i32), np.array([9, 10, 11, 12], i32)])
upd3 = np.array([[[5, 5, 5, 5], [6, 6, 6, 6], [7, 7, 7, 7], [8, 8, 8, 8]]] * 2, i32)
case("tsa_seed2", "tensor_scatter_nd_add", [np.ones((4, 4, 4), i32), np.array([[0], [2]], i32), upd3])
case("tsa_dup", "tensor_scatter_nd_add",
     [randn(5, 3), np.array([[1], [4], [1], [1], [0]], i32), randn(5, 3)])
case("tsa_many_dup", "tensor_scatter_nd_add",
     [randn(3), np.zeros((20, 1), i32), randn(20)], rtol=1e-5, atol=1e-5)
case("tsa_int_dup", "tensor_scatter_nd_add",
     [np.arange(6, dtype=i32).reshape(2, 3), np.array([[0, 2], [1, 1], [0, 2]], i32), np.array([10, -4, 7], i32)])
case("tss_seed1", "tensor_scatter_nd_sub",
     [np.ones(8, i32), np.array([[4], [3], [1], [7]], i32), np.array([9, 10, 11, 12], i32)])
case("tss_seed2", "tensor_scatter_nd_sub", [np.ones((4, 4, 4), i32), np.array([[0], [2]], i32), upd3])
case("tss_dup", "tensor_scatter_nd_sub",
     [randn(4, 2), np.array([[3], [0], [3]], i32), randn(3, 2)])
case("tsmax_seed", "tensor_scatter_nd_max",
     [np.zeros(8, i32), np.array([[1], [4], [5]], i32), np.array([1, -1, 1], i32)])
case("tsmax_dup", "tensor_scatter_nd_max",
     [randn(6), np.array([[2], [2], [5], [2]], i32), randn(4)])
case("tsmax_slices", "tensor_scatter_nd_max",
     [randn(3, 4), np.array([[1], [1], [0]], i32), randn(3, 4)])
case("tsmax_nan", "tensor_scatter_nd_max",
     [np.array([np.nan, 2.0, 3.0], f32), np.array([[0], [1], [1]], i32),
      np.array([5.0, np.nan, 4.0], f32)])
case("tsmin_seed_like", "tensor_scatter_nd_min",
     [np.zeros(8, i32), np.array([[1], [4], [5]], i32), np.array([1, -1, 1], i32)])
case("tsmin_dup", "tensor_scatter_nd_min",
     [randn(6), np.array([[2], [2], [5], [2], [2]], i32), randn(5)])
case("tsmin_2d_idx", "tensor_scatter_nd_min",
     [randn(3, 3), np.array([[0, 0], [2, 1], [0, 0]], i32), randn(3)])
case("tsmin_nan", "tensor_scatter_nd_min",
     [np.array([np.nan, 2.0, 3.0], f32), np.array([[0], [1], [1]], i32),
      np.array([-5.0, np.nan, 1.0], f32)])

# ---- histogram_fixed_width_bins / histogram_fixed_width ----
seed_vals = np.array([-1.0, 0.0, 1.5, 2.0, 5.0, 15], f32)
rng5 = np.array([0.0, 5.0], f32)
case("hbins_seed", "histogram_fixed_width_bins", [seed_vals, rng5], {"nbins": 5})
case("hbins_2d", "histogram_fixed_width_bins", [np.array([[0.3, 0.7], [0.1, 0.9]], f32),
                                                np.array([0.0, 1.0], f32)], {"nbins": 10})
case("hbins_default_nbins", "histogram_fixed_width_bins", [randn(20) * 2, np.array([-3.0, 3.0], f32)])
case("hbins_inf_nan", "histogram_fixed_width_bins",
     [np.array([1.0, np.nan, np.inf, -np.inf, 4.9], f32), rng5], {"nbins": 5})
case("hbins_int64_dtype", "histogram_fixed_width_bins", [randn(7), np.array([-1.0, 1.0], f32)],
     {"nbins": 4, "dtype": "int64"})
case("hbins_empty", "histogram_fixed_width_bins", [np.zeros((2, 0), f32), np.array([0.0, 1.0], f32)],
     {"nbins": 3})
case("hist_seed", "histogram_fixed_width", [seed_vals, rng5], {"nbins": 5})
case("hist_default_nbins", "histogram_fixed_width", [randn(200), np.array([-2.0, 2.0], f32)])
case("hist_2d", "histogram_fixed_width", [randn(6, 7), np.array([-1.0, 1.5], f32)], {"nbins": 7})
case("hist_int", "histogram_fixed_width",
     [np.array([1, 2, 3, -4, 9, 10, 5, 7], i32), np.array([0, 8], i32)], {"nbins": 4})
case("hist_inf", "histogram_fixed_width", [np.array([np.inf, -np.inf, 0.5], f32), np.array([0.0, 1.0], f32)],
     {"nbins": 2})
case("hist_int64_dtype", "histogram_fixed_width", [randn(30), np.array([-1.0, 1.0], f32)],
     {"nbins": 6, "dtype": "int64"})
case("hist_empty", "histogram_fixed_width", [np.zeros((0,), f32), np.array([0.0, 1.0], f32)], {"nbins": 3})

# ---- sort / argsort ----
a = np.array([1, 10, 26.9, 2.8, 166.32, 62.3], f32)
mat = np.array([[3, 2, 1], [2, 1, 3], [1, 3, 2]], i32)
case("sort_seed", "sort", [a])
case("sort_seed_desc", "sort", [a], {"direction": "DESCENDING"})
case("sort_seed_mat_last", "sort", [mat], {"axis": -1})
case("sort_seed_mat_0", "sort", [mat], {"axis": 0})
case("sort_3d_axis1", "sort", [randn(3, 5, 4)], {"axis": 1})
case("sort_3d_desc_axis0", "sort", [randn(4, 3, 2)], {"axis": 0, "direction": "DESCENDING"})
case("sort_int_desc", "sort", [r.integers(-50, 50, (4, 9)).astype(i32)], {"direction": "DESCENDING"})
case("sort_empty", "sort", [np.zeros((3, 0), f32)])
case("argsort_seed", "argsort", [a])
case("argsort_seed_mat", "argsort", [np.array([[30, 20, 10], [20, 10, 30], [10, 30, 20]], i32)])
case("argsort_desc", "argsort", [randn(5, 6)], {"direction": "DESCENDING"})
case("argsort_ties_asc", "argsort", [np.array([1, 1, 0, 1, 0, 2, 1], i32)])
case("argsort_ties_desc", "argsort", [np.array([1, 1, 0, 1, 0, 2, 1], i32)], {"direction": "DESCENDING"})
case("argsort_ties_float_desc", "argsort", [np.array([[0.5, -1.0, 0.5, 0.5], [2.0, 2.0, -3.0, 2.0]], f32)],
     {"axis": 1, "direction": "DESCENDING"})
case("argsort_axis0_stable", "argsort", [r.integers(0, 3, (6, 4)).astype(i32)], {"axis": 0, "stable": True})
case("argsort_long", "argsort", [randn(700)])

# ---- unstack ----
x = np.arange(12, dtype=i32).reshape(3, 4)
case("unstack_seed", "unstack", [x])
case("unstack_seed_axis1", "unstack", [x], {"axis": 1})
case("unstack_axis2", "unstack", [randn(2, 3, 4, 5)], {"axis": 2})
case("unstack_neg_axis_num", "unstack", [randn(2, 3)], {"num": 2, "axis": -2})
case("unstack_size1", "unstack", [randn(1, 4)])
case("unstack_1d", "unstack", [np.array([1, 2, 3], i32)])

write("ops_tf.json", cases, made_with=f"tensorflow {tf.__version__}")
