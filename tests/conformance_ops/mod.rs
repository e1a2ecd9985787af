//! How the conformance runner calls an op by its `keras.ops` name: argument access in
//! Keras's positional-or-keyword style, tensor parsing, and one dispatch module per op family.
#![allow(dead_code)]

pub mod elementwise;
pub mod index;
pub mod layout;
pub mod losses_fns;
pub mod matmul;
pub mod nn;
pub mod random;
pub mod reduce;
pub mod schedules;
pub mod tf;
pub mod tf_array_ops;
pub mod tf_math_ops;
pub mod util;
pub mod weights_fns;

use serde_json::{Map, Value};
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

pub type OpResult = Result<Vec<Tensor>, String>;

/// One op call from a case: positional `args` and keyword `kwargs`, run on `device`.
pub struct Call<'a> {
    pub name: &'a str,
    pub args: &'a [Value],
    pub kwargs: &'a Map<String, Value>,
    pub device: &'a Device,
}

/// The dtype a conformance dtype name maps to here (wider integer types are held as int32).
pub fn case_dtype(name: &str) -> Result<DType, String> {
    match name {
        "int8" | "uint8" | "int16" | "uint16" | "int64" => Ok(DType::I32),
        "uint64" => Ok(DType::U32),
        other => DType::parse(other).ok_or_else(|| format!("unknown dtype {other:?}")),
    }
}

/// A JSON number, or one of the strings "nan", "inf", "-inf".
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(*b as u8 as f64),
        Value::String(s) => match s.as_str() {
            "nan" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

pub fn is_tensor(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.contains_key("dtype") && o.contains_key("shape") && o.contains_key("data"))
}

fn flatten_into(v: &Value, out: &mut Vec<f64>, dims: &mut Vec<usize>, depth: usize) -> Result<(), String> {
    match v {
        Value::Array(items) => {
            if dims.len() == depth {
                dims.push(items.len());
            } else if dims[depth] != items.len() {
                return Err("ragged nested list".into());
            }
            for it in items {
                flatten_into(it, out, dims, depth + 1)?;
            }
            Ok(())
        }
        other => {
            out.push(number(other).ok_or_else(|| format!("not a number: {other}"))?);
            Ok(())
        }
    }
}

/// Parses a tensor object, or turns a plain number / nested list into a tensor (float32 when
/// any value is fractional, bool for JSON bools, else int32), on `device`.
pub fn parse_tensor(v: &Value, device: &Device) -> Result<Tensor, String> {
    if is_tensor(v) {
        let o = v.as_object().unwrap();
        let dtype = case_dtype(o["dtype"].as_str().ok_or("dtype must be a string")?)?;
        let dims: Vec<usize> = o["shape"]
            .as_array()
            .ok_or("shape must be a list")?
            .iter()
            .map(|d| d.as_u64().map(|d| d as usize).ok_or("shape entries must be integers"))
            .collect::<Result<_, _>>()?;
        let mut data = Vec::new();
        let mut ignore = Vec::new();
        flatten_into(&o["data"], &mut data, &mut ignore, 0)?;
        let n: usize = dims.iter().product();
        if data.len() != n && !(dims.is_empty() && data.len() == 1) {
            return Err(format!("tensor data has {} values for shape {dims:?}", data.len()));
        }
        return Tensor::from_cpu(CpuStorage::from_f64(dtype, data), &dims, device).map_err(|e| e.to_string());
    }
    let mut data = Vec::new();
    let mut dims = Vec::new();
    flatten_into(v, &mut data, &mut dims, 0)?;
    let is_bool = matches!(v, Value::Bool(_)) || first_leaf(v).is_some_and(|l| l.is_boolean());
    let dtype = if is_bool {
        DType::Bool
    } else if data.iter().all(|x| x.fract() == 0.0) && !has_float_literal(v) {
        DType::I32
    } else {
        DType::F32
    };
    Tensor::from_cpu(CpuStorage::from_f64(dtype, data), &dims, device).map_err(|e| e.to_string())
}

fn first_leaf(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => items.first().and_then(first_leaf),
        other => Some(other),
    }
}

fn has_float_literal(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(has_float_literal),
        Value::Number(n) => n.is_f64(),
        Value::String(_) => true,
        _ => false,
    }
}

