//! `keras.utils.Progbar`: replays the updates recorded from real Keras 3.15.1
//! (`tools/refgen/progbar_golden.py` -> `tests/data/progbar_golden.json`) with the same fake
//! times and checks that the output is byte-identical, update by update.

use serde_json::Value;
use wgkeras::frontend::utils::progbar::{ManualClock, MemoryWriter, Progbar};

/// Floats are stored as Python repr strings, so they parse to the same bits.
fn float(v: &Value) -> f64 {
    v.as_str().expect("float as a string").parse().expect("python float repr")
}

fn names(v: Option<&Value>) -> Option<Vec<String>> {
    v.filter(|v| !v.is_null())
        .map(|v| v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect())
}

fn replay(case: &Value) -> (Vec<String>, Vec<String>) {
    let args = &case["args"];
    let clock = ManualClock::new(float(&case["start"]));
    let out = MemoryWriter::default();
    let mut b = Progbar::builder(args["target"].as_u64())
        .clock(clock.clone())
        .writer(out.clone())
        .dynamic_display(case["dynamic"].as_bool().unwrap());
    if let Some(w) = args.get("width") {
        b = b.width(w.as_u64().unwrap() as usize);
    }
    if let Some(v) = args.get("verbose") {
        b = b.verbose(v.as_u64().unwrap() as u8);
    }
    if let Some(i) = args.get("interval") {
        b = b.interval(i.as_f64().unwrap());
    }
    if let Some(u) = args.get("unit_name") {
        b = b.unit_name(u.as_str().unwrap());
    }
    if let Some(n) = names(args.get("stateful_metrics")) {
        b = b.stateful_metrics(n);
    }
    if let Some(n) = names(args.get("stateless_metrics")) {
        b = b.stateless_metrics(n);
    }
    let mut pb = b.build().expect("valid options");

    let expected: Vec<String> =
        case["outputs"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
    let mut got = Vec::new();
    for step in case["steps"].as_array().unwrap() {
        if let Some(t) = step.get("time") {
            clock.set(float(t));
        }
        let owned: Vec<(String, f64)> = step
            .get("values")
            .and_then(Value::as_array)
            .map(|vs| vs.iter().map(|kv| (kv[0].as_str().unwrap().to_string(), float(&kv[1]))).collect())
            .unwrap_or_default();
        let values: Vec<(&str, f64)> = owned.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        match step["op"].as_str().unwrap() {
            "update" => {
                let finalize = step.get("finalize").and_then(Value::as_bool);
                pb.update(step["current"].as_u64().unwrap(), &values, finalize).unwrap();
            }
            "add" => pb.add(step["n"].as_u64().unwrap(), &values).unwrap(),
            "set_target" => pb.set_target(step["target"].as_u64()),
            op => panic!("unknown op {op}"),
        }
        got.push(out.take());
    }
    (got, expected)
}

#[test]
fn progbar_output_matches_keras_byte_for_byte() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/progbar_golden.json");
    let text = std::fs::read_to_string(path).expect("golden file");
    let golden: Value = serde_json::from_str(&text).unwrap();
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "expected the full golden set, got {}", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (got, expected) = replay(case);
        assert_eq!(got.len(), expected.len(), "{name}: number of steps");
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            if g != e {
                failures.push(format!("{name} step {i}:\n  got      {g:?}\n  expected {e:?}"));
                break;
            }
        }
        assert_eq!(got.concat(), case["output"].as_str().unwrap(), "{name}: whole output");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn default_bar_is_send_and_reports_its_state() {
    fn is_send<T: Send>(_: &T) {}
    let mut pb = Progbar::builder(None).verbose(0).build().unwrap();
    is_send(&pb);
    assert_eq!(pb.target(), None);
    pb.add(3, &[]).unwrap();
    pb.add(2, &[("loss", 1.0)]).unwrap();
    assert_eq!(pb.seen_so_far(), 5);
    pb.set_target(Some(5));
    assert_eq!(pb.target(), Some(5));
}
