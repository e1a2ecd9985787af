//! Conformance dispatch: indexing and sorting ops (take, take_along_axis, one_hot, multi_hot,
//! scatter, scatter_update, argsort, sort, top_k, in_top_k, digitize, searchsorted, histogram,
//! bincount).

use super::{many, one, Call, OpResult};
use wgkeras::ops;
use wgkeras::runtime::Tensor;

/// Whether the case passed `axis` explicitly as None (flatten), as opposed to leaving it out.
fn axis_is_none(c: &Call, i: usize) -> bool {
    match c.args.get(i) {
        Some(v) => v.is_null(),
        None => c.kwargs.get("axis").is_some_and(|v| v.is_null()),
    }
}

/// Sort-like ops: `axis=None` sorts the flattened tensor.
fn sort_input(c: &Call) -> Result<(Tensor, i64), String> {
    let x = c.tensor(0, "x")?;
    if axis_is_none(c, 1) {
        let n = x.numel();
        return Ok((x.with_dims(&[n]).map_err(|e| e.to_string())?, -1));
    }
    Ok((x, c.i64_or(1, "axis", -1)?))
}

fn shape_arg(c: &Call, i: usize, key: &str) -> Result<Vec<usize>, String> {
    c.ints(i, key)?
        .into_iter()
        .map(|d| usize::try_from(d).map_err(|_| format!("{}: negative dimension {d} in {key}", c.name)))
        .collect()
}

pub fn call(c: &Call) -> Option<OpResult> {
    let r = match c.name {
        "take" => (|| one(ops::take(&c.tensor(0, "x")?, &c.tensor(1, "indices")?, c.opt_i64(2, "axis")?)))(),
        "take_along_axis" => (|| {
            one(ops::take_along_axis(&c.tensor(0, "x")?, &c.tensor(1, "indices")?, c.opt_i64(2, "axis")?))
        })(),
        "one_hot" | "multi_hot" => (|| {
            if c.bool_or(4, "sparse", false)? {
                return Err(format!("{}: sparse=True is not supported", c.name));
            }
            let key = if c.name == "one_hot" { "x" } else { "inputs" };
            let x = c.tensor(0, key)?;
            let n = c.i64(1, "num_classes")?;
            let axis = c.i64_or(2, "axis", -1)?;
            let dtype = c.opt_dtype(3, "dtype")?;
            if c.name == "one_hot" {
                one(ops::one_hot(&x, n, axis, dtype))
            } else {
                one(ops::multi_hot(&x, n, axis, dtype))
            }
        })(),
        "scatter" => (|| {
            one(ops::scatter(&c.tensor(0, "indices")?, &c.tensor(1, "values")?, &shape_arg(c, 2, "shape")?))
        })(),
        "scatter_update" => (|| {
            if c.has(3, "reduction") {
                return Err("scatter_update: reduction is not supported".into());
            }
            one(ops::scatter_update(
                &c.tensor(0, "inputs")?,
                &c.tensor(1, "indices")?,
                &c.tensor(2, "updates")?,
            ))
        })(),
        "argsort" => (|| {
            let (x, axis) = sort_input(c)?;
            one(ops::argsort(&x, axis))
        })(),
        "sort" => (|| {
            let (x, axis) = sort_input(c)?;
            one(ops::sort(&x, axis))
        })(),
        "top_k" => (|| {
            let r = ops::top_k(&c.tensor(0, "x")?, c.i64(1, "k")?, c.bool_or(2, "sorted", true)?);
            many(r.map(|(v, i)| vec![v, i]))
        })(),
        "in_top_k" => {
            (|| one(ops::in_top_k(&c.tensor(0, "targets")?, &c.tensor(1, "predictions")?, c.i64(2, "k")?)))()
        }
        "digitize" => (|| one(ops::digitize(&c.tensor(0, "x")?, &c.tensor(1, "bins")?)))(),
        "searchsorted" => (|| {
            let side = c.opt_str(2, "side")?.unwrap_or("left");
            one(ops::searchsorted(&c.tensor(0, "sorted_sequence")?, &c.tensor(1, "values")?, side))
        })(),
        "histogram" => (|| {
            let bins = c.i64_or(1, "bins", 10)?;
            let bins =
                usize::try_from(bins).map_err(|_| format!("histogram: bins must be >= 0, got {bins}"))?;
            let range = match c.arg(2, "range") {
                None => None,
                Some(serde_json::Value::Array(v)) if v.len() == 2 => {
                    let num =
                        |x: &serde_json::Value| super::number(x).ok_or("histogram: range must hold numbers");
                    Some((num(&v[0])?, num(&v[1])?))
                }
                Some(other) => return Err(format!("histogram: range must be a pair, got {other}")),
            };
            let r = ops::histogram(&c.tensor(0, "x")?, bins, range);
            many(r.map(|(a, b)| vec![a, b]))
        })(),
        "bincount" => (|| {
            let weights = c.opt_tensor(1, "weights")?;
            let minlength = c.i64_or(2, "minlength", 0)?;
            let minlength = usize::try_from(minlength)
                .map_err(|_| format!("bincount: minlength must be >= 0, got {minlength}"))?;
            one(ops::bincount(
                &c.tensor(0, "x")?,
                weights.as_ref(),
                minlength,
                c.bool_or(3, "sparse", false)?,
            ))
        })(),
        _ => return None,
    };
    Some(r)
}
