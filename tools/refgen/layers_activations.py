"""Reference cases for the activation layers ReLU, LeakyReLU, ELU, PReLU and Softmax, as
`layer` cases (config, build, weights, call). Pinned: keras==3.15.1, jax==0.10.2
(requirements.txt).

PReLU's `alpha` is set to random values (its default initializer gives zeros), so the
learned slope is checked, with and without shared_axes.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/layers_activations.py
Writes tests/conformance/layers_activations.json.
"""
import numpy as np
import keras

from common import layer_case, rng, write

keras.utils.set_random_seed(20260411)
r = rng(20260411)
cases = []
L = keras.layers


def f32(*shape, scale=3.0):
    return (r.standard_normal(shape) * scale).astype("float32")


def with_kinks(*shape, points=(0.0,)):
    """Random values with the kink points written in the first entries."""
    x = f32(*shape)
    flat = x.reshape(-1)
    pts = [p for p in points] + [-30.0, 30.0]
    flat[: min(len(pts), flat.size)] = pts[: flat.size]
    return x


def add(cid, layer, x, randomize=False, rtol=None, atol=None):
    weights = (lambda layer: [f32(*w.shape, scale=0.5) for w in layer.get_weights()]) if randomize else None
    cases.append(layer_case(cid, layer, x, None, weights, rtol, atol))


# ReLU
add("relu_default_2d", L.ReLU(), with_kinks(3, 5))
add("relu_default_3d", L.ReLU(), f32(2, 3, 4))
add("relu_max_value_6_int", L.ReLU(max_value=6), with_kinks(4, 5, points=(0.0, 6.0, 5.999, 6.001)))
add("relu_max_value_6_float", L.ReLU(max_value=6.0), with_kinks(4, 5, points=(0.0, 6.0)))
add("relu_max_value_2.5", L.ReLU(max_value=2.5), with_kinks(3, 4, points=(0.0, 2.5)))
add("relu_negative_slope", L.ReLU(negative_slope=0.1), with_kinks(3, 4))
add("relu_threshold", L.ReLU(threshold=1.0), with_kinks(3, 4, points=(1.0, 0.999, 1.001)))
add("relu_all", L.ReLU(max_value=4.0, negative_slope=0.25, threshold=0.5),
    with_kinks(2, 3, 4, points=(0.5, 4.0, 0.0)))
add("relu_slope_max", L.ReLU(max_value=3.0, negative_slope=0.3), with_kinks(3, 5, points=(0.0, 3.0)))
add("relu_named", L.ReLU(name="my_relu", negative_slope=0.5, threshold=2), f32(2, 6))

# LeakyReLU
add("leaky_relu_default", L.LeakyReLU(), with_kinks(3, 5))
add("leaky_relu_0.1_3d", L.LeakyReLU(negative_slope=0.1), f32(2, 3, 4))
add("leaky_relu_0", L.LeakyReLU(negative_slope=0.0), f32(3, 4))
add("leaky_relu_1.5", L.LeakyReLU(negative_slope=1.5), f32(3, 4))
add("leaky_relu_int_slope", L.LeakyReLU(negative_slope=1), f32(2, 4))

# ELU
add("elu_default", L.ELU(), with_kinks(3, 5))
add("elu_alpha_0.5_3d", L.ELU(alpha=0.5), f32(2, 3, 4))
add("elu_alpha_2", L.ELU(alpha=2.0), f32(3, 4))
add("elu_alpha_int", L.ELU(alpha=3), f32(3, 4))

# PReLU
add("prelu_default_zero_alpha", L.PReLU(), f32(3, 5))
add("prelu_random_alpha_2d", L.PReLU(), with_kinks(3, 5), randomize=True)
add("prelu_random_alpha_3d", L.PReLU(), f32(2, 3, 4), randomize=True)
add("prelu_shared_1_3d", L.PReLU(shared_axes=[1]), f32(2, 3, 4), randomize=True)
add("prelu_shared_int_2_3d", L.PReLU(shared_axes=2), f32(2, 3, 4), randomize=True)
add("prelu_shared_1_2_4d", L.PReLU(shared_axes=[1, 2]), f32(2, 3, 4, 5), randomize=True)
add("prelu_shared_2_3_4d", L.PReLU(shared_axes=(2, 3)), f32(2, 3, 4, 2), randomize=True)
add("prelu_ones_init", L.PReLU(alpha_initializer="ones"), f32(3, 4))
add("prelu_constant_init", L.PReLU(alpha_initializer=keras.initializers.Constant(0.25)), f32(3, 4))
add("prelu_constant_init_shared", L.PReLU(alpha_initializer=keras.initializers.Constant(-0.5), shared_axes=[1]),
    f32(2, 3, 4))

# Softmax
add("softmax_default", L.Softmax(), f32(3, 5))
add("softmax_axis1_3d", L.Softmax(axis=1), f32(2, 3, 4))
add("softmax_axis_neg2_3d", L.Softmax(axis=-2), f32(2, 3, 4))
add("softmax_axes_1_2_3d", L.Softmax(axis=[1, 2]), f32(2, 3, 4))
add("softmax_axes_single_list", L.Softmax(axis=[-1]), f32(2, 5))
add("softmax_axes_1_3_4d", L.Softmax(axis=(1, 3)), f32(2, 3, 2, 4))
add("softmax_large_logits", L.Softmax(), np.array([[1000.0, 999.0, -1000.0], [-500.0, -501.0, -499.5]], "float32"))
add("softmax_axes_large_logits", L.Softmax(axis=[1, 2]),
    np.array([[[1000.0, 999.0], [-1000.0, 998.0]], [[-5.0, -6.0], [-7.0, 30.0]]], "float32"))

write("layers_activations.json", cases)
