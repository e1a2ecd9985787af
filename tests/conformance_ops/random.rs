//! Conformance dispatch: `keras.random` (`random.uniform`, `random.normal`,
//! `random.truncated_normal`, `random.randint`, `random.dropout`). Values come from wgkeras's
//! Philox generator, so the cases compare shapes, dtypes and draws that do not depend on it.

use super::{one, Call, OpResult};
use wgkeras::ops;
use wgkeras::runtime::DType;

fn shape(c: &Call) -> Result<Vec<usize>, String> {
    c.ints(0, "shape")?
        .into_iter()
        .map(|d| usize::try_from(d).map_err(|_| format!("{}: negative dimension {d}", c.name)))
        .collect()
}

/// The seed argument as the generator's 64-bit seed (None: 0).
fn seed(c: &Call, i: usize) -> Result<u64, String> {
    Ok(c.opt_i64(i, "seed")?.unwrap_or(0) as u64)
}

fn run(c: &Call) -> OpResult {
    match c.name {
        "random.uniform" => {
            let dtype = c.opt_dtype(3, "dtype")?.unwrap_or(DType::F32);
            one(ops::uniform(
                &shape(c)?,
                c.f64_or(1, "minval", 0.0)?,
                c.f64_or(2, "maxval", 1.0)?,
                dtype,
                seed(c, 4)?,
                c.device,
            ))
        }
        "random.normal" | "random.truncated_normal" => {
            let dtype = c.opt_dtype(3, "dtype")?.unwrap_or(DType::F32);
            let f = if c.name == "random.normal" { ops::normal } else { ops::truncated_normal };
            one(f(
                &shape(c)?,
                c.f64_or(1, "mean", 0.0)?,
                c.f64_or(2, "stddev", 1.0)?,
                dtype,
                seed(c, 4)?,
                c.device,
            ))
        }
        "random.randint" => {
            let dtype = c.opt_dtype(3, "dtype")?.unwrap_or(DType::I32);
            one(ops::randint(
                &shape(c)?,
                c.i64(1, "minval")?,
                c.i64(2, "maxval")?,
                dtype,
                seed(c, 4)?,
                c.device,
            ))
        }
        "random.dropout" => {
            let x = c.tensor(0, "inputs")?;
            let noise = c
                .opt_ints(2, "noise_shape")?
                .map(|v| v.into_iter().map(|d| d.max(0) as usize).collect::<Vec<_>>());
            one(ops::random_dropout(&x, c.f64(1, "rate")?, noise.as_deref(), seed(c, 3)?))
        }
        other => Err(format!("{other}: not a random op")),
    }
}

pub fn call(c: &Call) -> Option<OpResult> {
    const NAMES: &[&str] =
        &["random.uniform", "random.normal", "random.truncated_normal", "random.randint", "random.dropout"];
    NAMES.contains(&c.name).then(|| run(c))
}
