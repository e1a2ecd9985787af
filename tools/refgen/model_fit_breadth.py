"""Issue 4's end-to-end check: a Keras-written model JSON that uses many of the standard pieces
(layers, activations, initializers, regularizers, constraints, an optimizer with a learning-rate
schedule, a focal loss) loads in wgkeras and trains to Keras's numbers, as `model_fit` cases.
Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/model_fit_breadth.py
Writes tests/conformance/model_fit_breadth.json and tests/data/keras_json/breadth_model.json
(the model alone, for tests/keras_breadth.rs).

Only deterministic pieces are trained here (no dropout or noise in training: JAX's random bits
are not ours); the random layers are checked by their own statistics tests.
"""
import json
import os

import numpy as np
import keras
from keras import layers, regularizers, constraints, initializers, optimizers, losses

from common import model_fit_case, new_keras_session, write

SEED = 20261122
N, BATCH, EPOCHS = 24, 8, 3
RTOL, ATOL = 2e-4, 2e-5
cases = []


def new_session(offset):
    return new_keras_session(SEED + offset)


def add(cid, model, optimizer, loss, metrics, x, y):
    case = model_fit_case(cid, model, optimizer, loss, metrics, x, y, BATCH, EPOCHS, RTOL, ATOL)
    cases.append(case)
    return case["model"]


def breadth_model():
    features = keras.Input((6,), name="features")
    tokens = keras.Input((4,), dtype="int32", name="tokens")
    h = layers.Rescaling(0.5, offset=0.1)(features)
    h = layers.Dense(12, activation="gelu", kernel_initializer=initializers.Orthogonal(seed=1),
                     kernel_regularizer=regularizers.L2(1e-3),
                     kernel_constraint=constraints.MaxNorm(2.0))(h)
    h = layers.BatchNormalization(momentum=0.9)(h)
    h = layers.LeakyReLU(negative_slope=0.1)(h)
    skip = h
    h = layers.Dense(12, activation="selu", kernel_initializer="lecun_normal",
                     bias_regularizer=regularizers.L1L2(l1=1e-4, l2=1e-4))(h)
    h = layers.LayerNormalization()(h)
    h = layers.Add()([h, skip])
    e = layers.Embedding(10, 3, embeddings_initializer="uniform")(tokens)
    e = layers.Flatten()(e)
    e = layers.Dense(5, activation="mish", kernel_constraint=constraints.NonNeg())(e)
    c = layers.Concatenate()([h, e])
    c = layers.PReLU()(c)
    c = layers.Dropout(0.0)(c)
    c = layers.Dense(8, activation="swish", activity_regularizer=regularizers.L1(1e-4))(c)
    out = layers.Dense(3, activation="softmax")(c)
    return keras.Model([features, tokens], out)


r = new_session(1)
x1 = r.standard_normal((N, 6)).astype("float32")
x2 = r.integers(0, 10, size=(N, 4)).astype("int32")
y = np.eye(3, dtype="float32")[r.integers(0, 3, size=N)]
schedule = optimizers.schedules.CosineDecay(0.01, decay_steps=9, alpha=0.1, warmup_target=0.02, warmup_steps=3)
model_json = add("fit_breadth_functional_adamw_cosine_focal", breadth_model(),
                 optimizers.AdamW(learning_rate=schedule, weight_decay=0.01),
                 losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0), ["accuracy"], [x1, x2], y)

# The same pieces in a Sequential stack with other optimizers and losses.
r = new_session(2)
x = r.standard_normal((N, 2, 5)).astype("float32")
y = r.standard_normal((N, 4)).astype("float32")
seq = keras.Sequential([
    keras.Input((2, 5)),
    layers.Permute((2, 1)),
    layers.Reshape((10,)),
    layers.Dense(16, activation="elu", kernel_initializer="he_uniform",
                 kernel_regularizer=regularizers.L1(1e-3), bias_constraint=constraints.UnitNorm(axis=0)),
    layers.GroupNormalization(groups=4),
    layers.ReLU(max_value=6.0),
    layers.RepeatVector(2),
    layers.Flatten(),
    layers.Dense(4, activation="softsign"),
])
add("fit_breadth_sequential_nadam_schedule_huber", seq,
    optimizers.Nadam(learning_rate=optimizers.schedules.ExponentialDecay(0.02, decay_steps=3, decay_rate=0.5)),
    losses.Huber(), [], x, y)  # Keras writes no `delta` in the config, so only the default reloads

r = new_session(3)
x = r.standard_normal((N, 7)).astype("float32")
y = (r.uniform(size=(N, 1)) > 0.5).astype("float32")
seq = keras.Sequential([
    keras.Input((7,)),
    layers.UnitNormalization(),
    layers.Dense(10, activation="hard_silu", kernel_initializer="glorot_normal"),
    layers.ELU(alpha=0.5),
    layers.Dense(10, activation="log_sigmoid"),
    layers.Softmax(),
    layers.Dense(1, activation="sigmoid"),
])
add("fit_breadth_binary_focal_lamb", seq, optimizers.Lamb(learning_rate=0.01),
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=1.5), ["accuracy"], x, y)

write("model_fit_breadth.json", cases)
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "..", "tests", "data", "keras_json", "breadth_model.json")
with open(path, "w") as f:
    json.dump(model_json, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(path))
