"""Reference cases for the NumPy-style utilities of keras.utils (to_categorical, normalize,
pad_sequences), as `util` cases. Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/utils_numpy.py

normalize is called on backend (JAX) tensors, the path a runtime tensor corresponds to
(`keras.ops.normalize`), except for integer inputs, which only Keras's NumPy path accepts.
"""
import numpy as np
import keras
from keras import ops

from common import case_adder, randn_from, rng, write

r = rng(11)
f32 = np.float32
i32 = np.int32
randn = randn_from(r)
cases = []
case = case_adder(cases, keras.utils, kind="util")


# to_categorical
case("to_categorical_doc", "to_categorical", [[0, 1, 2, 3]], {"num_classes": 4})
case("to_categorical_infer", "to_categorical", [np.array([[2, 0, 1], [1, 4, 0]], i32)])
case("to_categorical_trailing1", "to_categorical", [np.array([[1], [0], [3], [2], [1]], i32)], {"num_classes": 5})
case("to_categorical_3d_trailing1", "to_categorical", [r.integers(0, 6, (2, 3, 1)).astype(i32)])
case("to_categorical_rank1_single", "to_categorical", [np.array([2], i32)])
case("to_categorical_1x1", "to_categorical", [np.array([[2]], i32)], {"num_classes": 3})
case("to_categorical_scalar", "to_categorical", [np.array(3, i32)], {"num_classes": 5})
case("to_categorical_float_classes", "to_categorical", [np.array([0.0, 2.0, 1.0], f32)])
case("to_categorical_zero_classes_infers", "to_categorical", [[1, 0, 2]], {"num_classes": 0})
case("to_categorical_more_classes", "to_categorical", [r.integers(0, 3, 17).astype(i32)], {"num_classes": 7})
case("to_categorical_empty", "to_categorical", [np.zeros((0,), i32)], {"num_classes": 3})
case("to_categorical_bool", "to_categorical", [np.array([True, False, True])])

# normalize (backend tensors: keras.ops.normalize)
T = ops.convert_to_tensor
case("normalize_2d", "normalize", [T(randn(4, 5))])
case("normalize_axis0", "normalize", [T(randn(4, 5))], {"axis": 0})
case("normalize_order1", "normalize", [T(randn(3, 6))], {"order": 1})
case("normalize_order3_axis1", "normalize", [T(randn(2, 5, 3))], {"axis": 1, "order": 3})
case("normalize_zero_row", "normalize", [T(np.array([[1, 2, 3], [0, 0, 0]], f32))])
case("normalize_zero_row_order1", "normalize", [T(np.array([[0, 0], [3, -4]], f32))], {"order": 1})
case("normalize_1d", "normalize", [T(randn(7))])
case("normalize_doc", "normalize", [T(np.array([[1, 2, 3], [4, 5, 6]], f32))])
case("normalize_scalar", "normalize", [T(np.array(-2.5, f32))])
case("normalize_size1_axis", "normalize", [T(randn(3, 1, 4))], {"axis": 1})
case("normalize_big", "normalize", [T(randn(33, 129))], {"axis": -1, "order": 2})
# NumPy path, integer input
case("normalize_int_numpy", "normalize", [np.array([[1, 2, 2], [0, 0, 0], [3, 0, 4]], i32)])

# pad_sequences (the docstring's examples first)
seq = [[1], [2, 3], [4, 5, 6]]
case("pad_sequences_doc", "pad_sequences", [seq])
case("pad_sequences_doc_value", "pad_sequences", [seq], {"value": -1})
case("pad_sequences_doc_post", "pad_sequences", [seq], {"padding": "post"})
case("pad_sequences_doc_maxlen2", "pad_sequences", [seq], {"maxlen": 2})
case("pad_sequences_trunc_post", "pad_sequences", [seq], {"maxlen": 2, "truncating": "post"})
case("pad_sequences_post_post", "pad_sequences", [seq], {"maxlen": 2, "padding": "post", "truncating": "post"})
case("pad_sequences_maxlen_long", "pad_sequences", [seq], {"maxlen": 5, "value": 9})
case("pad_sequences_empty_seq", "pad_sequences", [[[], [7, 8], [], [1, 2, 3, 4]]], {"maxlen": 3})
case("pad_sequences_all_empty", "pad_sequences", [[[], []]])
case("pad_sequences_float", "pad_sequences", [[[1.5, -2.25], [0.5], [3.0, 4.0, 5.5]]], {"dtype": "float32", "value": 0.75})
case("pad_sequences_float_to_int", "pad_sequences", [[[1.5], [2, 3.7], [-4.2, 5, 6]]], {"value": 0.9})
case("pad_sequences_int64", "pad_sequences", [[[10, 20, 30], [40]]], {"dtype": "int64", "padding": "post"})
case("pad_sequences_nd", "pad_sequences", [[[[1, 2]], [[3, 4], [5, 6]], []]], {"maxlen": 3})
case("pad_sequences_nd_trunc", "pad_sequences", [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[0, 1, 2]]]], {"maxlen": 2, "truncating": "post", "padding": "post", "dtype": "float32", "value": -1.0})
long = [list(r.integers(1, 100, int(n))) for n in r.integers(0, 40, 25)]
case("pad_sequences_random", "pad_sequences", [[[int(v) for v in s] for s in long]], {"maxlen": 30})

write("utils.json", cases)
