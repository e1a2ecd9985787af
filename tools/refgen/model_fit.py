"""Reference cases for Model.compile + Model.fit, as `model_fit` cases: small Sequential and
Functional models trained for 3 epochs on 20 samples with batch 8 (so the last batch of each
epoch has 4 samples), shuffle off. Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/model_fit.py
Writes tests/conformance/model_fit.json.

Keras facts these cases pin down (keras/src/backend/jax/trainer.py, trainers/compile_utils.py):
- History["loss"][e] is the epoch's running mean of the per-batch loss weighted by the batch size:
  sum_b n_b * loss_b / sum_b n_b (here (8 L1 + 8 L2 + 4 L3) / 20), each loss_b being the
  sum_over_batch_size loss of that batch computed with the weights *before* its update.
- "accuracy" resolves by the shapes of y and y_pred: y_pred last dim 1 -> BinaryAccuracy
  (threshold 0.5); y of lower rank than y_pred (or last dim 1 with y_pred's > 1) ->
  SparseCategoricalAccuracy; otherwise CategoricalAccuracy. Its history key stays "accuracy",
  and it is the fraction of correct samples over the whole epoch (each from the pre-update
  forward pass of its batch).
- The optimizer takes one step per batch (3 per epoch, 9 in all); Adam's bias correction uses the
  global step count, which does not restart each epoch.
"""
import json

import numpy as np
import keras
from keras import layers

from common import model_fit_case, new_keras_session, write

SEED = 20260305
N, BATCH, EPOCHS = 20, 8, 3
RTOL, ATOL = 1e-4, 1e-5
cases = []


def new_session(offset):
    return new_keras_session(SEED + offset)


def add(cid, model, optimizer, loss, metrics, x, y):
    case = model_fit_case(cid, model, optimizer, loss, metrics, x, y, BATCH, EPOCHS, RTOL, ATOL)
    cases.append(case)


def mlp(out_units, out_act):
    return keras.Sequential([
        keras.Input((8,)),
        layers.Dense(16, activation="relu"),
        layers.Dense(out_units, activation=out_act),
    ])


# (a) Sequential MLP, sparse categorical crossentropy, Adam(0.01), accuracy
r = new_session(1)
x = r.standard_normal((N, 8)).astype("float32")
y = r.integers(0, 3, size=N).astype("int32")
add("fit_mlp_sparse_cce_adam", mlp(3, "softmax"), keras.optimizers.Adam(learning_rate=0.01),
    "sparse_categorical_crossentropy", ["accuracy"], x, y)

# (b) the same with one-hot y, categorical crossentropy, SGD(momentum 0.9)
r = new_session(2)
x = r.standard_normal((N, 8)).astype("float32")
y = np.eye(3, dtype="float32")[r.integers(0, 3, size=N)]
add("fit_mlp_cce_sgd_momentum", mlp(3, "softmax"), keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "categorical_crossentropy", ["accuracy"], x, y)

# (c) binary: Dense(1, sigmoid), binary crossentropy, RMSprop, accuracy
r = new_session(3)
x = r.standard_normal((N, 8)).astype("float32")
y = (r.uniform(size=(N, 1)) > 0.5).astype("float32")
add("fit_mlp_binary_bce_rmsprop", mlp(1, "sigmoid"), keras.optimizers.RMSprop(learning_rate=0.01),
    "binary_crossentropy", ["accuracy"], x, y)

# (d) regression: linear Dense(2), mean squared error, no metrics
r = new_session(4)
x = r.standard_normal((N, 8)).astype("float32")
y = r.standard_normal((N, 2)).astype("float32")
add("fit_mlp_mse_regression_adam", mlp(2, None), keras.optimizers.Adam(learning_rate=0.01), "mean_squared_error", [], x, y)


# (e) Functional, two parallel branches concatenated
def two_branch():
    inp = keras.Input((8,))
    a = layers.Dense(6, activation="relu")(inp)
    b = layers.Dense(5, activation="tanh")(inp)
    c = layers.Concatenate()([a, b])
    out = layers.Dense(3, activation="softmax")(c)
    return keras.Model(inp, out)


r = new_session(5)
x = r.standard_normal((N, 8)).astype("float32")
y = r.integers(0, 3, size=N).astype("int32")
add("fit_functional_two_branch_adam", two_branch(), keras.optimizers.Adam(learning_rate=0.01),
    "sparse_categorical_crossentropy", ["accuracy"], x, y)

# (f) Flatten of a 3-D input and Dropout(0.0)
r = new_session(6)
x = r.standard_normal((N, 2, 4)).astype("float32")
y = r.integers(0, 3, size=N).astype("int32")
model = keras.Sequential([
    keras.Input((2, 4)),
    layers.Flatten(),
    layers.Dense(16, activation="relu"),
    layers.Dropout(0.0),
    layers.Dense(3, activation="softmax"),
])
add("fit_flatten_dropout0_adam", model, keras.optimizers.Adam(learning_rate=0.01),
    "sparse_categorical_crossentropy", ["accuracy"], x, y)

write("model_fit.json", cases)
