"""Reference cases for the IoU metrics (IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU), the
F-scores (FBetaScore, F1Score) and the correlations (PearsonCorrelation,
ConcordanceCorrelation), as `metric` cases: several `update_state` calls in order, then
`result()`; plus one `model_fit` case compiling metrics of these families by class name.
Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/metrics_iou_fscore.py
Writes tests/conformance/metrics_iou_fscore.json.

Keras facts these cases pin down (keras/src/metrics/{iou,f_score,correlation}_metrics.py):
- IoU state: the [num_classes, num_classes] confusion matrix in the metric's dtype, int32 by
  default (`dtype or "int"`): labels, predictions and weights are cast to it first, so float
  weights and float labels are truncated (1.7 -> 1, 0.5 -> 0). Out-of-range labels (< 0 or
  >= num_classes, in true or predicted) and `ignore_class` entries are dropped. Rank > 1 inputs
  are flattened; `sparse_y_* = False` takes argmax over `axis` first. Result: mean over the
  target classes with a nonzero denominator of TP / (TP + FP + FN); negative target ids wrap.
- BinaryIoU: y_pred >= threshold (in float32) is the predicted class, 2 classes.
- FBetaScore: 2-D inputs only; state per class (scalar for micro) sized on the first update;
  threshold None marks the row maximum (if nonzero); weights multiply per row
  (expand_dims(w, 1)); average None gives a vector.
- Correlations: MeanMetricWrapper (running total / count) of per-sample correlations over axis.
"""
import numpy as np
import keras
from keras import layers

from common import metric_case, model_fit_case, new_keras_session, rng, write

r = rng(20260501)
cases = []


def add(cid, metric, updates, rtol=None, atol=None):
    cases.append(metric_case(cid, metric, updates, rtol, atol))


def ints(lo, hi, *shape):
    return r.integers(lo, hi, size=shape).astype("int32")


def w(*shape, hi=3.0):
    return r.uniform(0.0, hi, size=shape).astype("float32")


def probs(*shape, axis=-1):
    p = r.uniform(0.0, 1.0, size=shape).astype("float32")
    return p / p.sum(axis, keepdims=True)


def one_hot(ids, c, axis=-1):
    oh = np.eye(c, dtype="float32")[ids]
    if axis != -1:
        oh = np.moveaxis(oh, -1, axis)
    return oh


def noisy(ids, c, keep=0.6):
    return np.where(r.uniform(size=ids.shape) < keep, ids, r.integers(0, c, size=ids.shape)).astype(ids.dtype)


def peaked(ids, c, axis=-1):
    """Probabilities whose argmax is the label about 70% of the time."""
    p = r.uniform(0.0, 1.0, size=ids.shape + (c,)) + 1.2 * np.eye(c)[noisy(ids, c)]
    p = (p / p.sum(-1, keepdims=True)).astype("float32")
    return np.moveaxis(p, -1, axis) if axis != -1 else p


# ---------------------------------------------------------------- IoU
C = 4
t = ints(0, C, 12)
add("iou_basic", keras.metrics.IoU(C, [0, 2]), [{"y_true": t, "y_pred": noisy(t, C)}])
add("iou_all_targets_3updates", keras.metrics.IoU(C, [0, 1, 2, 3]),
    [{"y_true": (t := ints(0, C, 9)), "y_pred": noisy(t, C)} for _ in range(3)])
t = ints(0, C, 10)
add("iou_int_dtype_truncates_weights", keras.metrics.IoU(C, [1, 3]),
    [{"y_true": t, "y_pred": noisy(t, C), "sample_weight": w(10)}])
t = ints(0, C, 10)
add("iou_float_dtype_weights", keras.metrics.IoU(C, [1, 2, 3], dtype="float32"),
    [{"y_true": t, "y_pred": noisy(t, C), "sample_weight": w(10)},
     {"y_true": (t2 := ints(0, C, 5)), "y_pred": noisy(t2, C), "sample_weight": w(5)}])
