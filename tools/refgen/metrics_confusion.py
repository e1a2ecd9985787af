"""Reference cases for Keras's confusion metrics (keras/src/metrics/confusion_metrics.py):
TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall,
SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision and AUC,
as `metric` cases (several update_state calls, then result()), plus one `model_fit` case with
compile(metrics=["AUC", "Precision", "Recall"]) so the state is updated inside the train step.
Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/metrics_confusion.py
Writes tests/conformance/metrics_confusion.json.

Keras facts these cases pin down (metrics_utils.update_confusion_matrix_variables):
- y_true counts as positive where nonzero; a prediction is positive at threshold t where > t.
- A list of thresholds gives a vector result, a single one (or the default 0.5) a scalar.
- Evenly spaced thresholds (3 or more, or the generated ones of AUC and the *At* metrics) take
  the bucketing path: predictions are clipped to [0, 1] first (so 1.5 counts as 1.0).
- sample_weight gets a trailing axis and is matched to y_true, then broadcast to y_pred.
- top_k keeps the k largest predictions of the last axis (ties to the lower index) and sets the
  others to -1e10 (the default threshold with top_k is -1e10); class_id picks one column.
- AUC(multi_label=True) keeps [num_thresholds, num_labels] counts and averages the per-label
  areas (weighted by label_weights); without multi_label, label_weights weight the counts.
"""
import numpy as np
import keras

from common import metric_case, model_fit_case, new_keras_session, rng, write

r = rng(20260522)
cases = []


def add(cid, metric, updates, rtol=None, atol=None):
    cases.append(metric_case(cid, metric, updates, rtol, atol))


def labels(*shape):
    return r.integers(0, 2, size=shape).astype("float32")


def preds(*shape):
    return r.uniform(0.0, 1.0, size=shape).astype("float32")


def w(*shape):
    return r.uniform(0.0, 2.0, size=shape).astype("float32")


def upd(shape, weight_shape=None, int_labels=False):
    u = {"y_true": labels(*shape), "y_pred": preds(*shape)}
    if int_labels:
        u["y_true"] = u["y_true"].astype("int32")
    if weight_shape is not None:
        u["sample_weight"] = w(*weight_shape)
    return u


# ---- TruePositives, FalsePositives, TrueNegatives, FalseNegatives
counts = [keras.metrics.TruePositives, keras.metrics.FalsePositives, keras.metrics.TrueNegatives,
          keras.metrics.FalseNegatives]
for cls in counts:
    n = cls.__name__.lower()
    add(f"{n}_default", cls(), [upd((8,))])
    add(f"{n}_thr_float", cls(thresholds=0.3), [upd((6, 1)), upd((4, 1))])
    add(f"{n}_thr_list", cls(thresholds=[0.15, 0.5, 0.85]), [upd((5, 3)), upd((2, 3))])
    add(f"{n}_thr_even", cls(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0]), [upd((7,)), upd((3,))])
    add(f"{n}_weighted", cls(thresholds=[0.2, 0.7]), [upd((6,), (6,)), upd((4,), (4,))])
    add(f"{n}_weighted_2d", cls(), [upd((4, 3), (4,)), upd((3, 3), (3, 3))])
    add(f"{n}_rank3", cls(thresholds=[0.4, 0.6]), [upd((2, 3, 4), (2, 3))])
    add(f"{n}_scalar_weight", cls(), [upd((5,), ())])
    add(f"{n}_int_labels", cls(thresholds=0.6), [upd((6, 2), int_labels=True)])
add("truepositives_single_list", keras.metrics.TruePositives(thresholds=[0.5], name="tp1"), [upd((9,))])
add("truepositives_int_threshold", keras.metrics.TruePositives(thresholds=[0, 1]), [upd((9,))])
add("falsepositives_no_update", keras.metrics.FalsePositives(thresholds=[0.1, 0.9]), [])
add("truepositives_out_of_range_even", keras.metrics.TruePositives(thresholds=[0.0, 0.5, 1.0]),
    [{"y_true": np.array([1, 1, 0, 1, 0, 1], "float32"), "y_pred": np.array([1.5, -0.2, 2.0, 1.0, 0.0, 0.5], "float32")}])
add("truepositives_out_of_range_uneven", keras.metrics.TruePositives(thresholds=[0.0, 0.4, 1.0]),
    [{"y_true": np.array([1, 1, 0, 1, 0, 1], "float32"), "y_pred": np.array([1.5, -0.2, 2.0, 1.0, 0.0, 0.5], "float32")}])
