"""Reference cases for Keras 3 masking in Model.fit, as `model_fit` cases: `Embedding(mask_zero=True)`
feeding per-timestep layers, inputs padded with zeros, trained for 3 epochs on 20 samples with
batch 8, shuffle off. Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/model_fit_masking.py
Writes tests/conformance/model_fit_masking.json.

Keras facts these cases pin down (layers/layer.py, losses/loss.py, metrics/reduction_metrics.py):
- Embedding(mask_zero=True) sets the mask `ids != 0` ([B, T]) on its output; layers with
  `supports_masking` (Dense, Dropout, Activation, LayerNormalization, ...) pass it on unchanged
  (`compute_mask` returns the previous mask); merging layers OR their inputs' masks (None when one
  input has none); layers without masking support (Flatten, ...) drop it.
- The compiled loss reads the mask of y_pred (`Loss.__call__`, `apply_mask`): with
  sum_over_batch_size the valid entries get weight total/valid, so the loss is the mean over the
  unmasked timesteps.
- Metrics (MeanMetricWrapper) fold the mask into the sample weight unscaled (reduction "sum"), so
  accuracy is the fraction of correct unmasked timesteps -- but with the JAX backend only in the
  test step (evaluate, validation): the train step's metrics get y_pred back from
  `jax.value_and_grad`'s aux output, a new array that has lost the mask (Keras keeps masks in a
  dict keyed by the tensor's id), so training accuracy counts every timestep. Case (a)'s
  `accuracy` (unmasked) and case (b)'s `val_accuracy` (masked) pin both.
The generator checks the first-batch loss by hand against an unmasked recomputation, so the file
only holds cases where Keras really applied the mask.
"""
import json

import numpy as np
import keras
from keras import layers

from common import model_fit_case, new_keras_session, write

SEED = 20260420
N, T, VOCAB, BATCH, EPOCHS = 20, 6, 10, 8, 3
RTOL, ATOL = 1e-4, 1e-5
cases = []


def new_session(offset):
    return new_keras_session(SEED + offset)


def padded_ids(r):
    """Sequences of ids in 1..VOCAB-1 with random lengths 1..T, right-padded with 0."""
    x = np.zeros((N, T), dtype="int32")
    for i in range(N):
        n = int(r.integers(1, T + 1))
        x[i, :n] = r.integers(1, VOCAB, size=n)
    return x



def add(cid, model, optimizer, loss, metrics, x, y, validation_split=0.0):
    cases.append(model_fit_case(cid, model, optimizer, loss, metrics, x, y, BATCH, EPOCHS, RTOL, ATOL,
                                validation_split=validation_split))


def first_batch_check(model, x, y):
    """Keras's loss of the first batch equals the mean over the unmasked timesteps."""
    xb, yb = x[:BATCH], y[:BATCH]
    p = model(xb)
    mask = np.asarray(p._keras_mask) if hasattr(p, "_keras_mask") else np.asarray(keras.backend.get_keras_mask(p))
    assert (mask == (xb != 0)).all()
    values = np.asarray(keras.losses.sparse_categorical_crossentropy(yb, np.asarray(p)))
    want = float((values * mask).sum() / mask.sum())
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    got = float(model.evaluate(xb, yb, batch_size=BATCH, verbose=0))
    assert abs(want - got) < 1e-5 * max(1.0, abs(want)), (want, got, float(values.mean()))


# (a) Sequential: Embedding(mask_zero) -> Dense(softmax) per timestep, sparse CCE + accuracy
r = new_session(1)
x = padded_ids(r)
y = r.integers(0, 4, size=(N, T)).astype("int32")


def seq_model():
    return keras.Sequential([
        keras.Input((T,), dtype="int32"),
        layers.Embedding(VOCAB, 5, mask_zero=True),
        layers.Dense(8, activation="relu"),
        layers.Dense(4, activation="softmax"),
    ])


m = seq_model()
w0 = m.get_weights()
first_batch_check(m, x, y)
keras.backend.clear_session()
keras.utils.set_random_seed(SEED + 1)
m = seq_model()
m.set_weights(w0)
add("fit_embedding_mask_zero_dense_adam", m, keras.optimizers.Adam(learning_rate=0.02),
    "sparse_categorical_crossentropy", ["accuracy"], x, y)

# (b) Functional: the mask passes Dropout(0) / LayerNormalization / Activation, and an Add of two
# masked branches (Merge ORs the masks)
r = new_session(2)
x = padded_ids(r)
y = r.integers(0, 3, size=(N, T)).astype("int32")


def func_model():
    inp = keras.Input((T,), dtype="int32")
    e = layers.Embedding(VOCAB, 6, mask_zero=True)(inp)
    a = layers.Dense(6, activation="tanh")(e)
    a = layers.Dropout(0.0)(a)
    b = layers.LayerNormalization()(e)
    h = layers.Add()([a, b])
    h = layers.Activation("relu")(h)
    out = layers.Dense(3, activation="softmax")(h)
    return keras.Model(inp, out)


m = func_model()
w0 = m.get_weights()
first_batch_check(m, x, y)
keras.backend.clear_session()
keras.utils.set_random_seed(SEED + 2)
m = func_model()
m.set_weights(w0)
add("fit_functional_mask_merge_adam", m, keras.optimizers.Adam(learning_rate=0.01),
    "sparse_categorical_crossentropy", ["accuracy"], x, y, validation_split=0.2)

write("model_fit_masking.json", cases)
