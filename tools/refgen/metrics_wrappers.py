"""Reference cases for the Keras metrics that are sums, means or wrappers of functions: Sum,
MeanMetricWrapper, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, KLDivergence,
Poisson, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge,
SquaredHinge, CategoricalHinge, MeanSquaredError, MeanAbsoluteError,
MeanAbsolutePercentageError, MeanSquaredLogarithmicError, RootMeanSquaredError,
CosineSimilarity, LogCoshError, R2Score; as `metric` cases (several `update_state` calls, then
`result()`), plus `model_fit` cases whose compile metrics are given as strings, so History's
names are Keras's. Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/metrics_wrappers.py
Writes tests/conformance/metrics_wrappers.json.

Keras facts these cases pin down:
- Sum reduces the values with ops.sum (reduce_to_samplewise_values(reduce_fn=sum)): total +=
  sum(values * weight broadcast), no count.
- MeanMetricWrapper's config is {name, dtype, fn: serialized builtins function, **kwargs}.
- SparseCategoricalCrossentropy(ignore_class): the ignored positions give 0; their mask joins
  the weight only when a sample_weight is given (without one they still count).
- CosineSimilarity's get_config leaves `axis` out; LogCoshError's default name is "logcosh".
- R2Score: per-output sums; class_aggregation None gives a vector; num_regressors adjusts.
- TopK: ties count for the label (rank = 1 + #(pred > pred[label])).
"""
import numpy as np
import keras

from common import metric_case, model_fit_case, new_keras_session, rng, write

r = rng(20260511)
cases = []
M = keras.metrics


def add(cid, metric, updates, rtol=None, atol=None):
    cases.append(metric_case(cid, metric, updates, rtol, atol))


def w(*shape):
    return r.uniform(0.0, 2.0, size=shape).astype("float32")


def f32(*shape):
    return r.standard_normal(shape).astype("float32")


def pos(*shape):
    return r.uniform(0.05, 3.0, size=shape).astype("float32")


def probs(*shape):
    p = r.uniform(0.01, 1.0, size=shape).astype("float32")
    return p / p.sum(-1, keepdims=True)


def one_hot(ids, c):
    return np.eye(c, dtype="float32")[ids]


def labels01(*shape):
    return r.integers(0, 2, size=shape).astype("float32")


# ---- Sum
add("sum_single", M.Sum(), [{"values": f32(6)}])
add("sum_weighted_updates", M.Sum(), [{"values": f32(5), "sample_weight": w(5)}, {"values": f32(3)}])
add("sum_2d_weight_b", M.Sum(name="total"), [{"values": f32(4, 3), "sample_weight": w(4)}])
add("sum_2d_weight_full", M.Sum(), [{"values": f32(4, 3), "sample_weight": w(4, 3)}, {"values": f32(2, 3), "sample_weight": w(2, 1)}])
add("sum_3d_weight_b", M.Sum(), [{"values": f32(3, 2, 4), "sample_weight": w(3)}])
add("sum_scalar", M.Sum(), [{"values": np.float32(2.5)}, {"values": np.float32(-1.0), "sample_weight": np.float32(3.0)}])
add("sum_no_update", M.Sum(), [])

# ---- MeanMetricWrapper
add("wrapper_mse", M.MeanMetricWrapper(fn=keras.losses.mean_squared_error),
    [{"y_true": f32(5, 3), "y_pred": f32(5, 3)}, {"y_true": f32(2, 3), "y_pred": f32(2, 3), "sample_weight": w(2)}])
add("wrapper_cce_kwargs", M.MeanMetricWrapper(fn=keras.losses.categorical_crossentropy, name="cce", from_logits=True, label_smoothing=0.1),
    [{"y_true": one_hot(r.integers(0, 4, size=6), 4), "y_pred": f32(6, 4), "sample_weight": w(6)}])
add("wrapper_top_k", M.MeanMetricWrapper(fn=M.top_k_categorical_accuracy, k=2),
    [{"y_true": one_hot(r.integers(0, 5, size=8), 5), "y_pred": probs(8, 5)}])
