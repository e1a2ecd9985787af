"""Reference cases for the reductions, scans and nn ops (keras.ops, JAX backend).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/ops_reduce.py
Writes tests/conformance/ops_reduce.json.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import op_case, rng, write  # noqa: E402

import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

r = rng(7)
f = lambda *s: r.normal(size=s).astype("float32")  # noqa: E731
pos = lambda *s: r.uniform(0.5, 1.5, size=s).astype("float32")  # noqa: E731
ints = lambda lo, hi, *s: r.integers(lo, hi, size=s).astype("int32")  # noqa: E731

cases = []


def add(cid, name, args, kwargs=None, **tol):
    cases.append(op_case(cid, name, getattr(ops, name), args, kwargs, **tol))


x3 = f(2, 3, 4)
axes_list = [None, 0, -1, 1, [0, 2], [-1, 0], [0, 1, 2]]
for name in ["sum", "mean", "max", "min", "var", "std", "logsumexp"]:
    for i, axis in enumerate(axes_list):
        for keepdims in [False, True]:
            add(f"{name}_f32_ax{i}_k{int(keepdims)}", name, [x3], {"axis": axis, "keepdims": keepdims})
    add(f"{name}_int32", name, [ints(-9, 9, 3, 5)], {"axis": 1})
    add(f"{name}_scalar", name, [np.float32(2.5)])
for i, axis in enumerate(axes_list):
    add(f"prod_f32_ax{i}", "prod", [pos(2, 3, 4)], {"axis": axis, "keepdims": i % 2 == 0})
add("prod_int32", "prod", [ints(-3, 4, 3, 4)], {"axis": 0})
add("sum_bool", "sum", [r.uniform(size=(3, 4)) > 0.5], {"axis": -1})
add("prod_bool", "prod", [r.uniform(size=(3, 4)) > 0.3], {"axis": 0})
add("max_bool", "max", [r.uniform(size=(3, 4)) > 0.7], {"axis": 1})
add("min_bool_all", "min", [r.uniform(size=(3, 4)) > 0.1])
add("mean_bool", "mean", [r.uniform(size=(5,)) > 0.5])
add("sum_empty", "sum", [np.zeros((2, 0), "float32")], {"axis": 1})
add("prod_empty", "prod", [np.zeros((0, 3), "float32")], {"axis": 0})
add("mean_empty", "mean", [np.zeros((0, 3), "float32")], {"axis": 0})
add("sum_empty_all", "sum", [np.zeros((0,), "int32")])
add("max_empty_rows", "max", [np.zeros((0, 3), "float32")], {"axis": 1})
add("max_nan", "max", [np.array([[1.0, np.nan, 3.0], [1.0, 2.0, -np.inf]], "float32")], {"axis": 1})
add("min_inf", "min", [np.array([np.inf, 2.0, -1.0], "float32")])
add("sum_long_row", "sum", [r.uniform(size=(2, 20000)).astype("float32")], {"axis": 1})
add("max_long_row", "max", [f(1, 30000)], {"axis": -1})
add("var_offset", "var", [(f(4, 50) + 1000.0).astype("float32")], {"axis": 1}, rtol=1e-3)
add("logsumexp_large", "logsumexp", [np.array([[1000.0, 1000.0], [-1000.0, -1001.0]], "float32")], {"axis": 1})
add("logsumexp_neginf", "logsumexp", [np.array([[-np.inf, -np.inf], [0.0, -np.inf]], "float32")], {"axis": 1})

for name in ["argmax", "argmin"]:
    for i, axis in enumerate([None, 0, 1, -1]):
        for keepdims in [False, True]:
            add(f"{name}_ax{i}_k{int(keepdims)}", name, [f(3, 5)], {"axis": axis, "keepdims": keepdims})
    add(f"{name}_ties", name, [ints(0, 3, 4, 6)], {"axis": 1})
    add(f"{name}_ties_flat", name, [ints(0, 2, 4, 6)])
    add(f"{name}_nan", name, [np.array([[1.0, np.nan, 5.0, np.nan], [2.0, 2.0, 1.0, 1.0]], "float32")], {"axis": 1})
    add(f"{name}_3d", name, [f(2, 3, 4)], {"axis": 1})
    add(f"{name}_long", name, [f(2, 20000)], {"axis": 1})
    add(f"{name}_bool", name, [r.uniform(size=(3, 4)) > 0.5], {"axis": 0})

v = f(7)
m = f(4, 5)
for i, o in enumerate([None, 1, 2, 3, 0.5, 0, np.inf, -np.inf, -1.5]):
    add(f"norm_vec_ord{i}", "norm", [v], {"ord": o})
    add(f"norm_axis_ord{i}", "norm", [m], {"ord": o, "axis": 1, "keepdims": i % 2 == 1})
for i, o in enumerate([None, "fro", 1, -1, np.inf, -np.inf]):
    add(f"norm_mat_ord{i}", "norm", [m], {"ord": o})
    add(f"norm_mat_axes_ord{i}", "norm", [f(2, 3, 4)], {"ord": o, "axis": (2, 0), "keepdims": i % 2 == 0})
add("norm_default_3d", "norm", [f(2, 3, 4)])
add("norm_int", "norm", [ints(-5, 5, 6)], {"axis": 0})

for name in ["cumsum", "cumprod"]:
    make = f if name == "cumsum" else pos
    for i, axis in enumerate([None, 0, 1, -1]):
        add(f"{name}_ax{i}", name, [make(3, 4)], {"axis": axis})
    add(f"{name}_3d", name, [make(2, 3, 4)], {"axis": 1})
    add(f"{name}_int", name, [ints(-3, 4, 3, 5)], {"axis": 1})
    add(f"{name}_bool", name, [r.uniform(size=(6,)) > 0.5])
    add(f"{name}_dtype", name, [ints(-3, 4, 4)], {"dtype": "float32"})
    add(f"{name}_empty", name, [np.zeros((2, 0), "float32")], {"axis": 1})
add("cumsum_long", "cumsum", [r.uniform(size=(2, 3000)).astype("float32")], {"axis": 1}, rtol=1e-4)

for name in ["softmax", "log_softmax"]:
    for i, axis in enumerate([-1, 0, 1]):
        add(f"{name}_ax{i}", name, [f(3, 4, 5) * 4], {"axis": axis})
    add(f"{name}_large", name, [np.array([[1000.0, 1001.0, 999.0], [-1e4, 0.0, 1e4]], "float32")])
    add(f"{name}_int", name, [ints(-3, 3, 2, 5)])
    add(f"{name}_1d", name, [f(9)])
    add(f"{name}_neginf", name, [np.array([[0.0, -np.inf, 1.0]], "float32")], {"axis": -1})

for i, (axis, order) in enumerate([(-1, 2), (0, 2), (-1, 1), (1, 3), (0, 1)]):
    add(f"normalize_{i}", "normalize", [f(4, 5)], {"axis": axis, "order": order})
add("normalize_eps", "normalize", [np.array([[1e-9, 0.0], [3.0, 4.0]], "float32")], {"axis": -1, "order": 2, "epsilon": 1e-6})
add("normalize_zero", "normalize", [np.zeros((2, 3), "float32")])
add("normalize_1d_order1", "normalize", [f(6)], {"order": 1, "epsilon": 0.5})

for i, (axes, keepdims) in enumerate([([0], False), ([1], True), ([0, 2], False), ([-1], True), ([0, 1, 2], False)]):
    add(f"moments_{i}", "moments", [f(3, 4, 5)], {"axes": axes, "keepdims": keepdims})
add("moments_int", "moments", [ints(-5, 5, 4, 3)], {"axes": [0]})
add("moments_offset", "moments", [(f(64) * 0.1 + 500.0).astype("float32")], {"axes": [0]}, rtol=1e-4)

write("ops_reduce.json", cases)
