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

from common import keras_config, rng, tensor, write

SEED = 20260406
N, BATCH, EPOCHS = 20, 8, 3
RTOL, ATOL = 1e-4, 1e-5
cases = []


def new_session(offset):
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED + offset)
    return rng(SEED + offset)


def add(cid, model, optimizer, loss, metrics, x, y):
    weights = [tensor(w) for w in model.get_weights()]
    model_json = json.loads(model.to_json())
    opt_config = keras_config(optimizer, keras.optimizers.serialize)
    loss_config = loss if isinstance(loss, str) else keras_config(loss, keras.losses.serialize)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    hist = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    cases.append({
        "id": cid,
        "kind": "model_fit",
        "rtol": RTOL,
        "atol": ATOL,
        "model": model_json,
        "weights": weights,
        "compile": {"optimizer": opt_config, "loss": loss_config, "metrics": list(metrics)},
        "x": tensor(x) if not isinstance(x, list) else [tensor(a) for a in x],
        "y": tensor(y),
        "fit": {"batch_size": BATCH, "epochs": EPOCHS, "shuffle": False},
        "expected_weights": [tensor(w) for w in model.get_weights()],
        "expected_history": {k: [float(v) for v in vals] for k, vals in hist.history.items()},
    })


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