add("wrapper_huber", M.MeanMetricWrapper(fn=keras.losses.huber, name="huber", delta=0.5),
    [{"y_true": f32(6, 2), "y_pred": f32(6, 2)}])
add("wrapper_binary_accuracy_threshold", M.MeanMetricWrapper(fn=M.binary_accuracy, threshold=0.3),
    [{"y_true": labels01(6, 1), "y_pred": r.uniform(size=(6, 1)).astype("float32")}])
add("wrapper_cosine_loss_fn", M.MeanMetricWrapper(fn=keras.losses.cosine_similarity, axis=-1),
    [{"y_true": f32(5, 3), "y_pred": f32(5, 3)}])
add("wrapper_log_cosh", M.MeanMetricWrapper(fn=keras.losses.log_cosh, name="lc"),
    [{"y_true": f32(3, 4, 2), "y_pred": f32(3, 4, 2), "sample_weight": w(3, 4)}])
add("wrapper_sparse_cce", M.MeanMetricWrapper(fn=keras.losses.sparse_categorical_crossentropy, from_logits=True),
    [{"y_true": r.integers(0, 3, size=5).astype("int32"), "y_pred": f32(5, 3)}])

# ---- TopKCategoricalAccuracy
C = 6
add("top_k_default", M.TopKCategoricalAccuracy(),
    [{"y_true": one_hot(r.integers(0, C, size=8), C), "y_pred": probs(8, C)}])
for k in [1, 2, 3]:
    add(f"top_k_k{k}_updates", M.TopKCategoricalAccuracy(k=k),
        [{"y_true": one_hot(r.integers(0, C, size=7), C), "y_pred": f32(7, C)},
         {"y_true": one_hot(r.integers(0, C, size=4), C), "y_pred": f32(4, C), "sample_weight": w(4)}])
add("top_k_weighted_b1", M.TopKCategoricalAccuracy(k=2, name="top2"),
    [{"y_true": one_hot(r.integers(0, C, size=6), C), "y_pred": probs(6, C), "sample_weight": w(6, 1)}])
add("top_k_3d", M.TopKCategoricalAccuracy(k=2),
    [{"y_true": one_hot(r.integers(0, C, size=(3, 4)), C), "y_pred": probs(3, 4, C), "sample_weight": w(3, 4)}])
add("top_k_ties", M.TopKCategoricalAccuracy(k=1),
    [{"y_true": one_hot(np.array([0, 1, 2, 2]), 3),
      "y_pred": np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.3], [0.4, 0.3, 0.3]], "float32")}])
add("top_k_keras_doc", M.TopKCategoricalAccuracy(k=1),
    [{"y_true": np.array([[0, 0, 1], [0, 1, 0]], "float32"), "y_pred": np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0]], "float32"),
      "sample_weight": np.array([0.7, 0.3], "float32")}])

# ---- SparseTopKCategoricalAccuracy
add("sparse_top_k_default", M.SparseTopKCategoricalAccuracy(),
    [{"y_true": r.integers(0, 8, size=9).astype("int32"), "y_pred": probs(9, 8)}])
for k in [1, 3]:
    add(f"sparse_top_k_k{k}", M.SparseTopKCategoricalAccuracy(k=k),
        [{"y_true": r.integers(0, C, size=7).astype("int32"), "y_pred": f32(7, C)},
         {"y_true": r.integers(0, C, size=(4, 1)).astype("int32"), "y_pred": f32(4, C), "sample_weight": w(4)}])
add("sparse_top_k_float_labels", M.SparseTopKCategoricalAccuracy(k=2),
    [{"y_true": r.integers(0, C, size=6).astype("float32"), "y_pred": probs(6, C), "sample_weight": w(6, 1)}])
add("sparse_top_k_3d", M.SparseTopKCategoricalAccuracy(k=2),
    [{"y_true": r.integers(0, C, size=(3, 4)).astype("int32"), "y_pred": probs(3, 4, C), "sample_weight": w(3, 4)}])
add("sparse_top_k_sorted_ids", M.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
    [{"y_true": np.array([2, 1, 0, 3], "int32"), "y_pred": np.array([[1, 0, 3], [1, 2, 3], [4, 5, 0], [3, 3, 1]], "int32")}])