add("iou_float_labels_truncated", keras.metrics.IoU(3, [0, 1, 2]),
    [{"y_true": np.array([0, 1, 2, 2, 1.9, 0.2], "float32"),
      "y_pred": np.array([0.0, 1.7, 2.2, -0.5, 1.0, 2.9], "float32")}])
add("iou_float_dtype_float_labels", keras.metrics.IoU(3, [0, 1, 2], dtype="float32"),
    [{"y_true": np.array([0, 1, 2, 2, 1.9, 0.2], "float32"),
      "y_pred": np.array([0.0, 1.7, 2.2, -0.5, 1.0, 2.9], "float32"),
      "sample_weight": np.array([0.5, 1.5, 2.7, 1.0, 0.25, 2.0], "float32")}])
add("iou_out_of_range_dropped", keras.metrics.IoU(3, [0, 1, 2]),
    [{"y_true": np.array([0, 1, 2, 3, -1, 1, 5, 2], "int32"), "y_pred": np.array([0, 1, 1, 1, 0, -2, 2, 7], "int32")}])
t = ints(0, C, 14)
add("iou_ignore_class", keras.metrics.IoU(C, [0, 1, 2, 3], ignore_class=2),
    [{"y_true": t, "y_pred": noisy(t, C)}])
t = np.array([0, 1, -1, 2, -1, 1, 0, 2], "int32")
add("iou_ignore_class_minus1", keras.metrics.IoU(3, [0, 1, 2], ignore_class=-1),
    [{"y_true": t, "y_pred": np.array([0, 1, 2, 2, 0, 0, 0, 1], "int32"), "sample_weight": w(8)}])
t = ints(0, C, 3, 5)
add("iou_2d_labels_weight_full", keras.metrics.IoU(C, [0, 3], dtype="float32"),
    [{"y_true": t, "y_pred": noisy(t, C), "sample_weight": w(3, 5)}])
t = ints(0, C, 2, 3, 4)
add("iou_3d_labels", keras.metrics.IoU(C, [1, 2]), [{"y_true": t, "y_pred": noisy(t, C)}])
t = ints(0, C, 8)
add("iou_scalar_weight", keras.metrics.IoU(C, [0, 1], dtype="float32"),
    [{"y_true": t, "y_pred": noisy(t, C), "sample_weight": np.float32(2.5)}])
t = ints(0, C, 10)
add("iou_sparse_y_pred_false", keras.metrics.IoU(C, [0, 1, 2], sparse_y_pred=False),
    [{"y_true": t, "y_pred": peaked(t, C)}, {"y_true": (t2 := ints(0, C, 6)), "y_pred": peaked(t2, C)}])
t = ints(0, C, 10)
add("iou_sparse_y_true_false", keras.metrics.IoU(C, [2, 3], sparse_y_true=False),
    [{"y_true": one_hot(t, C), "y_pred": noisy(t, C)}])
t = ints(0, C, 4, 5)
add("iou_both_dense_axis0", keras.metrics.IoU(C, [0, 1, 2, 3], sparse_y_true=False, sparse_y_pred=False, axis=0),
    [{"y_true": one_hot(t, C, axis=0), "y_pred": peaked(t, C, axis=0)}])
t = ints(0, C, 6, 3)
add("iou_both_dense_3d", keras.metrics.IoU(C, [1, 2], sparse_y_true=False, sparse_y_pred=False, name="seg_iou"),
    [{"y_true": one_hot(t, C), "y_pred": peaked(t, C), "sample_weight": w(6, 3)}])
