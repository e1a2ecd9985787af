"""Reference cases for the indexing and sorting ops (take, take_along_axis, one_hot, multi_hot,
scatter, scatter_update, argsort, sort, top_k, in_top_k, digitize, searchsorted, histogram,
bincount). Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/ops_index.py
"""
import numpy as np
from keras import ops

from common import case_adder, randn_from, rng, write

r = rng(7)
f32 = np.float32
i32 = np.int32
randn = randn_from(r)
cases = []
case = case_adder(cases, ops)


# take
x = randn(3, 4, 5)
case("take_flat", "take", [x, np.array([0, 7, -1, 59], i32)])
case("take_axis0", "take", [x, np.array([2, 0, -3], i32)], {"axis": 0})
case("take_axis1_2d_idx", "take", [x, np.array([[1, 3], [-1, 0]], i32)], {"axis": 1})
case("take_axis_neg", "take", [x, np.array([4, 4, 0], i32)], {"axis": -1})
case("take_int", "take", [np.arange(12, dtype=i32).reshape(3, 4), np.array([1, -1], i32)], {"axis": 1})
case("take_scalar_idx", "take", [x, np.array(2, i32)], {"axis": 2})
case("take_empty_idx", "take", [x, np.zeros((0,), i32)], {"axis": 1})
case("take_1000", "take", [randn(1000), r.integers(-1000, 1000, 37).astype(i32)])

# take_along_axis
x = randn(3, 5)
case("tala_axis1", "take_along_axis", [x, np.array([[0, 4], [1, -1], [2, 2]], i32)], {"axis": 1})
case("tala_axis0", "take_along_axis", [x, np.array([[2, 0, 1, 1, -1]], i32)], {"axis": 0})
case("tala_none", "take_along_axis", [x, np.array([14, 0, -2], i32)], {"axis": None})
case("tala_broadcast", "take_along_axis", [randn(2, 4, 3), np.array([[[0], [3]]], i32)], {"axis": 1})
case("tala_argsort", "take_along_axis", [x, np.argsort(x, axis=-1).astype(i32)], {"axis": -1})

# one_hot
case("one_hot_basic", "one_hot", [np.array([0, 2, 1, 4], i32), 5])
case("one_hot_oob", "one_hot", [np.array([0, -1, 3, 7], i32), 3])
case("one_hot_axis0", "one_hot", [np.array([[0, 1], [2, 0]], i32), 3], {"axis": 0})
case("one_hot_axis1_3d", "one_hot", [np.array([[0, 1, 2], [2, 1, 0]], i32), 4], {"axis": 1})
case("one_hot_int32", "one_hot", [np.array([1, 0], i32), 2], {"dtype": "int32"})
case("one_hot_bool", "one_hot", [np.array([1, 0, 2], i32), 3], {"dtype": "bool"})
case("one_hot_scalar", "one_hot", [np.array(2, i32), 4])

# multi_hot
case("multi_hot_1d", "multi_hot", [np.array([0, 2, 2], i32), 4])
case("multi_hot_2d", "multi_hot", [np.array([[0, 1], [3, 3], [1, 2]], i32), 4])
case("multi_hot_axis0", "multi_hot", [np.array([[0, 1], [2, 2]], i32), 3], {"axis": 0})
case("multi_hot_int", "multi_hot", [np.array([[0, 4], [1, 1]], i32), 5], {"dtype": "int32"})

# scatter
case("scatter_1d", "scatter", [np.array([[1], [3], [1]], i32), np.array([1.5, 2.0, 3.0], f32), (5,)])
case("scatter_2d_full", "scatter", [np.array([[0, 1], [2, 0], [0, 1]], i32), np.array([1.0, 2.0, 3.0], f32), (3, 2)])
case("scatter_rows", "scatter", [np.array([[0], [2]], i32), randn(2, 4), (3, 4)])
case("scatter_int", "scatter", [np.array([[1, 1], [0, 0], [1, 1]], i32), np.array([5, 6, 7], i32), (2, 2)])
case("scatter_neg", "scatter", [np.array([[-1], [0]], i32), np.array([1.0, 2.0], f32), (4,)])

# scatter_update
base = randn(4, 3)
case("scatter_update_elems", "scatter_update", [base, np.array([[0, 0], [3, 2], [1, 1]], i32), np.array([9.0, 8.0, 7.0], f32)])
case("scatter_update_rows", "scatter_update", [base, np.array([[2], [0]], i32), randn(2, 3)])
case("scatter_update_int", "scatter_update", [np.zeros((5,), i32), np.array([[4], [1]], i32), np.array([3, 2], i32)])