add("sparse_top_k_sorted_ids_k_large", M.SparseTopKCategoricalAccuracy(k=5, from_sorted_ids=True, name="stk"),
    [{"y_true": np.array([3, 1, 7], "int32"), "y_pred": np.array([[1, 0, 3], [4, 2, 3], [4, 5, 0]], "int32"), "sample_weight": w(3)}])

# ---- probabilistic
add("kld_updates", M.KLDivergence(),
    [{"y_true": probs(5, 4), "y_pred": probs(5, 4)}, {"y_true": probs(3, 4), "y_pred": probs(3, 4), "sample_weight": w(3)}])
add("kld_3d", M.KLDivergence(name="kld"), [{"y_true": probs(2, 3, 4), "y_pred": probs(2, 3, 4), "sample_weight": w(2, 3)}])
add("poisson_updates", M.Poisson(),
    [{"y_true": r.integers(0, 5, size=(6, 2)).astype("float32"), "y_pred": pos(6, 2)},
     {"y_true": r.integers(0, 5, size=(3, 2)).astype("int32"), "y_pred": pos(3, 2), "sample_weight": w(3, 1)}])
add("bce_default", M.BinaryCrossentropy(),
    [{"y_true": labels01(6, 1), "y_pred": r.uniform(0.01, 0.99, size=(6, 1)).astype("float32")}])
add("bce_logits_smoothing", M.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
    [{"y_true": labels01(5, 3), "y_pred": f32(5, 3), "sample_weight": w(5)},
     {"y_true": labels01(2, 3), "y_pred": f32(2, 3)}])
add("bce_3d_int_labels", M.BinaryCrossentropy(name="bce"),
    [{"y_true": r.integers(0, 2, size=(2, 3, 4)).astype("int32"), "y_pred": r.uniform(0.01, 0.99, size=(2, 3, 4)).astype("float32"),
      "sample_weight": w(2, 3)}])
add("bce_float_smoothing", M.BinaryCrossentropy(label_smoothing=0.0),
    [{"y_true": labels01(4, 2), "y_pred": r.uniform(0.01, 0.99, size=(4, 2)).astype("float32")}])
add("cce_default", M.CategoricalCrossentropy(),
    [{"y_true": one_hot(r.integers(0, 4, size=6), 4), "y_pred": probs(6, 4)}])
add("cce_logits_smoothing", M.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    [{"y_true": one_hot(r.integers(0, 4, size=6), 4), "y_pred": f32(6, 4), "sample_weight": w(6)},
     {"y_true": one_hot(r.integers(0, 4, size=3), 4), "y_pred": f32(3, 4)}])
add("cce_axis0", M.CategoricalCrossentropy(axis=0),
    [{"y_true": one_hot(r.integers(0, 3, size=4), 3).T.copy(), "y_pred": probs(4, 3).T.copy()}])
add("cce_3d", M.CategoricalCrossentropy(),
    [{"y_true": one_hot(r.integers(0, 3, size=(2, 5)), 3), "y_pred": probs(2, 5, 3), "sample_weight": w(2, 5)}])
add("scce_default", M.SparseCategoricalCrossentropy(),
    [{"y_true": r.integers(0, 4, size=6).astype("int32"), "y_pred": probs(6, 4)}])
add("scce_logits_updates", M.SparseCategoricalCrossentropy(from_logits=True),
    [{"y_true": r.integers(0, 4, size=(5, 1)).astype("int32"), "y_pred": f32(5, 4), "sample_weight": w(5)},
     {"y_true": r.integers(0, 4, size=3).astype("float32"), "y_pred": f32(3, 4)}])
add("scce_3d", M.SparseCategoricalCrossentropy(from_logits=True),
    [{"y_true": r.integers(0, 3, size=(2, 5)).astype("int32"), "y_pred": f32(2, 5, 3), "sample_weight": w(2, 5)}])
add("scce_ignore_class_no_weight", M.SparseCategoricalCrossentropy(ignore_class=0),
    [{"y_true": np.array([0, 1, 2, 1], "int32"), "y_pred": probs(4, 3)}])