t = np.array([0, 0, 1, 1, 0], "int32")
add("iou_absent_target_class", keras.metrics.IoU(4, [0, 3]), [{"y_true": t, "y_pred": np.array([0, 1, 1, 1, 0], "int32")}])
t = ints(0, C, 12)
add("iou_negative_target_id", keras.metrics.IoU(C, [-1, 0]), [{"y_true": t, "y_pred": noisy(t, C)}])
add("iou_target_id_below_range", keras.metrics.IoU(C, [-9, 1]), [{"y_true": t, "y_pred": noisy(t, C)}])
add("iou_no_update", keras.metrics.IoU(C, [0, 1]), [])
add("iou_zero_weights", keras.metrics.IoU(C, [0, 1], dtype="float32"),
    [{"y_true": t, "y_pred": noisy(t, C), "sample_weight": np.zeros(12, "float32")}])
t = ints(0, 2, 9)
add("iou_int_weights_counted", keras.metrics.IoU(2, [0, 1]),
    [{"y_true": t, "y_pred": noisy(t, 2), "sample_weight": ints(0, 4, 9)}])

# ---------------------------------------------------------------- BinaryIoU
for n_up in [1, 3]:
    add(f"binary_iou_{n_up}updates", keras.metrics.BinaryIoU(),
        [{"y_true": ints(0, 2, 10), "y_pred": r.uniform(size=10).astype("float32")} for _ in range(n_up)])
add("binary_iou_threshold_target1", keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.3),
    [{"y_true": ints(0, 2, 8, 1), "y_pred": r.uniform(size=(8, 1)).astype("float32")}])
add("binary_iou_target0_weighted", keras.metrics.BinaryIoU(target_class_ids=[0], dtype="float32"),
    [{"y_true": ints(0, 2, 8), "y_pred": r.uniform(size=8).astype("float32"), "sample_weight": w(8)}])
add("binary_iou_int_weights_trunc", keras.metrics.BinaryIoU(threshold=0.6, name="biou"),
    [{"y_true": ints(0, 2, 5, 3), "y_pred": r.uniform(size=(5, 3)).astype("float32"), "sample_weight": w(5, 3)}])
add("binary_iou_at_threshold", keras.metrics.BinaryIoU(),
    [{"y_true": np.array([0, 1, 1, 0, 1], "float32"), "y_pred": np.array([0.5, 0.5, 0.4999, 0.5001, 1.0], "float32")}])
add("binary_iou_float_labels", keras.metrics.BinaryIoU(target_class_ids=(0, 1), threshold=0.25),
    [{"y_true": np.array([0.0, 1.0, 1.0, 0.0, 0.9, 1.0], "float32"), "y_pred": r.uniform(size=6).astype("float32")}])

# ---------------------------------------------------------------- MeanIoU
t = ints(0, C, 12)
add("mean_iou_basic", keras.metrics.MeanIoU(C), [{"y_true": t, "y_pred": noisy(t, C)}])
add("mean_iou_3updates_float", keras.metrics.MeanIoU(3, dtype="float32"),
    [{"y_true": (t := ints(0, 3, 7)), "y_pred": noisy(t, 3), "sample_weight": w(7)} for _ in range(3)])
t = ints(0, C, 12)
add("mean_iou_ignore_class", keras.metrics.MeanIoU(C, ignore_class=0), [{"y_true": t, "y_pred": noisy(t, C)}])
t = ints(0, C, 10)
add("mean_iou_dense_pred", keras.metrics.MeanIoU(C, sparse_y_pred=False), [{"y_true": t, "y_pred": peaked(t, C)}])
t = ints(0, C, 5, 2)
add("mean_iou_dense_both_weighted", keras.metrics.MeanIoU(C, sparse_y_true=False, sparse_y_pred=False, dtype="float32"),
    [{"y_true": one_hot(t, C), "y_pred": peaked(t, C), "sample_weight": w(5, 2)}])
add("mean_iou_absent_classes", keras.metrics.MeanIoU(5), [{"y_true": np.array([0, 1, 1, 0], "int32"), "y_pred": np.array([0, 1, 0, 0], "int32")}])

