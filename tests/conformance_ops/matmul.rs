//! Conformance dispatch: matmul, dot, tensordot, outer, einsum.

use serde_json::Value;

use super::{number, one, parse_tensor, Call, OpResult};
use wgkeras::ops;
use wgkeras::ops::TensordotAxes;

fn axes_list(v: &Value) -> Result<Vec<i64>, String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|x| number(x).filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("tensordot: bad axes entry in {v}")),
        other => number(other).map(|f| vec![f as i64]).ok_or_else(|| format!("tensordot: bad axes {other}")),
    }
}

fn tensordot_axes(c: &Call) -> Result<TensordotAxes, String> {
    match c.arg(2, "axes") {
        None => Ok(TensordotAxes::Count(2)),
        Some(Value::Array(pair)) if pair.len() == 2 => {
            Ok(TensordotAxes::Pair(axes_list(&pair[0])?, axes_list(&pair[1])?))
        }
        Some(v) => match number(v) {
            Some(n) if n >= 0.0 && n.fract() == 0.0 => Ok(TensordotAxes::Count(n as usize)),
            _ => Err(format!("tensordot: axes must be an int or a pair of lists, got {v}")),
        },
    }
}

pub fn call(c: &Call) -> Option<OpResult> {
    let run = || -> OpResult {
        match c.name {
            "matmul" => one(ops::matmul(&c.tensor(0, "x1")?, &c.tensor(1, "x2")?)),
            "dot" => one(ops::dot(&c.tensor(0, "x1")?, &c.tensor(1, "x2")?)),
            "outer" => one(ops::outer(&c.tensor(0, "x1")?, &c.tensor(1, "x2")?)),
            "tensordot" => one(ops::tensordot(&c.tensor(0, "x1")?, &c.tensor(1, "x2")?, tensordot_axes(c)?)),
            "einsum" => {
                let subscripts = c.opt_str(0, "subscripts")?.ok_or("einsum: missing subscripts")?;
                let operands =
                    c.args[1..].iter().map(|v| parse_tensor(v, c.device)).collect::<Result<Vec<_>, _>>()?;
                one(ops::einsum(subscripts, &operands.iter().collect::<Vec<_>>()))
            }
            _ => unreachable!("filtered below"),
        }
    };
    matches!(c.name, "matmul" | "dot" | "outer" | "tensordot" | "einsum").then(run)
}
