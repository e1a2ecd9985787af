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

from common import model_fit_case, new_keras_session, write

SEED = 20260412
N, BATCH, EPOCHS = 20, 8, 3
cases = []


def new_session(offset):
    return new_keras_session(SEED + offset)


def add(cid, model, optimizer, loss, metrics, x, y):
    case = model_fit_case(cid, model, optimizer, loss, metrics, x, y, BATCH, EPOCHS, 1e-4, 1e-5)
    cases.append(case)


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