# ---------------------------------------------------------------- OneHotIoU / OneHotMeanIoU
t = ints(0, C, 10)
add("one_hot_iou_basic", keras.metrics.OneHotIoU(C, [0, 2]), [{"y_true": one_hot(t, C), "y_pred": peaked(t, C)}])
t = ints(0, C, 10)
add("one_hot_iou_sparse_pred", keras.metrics.OneHotIoU(C, [1, 2, 3], sparse_y_pred=True),
    [{"y_true": one_hot(t, C), "y_pred": noisy(t, C)}])
t = ints(0, C, 10)
add("one_hot_iou_ignore_weighted", keras.metrics.OneHotIoU(C, [0, 1, 3], ignore_class=1, dtype="float32"),
    [{"y_true": one_hot(t, C), "y_pred": peaked(t, C), "sample_weight": w(10)},
     {"y_true": one_hot((t2 := ints(0, C, 4)), C), "y_pred": peaked(t2, C), "sample_weight": w(4)}])
t = ints(0, C, 6)
add("one_hot_iou_axis0", keras.metrics.OneHotIoU(C, [0, 1], axis=0),
    [{"y_true": one_hot(t, C, axis=0), "y_pred": peaked(t, C, axis=0)}])
t = ints(0, C, 10)
add("one_hot_mean_iou_basic", keras.metrics.OneHotMeanIoU(C), [{"y_true": one_hot(t, C), "y_pred": peaked(t, C)}])
t = ints(0, C, 3, 4)
add("one_hot_mean_iou_3d_weighted", keras.metrics.OneHotMeanIoU(C, ignore_class=3, name="ohmiou"),
    [{"y_true": one_hot(t, C), "y_pred": peaked(t, C), "sample_weight": ints(0, 3, 3, 4)}])
t = ints(0, C, 7)
add("one_hot_mean_iou_sparse_pred_axis0", keras.metrics.OneHotMeanIoU(C, sparse_y_pred=True, axis=0),
    [{"y_true": one_hot(t, C, axis=0), "y_pred": noisy(t, C)}])

# ---------------------------------------------------------------- FBetaScore / F1Score
C = 3


def multilabel(*shape):
    return r.integers(0, 2, size=shape).astype("float32")


for avg in [None, "micro", "macro", "weighted"]:
    tag = avg or "none"
    add(f"f1_{tag}", keras.metrics.F1Score(average=avg),
        [{"y_true": one_hot((tt := ints(0, C, 10)), C), "y_pred": peaked(tt, C)}])
    add(f"f1_{tag}_threshold_3updates", keras.metrics.F1Score(average=avg, threshold=0.5),
        [{"y_true": multilabel(6, C), "y_pred": r.uniform(size=(6, C)).astype("float32")} for _ in range(3)])
    add(f"fbeta_{tag}_beta2_weighted", keras.metrics.FBetaScore(average=avg, beta=2.0),
        [{"y_true": one_hot((tt := ints(0, C, 8)), C), "y_pred": peaked(tt, C), "sample_weight": w(8)},
         {"y_true": one_hot((tt := ints(0, C, 5)), C), "y_pred": peaked(tt, C), "sample_weight": w(5)}])
    add(f"fbeta_{tag}_beta05_threshold", keras.metrics.FBetaScore(average=avg, beta=0.5, threshold=0.3),
        [{"y_true": multilabel(9, 4), "y_pred": r.uniform(size=(9, 4)).astype("float32"), "sample_weight": w(9)}])
add("f1_zero_rows", keras.metrics.F1Score(average="macro"),
    [{"y_true": np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], "float32"),
      "y_pred": np.array([[0, 0, 0], [0.2, 0.7, 0.1], [0.5, 0.0, 0.5], [0, 0, 0]], "float32")}])
add("f1_int_labels", keras.metrics.F1Score(),
    [{"y_true": one_hot(ints(0, 4, 7), 4).astype("int32"), "y_pred": probs(7, 4)}])
add("f1_threshold_1", keras.metrics.F1Score(average="micro", threshold=1.0, name="f1_at_1"),
    [{"y_true": multilabel(5, 3), "y_pred": np.where(r.uniform(size=(5, 3)) < 0.5, 1.0, 0.7).astype("float32")}])
