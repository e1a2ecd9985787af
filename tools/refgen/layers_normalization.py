"""Reference cases for the normalization layers BatchNormalization, LayerNormalization,
RMSNormalization, GroupNormalization and UnitNormalization, as `layer` cases.
Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/layers_normalization.py
Writes tests/conformance/layers_normalization.json.

Weights are random (gamma around 1, beta around 0, moving variance positive) so every term of the
formulas is checked. BatchNormalization runs with training true (batch statistics) and false
(moving statistics); a `layer` case compares outputs only (the moving-statistics updates are
checked in tests/normalization_layers.rs and by tools/refgen/model_fit_normalization.py).
"""
import numpy as np
import keras
from keras import layers

from common import layer_case, rng, write

keras.utils.set_random_seed(20260410)
r = rng(20260410)
cases = []


def f32(*shape, scale=2.0, shift=0.0):
    return (r.standard_normal(shape) * scale + shift).astype("float32")


def add(cid, layer, x, training=None, random_weights=True, rtol=None, atol=None):
    def randomized(layer):
        ws = []
        for v in layer.weights:
            name = v.path.split("/")[-1]
            shape = tuple(v.shape)
            if name in ("moving_variance", "moving_stddev", "renorm_stddev"):
                ws.append(r.uniform(0.5, 2.0, shape).astype("float32"))
            elif name in ("gamma", "scale"):
                ws.append((1.0 + 0.5 * r.standard_normal(shape)).astype("float32"))
            else:
                ws.append((0.5 * r.standard_normal(shape)).astype("float32"))
        return ws
    call_kwargs = {} if training is None else {"training": training}
    cases.append(layer_case(cid, layer, x, call_kwargs, randomized if random_weights else None,
                            rtol if rtol is not None else 1e-4, atol if atol is not None else 1e-5))


# BatchNormalization: axes (last, negative, non-last), ranks 2-4, training both ways, options.
for training in (True, False):
    t = "train" if training else "infer"
    add(f"bn_2d_default_{t}", layers.BatchNormalization(), f32(6, 5, shift=1.0), training)
    add(f"bn_3d_axis_last_{t}", layers.BatchNormalization(axis=-1), f32(3, 4, 5), training)
    add(f"bn_3d_axis1_{t}", layers.BatchNormalization(axis=1), f32(3, 4, 5), training)
    add(f"bn_4d_axis_m1_{t}", layers.BatchNormalization(axis=-1, momentum=0.9, epsilon=1e-5), f32(2, 3, 4, 3), training)
    add(f"bn_4d_axis1_channels_first_{t}", layers.BatchNormalization(axis=1), f32(2, 3, 4, 5), training)
    add(f"bn_4d_axis_m2_{t}", layers.BatchNormalization(axis=-2, epsilon=0.01), f32(2, 3, 4, 5), training)
    add(f"bn_no_center_{t}", layers.BatchNormalization(center=False), f32(5, 4), training)
    add(f"bn_no_scale_{t}", layers.BatchNormalization(scale=False), f32(5, 4), training)
    add(f"bn_no_center_no_scale_{t}", layers.BatchNormalization(center=False, scale=False), f32(5, 3, 2), training)
    add(f"bn_batch1_{t}", layers.BatchNormalization(), f32(1, 4), training)
    add(f"bn_renorm_{t}", layers.BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.5, "rmin": 0.7, "dmax": 0.3},
                                                   renorm_momentum=0.9), f32(6, 4), training)
    add(f"bn_renorm_default_clip_{t}", layers.BatchNormalization(renorm=True), f32(4, 3, 2), training)
bn_frozen = layers.BatchNormalization()
bn_frozen.trainable = False
add("bn_trainable_false_training_true_uses_moving", bn_frozen, f32(5, 4), True)
add("bn_initializers_no_call_kwargs", layers.BatchNormalization(
    gamma_initializer="glorot_uniform", beta_initializer=keras.initializers.Constant(0.3),
    moving_mean_initializer="ones", moving_variance_initializer=keras.initializers.Constant(2.0)),
    f32(3, 6), random_weights=False)
