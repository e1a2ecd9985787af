//! The conformance runner of ../shared/CONFORMANCE.md: runs every case file in
//! `tests/conformance/` (or only those in `$WGKERAS_CONFORMANCE_DIR`) on the CPU and on the GPU
//! when any adapter exists, and compares with the Keras numbers in the file.
//!
//! Run it as `cargo test --release --test conformance -- --nocapture`.

mod common;
mod conformance_keras;
mod conformance_ops;

use std::path::PathBuf;

use conformance_ops::{case_dtype, is_tensor, number, parse_tensor, Call};
use serde_json::Value;
use wgkeras::runtime::{DType, Device, Tensor};

struct Outcome {
    passed: usize,
    failed: usize,
    unsupported: usize,
}

fn case_files() -> Vec<PathBuf> {
    let dir = match std::env::var_os("WGKERAS_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance"),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading conformance folder {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Flattens an expected value (a tensor, or nested lists of tensors) in `tf.nest.flatten` order.
fn expected_tensors(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) if !is_tensor(v) => items.iter().for_each(|i| expected_tensors(i, out)),
        other => out.push(other.clone()),
    }
}

fn default_tols(dtype: &str) -> (f64, f64) {
    match dtype {
        "float16" | "bfloat16" => (1e-3, 1e-3),
        _ => (1e-5, 1e-6),
    }
}

/// Compares one result with one expected tensor; Err says what differs and where.
fn compare(got: &Tensor, expected: &Value, rtol: Option<f64>, atol: Option<f64>) -> Result<(), String> {
    let exp = expected.as_object().ok_or("expected value is not a tensor")?;
    let exp_dtype_name = exp["dtype"].as_str().ok_or("expected dtype must be a string")?;
    let exp_dtype = case_dtype(exp_dtype_name)?;
    let want = parse_tensor(expected, &Device::Cpu)?;
    if got.dims() != want.dims() {
        return Err(format!("shape {:?}, expected {:?}", got.dims(), want.dims()));
    }
    let kind = |d: DType| {
        if d.is_float() {
            "float"
        } else if d == DType::Bool {
            "bool"
        } else {
            "integer"
        }
    };
    if kind(got.dtype()) != kind(exp_dtype) {
        return Err(format!("dtype {}, expected {exp_dtype_name}", got.dtype()));
    }
    let g = got.to_vec_f64().map_err(|e| e.to_string())?;
    let w = want.to_vec_f64().map_err(|e| e.to_string())?;
    let (dr, da) = default_tols(exp_dtype_name);
    let (rtol, atol) = (rtol.unwrap_or(dr), atol.unwrap_or(da));
    let mut worst: Option<(usize, f64)> = None;
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        let ok = if exp_dtype.is_float() {
            (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= atol + rtol * b.abs()
        } else {
            a == b
        };
        if !ok {
            let err = if a.is_nan() || b.is_nan() { f64::INFINITY } else { (a - b).abs() };
            if worst.is_none_or(|(_, e)| err > e) {
                worst = Some((i, err));
            }
        }
    }
    match worst {
        None => Ok(()),
        Some((i, err)) => {
            Err(format!("max abs error {err:e} at flat index {i}: got {}, expected {}", g[i], w[i]))
        }
    }
}

enum CaseResult {
    Pass,
    Fail(String),
    Unsupported(String),
}

fn run_case(case: &Value, device: &Device) -> CaseResult {
    let kind = case["kind"].as_str().unwrap_or("");
    let rtol = case.get("rtol").and_then(number);
    let atol = case.get("atol").and_then(number);
    let empty = serde_json::Map::new();
    let (name, args, kwargs, expected): (String, Vec<Value>, &serde_json::Map<String, Value>, &Value) =
        match kind {
            "op" | "util" => (
                case["name"].as_str().unwrap_or("").to_string(),
                case["args"].as_array().cloned().unwrap_or_default(),
                case["kwargs"].as_object().unwrap_or(&empty),
                &case["expected"],
            ),
            other => {
                return match conformance_keras::run(other, case, device) {
                    None => CaseResult::Unsupported(format!("case kind {other:?}")),
                    Some(conformance_keras::KerasResult::Unsupported(why)) => CaseResult::Unsupported(why),
                    Some(conformance_keras::KerasResult::Error(e)) => CaseResult::Fail(format!("error: {e}")),
                    Some(conformance_keras::KerasResult::Compare(items)) => {
                        for (label, got, exp) in &items {
                            if let Err(e) = compare(got, exp, rtol, atol) {
                                return CaseResult::Fail(format!("{label}: {e}"));
                            }
                        }
                        CaseResult::Pass
                    }
                }
            }
        };
    let call = Call { name: &name, args: &args, kwargs, device };
    let dispatched =
        if kind == "util" { conformance_ops::util::call(&call) } else { conformance_ops::dispatch(&call) };
    let results = match dispatched {
        None => return CaseResult::Unsupported(format!("op {name:?}")),
        Some(Err(e)) => return CaseResult::Fail(format!("error: {e}")),
        Some(Ok(r)) => r,
    };
    let mut want = Vec::new();
    expected_tensors(expected, &mut want);
    if want.len() != results.len() {
        return CaseResult::Fail(format!("{} results, expected {}", results.len(), want.len()));
    }
    for (k, (got, exp)) in results.iter().zip(&want).enumerate() {
        if &got.device() != device {
            return CaseResult::Fail(format!("result {k} is on {}, not {}", got.device(), device));
        }
        if let Err(e) = compare(got, exp, rtol, atol) {
            let which = if want.len() > 1 { format!("result {k}: ") } else { String::new() };
            return CaseResult::Fail(format!("{which}{e}"));
        }
    }
    CaseResult::Pass
}

#[test]
fn conformance() {
    let mut backends = vec![("cpu", Device::Cpu)];
    if let Some(g) = common::gpu() {
        backends.push(("gpu", g));
    }
    let mut cases = Vec::new();
    for file in case_files() {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let list = doc["cases"].as_array().unwrap_or_else(|| panic!("{}: no \"cases\" list", file.display()));
        cases.extend(list.iter().cloned());
    }
    let mut total = Outcome { passed: 0, failed: 0, unsupported: 0 };
    for (label, device) in &backends {
        let mut o = Outcome { passed: 0, failed: 0, unsupported: 0 };
        for case in &cases {
            let id = case["id"].as_str().unwrap_or("<no id>");
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_case(case, device)))
                .unwrap_or_else(|p| {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
                    CaseResult::Fail(format!("panicked: {}", msg.unwrap_or_default()))
                });
            match r {
                CaseResult::Pass => o.passed += 1,
                CaseResult::Fail(why) => {
                    o.failed += 1;
                    println!("FAIL {label} {id}: {why}");
                }
                CaseResult::Unsupported(what) => {
                    o.failed += 1;
                    o.unsupported += 1;
                    println!("FAIL {label} {id}: unsupported {what}");
                }
            }
        }
        println!("{label}: {} passed, {} failed ({} unsupported)", o.passed, o.failed, o.unsupported);
        total.passed += o.passed;
        total.failed += o.failed;
        total.unsupported += o.unsupported;
    }
    println!("conformance: {} passed, {} failed", total.passed, total.failed);
    assert_eq!(
        total.failed, 0,
        "{} conformance cases failed ({} unsupported)",
        total.failed, total.unsupported
    );
}
