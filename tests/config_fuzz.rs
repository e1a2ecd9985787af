//! Bad configs give errors, never panics: every layer, loss and optimizer config of the Keras
//! reference cases (tests/conformance/{layers*,losses,optimizers}.json) is loaded with each of its
//! keys replaced by values of the wrong kind or range, then used (a layer built and called on the
//! case's input shape, a loss computed, an optimizer step applied on the CPU).

use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::Value;
use wgkeras::frontend::graph::{Graph, Shape};
use wgkeras::frontend::layers::{self, CallContext};
use wgkeras::frontend::Variable;
use wgkeras::runtime::{CpuStorage, DType, Device, Tensor};

/// The cases of `kind` in the case files whose names start with `prefix`.
fn cases(prefix: &str, kind: &str) -> Vec<Value> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance");
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with(prefix) && name.ends_with(".json")) {
            continue;
        }
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        out.extend(doc["cases"].as_array().unwrap().iter().filter(|c| c["kind"] == kind).cloned());
    }
    out
}

const BAD_VALUES: [&str; 12] =
    ["null", "\"x\"", "-1", "0", "1e300", "-1e300", "[]", "[1, -2]", "{}", "true", "0.5", "1000000000000"];

/// Runs `use_it` on `config` with each key of its inner config set to each bad value; panics
/// (with the class, key and value) if any of them panics. Returns (tried, refused).
fn mutate_keys(config: &Value, use_it: &dyn Fn(&Value) -> Result<(), String>) -> (usize, usize) {
    let (mut tried, mut refused) = (0, 0);
    let keys: Vec<String> = config["config"].as_object().unwrap().keys().cloned().collect();
    for key in keys.iter().filter(|k| k.as_str() != "name") {
        for bad in BAD_VALUES {
            let mut c = config.clone();
            c["config"][key.as_str()] = serde_json::from_str(bad).unwrap();
            match catch_unwind(AssertUnwindSafe(|| use_it(&c))) {
                Err(_) => panic!("{} with {key}={bad} panicked", config["class_name"]),
                Ok(Err(_)) => refused += 1,
                Ok(Ok(())) => {}
            }
            tried += 1;
        }
    }
    (tried, refused)
}

fn shapes(v: &Value) -> Vec<Shape> {
    let one = |s: &Value| -> Shape {
        s.as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, d)| if i == 0 { None } else { d.as_u64().map(|d| d as usize) })
            .collect()
    };
    match v.as_array() {
        Some(items) if items.iter().all(Value::is_array) && !items.is_empty() => {
            items.iter().map(one).collect()
        }
        _ => vec![one(v)],
    }
}

/// Loads, builds and calls; any outcome but a panic is fine.
fn try_layer(config: &Value, build: &[Shape], int_inputs: bool) -> Result<(), String> {
    let layer = layers::deserialize(config).map_err(|e| e.to_string())?;
    layer.ensure_built(build).map_err(|e| e.to_string())?;
    let g = Graph::new();
    let dtype = if int_inputs { DType::I32 } else { DType::F32 };
    let xs: Vec<_> = build.iter().map(|s| g.input(s, dtype)).collect();
    for training in [false, true] {
        layer.call_graph(&xs, &CallContext::new(training)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[test]
fn bad_layer_configs_give_errors_not_panics() {
    let cases = cases("layers", "layer");
    assert!(cases.len() > 200, "only {} layer cases found", cases.len());
    let (mut tried, mut refused) = (0, 0);
    for case in &cases {
        let mut config = case["config"].clone();
        if let Some(o) = config.as_object_mut() {
            o.remove("build_config");
        }
        let build = shapes(&case["build_shape"]);
        let int_inputs = config["class_name"] == "Embedding";
        let (t, r) = mutate_keys(&config, &|c| try_layer(c, &build, int_inputs));
        tried += t;
        refused += r;
    }
    assert!(refused > tried / 4, "only {refused} of {tried} bad configs were refused");
}

#[test]
fn bad_loss_configs_give_errors_not_panics() {
    let cases = cases("losses", "loss");
    assert!(cases.len() > 100, "only {} loss cases found", cases.len());
    let (mut tried, mut refused) = (0, 0);
    for case in cases.iter().step_by(3) {
        let y_true = parse(&case["y_true"]);
        let y_pred = parse(&case["y_pred"]);
        let (t, r) = mutate_keys(&case["config"], &|c| {
            let loss = wgkeras::frontend::losses::get(c).map_err(|e| e.to_string())?;
            let g = Graph::new();
            let (yt, yp) = (g.constant(y_true.clone()), g.constant(y_pred.clone()));
            let l =
                wgkeras::frontend::losses::compute(loss.as_ref(), yt, yp, None).map_err(|e| e.to_string())?;
            g.evaluate(&[l], &[]).map_err(|e| e.to_string())?;
            Ok(())
        });
        tried += t;
        refused += r;
    }
    assert!(refused > tried / 4, "only {refused} of {tried} bad configs were refused");
}

#[test]
fn bad_optimizer_configs_give_errors_not_panics() {
    let cases = cases("optimizers", "optimizer");
    assert!(cases.len() > 50, "only {} optimizer cases found", cases.len());
    let (mut tried, mut refused) = (0, 0);
    for case in cases.iter().step_by(2) {
        let vars: Vec<Tensor> = case["variables"].as_array().unwrap().iter().map(parse).collect();
        let grads: Vec<Tensor> = case["gradients"][0].as_array().unwrap().iter().map(parse).collect();
        let (t, r) = mutate_keys(&case["config"], &|c| {
            let opt = wgkeras::frontend::optimizers::get(c).map_err(|e| e.to_string())?;
            let vs: Vec<Variable> = vars
                .iter()
                .enumerate()
                .map(|(i, t)| Variable::new(format!("v{i}"), t.clone(), true))
                .collect();
            wgkeras::frontend::optimizers::apply_gradients_eager(opt.as_ref(), &vs, &grads)
                .map_err(|e| e.to_string())
        });
        tried += t;
        refused += r;
    }
    assert!(refused > tried / 4, "only {refused} of {tried} bad configs were refused");
}

/// A case tensor `{dtype, shape, data}` on the CPU.
fn parse(v: &Value) -> Tensor {
    let dims: Vec<usize> =
        v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> =
        v["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect();
    let dtype = DType::parse(v["dtype"].as_str().unwrap()).unwrap_or(DType::F32);
    Tensor::from_cpu(CpuStorage::from_f64(dtype, data), &dims, &Device::Cpu).unwrap()
}
