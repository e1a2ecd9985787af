//! Conformance dispatch: the TensorFlow-named math ops (`tf.zeros_like`, `tf.ones_like`,
//! `tf.truncatediv`, `tf.truncatemod`, `tf.realdiv`, `tf.clip_by_value`, `tf.clip_by_norm`,
//! `tf.clip_by_global_norm`, `tf.searchsorted`, `tf.norm`, `tf.tensordot`, `tf.einsum`,
//! `tf.pad`, `tf.unique`, `tf.unique_with_counts`), with TensorFlow's argument names.

use super::{is_tensor, number, one, parse_tensor, Call, OpResult};
use serde_json::Value;
use wgkeras::runtime::ops::TensordotAxes;
use wgkeras::runtime::tf;
use wgkeras::runtime::DType;

fn int_list(v: &Value) -> Option<Vec<i64>> {
    match v {
        Value::Array(items) => items.iter().map(|x| number(x).map(|f| f as i64)).collect(),
        other => number(other).map(|f| vec![f as i64]),
    }
}

fn axes_arg(c: &Call) -> Result<TensordotAxes, String> {
    let v = c.arg(2, "axes").ok_or("tf.tensordot: missing axes")?;
    match v {
        Value::Array(items) if items.len() == 2 => {
            let a = int_list(&items[0]).ok_or("tf.tensordot: bad axes")?;
            let b = int_list(&items[1]).ok_or("tf.tensordot: bad axes")?;
            Ok(TensordotAxes::Pair(a, b))
        }
        other => Ok(TensordotAxes::Count(number(other).ok_or("tf.tensordot: bad axes")? as usize)),
    }
}

fn norm_ord(c: &Call) -> Result<tf::TfNormOrd, String> {
    Ok(match c.arg(1, "ord") {
        None => tf::TfNormOrd::Euclidean,
        Some(Value::String(s)) if s == "euclidean" => tf::TfNormOrd::Euclidean,
        Some(Value::String(s)) if s == "fro" => tf::TfNormOrd::Fro,
        Some(v) => tf::TfNormOrd::P(number(v).ok_or_else(|| format!("tf.norm: bad ord {v}"))?),
    })
}

pub fn call(c: &Call) -> Option<OpResult> {
    let r = match c.name {
        "tf.zeros_like" => (|| one(tf::zeros_like(&c.tensor(0, "input")?, c.opt_dtype(1, "dtype")?)))(),
        "tf.ones_like" => (|| one(tf::ones_like(&c.tensor(0, "input")?, c.opt_dtype(1, "dtype")?)))(),
        "tf.truncatediv" => (|| one(tf::truncatediv(&c.tensor(0, "x")?, &c.tensor(1, "y")?)))(),
        "tf.truncatemod" => (|| one(tf::truncatemod(&c.tensor(0, "x")?, &c.tensor(1, "y")?)))(),
        "tf.realdiv" => (|| one(tf::realdiv(&c.tensor(0, "x")?, &c.tensor(1, "y")?)))(),
        "tf.clip_by_value" => (|| {
            one(tf::clip_by_value(
                &c.tensor(0, "t")?,
                &c.tensor(1, "clip_value_min")?,
                &c.tensor(2, "clip_value_max")?,
            ))
        })(),
        "tf.clip_by_norm" => (|| {
            let axes = c.opt_ints(2, "axes")?;
            one(tf::clip_by_norm(&c.tensor(0, "t")?, c.f64(1, "clip_norm")?, axes.as_deref()))
        })(),
        "tf.clip_by_global_norm" => (|| {
            let use_norm = c.opt_tensor(2, "use_norm")?;
            let (mut out, n) =
                tf::clip_by_global_norm(&c.tensors(0, "t_list")?, c.f64(1, "clip_norm")?, use_norm.as_ref())
                    .map_err(|e| e.to_string())?;
            out.push(n);
            Ok(out)
        })(),
        "tf.searchsorted" => (|| {
            one(tf::searchsorted(
                &c.tensor(0, "sorted_sequence")?,
                &c.tensor(1, "values")?,
                c.opt_str(2, "side")?.unwrap_or("left"),
                c.opt_dtype(3, "out_type")?.unwrap_or(DType::I32),
            ))
        })(),
        "tf.norm" => (|| {
            let axis = c.opt_ints(2, "axis")?;
            let keepdims = c.bool_or(3, "keepdims", false)?;
            one(tf::norm(&c.tensor(0, "tensor")?, norm_ord(c)?, axis.as_deref(), keepdims))
        })(),
        "tf.tensordot" => (|| one(tf::tensordot(&c.tensor(0, "a")?, &c.tensor(1, "b")?, axes_arg(c)?)))(),
        "tf.einsum" => (|| {
            let eq = c.opt_str(0, "equation")?.ok_or("tf.einsum: missing equation")?;
            let xs = c.args[1..]
                .iter()
                .filter(|v| is_tensor(v))
                .map(|v| parse_tensor(v, c.device))
                .collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<_> = xs.iter().collect();
            one(tf::einsum(eq, &refs))
        })(),
        "tf.pad" => (|| {
            let p = c.arg(1, "paddings").ok_or("tf.pad: missing paddings")?;
            let rows: Vec<[i64; 2]> = match p {
                Value::Array(items) => items
                    .iter()
                    .map(|r| int_list(r).filter(|v| v.len() == 2).map(|v| [v[0], v[1]]))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("tf.pad: bad paddings")?,
                _ => return Err("tf.pad: bad paddings".to_string()),
            };
            let mode = c.opt_str(2, "mode")?.unwrap_or("CONSTANT");
            one(tf::pad(&c.tensor(0, "tensor")?, &rows, mode, c.f64_or(3, "constant_values", 0.0)?))
        })(),
        "tf.unique" => (|| {
            let (y, idx) = tf::unique(&c.tensor(0, "x")?, c.opt_dtype(1, "out_idx")?.unwrap_or(DType::I32))
                .map_err(|e| e.to_string())?;
            Ok(vec![y, idx])
        })(),
        "tf.unique_with_counts" => (|| {
            let (y, idx, n) =
                tf::unique_with_counts(&c.tensor(0, "x")?, c.opt_dtype(1, "out_idx")?.unwrap_or(DType::I32))
                    .map_err(|e| e.to_string())?;
            Ok(vec![y, idx, n])
        })(),
        _ => return None,
    };
    Some(r)
}