# argsort / sort (ties, NaN, odd lengths)
ties = np.array([[3.0, 1.0, 2.0, 1.0, 3.0, 0.5, 1.0]], f32)
nans = np.array([2.0, np.nan, -1.0, np.inf, np.nan, -np.inf, 0.5], f32)
for nm in ["argsort", "sort"]:
    case(f"{nm}_ties", nm, [ties])
    case(f"{nm}_nan", nm, [nans])
    case(f"{nm}_2d_axis0", nm, [randn(5, 3)], {"axis": 0})
    case(f"{nm}_3d_axis1", nm, [randn(2, 7, 3)], {"axis": 1})
    case(f"{nm}_int", nm, [r.integers(-5, 5, (3, 9)).astype(i32)])
    case(f"{nm}_len1", nm, [randn(4, 1)])
    case(f"{nm}_len3", nm, [randn(3)])
    case(f"{nm}_len1000", nm, [r.integers(0, 50, 1000).astype(f32)])
    case(f"{nm}_empty", nm, [np.zeros((2, 0), f32)])
    case(f"{nm}_bool", nm, [np.array([True, False, True, False])])

# top_k
case("top_k_basic", "top_k", [np.array([5.0, 2.0, 7.0, 1.0, 9.0, 3.0], f32), 3])
case("top_k_ties", "top_k", [np.array([[1, 3, 3, 2, 3], [0, 0, 0, 0, 0]], i32), 2])
case("top_k_nan", "top_k", [nans, 4])
case("top_k_2d", "top_k", [randn(4, 11), 5])
case("top_k_all", "top_k", [randn(3, 3), 3])
case("top_k_1000", "top_k", [randn(2, 1000), 10])
case("top_k_unsorted_kw", "top_k", [randn(6), 2], {"sorted": False})

# in_top_k
preds = np.array([[0.1, 0.4, 0.6, 0.9, 0.5], [0.1, 0.7, 0.9, 0.8, 0.3], [0.1, 0.6, 0.9, 0.9, 0.5]], f32)
case("in_top_k_basic", "in_top_k", [np.array([2, 5 - 1, 3], i32), preds, 3])
case("in_top_k_ties", "in_top_k", [np.array([2, 2, 3], i32), preds, 1])
case("in_top_k_nan", "in_top_k", [np.array([0, 1], i32), np.array([[np.nan, 1.0, 2.0], [np.nan, 0.5, 0.2]], f32), 2])
case("in_top_k_k0", "in_top_k", [np.array([1], i32), np.array([[0.2, 0.8]], f32), 0])

# digitize
case("digitize_inc", "digitize", [np.array([-1.0, 0.0, 0.5, 1.0, 2.5, 9.0], f32), np.array([0.0, 1.0, 2.5, 4.0], f32)])
case("digitize_dec", "digitize", [np.array([-1.0, 0.0, 0.5, 1.0, 2.5, 9.0], f32), np.array([4.0, 2.5, 1.0, 0.0], f32)])
case("digitize_int_2d", "digitize", [np.array([[1, 5], [10, 3]], i32), np.array([2, 4, 6], i32)])
case("digitize_nan", "digitize", [np.array([np.nan, 1.0], f32), np.array([0.0, 2.0], f32)])

# searchsorted
seq = np.array([1.0, 2.0, 2.0, 2.0, 5.0, 7.0], f32)
vals = np.array([0.0, 2.0, 3.0, 7.0, 8.0, 2.0], f32)
case("searchsorted_left", "searchsorted", [seq, vals])
case("searchsorted_right", "searchsorted", [seq, vals], {"side": "right"})
case("searchsorted_2d_vals", "searchsorted", [seq, vals.reshape(2, 3)], {"side": "left"})
case("searchsorted_int", "searchsorted", [np.array([0, 3, 3, 9], i32), np.array([3, -1, 10, 4], i32)], {"side": "right"})
case("searchsorted_odd1000", "searchsorted", [np.sort(randn(1000)), randn(7)])

# histogram
case("histogram_default", "histogram", [randn(50)])
case("histogram_bins3", "histogram", [np.array([1.0, 2, 2, 3, 10], f32)], {"bins": 3})
case("histogram_range", "histogram", [randn(40)], {"bins": 5, "range": (-1.0, 1.0)})
case("histogram_int", "histogram", [np.array([1, 2, 2, 3, 10, 4], i32)], {"bins": 4})
case("histogram_const", "histogram", [np.array([2.0, 2.0, 2.0], f32)], {"bins": 2})

# bincount
case("bincount_basic", "bincount", [np.array([1, 2, 2, 3, 3, 3], i32)])
case("bincount_minlength", "bincount", [np.array([1, 2], i32)], {"minlength": 6})
case("bincount_weights", "bincount", [np.array([0, 1, 1, 4], i32)], {"weights": np.array([0.5, 1.0, 2.0, -1.0], f32)})
case("bincount_2d", "bincount", [np.array([[1, 2, 2], [0, 0, 3]], i32)], {"minlength": 5})
case("bincount_2d_w", "bincount", [np.array([[1, 2], [0, 0]], i32)], {"weights": np.array([[1.0, 2.0], [3.0, 4.0]], f32), "minlength": 3})
case("bincount_empty", "bincount", [np.zeros((0,), i32)], {"minlength": 2})

write("ops_index.json", cases)
