//! Conformance dispatch: reductions (`sum`, `mean`, `max`, `argmax`, `var`, `norm`, ...) and
//! scans (`cumsum`, `cumprod`).

use super::{one, Call, OpResult};
use serde_json::Value;
use wgkeras::ops;
use wgkeras::ops::NormOrd;
use wgkeras::runtime::Tensor;

type Reduce = fn(&Tensor, Option<&[i64]>, bool) -> wgkeras::runtime::Result<Tensor>;

fn reduce(c: &Call, f: Reduce) -> OpResult {
    let x = c.tensor(0, "x")?;
    let axis = c.opt_ints(1, "axis")?;
    one(f(&x, axis.as_deref(), c.bool_or(2, "keepdims", false)?))
}

fn norm_ord(c: &Call) -> Result<NormOrd, String> {
    match c.arg(1, "ord") {
        None => Ok(NormOrd::Default),
        Some(Value::String(s)) if s == "fro" => Ok(NormOrd::Fro),
        Some(Value::String(s)) if s == "nuc" => Ok(NormOrd::Nuc),
        Some(_) => Ok(NormOrd::P(c.f64(1, "ord")?)),
    }
}

pub fn call(c: &Call) -> Option<OpResult> {
    let reductions: &[(&str, Reduce)] = &[
        ("sum", ops::sum),
        ("mean", ops::mean),
        ("var", ops::var),
        ("std", ops::std),
        ("logsumexp", ops::logsumexp),
    ];
    if let Some((_, f)) = reductions.iter().find(|(n, _)| *n == c.name) {
        return Some(reduce(c, *f));
    }
    Some(match c.name {
        "max" | "amax" | "min" | "amin" => (|| {
            if c.has(3, "initial") {
                return Err(format!("{}: initial is not supported", c.name));
            }
            reduce(c, if c.name.contains("max") { ops::max } else { ops::min })
        })(),
        "prod" => (|| {
            let mut x = c.tensor(0, "x")?;
            if let Some(d) = c.opt_dtype(3, "dtype")? {
                x = ops::cast(&x, d).map_err(|e| e.to_string())?;
            }
            let axis = c.opt_ints(1, "axis")?;
            one(ops::prod(&x, axis.as_deref(), c.bool_or(2, "keepdims", false)?))
        })(),
        "argmax" | "argmin" => (|| {
            let x = c.tensor(0, "x")?;
            let axis = c.opt_i64(1, "axis")?;
            let keepdims = c.bool_or(2, "keepdims", false)?;
            one(if c.name == "argmax" {
                ops::argmax(&x, axis, keepdims)
            } else {
                ops::argmin(&x, axis, keepdims)
            })
        })(),
        "norm" => (|| {
            let x = c.tensor(0, "x")?;
            let axis = c.opt_ints(2, "axis")?;
            one(ops::norm(&x, norm_ord(c)?, axis.as_deref(), c.bool_or(3, "keepdims", false)?))
        })(),
        "cumsum" | "cumprod" => (|| {
            let x = c.tensor(0, "x")?;
            let axis = c.opt_i64(1, "axis")?;
            let dtype = c.opt_dtype(2, "dtype")?;
            one(if c.name == "cumsum" { ops::cumsum(&x, axis, dtype) } else { ops::cumprod(&x, axis, dtype) })
        })(),
        _ => return None,
    })
}
