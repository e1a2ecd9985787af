//! The Keras model API end to end: bad input gives errors that name the thing, `summary()`
//! matches Keras's text, Keras JSON loads and round-trips (and real Keras loads ours when
//! `/tmp/kvenv/bin/python` exists), the training API (`fit`, `evaluate`, `predict`, the
//! `*_on_batch` calls, callbacks) behaves as Keras's, on every backend; and on a GPU a train
//! step after warm-up compiles nothing, allocates nothing and is one queue submit.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{devices, gpu, three_class_data, Rng};
use serde_json::{json, Map, Value};
use wgkeras::frontend::callbacks::{Callback, Logs};
use wgkeras::frontend::layers::{Concatenate, Dense, Dropout, LayerRef};
use wgkeras::frontend::models::{input_with, CompileArgs, FitArgs, KerasTensor};
use wgkeras::frontend::Model;
use wgkeras::runtime::{DType, Device, GpuOptions, Tensor};

// ---------------------------------------------------------------------------------------------
// helpers

fn cfg(v: Value) -> Map<String, Value> {
    v.as_object().expect("an object").clone()
}

fn dense(units: usize, activation: Option<&str>, name: &str) -> LayerRef {
    Dense::from_config(&cfg(json!({"name": name, "units": units, "activation": activation}))).unwrap().into()
}

fn dropout(rate: f64, name: &str) -> LayerRef {
    Dropout::from_config(&cfg(json!({"name": name, "rate": rate}))).unwrap().into()
}

fn concat(name: &str) -> LayerRef {
    Concatenate::from_config(&cfg(json!({"name": name, "axis": -1}))).unwrap().into()
}

fn input(shape: &[usize], name: &str) -> KerasTensor {
    input_with(shape, DType::F32, Some(name))
}

fn quiet<'a>() -> FitArgs<'a> {
    FitArgs { verbose: 0, ..Default::default() }
}

fn sgd(lr: f64) -> Value {
    json!({"class_name": "SGD", "config": {"learning_rate": lr}})
}

/// Input(4) -> Dense(8, relu) -> Dense(3, softmax), without Dropout (deterministic).
fn mlp() -> Model {
    Model::sequential_with(&[4], vec![dense(8, Some("relu"), "h"), dense(3, Some("softmax"), "out")]).unwrap()
}

fn compiled_mlp(device: &Device, optimizer: Value) -> Model {
    let mut m = mlp();
    m.compile(
        CompileArgs::new(optimizer, "sparse_categorical_crossentropy")
            .metrics(&["accuracy"])
            .device(device.clone()),
    )
    .unwrap();
    m
}

fn err_text<T>(r: wgkeras::frontend::Result<T>, what: &str) -> String {
    match r {
        Ok(_) => panic!("{what}: expected an error, got Ok"),
        Err(e) => e.to_string(),
    }
}

fn assert_mentions(msg: &str, words: &[&str]) {
    for w in words {
        assert!(msg.contains(w), "error message should mention {w:?}: {msg}");
    }
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.to_vec_f64().unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn assert_all_close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(close(*x, *y, tol), "{what}: element {i}: {x} vs {y}");
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("data")
}

const PYTHON: &str = "/tmp/kvenv/bin/python";

// ---------------------------------------------------------------------------------------------
// 1. bad input

#[test]
fn fit_without_loss_is_an_error() {
    for dev in devices() {
        let mut m = mlp();
        m.compile(CompileArgs::without_loss("sgd").device(dev.clone())).unwrap();
        let (x, y) = three_class_data(8, 1);
        let msg = err_text(m.fit(&x, &y, quiet()), "fit without loss");
        assert_mentions(&msg, &["Model.fit", "loss"]);
        let msg = err_text(m.evaluate(&x, &y, 4, 0), "evaluate without loss");
        assert_mentions(&msg, &["loss"]);
        // predict needs no loss
        assert_eq!(m.predict(&x, 4, 0).unwrap()[0].dims(), &[8, 3]);
    }
}

#[test]
fn fit_before_compile_is_an_error() {
    let mut m = mlp();
    let (x, y) = three_class_data(8, 1);
    assert_mentions(&err_text(m.fit(&x, &y, quiet()), "fit"), &["Model.fit", "compile"]);
    assert_mentions(&err_text(m.evaluate(&x, &y, 4, 0), "evaluate"), &["compile"]);
    assert_mentions(&err_text(m.train_on_batch(&x, &y, None), "train_on_batch"), &["compile"]);
    assert_mentions(&err_text(m.test_on_batch(&x, &y, None), "test_on_batch"), &["compile"]);
}

#[test]
fn x_and_y_of_different_lengths() {
    for dev in devices() {
        let mut m = compiled_mlp(&dev, "sgd".into());
        let (x, _) = three_class_data(10, 1);
        let (_, y) = three_class_data(8, 1);
        let msg = err_text(m.fit(&x, &y, quiet()), "fit");
        assert_mentions(&msg, &["10", "8", "x", "y"]);
        let msg = err_text(m.evaluate(&x, &y, 4, 0), "evaluate");
        assert_mentions(&msg, &["10", "8"]);
        // Wrong number of arrays.
        let msg = err_text(m.fit(vec![x.clone(), x.clone()], &y, quiet()), "fit with 2 x arrays");
        assert_mentions(&msg, &["1 inputs", "2"]);
    }
}

#[test]
fn wrong_input_shape_names_the_input_and_shapes() {
    for dev in devices() {
        let pixels = input(&[4], "pixels");
        let out = dense(2, None, "scores").call(&pixels).unwrap();
        let mut m = Model::functional(&[pixels], &[out], Some("shape_model")).unwrap();
        m.compile(CompileArgs::new("sgd", "mse").device(dev.clone())).unwrap();
        let x = Tensor::from_vec(vec![0f32; 10 * 5], &[10, 5], &Device::Cpu).unwrap();
        let y = Tensor::from_vec(vec![0f32; 10 * 2], &[10, 2], &Device::Cpu).unwrap();
        let msg = err_text(m.fit(&x, &y, quiet()), "fit wrong feature count");
        assert_mentions(&msg, &["pixels", "(None, 4)", "[10, 5]"]);
        let msg = err_text(m.predict(&x, 4, 0), "predict wrong feature count");
        assert_mentions(&msg, &["pixels", "(None, 4)", "[10, 5]"]);
        // Wrong rank.
        let x3 = Tensor::from_vec(vec![0f32; 10 * 4 * 2], &[10, 4, 2], &Device::Cpu).unwrap();
        let msg = err_text(m.fit(&x3, &y, quiet()), "fit wrong rank");
        assert_mentions(&msg, &["pixels", "(None, 4)", "[10, 4, 2]"]);
        // Wrong target shape is an error too (not a panic).
        let yb = Tensor::from_vec(vec![0f32; 10 * 3], &[10, 3], &Device::Cpu).unwrap();
        let x = Tensor::from_vec(vec![0f32; 10 * 4], &[10, 4], &Device::Cpu).unwrap();
        assert!(
            m.fit(&x, &yb, quiet()).is_err(),
            "y of shape [10, 3] for an output (None, 2) must be an error"
        );
    }
}

