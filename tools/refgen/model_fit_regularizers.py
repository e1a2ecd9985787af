"""Reference cases for Model.fit with weight regularizers, activity regularizers, constraints
and LoRA on Dense layers, as `model_fit` cases: 2 epochs on 20 samples with batch 8, shuffle
off. Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/model_fit_regularizers.py
Writes tests/conformance/model_fit_regularizers.json.

What these cases pin down (keras/src/trainers/trainer.py compute_loss, layers/layer.py):
- The training loss of a batch is the compiled loss plus every trainable weight's regularizer
  penalty plus each activity regularizer's penalty of the layer output divided by the batch
  size; History["loss"] is the batch-size-weighted epoch mean of that total.
- Constraints are applied to the variables right after each optimizer update, so the final
  weights satisfy them.
- A Dense with lora_rank freezes its kernel: only bias, lora_kernel_a and lora_kernel_b change.
"""
import json

import numpy as np
import keras
from keras import constraints, layers, regularizers

from common import model_fit_case, new_keras_session, write

SEED = 20260412
N, BATCH, EPOCHS = 20, 8, 2
RTOL, ATOL = 1e-4, 1e-5
cases = []


def new_session(offset):
    return new_keras_session(SEED + offset)


def add(cid, model, optimizer, loss, metrics, x, y, randomize=False):
    if randomize:
        # LoRA's lora_kernel_b starts at zero (its a would get no gradient in the first step).
        model.set_weights([(r.standard_normal(w.shape) * 0.3).astype("float32") for w in model.get_weights()])
    cases.append(model_fit_case(cid, model, optimizer, loss, metrics, x, y, BATCH, EPOCHS, RTOL, ATOL))


# (a) kernel/bias/activity regularizers and a max-norm constraint, SGD, sparse CCE
r = new_session(1)
x = r.standard_normal((N, 6)).astype("float32")
y = r.integers(0, 3, size=N).astype("int32")
model = keras.Sequential([
    keras.Input((6,)),
    layers.Dense(8, activation="relu", kernel_regularizer=regularizers.L2(0.01),
                 bias_regularizer=regularizers.L1(0.01), activity_regularizer=regularizers.L1(0.001)),
    layers.Dense(3, activation="softmax", kernel_constraint=constraints.MaxNorm(0.5)),
])
add("fit_reg_l2_l1_activity_maxnorm_sgd", model, keras.optimizers.SGD(learning_rate=0.1),
    "sparse_categorical_crossentropy", ["accuracy"], x, y)

# (b) L1L2 + orthogonal regularizer, non-neg and unit-norm constraints, Adam, MSE
r = new_session(2)
x = r.standard_normal((N, 5)).astype("float32")
y = r.standard_normal((N, 2)).astype("float32")
model = keras.Sequential([
    keras.Input((5,)),
    layers.Dense(6, activation="tanh", kernel_regularizer=regularizers.L1L2(l1=0.01, l2=0.02),
                 kernel_constraint=constraints.UnitNorm(axis=0), bias_constraint=constraints.NonNeg()),
    layers.Dense(4, activation="relu", kernel_regularizer=regularizers.OrthogonalRegularizer(0.1, "columns"),
                 activity_regularizer=regularizers.L2(0.01)),
    layers.Dense(2, kernel_constraint=constraints.MinMaxNorm(0.2, 0.6, rate=0.5, axis=0),
                 bias_regularizer="l2"),
])
add("fit_reg_l1l2_orth_unitnorm_nonneg_minmax_adam", model, keras.optimizers.Adam(learning_rate=0.01),
    "mean_squared_error", [], x, y)

# (c) Functional model, rows orthogonal regularizer and activity regularizer on the output,
# binary crossentropy, SGD with momentum
r = new_session(3)
x = r.standard_normal((N, 4)).astype("float32")
y = (r.uniform(size=(N, 1)) > 0.5).astype("float32")
inp = keras.Input((4,))
h = layers.Dense(5, activation="relu", kernel_regularizer=regularizers.OrthogonalRegularizer(0.2),
                 kernel_constraint="non_neg")(inp)
out = layers.Dense(1, activation="sigmoid", activity_regularizer=regularizers.L1L2(0.01, 0.01),
                   kernel_regularizer="l2")(h)
add("fit_reg_functional_orth_rows_bce_momentum", keras.Model(inp, out),
    keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), "binary_crossentropy", ["accuracy"], x, y)

# (d) LoRA: the kernel is frozen, the LoRA kernels (with the kernel regularizer) are trained
r = new_session(4)
x = r.standard_normal((N, 6)).astype("float32")
y = r.standard_normal((N, 3)).astype("float32")
model = keras.Sequential([
    keras.Input((6,)),
    layers.Dense(5, activation="relu", lora_rank=2, kernel_regularizer=regularizers.L2(0.01)),
    layers.Dense(3, lora_rank=1),
])
add("fit_lora_adam_mse", model, keras.optimizers.Adam(learning_rate=0.02), "mean_squared_error", [], x, y,
    randomize=True)

write("model_fit_regularizers.json", cases)
