//! Conformance dispatch: layout ops (reshape, transpose, swapaxes, moveaxis, expand_dims,
//! squeeze, concatenate, stack, unstack, split, slice, slice_update, tile, repeat, flip, pad,
//! broadcast_to, tril, triu).

use serde_json::Value;

use super::{is_tensor, many, number, one, parse_tensor, Call, OpResult};
use wgkeras::ops;

fn usizes(c: &Call, v: Vec<i64>, what: &str) -> Result<Vec<usize>, String> {
    v.into_iter()
        .map(|d| usize::try_from(d).map_err(|_| format!("{}: {what} must be non-negative, got {d}", c.name)))
        .collect()
}

/// `pad_width` as Keras takes it: an int, `[before, after]`, `[[before, after]]`, `[[pad]]` or
/// one pair per axis.
fn pad_width(c: &Call) -> Result<Vec<[usize; 2]>, String> {
    let v = c.arg(1, "pad_width").ok_or("pad: missing pad_width")?;
    let int = |v: &Value| -> Result<usize, String> {
        number(v)
            .filter(|x| x.fract() == 0.0 && *x >= 0.0)
            .map(|x| x as usize)
            .ok_or_else(|| format!("pad: pad widths must be non-negative integers, got {v}"))
    };
    let pair = |v: &Value| -> Result<[usize; 2], String> {
        match v {
            Value::Array(p) if p.len() == 2 => Ok([int(&p[0])?, int(&p[1])?]),
            Value::Array(p) if p.len() == 1 => Ok([int(&p[0])?; 2]),
            other => {
                let w = int(other)?;
                Ok([w, w])
            }
        }
    };
    if is_tensor(v) {
        let t = parse_tensor(v, &wgkeras::runtime::Device::Cpu)?;
        let vals = t.to_vec_f64().map_err(|e| e.to_string())?;
        return Ok(match t.rank() {
            0 => vec![[vals[0] as usize; 2]],
            1 if vals.len() == 2 => vec![[vals[0] as usize, vals[1] as usize]],
            1 => vals.iter().map(|&w| [w as usize; 2]).collect(),
            _ => vals.chunks(2).map(|p| [p[0] as usize, p[1] as usize]).collect(),
        });
    }
    match v {
        Value::Array(items) if items.iter().all(|i| i.is_array()) => items.iter().map(pair).collect(),
        other => Ok(vec![pair(other)?]),
    }
}

pub fn call(c: &Call) -> Option<OpResult> {
    Some(match c.name {
        "reshape" => (|| one(ops::reshape(&c.tensor(0, "x")?, &c.ints(1, "newshape")?)))(),
        "transpose" => (|| {
            let axes = c.opt_ints(1, "axes")?;
            one(ops::transpose(&c.tensor(0, "x")?, axes.as_deref()))
        })(),
        "swapaxes" => (|| one(ops::swapaxes(&c.tensor(0, "x")?, c.i64(1, "axis1")?, c.i64(2, "axis2")?)))(),
        "moveaxis" => {
            (|| one(ops::moveaxis(&c.tensor(0, "x")?, &c.ints(1, "source")?, &c.ints(2, "destination")?)))()
        }
        "expand_dims" => (|| one(ops::expand_dims(&c.tensor(0, "x")?, &c.ints(1, "axis")?)))(),
        "squeeze" => (|| {
            let axis = c.opt_ints(1, "axis")?;
            one(ops::squeeze(&c.tensor(0, "x")?, axis.as_deref()))
        })(),
        "concatenate" => (|| one(ops::concatenate(&c.tensors(0, "xs")?, c.i64_or(1, "axis", 0)?)))(),
        "stack" => (|| one(ops::stack(&c.tensors(0, "x")?, c.i64_or(1, "axis", 0)?)))(),
        "unstack" => (|| {
            let num = c.opt_i64(1, "num")?.map(|n| usizes(c, vec![n], "num").map(|v| v[0])).transpose()?;
            many(ops::unstack(&c.tensor(0, "x")?, num, c.i64_or(2, "axis", 0)?))
        })(),
        "split" => (|| {
            let v = c.arg(1, "indices_or_sections").ok_or("split: missing indices_or_sections")?;
            let spec = match v {
                Value::Array(_) => ops::SplitSpec::Indices(c.ints(1, "indices_or_sections")?),
                v if is_tensor(v) && !v["shape"].as_array().is_some_and(|s| s.is_empty()) => {
                    ops::SplitSpec::Indices(c.ints(1, "indices_or_sections")?)
                }
                _ => {
                    let n = c.i64(1, "indices_or_sections")?;
                    ops::SplitSpec::Sections(usizes(c, vec![n], "sections")?[0])
                }
            };
            many(ops::split(&c.tensor(0, "x")?, &spec, c.i64_or(2, "axis", 0)?))
        })(),
        "slice" => {
            (|| one(ops::slice(&c.tensor(0, "inputs")?, &c.ints(1, "start_indices")?, &c.ints(2, "shape")?)))(
            )
        }
        "slice_update" => (|| {
            one(ops::slice_update(
                &c.tensor(0, "inputs")?,
                &c.ints(1, "start_indices")?,
                &c.tensor(2, "updates")?,
            ))
        })(),
        "tile" => (|| one(ops::tile(&c.tensor(0, "x")?, &c.ints(1, "repeats")?)))(),
        "repeat" => {
            (|| one(ops::repeat(&c.tensor(0, "x")?, &c.ints(1, "repeats")?, c.opt_i64(2, "axis")?)))()
        }
        "flip" => (|| {
            let axis = c.opt_ints(1, "axis")?;
            one(ops::flip(&c.tensor(0, "x")?, axis.as_deref()))
        })(),
        "pad" => (|| {
            let mode = c.opt_str(2, "mode")?.unwrap_or("constant");
            one(ops::pad(&c.tensor(0, "x")?, &pad_width(c)?, mode, c.opt_f64(3, "constant_values")?))
        })(),
        "broadcast_to" => (|| {
            let shape = usizes(c, c.ints(1, "shape")?, "shape")?;
            one(ops::broadcast_to(&c.tensor(0, "x")?, &shape))
        })(),
        "tril" => (|| one(ops::tril(&c.tensor(0, "x")?, c.i64_or(1, "k", 0)?)))(),
        "triu" => (|| one(ops::triu(&c.tensor(0, "x")?, c.i64_or(1, "k", 0)?)))(),
        _ => return None,
    })
}