impl<'a> Call<'a> {
    /// Positional argument `i`, else keyword `key`.
    pub fn arg(&self, i: usize, key: &str) -> Option<&'a Value> {
        self.args.get(i).or_else(|| self.kwargs.get(key)).filter(|v| !v.is_null())
    }

    pub fn has(&self, i: usize, key: &str) -> bool {
        self.arg(i, key).is_some()
    }

    pub fn tensor(&self, i: usize, key: &str) -> Result<Tensor, String> {
        let v = self.arg(i, key).ok_or_else(|| format!("{}: missing argument {key}", self.name))?;
        parse_tensor(v, self.device)
    }

    pub fn opt_tensor(&self, i: usize, key: &str) -> Result<Option<Tensor>, String> {
        self.arg(i, key).map(|v| parse_tensor(v, self.device)).transpose()
    }

    /// Every tensor in a list argument (e.g. `concatenate(xs)`).
    pub fn tensors(&self, i: usize, key: &str) -> Result<Vec<Tensor>, String> {
        let v = self.arg(i, key).ok_or_else(|| format!("{}: missing argument {key}", self.name))?;
        match v {
            Value::Array(items) if items.iter().all(is_tensor) => {
                items.iter().map(|t| parse_tensor(t, self.device)).collect()
            }
            other => Ok(vec![parse_tensor(other, self.device)?]),
        }
    }

    pub fn f64(&self, i: usize, key: &str) -> Result<f64, String> {
        self.opt_f64(i, key)?.ok_or_else(|| format!("{}: missing argument {key}", self.name))
    }

    pub fn opt_f64(&self, i: usize, key: &str) -> Result<Option<f64>, String> {
        match self.arg(i, key) {
            None => Ok(None),
            Some(v) if is_tensor(v) => {
                Ok(Some(parse_tensor(v, &Device::Cpu)?.item().map_err(|e| e.to_string())?))
            }
            Some(v) => {
                number(v).map(Some).ok_or_else(|| format!("{}: {key} must be a number, got {v}", self.name))
            }
        }
    }

    pub fn f64_or(&self, i: usize, key: &str, default: f64) -> Result<f64, String> {
        Ok(self.opt_f64(i, key)?.unwrap_or(default))
    }

    /// An integer argument; a NaN or fractional value is an error, as it would be in Keras.
    pub fn opt_i64(&self, i: usize, key: &str) -> Result<Option<i64>, String> {
        match self.opt_f64(i, key)? {
            None => Ok(None),
            Some(x) if x.fract() == 0.0 => Ok(Some(x as i64)),
            Some(x) => Err(format!("{}: {key} must be an integer, got {x}", self.name)),
        }
    }

    pub fn i64(&self, i: usize, key: &str) -> Result<i64, String> {
        self.opt_i64(i, key)?.ok_or_else(|| format!("{}: missing argument {key}", self.name))
    }

    pub fn i64_or(&self, i: usize, key: &str, default: i64) -> Result<i64, String> {
        Ok(self.opt_i64(i, key)?.unwrap_or(default))
    }

    pub fn bool_or(&self, i: usize, key: &str, default: bool) -> Result<bool, String> {
        match self.arg(i, key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => {
                number(v).map(|x| x != 0.0).ok_or_else(|| format!("{}: {key} must be a bool", self.name))
            }
        }
    }

    pub fn opt_str(&self, i: usize, key: &str) -> Result<Option<&'a str>, String> {
        match self.arg(i, key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(format!("{}: {key} must be a string, got {v}", self.name)),
        }
    }

    /// A list of integers, or a single integer as a one-element list (shapes, axes, repeats).
    pub fn opt_ints(&self, i: usize, key: &str) -> Result<Option<Vec<i64>>, String> {
        match self.arg(i, key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| number(v).filter(|x| x.fract() == 0.0).map(|x| x as i64))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| format!("{}: {key} must be a list of integers", self.name)),
            Some(v) if is_tensor(v) => Ok(Some(
                parse_tensor(v, &Device::Cpu)?
                    .to_vec_f64()
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .map(|x| x as i64)
                    .collect(),
            )),
            Some(_) => Ok(Some(vec![self.i64(i, key)?])),
        }
    }

    pub fn ints(&self, i: usize, key: &str) -> Result<Vec<i64>, String> {
        self.opt_ints(i, key)?.ok_or_else(|| format!("{}: missing argument {key}", self.name))
    }

    pub fn opt_dtype(&self, i: usize, key: &str) -> Result<Option<DType>, String> {
        self.opt_str(i, key)?.map(case_dtype).transpose()
    }
}

/// Wraps one tensor result.
pub fn one(r: wgkeras::runtime::Result<Tensor>) -> OpResult {
    r.map(|t| vec![t]).map_err(|e| e.to_string())
}

/// Wraps several tensor results.
pub fn many(r: wgkeras::runtime::Result<Vec<Tensor>>) -> OpResult {
    r.map_err(|e| e.to_string())
}

/// Runs the op a case names, or None when no family knows the name (unsupported).
pub fn dispatch(c: &Call) -> Option<OpResult> {
    elementwise::call(c)
        .or_else(|| reduce::call(c))
        .or_else(|| nn::call(c))
        .or_else(|| matmul::call(c))
        .or_else(|| layout::call(c))
        .or_else(|| index::call(c))
        .or_else(|| random::call(c))
        .or_else(|| tf::call(c))
        .or_else(|| tf_array_ops::call(c))
        .or_else(|| tf_math_ops::call(c))
        .or_else(|| losses_fns::call(c))
        .or_else(|| weights_fns::call(c))
        .or_else(|| schedules::call(c))
}