add("scce_ignore_class_weighted", M.SparseCategoricalCrossentropy(ignore_class=0),
    [{"y_true": np.array([0, 1, 2, 1, 0], "int32"), "y_pred": probs(5, 3), "sample_weight": w(5)}])

# ---- hinge
add("hinge_pm1", M.Hinge(), [{"y_true": np.where(labels01(6, 2) > 0, 1.0, -1.0).astype("float32"), "y_pred": f32(6, 2)}])
add("hinge_01_weighted", M.Hinge(),
    [{"y_true": labels01(5, 3), "y_pred": f32(5, 3), "sample_weight": w(5)}, {"y_true": labels01(2, 3), "y_pred": f32(2, 3)}])
add("squared_hinge", M.SquaredHinge(),
    [{"y_true": labels01(6, 2), "y_pred": f32(6, 2), "sample_weight": w(6, 1)}])
add("squared_hinge_3d", M.SquaredHinge(name="sqh"),
    [{"y_true": labels01(2, 3, 4), "y_pred": f32(2, 3, 4), "sample_weight": w(2, 3)}])
add("categorical_hinge", M.CategoricalHinge(),
    [{"y_true": one_hot(r.integers(0, 4, size=6), 4), "y_pred": f32(6, 4)},
     {"y_true": one_hot(r.integers(0, 4, size=3), 4), "y_pred": f32(3, 4), "sample_weight": w(3)}])

# ---- regression
for cls in [M.MeanSquaredError, M.MeanAbsoluteError, M.MeanSquaredLogarithmicError, M.LogCoshError]:
    n = cls.__name__
    add(f"{n}_updates", cls(),
        [{"y_true": f32(5, 3), "y_pred": f32(5, 3)}, {"y_true": f32(2, 3), "y_pred": f32(2, 3), "sample_weight": w(2)}])
    add(f"{n}_rank1", cls(name="m"), [{"y_true": f32(7), "y_pred": f32(7)}, {"y_true": f32(3), "y_pred": f32(3), "sample_weight": np.float32(2.0)}])
    add(f"{n}_3d_weight2", cls(), [{"y_true": f32(2, 3, 4), "y_pred": f32(2, 3, 4), "sample_weight": w(2, 3)}])
    add(f"{n}_b1_labels", cls(), [{"y_true": f32(6), "y_pred": f32(6, 1)}])
add("mape_updates", M.MeanAbsolutePercentageError(),
    [{"y_true": pos(5, 3), "y_pred": f32(5, 3)}, {"y_true": pos(2, 3), "y_pred": f32(2, 3), "sample_weight": w(2)}], rtol=1e-4)
add("mape_3d", M.MeanAbsolutePercentageError(), [{"y_true": pos(2, 3, 4), "y_pred": pos(2, 3, 4), "sample_weight": w(2, 3)}], rtol=1e-4)
add("rmse_updates", M.RootMeanSquaredError(),
    [{"y_true": f32(5, 3), "y_pred": f32(5, 3)}, {"y_true": f32(2, 3), "y_pred": f32(2, 3), "sample_weight": w(2)}])
add("rmse_weight_full", M.RootMeanSquaredError(name="rmse"), [{"y_true": f32(4, 3), "y_pred": f32(4, 3), "sample_weight": w(4, 3)}])
add("rmse_int_labels", M.RootMeanSquaredError(), [{"y_true": r.integers(0, 4, size=(6,)).astype("int32"), "y_pred": f32(6, 1)}])
add("rmse_3d", M.RootMeanSquaredError(), [{"y_true": f32(2, 3, 4), "y_pred": f32(2, 3, 4), "sample_weight": w(2)}])
add("cosine_default", M.CosineSimilarity(),
    [{"y_true": f32(5, 3), "y_pred": f32(5, 3)}, {"y_true": f32(2, 3), "y_pred": f32(2, 3), "sample_weight": w(2)}])
