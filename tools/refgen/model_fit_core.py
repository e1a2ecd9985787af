"""Reference cases for Model.fit with the core layers: Embedding -> Flatten -> Dense on int
indices, Embedding -> Reshape/Permute, two Dense branches merged with Add / Multiply / Average /
Dot, Rescaling and ActivityRegularization (whose penalty / batch size joins the loss, so it
shows in History["loss"]). Same protocol as tools/refgen/model_fit.py: 3 epochs, 20 samples,
batch 8, shuffle off. Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/model_fit_core.py
Writes tests/conformance/model_fit_core.json.
"""
import json

import numpy as np
import keras
from keras import layers

from common import model_fit_case, new_keras_session, write

SEED = 20260406
N, BATCH, EPOCHS = 20, 8, 3
RTOL, ATOL = 1e-4, 1e-5
cases = []


def new_session(offset):
    return new_keras_session(SEED + offset)


def add(cid, model, optimizer, loss, metrics, x, y):
    case = model_fit_case(cid, model, optimizer, loss, metrics, x, y, BATCH, EPOCHS, RTOL, ATOL)
    cases.append(case)


# (a) Embedding -> Flatten -> Dense on int32 indices (repeated indices in a batch add grads)
r = new_session(1)
x = r.integers(0, 12, size=(N, 5)).astype("int32")
y = r.integers(0, 3, size=N).astype("int32")
model = keras.Sequential([
    keras.Input((5,), dtype="int32"),
    layers.Embedding(12, 4),
    layers.Flatten(),
    layers.Dense(3, activation="softmax"),
])
add("fit_embedding_flatten_dense_adam", model, keras.optimizers.Adam(learning_rate=0.01),
    "sparse_categorical_crossentropy", ["accuracy"], x, y)

# (b) Embedding -> Permute -> Reshape -> Dense, SGD
r = new_session(2)
x = r.integers(0, 7, size=(N, 3)).astype("int32")
y = r.standard_normal((N, 2)).astype("float32")
model = keras.Sequential([
    keras.Input((3,), dtype="int32"),
    layers.Embedding(7, 2),
    layers.Permute((2, 1)),
    layers.Reshape((6,)),
    layers.Dense(2),
])
add("fit_embedding_permute_reshape_sgd", model, keras.optimizers.SGD(learning_rate=0.1),
    "mean_squared_error", [], x, y)


# (c) two branches merged (Add, Multiply, Average, Subtract, Maximum) then Dense
def merged(merge):
    inp = keras.Input((6,))
    a = layers.Dense(5, activation="tanh")(inp)
    b = layers.Dense(5, activation="relu")(inp)
    m = merge()([a, b])
    out = layers.Dense(3, activation="softmax")(m)
    return keras.Model(inp, out)


for k, merge in enumerate([layers.Add, layers.Multiply, layers.Average, layers.Subtract, layers.Maximum]):
    r = new_session(10 + k)
    x = r.standard_normal((N, 6)).astype("float32")
    y = r.integers(0, 3, size=N).astype("int32")
    add(f"fit_two_branch_{merge.__name__.lower()}_adam", merged(merge), keras.optimizers.Adam(learning_rate=0.02),
        "sparse_categorical_crossentropy", ["accuracy"], x, y)


# (d) Dot (cosine) of two branches, binary output
def dot_model():
    inp = keras.Input((6,))
    a = layers.Dense(4)(inp)
    b = layers.Dense(4)(inp)
    d = layers.Dot(axes=1, normalize=True)([a, b])
    out = layers.Dense(1, activation="sigmoid")(d)
    return keras.Model(inp, out)


r = new_session(20)
x = r.standard_normal((N, 6)).astype("float32")
y = (r.uniform(size=(N, 1)) > 0.5).astype("float32")
add("fit_dot_normalize_bce_adam", dot_model(), keras.optimizers.Adam(learning_rate=0.02), "binary_crossentropy",
    ["accuracy"], x, y)

# (e) Rescaling + ActivityRegularization: the penalty / batch size is part of the loss
r = new_session(21)
x = r.standard_normal((N, 4)).astype("float32")
y = r.standard_normal((N, 2)).astype("float32")
model = keras.Sequential([
    keras.Input((4,)),
    layers.Rescaling(0.5, offset=0.1),
    layers.Dense(6, activation="relu"),
    layers.ActivityRegularization(l1=0.01, l2=0.05),
    layers.Identity(),
    layers.Dense(2),
])
add("fit_rescaling_activity_reg_sgd", model, keras.optimizers.SGD(learning_rate=0.05), "mean_squared_error", [], x, y)

# (f) RepeatVector + Flatten
r = new_session(22)
x = r.standard_normal((N, 3)).astype("float32")
y = r.integers(0, 2, size=N).astype("int32")
model = keras.Sequential([
    keras.Input((3,)),
    layers.Dense(4, activation="tanh"),
    layers.RepeatVector(2),
    layers.Flatten(),
    layers.Dense(2, activation="softmax"),
])
add("fit_repeat_vector_adam", model, keras.optimizers.Adam(learning_rate=0.02), "sparse_categorical_crossentropy",
    ["accuracy"], x, y)

write("model_fit_core.json", cases)
