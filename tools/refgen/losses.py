"""Reference cases for the loss classes MeanSquaredError, BinaryCrossentropy,
CategoricalCrossentropy and SparseCategoricalCrossentropy, as `loss` cases: every reduction, with
and without sample_weight, probabilities at and near 0 and 1 (clipping to [eps, 1 - eps],
eps = 1e-7), 2-D and 3-D inputs. Pinned: keras==3.15.1, jax==0.10.2 (requirements.txt).

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/losses.py
Writes tests/conformance/losses.json.

Keras facts these cases pin down (keras/src/losses/loss.py):
- sample_weight is matched to the per-sample loss (the input with its last axis reduced) by
  `squeeze_or_expand_to_same_rank` only: a weight of shape [B] works for 2-D inputs (loss [B]);
  for 3-D inputs (loss [B, T]) the weight must be [B, T] (a [B] weight fails to broadcast), and a
  [B, D] weight on a 2-D input fails too. A [B, 1] weight on a 2-D input expands the loss to
  [B, 1], so reduction "none" then returns shape [B, 1].
- "sum_over_batch_size" and "mean": sum(loss * w) / number of loss elements;
  "mean_with_sample_weight": sum(loss * w) / sum(w) (w as given, not broadcast), and without a
  weight the same as "sum_over_batch_size"; "sum": sum(loss * w); "none": loss * w.
- CategoricalCrossentropy's label smoothing divides by y_true.shape[-1] whatever `axis` is.
"""
import numpy as np
import keras

from common import keras_config, rng, tensor, write

r = rng(20260302)
cases = []
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]


def add(cid, loss, y_true, y_pred, sample_weight=None, rtol=None, atol=None):
    out = loss(y_true, y_pred, sample_weight=sample_weight)
    c = {
        "id": cid,
        "kind": "loss",
        "config": keras_config(loss, keras.losses.serialize),
        "y_true": tensor(y_true),
        "y_pred": tensor(y_pred),
    }
    if sample_weight is not None:
        c["sample_weight"] = tensor(sample_weight)
    c["expected"] = tensor(np.asarray(out))
    if rtol is not None:
        c["rtol"] = rtol
    if atol is not None:
        c["atol"] = atol
    cases.append(c)


def weights(*shape):
    return r.uniform(0.0, 2.0, size=shape).astype("float32")


def probs(*shape):
    """Probabilities with exact 0 and 1 and values within 1e-9 of them mixed in."""
    p = r.uniform(0.0, 1.0, size=shape).astype("float32")
    flat = p.reshape(-1)
    edge = np.array([0.0, 1.0, 1e-9, 1.0 - 1e-8, 1e-3, 0.999], "float32")
    flat[: min(edge.size, flat.size)] = edge[: flat.size]
    return p


def softmax_probs(*shape, axis=-1):
    z = r.standard_normal(shape).astype("float32") * 3
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype("float32")


def one_hot(labels, n, axis=-1):
    oh = np.eye(n, dtype="float32")[labels]
    if axis != -1:
        oh = np.moveaxis(oh, -1, axis)
    return np.ascontiguousarray(oh)


def sweep(tag, make_loss, y_true, y_pred, sw):
    """Every reduction, without and with the weight sw."""
    for red in REDUCTIONS:
        add(f"{tag}_{red}", make_loss(red), y_true, y_pred)
        add(f"{tag}_{red}_sw", make_loss(red), y_true, y_pred, sample_weight=sw)


# ---- MeanSquaredError
B, D, T = 5, 3, 4
yt, yp = r.standard_normal((B, D)).astype("float32"), r.standard_normal((B, D)).astype("float32")
sweep("mse_2d", lambda red: keras.losses.MeanSquaredError(reduction=red), yt, yp, weights(B))
yt3, yp3 = r.standard_normal((B, T, D)).astype("float32"), r.standard_normal((B, T, D)).astype("float32")
sweep("mse_3d", lambda red: keras.losses.MeanSquaredError(reduction=red), yt3, yp3, weights(B, T))
for red in ["sum_over_batch_size", "mean_with_sample_weight", "none"]:
    add(f"mse_2d_sw_b1_{red}", keras.losses.MeanSquaredError(reduction=red), yt, yp, sample_weight=weights(B, 1))
