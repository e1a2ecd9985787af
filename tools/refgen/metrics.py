"""Reference cases for the metrics Mean, Accuracy, BinaryAccuracy, CategoricalAccuracy and
SparseCategoricalAccuracy, as `metric` cases: several `update_state` calls in order (with and
without sample weights), then `result()`. Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/metrics.py
Writes tests/conformance/metrics.json.

An update is {"y_true", "y_pred", "sample_weight"?}; for Mean, whose update_state takes the
values, it is {"values", "sample_weight"?}.

Keras facts these cases pin down (keras/src/metrics/reduction_metrics.py):
- Every metric is a weighted mean with state (total, count): total += sum(values * w),
  count += sum(w) (without weights: the number of samples, values.shape[0]); result is
  divide_no_nan(total, count) (0 when every weight is 0).
- The weight is matched to the values by squeezing/expanding one trailing size-1 axis; values of
  higher rank are averaged down to the weight's rank first, and a weight of rank > 1 is averaged
  to one per sample after the product. A scalar weight averages all the values into one and
  counts w once.
- BinaryAccuracy: y_pred > threshold (default 0.5) compared with y_true; CategoricalAccuracy:
  argmax(y_true) == argmax(y_pred); SparseCategoricalAccuracy: y_true ([B] or [B, 1], int or
  float) == argmax(y_pred); Accuracy: exact equality.
"""
import numpy as np
import keras

from common import metric_case, rng, write

r = rng(20260303)
cases = []


def add(cid, metric, updates, rtol=None, atol=None):
    cases.append(metric_case(cid, metric, updates, rtol, atol))


def w(*shape):
    return r.uniform(0.0, 2.0, size=shape).astype("float32")


def f32(*shape):
    return r.standard_normal(shape).astype("float32")


def probs(*shape):
    p = r.uniform(0.0, 1.0, size=shape).astype("float32")
    return p / p.sum(-1, keepdims=True)


def one_hot(ids, c):
    return np.eye(c, dtype="float32")[ids]


# ---- Mean
add("mean_single", keras.metrics.Mean(), [{"values": f32(6)}])
add("mean_three_updates", keras.metrics.Mean(), [{"values": f32(4)}, {"values": f32(7)}, {"values": f32(1)}])
add("mean_weighted", keras.metrics.Mean(), [{"values": f32(5), "sample_weight": w(5)}, {"values": f32(3), "sample_weight": w(3)}])
add("mean_2d_values", keras.metrics.Mean(), [{"values": f32(4, 3)}, {"values": f32(2, 3)}])
add("mean_2d_values_weight_b", keras.metrics.Mean(), [{"values": f32(4, 3), "sample_weight": w(4)}, {"values": f32(2, 3), "sample_weight": w(2)}])
add("mean_2d_values_weight_b1", keras.metrics.Mean(), [{"values": f32(4, 3), "sample_weight": w(4, 1)}])
add("mean_2d_values_weight_full", keras.metrics.Mean(), [{"values": f32(4, 3), "sample_weight": w(4, 3)}, {"values": f32(1, 3), "sample_weight": w(1, 3)}])
add("mean_3d_values_weight_b", keras.metrics.Mean(), [{"values": f32(3, 2, 4), "sample_weight": w(3)}])
add("mean_scalar_values", keras.metrics.Mean(), [{"values": np.float32(2.5)}, {"values": np.float32(-1.0)}, {"values": np.float32(4.0)}])
# the model's loss tracker: the batch loss weighted by the batch size
add("mean_loss_tracker", keras.metrics.Mean(name="loss"),
    [{"values": np.float32(0.75), "sample_weight": np.float32(8)}, {"values": np.float32(0.5), "sample_weight": np.float32(8)},
     {"values": np.float32(0.25), "sample_weight": np.float32(4)}])
add("mean_scalar_weight_on_vector", keras.metrics.Mean(), [{"values": f32(5), "sample_weight": np.float32(3.0)}, {"values": f32(2)}])
add("mean_zero_weights", keras.metrics.Mean(), [{"values": f32(4), "sample_weight": np.zeros(4, "float32")}])
add("mean_no_update", keras.metrics.Mean(), [])

# ---- Accuracy (exact equality)
yi = r.integers(0, 3, size=8)
add("accuracy_int", keras.metrics.Accuracy(), [{"y_true": yi.astype("int32"), "y_pred": np.where(r.uniform(size=8) < 0.6, yi, (yi + 1) % 3).astype("int32")}])
add("accuracy_float_weighted", keras.metrics.Accuracy(),
    [{"y_true": yi.astype("float32"), "y_pred": np.where(r.uniform(size=8) < 0.5, yi, 7).astype("float32"), "sample_weight": w(8)},
     {"y_true": yi[:3].astype("float32"), "y_pred": yi[:3].astype("float32")}])
add("accuracy_2d", keras.metrics.Accuracy(), [{"y_true": r.integers(0, 2, size=(4, 3)).astype("float32"), "y_pred": r.integers(0, 2, size=(4, 3)).astype("float32")}])

