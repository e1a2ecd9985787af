"""Reference cases for Model.fit through normalization layers, as `model_fit` cases (the setup of
tools/refgen/model_fit.py: 20 samples, batch 8, 3 epochs, shuffle off).
Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/model_fit_normalization.py
Writes tests/conformance/model_fit_normalization.json.

`expected_weights` is model.get_weights() after fit, which holds BatchNormalization's
moving_mean and moving_variance: each train step updates them from the batch statistics
(moving = moving * momentum + batch * (1 - momentum), biased batch variance), the last batch of
each epoch having 4 samples.
"""
import json

import keras
from keras import layers

from common import keras_config, rng, tensor, write

SEED = 20260412
N, BATCH, EPOCHS = 20, 8, 3
cases = []


def new_session(offset):
    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED + offset)
    return rng(SEED + offset)


def add(cid, model, optimizer, loss, metrics, x, y):
    weights = [tensor(w) for w in model.get_weights()]
    model_json = json.loads(model.to_json())
    opt_config = keras_config(optimizer, keras.optimizers.serialize)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    hist = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    cases.append({
        "id": cid,
        "kind": "model_fit",
        "rtol": 1e-4,
        "atol": 1e-5,
        "model": model_json,
        "weights": weights,
        "compile": {"optimizer": opt_config, "loss": loss, "metrics": list(metrics)},
        "x": tensor(x),
        "y": tensor(y),
        "fit": {"batch_size": BATCH, "epochs": EPOCHS, "shuffle": False},
        "expected_weights": [tensor(w) for w in model.get_weights()],
        "expected_history": {k: [float(v) for v in vals] for k, vals in hist.history.items()},
    })


# (a) Dense -> BatchNormalization -> relu -> Dense softmax, Adam.
r = new_session(1)
x = (r.standard_normal((N, 8)) * 2.0 + 1.0).astype("float32")
y = r.integers(0, 3, size=N).astype("int32")
model = keras.Sequential([
    keras.Input((8,)),
    # No bias before BatchNormalization: its gradient is zero up to rounding, which Adam
    # would amplify into noise.
    layers.Dense(16, use_bias=False),
    layers.BatchNormalization(momentum=0.8),
    layers.Activation("relu"),
    layers.Dense(3, activation="softmax"),
])
add("fit_dense_batchnorm_adam", model, keras.optimizers.Adam(learning_rate=0.01),
    "sparse_categorical_crossentropy", ["accuracy"], x, y)

# (b) BatchNormalization on the input (3-D, axis=1), LayerNormalization, SGD, mse.
r = new_session(2)
x = (r.standard_normal((N, 3, 4)) * 3.0 - 1.0).astype("float32")
y = r.standard_normal((N, 2)).astype("float32")
model = keras.Sequential([
    keras.Input((3, 4)),
    layers.BatchNormalization(axis=1, momentum=0.5, epsilon=1e-2),
    layers.Flatten(),
    layers.Dense(8, activation="tanh"),
    layers.LayerNormalization(),
    layers.Dense(2),
])
add("fit_batchnorm_axis1_layernorm_sgd", model, keras.optimizers.SGD(learning_rate=0.05),
    "mean_squared_error", [], x, y)

write("model_fit_normalization.json", cases)
