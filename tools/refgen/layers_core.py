"""Reference cases for the core layers Reshape, Permute, RepeatVector, the elementwise merges
(Add, Subtract, Multiply, Average, Maximum, Minimum), Dot, Embedding, Rescaling, Identity and
ActivityRegularization, as `layer` cases. Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/layers_core.py
Writes tests/conformance/layers_core.json.

`build_shape` is the full input shape (a list of shapes for the merges and Dot). Merges of
inputs of different ranks or with size-1 dims pin Keras's broadcasting (axes inserted after the
batch axis). Embedding cases set a random table (and random LoRA factors) so the lookup is
checked; float indices are cast to int32 by the layer.
"""
import numpy as np
import keras
from keras import layers as L

from common import layer_case, rng, write

keras.utils.set_random_seed(20260404)
r = rng(20260404)
cases = []


def f32(*shape, scale=2.0):
    return (r.standard_normal(shape) * scale).astype("float32")


def add(cid, layer, inputs, call_kwargs=None, weights=None, rtol=None, atol=None):
    cases.append(layer_case(cid, layer, inputs, call_kwargs, weights, rtol, atol, build_if_needed=True))


# Reshape
add("reshape_2d_to_3d", L.Reshape((3, 4)), f32(2, 12))
add("reshape_minus1_first", L.Reshape((-1, 2)), f32(3, 6))
add("reshape_minus1_last", L.Reshape((2, -1)), f32(2, 3, 4))
add("reshape_to_flat", L.Reshape((24,)), f32(2, 2, 3, 4))
add("reshape_4d", L.Reshape((2, 3, 2)), f32(2, 12))
add("reshape_named", L.Reshape([4, 1], name="my_reshape"), f32(1, 4))

# Permute (1-based dims)
add("permute_3d_swap", L.Permute((2, 1)), f32(2, 3, 4))
add("permute_3d_identity", L.Permute((1, 2)), f32(2, 3, 4))
add("permute_4d_231", L.Permute((2, 3, 1)), f32(2, 3, 4, 5))
add("permute_4d_312", L.Permute((3, 1, 2)), f32(2, 2, 3, 4))
add("permute_4d_321", L.Permute((3, 2, 1)), f32(1, 2, 3, 4))

# RepeatVector
add("repeat_vector_3", L.RepeatVector(3), f32(2, 4))
add("repeat_vector_1", L.RepeatVector(1), f32(3, 5))
add("repeat_vector_7", L.RepeatVector(7), f32(2, 1))

# Elementwise merges
MERGES = [L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum]
for cls in MERGES:
    n = cls.__name__.lower()
    add(f"{n}_two_2d", cls(), [f32(3, 4), f32(3, 4)])
    add(f"{n}_two_3d", cls(), [f32(2, 3, 4), f32(2, 3, 4)])
    add(f"{n}_bcast_size1", cls(), [f32(2, 3, 4), f32(2, 1, 4)])
    add(f"{n}_bcast_lower_rank", cls(), [f32(2, 3, 4), f32(2, 4)])
    add(f"{n}_bcast_both", cls(), [f32(2, 3, 1), f32(2, 1, 5)])
    if cls is not L.Subtract:
        add(f"{n}_three", cls(), [f32(2, 5), f32(2, 5), f32(2, 5)])
        add(f"{n}_three_mixed_rank", cls(), [f32(2, 4), f32(2, 3, 4), f32(2, 1)])
        add(f"{n}_one", cls(), [f32(2, 3)])

# Dot
add("dot_axes_1_2d", L.Dot(axes=1), [f32(3, 4), f32(3, 4)])
add("dot_axes_neg1_2d", L.Dot(axes=-1), [f32(3, 4), f32(3, 4)])
add("dot_axes_pair_3d", L.Dot(axes=(1, 2)), [f32(2, 3, 5), f32(2, 4, 3)])
add("dot_axes_pair_neg", L.Dot(axes=[-1, -2]), [f32(2, 3, 5), f32(2, 5, 4)])
add("dot_axes_2_3d", L.Dot(axes=2), [f32(2, 3, 4), f32(2, 5, 4)])
add("dot_2d_3d", L.Dot(axes=(1, 2)), [f32(2, 4), f32(2, 3, 4)])
add("dot_3d_2d", L.Dot(axes=(2, 1)), [f32(2, 3, 4), f32(2, 4)])
add("dot_4d_3d", L.Dot(axes=(3, 1)), [f32(2, 2, 3, 4), f32(2, 4, 5)])
add("dot_normalize_2d", L.Dot(axes=1, normalize=True), [f32(4, 6), f32(4, 6)])
add("dot_normalize_3d", L.Dot(axes=(1, 1), normalize=True), [f32(2, 3, 4), f32(2, 3, 5)])
add("dot_normalize_zero_row", L.Dot(axes=-1, normalize=True),
    [np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], "float32"), f32(2, 3)])

# Embedding
def table(n, d):
    return f32(n, d, scale=1.0)


add("embedding_2d_int", L.Embedding(10, 4), r.integers(0, 10, (3, 5)).astype("int32"), weights=[table(10, 4)])
add("embedding_1d_int", L.Embedding(6, 3), r.integers(0, 6, (4,)).astype("int32"), weights=[table(6, 3)])
add("embedding_3d_repeated", L.Embedding(5, 2), np.array([[[0, 1], [1, 1]], [[4, 4], [0, 2]]], "int32"),
    weights=[table(5, 2)])
add("embedding_float_indices", L.Embedding(7, 3), np.array([[0.0, 2.9, 6.0], [1.2, 5.0, 3.0]], "float32"),
    weights=[table(7, 3)])
add("embedding_mask_zero", L.Embedding(8, 5, mask_zero=True), r.integers(0, 8, (2, 6)).astype("int32"),
    weights=[table(8, 5)])
add("embedding_initializer_normal", L.Embedding(9, 2, embeddings_initializer="random_normal"),
    r.integers(0, 9, (2, 3)).astype("int32"), weights=[table(9, 2)])
e = L.Embedding(6, 4, lora_rank=2)
add("embedding_lora_rank2", e, r.integers(0, 6, (3, 4)).astype("int32"),
    weights=[table(6, 4), f32(6, 2, scale=0.5), f32(2, 4, scale=0.5)])
e = L.Embedding(5, 3, lora_rank=2, lora_alpha=8)
add("embedding_lora_alpha8", e, r.integers(0, 5, (2, 2)).astype("int32"),
    weights=[table(5, 3), f32(5, 2, scale=0.5), f32(2, 3, scale=0.5)])

# Rescaling
add("rescaling_scalar", L.Rescaling(1.0 / 255), (r.integers(0, 256, (2, 4, 4, 3))).astype("float32"))
add("rescaling_scale_offset", L.Rescaling(2.0, offset=-1.0), f32(3, 5))
add("rescaling_int_scale", L.Rescaling(2), f32(2, 3))
add("rescaling_per_channel", L.Rescaling([1.0, 2.0, 0.5], offset=[0.1, 0.2, 0.3]), f32(2, 4, 3))
add("rescaling_int_input", L.Rescaling(0.5, offset=1.0), r.integers(0, 10, (2, 3)).astype("int32"))

# Identity
add("identity_2d", L.Identity(), f32(3, 4))
add("identity_4d", L.Identity(), f32(2, 2, 3, 1))

# ActivityRegularization (the output is the identity; its loss is checked by model_fit_core)
add("activity_regularization_default", L.ActivityRegularization(), f32(2, 3))
add("activity_regularization_l1_l2", L.ActivityRegularization(l1=0.01, l2=0.1), f32(3, 4))

write("layers_core.json", cases)
