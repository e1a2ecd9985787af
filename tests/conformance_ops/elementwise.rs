//! Conformance dispatch: elementwise, creation and cast ops.

use super::{one, Call, OpResult};
use wgkeras::ops;
use wgkeras::runtime::{DType, Tensor};

type Unary = fn(&Tensor) -> wgkeras::runtime::Result<Tensor>;
type Binary = fn(&Tensor, &Tensor) -> wgkeras::runtime::Result<Tensor>;

fn unary(c: &Call, f: Unary) -> OpResult {
    one(f(&c.tensor(0, "x")?))
}

fn binary(c: &Call, f: Binary) -> OpResult {
    one(f(&c.tensor(0, "x1")?, &c.tensor(1, "x2")?))
}

fn dtype_or(c: &Call, i: usize, default: DType) -> Result<DType, String> {
    Ok(c.opt_dtype(i, "dtype")?.unwrap_or(default))
}

pub fn call(c: &Call) -> Option<OpResult> {
    let unaries: &[(&str, Unary)] = &[
        ("negative", ops::negative),
        ("abs", ops::abs),
        ("absolute", ops::abs),
        ("sign", ops::sign),
        ("exp", ops::exp),
        ("expm1", ops::expm1),
        ("log", ops::log),
        ("log1p", ops::log1p),
        ("sqrt", ops::sqrt),
        ("rsqrt", ops::rsqrt),
        ("square", ops::square),
        ("reciprocal", ops::reciprocal),
        ("sin", ops::sin),
        ("cos", ops::cos),
        ("tan", ops::tan),
        ("tanh", ops::tanh),
        ("sigmoid", ops::sigmoid),
        ("relu", ops::relu),
        ("softplus", ops::softplus),
        ("erf", ops::erf),
        ("floor", ops::floor),
        ("ceil", ops::ceil),
        ("isnan", ops::isnan),
        ("isfinite", ops::isfinite),
        ("logical_not", ops::logical_not),
    ];
    if let Some((_, f)) = unaries.iter().find(|(n, _)| *n == c.name) {
        return Some(unary(c, *f));
    }
    let binaries: &[(&str, Binary)] = &[
        ("add", ops::add),
        ("subtract", ops::subtract),
        ("multiply", ops::multiply),
        ("divide", ops::divide),
        ("true_divide", ops::divide),
        ("power", ops::power),
        ("maximum", ops::maximum),
        ("minimum", ops::minimum),
        ("equal", ops::equal),
        ("not_equal", ops::not_equal),
        ("greater", ops::greater),
        ("greater_equal", ops::greater_equal),
        ("less", ops::less),
        ("less_equal", ops::less_equal),
        ("logical_and", ops::logical_and),
        ("logical_or", ops::logical_or),
    ];
    if let Some((_, f)) = binaries.iter().find(|(n, _)| *n == c.name) {
        return Some(binary(c, *f));
    }
    let d = c.device;
    Some(match c.name {
        "round" => (|| {
            if c.i64_or(1, "decimals", 0)? != 0 {
                return Err("round: only decimals=0 is supported".to_string());
            }
            one(ops::round(&c.tensor(0, "x")?))
        })(),
        "nan_to_num" => (|| {
            one(ops::nan_to_num(
                &c.tensor(0, "x")?,
                c.f64_or(1, "nan", 0.0)?,
                c.opt_f64(2, "posinf")?,
                c.opt_f64(3, "neginf")?,
            ))
        })(),
        "where" => {
            (|| one(ops::where_(&c.tensor(0, "condition")?, &c.tensor(1, "x1")?, &c.tensor(2, "x2")?)))()
        }
        "clip" => (|| one(ops::clip(&c.tensor(0, "x")?, c.f64(1, "x_min")?, c.f64(2, "x_max")?)))(),
        "cast" => (|| {
            let dtype = c.opt_dtype(1, "dtype")?.ok_or("cast: missing dtype")?;
            one(ops::cast(&c.tensor(0, "x")?, dtype))
        })(),
        "zeros" => (|| one(ops::zeros(&shape(c)?, dtype_or(c, 1, DType::F32)?, d)))(),
        "ones" => (|| one(ops::ones(&shape(c)?, dtype_or(c, 1, DType::F32)?, d)))(),
        "full" => (|| {
            let fill = c.f64(1, "fill_value")?;
            let default = if fill.fract() == 0.0 && !c.arg(1, "fill_value").is_some_and(|v| v.is_f64()) {
                DType::I32
            } else {
                DType::F32
            };
            one(ops::full(&shape(c)?, fill, dtype_or(c, 2, default)?, d))
        })(),
        "zeros_like" => (|| {
            let x = c.tensor(0, "x")?;
            one(ops::zeros(x.dims(), dtype_or(c, 1, x.dtype())?, d))
        })(),
        "ones_like" => (|| {
            let x = c.tensor(0, "x")?;
            one(ops::ones(x.dims(), dtype_or(c, 1, x.dtype())?, d))
        })(),
        "full_like" => (|| {
            let x = c.tensor(0, "x")?;
            one(ops::full(x.dims(), c.f64(1, "fill_value")?, dtype_or(c, 2, x.dtype())?, d))
        })(),
        "arange" => (|| {
            let a = c.f64(0, "start")?;
            let (start, stop) = match c.opt_f64(1, "stop")? {
                Some(stop) => (a, stop),
                None => (0.0, a),
            };
            let step = c.f64_or(2, "step", 1.0)?;
            let any_float = [c.arg(0, "start"), c.arg(1, "stop"), c.arg(2, "step")]
                .iter()
                .any(|v| v.is_some_and(|v| v.is_f64()));
            let default = if any_float { DType::F32 } else { DType::I32 };
            one(ops::arange(start, stop, step, dtype_or(c, 3, default)?, d))
        })(),
        "linspace" => (|| {
            let num = c.i64_or(2, "num", 50)?;
            if num < 0 {
                return Err(format!("linspace: num must be non-negative, got {num}"));
            }
            one(ops::linspace(
                c.f64(0, "start")?,
                c.f64(1, "stop")?,
                num as usize,
                c.bool_or(3, "endpoint", true)?,
                dtype_or(c, 5, DType::F32)?,
                d,
            ))
        })(),
        "eye" => (|| {
            let n = c.i64(0, "N")?;
            let m = c.opt_i64(1, "M")?;
            if n < 0 || m.is_some_and(|m| m < 0) {
                return Err("eye: N and M must be non-negative".to_string());
            }
            one(ops::eye(
                n as usize,
                m.map(|m| m as usize),
                c.i64_or(2, "k", 0)?,
                dtype_or(c, 3, DType::F32)?,
                d,
            ))
        })(),
        _ => return None,
    })
}

fn shape(c: &Call) -> Result<Vec<usize>, String> {
    c.ints(0, "shape")?
        .into_iter()
        .map(|d| usize::try_from(d).map_err(|_| format!("{}: negative dimension {d}", c.name)))
        .collect()
}
