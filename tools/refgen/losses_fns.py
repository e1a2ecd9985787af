"""Reference cases for the functions of keras.losses (all but ctc), as `op` cases named
"losses.<function>" with Keras's positional (y_true, y_pred) and keyword arguments: each
function's arguments (delta, axis, alpha/gamma, from_logits, label_smoothing, ignore_class, q,
ref_labels/ref_embeddings, ...) including those the classes do not serialize (Huber's delta,
CosineSimilarity's axis). Pinned: keras==3.15.1, jax==0.10.2.

Run: KERAS_BACKEND=jax /tmp/kvenv/bin/python tools/refgen/losses_fns.py
Writes tests/conformance/losses_fns.json.
"""
import numpy as np
import keras

from common import case_adder, rng, write

r = rng(20260404)
cases = []
case = case_adder(cases, keras.losses, prefix="losses.")
B, D, C, T = 5, 3, 4, 2


def f32(*s, scale=1.0):
    return (r.standard_normal(s) * scale).astype("float32")


def probs(*s):
    p = r.uniform(0.0, 1.0, size=s).astype("float32")
    p.reshape(-1)[:2] = [0.0, 1.0]
    return p


def softmax(*s, axis=-1):
    z = f32(*s, scale=2.0)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype("float32")


def one_hot(lab, n, axis=-1):
    oh = np.eye(n, dtype="float32")[lab]
    return np.ascontiguousarray(np.moveaxis(oh, -1, axis)) if axis != -1 else oh


def bits(*s):
    return (r.uniform(size=s) > 0.5).astype("float32")


yt, yp = f32(B, D), f32(B, D)
yt3, yp3 = f32(B, T, D), f32(B, T, D)
for fn in ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "log_cosh"]:
    case(f"{fn}_2d", fn, [yt, yp])
    case(f"{fn}_3d", fn, [yt3, yp3])
    case(f"{fn}_squeeze_b1", fn, [f32(B), f32(B, 1)])
case("mean_squared_logarithmic_error_2d", "mean_squared_logarithmic_error", [np.abs(yt), yp])
case("mean_squared_logarithmic_error_3d", "mean_squared_logarithmic_error", [np.abs(yt3), np.abs(yp3)])
for delta in [1.0, 0.5, 2.5]:
    case(f"huber_delta{delta}", "huber", [f32(B, D, scale=2), f32(B, D, scale=2)], {"delta": delta})
case("huber_default", "huber", [yt3, yp3])
case("huber_positional_delta", "huber", [yt, yp, 0.3])
for axis in [-1, 0, 1]:
    case(f"cosine_similarity_axis{axis}", "cosine_similarity", [yt3, yp3], {"axis": axis})
case("cosine_similarity_default", "cosine_similarity", [yt, yp])
case("hinge_signs", "hinge", [np.sign(yt), yp])
case("hinge_01", "hinge", [bits(B, D), yp])
case("squared_hinge_01", "squared_hinge", [bits(B, D), yp])
case("squared_hinge_3d", "squared_hinge", [np.sign(yt3), yp3])
case("categorical_hinge", "categorical_hinge", [one_hot(r.integers(0, C, size=B), C), f32(B, C)])
case("categorical_hinge_3d", "categorical_hinge", [one_hot(r.integers(0, C, size=(B, T)), C), f32(B, T, C)])
case("kl_divergence", "kl_divergence", [softmax(B, C), softmax(B, C)])
case("kl_divergence_onehot", "kl_divergence", [one_hot(r.integers(0, C, size=B), C), softmax(B, C)])
case("poisson", "poisson", [np.abs(yt) * 2, np.abs(yp) + 0.1])
case("poisson_3d", "poisson", [np.abs(yt3), np.abs(yp3)])

ytb = bits(B, D)
logits = f32(B, D, scale=4)
for fl in [False, True]:
    pred = logits if fl else probs(B, D)
    case(f"binary_crossentropy_fl{int(fl)}", "binary_crossentropy", [ytb, pred], {"from_logits": fl})
    case(f"binary_crossentropy_fl{int(fl)}_ls", "binary_crossentropy", [ytb, pred], {"from_logits": fl, "label_smoothing": 0.2})
    for bal in [False, True]:
        case(f"binary_focal_crossentropy_fl{int(fl)}_bal{int(bal)}", "binary_focal_crossentropy", [ytb, pred],
             {"apply_class_balancing": bal, "from_logits": fl})
    case(f"binary_focal_crossentropy_fl{int(fl)}_all", "binary_focal_crossentropy", [ytb, pred],
         {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5, "from_logits": fl, "label_smoothing": 0.1})
