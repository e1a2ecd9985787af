"""Reference cases for the layers Dense, Activation, Dropout (inference), Flatten and
Concatenate, as `layer` cases. Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/layers.py
Writes tests/conformance/layers.json.

`build_shape` is the full input shape, batch dimension included (a list of shapes for
Concatenate). Dense weights are the seeded Glorot-uniform kernel and a random (non-zero) bias,
so the bias addition is checked; `weights` is in get_weights() order (kernel [in, units], bias).
"""
import numpy as np
import keras

from common import layer_case, rng, write

keras.utils.set_random_seed(20260304)
r = rng(20260304)
cases = []


def f32(*shape, scale=2.0):
    return (r.standard_normal(shape) * scale).astype("float32")


def add(cid, layer, inputs, call_kwargs=None, randomize_bias=False, rtol=None, atol=None):
    def bias_randomized(layer):
        w = layer.get_weights()
        w[1] = f32(*w[1].shape, scale=0.5)
        return w
    weights = bias_randomized if randomize_bias else None
    cases.append(layer_case(cid, layer, inputs, call_kwargs, weights, rtol, atol))


ACTS = ["relu", "sigmoid", "tanh", "softmax", "linear"]

# Dense: every activation on 2-D and 3-D inputs
for act in ACTS:
    add(f"dense_{act}_u5_2d", keras.layers.Dense(5, activation=act), f32(3, 4), randomize_bias=True)
    add(f"dense_{act}_u5_3d", keras.layers.Dense(5, activation=act), f32(2, 3, 4), randomize_bias=True)
for units in [1, 5, 16]:
    for use_bias in [True, False]:
        tag = "bias" if use_bias else "nobias"
        add(f"dense_u{units}_{tag}_2d", keras.layers.Dense(units, use_bias=use_bias), f32(4, 7), randomize_bias=use_bias)
        add(f"dense_u{units}_{tag}_relu_3d", keras.layers.Dense(units, activation="relu", use_bias=use_bias),
            f32(2, 2, 6), randomize_bias=use_bias)
add("dense_default_zero_bias", keras.layers.Dense(3), f32(2, 4))
add("dense_no_activation_kwarg_none", keras.layers.Dense(4, activation=None), f32(3, 2), randomize_bias=True)
add("dense_custom_name_training_false", keras.layers.Dense(6, activation="tanh", name="my_dense"), f32(5, 3),
    call_kwargs={"training": False}, randomize_bias=True)
add("dense_batch1", keras.layers.Dense(2, activation="sigmoid"), f32(1, 3), randomize_bias=True)

# Activation layer
for act in ACTS:
    add(f"activation_{act}_2d", keras.layers.Activation(act), f32(3, 5, scale=4.0))
    add(f"activation_{act}_3d", keras.layers.Activation(act), f32(2, 3, 4, scale=4.0))
sat = np.array([[-30.0, -5.0, 0.0, 5.0, 30.0]], "float32")
add("activation_sigmoid_saturate", keras.layers.Activation("sigmoid"), sat)
add("activation_softmax_saturate", keras.layers.Activation("softmax"), sat)

# Dropout, inference only (training=False: identity)
add("dropout_0.5_training_false_2d", keras.layers.Dropout(0.5), f32(4, 6), call_kwargs={"training": False})
add("dropout_0.2_training_false_3d", keras.layers.Dropout(0.2), f32(2, 3, 4), call_kwargs={"training": False})
add("dropout_0.0_training_false", keras.layers.Dropout(0.0), f32(3, 3), call_kwargs={"training": False})

# Flatten
add("flatten_3d", keras.layers.Flatten(), f32(2, 3, 4))
add("flatten_4d", keras.layers.Flatten(), f32(2, 2, 3, 2))
add("flatten_2d", keras.layers.Flatten(), f32(3, 5))
add("flatten_batch1_4d", keras.layers.Flatten(), f32(1, 2, 2, 2))

# Concatenate
add("concatenate_axis_last_two", keras.layers.Concatenate(), [f32(3, 2), f32(3, 4)])
add("concatenate_axis_last_three", keras.layers.Concatenate(axis=-1), [f32(2, 3), f32(2, 1), f32(2, 5)])
add("concatenate_axis_last_3d", keras.layers.Concatenate(axis=-1), [f32(2, 3, 2), f32(2, 3, 3)])
add("concatenate_axis1_two_2d", keras.layers.Concatenate(axis=1), [f32(2, 3), f32(2, 4)])
add("concatenate_axis1_two_3d", keras.layers.Concatenate(axis=1), [f32(2, 1, 4), f32(2, 3, 4)])
add("concatenate_axis1_three_3d", keras.layers.Concatenate(axis=1), [f32(2, 2, 3), f32(2, 1, 3), f32(2, 4, 3)])

write("layers.json", cases)