#[test]
fn unknown_identifiers_list_the_valid_names() {
    let mut m = mlp();
    let msg = err_text(m.compile(CompileArgs::new("adamm", "mse").device(Device::Cpu)), "optimizer");
    assert_mentions(&msg, &["adamm", "adam", "sgd", "rmsprop"]);
    let msg = err_text(m.compile(CompileArgs::new("adam", "mean_squared_errr").device(Device::Cpu)), "loss");
    assert_mentions(&msg, &["mean_squared_errr", "mean_squared_error", "sparse_categorical_crossentropy"]);
    // An unknown metric is found when the metrics are resolved (Keras: on the first batch).
    let (x, y) = three_class_data(8, 2);
    let r = m
        .compile(
            CompileArgs::new("adam", "sparse_categorical_crossentropy")
                .metrics(&["accurasy"])
                .device(Device::Cpu),
        )
        .and_then(|_| m.fit(&x, &y, quiet()));
    let msg = err_text(r, "metric");
    assert_mentions(&msg, &["accurasy"]);
    assert!(msg.contains("accuracy") || msg.contains("mae"), "metric error should list known names: {msg}");
}

fn sequential_json() -> Value {
    serde_json::from_str(&std::fs::read_to_string(data_dir().join("keras_json/sequential_mlp.json")).unwrap())
        .unwrap()
}

#[test]
fn json_with_unknown_layer_class_names_it() {
    let mut v = sequential_json();
    v["config"]["layers"][1]["class_name"] = json!("Densely");
    let msg = err_text(Model::from_json(&v.to_string()), "unknown class");
    assert_mentions(&msg, &["Densely", "Dense", "Dropout"]);
}

