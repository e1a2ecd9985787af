//! Conformance dispatch for `util` cases: `keras.utils.<name>` (to_categorical, normalize,
//! pad_sequences).

use serde_json::Value;
use wgkeras::frontend::utils::{self, PadSequences};
use wgkeras::runtime::{DType, Device, Tensor};

use super::{case_dtype, number, one, parse_tensor, Call, OpResult};

pub fn call(c: &Call) -> Option<OpResult> {
    Some(match c.name {
        "to_categorical" => (|| {
            let x = c.tensor(0, "x")?;
            let n = c.opt_i64(1, "num_classes")?;
            let n = n
                .map(|n| usize::try_from(n).map_err(|_| format!("num_classes={n} is negative")))
                .transpose()?;
            one(utils::to_categorical(&x, n))
        })(),
        "normalize" => (|| {
            let x = c.tensor(0, "x")?;
            one(utils::normalize(&x, c.i64_or(1, "axis", -1)?, c.i64_or(2, "order", 2)?))
        })(),
        "pad_sequences" => pad_sequences(c),
        _ => return None,
    })
}

/// A sequence given as a flat list of numbers, or None when it has nested (sample) dims.
fn flat_numbers(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?.iter().map(number).collect()
}

fn pad_sequences(c: &Call) -> OpResult {
    let seqs =
        c.arg(0, "sequences").and_then(Value::as_array).ok_or("pad_sequences: sequences must be a list")?;
    let maxlen = c
        .opt_i64(1, "maxlen")?
        .map(|m| usize::try_from(m).map_err(|_| format!("maxlen={m} is negative")))
        .transpose()?;
    let dtype = c.opt_str(2, "dtype")?.map(case_dtype).transpose()?.unwrap_or(DType::I32);
    let options = PadSequences {
        maxlen,
        dtype,
        padding: c.opt_str(3, "padding")?.unwrap_or("pre"),
        truncating: c.opt_str(4, "truncating")?.unwrap_or("pre"),
        value: c.f64_or(5, "value", 0.0)?,
    };
    let flat: Option<Vec<Vec<f64>>> = seqs.iter().map(flat_numbers).collect();
    match flat {
        Some(flat) => one(utils::pad_sequences(&flat, &options, c.device)),
        None => {
            // Sequences of samples with their own shape: each becomes a (timesteps, ...) tensor.
            let tensors: Vec<Tensor> =
                seqs.iter().map(|s| parse_tensor(s, &Device::Cpu)).collect::<Result<_, _>>()?;
            one(utils::pad_tensor_sequences(&tensors, &options, c.device))
        }
    }
}
