"""Reference cases for the TensorFlow-named array ops (runtime::tf::array_ops), computed with
real TensorFlow. Run: /tmp/tfvenv/bin/python tools/refgen/ops_tf_array.py
Writes tests/conformance/ops_tf_array.json. Argument names are TensorFlow's; int64 results
are written as int32 (the runtime's widest integer)."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common import case_adder, randn_from, rng, write  # noqa: E402

r = rng(23)
f32 = np.float32
i32 = np.int32
randn = randn_from(r)
cases = []
case = case_adder(cases, tf, prefix="tf.")


def i32out(fn):
    def g(*a, **k):
        out = fn(*a, **k)
        if isinstance(out, (list, tuple)):
            return [tf.cast(o, tf.int32) for o in out]
        return tf.cast(out, tf.int32)
    return g


class NS:
    pass


ns = NS()
ns.where = i32out(tf.where)
ns.unravel_index = tf.unravel_index
case32 = case_adder(cases, ns, prefix="tf.")

x = np.array([[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]]], i32)
case("size_seed", "size", [x])
case("size_empty", "size", [np.zeros((2, 0), f32)])
case("rank_seed", "rank", [x])
case("rank_scalar", "rank", [np.array(1.5, f32)])
case("shape_seed", "shape", [x])
case("shape_empty", "shape", [np.zeros((0, 3), f32)])
case("shape_n", "shape_n", [[x, randn(4), np.zeros((2, 0), f32)]])
case("identity", "identity", [randn(3, 4)])
case("identity_n", "identity_n", [[randn(2), np.array([1, 2], i32)]])

t = np.arange(24, dtype=i32).reshape(1, 2, 3, 4)
case("reverse_seed_neg", "reverse", [t, [3]])
case("reverse_seed_1", "reverse", [t, [1]])
case("reverse_seed_2", "reverse", [t, [2]])
case("reverse_multi", "reverse", [randn(3, 4, 5), [0, -1]])
case("reverse_none", "reverse", [randn(3, 2), []])

case("roll_seed1", "roll", [np.array([0, 1, 2, 3, 4], i32), 2, 0])
case("roll_seed2", "roll", [np.arange(10, dtype=i32).reshape(2, 5), [1, -2], [0, 1]])
case("roll_seed3", "roll", [np.arange(10, dtype=i32).reshape(2, 5), [2, -3], [1, 1]])
case("roll_big", "roll", [randn(3, 7), [11], [-1]])
case("roll_empty", "roll", [np.zeros((0, 3), f32), [1], [0]])

case32("where_1arg_bool", "where", [np.array([[True, False], [False, True]])])
case32("where_1arg_3d", "where", [r.random((3, 2, 4)) > 0.5])
case32("where_1arg_none", "where", [np.zeros((3,), bool)])
case32("where_1arg_1d", "where", [np.array([True, False, False, True])])
case("where_seed", "where", [np.array([True, False, False, True]), np.array([1, 2, 3, 4], i32),
                             np.array([100, 200, 300, 400], i32)])
case("where_bcast", "where", [np.array([True, False, False, True]), np.array([1, 2, 3, 4], i32),
                              np.array(100, i32)])
case("where_bcast2", "where", [r.random((3, 1)) > 0.5, randn(1, 4), randn(3, 4)])

case("bm_seed1", "boolean_mask", [np.array([0, 1, 2, 3], i32), np.array([True, False, True, False])])
case("bm_seed2", "boolean_mask", [np.arange(6, dtype=i32).reshape(3, 2), np.array([True, False, True])])
case("bm_2d_mask", "boolean_mask", [randn(3, 4, 2), r.random((3, 4)) > 0.5])
case("bm_axis1", "boolean_mask", [randn(2, 5, 3), np.array([True, False, True, True, False])], {"axis": 1})
case("bm_none", "boolean_mask", [randn(3, 2), np.zeros(3, bool)])

case("seqmask_seed1", "sequence_mask", [np.array([1, 3, 2], i32), 5])
case("seqmask_seed2", "sequence_mask", [np.array([[1, 3], [2, 0]], i32)])
case("seqmask_float", "sequence_mask", [np.array([2, 0, 4], i32)], {"maxlen": 3, "dtype": "float32"})

xs = np.array([1, 2, 3], i32)
ys = np.array([4, 5, 6, 7], i32)
case("meshgrid_xy", "meshgrid", [xs, ys])
case("meshgrid_ij", "meshgrid", [xs, ys], {"indexing": "ij"})
case("meshgrid_3", "meshgrid", [randn(2), randn(3), randn(4)])

p = np.array([0, 1, 2, 3, 4, 5], f32) * 10
case("gather_seed1", "gather", [p, np.array([2, 0, 2, 5], i32)])
case("gather_seed2", "gather", [p, np.array([[2, 0], [2, 5]], i32)])
p2 = np.array([[0, 1.0, 2.0], [10.0, 11.0, 12.0], [20.0, 21.0, 22.0], [30.0, 31.0, 32.0]], f32)
case("gather_axis0", "gather", [p2, np.array([3, 1], i32)])
case("gather_axis1", "gather", [p2, np.array([2, 0, 2, 1], i32)], {"axis": 1})
case("gather_batch1", "gather", [randn(2, 4, 3), np.array([[1, 0, 3], [2, 2, 0]], i32)],
     {"axis": 1, "batch_dims": 1})
case("gather_batch1_axis2", "gather", [randn(2, 3, 5), np.array([[4, 0], [1, 1]], i32)],
     {"axis": 2, "batch_dims": 1})
case("gather_batch1_def", "gather", [randn(2, 4), np.array([[3, 0], [1, 2]], i32)], {"batch_dims": 1})

case("gnd_seed1", "gather_nd", [np.array([[1, 2], [3, 4]], i32), np.array([[0, 0], [1, 1]], i32)])
case("gnd_rows", "gather_nd", [randn(3, 4), np.array([[1], [0], [2]], i32)])
case("gnd_3d", "gather_nd", [randn(2, 3, 4), np.array([[[0, 1], [1, 2]]], i32)])
case("gnd_batch", "gather_nd", [randn(2, 3, 4), np.array([[[1], [2]], [[0], [0]]], i32)], {"batch_dims": 1})
case("gnd_full", "gather_nd", [randn(2, 3), np.array([1, 2], i32)])

case("snd_seed1", "scatter_nd", [np.array([[4], [3], [1], [7]], i32), np.array([9, 10, 11, 12], f32), [8]])
case("snd_seed2", "scatter_nd", [np.array([[0], [2]], i32),
                                 np.ones((2, 4, 4), f32) * np.array([5, 6], f32)[:, None, None], [4, 4, 4]])
case("snd_dup", "scatter_nd", [np.array([[1, 1], [0, 2], [1, 1]], i32), np.array([1, 2, 3], i32), [2, 3]])

case32("unravel_seed", "unravel_index", [np.array([2, 5, 7], i32), np.array([3, 3], i32)])
case32("unravel_scalar", "unravel_index", [np.array(1621, i32), np.array([6, 7, 8, 9], i32)])

case("range_seed1", "range", [3, 18, 3])
case("range_seed2", "range", [3, 1, -0.5])
case("range_seed3", "range", [5])
case("range_float", "range", [0.5, 2.0, 0.25])
case("range_dtype", "range", [4], {"dtype": "float32"})
case("range_empty", "range", [3, 3])

case("linspace_seed", "linspace", [np.array(10.0, f32), np.array(12.0, f32), 3])
case("linspace_batch", "linspace", [np.array([0.0, 5.0], f32), np.array([10.0, 40.0], f32), 3], {"axis": -1})
case("linspace_batch_axis0", "linspace", [np.array([0.0, 5.0], f32), np.array([10.0, 40.0], f32), 4])
case("linspace_bcast", "linspace", [np.array([[0.0], [1.0]], f32), np.array([2.0, 3.0, 4.0], f32), 5],
     {"axis": 1})
case("linspace_one", "linspace", [np.array(3.0, f32), np.array(7.0, f32), 1])
case("linspace_rand", "linspace", [randn(3), randn(3), 7])

x = np.arange(32, dtype=i32).reshape(4, 8)
case("revseq_seed1", "reverse_sequence", [x, np.array([7, 2, 3, 5], i32)], {"seq_axis": 1, "batch_axis": 0})
case("revseq_seed2", "reverse_sequence", [x.T.copy(), np.array([7, 2, 3, 5], i32)], {"seq_axis": 0, "batch_axis": 1})
case("revseq_3d", "reverse_sequence", [randn(3, 5, 2), np.array([0, 5, 2], i32)], {"seq_axis": 1, "batch_axis": 0})
case("revseq_3d_t", "reverse_sequence", [randn(4, 2, 3), np.array([3, 1], i32)], {"seq_axis": 0, "batch_axis": 1})

ns.parallel_stack = tf.function(tf.parallel_stack)
case32("parallel_stack_seed", "parallel_stack", [[np.array([1, 4], i32), np.array([2, 5], i32), np.array([3, 6], i32)]])
case32("parallel_stack_2d", "parallel_stack", [[r.integers(-9, 9, (2, 3)).astype(i32), r.integers(-9, 9, (2, 3)).astype(i32)]])

case("dynpart_seed", "dynamic_partition", [np.array([10, 20, 30, 40, 50], i32), np.array([0, 0, 1, 1, 0], i32), 2])
case("dynpart_2d", "dynamic_partition", [randn(3, 2, 4), r.integers(0, 3, (3, 2)).astype(i32), 3])
case("dynpart_empty_part", "dynamic_partition", [randn(4, 2), np.array([0, 2, 0, 2], i32), 3])

case("dynstitch_seed", "dynamic_stitch", [[np.array(6, i32), np.array([4, 1], i32), np.array([[5, 2], [0, 3]], i32)],
                                          [np.array([61, 62], i32), np.array([[41, 42], [11, 12]], i32),
                                           np.array([[[51, 52], [21, 22]], [[1, 2], [31, 32]]], i32)]])
case("dynstitch_dup", "dynamic_stitch", [[np.array([0, 1, 2], i32), np.array([1, 0], i32)],
                                         [randn(3), randn(2)]])


def bss(x, y):
    return tf.constant(tf.broadcast_static_shape(tf.TensorShape(x), tf.TensorShape(y)).as_list(), tf.int32)


ns.broadcast_static_shape = bss
ns.broadcast_dynamic_shape = tf.broadcast_dynamic_shape
case32("bss_seed", "broadcast_static_shape", [[1, 2, 3], [5, 1, 3]])
case32("bss_rank", "broadcast_static_shape", [[4, 1], [2, 3, 1, 5]])
case32("bds_seed", "broadcast_dynamic_shape", [np.array([1, 2, 3], i32), np.array([5, 1, 3], i32)])
case32("bds_empty", "broadcast_dynamic_shape", [np.array([0, 1], i32), np.array([3, 1, 4], i32)])

x = np.arange(1, 5, dtype=i32).reshape(1, 2, 2, 1)
case("s2b_seed1", "space_to_batch_nd", [x, [2, 2], [[0, 0], [0, 0]]])
case("s2b_seed2", "space_to_batch_nd", [np.arange(1, 13, dtype=i32).reshape(1, 2, 2, 3), [2, 2], [[0, 0], [0, 0]]])
case("s2b_seed3", "space_to_batch_nd", [np.arange(1, 17, dtype=i32).reshape(1, 4, 4, 1), [2, 2], [[0, 0], [0, 0]]])
case("s2b_seed4", "space_to_batch_nd", [np.arange(1, 17, dtype=i32).reshape(2, 2, 4, 1), [2, 2], [[0, 0], [2, 0]]])
case("s2b_pad_1d", "space_to_batch_nd", [randn(2, 5, 3), [3], [[1, 0]]])
case("s2b_v2_alias", "space_to_batch", [randn(2, 3, 4, 2), [2, 2], [[1, 0], [0, 2]]])
case("b2s_seed1", "batch_to_space", [np.arange(1, 5, dtype=i32).reshape(4, 1, 1, 1), [2, 2], [[0, 0], [0, 0]]])
case("b2s_seed2", "batch_to_space", [np.arange(1, 13, dtype=i32).reshape(4, 1, 1, 3), [2, 2], [[0, 0], [0, 0]]])
case("b2s_seed3", "batch_to_space", [np.arange(1, 17, dtype=i32).reshape(4, 2, 2, 1), [2, 2], [[0, 0], [0, 0]]])
case("b2s_seed4", "batch_to_space", [np.arange(1, 25, dtype=i32).reshape(8, 1, 3, 1), [2, 2], [[0, 0], [2, 0]]])
case("b2s_crop_1d", "batch_to_space", [randn(6, 2, 3), [3], [[1, 2]]])


def rstbp(*a, **k):
    p, c = tf.required_space_to_batch_paddings(*a, **k)
    return [tf.cast(p, tf.int32), tf.cast(c, tf.int32)]


ns.required_space_to_batch_paddings = rstbp
case32("rstbp_basic", "required_space_to_batch_paddings", [[5, 7], [2, 3]])
case32("rstbp_base", "required_space_to_batch_paddings", [[5, 6], [2, 3]], {"base_paddings": [[1, 0], [2, 2]]})

case("evp_valid", "extract_volume_patches", [randn(2, 4, 5, 3, 2), [1, 2, 2, 2, 1], [1, 1, 2, 1, 1], "VALID"])
case("evp_same", "extract_volume_patches", [randn(1, 3, 4, 5, 3), [1, 2, 3, 2, 1], [1, 2, 1, 3, 1], "SAME"])
case("evp_same_big", "extract_volume_patches", [randn(2, 2, 3, 2, 1), [1, 3, 3, 3, 1], [1, 1, 1, 1, 1], "SAME"])
case("evp_valid_empty", "extract_volume_patches", [randn(1, 2, 3, 3, 1), [1, 3, 1, 1, 1], [1, 1, 1, 1, 1], "VALID"])

write("ops_tf_array.json", cases, made_with=f"tensorflow {tf.__version__}")