add("bn_named_momentum_int", layers.BatchNormalization(momentum=0, epsilon=1, name="bn_custom"), f32(4, 3), True)

# LayerNormalization: int and list axes, center/scale, rms_scaling.
for shape, axis in [((4, 6), -1), ((3, 4, 5), -1), ((3, 4, 5), 1), ((3, 4, 5), [1, 2]), ((3, 4, 5), [-2, -1]),
                    ((2, 3, 4, 5), [1, 3]), ((2, 3, 4, 5), -1), ((2, 3, 4, 5), (2, 3))]:
    tag = str(axis).replace(" ", "").replace("[", "").replace("]", "").replace("(", "").replace(")", "").replace(",", "_")
    add(f"ln_{len(shape)}d_axis_{tag}", layers.LayerNormalization(axis=axis), f32(*shape, shift=0.5))
add("ln_no_center", layers.LayerNormalization(center=False, epsilon=1e-5), f32(3, 5))
add("ln_no_scale", layers.LayerNormalization(scale=False), f32(3, 5))
add("ln_no_center_no_scale", layers.LayerNormalization(center=False, scale=False), f32(2, 3, 4))
add("ln_rms_scaling", layers.LayerNormalization(rms_scaling=True), f32(3, 5, shift=1.0))
add("ln_rms_scaling_axis_list", layers.LayerNormalization(rms_scaling=True, axis=[1, 2]), f32(2, 3, 4))
add("ln_training_true_same", layers.LayerNormalization(epsilon=0.1), f32(3, 4), training=True)
add("ln_initializers", layers.LayerNormalization(gamma_initializer="random_normal", beta_initializer="ones"),
    f32(2, 4), random_weights=False)

# RMSNormalization
add("rms_2d_default", layers.RMSNormalization(), f32(4, 6))
add("rms_3d_default", layers.RMSNormalization(), f32(2, 3, 5))
add("rms_3d_axis_list", layers.RMSNormalization(axis=[1, 2]), f32(2, 3, 5))
add("rms_4d_axis_m1_eps", layers.RMSNormalization(axis=-1, epsilon=1e-3), f32(2, 2, 3, 4))
add("rms_3d_axis1_square", layers.RMSNormalization(axis=1), f32(2, 4, 4))
add("rms_small_values", layers.RMSNormalization(epsilon=0.5), f32(3, 4, scale=0.1))

# GroupNormalization
add("gn_2d_groups2", layers.GroupNormalization(groups=2), f32(3, 6))
add("gn_3d_groups3", layers.GroupNormalization(groups=3), f32(2, 4, 6))
add("gn_4d_groups2_axis_m1", layers.GroupNormalization(groups=2, epsilon=1e-5), f32(2, 3, 3, 4))
add("gn_4d_axis1_channels_first", layers.GroupNormalization(groups=2, axis=1), f32(2, 4, 3, 3))
add("gn_4d_axis_m2", layers.GroupNormalization(groups=2, axis=-2), f32(2, 3, 4, 2))
add("gn_instance_norm", layers.GroupNormalization(groups=-1), f32(2, 5, 4))
add("gn_layer_norm_groups1", layers.GroupNormalization(groups=1), f32(2, 3, 4))
add("gn_no_center_no_scale", layers.GroupNormalization(groups=4, center=False, scale=False), f32(2, 3, 8))
add("gn_no_scale", layers.GroupNormalization(groups=2, scale=False), f32(3, 4))

# UnitNormalization
add("unit_2d_default", layers.UnitNormalization(), f32(4, 5))
add("unit_3d_axis1", layers.UnitNormalization(axis=1), f32(2, 3, 4))
add("unit_3d_axis_list", layers.UnitNormalization(axis=[1, 2]), f32(2, 3, 4))
add("unit_4d_axis_m2", layers.UnitNormalization(axis=-2), f32(2, 2, 3, 4))
add("unit_zero_rows", layers.UnitNormalization(), np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]], "float32"))
add("unit_tiny", layers.UnitNormalization(), np.array([[1e-20, 0.0], [1e-3, 2e-3]], "float32"))

write("layers_normalization.json", cases)
