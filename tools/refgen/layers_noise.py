"""Reference cases for the noise layers GaussianNoise, GaussianDropout and AlphaDropout, as
`layer` cases. Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/layers_noise.py
Writes tests/conformance/layers_noise.json.

Only the deterministic part is a case: the config round trip and the identity when not training
(training=False, or no training argument, or a zero stddev/rate in training). Training draws
cannot match JAX's random bits; their statistics are tested in tests/normalization_layers.rs.
"""
import numpy as np
import keras
from keras import layers

from common import layer_case, rng, write

keras.utils.set_random_seed(20260411)
r = rng(20260411)
cases = []


def f32(*shape):
    return (r.standard_normal(shape) * 2.0).astype("float32")


def add(cid, layer, x, training=None):
    cases.append(layer_case(cid, layer, x, {} if training is None else {"training": training}))


for shape in [(4, 5), (2, 3, 4), (2, 2, 3, 3)]:
    tag = f"{len(shape)}d"
    add(f"gaussian_noise_0.1_{tag}_training_false", layers.GaussianNoise(0.1), f32(*shape), False)
    add(f"gaussian_dropout_0.3_{tag}_training_false", layers.GaussianDropout(0.3), f32(*shape), False)
    add(f"alpha_dropout_0.2_{tag}_training_false", layers.AlphaDropout(0.2), f32(*shape), False)
add("gaussian_noise_seeded_no_kwargs", layers.GaussianNoise(0.5, seed=3), f32(3, 4))
add("gaussian_noise_stddev1_int", layers.GaussianNoise(1, seed=1, name="gn_one"), f32(3, 4), False)
add("gaussian_noise_zero_training_true", layers.GaussianNoise(0.0), f32(3, 4), True)
add("gaussian_dropout_seeded_no_kwargs", layers.GaussianDropout(0.5, seed=11), f32(3, 4))
add("gaussian_dropout_zero_training_true", layers.GaussianDropout(0.0), f32(3, 4), True)
add("gaussian_dropout_rate1_training_false", layers.GaussianDropout(1.0), f32(2, 3), False)
add("alpha_dropout_noise_shape_training_false", layers.AlphaDropout(0.4, noise_shape=(None, 1, 4), seed=5),
    f32(2, 3, 4), False)
add("alpha_dropout_zero_training_true", layers.AlphaDropout(0.0), f32(3, 4), True)
add("alpha_dropout_seeded_no_kwargs", layers.AlphaDropout(0.1, seed=2), f32(3, 4))

write("layers_noise.json", cases)
