"""Reference cases for the layout ops (reshape, transpose, swapaxes, moveaxis, expand_dims,
squeeze, concatenate, stack, unstack, split, slice, slice_update, tile, repeat, flip, pad,
broadcast_to, tril, triu), from keras.ops with the JAX backend.

Run: KERAS_BACKEND=jax python tools/refgen/ops_layout.py  -> tests/conformance/ops_layout.json
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

from common import op_case, rng, write  # noqa: E402

R = rng(7)


def f32(*shape):
    return R.standard_normal(shape).astype("float32")


def i32(*shape):
    return R.integers(-50, 50, size=shape).astype("int32")


def b(*shape):
    return R.random(shape) < 0.5


cases = []


def case(cid, name, args, kwargs=None):
    cases.append(op_case(f"{name}.{cid}", name, getattr(ops, name), args, kwargs))


# reshape / transpose
case("minus1", "reshape", [f32(2, 3, 4), (4, -1)])
case("int", "reshape", [i32(6), (3, 1, 2)])
case("to0d", "reshape", [f32(1, 1), ()])
case("empty", "reshape", [f32(2, 0, 3), (0, 6)])
case("default", "transpose", [f32(2, 3, 5)])
case("axes", "transpose", [i32(2, 3, 5), (1, 0, 2)])
case("neg_axes", "transpose", [f32(2, 1, 4, 3)], {"axes": (-1, 0, 2, 1)})
case("bool", "transpose", [b(3, 4)])

# swapaxes / moveaxis
case("basic", "swapaxes", [f32(2, 3, 4), 0, 2])
case("neg", "swapaxes", [i32(2, 3, 4), -1, 1])
case("same", "swapaxes", [f32(3, 5), 1, 1])
case("int", "moveaxis", [f32(2, 3, 4), 0, -1])
case("lists", "moveaxis", [f32(2, 3, 4, 5), [0, 1], [-1, 0]])
case("bool", "moveaxis", [b(3, 1, 2)], {"source": 2, "destination": 0})

# expand_dims / squeeze
case("front", "expand_dims", [f32(3, 4), 0])
case("neg", "expand_dims", [i32(3, 4), -1])
case("tuple", "expand_dims", [f32(3, 4), (0, -1)])
case("tuple_mid", "expand_dims", [f32(3, 4), (1, 3)])
case("scalar", "expand_dims", [np.float32(2.5), 0])
case("all", "squeeze", [f32(1, 3, 1, 4)])
case("axis", "squeeze", [f32(1, 3, 1, 4)], {"axis": 2})
case("neg_axis", "squeeze", [i32(3, 1)], {"axis": -1})
case("tuple", "squeeze", [b(1, 3, 1)], {"axis": (0, 2)})
case("none_to_scalar", "squeeze", [f32(1, 1)])

# concatenate / stack / unstack / split
case("axis0", "concatenate", [[f32(2, 3), f32(4, 3)]])
case("axis1", "concatenate", [[f32(2, 3), f32(2, 1), f32(2, 5)]], {"axis": 1})
case("neg_axis", "concatenate", [[i32(2, 2, 3), i32(2, 2, 2)]], {"axis": -1})
case("promote_int_float", "concatenate", [[i32(2, 2), f32(2, 2)]], {"axis": 0})
case("promote_bool_int", "concatenate", [[b(3), i32(2)]])
case("empty_part", "concatenate", [[f32(0, 3), f32(2, 3)]])
case("bool", "concatenate", [[b(2, 2), b(2, 1)]], {"axis": 1})
case("axis0", "stack", [[f32(2, 3), f32(2, 3), f32(2, 3)]])
case("axis1", "stack", [[i32(2, 3), i32(2, 3)]], {"axis": 1})
case("neg_axis", "stack", [[f32(2, 3), f32(2, 3)]], {"axis": -1})
case("promote", "stack", [[b(4), f32(4)]])
case("axis0", "unstack", [f32(3, 4)])
case("axis1", "unstack", [i32(2, 3, 2)], {"axis": 1})
case("num_neg", "unstack", [f32(2, 3)], {"num": 3, "axis": -1})
case("sections", "split", [f32(6, 2), 3])
case("sections_axis1", "split", [i32(2, 6), 2], {"axis": 1})
case("indices", "split", [f32(7, 3), [2, 5]])
case("indices_empty_piece", "split", [f32(2, 5), [2, 2]], {"axis": -1})
case("bool", "split", [b(4, 3), 2])

# slice / slice_update
case("basic", "slice", [f32(4, 5), [1, 2], [2, 3]])
case("minus1", "slice", [i32(4, 5), [1, 2], [2, -1]])
case("clamp", "slice", [f32(2, 5), [1, 3], [1, 4]])
case("neg_start", "slice", [f32(2, 5), [-1, -2], [1, 2]])
case("3d", "slice", [f32(3, 4, 5)], {"start_indices": [0, 1, 2], "shape": [3, 2, 1]})
case("basic", "slice_update", [f32(4, 5), [1, 2], f32(2, 3)])
case("int", "slice_update", [i32(3, 3), [0, 1], i32(3, 2)])
case("clamp", "slice_update", [f32(2, 5), [1, 4], f32(1, 2)])
case("bool", "slice_update", [b(3, 3), [1, 1], b(1, 2)])

# tile / repeat / flip
case("same_rank", "tile", [f32(2, 3), [2, 3]])
case("longer_reps", "tile", [i32(3), [2, 2]])
case("shorter_reps", "tile", [f32(2, 3), [2]])
case("zero", "tile", [f32(2, 3), [0, 2]])
case("bool", "tile", [b(2, 1, 2), [1, 3, 1]])
case("flat", "repeat", [f32(2, 3), 2])
case("axis0", "repeat", [f32(2, 3), 3], {"axis": 0})
case("axis_neg", "repeat", [i32(2, 3), 2], {"axis": -1})
case("per_element", "repeat", [f32(2, 5), np.array([1, 0, 2, 1, 3])], {"axis": 1})
case("one_element_list", "repeat", [i32(3, 2), np.array([2])], {"axis": 0})
case("zero", "repeat", [f32(2, 3), 0], {"axis": 0})
case("bool", "repeat", [b(2, 2), 2], {"axis": 1})
case("none", "flip", [f32(3, 4)])
case("axis", "flip", [i32(3, 4, 2)], {"axis": 1})
case("tuple", "flip", [f32(3, 4, 2)], {"axis": (0, -1)})
case("bool", "flip", [b(5)])

# pad
case("int_width", "pad", [f32(2, 3), 1])
case("pairs", "pad", [f32(2, 3), [[1, 0], [0, 2]]])
case("one_pair", "pad", [i32(2, 3), [[1, 2]]])
case("flat_pair", "pad", [f32(2, 3), [2, 1]])
case("constant_value", "pad", [f32(2, 2), 1], {"constant_values": 7.5})
case("constant_int", "pad", [i32(2, 2), [[0, 1], [2, 0]]], {"constant_values": 3})
case("bool", "pad", [b(2, 2), 1])
case("edge", "pad", [f32(2, 3), [[1, 2], [2, 1]]], {"mode": "edge"})
case("reflect", "pad", [f32(3, 4), [[2, 1], [1, 3]]], {"mode": "reflect"})
case("reflect_wide", "pad", [i32(3), [[5, 4]]], {"mode": "reflect"})
case("symmetric", "pad", [f32(3, 4), [[2, 1], [1, 3]]], {"mode": "symmetric"})
case("symmetric_wide", "pad", [i32(3), [[5, 4]]], {"mode": "symmetric"})
case("wrap", "pad", [f32(2, 3), [[1, 2], [4, 0]]], {"mode": "wrap"})
case("reflect_size1", "pad", [f32(1, 3), [[2, 2], [0, 0]]], {"mode": "reflect"})

# broadcast_to / tril / triu
case("basic", "broadcast_to", [f32(3, 1), (2, 3, 4)])
case("same", "broadcast_to", [i32(2, 3), (2, 3)])
case("scalar", "broadcast_to", [np.float32(1.5), (2, 2)])
case("zero", "broadcast_to", [f32(1, 3), (0, 3)])
case("bool", "broadcast_to", [b(1, 2), (3, 2)])
case("default", "tril", [f32(4, 5)])
case("k_pos", "tril", [f32(4, 5)], {"k": 1})
case("k_neg", "tril", [i32(2, 3, 4)], {"k": -1})
case("bool", "tril", [b(3, 3)])
case("k_big", "tril", [f32(3, 3)], {"k": 10})
case("default", "triu", [f32(4, 5)])
case("k_pos", "triu", [i32(4, 5)], {"k": 2})
case("k_neg", "triu", [f32(2, 3, 4)], {"k": -1})
case("k_very_neg", "triu", [f32(3, 3)], {"k": -10})

write("ops_layout.json", cases)
