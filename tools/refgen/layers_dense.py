"""Reference cases for keras.layers.Dense with every argument (regularizers, constraints,
initializers of every kind, LoRA), as `layer` cases. Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/layers_dense.py
Writes tests/conformance/layers_dense.json.

Each case's weights are all replaced by random values (LoRA's zero-initialized lora_kernel_b
included, so the LoRA update shows in the output); `weights` is in get_weights() order: kernel,
bias (when use_bias), lora_kernel_a, lora_kernel_b. The config is taken after build: Keras's
build calls enable_lora(lora_rank) without an alpha, so a built LoRA layer's lora_alpha is
its rank (the cases pin that).
"""
import numpy as np
import keras
from keras import constraints, initializers, regularizers

from common import layer_case, rng, write

keras.utils.set_random_seed(20260411)
r = rng(20260411)
cases = []


def f32(*shape, scale=1.0):
    return (r.standard_normal(shape) * scale).astype("float32")


def add(cid, layer, x, rtol=None, atol=None):
    weights = lambda layer: [f32(*w.shape, scale=0.5) for w in layer.get_weights()]  # noqa: E731
    cases.append(layer_case(cid, layer, x, {"training": False}, weights, rtol, atol))


D = keras.layers.Dense
add("dense_kernel_l1", D(4, kernel_regularizer="l1"), f32(3, 5))
add("dense_kernel_l2_bias_l1", D(4, activation="relu", kernel_regularizer=regularizers.L2(0.05),
                                 bias_regularizer=regularizers.L1(0.2)), f32(3, 5))
add("dense_l1l2_activity", D(3, kernel_regularizer=regularizers.L1L2(l1=0.01, l2=0.03),
                             activity_regularizer="l2"), f32(4, 6))
add("dense_activity_l1", D(2, activation="tanh", activity_regularizer=regularizers.L1(0.1)), f32(2, 3))
add("dense_orthogonal_reg_rows", D(6, kernel_regularizer=regularizers.OrthogonalRegularizer(0.1)), f32(3, 4))
add("dense_orthogonal_reg_columns", D(3, kernel_regularizer=regularizers.OrthogonalRegularizer(factor=0.3, mode="columns")),
    f32(2, 5))
add("dense_l1l2_string", D(3, kernel_regularizer="l1l2"), f32(2, 2))
add("dense_max_norm", D(4, kernel_constraint="max_norm", bias_constraint=constraints.MaxNorm(1.5, axis=0)), f32(3, 3))
add("dense_non_neg", D(4, activation="sigmoid", kernel_constraint="non_neg", bias_constraint="non_neg"), f32(2, 5))
add("dense_unit_norm", D(3, kernel_constraint=constraints.UnitNorm(axis=1)), f32(2, 4))
add("dense_min_max_norm", D(5, kernel_constraint=constraints.MinMaxNorm(0.5, 2.0, rate=0.5, axis=0),
                             kernel_regularizer="l2"), f32(3, 2))
add("dense_everything", D(4, activation="relu", use_bias=True,
                          kernel_initializer=initializers.Orthogonal(gain=1.5, seed=3),
                          bias_initializer=initializers.Constant(0.1),
                          kernel_regularizer=regularizers.L1L2(0.001, 0.002),
                          bias_regularizer="l2", activity_regularizer=regularizers.L1(0.01),
                          kernel_constraint=constraints.MaxNorm(2.0),
                          bias_constraint=constraints.NonNeg()), f32(3, 6))
add("dense_identity_init", D(4, kernel_initializer="identity", bias_initializer="ones"), f32(2, 4))
add("dense_orthogonal_init", D(3, kernel_initializer="orthogonal", use_bias=False), f32(2, 5))
add("dense_variance_scaling_init", D(3, kernel_initializer=initializers.VarianceScaling(
    scale=2.0, mode="fan_avg", distribution="uniform", seed=7),
    bias_initializer=initializers.RandomNormal(mean=0.5, stddev=0.1, seed=1)), f32(2, 2))
add("dense_truncated_normal_init", D(3, kernel_initializer=initializers.TruncatedNormal(stddev=0.2, seed=2),
                                     bias_initializer=initializers.RandomUniform(-1.0, 1.0, seed=4)), f32(2, 3))
add("dense_he_lecun_init", D(3, kernel_initializer="he_normal", bias_initializer="lecun_uniform"), f32(1, 3))
add("dense_lora_2d", D(5, lora_rank=2), f32(3, 4))
add("dense_lora_alpha_given", D(4, activation="relu", lora_rank=3, lora_alpha=6.0), f32(2, 6))
add("dense_lora_3d_nobias", D(3, use_bias=False, lora_rank=1, kernel_regularizer="l2"), f32(2, 3, 4))
add("dense_lora_rank0", D(3, lora_rank=0), f32(2, 2))

write("layers_dense.json", cases)
