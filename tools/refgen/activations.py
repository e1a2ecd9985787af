"""Reference cases for every function of keras.activations (and the aliases swish and
hard_swish), each keyword argument, as `activation` cases. Pinned: keras==3.15.1, jax==0.10.2
(requirements.txt).

Inputs: random float32 of several ranks, values spread over [-30, 30] with the extremes (for
saturation), values at and around each function's kinks and thresholds, and large magnitudes.
The case's `name` is what keras.activations.get takes; `kwargs` are passed by keyword.

Note: Keras 3.15.1's sparsemax (JAX backend) computes tau from the sum of the cumulative sums
over the support, not the textbook (c_k - 1) / k; the cases record Keras's numbers.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/activations.py
Writes tests/conformance/activations.json.
"""
import numpy as np
import keras

from common import rng, tensor, write

r = rng(20260301)
cases = []


def f32(*shape, scale=3.0):
    return (r.standard_normal(shape) * scale).astype("float32")


def saturating(*shape):
    """Values spread over [-30, 30] with the extremes included, to check saturation."""
    x = r.uniform(-30.0, 30.0, size=shape).astype("float32")
    flat = x.reshape(-1)
    flat[:4] = [30.0, -30.0, 0.0, 25.0][: flat.size]
    return x


def around(*points, eps=(0.0, 1e-3, 0.25)):
    """Each point, and points +- each eps, as one float32 vector."""
    v = sorted({p + s * e for p in points for e in eps for s in (-1.0, 1.0)})
    return np.array(v, "float32")


LARGE = np.array([-1e4, -500.0, -100.0, -88.0, -50.0, -20.0, 20.0, 50.0, 88.0, 100.0, 500.0, 1e4], "float32")


def act(cid, name, x, kwargs=None, rtol=None, atol=None):
    kwargs = kwargs or {}
    fn = keras.activations.get(name)
    # A list axis is Keras's tuple axis (JSON has no tuples).
    out = np.asarray(fn(x, **{k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}))
    c = {"id": cid, "kind": "activation", "name": name, "kwargs": kwargs, "x": tensor(x), "expected": tensor(out)}
    if rtol is not None:
        c["rtol"] = rtol
    if atol is not None:
        c["atol"] = atol
    cases.append(c)


SHAPES = {"1d": (7,), "2d": (3, 5), "3d": (2, 3, 4)}
# Elementwise functions: kinks where the function changes form (checked at and around them).
ELEMENTWISE = {
    "relu": [0.0],
    "sigmoid": [0.0],
    "tanh": [0.0],
    "linear": [0.0],
    "exponential": [0.0],
    "leaky_relu": [0.0],
    "relu6": [0.0, 6.0],
    "celu": [0.0],
    "elu": [0.0],
    "selu": [0.0],
    "gelu": [0.0],
    "hard_shrink": [-0.5, 0.5],
    "hard_sigmoid": [-3.0, 3.0],
    "hard_silu": [-3.0, 3.0],
    "hard_swish": [-3.0, 3.0],
    "hard_tanh": [-1.0, 1.0],
    "log_sigmoid": [0.0],
    "mish": [0.0],
    "silu": [0.0],
    "swish": [0.0],
    "soft_shrink": [-0.5, 0.5],
    "softplus": [0.0],
    "softsign": [0.0],
    "sparse_plus": [-1.0, 1.0],
    "sparse_sigmoid": [-1.0, 1.0],
    "squareplus": [0.0],
    "tanh_shrink": [0.0],
}
for name, kinks in ELEMENTWISE.items():
    for tag, shape in SHAPES.items():
        act(f"{name}_{tag}", name, f32(*shape))
    act(f"{name}_saturate_2d", name, saturating(4, 6))
    act(f"{name}_kinks", name, around(*kinks))
    if name not in ("exponential",):
        act(f"{name}_large", name, LARGE)
act("exponential_large", "exponential", np.array([-200.0, -100.0, -20.0, 20.0, 80.0, 88.0], "float32"))
act("exponential_overflow", "exponential", np.array([89.0, 100.0, 1000.0], "float32"))

# Keyword arguments of the elementwise functions.
x = np.array([-30.0, -5.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.0, 6.0, 7.5, 30.0], "float32")
act("relu_negative_slope", "relu", x, {"negative_slope": 0.1})
act("relu_max_value", "relu", x, {"max_value": 6.0})
act("relu_max_value_int6", "relu", x, {"max_value": 6})
act("relu_threshold", "relu", x, {"threshold": 0.5})
act("relu_all_kwargs", "relu", x, {"negative_slope": 0.2, "max_value": 6.0, "threshold": 1.0})
act("relu_negative_slope_max_value_2d", "relu", f32(3, 4, scale=5.0), {"negative_slope": 0.3, "max_value": 2.5})
act("relu_negative_slope_threshold", "relu", x, {"negative_slope": 0.5, "threshold": 2.0})
act("relu_threshold_3d", "relu", f32(2, 2, 3), {"threshold": -1.0})
act("relu_max_value_only_3d", "relu", saturating(2, 3, 2), {"max_value": 10.0})
act("relu_max_value_none", "relu", x, {"max_value": None})
act("relu_kinks_threshold_max", "relu", around(1.0, 4.0), {"threshold": 1.0, "max_value": 4.0})
for ns in [0.0, 0.01, 0.3, 1.5]:
    act(f"leaky_relu_slope_{ns}", "leaky_relu", x, {"negative_slope": ns})
