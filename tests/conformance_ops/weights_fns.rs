//! `op` cases of keras.regularizers, keras.constraints and the deterministic keras.initializers
//! (tools/refgen/weights_fns.py): `"regularizers.<Class>"` with the config as kwargs and `[x]`
//! gives the penalty, `"constraints.<Class>"` with `[w]` the projected weight,
//! `"initializers.<Class>"` with the config plus `shape` and `dtype` the initial value.

use serde_json::Value;
use wgkeras::frontend::graph::Graph;
use wgkeras::frontend::{constraints, initializers, regularizers};
use wgkeras::runtime::Tensor;

use super::{case_dtype, Call, OpResult};

pub fn call(c: &Call) -> Option<OpResult> {
    let (module, class) = c.name.split_once('.')?;
    match module {
        "regularizers" => Some(regularizer(c, class)),
        "constraints" => Some(constraint(c, class)),
        "initializers" => Some(initializer(c, class)),
        _ => None,
    }
}

/// Runs `f` on a placeholder fed with `x` (so the graph runs on x's device).
fn on_graph(
    x: &Tensor,
    f: impl for<'g> FnOnce(
        wgkeras::frontend::graph::Sym<'g>,
    ) -> wgkeras::frontend::Result<wgkeras::frontend::graph::Sym<'g>>,
) -> OpResult {
    let g = Graph::new();
    let shape: Vec<Option<usize>> = x.dims().iter().map(|&d| Some(d)).collect();
    let input = g.input(&shape, x.dtype());
    let out = f(input).map_err(|e| e.to_string())?;
    g.evaluate(&[out], std::slice::from_ref(x)).map_err(|e| e.to_string())
}

fn regularizer(c: &Call, class: &str) -> OpResult {
    let r = regularizers::from_config(class, c.kwargs).map_err(|e| e.to_string())?;
    let x = c.tensor(0, "x")?;
    on_graph(&x, |s| r.call(s))
}

fn constraint(c: &Call, class: &str) -> OpResult {
    let k = constraints::from_config(class, c.kwargs).map_err(|e| e.to_string())?;
    let w = c.tensor(0, "w")?;
    on_graph(&w, |s| k.call(s))
}

fn initializer(c: &Call, class: &str) -> OpResult {
    let mut config = c.kwargs.clone();
    let dims: Vec<usize> = match config.remove("shape") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_u64().map(|d| d as usize).ok_or_else(|| format!("bad shape entry {v}")))
            .collect::<Result<_, _>>()?,
        other => return Err(format!("initializer case needs a `shape` list, got {other:?}")),
    };
    let dtype = match config.remove("dtype") {
        None | Some(Value::Null) => wgkeras::runtime::DType::F32,
        Some(Value::String(s)) => case_dtype(&s)?,
        Some(v) => return Err(format!("bad dtype {v}")),
    };
    let init = initializers::from_config(class, &config).map_err(|e| e.to_string())?;
    Ok(vec![init.init(&dims, dtype, c.device).map_err(|e| e.to_string())?])
}
