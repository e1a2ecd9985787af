"""Reference cases for the elementwise, creation and cast ops of keras.ops.

Run: KERAS_BACKEND=jax python tools/refgen/ops_elementwise.py
Writes tests/conformance/ops_elementwise.json.
"""
import numpy as np
import keras
from keras import ops

from common import op_case, rng, write

r = rng(20261121)
cases = []


def f32(*shape, lo=-3.0, hi=3.0):
    return r.uniform(lo, hi, size=shape).astype("float32")


def i32(*shape, lo=-9, hi=10):
    return r.integers(lo, hi, size=shape).astype("int32")


UNARY = {
    "negative": (-3, 3), "abs": (-3, 3), "sign": (-3, 3), "exp": (-6, 6), "expm1": (-1, 1),
    "log": (0.01, 20), "log1p": (-0.9, 5), "sqrt": (0, 10), "rsqrt": (0.1, 10), "square": (-3, 3),
    "reciprocal": (0.2, 5), "sin": (-4, 4), "cos": (-4, 4), "tan": (-1.2, 1.2), "tanh": (-5, 5),
    "sigmoid": (-10, 10), "relu": (-3, 3), "softplus": (-10, 10), "erf": (-3, 3),
    "floor": (-5, 5), "ceil": (-5, 5), "round": (-5, 5),
}
for name, (lo, hi) in UNARY.items():
    fn = getattr(ops, name)
    for shape in [(), (7,), (3, 4), (2, 0, 3)]:
        cases.append(op_case(f"{name}_f32_{'x'.join(map(str, shape)) or 'scalar'}", name, fn, [f32(*shape, lo=lo, hi=hi)]))
    if name in ("negative", "abs", "sign", "square", "relu", "round", "exp", "sqrt", "floor"):
        lo_i = 0 if name == "sqrt" else -9
        cases.append(op_case(f"{name}_i32", name, fn, [i32(2, 5, lo=lo_i)]))
cases.append(op_case("round_half_even", "round", ops.round, [np.array([0.5, 1.5, 2.5, -0.5, -1.5, 3.49], "float32")]))

special = np.array([0.0, -1.5, np.nan, np.inf, -np.inf, 2.0], "float32")
for name in ["isnan", "isfinite", "logical_not", "abs", "sign", "exp", "relu", "floor"]:
    cases.append(op_case(f"{name}_special", name, getattr(ops, name), [special]))
cases.append(op_case("logical_not_bool", "logical_not", ops.logical_not, [np.array([True, False, True])]))
cases.append(op_case("nan_to_num_default", "nan_to_num", ops.nan_to_num, [special]))
cases.append(op_case("nan_to_num_values", "nan_to_num", ops.nan_to_num, [special], {"nan": 1.5, "posinf": 100.0, "neginf": -100.0}))

BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "equal", "not_equal",
          "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or"]
PAIRS = [((), ()), ((5,), ()), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((2, 1, 3), (5, 1)), ((0, 3), (1, 3))]
for name in BINARY:
    fn = getattr(ops, name)
    for a_shape, b_shape in PAIRS:
        lo, hi = (0.2, 3.0) if name == "power" else (-3.0, 3.0)
        a = f32(*a_shape, lo=lo, hi=hi)
        b = f32(*b_shape, lo=-2.0 if name == "power" else lo, hi=hi)
        tag = f"{'x'.join(map(str, a_shape)) or 's'}_{'x'.join(map(str, b_shape)) or 's'}"
        cases.append(op_case(f"{name}_f32_{tag}", name, fn, [a, b]))
    cases.append(op_case(f"{name}_i32", name, fn, [i32(3, 4, lo=1 if name in ("divide", "power") else -5, hi=5), i32(4, lo=1 if name in ("divide", "power") else -5, hi=4)]))
    cases.append(op_case(f"{name}_mixed_i32_f32", name, fn, [i32(3, 1, lo=1, hi=4), f32(2, lo=0.5, hi=2.0)]))
cases.append(op_case("power_negative_base_integral_exponent", "power", ops.power,
                     [np.array([-2.0, -3.0, -2.0, 4.0], "float32"), np.array([2.0, 3.0, 0.5, -0.5], "float32")]))
cases.append(op_case("maximum_nan", "maximum", ops.maximum, [special, np.float32(1.0)]))
cases.append(op_case("equal_bool", "equal", ops.equal, [np.array([True, False, True]), np.array([True, True, False])]))
cases.append(op_case("logical_and_bool", "logical_and", ops.logical_and, [np.array([True, False, True]), np.array([True, True, False])]))

cond = r.uniform(size=(3, 1)) > 0.5
cases.append(op_case("where_broadcast", "where", ops.where, [cond, f32(3, 4), f32(4)]))
cases.append(op_case("where_int", "where", ops.where, [np.array([True, False, True]), i32(3), i32(3)]))
cases.append(op_case("clip_f32", "clip", ops.clip, [f32(4, 5)], {"x_min": -0.5, "x_max": 1.25}))
cases.append(op_case("clip_i32", "clip", ops.clip, [i32(10)], {"x_min": -2, "x_max": 3}))

x = np.array([-2.7, -0.5, 0.0, 0.4, 1.0, 3.9], "float32")
for dtype in ["int32", "float16", "bool", "float32"]:
    cases.append(op_case(f"cast_f32_to_{dtype}", "cast", ops.cast, [x], {"dtype": dtype}))
cases.append(op_case("cast_i32_to_f32", "cast", ops.cast, [i32(5)], {"dtype": "float32"}))
cases.append(op_case("cast_bool_to_i32", "cast", ops.cast, [np.array([True, False])], {"dtype": "int32"}))

cases.append(op_case("zeros", "zeros", ops.zeros, [(2, 3)]))
cases.append(op_case("ones_int", "ones", ops.ones, [(4,)], {"dtype": "int32"}))
cases.append(op_case("full", "full", ops.full, [(2, 2), 7.5]))
cases.append(op_case("full_int", "full", ops.full, [(3,), 4], {"dtype": "int32"}))
cases.append(op_case("zeros_like", "zeros_like", ops.zeros_like, [f32(2, 3)]))
cases.append(op_case("ones_like_int", "ones_like", ops.ones_like, [i32(4)]))
cases.append(op_case("full_like", "full_like", ops.full_like, [f32(3), 2.5]))
cases.append(op_case("arange_stop", "arange", ops.arange, [5]))
cases.append(op_case("arange_float", "arange", ops.arange, [0.5, 3.0, 0.5]))
cases.append(op_case("arange_negative_step", "arange", ops.arange, [10, 2, -3]))
cases.append(op_case("arange_dtype", "arange", ops.arange, [1, 7, 2], {"dtype": "float32"}))
cases.append(op_case("linspace", "linspace", ops.linspace, [0.0, 1.0, 5]))
cases.append(op_case("linspace_no_endpoint", "linspace", ops.linspace, [-1.0, 2.0], {"num": 6, "endpoint": False}))
cases.append(op_case("eye", "eye", ops.eye, [3]))
cases.append(op_case("eye_rect_k", "eye", ops.eye, [3, 5], {"k": 2}))
cases.append(op_case("eye_neg_k_int", "eye", ops.eye, [4, 3], {"k": -1, "dtype": "int32"}))

write("ops_elementwise.json", cases)