act("leaky_relu_default_2d", "leaky_relu", f32(3, 4))
for a in [0.5, 2.0]:
    act(f"elu_alpha_{a}", "elu", x, {"alpha": a})
    act(f"celu_alpha_{a}", "celu", x, {"alpha": a})
act("elu_alpha_0", "elu", x, {"alpha": 0.0})
act("celu_alpha_3_2d", "celu", f32(3, 4), {"alpha": 3.0})
for approx in [False, True]:
    tag = "approx" if approx else "exact"
    act(f"gelu_{tag}_2d", "gelu", f32(4, 5), {"approximate": approx})
    act(f"gelu_{tag}_large", "gelu", np.array([-30.0, -10.0, -6.0, -4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 30.0], "float32"),
        {"approximate": approx})
for t in [0.0, 0.25, 1.0, 2.0]:
    act(f"hard_shrink_threshold_{t}", "hard_shrink", around(-t, t) if t else x, {"threshold": t})
    act(f"soft_shrink_threshold_{t}", "soft_shrink", around(-t, t) if t else x, {"threshold": t})
act("hard_shrink_threshold_2d", "hard_shrink", f32(3, 4), {"threshold": 1.5})
act("soft_shrink_threshold_2d", "soft_shrink", f32(3, 4), {"threshold": 1.5})
for b in [0, 1, 4.0, 10.5]:
    act(f"squareplus_b_{b}", "squareplus", x, {"b": b})
act("squareplus_b_2_2d", "squareplus", f32(3, 4), {"b": 2})
for t, d in [(0.0, 0.0), (0.5, -1.0), (-1.0, 7.0), (2.0, 2.0)]:
    act(f"threshold_{t}_{d}", "threshold", np.concatenate([x, around(t)]), {"threshold": t, "default_value": d})
act("threshold_3d", "threshold", f32(2, 3, 4), {"threshold": 1.0, "default_value": -3.0})

# Axis functions: several axes, large logits, equal rows.
for name in ["softmax", "log_softmax", "sparsemax"]:
    for tag, shape in SHAPES.items():
        act(f"{name}_{tag}", name, f32(*shape))
    act(f"{name}_saturate_2d", name, saturating(4, 6))
    act(f"{name}_axis0_2d", name, f32(4, 3), {"axis": 0})
    act(f"{name}_axis1_3d", name, f32(2, 3, 4), {"axis": 1})
    act(f"{name}_axis0_3d", name, f32(3, 2, 4), {"axis": 0})
    act(f"{name}_axis_neg2_3d", name, f32(2, 5, 3), {"axis": -2})
    act(f"{name}_axis_last_4d", name, f32(2, 2, 2, 5), {"axis": 3})
    act(f"{name}_equal_rows", name, np.full((2, 4), 7.0, "float32"))
    act(f"{name}_1d_large", name, np.array([1.0, 2.0, 3.0, 30.0, -30.0], "float32"))
    act(f"{name}_large_logits", name, np.array([[1000.0, 999.0, -1000.0], [-500.0, -501.0, -499.5]], "float32"))
    act(f"{name}_axis_size1", name, f32(3, 1))
for name in ["softmax", "log_softmax"]:
    act(f"{name}_axes_0_1_3d", name, f32(2, 3, 4), {"axis": [0, 1]})
    act(f"{name}_axes_1_2_3d", name, f32(2, 3, 4), {"axis": [1, 2]})
    act(f"{name}_axes_single_list", name, f32(3, 4), {"axis": [0]})
act("sparsemax_ties", "sparsemax",
    np.array([[1.0, 1.0, 1.0], [3.0, 0.0, 0.0], [0.5, 2.0, 2.0], [0.1, 0.2, 0.15], [-1.0, 0.0, -1.0]], "float32"))
act("sparsemax_small_spread", "sparsemax", f32(4, 6, scale=0.2))
act("sparsemax_small_spread_axis0", "sparsemax", f32(5, 3, scale=0.3), {"axis": 0})
act("sparsemax_wide", "sparsemax", f32(3, 17, scale=0.5))

for tag, shape, axis in [("last_2d", (3, 4), -1), ("axis0_2d", (4, 3), 0), ("axis1_3d", (2, 6, 3), 1),
                         ("last_3d", (2, 3, 8), -1), ("neg2_3d", (2, 2, 3), -2)]:
    kw = {} if axis == -1 else {"axis": axis}
    act(f"glu_{tag}", "glu", f32(*shape), kw)
act("glu_saturate", "glu", saturating(3, 6))
act("glu_axis_minus1_explicit", "glu", f32(2, 4), {"axis": -1})

write("activations.json", cases)