add("f1_absent_class", keras.metrics.F1Score(average="weighted"),
    [{"y_true": one_hot(np.array([0, 1, 0, 1]), 3), "y_pred": probs(4, 3)}])
add("fbeta_logits_3updates", keras.metrics.FBetaScore(beta=1.5),
    [{"y_true": one_hot(ints(0, 5, 4), 5), "y_pred": r.standard_normal((4, 5)).astype("float32")} for _ in range(3)])

# ---------------------------------------------------------------- correlations
for cls, tag in [(keras.metrics.PearsonCorrelation, "pearson"), (keras.metrics.ConcordanceCorrelation, "concordance")]:
    def yy(*shape):
        a = r.standard_normal(shape).astype("float32")
        return a, (0.7 * a + 0.5 * r.standard_normal(shape) + 0.2).astype("float32")

    a, b = yy(6, 5)
    add(f"{tag}_basic", cls(), [{"y_true": a, "y_pred": b}], rtol=1e-4, atol=1e-5)
    ups = []
    for n in [4, 7, 3]:
        a, b = yy(n, 6)
        ups.append({"y_true": a, "y_pred": b})
    add(f"{tag}_3updates", cls(), ups, rtol=1e-4, atol=1e-5)
    a, b = yy(8, 4)
    add(f"{tag}_weighted", cls(name=f"{tag}_w"), [{"y_true": a, "y_pred": b, "sample_weight": w(8)}], rtol=1e-4, atol=1e-5)
    a, b = yy(7, 3)
    add(f"{tag}_axis0", cls(axis=0), [{"y_true": a, "y_pred": b}], rtol=1e-4, atol=1e-5)
    a, b = yy(9)
    add(f"{tag}_rank1", cls(), [{"y_true": a, "y_pred": b}, {"y_true": yy(5)[0], "y_pred": yy(5)[1]}], rtol=1e-4, atol=1e-5)
    a, b = yy(5, 1)
    add(f"{tag}_b1_pred_rank1_true", cls(axis=0), [{"y_true": a[:, 0], "y_pred": b}], rtol=1e-4, atol=1e-5)
    a, b = yy(3, 4, 5)
    add(f"{tag}_3d_weight_b", cls(), [{"y_true": a, "y_pred": b, "sample_weight": w(3)}], rtol=1e-4, atol=1e-5)
    a, b = yy(6, 4)
    add(f"{tag}_axis_none", cls(axis=None), [{"y_true": a, "y_pred": b}, {"y_true": yy(3, 4)[0], "y_pred": yy(3, 4)[1]}],
        rtol=1e-4, atol=1e-5)
    a, b = yy(3, 4, 5)
    add(f"{tag}_axis_list", cls(axis=[1, 2]), [{"y_true": a, "y_pred": b}], rtol=1e-4, atol=1e-5)

# ---------------------------------------------------------------- model_fit
# (atol 1e-4: Adam at lr 0.05 turns float32 rounding differences of the backends into ~1e-5
# differences of near-zero weights; the metrics are what this case checks)
rs = new_keras_session(20260502)
N, D, K = 24, 5, 3
x = rs.standard_normal((N, D)).astype("float32")
labels = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64") + (x[:, 2] > 0.8).astype("int64")
y = np.eye(K, dtype="float32")[labels]
model = keras.Sequential([keras.Input((D,)), layers.Dense(8, activation="relu"), layers.Dense(K, activation="softmax")])
cases.append(model_fit_case("fit_softmax_iou_corr_metrics", model, keras.optimizers.Adam(0.05), "categorical_crossentropy",
                            ["BinaryIoU", "PearsonCorrelation", "ConcordanceCorrelation", "accuracy"],
                            x, y, 8, 3, 1e-4, 1e-4))

write("metrics_iou_fscore.json", cases)