add("truenegatives_soft_labels", keras.metrics.TrueNegatives(thresholds=[0.3, 0.6]),
    [{"y_true": np.array([0.0, 0.2, 1.0, 0.0, 0.7], "float32"), "y_pred": preds(5)}])

# ---- Precision, Recall
for cls in [keras.metrics.Precision, keras.metrics.Recall]:
    n = cls.__name__.lower()
    add(f"{n}_default", cls(), [upd((10,))])
    add(f"{n}_b1", cls(), [upd((6, 1)), upd((5, 1)), upd((3, 1))])
    add(f"{n}_thr_float", cls(thresholds=0.7), [upd((8,))])
    add(f"{n}_thr_list", cls(thresholds=[0.1, 0.4, 0.6, 0.95]), [upd((6, 2)), upd((3, 2))])
    add(f"{n}_thr_even", cls(thresholds=[0.0, 0.5, 1.0]), [upd((9,))])
    add(f"{n}_weighted", cls(), [upd((7,), (7,)), upd((5, 1), (5,))])
    add(f"{n}_weighted_full", cls(thresholds=[0.3, 0.6]), [upd((4, 3), (4, 3))])
    add(f"{n}_class_id", cls(class_id=2), [upd((6, 4)), upd((3, 4))])
    add(f"{n}_class_id_weighted", cls(class_id=1, thresholds=[0.25, 0.75]), [upd((6, 3), (6,))])
    add(f"{n}_class_id_neg", cls(class_id=-1), [upd((5, 3))])
    add(f"{n}_top_k", cls(top_k=2), [upd((6, 5)), upd((2, 5))])
    add(f"{n}_top_k1", cls(top_k=1), [upd((8, 4), (8,))])
    add(f"{n}_top_k_class_id", cls(top_k=2, class_id=3), [upd((10, 5))])
    add(f"{n}_top_k_thr", cls(top_k=3, thresholds=[0.2, 0.5]), [upd((5, 6))])
    add(f"{n}_top_k_rank3", cls(top_k=2), [upd((2, 3, 4))])
    add(f"{n}_top_k_ties", cls(top_k=2),
        [{"y_true": np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]], "float32"),
          "y_pred": np.array([[0.5, 0.5, 0.5, 0.1], [0.2, 0.9, 0.2, 0.2], [0.3, 0.3, 0.3, 0.3]], "float32")}])
    add(f"{n}_rank3", cls(thresholds=[0.3, 0.5, 0.7]), [upd((2, 2, 3), (2, 2))])
    add(f"{n}_zero_weights", cls(), [upd((4,), None) | {"sample_weight": np.zeros(4, "float32")}])
    add(f"{n}_int_labels", cls(), [upd((6,), int_labels=True)])

# ---- SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision
at = [(keras.metrics.SensitivityAtSpecificity, "specificity"), (keras.metrics.SpecificityAtSensitivity, "sensitivity"),
      (keras.metrics.PrecisionAtRecall, "recall"), (keras.metrics.RecallAtPrecision, "precision")]
for cls, key in at:
    n = cls.__name__.lower()
    add(f"{n}_default", cls(0.5), [upd((20,))])
    add(f"{n}_value_high", cls(**{key: 0.8}), [upd((16,)), upd((12,))])
    add(f"{n}_value_0", cls(**{key: 0.0}), [upd((10,))])
    add(f"{n}_value_1", cls(**{key: 1}), [upd((10,))])
    add(f"{n}_value_07", cls(**{key: 0.7}, num_thresholds=11),
        [{"y_true": np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], "float32"),
          "y_pred": np.array([0.9, 0.75, 0.2, 0.1, 0.15, 0.55, 0.3, 0.05, 0.85, 0.4], "float32")}])
    add(f"{n}_nt1", cls(**{key: 0.4}, num_thresholds=1), [upd((12,))])
    add(f"{n}_nt2", cls(**{key: 0.4}, num_thresholds=2), [upd((12,))])
    add(f"{n}_nt7", cls(**{key: 0.6}, num_thresholds=7), [upd((9, 2)), upd((4, 2))])
    add(f"{n}_weighted", cls(**{key: 0.5}, num_thresholds=50), [upd((15,), (15,)), upd((8, 1), (8,))])
    add(f"{n}_class_id", cls(**{key: 0.3}, class_id=1), [upd((12, 3), (12,))])
    add(f"{n}_rank3", cls(**{key: 0.5}, num_thresholds=20), [upd((3, 2, 4))])
    add(f"{n}_out_of_range", cls(**{key: 0.5}, num_thresholds=5),
        [{"y_true": np.array([1, 0, 1, 0, 1, 0], "float32"), "y_pred": np.array([1.3, -0.5, 0.0, 1.0, 0.5, 0.75], "float32")}])

