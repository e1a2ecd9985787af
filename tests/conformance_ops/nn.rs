//! Conformance dispatch: nn ops (`softmax`, `log_softmax`, `normalize`, `moments`).

use super::{many, one, Call, OpResult};
use wgkeras::ops;

pub fn call(c: &Call) -> Option<OpResult> {
    Some(match c.name {
        "softmax" | "log_softmax" => (|| {
            let x = c.tensor(0, "x")?;
            let axis = c.i64_or(1, "axis", -1)?;
            one(if c.name == "softmax" { ops::softmax(&x, axis) } else { ops::log_softmax(&x, axis) })
        })(),
        "normalize" => (|| {
            let x = c.tensor(0, "x")?;
            one(ops::normalize(
                &x,
                c.i64_or(1, "axis", -1)?,
                c.i64_or(2, "order", 2)?,
                c.opt_f64(3, "epsilon")?,
            ))
        })(),
        "moments" => (|| {
            let x = c.tensor(0, "x")?;
            let axes = c.ints(1, "axes")?;
            let keepdims = c.bool_or(2, "keepdims", false)?;
            let synchronized = c.bool_or(3, "synchronized", false)?;
            many(ops::moments(&x, &axes, keepdims, synchronized).map(|(m, v)| vec![m, v]))
        })(),
        _ => return None,
    })
}