# ---- BinaryAccuracy
for n_up in [1, 3]:
    ups = []
    for _ in range(n_up):
        ups.append({"y_true": r.integers(0, 2, size=(6, 1)).astype("float32"), "y_pred": r.uniform(size=(6, 1)).astype("float32")})
    add(f"binary_accuracy_b1_{n_up}updates", keras.metrics.BinaryAccuracy(), ups)
add("binary_accuracy_weighted", keras.metrics.BinaryAccuracy(),
    [{"y_true": r.integers(0, 2, size=(6, 1)).astype("float32"), "y_pred": r.uniform(size=(6, 1)).astype("float32"), "sample_weight": w(6)},
     {"y_true": r.integers(0, 2, size=(4, 1)).astype("float32"), "y_pred": r.uniform(size=(4, 1)).astype("float32"), "sample_weight": w(4, 1)}])
add("binary_accuracy_multilabel", keras.metrics.BinaryAccuracy(),
    [{"y_true": r.integers(0, 2, size=(5, 3)).astype("float32"), "y_pred": r.uniform(size=(5, 3)).astype("float32"), "sample_weight": w(5)}])
add("binary_accuracy_rank1_labels", keras.metrics.BinaryAccuracy(),
    [{"y_true": r.integers(0, 2, size=7).astype("float32"), "y_pred": r.uniform(size=(7, 1)).astype("float32")}])
add("binary_accuracy_int_labels", keras.metrics.BinaryAccuracy(),
    [{"y_true": r.integers(0, 2, size=(6, 1)).astype("int32"), "y_pred": r.uniform(size=(6, 1)).astype("float32")}])
add("binary_accuracy_threshold", keras.metrics.BinaryAccuracy(threshold=0.7, name="acc07"),
    [{"y_true": r.integers(0, 2, size=(8, 1)).astype("float32"), "y_pred": r.uniform(size=(8, 1)).astype("float32")}])
add("binary_accuracy_at_threshold", keras.metrics.BinaryAccuracy(),
    [{"y_true": np.array([[0], [1], [1], [0]], "float32"), "y_pred": np.array([[0.5], [0.5], [0.5000001], [0.4999]], "float32")}])

# ---- CategoricalAccuracy
C = 4
for n_up in [1, 3]:
    ups = []
    for _ in range(n_up):
        ups.append({"y_true": one_hot(r.integers(0, C, size=6), C), "y_pred": probs(6, C)})
    add(f"categorical_accuracy_{n_up}updates", keras.metrics.CategoricalAccuracy(), ups)
add("categorical_accuracy_weighted", keras.metrics.CategoricalAccuracy(),
    [{"y_true": one_hot(r.integers(0, C, size=6), C), "y_pred": probs(6, C), "sample_weight": w(6)},
     {"y_true": one_hot(r.integers(0, C, size=5), C), "y_pred": probs(5, C), "sample_weight": w(5, 1)}])
add("categorical_accuracy_3d", keras.metrics.CategoricalAccuracy(),
    [{"y_true": one_hot(r.integers(0, C, size=(3, 5)), C), "y_pred": probs(3, 5, C), "sample_weight": w(3, 5)}])
add("categorical_accuracy_logits", keras.metrics.CategoricalAccuracy(name="acc"),
    [{"y_true": one_hot(r.integers(0, C, size=8), C), "y_pred": f32(8, C)}])

# ---- SparseCategoricalAccuracy
for n_up in [1, 3]:
    ups = []
    for _ in range(n_up):
        ups.append({"y_true": r.integers(0, C, size=6).astype("int32"), "y_pred": probs(6, C)})
    add(f"sparse_categorical_accuracy_{n_up}updates", keras.metrics.SparseCategoricalAccuracy(), ups)
add("sparse_categorical_accuracy_b1_labels", keras.metrics.SparseCategoricalAccuracy(),
    [{"y_true": r.integers(0, C, size=(6, 1)).astype("int32"), "y_pred": probs(6, C)}])
add("sparse_categorical_accuracy_float_labels", keras.metrics.SparseCategoricalAccuracy(),
    [{"y_true": r.integers(0, C, size=6).astype("float32"), "y_pred": f32(6, C)},
     {"y_true": r.integers(0, C, size=(3, 1)).astype("float32"), "y_pred": f32(3, C)}])
add("sparse_categorical_accuracy_weighted", keras.metrics.SparseCategoricalAccuracy(),
    [{"y_true": r.integers(0, C, size=6).astype("int32"), "y_pred": probs(6, C), "sample_weight": w(6)},
     {"y_true": r.integers(0, C, size=(4, 1)).astype("int32"), "y_pred": probs(4, C), "sample_weight": w(4, 1)}])
add("sparse_categorical_accuracy_3d", keras.metrics.SparseCategoricalAccuracy(),
    [{"y_true": r.integers(0, C, size=(3, 5)).astype("int32"), "y_pred": probs(3, 5, C), "sample_weight": w(3, 5)}])
add("sparse_categorical_accuracy_zero_weights", keras.metrics.SparseCategoricalAccuracy(),
    [{"y_true": r.integers(0, C, size=4).astype("int32"), "y_pred": probs(4, C), "sample_weight": np.zeros(4, "float32")}])

write("metrics.json", cases)
