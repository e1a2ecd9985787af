"""Reference cases for every loss class of keras.losses but CTC, as `loss` cases: every reduction, with
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
- Huber's `delta` and CosineSimilarity's `axis` are not in their get_config (Keras writes only
  name and reduction), so a serialized Huber(delta=0.5) comes back with delta=1: those arguments
  are checked by the function cases (losses_fns.py) instead.
- Circle sets a mask `loss > 0` on its values: "sum_over_batch_size" then averages over the
  samples with a positive loss only.
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


# ---- Losses without arguments of their own (every reduction, [B] and [B, 1] weights, 3-D)
def pos(*shape, lo=0.05, hi=2.0):
    return r.uniform(lo, hi, size=shape).astype("float32")


def signs(*shape):
    return np.where(r.uniform(size=shape) > 0.5, 1.0, -1.0).astype("float32")


def bits(*shape):
    return (r.uniform(size=shape) > 0.5).astype("float32")


plain = {
    "MeanAbsoluteError": (lambda *s: r.standard_normal(s).astype("float32"), lambda *s: r.standard_normal(s).astype("float32")),
    "MeanAbsolutePercentageError": (lambda *s: r.standard_normal(s).astype("float32"), lambda *s: r.standard_normal(s).astype("float32")),
    "MeanSquaredLogarithmicError": (lambda *s: pos(*s), lambda *s: r.uniform(-0.5, 3.0, size=s).astype("float32")),
    "LogCosh": (lambda *s: r.standard_normal(s).astype("float32") * 3, lambda *s: r.standard_normal(s).astype("float32") * 3),
    "KLDivergence": (lambda *s: softmax_probs(*s), lambda *s: softmax_probs(*s)),
    "Poisson": (lambda *s: pos(*s, lo=0.0, hi=4.0), lambda *s: pos(*s)),
    "Hinge": (lambda *s: signs(*s), lambda *s: r.standard_normal(s).astype("float32")),
    "SquaredHinge": (lambda *s: signs(*s), lambda *s: r.standard_normal(s).astype("float32")),
    "CategoricalHinge": (lambda *s: one_hot(r.integers(0, s[-1], size=s[:-1]), s[-1]), lambda *s: r.standard_normal(s).astype("float32")),
    "Huber": (lambda *s: r.standard_normal(s).astype("float32") * 2, lambda *s: r.standard_normal(s).astype("float32") * 2),
    "CosineSimilarity": (lambda *s: r.standard_normal(s).astype("float32"), lambda *s: r.standard_normal(s).astype("float32")),
}
for cls, (mk_t, mk_p) in plain.items():
    K = getattr(keras.losses, cls)
    tag = cls.lower()
    yt, yp = mk_t(B, D), mk_p(B, D)
    sweep(f"{tag}_2d", lambda red, K=K: K(reduction=red), yt, yp, weights(B))
    for red in ["sum_over_batch_size", "none"]:
        add(f"{tag}_2d_sw_b1_{red}", K(reduction=red), yt, yp, sample_weight=weights(B, 1))
    yt3, yp3 = mk_t(B, T, D), mk_p(B, T, D)
    add(f"{tag}_3d", K(), yt3, yp3)
    add(f"{tag}_3d_none", K(reduction="none"), yt3, yp3)
    add(f"{tag}_3d_sw_mean_with_sample_weight", K(reduction="mean_with_sample_weight"), yt3, yp3, sample_weight=weights(B, T))
    add(f"{tag}_custom_name", K(name="my_" + tag), yt, yp)
# MAPE: zeros in y_true (divided by eps); MSLE: negative predictions (clipped to eps)
yt_z = r.standard_normal((B, D)).astype("float32")
yt_z[0, 0] = 0.0
yt_z[1, 1] = 1e-9
add("meanabsolutepercentageerror_zero_true", keras.losses.MeanAbsolutePercentageError(reduction="none"), yt_z, r.standard_normal((B, D)).astype("float32"), rtol=1e-4)
# Hinge with 0/1 labels (converted to -1/1) and with labels that are not all 0/1 (kept)
add("hinge_01_labels", keras.losses.Hinge(reduction="none"), bits(B, D), r.standard_normal((B, D)).astype("float32"))
add("squaredhinge_01_labels", keras.losses.SquaredHinge(reduction="none"), bits(B, D), r.standard_normal((B, D)).astype("float32"))
mixed = bits(B, D)
mixed[0, 0] = 0.5
add("hinge_non_binary_labels_kept", keras.losses.Hinge(reduction="none"), mixed, r.standard_normal((B, D)).astype("float32"))
add("hinge_int_labels", keras.losses.Hinge(), (r.uniform(size=(B, D)) > 0.5).astype("int32"), r.standard_normal((B, D)).astype("float32"))
add("kldivergence_zeros", keras.losses.KLDivergence(reduction="none"), one_hot(r.integers(0, D, size=B), D), softmax_probs(B, D))
add("huber_large_errors", keras.losses.Huber(reduction="none"), r.standard_normal((B, D)).astype("float32") * 10, r.standard_normal((B, D)).astype("float32"))
add("logcosh_large_errors", keras.losses.LogCosh(reduction="none"), r.standard_normal((B, D)).astype("float32") * 100, r.standard_normal((B, D)).astype("float32"))
add("cosinesimilarity_zero_vector", keras.losses.CosineSimilarity(reduction="none"), np.zeros((2, D), "float32"), r.standard_normal((2, D)).astype("float32"))

# ---- BinaryFocalCrossentropy
for from_logits in [False, True]:
    pred = logits if from_logits else ypb
    for bal in [False, True]:
        for ls in [0.0, 0.1]:
            tag = f"bfce_{'logits' if from_logits else 'probs'}_bal{int(bal)}_ls{ls}"
            mk = lambda red, fl=from_logits, bal=bal, ls=ls: keras.losses.BinaryFocalCrossentropy(
                apply_class_balancing=bal, from_logits=fl, label_smoothing=ls, reduction=red)
            add(tag, mk("sum_over_batch_size"), ytb, pred)
            add(tag + "_none", mk("none"), ytb, pred)
    add(f"bfce_{'logits' if from_logits else 'probs'}_alpha_gamma", keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.6, gamma=0.5, from_logits=from_logits, reduction="none"), ytb, pred)
sweep("bfce_2d", lambda red: keras.losses.BinaryFocalCrossentropy(reduction=red), ytb, ypb, weights(B))
add("bfce_gamma0_is_bce", keras.losses.BinaryFocalCrossentropy(gamma=0.0, reduction="none"), ytb, ypb)
add("bfce_int_gamma", keras.losses.BinaryFocalCrossentropy(gamma=3, alpha=1, apply_class_balancing=True), ytb, ypb)
yt3b = (r.uniform(size=(B, T, 2)) > 0.5).astype("float32")
add("bfce_3d_axis1_none", keras.losses.BinaryFocalCrossentropy(axis=1, reduction="none"), yt3b, probs(B, T, 2))
add("bfce_3d_sw", keras.losses.BinaryFocalCrossentropy(reduction="sum"), yt3b, probs(B, T, 2), sample_weight=weights(B, T))

# ---- CategoricalFocalCrossentropy
for from_logits in [False, True]:
    pred = logits_c if from_logits else ypc
    for ls in [0.0, 0.2]:
        tag = f"cfce_{'logits' if from_logits else 'probs'}_ls{ls}"
        mk = lambda red, fl=from_logits, ls=ls: keras.losses.CategoricalFocalCrossentropy(from_logits=fl, label_smoothing=ls, reduction=red)
        add(tag, mk("sum_over_batch_size"), ytc, pred)
        add(tag + "_none", mk("none"), ytc, pred)
    add(f"cfce_{'logits' if from_logits else 'probs'}_alpha_gamma", keras.losses.CategoricalFocalCrossentropy(
        alpha=0.7, gamma=1.5, from_logits=from_logits, reduction="none"), ytc, pred)
sweep("cfce_2d", lambda red: keras.losses.CategoricalFocalCrossentropy(reduction=red), ytc, ypc, weights(B))
add("cfce_unnormalized", keras.losses.CategoricalFocalCrossentropy(reduction="none"), ytc, unnorm)
for from_logits in [False, True]:
    pred_ax = (r.standard_normal((B, C, T2)) * 3).astype("float32") if from_logits else softmax_probs(B, C, T2, axis=1)
    add(f"cfce_axis1_{'logits' if from_logits else 'probs'}_ls0.2_none", keras.losses.CategoricalFocalCrossentropy(
        from_logits=from_logits, label_smoothing=0.2, axis=1, reduction="none"), yt_ax, pred_ax)
yt3c = one_hot(r.integers(0, C, size=(B, T)), C)
add("cfce_3d_sw", keras.losses.CategoricalFocalCrossentropy(reduction="mean_with_sample_weight"), yt3c, softmax_probs(B, T, C), sample_weight=weights(B, T))

# ---- CategoricalGeneralizedCrossEntropy (integer labels)
for q in [0.5, 0.1, 0.9]:
    add(f"cgce_q{q}", keras.losses.CategoricalGeneralizedCrossEntropy(q=q), ys, ypc)
    add(f"cgce_q{q}_none", keras.losses.CategoricalGeneralizedCrossEntropy(q=q, reduction="none"), ys, ypc)
sweep("cgce_2d", lambda red: keras.losses.CategoricalGeneralizedCrossEntropy(reduction=red), ys, softmax_probs(B, C), weights(B))
add("cgce_float_labels", keras.losses.CategoricalGeneralizedCrossEntropy(q=0.3), labels.astype("float32"), softmax_probs(B, C))
ys3 = r.integers(0, C, size=(B, T)).astype("int32")
add("cgce_3d_none", keras.losses.CategoricalGeneralizedCrossEntropy(reduction="none"), ys3, softmax_probs(B, T, C))

# ---- Dice and Tversky
H, W = 4, 3
seg_t = bits(B, H, W)
seg_p = r.uniform(size=(B, H, W)).astype("float32")
for axis in [None, -1, (1, 2), 1]:
    tag = f"axis{'none' if axis is None else ''.join(str(a) for a in np.atleast_1d(axis))}"
    for red in REDUCTIONS:
        add(f"dice_{tag}_{red}", keras.losses.Dice(axis=axis, reduction=red), seg_t, seg_p)
        add(f"tversky_{tag}_{red}", keras.losses.Tversky(axis=axis, reduction=red), seg_t, seg_p)
    add(f"tversky_{tag}_alpha_beta", keras.losses.Tversky(alpha=0.3, beta=0.7, axis=axis, reduction="none"), seg_t, seg_p)
add("dice_axis12_sw", keras.losses.Dice(axis=(1, 2)), seg_t, seg_p, sample_weight=weights(B))
add("dice_axis12_sw_mean_with_sample_weight", keras.losses.Dice(axis=(1, 2), reduction="mean_with_sample_weight"), seg_t, seg_p, sample_weight=weights(B))
add("tversky_axis12_sw_sum", keras.losses.Tversky(axis=(1, 2), alpha=0.2, beta=0.8, reduction="sum"), seg_t, seg_p, sample_weight=weights(B))
add("dice_axisneg1_sw_b_h", keras.losses.Dice(axis=-1, reduction="sum"), seg_t, seg_p, sample_weight=weights(B, H))
add("dice_2d_default", keras.losses.Dice(), bits(B, D), r.uniform(size=(B, D)).astype("float32"))
add("tversky_int_params", keras.losses.Tversky(alpha=1, beta=0, axis=-1, reduction="none"), bits(B, D), r.uniform(size=(B, D)).astype("float32"))
add("dice_custom_name", keras.losses.Dice(name="my_dice", axis=[1, 2]), seg_t, seg_p)

# ---- Circle (labels [B], L2-normalized embeddings [B, E])
def embeddings(n, e):
    x = r.standard_normal((n, e)).astype("float32")
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype("float32")


NB, E = 8, 4
circ_labels = np.array([0, 1, 0, 2, 1, 2, 0, 3], "int32")  # class 3 has one sample: no positives
circ_emb = embeddings(NB, E)
for red in REDUCTIONS:
    add(f"circle_{red}", keras.losses.Circle(reduction=red), circ_labels, circ_emb, rtol=1e-4, atol=1e-4)
    add(f"circle_{red}_sw", keras.losses.Circle(reduction=red), circ_labels, circ_emb, sample_weight=weights(NB), rtol=1e-4, atol=1e-4)
add("circle_keep_diagonal", keras.losses.Circle(remove_diagonal=False, reduction="none"), circ_labels, circ_emb, rtol=1e-4, atol=1e-4)
add("circle_gamma_margin", keras.losses.Circle(gamma=2.0, margin=0.25, reduction="none"), circ_labels, circ_emb, rtol=1e-4, atol=1e-4)
add("circle_gamma_margin_mean", keras.losses.Circle(gamma=16, margin=0.1), circ_labels, circ_emb, rtol=1e-4, atol=1e-4)
add("circle_labels_b1", keras.losses.Circle(gamma=4.0, reduction="none"), circ_labels.reshape(-1, 1), circ_emb, rtol=1e-4, atol=1e-4)
add("circle_float_labels", keras.losses.Circle(gamma=4.0), circ_labels.astype("float32"), circ_emb, rtol=1e-4, atol=1e-4)
add("circle_all_one_class", keras.losses.Circle(gamma=4.0, reduction="none"), np.zeros(4, "int32"), embeddings(4, E), rtol=1e-4, atol=1e-4)

add("dice_axisnone_sw", keras.losses.Dice(), seg_t, seg_p, sample_weight=weights(B))
add("dice_axisnone_sw_none", keras.losses.Dice(reduction="none"), seg_t, seg_p, sample_weight=weights(B))


# ---- model.fit with these losses (compiled train step; 3 epochs of 20 samples, batch 8)
def fit_case(cid, seed, out_units, out_act, loss, x, y):
    import json
    from keras import layers

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((x.shape[1],)), layers.Dense(8, activation="tanh"),
                              layers.Dense(out_units, activation=out_act)])
    weights0 = [tensor(w) for w in model.get_weights()]
    model_json = json.loads(model.to_json())
    opt = keras.optimizers.SGD(learning_rate=0.05)
    opt_config = keras_config(opt, keras.optimizers.serialize)
    loss_config = loss if isinstance(loss, str) else keras_config(loss, keras.losses.serialize)
    model.compile(optimizer=opt, loss=loss)
    hist = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    cases.append({
        "id": cid, "kind": "model_fit", "rtol": 1e-4, "atol": 1e-5,
        "model": model_json, "weights": weights0,
        "compile": {"optimizer": opt_config, "loss": loss_config, "metrics": []},
        "x": tensor(x), "y": tensor(y),
        "fit": {"batch_size": 8, "epochs": 3, "shuffle": False},
        "expected_weights": [tensor(w) for w in model.get_weights()],
        "expected_history": {k: [float(v) for v in vals] for k, vals in hist.history.items()},
    })


xf = r.standard_normal((20, 5)).astype("float32")
fit_case("fit_huber", 1, 2, None, "huber", xf, r.standard_normal((20, 2)).astype("float32"))
fit_case("fit_mae", 2, 2, None, "mae", xf, r.standard_normal((20, 2)).astype("float32"))
fit_case("fit_kld", 3, 3, "softmax", "kld", xf, softmax_probs(20, 3))
fit_case("fit_binary_focal", 4, 2, "sigmoid", keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True), xf, bits(20, 2))
fit_case("fit_categorical_focal_logits", 5, 3, None, keras.losses.CategoricalFocalCrossentropy(from_logits=True), xf, one_hot(r.integers(0, 3, size=20), 3))
fit_case("fit_squared_hinge", 6, 2, None, "squared_hinge", xf, signs(20, 2))
fit_case("fit_tversky", 7, 2, "sigmoid", keras.losses.Tversky(axis=-1, alpha=0.3, beta=0.7), xf, bits(20, 2))
fit_case("fit_cgce", 8, 3, "softmax", keras.losses.CategoricalGeneralizedCrossEntropy(q=0.4), xf, r.integers(0, 3, size=20).astype("int32"))
fit_case("fit_circle", 9, 4, None, keras.losses.Circle(gamma=2.0), xf, r.integers(0, 3, size=20).astype("int32"))

write("losses.json", cases)