#[test]
fn json_with_unsupported_config_key_names_layer_and_key() {
    let mut v = sequential_json();
    v["config"]["layers"][1]["config"]["frobnicate"] = json!(3);
    let msg = err_text(Model::from_json(&v.to_string()), "unknown key");
    assert_mentions(&msg, &["frobnicate", "Dense", "\"dense\""]);
    // A known key with a value Keras does not know names the layer and the key too.
    let mut v = sequential_json();
    v["config"]["layers"][1]["config"]["kernel_regularizer"] =
        json!({"class_name": "L7", "config": {"l7": 0.01}});
    let msg = err_text(Model::from_json(&v.to_string()), "regularizer");
    assert_mentions(&msg, &["kernel_regularizer", "\"dense\""]);
    // Not JSON at all.
    assert_mentions(&err_text(Model::from_json("{not json"), "bad json"), &["JSON"]);
    // Unknown model class.
    assert_mentions(&err_text(Model::from_json(r#"{"class_name": "Foo", "config": {}}"#), "class"), &["Foo"]);
}

#[test]
fn set_weights_with_wrong_count_or_shape() {
    let m = mlp();
    let w = m.get_weights().unwrap();
    assert_eq!(w.len(), 4);
    let msg = err_text(m.set_weights(&w[..3]), "count");
    assert_mentions(&msg, &["set_weights", "4", "3"]);
    let mut bad = w.clone();
    bad[2] = Tensor::from_vec(vec![0f32; 9 * 3], &[9, 3], &Device::Cpu).unwrap();
    let msg = err_text(m.set_weights(&bad), "shape");
    assert_mentions(&msg, &["set_weights", "[8, 3]", "[9, 3]"]);
    // Nothing was half-applied before the bad one? At least the good ones round-trip after.
    m.set_weights(&w).unwrap();
}

#[test]
fn sequential_add_duplicate_name() {
    let mut m = Model::sequential(Some("dup"));
    m.set_input(&[3], DType::F32).unwrap();
    m.add(dense(2, None, "twice")).unwrap();
    let msg = err_text(m.add(dense(2, None, "twice")), "duplicate");
    assert_mentions(&msg, &["Sequential.add", "twice", "unique"]);
    assert_eq!(m.layers().len(), 1, "the refused layer must not stay in the model");
    // The model still works.
    let x = Tensor::from_vec(vec![1f32; 6], &[2, 3], &Device::Cpu).unwrap();
    assert_eq!(m.predict(&x, 2, 0).unwrap()[0].dims(), &[2, 2]);
}

#[test]
fn nan_loss_does_not_crash_fit() {
    for dev in devices() {
        // NaN in x.
        let mut m = compiled_mlp(&dev, "sgd".into());
        let (x, y) = three_class_data(16, 3);
        let mut xv = vals(&x);
        xv[5] = f64::NAN;
        let xn = Tensor::from_vec(xv.iter().map(|&v| v as f32).collect::<Vec<f32>>(), &[16, 4], &Device::Cpu)
            .unwrap();
        let h = m
            .fit(
                &xn,
                &y,
                FitArgs { epochs: 2, batch_size: 8, shuffle: false, verbose: 0, ..Default::default() },
            )
            .unwrap();
        let loss = h.get("loss").unwrap();
        assert_eq!(loss.len(), 2);
        assert!(loss.iter().all(|l| l.is_nan()), "{dev:?}: loss {loss:?} should be NaN");
        // A huge learning rate on a regression with a linear output (a softmax output would bound
        // the loss near 1e6 whatever the weights, which made this depend on the initial weights).
        let mut m =
            Model::sequential_with(&[4], vec![dense(8, Some("relu"), "h"), dense(3, None, "out")]).unwrap();
        m.compile(CompileArgs::new(sgd(1e30), "mse").device(dev.clone())).unwrap();
        let yr = Tensor::from_vec(vec![1e3f32; 16 * 3], &[16, 3], &Device::Cpu).unwrap();
        let h =
            m.fit(&x, &yr, FitArgs { epochs: 3, batch_size: 4, verbose: 0, ..Default::default() }).unwrap();
        let loss = h.get("loss").unwrap();
        assert!(loss.iter().any(|l| !l.is_finite()), "{dev:?}: loss {loss:?} should blow up");
        // predict still works (gives NaN) and evaluate too.
        assert_eq!(m.predict(&x, 8, 0).unwrap()[0].dims(), &[16, 3]);
        assert!(m.evaluate(&x, &yr, 8, 0).unwrap().get("loss").unwrap().is_nan());
    }
}

// ---------------------------------------------------------------------------------------------
// 2. summary

fn golden(name: &str) -> String {
    std::fs::read_to_string(data_dir().join("summary").join(name)).unwrap()
}

fn assert_text_eq(what: &str, got: &str, want: &str) {
    if got != want {
        panic!("{what}: summary differs from Keras's\n--- got ---\n{got}\n--- want ---\n{want}");
    }
}

#[test]
fn summary_sequential_matches_keras() {
    let mut m = Model::sequential(Some("sequential"));
    m.set_input_named(&[64], "input_layer");
    m.add(dense(128, Some("relu"), "dense")).unwrap();
    m.add(dropout(0.2, "dropout")).unwrap();
    m.add(dense(10, Some("softmax"), "dense_1")).unwrap();
    assert_text_eq("sequential", &m.summary_string(), &golden("sequential_mlp.txt"));
}

#[test]
fn summary_functional_matches_keras() {
    let m = two_branch();
    assert_text_eq("functional", &m.summary_string(), &golden("functional_two_branch.txt"));
}

#[test]
fn summary_shared_layer_two_inputs_two_outputs_matches_keras() {
    let m = shared_two_in_two_out("sm");
    assert_text_eq("shared", &m.summary_string(), &golden("shared_two_in_two_out.txt"));
}

fn two_branch() -> Model {
    let inp = input(&[8], "input_layer");
    let a = dense(6, Some("relu"), "dense").call(&inp).unwrap();
    let b = dense(5, Some("tanh"), "dense_1").call(&inp).unwrap();
    let c = concat("concatenate").call_list(&[a, b]).unwrap().remove(0);
    let out = dense(3, Some("softmax"), "dense_2").call(&c).unwrap();
    Model::functional(&[inp], &[out], Some("functional")).unwrap()
}

trait SetInputNamed {
    fn set_input_named(&mut self, shape: &[usize], name: &str);
}

impl SetInputNamed for Model {
    /// A Sequential model's input with a given name: through Keras JSON, the only public way.
    fn set_input_named(&mut self, shape: &[usize], name: &str) {
        let mut batch = vec![Value::Null];
        batch.extend(shape.iter().map(|&d| json!(d)));
        let text = json!({"class_name": "Sequential", "config": {"name": self.name, "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": batch, "dtype": "float32", "name": name}}
        ]}});
        *self = Model::from_json(&text.to_string()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Keras JSON

#[test]
fn keras_json_files_load() {
    // (file, layers without inputs, output shapes, params)
    let cases: &[(&str, usize, &[&[Option<usize>]], usize)] = &[
        ("sequential_mlp.json", 3, &[&[None, Some(10)]], 9610),
        ("functional_two_branch.json", 4, &[&[None, Some(3)]], 135),
        ("flatten_concat.json", 3, &[&[None, Some(4)]], 48),
        ("custom_names.json", 5, &[&[None, Some(2)]], 246),
    ];
    for (file, n_layers, out_shapes, params) in cases {
        let text = std::fs::read_to_string(data_dir().join("keras_json").join(file)).unwrap();
        let m = Model::from_json(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(m.layers().len(), *n_layers, "{file}: layer count");
        let got: Vec<Vec<Option<usize>>> = m.outputs().iter().map(|o| o.shape.clone()).collect();
        let want: Vec<Vec<Option<usize>>> = out_shapes.iter().map(|s| s.to_vec()).collect();
        assert_eq!(got, want, "{file}: output shapes");
        assert_eq!(m.count_params(), *params, "{file}: params");
    }
    let m =
        Model::from_json(&std::fs::read_to_string(data_dir().join("keras_json/custom_names.json")).unwrap())
            .unwrap();
    assert_eq!(m.name, "my_custom_model");
    assert_eq!(m.inputs().len(), 2);
    assert!(m.get_layer("hidden_1").is_ok());
    assert_mentions(&err_text(m.get_layer("nope"), "get_layer"), &["nope", "hidden_1"]);
}

/// Two inputs, a Dense shared by both branches, two outputs.
fn shared_two_in_two_out(tag: &str) -> Model {
    let a = input(&[3], &format!("{tag}_a"));
    let b = input(&[3], &format!("{tag}_b"));
    let shared = dense(4, Some("tanh"), &format!("{tag}_shared"));
    let ha = shared.call(&a).unwrap();
    let hb = shared.call(&b).unwrap();
    let h = concat(&format!("{tag}_cat")).call_list(&[ha, hb.clone()]).unwrap().remove(0);
    let o1 = dense(1, None, &format!("{tag}_out_a")).call(&h).unwrap();
    let o2 = dense(2, Some("softmax"), &format!("{tag}_out_b")).call(&hb).unwrap();
    Model::functional(&[a, b], &[o1, o2], Some(&format!("{tag}_model"))).unwrap()
}

fn assert_equivalent(what: &str, m: &mut Model, r: &mut Model, x: Vec<Tensor>) {
    let (w1, w2) = (m.get_weights().unwrap(), r.get_weights().unwrap());
    assert_eq!(w1.len(), w2.len(), "{what}: weight count");
    for (a, b) in w1.iter().zip(&w2) {
        assert_eq!(a.dims(), b.dims(), "{what}: weight shapes");
    }
    assert_eq!(m.count_params(), r.count_params());
    let names1: Vec<String> = m.layers().iter().map(|l| format!("{}:{}", l.name(), l.class_name())).collect();
    let names2: Vec<String> = r.layers().iter().map(|l| format!("{}:{}", l.name(), l.class_name())).collect();
    assert_eq!(names1, names2, "{what}: layers");
    r.set_weights(&w1).unwrap();
    let p1 = m.predict(x.clone(), 4, 0).unwrap();
    let p2 = r.predict(x, 4, 0).unwrap();
    assert_eq!(p1.len(), p2.len());
    for (a, b) in p1.iter().zip(&p2) {
        assert_eq!(a.dims(), b.dims());
        assert_all_close(what, &vals(a), &vals(b), 1e-6);
    }
}

#[test]
fn to_json_round_trips() {
    let mut rng = Rng::new(7);
    let x = |rng: &mut Rng, n: usize, d: usize| {
        Tensor::from_vec(
            rng.vec(n * d, -1.0, 1.0).into_iter().map(|v| v as f32).collect::<Vec<f32>>(),
            &[n, d],
            &Device::Cpu,
        )
        .unwrap()
    };
    let mut m = Model::sequential_with(
        &[5],
        vec![dense(7, Some("relu"), "rt_h"), dropout(0.3, "rt_drop"), dense(2, None, "rt_o")],
    )
    .unwrap();
    let text = m.to_json().unwrap();
    let mut r = Model::from_json(&text).unwrap();
    assert!(r.is_sequential());
    assert_equivalent("sequential", &mut m, &mut r, vec![x(&mut rng, 6, 5)]);
    // to_json of the reloaded model is the same text.
    assert_eq!(r.to_json().unwrap(), text);

    let mut m = shared_two_in_two_out("rtf");
    assert_eq!(m.layers().len(), 4);
    let text = m.to_json().unwrap();
    let mut r = Model::from_json(&text).unwrap();
    assert!(!r.is_sequential());
    assert_eq!(r.inputs().len(), 2);
    assert_eq!(r.outputs().len(), 2);
    assert_equivalent("functional", &mut m, &mut r, vec![x(&mut rng, 6, 3), x(&mut rng, 6, 3)]);
    assert_eq!(r.to_json().unwrap(), text);

    // Keras's own files round-trip too.
    for file in
        ["functional_two_branch.json", "flatten_concat.json", "custom_names.json", "sequential_mlp.json"]
    {
        let text = std::fs::read_to_string(data_dir().join("keras_json").join(file)).unwrap();
        let m = Model::from_json(&text).unwrap();
        let again =
            Model::from_json(&m.to_json().unwrap()).unwrap_or_else(|e| panic!("{file} reloaded: {e}"));
        assert_eq!(again.count_params(), m.count_params(), "{file}");
        assert_eq!(again.layers().len(), m.layers().len(), "{file}");
    }
}

#[test]
fn keras_loads_our_json() {
    if !Path::new(PYTHON).exists() {
        eprintln!("note: {PYTHON} not found; skipping the check that real Keras loads our to_json()");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let models: Vec<(&str, Model)> = vec![
        (
            "sequential",
            Model::sequential_with(
                &[64],
                vec![
                    dense(128, Some("relu"), "kl_h"),
                    dropout(0.2, "kl_d"),
                    dense(10, Some("softmax"), "kl_o"),
                ],
            )
            .unwrap(),
        ),
        ("two_branch", two_branch()),
        ("shared", shared_two_in_two_out("kl")),
        (
            "reloaded",
            Model::from_json(
                &std::fs::read_to_string(data_dir().join("keras_json/custom_names.json")).unwrap(),
            )
            .unwrap(),
        ),
    ];
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/refgen/keras_load_check.py");
    for (what, m) in models {
        let path = dir.path().join(format!("{what}.json"));
        std::fs::write(&path, m.to_json().unwrap()).unwrap();
        let out = std::process::Command::new(PYTHON)
            .arg(&script)
            .arg(&path)
            .env("KERAS_BACKEND", "jax")
            .env("JAX_PLATFORMS", "cpu")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let want = format!("ok {}", m.count_params());
        assert!(
            out.status.success() && stdout.lines().any(|l| l.trim() == want),
            "{what}: Keras did not load our JSON (want {want:?})\nstdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. training API

#[test]
fn history_keys_in_keras_order_and_running_means() {
    for dev in devices() {
        let (x, y) = three_class_data(10, 11);
        // lr 0: the weights stay, so each epoch's loss is the mean over all samples (batches of
        // 4, 4, 2 weighted by their size) = evaluate's loss.
        let mut m = compiled_mlp(&dev, sgd(0.0));
        let h = m
            .fit(
                &x,
                &y,
                FitArgs { epochs: 2, batch_size: 4, shuffle: false, verbose: 0, ..Default::default() },
            )
            .unwrap();
        assert_eq!(h.keys(), vec!["accuracy", "loss"], "{dev:?}");
        assert_eq!(h.epoch, vec![0, 1]);
        let ev = m.evaluate(&x, &y, 3, 0).unwrap();
        for k in ["loss", "accuracy"] {
            let v = h.get(k).unwrap();
            assert!(
                close(v[0], ev.get(k).unwrap(), 1e-5),
                "{dev:?} {k}: fit {v:?} vs evaluate {}",
                ev.get(k).unwrap()
            );
            assert!(close(v[1], v[0], 1e-6));
        }
        // The batch logs are running means: the last one equals the epoch's.
        let mut rec = BatchRecorder::default();
        let h = m
            .fit(
                &x,
                &y,
                FitArgs {
                    epochs: 1,
                    batch_size: 4,
                    shuffle: false,
                    verbose: 0,
                    callbacks: vec![&mut rec],
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(rec.batches.len(), 3);
        let last = rec.batches.last().unwrap();
        assert!(close(last.get("loss").unwrap(), h.get("loss").unwrap()[0], 1e-6));
        // First batch's running mean = the loss of the first 4 samples alone.
        let first4 = m.evaluate(ops_rows(&x, 0, 4), ops_rows(&y, 0, 4), 4, 0).unwrap();
        assert!(close(rec.batches[0].get("loss").unwrap(), first4.get("loss").unwrap(), 1e-5));
    }
}

fn ops_rows(t: &Tensor, start: usize, end: usize) -> Tensor {
    let ids =
        Tensor::from_vec((start as i32..end as i32).collect::<Vec<i32>>(), &[end - start], &Device::Cpu)
            .unwrap();
    wgkeras::ops::take(t, &ids, Some(0)).unwrap()
}

#[derive(Default)]
struct BatchRecorder {
    batches: Vec<Logs>,
}

impl Callback for BatchRecorder {
    fn wants_batch_logs(&self) -> bool {
        true
    }
    fn on_train_batch_end(
        &mut self,
        _model: &mut Model,
        _batch: usize,
        logs: Option<&Logs>,
    ) -> wgkeras::frontend::Result<()> {
        self.batches.push(logs.expect("asked for batch logs").clone());
        Ok(())
    }
}

#[test]
fn validation_split_and_data_add_val_keys() {
    for dev in devices() {
        let (x, y) = three_class_data(20, 12);
        let mut m = compiled_mlp(&dev, "adam".into());
        let h = m
            .fit(
                &x,
                &y,
                FitArgs {
                    epochs: 2,
                    batch_size: 4,
                    validation_split: 0.25,
                    verbose: 0,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(h.keys(), vec!["accuracy", "loss", "val_accuracy", "val_loss"], "{dev:?}");
        // The validation part is the last 25% (not shuffled): evaluating it after the last epoch
        // gives the last val_loss.
        let ev = m.evaluate(ops_rows(&x, 15, 20), ops_rows(&y, 15, 20), 4, 0).unwrap();
        let vl = h.get("val_loss").unwrap();
        assert!(
            close(vl[1], ev.get("loss").unwrap(), 1e-5),
            "{dev:?}: val_loss {vl:?} vs {}",
            ev.get("loss").unwrap()
        );

        let (vx, vy) = three_class_data(6, 13);
        let h = m
            .fit(
                &x,
                &y,
                FitArgs {
                    epochs: 1,
                    validation_data: Some((vec![vx.clone()], vec![vy.clone()])),
                    verbose: 0,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(h.keys(), vec!["accuracy", "loss", "val_accuracy", "val_loss"]);
        let ev = m.evaluate(&vx, &vy, 32, 0).unwrap();
        assert!(close(h.get("val_loss").unwrap()[0], ev.get("loss").unwrap(), 1e-5));
        // A split leaving nothing is an error.
        let (x2, y2) = three_class_data(2, 1);
        assert_mentions(
            &err_text(
                m.fit(&x2, &y2, FitArgs { validation_split: 0.2, verbose: 0, ..Default::default() }),
                "split",
            ),
            &["validation_split"],
        );
    }
}

#[test]
fn sample_weight_and_class_weight() {
    for dev in devices() {
        let (x, y) = three_class_data(12, 21);
        let mut m = compiled_mlp(&dev, sgd(0.0));
        let base = m.evaluate(&x, &y, 5, 0).unwrap().get("loss").unwrap();
        let twos = Tensor::from_vec(vec![2f32; 12], &[12], &Device::Cpu).unwrap();
        let doubled = m.evaluate_weighted(&x, &y, &twos, 5, 0).unwrap().get("loss").unwrap();
        assert!(close(doubled, 2.0 * base, 1e-5), "{dev:?}: weights 2 give {doubled}, want {}", 2.0 * base);
        // Weighted loss = sum(w * l) / n ("sum_over_batch_size").
        let labels: Vec<i32> = y.to_vec::<i32>().unwrap();
        let probs = vals(&m.predict(&x, 12, 0).unwrap()[0]);
        let per: Vec<f64> = (0..12).map(|i| -probs[i * 3 + labels[i] as usize].ln()).collect();
        let ind: Vec<f32> = labels.iter().map(|&l| (l == 1) as i32 as f32).collect();
        let want: f64 = per.iter().zip(&ind).map(|(l, w)| l * *w as f64).sum::<f64>() / 12.0;
        let indicator = Tensor::from_vec(ind.clone(), &[12], &Device::Cpu).unwrap();
        let got = m.evaluate_weighted(&x, &y, &indicator, 12, 0).unwrap().get("loss").unwrap();
        assert!(close(got, want, 1e-4), "{dev:?}: weighted loss {got} vs {want}");

        // class_weight {0: 0, 1: 1, 2: 0} trains exactly like sample_weight = (y == 1).
        let start = m.get_weights().unwrap();
        let mut a = compiled_mlp(&dev, sgd(0.1));
        let mut b = compiled_mlp(&dev, sgd(0.1));
        a.set_weights(&start).unwrap();
        b.set_weights(&start).unwrap();
        let cw: HashMap<usize, f64> = [(0, 0.0), (1, 1.0), (2, 0.0)].into_iter().collect();
        let ha = a
            .fit(
                &x,
                &y,
                FitArgs {
                    epochs: 2,
                    batch_size: 5,
                    shuffle: false,
                    class_weight: Some(cw),
                    verbose: 0,
                    ..Default::default()
                },
            )
            .unwrap();
        let hb = b
            .fit(
                &x,
                &y,
                FitArgs {
                    epochs: 2,
                    batch_size: 5,
                    shuffle: false,
                    sample_weight: Some(indicator.clone()),
                    verbose: 0,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_all_close(
            "class vs sample weight loss",
            ha.get("loss").unwrap(),
            hb.get("loss").unwrap(),
            1e-6,
        );
        for (wa, wb) in a.get_weights().unwrap().iter().zip(b.get_weights().unwrap()) {
            assert_all_close("class vs sample weight weights", &vals(wa), &vals(&wb), 1e-6);
        }
        // And differs from unweighted training.
        let mut c = compiled_mlp(&dev, sgd(0.1));
        c.set_weights(&start).unwrap();
        let hc = c
            .fit(
                &x,
                &y,
                FitArgs { epochs: 2, batch_size: 5, shuffle: false, verbose: 0, ..Default::default() },
            )
            .unwrap();
        assert!(!close(hc.get("loss").unwrap()[0], ha.get("loss").unwrap()[0], 1e-3));
        // A class without an entry, a sample_weight of the wrong length: errors.
        let cw: HashMap<usize, f64> = [(0, 1.0)].into_iter().collect();
        let msg = err_text(
            c.fit(&x, &y, FitArgs { class_weight: Some(cw), verbose: 0, ..Default::default() }),
            "cw",
        );
        assert_mentions(&msg, &["class_weight"]);
        let short = Tensor::from_vec(vec![1f32; 5], &[5], &Device::Cpu).unwrap();
        let msg = err_text(
            c.fit(&x, &y, FitArgs { sample_weight: Some(short), verbose: 0, ..Default::default() }),
            "sw",
        );
        assert_mentions(&msg, &["sample_weight", "12"]);
    }
}

#[derive(Default)]
struct Counter {
    epochs: Vec<usize>,
    batches_per_epoch: Vec<usize>,
    epoch_logs: Vec<Logs>,
    stop_after: Option<usize>,
    began: bool,
    ended: bool,
}

impl Callback for Counter {
    fn on_train_begin(&mut self, _model: &mut Model, _logs: &Logs) -> wgkeras::frontend::Result<()> {
        self.began = true;
        Ok(())
    }
    fn on_train_end(&mut self, _model: &mut Model, _logs: &Logs) -> wgkeras::frontend::Result<()> {
        self.ended = true;
        Ok(())
    }
    fn on_epoch_begin(
        &mut self,
        _model: &mut Model,
        epoch: usize,
        _logs: &Logs,
    ) -> wgkeras::frontend::Result<()> {
        self.epochs.push(epoch);
        self.batches_per_epoch.push(0);
        Ok(())
    }
    fn on_train_batch_begin(&mut self, _model: &mut Model, _batch: usize) -> wgkeras::frontend::Result<()> {
        *self.batches_per_epoch.last_mut().unwrap() += 1;
        Ok(())
    }
    fn on_epoch_end(
        &mut self,
        model: &mut Model,
        epoch: usize,
        logs: &mut Logs,
    ) -> wgkeras::frontend::Result<()> {
        self.epoch_logs.push(logs.clone());
        if self.stop_after == Some(epoch) {
            model.stop_training = true;
        }
        Ok(())
    }
}

#[test]
fn initial_epoch_and_steps_per_epoch() {
    for dev in devices() {
        let (x, y) = three_class_data(40, 31);
        let mut m = compiled_mlp(&dev, "adam".into());
        let mut c = Counter::default();
        let h = m
            .fit(
                &x,
                &y,
                FitArgs {
                    epochs: 5,
                    initial_epoch: 3,
                    batch_size: 8,
                    verbose: 0,
                    callbacks: vec![&mut c],
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(h.epoch, vec![3, 4], "{dev:?}");
        assert_eq!(c.epochs, vec![3, 4]);
        assert_eq!(c.batches_per_epoch, vec![5, 5]);
        let mut c = Counter::default();
        let h = m
            .fit(
                &x,
                &y,
                FitArgs {
                    epochs: 3,
                    steps_per_epoch: Some(2),
                    batch_size: 8,
                    verbose: 0,
                    callbacks: vec![&mut c],
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(h.epoch, vec![0, 1, 2]);
        assert_eq!(c.batches_per_epoch, vec![2, 2, 2]);
    }
}

#[test]
fn shuffle_false_is_deterministic() {
    for dev in devices() {
        let (x, y) = three_class_data(30, 41);
        let mut a = compiled_mlp(&dev, "adam".into());
        let mut b = compiled_mlp(&dev, "adam".into());
        b.set_weights(&a.get_weights().unwrap()).unwrap();
        let args = || FitArgs { epochs: 3, batch_size: 7, shuffle: false, verbose: 0, ..Default::default() };
        let ha = a.fit(&x, &y, args()).unwrap();
        let hb = b.fit(&x, &y, args()).unwrap();
        assert_eq!(ha, hb, "{dev:?}");
        for (wa, wb) in a.get_weights().unwrap().iter().zip(b.get_weights().unwrap()) {
            assert_eq!(vals(wa), vals(&wb), "{dev:?}");
        }
    }
}

#[test]
fn evaluate_predict_and_on_batch_calls() {
    for dev in devices() {
        let (x, y) = three_class_data(11, 51);
        let mut m = compiled_mlp(&dev, "adam".into());
        let ev = m.evaluate(&x, &y, 4, 0).unwrap();
        let keys: Vec<&str> = ev.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec!["loss", "accuracy"], "{dev:?}: evaluate returns the loss first");
        let p = m.predict(&x, 4, 0).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].dims(), &[11, 3]);
        assert!(p[0].device() == Device::Cpu, "predict returns host tensors");
        let pb = m.predict_on_batch(&x).unwrap();
        assert_all_close("predict vs predict_on_batch", &vals(&p[0]), &vals(&pb[0]), 1e-6);
        // softmax rows sum to 1
        for r in vals(&p[0]).chunks(3) {
            assert!(close(r.iter().sum::<f64>(), 1.0, 1e-5));
        }
        let t = m.test_on_batch(&x, &y, None).unwrap();
        assert!(close(t.get("loss").unwrap(), ev.get("loss").unwrap(), 1e-5), "{dev:?}");
        assert!(t.get("accuracy").is_some());
        let before = m.get_weights().unwrap();
        let l1 = m.train_on_batch(&x, &y, None).unwrap();
        assert!(
            close(l1.get("loss").unwrap(), ev.get("loss").unwrap(), 1e-5),
            "train_on_batch logs the loss before the update"
        );
        assert!(l1.get("accuracy").is_some());
        let after = m.get_weights().unwrap();
        assert_ne!(vals(&before[0]), vals(&after[0]), "train_on_batch updates the weights");
        // predict of an empty batch / predict with batch larger than data
        assert_eq!(m.predict(&x, 100, 0).unwrap()[0].dims(), &[11, 3]);
    }
}

#[test]
fn weights_round_trip() {
    for dev in devices() {
        let mut a = compiled_mlp(&dev, "adam".into());
        let b = mlp();
        let (x, y) = three_class_data(16, 61);
        a.fit(&x, &y, FitArgs { epochs: 1, verbose: 0, ..Default::default() }).unwrap();
        let w = a.get_weights().unwrap();
        let shapes: Vec<Vec<usize>> = w.iter().map(|t| t.dims().to_vec()).collect();
        assert_eq!(shapes, vec![vec![4, 8], vec![8], vec![8, 3], vec![3]]);
        b.set_weights(&w).unwrap();
        for (u, v) in w.iter().zip(b.get_weights().unwrap()) {
            assert_eq!(vals(u), vals(&v));
        }
        // set_weights on a compiled model on this device changes its predictions accordingly.
        let mut b = b;
        let pa = a.predict(&x, 8, 0).unwrap();
        let pb = b.predict(&x, 8, 0).unwrap();
        assert_all_close("predict after set_weights", &vals(&pa[0]), &vals(&pb[0]), 1e-5);
        let zeros: Vec<Tensor> = w
            .iter()
            .map(|t| Tensor::from_vec(vec![0f32; t.numel()], t.dims(), &Device::Cpu).unwrap())
            .collect();
        a.set_weights(&zeros).unwrap();
        let pz = a.predict(&x, 8, 0).unwrap();
        assert!(
            vals(&pz[0]).iter().all(|v| close(*v, 1.0 / 3.0, 1e-6)),
            "{dev:?}: zero weights give uniform softmax"
        );
        assert_eq!(a.train_on_batch(&x, &y, None).unwrap().get("loss").map(|l| l.is_finite()), Some(true));
    }
}

#[test]
fn multi_input_multi_output_with_loss_weights_trains() {
    for dev in devices() {
        let mut m = shared_two_in_two_out(&format!("mimo{}", dev.is_gpu() as u8));
        // The shared Dense counts once.
        assert_eq!(m.layers().len(), 4);
        assert_eq!(m.weights().len(), 2 + 2 + 2);
        assert_eq!(m.count_params(), (3 * 4 + 4) + (8 + 1) + (4 * 2 + 2));
        let mut rng = Rng::new(71);
        let n = 24;
        let xa: Vec<f32> = rng.vec(n * 3, -1.0, 1.0).into_iter().map(|v| v as f32).collect();
        let xb: Vec<f32> = rng.vec(n * 3, -1.0, 1.0).into_iter().map(|v| v as f32).collect();
        let ya: Vec<f32> = (0..n).map(|i| xa[i * 3] - xb[i * 3 + 1]).collect();
        let yb: Vec<i32> = (0..n).map(|i| (xb[i * 3 + 2] > 0.0) as i32).collect();
        let t = |v: Vec<f32>, d: &[usize]| Tensor::from_vec(v, d, &Device::Cpu).unwrap();
        let x = vec![t(xa, &[n, 3]), t(xb, &[n, 3])];
        let y = vec![t(ya, &[n, 1]), Tensor::from_vec(yb, &[n], &Device::Cpu).unwrap()];
        let compile = |m: &mut Model, lw: Vec<f64>| {
            m.compile(
                CompileArgs::new("adam", "mse")
                    .losses(vec![json!("mse"), json!("sparse_categorical_crossentropy")])
                    .loss_weights(lw)
                    .device(dev.clone()),
            )
            .unwrap()
        };
        // Total loss = sum of weighted output losses.
        compile(&mut m, vec![1.0, 0.0]);
        let la = m.evaluate(x.clone(), y.clone(), 8, 0).unwrap().get("loss").unwrap();
        compile(&mut m, vec![0.0, 1.0]);
        let lb = m.evaluate(x.clone(), y.clone(), 8, 0).unwrap().get("loss").unwrap();
        compile(&mut m, vec![2.0, 0.5]);
        let l = m.evaluate(x.clone(), y.clone(), 8, 0).unwrap().get("loss").unwrap();
        assert!(close(l, 2.0 * la + 0.5 * lb, 1e-5), "{dev:?}: {l} vs 2*{la} + 0.5*{lb}");
        let h = m
            .fit(
                x.clone(),
                y.clone(),
                FitArgs { epochs: 30, batch_size: 8, verbose: 0, ..Default::default() },
            )
            .unwrap();
        let loss = h.get("loss").unwrap();
        assert!(loss[29] < 0.8 * loss[0], "{dev:?}: loss should fall: {loss:?}");
        let p = m.predict(x.clone(), 8, 0).unwrap();
        assert_eq!(p[0].dims(), &[n, 1]);
        assert_eq!(p[1].dims(), &[n, 2]);
        // loss_weights of the wrong length
        let r = m.compile(CompileArgs::new("adam", "mse").loss_weights(vec![1.0]).device(dev.clone()));
        assert_mentions(&err_text(r, "loss_weights"), &["loss_weights", "2 outputs"]);
    }
}

/// Keras 3 logs each output's loss (`out_a_loss`) and prefixes metrics by output name.
#[test]
fn multi_output_logs_per_output_losses() {
    let mut m = shared_two_in_two_out("pol");
    m.compile(
        CompileArgs::new("adam", "mse")
            .losses(vec![json!("mse"), json!("sparse_categorical_crossentropy")])
            .metrics(&["accuracy"])
            .device(Device::Cpu),
    )
    .unwrap();
    let x = vec![Tensor::from_vec(vec![0.5f32; 12], &[4, 3], &Device::Cpu).unwrap(); 2];
    let y = vec![
        Tensor::from_vec(vec![0.5f32; 4], &[4, 1], &Device::Cpu).unwrap(),
        Tensor::from_vec(vec![1i32; 4], &[4], &Device::Cpu).unwrap(),
    ];
    let h = m.fit(x, y, quiet()).unwrap();
    for k in ["loss", "pol_out_a_loss", "pol_out_b_loss", "pol_out_a_accuracy", "pol_out_b_accuracy"] {
        assert!(h.get(k).is_some(), "missing {k}: {:?}", h.keys());
    }
    // Keras (JAX) orders the logs by name; the total is the sum of the per-output losses.
    let keys = h.keys();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let (l, a, b) =
        (h.get("loss").unwrap()[0], h.get("pol_out_a_loss").unwrap()[0], h.get("pol_out_b_loss").unwrap()[0]);
    assert!((l - (a + b)).abs() < 1e-5 * l.abs().max(1.0), "{l} vs {a} + {b}");
}

#[test]
fn shared_layer_weights_counted_once() {
    let a = input(&[5], "sh_a");
    let b = input(&[5], "sh_b");
    let shared = dense(3, None, "sh_dense");
    let oa = shared.call(&a).unwrap();
    let ob = shared.call(&b).unwrap();
    let out = concat("sh_cat").call_list(&[oa, ob]).unwrap().remove(0);
    let mut m = Model::functional(&[a, b], &[out], Some("sh")).unwrap();
    assert_eq!(m.weights().len(), 2);
    assert_eq!(m.count_params(), 18);
    assert_eq!(m.get_weights().unwrap().len(), 2);
    assert!(m.summary_string().contains("Total params: 18 (72.00 B)"));
    // Both branches use the same weights: the same input on both sides gives equal halves.
    let x = Tensor::from_vec((0..10).map(|v| v as f32).collect::<Vec<f32>>(), &[2, 5], &Device::Cpu).unwrap();
    let p = vals(&m.predict(vec![x.clone(), x], 2, 0).unwrap()[0]);
    for r in p.chunks(6) {
        assert_eq!(r[..3], r[3..]);
    }
    // Calling the built shared layer on a different shape names the layer.
    let c = input(&[6], "sh_c");
    assert_mentions(&err_text(shared.call(&c), "shape"), &["sh_dense", "(None, 5)", "(None, 6)"]);
}

#[test]
fn custom_callback_sees_epochs_and_stops_training() {
    for dev in devices() {
        let (x, y) = three_class_data(16, 81);
        let mut m = compiled_mlp(&dev, "adam".into());
        let mut c = Counter { stop_after: Some(1), ..Default::default() };
        let h = m
            .fit(
                &x,
                &y,
                FitArgs {
                    epochs: 10,
                    batch_size: 8,
                    verbose: 0,
                    callbacks: vec![&mut c],
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(c.began && c.ended);
        assert_eq!(c.epochs, vec![0, 1], "{dev:?}: stop_training after epoch 1");
        assert_eq!(h.epoch, vec![0, 1]);
        assert_eq!(c.epoch_logs.len(), 2);
        for (i, logs) in c.epoch_logs.iter().enumerate() {
            let keys: Vec<&str> = logs.iter().map(|(k, _)| k).collect();
            assert_eq!(keys, vec!["accuracy", "loss"]);
            assert_eq!(logs.get("loss"), Some(h.get("loss").unwrap()[i]));
        }
    }
}

/// Stops from on_train_batch_end: the epoch ends early.
#[test]
fn callback_stops_mid_epoch() {
    struct StopAtBatch;
    impl Callback for StopAtBatch {
        fn on_train_batch_end(
            &mut self,
            model: &mut Model,
            batch: usize,
            logs: Option<&Logs>,
        ) -> wgkeras::frontend::Result<()> {
            assert!(logs.is_none(), "batch logs only when asked for");
            if batch == 1 {
                model.stop_training = true;
            }
            Ok(())
        }
    }
    let (x, y) = three_class_data(40, 91);
    let mut m = compiled_mlp(&Device::Cpu, "adam".into());
    let mut s = StopAtBatch;
    let mut c = Counter::default();
    let h = m
        .fit(
            &x,
            &y,
            FitArgs {
                epochs: 4,
                batch_size: 8,
                verbose: 0,
                callbacks: vec![&mut s, &mut c],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(h.epoch, vec![0]);
    assert_eq!(c.batches_per_epoch, vec![2]);
}

// ---------------------------------------------------------------------------------------------
// 5. GPU profile

#[test]
fn gpu_train_step_profile() {
    if gpu().is_none() {
        eprintln!("note: no GPU adapter; skipping the GPU profile test");
        return;
    }
    let dev = Device::gpu_with(&GpuOptions { allow_software: true, ..Default::default() }).unwrap();
    let Device::Gpu(g) = &dev else { unreachable!() };
    let (x, y) = three_class_data(64, 101);
    let mut m = compiled_mlp(&dev, "adam".into());
    // Warm-up: compiles the step for batches of 16.
    m.fit(&x, &y, FitArgs { epochs: 1, batch_size: 16, verbose: 0, ..Default::default() }).unwrap();

    // One more epoch of 4 steps: no pipeline, no buffer, one submit per step, reads per epoch only.
    let (p0, c0, s0, r0) = (g.pipelines_created(), g.pool_stats().created, g.submits(), g.reads());
    m.fit(&x, &y, FitArgs { epochs: 1, batch_size: 16, verbose: 0, shuffle: false, ..Default::default() })
        .unwrap();
    let (p1, c1, s1, r1) = (g.pipelines_created(), g.pool_stats().created, g.submits(), g.reads());
    eprintln!(
        "1 epoch x 4 steps: pipelines +{}, buffers +{}, submits +{}, reads +{}",
        p1 - p0,
        c1 - c0,
        s1 - s0,
        r1 - r0
    );
    assert_eq!(p1, p0, "a warm step compiled a pipeline");
    assert_eq!(c1, c0, "a warm step allocated a buffer");
    // 4 steps; the epoch-end log read may reset/flush: allow what one epoch costs beyond the steps.
    let per_epoch_reads = r1 - r0;

    // Four epochs of 4 steps vs one epoch of 16 steps: the reads depend on epochs, not steps.
    let x4 = ops_rows(&x, 0, 64);
    let big = wgkeras::ops::concatenate(&[x4.clone(), x4.clone(), x4.clone(), x4], 0).unwrap();
    let ybig = wgkeras::ops::concatenate(&[y.clone(), y.clone(), y.clone(), y.clone()], 0).unwrap();
    let (s2, r2) = (g.submits(), g.reads());
    m.fit(
        &big,
        &ybig,
        FitArgs { epochs: 1, batch_size: 16, verbose: 0, shuffle: false, ..Default::default() },
    )
    .unwrap();
    let (s3, r3) = (g.submits(), g.reads());
    eprintln!("1 epoch x 16 steps: submits +{}, reads +{}", s3 - s2, r3 - r2);
    assert_eq!(r3 - r2, per_epoch_reads, "reads must not grow with the number of steps");
    assert_eq!(g.pipelines_created(), p0);
    assert_eq!(g.pool_stats().created, c0);
    // Steps are one submit each: 12 more steps cost 12 more submits.
    assert_eq!((s3 - s2) - (s1 - s0), 12, "each train step should be exactly one queue submit");

    // One train_on_batch: one submit for the step, and only the log reads.
    let xb = ops_rows(&x, 0, 16);
    let yb = ops_rows(&y, 0, 16);
    m.train_on_batch(&xb, &yb, None).unwrap();
    let (p4, c4, s4, r4) = (g.pipelines_created(), g.pool_stats().created, g.submits(), g.reads());
    m.train_on_batch(&xb, &yb, None).unwrap();
    let (p5, c5, s5, r5) = (g.pipelines_created(), g.pool_stats().created, g.submits(), g.reads());
    eprintln!(
        "train_on_batch: pipelines +{}, buffers +{}, submits +{}, reads +{}",
        p5 - p4,
        c5 - c4,
        s5 - s4,
        r5 - r4
    );
    assert_eq!(p5, p4);
    assert_eq!(c5, c4);
    assert!(r5 - r4 <= per_epoch_reads, "train_on_batch reads only its logs");
    // Each readback is its own submit (copy to a staging buffer); besides those, the step is one,
    // plus at most one for the metric reset (buffer clears) that train_on_batch starts with.
    assert!(
        s5 - s4 <= 2 + (r5 - r4),
        "train_on_batch: one submit for the step besides the reset and the log reads"
    );
    // A small constant per epoch: the loss tracker's two scalars and the metric's.
    assert!(per_epoch_reads <= 4, "{per_epoch_reads} reads per epoch");
}