# (no axis case: Keras's get_config leaves `axis` out, so a case built from the config cannot
# carry it; tests/metrics_wrappers.rs checks `axis`)
add("cosine_3d", M.CosineSimilarity(name="cos"), [{"y_true": f32(2, 3, 4), "y_pred": f32(2, 3, 4), "sample_weight": w(2, 3)}])
add("cosine_zero_vector", M.CosineSimilarity(), [{"y_true": np.array([[0, 0], [1, 2]], "float32"), "y_pred": np.array([[1, 1], [2, 4]], "float32")}])
add("r2_default", M.R2Score(),
    [{"y_true": f32(6, 2), "y_pred": f32(6, 2)}, {"y_true": f32(3, 2), "y_pred": f32(3, 2)}], rtol=1e-4, atol=1e-5)
add("r2_weighted", M.R2Score(), [{"y_true": f32(6, 3), "y_pred": f32(6, 3), "sample_weight": w(6)}], rtol=1e-4, atol=1e-5)
add("r2_weighted_full", M.R2Score(), [{"y_true": f32(5, 2), "y_pred": f32(5, 2), "sample_weight": w(5, 2)}], rtol=1e-4, atol=1e-5)
add("r2_variance_weighted", M.R2Score(class_aggregation="variance_weighted_average"),
    [{"y_true": f32(7, 3), "y_pred": f32(7, 3)}], rtol=1e-4, atol=1e-5)
add("r2_per_output", M.R2Score(class_aggregation=None), [{"y_true": f32(7, 3), "y_pred": f32(7, 3)}], rtol=1e-4, atol=1e-5)
add("r2_adjusted", M.R2Score(num_regressors=2), [{"y_true": f32(8, 1), "y_pred": f32(8, 1)}], rtol=1e-4, atol=1e-5)
add("r2_adjusted_fallback", M.R2Score(num_regressors=5, name="r2"), [{"y_true": f32(4, 1), "y_pred": f32(4, 1)}], rtol=1e-4, atol=1e-5)
add("r2_rank1_labels", M.R2Score(), [{"y_true": f32(6), "y_pred": f32(6, 1)}], rtol=1e-4, atol=1e-5)

# ---- model.fit with metrics given as strings (History names are the strings)
SEED = 20260512
N, BATCH, EPOCHS = 20, 8, 3
RTOL, ATOL = 1e-4, 1e-5

r2 = new_keras_session(SEED)
x = r2.standard_normal((N, 4)).astype("float32")
y = (r2.standard_normal((N, 2)) + 2.0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="tanh"), keras.layers.Dense(2)])
cases.append(model_fit_case("fit_regression_string_metrics", model, keras.optimizers.Adam(learning_rate=0.02), "mse",
                            ["mse", "mae", "mape", "RootMeanSquaredError", "cosine_similarity", "msle", "log_cosh_error", "MSE"],
                            x, y, BATCH, EPOCHS, 1e-3, 1e-4))

r2 = new_keras_session(SEED + 1)
x = r2.standard_normal((N, 5)).astype("float32")
y = np.eye(4, dtype="float32")[r2.integers(0, 4, size=N)]
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(4, activation="softmax")])
cases.append(model_fit_case("fit_classification_string_metrics", model, keras.optimizers.Adam(learning_rate=0.02),
                            "categorical_crossentropy",
                            ["top_k_categorical_accuracy", "categorical_crossentropy", "kl_divergence", "CategoricalHinge", "poisson"],
                            x, y, BATCH, EPOCHS, RTOL, ATOL))

r2 = new_keras_session(SEED + 2)
x = r2.standard_normal((N, 5)).astype("float32")
y = r2.integers(0, 4, size=N).astype("int32")
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
cases.append(model_fit_case("fit_sparse_string_metrics", model, keras.optimizers.SGD(learning_rate=0.1),
                            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                            ["sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy", "sparse_categorical_crossentropy"],
                            x, y, BATCH, EPOCHS, RTOL, ATOL))

r2 = new_keras_session(SEED + 3)
x = r2.standard_normal((N, 3)).astype("float32")
y = r2.integers(0, 2, size=(N, 1)).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
cases.append(model_fit_case("fit_binary_string_metrics", model, keras.optimizers.Adam(learning_rate=0.05), "binary_crossentropy",
                            ["bce", "binary_crossentropy", "hinge", "squared_hinge", "BCE"], x, y, BATCH, EPOCHS, RTOL, ATOL))

write("metrics_wrappers.json", cases)