add("mse_2d_zero_weights_mean_with_sample_weight", keras.losses.MeanSquaredError(reduction="mean_with_sample_weight"),
    yt, yp, sample_weight=np.zeros(B, "float32"))
add("mse_1col", keras.losses.MeanSquaredError(), r.standard_normal((6, 1)).astype("float32"),
    r.standard_normal((6, 1)).astype("float32"))
add("mse_custom_name", keras.losses.MeanSquaredError(name="my_mse"), yt, yp)

# ---- BinaryCrossentropy
ytb = (r.uniform(size=(B, D)) > 0.5).astype("float32")
ytb.reshape(-1)[:6] = [0, 1, 0, 1, 1, 0]  # so exact 0/1 predictions meet both labels
ypb = probs(B, D)
logits = (r.standard_normal((B, D)) * 4).astype("float32")
logits.reshape(-1)[:3] = [30.0, -30.0, 0.0]
for from_logits in [False, True]:
    for ls in [0.0, 0.1]:
        tag = f"bce_{'logits' if from_logits else 'probs'}_ls{ls}"
        pred = logits if from_logits else ypb
        mk = lambda red, fl=from_logits, ls=ls: keras.losses.BinaryCrossentropy(from_logits=fl, label_smoothing=ls, reduction=red)
        if ls == 0.0:
            sweep(tag + "_2d", mk, ytb, pred, weights(B))
        else:
            add(tag + "_2d", mk("sum_over_batch_size"), ytb, pred)
            add(tag + "_2d_sw", mk("sum_over_batch_size"), ytb, pred, sample_weight=weights(B))
            add(tag + "_2d_none", mk("none"), ytb, pred)
        yt3b = (r.uniform(size=(B, T, 2)) > 0.5).astype("float32")
        pred3 = (r.standard_normal((B, T, 2)) * 4).astype("float32") if from_logits else probs(B, T, 2)
        add(tag + "_3d", mk("sum_over_batch_size"), yt3b, pred3)
        add(tag + "_3d_none", mk("none"), yt3b, pred3)
        add(tag + "_3d_sw_sum", mk("sum"), yt3b, pred3, sample_weight=weights(B, T))
add("bce_soft_labels", keras.losses.BinaryCrossentropy(), r.uniform(size=(4, 2)).astype("float32"), probs(4, 2))
add("bce_single_output", keras.losses.BinaryCrossentropy(), (r.uniform(size=(8, 1)) > 0.5).astype("float32"), probs(8, 1))

# ---- CategoricalCrossentropy
C = 4
labels = r.integers(0, C, size=B)
ytc = one_hot(labels, C)
ypc = softmax_probs(B, C)
ypc[0] = [0.0, 0.0, 1.0, 0.0]  # exact 0/1 probabilities: clipped
ypc[1] = [1e-9, 1.0 - 1e-8, 0.0, 0.0]
ytc[0] = [1.0, 0.0, 0.0, 0.0]  # the true class predicted with probability 0
unnorm = r.uniform(0.1, 3.0, size=(B, C)).astype("float32")  # rows not summing to 1: normalized
logits_c = (r.standard_normal((B, C)) * 4).astype("float32")
logits_c[0] = [30.0, -30.0, 0.0, 5.0]
for from_logits in [False, True]:
    for ls in [0.0, 0.2]:
        tag = f"cce_{'logits' if from_logits else 'probs'}_ls{ls}"
        pred = logits_c if from_logits else ypc
        mk = lambda red, fl=from_logits, ls=ls: keras.losses.CategoricalCrossentropy(from_logits=fl, label_smoothing=ls, reduction=red)
        if ls == 0.0:
            sweep(tag + "_2d", mk, ytc, pred, weights(B))
        else:
            add(tag + "_2d", mk("sum_over_batch_size"), ytc, pred)
            add(tag + "_2d_sw", mk("sum_over_batch_size"), ytc, pred, sample_weight=weights(B))
            add(tag + "_2d_none", mk("none"), ytc, pred)
        lab3 = r.integers(0, C, size=(B, T))
        yt3c = one_hot(lab3, C)
        pred3 = (r.standard_normal((B, T, C)) * 3).astype("float32") if from_logits else softmax_probs(B, T, C)
        add(tag + "_3d", mk("sum_over_batch_size"), yt3c, pred3)
        add(tag + "_3d_none", mk("none"), yt3c, pred3)
        add(tag + "_3d_sw_mean_with_sample_weight", mk("mean_with_sample_weight"), yt3c, pred3, sample_weight=weights(B, T))