case("binary_crossentropy_axis0", "binary_crossentropy", [ytb, probs(B, D)], {"axis": 0})
case("binary_focal_crossentropy_axis0", "binary_focal_crossentropy", [ytb, probs(B, D)], {"axis": 0, "gamma": 3.0})

lab = r.integers(0, C, size=B)
ytc = one_hot(lab, C)
lc = f32(B, C, scale=3)
for fl in [False, True]:
    pred = lc if fl else softmax(B, C)
    case(f"categorical_crossentropy_fl{int(fl)}", "categorical_crossentropy", [ytc, pred], {"from_logits": fl})
    case(f"categorical_crossentropy_fl{int(fl)}_ls", "categorical_crossentropy", [ytc, pred], {"from_logits": fl, "label_smoothing": 0.3})
    case(f"categorical_focal_crossentropy_fl{int(fl)}", "categorical_focal_crossentropy", [ytc, pred], {"from_logits": fl})
    case(f"categorical_focal_crossentropy_fl{int(fl)}_all", "categorical_focal_crossentropy", [ytc, pred],
         {"alpha": 0.5, "gamma": 1.0, "from_logits": fl, "label_smoothing": 0.1})
    case(f"sparse_categorical_crossentropy_fl{int(fl)}", "sparse_categorical_crossentropy", [lab.astype("int32"), pred], {"from_logits": fl})
    ign = lab.copy().astype("int32")
    ign[1] = -1
    ign[3] = -1
    case(f"sparse_categorical_crossentropy_fl{int(fl)}_ignore", "sparse_categorical_crossentropy", [ign, pred],
         {"from_logits": fl, "ignore_class": -1})
lab_ax = r.integers(0, C, size=(B, T))
pred_ax = softmax(B, C, T, axis=1)
case("categorical_crossentropy_axis1", "categorical_crossentropy", [one_hot(lab_ax, C, axis=1), pred_ax], {"axis": 1})
case("categorical_focal_crossentropy_axis1", "categorical_focal_crossentropy", [one_hot(lab_ax, C, axis=1), pred_ax], {"axis": 1, "label_smoothing": 0.2})
for q in [0.5, 0.2, 0.8]:
    case(f"categorical_generalized_cross_entropy_q{q}", "categorical_generalized_cross_entropy", [lab.astype("int32"), softmax(B, C)], {"q": q})
case("categorical_generalized_cross_entropy_positional_q", "categorical_generalized_cross_entropy", [lab.astype("int32"), softmax(B, C), 0.7])

seg_t, seg_p = bits(B, 4, 3), r.uniform(size=(B, 4, 3)).astype("float32")
for axis in [None, -1, 1, (1, 2), [0, 2]]:
    tag = "none" if axis is None else "".join(str(a) for a in np.atleast_1d(axis))
    case(f"dice_axis{tag}", "dice", [seg_t, seg_p], {"axis": axis})
    case(f"tversky_axis{tag}", "tversky", [seg_t, seg_p], {"axis": axis})
    case(f"tversky_axis{tag}_ab", "tversky", [seg_t, seg_p], {"alpha": 0.3, "beta": 0.9, "axis": axis})
case("dice_default", "dice", [seg_t, seg_p])
case("tversky_positional", "tversky", [seg_t, seg_p, 0.2, 0.6])


def emb(n, e):
    x = r.standard_normal((n, e)).astype("float32")
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype("float32")


cl = np.array([0, 1, 0, 2, 1, 2], "int32")
ce = emb(6, 4)
case("circle_default", "circle", [cl, ce], rtol=1e-4, atol=1e-4)
case("circle_params", "circle", [cl, ce], {"gamma": 8.0, "margin": 0.3, "remove_diagonal": False}, rtol=1e-4, atol=1e-4)
ref_l = np.array([0, 1, 2, 3, 0, 1, 2], "int32")
ref_e = emb(7, 4)
case("circle_refs", "circle", [cl, ce], {"ref_labels": ref_l, "ref_embeddings": ref_e, "gamma": 10.0}, rtol=1e-4, atol=1e-4)
case("circle_refs_keep_diagonal", "circle", [cl, ce], {"ref_labels": ref_l, "ref_embeddings": ref_e, "remove_diagonal": False, "gamma": 10.0}, rtol=1e-4, atol=1e-4)

write("losses_fns.json", cases)