# ---- AUC
A = keras.metrics.AUC
add("auc_default", A(), [upd((20,))])
add("auc_b1_three_updates", A(), [upd((8, 1)), upd((8, 1)), upd((5, 1))])
for curve in ["ROC", "PR", "PRGAIN"]:
    for method in ["interpolation", "minoring", "majoring"]:
        add(f"auc_{curve.lower()}_{method}", A(curve=curve, summation_method=method, num_thresholds=37),
            [upd((24,)), upd((10,), (10,))])
add("auc_curve_lowercase", A(curve="pr", summation_method="Majoring"), [upd((12,))])
add("auc_nt2", A(num_thresholds=2), [upd((10,))])
add("auc_nt3", A(num_thresholds=3, curve="PR"), [upd((10,))])
add("auc_thresholds_uneven", A(thresholds=[0.7, 0.1, 0.35]), [upd((14,)), upd((6,))])
add("auc_thresholds_even", A(thresholds=[0.25, 0.5, 0.75]), [upd((14,))])
add("auc_thresholds_pr", A(thresholds=[0.2, 0.4, 0.45, 0.9], curve="PR"), [upd((14,))])
add("auc_thresholds_empty", A(thresholds=[]), [upd((8,))])
add("auc_weighted", A(), [upd((12,), (12,)), upd((6, 1), (6,))])
add("auc_weighted_2d", A(curve="PR"), [upd((5, 3), (5, 3))])
add("auc_2d_flattened", A(), [upd((6, 4))])
add("auc_rank3", A(num_thresholds=50), [upd((3, 4, 2), (3, 4))])
add("auc_int_labels", A(), [upd((10,), int_labels=True)])
add("auc_from_logits", A(from_logits=True),
    [{"y_true": labels(12), "y_pred": r.standard_normal(12).astype("float32") * 2}])
add("auc_from_logits_pr", A(from_logits=True, curve="PR", num_thresholds=30),
    [{"y_true": labels(6, 2), "y_pred": r.standard_normal((6, 2)).astype("float32")}])
add("auc_label_weights", A(label_weights=[0.2, 1.0, 3.0]), [upd((8, 3)), upd((4, 3), (4,))])
add("auc_multi_label", A(multi_label=True), [upd((10, 3)), upd((6, 3))])
add("auc_multi_label_num_labels", A(multi_label=True, num_labels=4, curve="PR"), [upd((9, 4), (9,))])
add("auc_multi_label_label_weights", A(multi_label=True, num_labels=3, label_weights=[1.0, 0.5, 2.0]),
    [upd((8, 3)), upd((5, 3), (5, 3))])
add("auc_multi_label_label_weights_lazy_pr", A(multi_label=True, label_weights=[0.3, 0.7], curve="PR", summation_method="minoring"),
    [upd((12, 2))])
add("auc_multi_label_thresholds", A(multi_label=True, thresholds=[0.3, 0.6], summation_method="majoring"), [upd((7, 2))])
add("auc_multi_label_from_logits", A(multi_label=True, from_logits=True, curve="PRGAIN"),
    [{"y_true": labels(10, 3), "y_pred": r.standard_normal((10, 3)).astype("float32")}])
add("auc_out_of_range", A(num_thresholds=5),
    [{"y_true": np.array([1, 0, 1, 0, 1, 0], "float32"), "y_pred": np.array([1.3, -0.5, 0.0, 1.0, 0.5, 0.75], "float32")}])
add("auc_all_positive", A(), [{"y_true": np.ones(5, "float32"), "y_pred": preds(5)}])
add("auc_no_update", A(curve="PR"), [])

# ---- model_fit: the metrics' state updated inside the compiled train step
rs = new_keras_session(20260523)
N = 21
x = rs.standard_normal((N, 4)).astype("float32")
y = (x[:, :1] + 0.5 * rs.standard_normal((N, 1)) > 0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"),
                          keras.layers.Dense(1, activation="sigmoid")])
cases.append(model_fit_case("fit_dense_auc_precision_recall", model, keras.optimizers.SGD(learning_rate=0.1),
                            "binary_crossentropy", ["AUC", "Precision", "Recall"], x, y, 8, 2, 1e-4, 1e-5))

write("metrics_confusion.json", cases)
