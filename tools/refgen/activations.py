"""Reference cases for keras.activations (relu, sigmoid, tanh, softmax, linear), as
`activation` cases. Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

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


def act(cid, name, x, kwargs=None, rtol=None, atol=None):
    kwargs = kwargs or {}
    fn = getattr(keras.activations, name)
    out = np.asarray(fn(x, **kwargs))
    c = {"id": cid, "kind": "activation", "name": name, "kwargs": kwargs, "x": tensor(x), "expected": tensor(out)}
    if rtol is not None:
        c["rtol"] = rtol
    if atol is not None:
        c["atol"] = atol
    cases.append(c)


SHAPES = {"1d": (7,), "2d": (3, 5), "3d": (2, 3, 4)}
for name in ["relu", "sigmoid", "tanh", "softmax", "linear"]:
    for tag, shape in SHAPES.items():
        act(f"{name}_{tag}", name, f32(*shape))
    act(f"{name}_saturate_2d", name, saturating(4, 6))
    act(f"{name}_saturate_3d", name, saturating(2, 2, 5))

# softmax over another axis; a row of equal values; a row with one huge logit
act("softmax_axis0_2d", "softmax", f32(4, 3), {"axis": 0})
act("softmax_axis1_3d", "softmax", f32(2, 3, 4), {"axis": 1})
act("softmax_axis0_3d_saturate", "softmax", saturating(3, 2, 4), {"axis": 0})
act("softmax_axis_neg2_3d", "softmax", f32(2, 5, 3), {"axis": -2})
act("softmax_equal_rows", "softmax", np.full((2, 4), 7.0, "float32"))
act("softmax_1d_default", "softmax", np.array([1.0, 2.0, 3.0, 30.0, -30.0], "float32"))

# relu kwargs
x = np.array([-30.0, -5.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.0, 6.0, 7.5, 30.0], "float32")
act("relu_negative_slope", "relu", x, {"negative_slope": 0.1})
act("relu_max_value", "relu", x, {"max_value": 6.0})
act("relu_threshold", "relu", x, {"threshold": 0.5})
act("relu_all_kwargs", "relu", x, {"negative_slope": 0.2, "max_value": 6.0, "threshold": 1.0})
act("relu_negative_slope_max_value_2d", "relu", f32(3, 4, scale=5.0), {"negative_slope": 0.3, "max_value": 2.5})
act("relu_threshold_3d", "relu", f32(2, 2, 3), {"threshold": -1.0})
act("relu_max_value_only_3d", "relu", saturating(2, 3, 2), {"max_value": 10.0})

write("activations.json", cases)