add("cce_unnormalized_probs", keras.losses.CategoricalCrossentropy(), ytc, unnorm)
add("cce_unnormalized_probs_none", keras.losses.CategoricalCrossentropy(reduction="none"), ytc, unnorm)
add("cce_soft_labels", keras.losses.CategoricalCrossentropy(), softmax_probs(B, C), ypc)
# axis = 1 on [B, C, T]: classes along axis 1 (T != C, so the smoothing quirk shows)
T2 = 3
lab_ax = r.integers(0, C, size=(B, T2))
yt_ax = one_hot(lab_ax, C, axis=1)
for from_logits in [False, True]:
    pred_ax = (r.standard_normal((B, C, T2)) * 3).astype("float32") if from_logits else softmax_probs(B, C, T2, axis=1)
    for ls in [0.0, 0.2]:
        tag = f"cce_axis1_{'logits' if from_logits else 'probs'}_ls{ls}"
        mk = lambda red, fl=from_logits, ls=ls: keras.losses.CategoricalCrossentropy(from_logits=fl, label_smoothing=ls, axis=1, reduction=red)
        add(tag, mk("sum_over_batch_size"), yt_ax, pred_ax)
        add(tag + "_none", mk("none"), yt_ax, pred_ax)
    add(f"cce_axis1_{'logits' if from_logits else 'probs'}_sw_sum", keras.losses.CategoricalCrossentropy(from_logits=from_logits, axis=1, reduction="sum"),
        yt_ax, pred_ax, sample_weight=weights(B, T2))
# axis = 0 on a 2-D input: classes along the batch axis
add("cce_axis0_2d_none", keras.losses.CategoricalCrossentropy(axis=0, reduction="none"), one_hot(r.integers(0, C, size=3), C, axis=0), softmax_probs(C, 3, axis=0))

# ---- SparseCategoricalCrossentropy
ys = labels.astype("int32")
for from_logits in [False, True]:
    tag = f"scce_{'logits' if from_logits else 'probs'}"
    pred = logits_c if from_logits else ypc
    mk = lambda red, fl=from_logits: keras.losses.SparseCategoricalCrossentropy(from_logits=fl, ignore_class=None, reduction=red)
    sweep(tag + "_2d", mk, ys, pred, weights(B))
    add(tag + "_labels_b1", mk("sum_over_batch_size"), ys.reshape(B, 1), pred)
    add(tag + "_labels_b1_sw", mk("sum_over_batch_size"), ys.reshape(B, 1), pred, sample_weight=weights(B))
    ys3 = r.integers(0, C, size=(B, T)).astype("int32")
    pred3 = (r.standard_normal((B, T, C)) * 3).astype("float32") if from_logits else softmax_probs(B, T, C)
    add(tag + "_3d", mk("sum_over_batch_size"), ys3, pred3)
    add(tag + "_3d_none", mk("none"), ys3, pred3)
    add(tag + "_3d_sw_sum", mk("sum"), ys3, pred3, sample_weight=weights(B, T))
    add(tag + "_3d_sw_mean_with_sample_weight", mk("mean_with_sample_weight"), ys3, pred3, sample_weight=weights(B, T))
add("scce_unnormalized_probs", keras.losses.SparseCategoricalCrossentropy(), ys, unnorm)
add("scce_float_labels", keras.losses.SparseCategoricalCrossentropy(from_logits=True), labels.astype("float32"), logits_c)

write("losses.json", cases)
