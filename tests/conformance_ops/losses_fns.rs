//! Conformance dispatch of the `keras.losses` functions (`op` cases named `"losses.<function>"`):
//! each builds a graph over the case's tensors, calls the function with Keras's positional or
//! keyword arguments, and evaluates it on the case's device.

use serde_json::Value;
use wgkeras::frontend::graph::{static_shape, Graph, Sym};
use wgkeras::frontend::losses;
use wgkeras::runtime::Tensor;

use super::{Call, OpResult};

type LossFn = for<'g> fn(Sym<'g>, Sym<'g>) -> wgkeras::frontend::Result<Sym<'g>>;

/// Evaluates `f` over the tensors (as graph inputs, in order).
fn eval(
    tensors: Vec<Tensor>,
    f: impl for<'g> Fn(&[Sym<'g>]) -> wgkeras::frontend::Result<Sym<'g>>,
) -> OpResult {
    let g = Graph::new();
    let syms: Vec<Sym> = tensors.iter().map(|t| g.input(&static_shape(t.dims()), t.dtype())).collect();
    let out = f(&syms).map_err(|e| e.to_string())?;
    g.evaluate(&[out], &tensors).map_err(|e| e.to_string())
}

/// An `axis` that may be null (every axis), an integer or a list.
fn opt_axes(c: &Call, i: usize) -> Result<Option<Vec<i64>>, String> {
    match c.arg(i, "axis") {
        None | Some(Value::Null) => Ok(None),
        Some(_) => c.opt_ints(i, "axis"),
    }
}

pub fn call(c: &Call) -> Option<OpResult> {
    let name = c.name.strip_prefix("losses.")?;
    let plain: &[(&str, LossFn)] = &[
        ("mean_squared_error", losses::mean_squared_error),
        ("mean_absolute_error", losses::mean_absolute_error),
        ("mean_absolute_percentage_error", losses::mean_absolute_percentage_error),
        ("mean_squared_logarithmic_error", losses::mean_squared_logarithmic_error),
        ("log_cosh", losses::log_cosh),
        ("hinge", losses::hinge),
        ("squared_hinge", losses::squared_hinge),
        ("categorical_hinge", losses::categorical_hinge),
        ("kl_divergence", losses::kl_divergence),
        ("poisson", losses::poisson),
    ];
    let with_args = [
        "huber",
        "cosine_similarity",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "binary_focal_crossentropy",
        "categorical_focal_crossentropy",
        "categorical_generalized_cross_entropy",
        "dice",
        "tversky",
        "circle",
    ];
    if !plain.iter().any(|(n, _)| *n == name) && !with_args.contains(&name) {
        return None; // e.g. `losses.ctc`: unsupported
    }
    Some(call_inner(c, name, plain))
}

fn call_inner(c: &Call, name: &str, plain: &[(&str, LossFn)]) -> OpResult {
    let yt = c.tensor(0, "y_true")?;
    let yp = c.tensor(1, "y_pred")?;
    if let Some((_, f)) = plain.iter().find(|(n, _)| *n == name) {
        let f = *f;
        return eval(vec![yt, yp], move |s| f(s[0], s[1]));
    }
    match name {
        "huber" => {
            let delta = c.f64_or(2, "delta", 1.0)?;
            eval(vec![yt, yp], |s| losses::huber(s[0], s[1], delta))
        }
        "cosine_similarity" => {
            let axis = c.i64_or(2, "axis", -1)?;
            eval(vec![yt, yp], |s| losses::cosine_similarity(s[0], s[1], axis))
        }
        "binary_crossentropy" | "categorical_crossentropy" => {
            let from_logits = c.bool_or(2, "from_logits", false)?;
            let ls = c.f64_or(3, "label_smoothing", 0.0)?;
            let axis = c.i64_or(4, "axis", -1)?;
            let f: losses::SmoothedCrossentropyFn = if name == "binary_crossentropy" {
                losses::binary_crossentropy
            } else {
                losses::categorical_crossentropy
            };
            eval(vec![yt, yp], |s| f(s[0], s[1], from_logits, ls, axis))
        }
        "sparse_categorical_crossentropy" => {
            let from_logits = c.bool_or(2, "from_logits", false)?;
            let ignore_class = c.opt_i64(3, "ignore_class")?;
            let axis = c.i64_or(4, "axis", -1)?;
            eval(vec![yt, yp], |s| {
                Ok(losses::sparse_categorical_crossentropy_masked(
                    s[0],
                    s[1],
                    from_logits,
                    ignore_class,
                    axis,
                )?
                .0)
            })
        }
        "binary_focal_crossentropy" => {
            let balancing = c.bool_or(2, "apply_class_balancing", false)?;
            let alpha = c.f64_or(3, "alpha", 0.25)?;
            let gamma = c.f64_or(4, "gamma", 2.0)?;
            let from_logits = c.bool_or(5, "from_logits", false)?;
            let ls = c.f64_or(6, "label_smoothing", 0.0)?;
            let axis = c.i64_or(7, "axis", -1)?;
            eval(vec![yt, yp], |s| {
                losses::binary_focal_crossentropy(s[0], s[1], balancing, alpha, gamma, from_logits, ls, axis)
            })
        }
        "categorical_focal_crossentropy" => {
            let alpha = c.f64_or(2, "alpha", 0.25)?;
            let gamma = c.f64_or(3, "gamma", 2.0)?;
            let from_logits = c.bool_or(4, "from_logits", false)?;
            let ls = c.f64_or(5, "label_smoothing", 0.0)?;
            let axis = c.i64_or(6, "axis", -1)?;
            eval(vec![yt, yp], |s| {
                losses::categorical_focal_crossentropy(s[0], s[1], alpha, gamma, from_logits, ls, axis)
            })
        }
        "categorical_generalized_cross_entropy" => {
            let q = c.f64(2, "q")?;
            eval(vec![yt, yp], |s| losses::categorical_generalized_cross_entropy(s[0], s[1], q))
        }
        "dice" => {
            let axis = opt_axes(c, 2)?;
            eval(vec![yt, yp], |s| losses::dice(s[0], s[1], axis.as_deref()))
        }
        "tversky" => {
            let alpha = c.f64_or(2, "alpha", 0.5)?;
            let beta = c.f64_or(3, "beta", 0.5)?;
            let axis = opt_axes(c, 4)?;
            eval(vec![yt, yp], |s| losses::tversky(s[0], s[1], alpha, beta, axis.as_deref()))
        }
        "circle" => {
            let ref_labels = c.opt_tensor(2, "ref_labels")?;
            let ref_embeddings = c.opt_tensor(3, "ref_embeddings")?;
            let remove_diagonal = c.bool_or(4, "remove_diagonal", true)?;
            let gamma = c.f64_or(5, "gamma", 80.0)?;
            let margin = c.f64_or(6, "margin", 0.4)?;
            let (has_l, has_e) = (ref_labels.is_some(), ref_embeddings.is_some());
            let mut tensors = vec![yt, yp];
            tensors.extend(ref_labels);
            tensors.extend(ref_embeddings);
            eval(tensors, |s| {
                let rl = if has_l { Some(s[2]) } else { None };
                let re = if has_e { Some(s[if has_l { 3 } else { 2 }]) } else { None };
                losses::circle(s[0], s[1], rl, re, remove_diagonal, gamma, margin)
            })
        }
        other => Err(format!("losses.{other}: not a keras.losses function here")),
    }
}
