//! The training-steering callbacks and the loop hooks against Keras 3.15.1: the order of every
//! hook in `fit` (with validation), `evaluate` and `predict`; EarlyStopping, ReduceLROnPlateau,
//! LearningRateScheduler and ModelCheckpoint on fixed monitored sequences (the expectations are
//! Keras's, from `tools/refgen/callbacks_core.py` in tests/data/callbacks_core.json);
//! Python's `str.format` for checkpoint paths; TerminateOnNaN; LambdaCallback; and
//! BackupAndRestore: a `fit` interrupted by an error or a panic, rerun, ends with exactly the
//! weights of an uninterrupted run. Every training test runs on the CPU and the GPU.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{devices, Rng};
use serde_json::{json, Map, Value};
use wgkeras::frontend::callbacks::{
    format_filepath, BackupAndRestore, BackupAndRestoreArgs, Callback, CallbackParams, EarlyStopping,
    EarlyStoppingArgs, FormatValue, LambdaCallback, LearningRateScheduler, Logs, ModelCheckpoint,
    ModelCheckpointArgs, ReduceLROnPlateau, ReduceLROnPlateauArgs, SaveFreq, TerminateOnNaN,
};
use wgkeras::frontend::layers::{Dense, LayerRef};
use wgkeras::frontend::models::{CompileArgs, EvaluateArgs, FitArgs, PredictArgs};
use wgkeras::frontend::{Model, Result};
use wgkeras::runtime::{Device, Tensor};

// ---------------------------------------------------------------------------------------------
// helpers

/// The resume tests set the global seed before `fit` (the shuffling draws from it), and model
/// creation draws from it too: the tests of this file run one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn keras() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/callbacks_core.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn cfg(v: Value) -> Map<String, Value> {
    v.as_object().expect("an object").clone()
}

/// Input(3) -> Dense(2), SGD(lr), mse on `device` (Keras's `model()` in the generator).
fn model(device: &Device, optimizer: Value) -> Model {
    let d: LayerRef = Dense::from_config(&cfg(json!({"name": "d", "units": 2}))).unwrap().into();
    let mut m = Model::sequential_with(&[3], vec![d]).unwrap();
    m.compile(CompileArgs::new(optimizer, "mse").device(device.clone())).unwrap();
    m
}

fn sgd(lr: f64) -> Value {
    json!({"class_name": "SGD", "config": {"learning_rate": lr}})
}

fn data(n: usize, seed: u64) -> (Tensor, Tensor) {
    let mut r = Rng::new(seed);
    let x: Vec<f32> = r.vec(n * 3, 0.0, 1.0).into_iter().map(|v| v as f32).collect();
    let y: Vec<f32> = r.vec(n * 2, 0.0, 1.0).into_iter().map(|v| v as f32).collect();
    (Tensor::from_vec(x, &[n, 3], &Device::Cpu).unwrap(), Tensor::from_vec(y, &[n, 2], &Device::Cpu).unwrap())
}

fn matrix(v: &Value) -> Tensor {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let flat: Vec<f32> = rows.iter().flatten().map(|&x| x as f32).collect();
    Tensor::from_vec(flat, &[rows.len(), rows[0].len()], &Device::Cpu).unwrap()
}

fn weights_of(m: &Model) -> Vec<Vec<f64>> {
    m.get_weights().unwrap().iter().map(|t| t.to_vec_f64().unwrap()).collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

/// Equal up to the last bit of a JSON float (serde_json's parser may round the other way).
fn assert_same(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs Keras {want:?}");
    for (a, b) in got.iter().zip(want) {
        assert!(close(*a, *b, 1e-14), "{what}: {got:?} vs Keras {want:?}");
    }
}

fn f64s(v: &Value) -> Vec<f64> {
    serde_json::from_value(v.clone()).unwrap()
}

fn quiet<'a>(epochs: usize, batch_size: usize) -> FitArgs<'a> {
    FitArgs { epochs, batch_size, verbose: 0, shuffle: false, ..Default::default() }
}

/// Overwrites `logs[key]` with `seq[epoch]` at each epoch end (placed before the callback under
/// test, as Keras's callbacks share the logs dict).
struct SetMonitor {
    key: String,
    seq: Vec<f64>,
}

impl Callback for SetMonitor {
    fn on_epoch_end(&mut self, _m: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        logs.insert(self.key.clone(), self.seq[epoch]);
        Ok(())
    }
}

/// The weights at each epoch end.
#[derive(Default)]
struct WeightsAtEpochEnd(Vec<Vec<Vec<f64>>>);

impl Callback for WeightsAtEpochEnd {
    fn on_epoch_end(&mut self, m: &mut Model, _epoch: usize, _logs: &mut Logs) -> Result<()> {
        self.0.push(weights_of(m));
        Ok(())
    }
}

/// Every hook's name (and batch or epoch), and the params given.
#[derive(Default)]
struct Recorder {
    calls: Vec<String>,
    params: Vec<CallbackParams>,
    outputs: Vec<Vec<Tensor>>,
}

impl Callback for Recorder {
    fn set_params(&mut self, p: &CallbackParams) {
        self.params.push(p.clone());
    }
    fn on_train_begin(&mut self, _: &mut Model, _: &Logs) -> Result<()> {
        self.calls.push("on_train_begin".into());
        Ok(())
    }
    fn on_train_end(&mut self, _: &mut Model, _: &Logs) -> Result<()> {
        self.calls.push("on_train_end".into());
        Ok(())
    }
    fn on_epoch_begin(&mut self, _: &mut Model, e: usize, _: &Logs) -> Result<()> {
        self.calls.push(format!("on_epoch_begin({e})"));
        Ok(())
    }
    fn on_epoch_end(&mut self, _: &mut Model, e: usize, _: &mut Logs) -> Result<()> {
        self.calls.push(format!("on_epoch_end({e})"));
        Ok(())
    }
    fn on_train_batch_begin(&mut self, _: &mut Model, b: usize) -> Result<()> {
        self.calls.push(format!("on_train_batch_begin({b})"));
        Ok(())
    }
    fn on_train_batch_end(&mut self, _: &mut Model, b: usize, _: Option<&Logs>) -> Result<()> {
        self.calls.push(format!("on_train_batch_end({b})"));
        Ok(())
    }
    fn on_test_begin(&mut self, _: &mut Model, _: &Logs) -> Result<()> {
        self.calls.push("on_test_begin".into());
        Ok(())
    }
    fn on_test_end(&mut self, _: &mut Model, _: &Logs) -> Result<()> {
        self.calls.push("on_test_end".into());
        Ok(())
    }
    fn on_test_batch_begin(&mut self, _: &mut Model, b: usize) -> Result<()> {
        self.calls.push(format!("on_test_batch_begin({b})"));
        Ok(())
    }
    fn on_test_batch_end(&mut self, _: &mut Model, b: usize, _: Option<&Logs>) -> Result<()> {
        self.calls.push(format!("on_test_batch_end({b})"));
        Ok(())
    }
    fn on_predict_begin(&mut self, _: &mut Model, _: &Logs) -> Result<()> {
        self.calls.push("on_predict_begin".into());
        Ok(())
    }
    fn on_predict_end(&mut self, _: &mut Model, _: &Logs) -> Result<()> {
        self.calls.push("on_predict_end".into());
        Ok(())
    }
    fn on_predict_batch_begin(&mut self, _: &mut Model, b: usize) -> Result<()> {
        self.calls.push(format!("on_predict_batch_begin({b})"));
        Ok(())
    }
    fn on_predict_batch_end(&mut self, _: &mut Model, b: usize, outputs: &[Tensor]) -> Result<()> {
        self.calls.push(format!("on_predict_batch_end({b})"));
        self.outputs.push(outputs.to_vec());
        Ok(())
    }
}

fn strings(v: &Value) -> Vec<String> {
    serde_json::from_value(v.clone()).unwrap()
}

fn params_of(v: &Value) -> Vec<CallbackParams> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| CallbackParams {
            epochs: p["epochs"].as_u64().unwrap() as usize,
            steps: p["steps"].as_u64().map(|s| s as usize),
            verbose: p["verbose"].as_u64().unwrap() as u8,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// hooks

#[test]
fn hook_order_matches_keras() {
    let _serial = serial();
    let k = keras();
    let want = &k["hook_order"];
    for dev in devices() {
        let mut m = model(&dev, sgd(0.1));
        let (x, y) = data(10, 1);
        let (vx, vy) = data(5, 2);
        let mut rec = Recorder::default();
        m.fit(
            &x,
            &y,
            FitArgs { validation_data: Some((vec![vx], vec![vy])), callbacks: vec![&mut rec], ..quiet(2, 4) },
        )
        .unwrap();
        assert_eq!(rec.calls, strings(&want["fit"]), "{dev:?}: fit");
        assert_eq!(rec.params, params_of(&want["fit_params"]), "{dev:?}: fit params");

        let mut rec = Recorder::default();
        let ev = m
            .evaluate_with(
                &x,
                &y,
                EvaluateArgs { batch_size: 4, verbose: 0, callbacks: vec![&mut rec], ..Default::default() },
            )
            .unwrap();
        assert_eq!(rec.calls, strings(&want["evaluate"]), "{dev:?}: evaluate");
        assert_eq!(rec.params, params_of(&want["evaluate_params"]), "{dev:?}: evaluate params");
        let plain = m.evaluate(&x, &y, 4, 0).unwrap();
        assert_eq!(ev, plain, "{dev:?}: evaluate_with and evaluate agree");

        let mut rec = Recorder::default();
        let p = m
            .predict_with(
                &x,
                PredictArgs { batch_size: 4, verbose: 0, callbacks: vec![&mut rec], ..Default::default() },
            )
            .unwrap();
        assert_eq!(rec.calls, strings(&want["predict"]), "{dev:?}: predict");
        assert_eq!(rec.params, params_of(&want["predict_params"]), "{dev:?}: predict params");
        // The batch outputs are the predictions, batch by batch.
        let sizes: Vec<Vec<usize>> = rec.outputs.iter().map(|o| o[0].dims().to_vec()).collect();
        assert_eq!(sizes, vec![vec![4, 2], vec![4, 2], vec![2, 2]]);
        let joined: Vec<f64> = rec.outputs.iter().flat_map(|o| o[0].to_vec_f64().unwrap()).collect();
        assert_eq!(joined, p[0].to_vec_f64().unwrap(), "{dev:?}");
    }
}

#[test]
fn evaluate_and_predict_steps_and_weights() {
    let _serial = serial();
    for dev in devices() {
        let mut m = model(&dev, sgd(0.1));
        let (x, y) = data(10, 3);
        let mut rec = Recorder::default();
        let two = m
            .evaluate_with(
                &x,
                &y,
                EvaluateArgs {
                    batch_size: 4,
                    verbose: 0,
                    steps: Some(2),
                    callbacks: vec![&mut rec],
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(rec.params[0].steps, Some(2));
        assert_eq!(rec.calls.iter().filter(|c| c.starts_with("on_test_batch_end")).count(), 2);
        let first8 = m.evaluate(ops_rows(&x, 8), ops_rows(&y, 8), 4, 0).unwrap();
        assert!(close(two.get("loss").unwrap(), first8.get("loss").unwrap(), 1e-6), "{dev:?}");
        let ones = Tensor::from_vec(vec![2.0f32; 10], &[10], &Device::Cpu).unwrap();
        let w = m
            .evaluate_with(
                &x,
                &y,
                EvaluateArgs { batch_size: 4, verbose: 0, sample_weight: Some(ones), ..Default::default() },
            )
            .unwrap();
        let unw = m.evaluate(&x, &y, 4, 0).unwrap();
        assert!(close(w.get("loss").unwrap(), 2.0 * unw.get("loss").unwrap(), 1e-6), "{dev:?}");
        let p = m
            .predict_with(&x, PredictArgs { batch_size: 3, verbose: 0, steps: Some(2), ..Default::default() })
            .unwrap();
        assert_eq!(p[0].dims(), &[6, 2]);
    }
}

fn ops_rows(t: &Tensor, n: usize) -> Tensor {
    let idx = Tensor::from_vec((0..n as i32).collect::<Vec<i32>>(), &[n], &Device::Cpu).unwrap();
    wgkeras::ops::take(t, &idx, Some(0)).unwrap()
}

#[test]
fn lambda_callback_runs_each_closure() {
    let _serial = serial();
    let (x, y) = data(6, 4);
    let mut m = model(&Device::Cpu, sgd(0.1));
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let (a, b, c, d, e) = (seen.clone(), seen.clone(), seen.clone(), seen.clone(), seen.clone());
    let mut cb = LambdaCallback::new()
        .on_train_begin(move |_, _| Ok(a.lock().unwrap().push("train_begin".into())))
        .on_epoch_end(move |_, ep, logs| {
            Ok(b.lock().unwrap().push(format!("epoch_end({ep}) {}", logs.get("loss").is_some())))
        })
        .on_train_batch_end(move |_, bt, logs| {
            Ok(c.lock().unwrap().push(format!("batch_end({bt}) {}", logs.is_some())))
        })
        .on_test_end(move |_, logs| {
            Ok(d.lock().unwrap().push(format!("test_end {}", logs.get("loss").is_some())))
        })
        .on_predict_batch_end(move |_, bt, out| {
            Ok(e.lock().unwrap().push(format!("predict({bt}) {:?}", out[0].dims())))
        })
        .batch_logs(true);
    m.fit(&x, &y, FitArgs { callbacks: vec![&mut cb], ..quiet(1, 4) }).unwrap();
    m.evaluate_with(&x, &y, EvaluateArgs { verbose: 0, callbacks: vec![&mut cb], ..Default::default() })
        .unwrap();
    m.predict_with(
        &x,
        PredictArgs { verbose: 0, batch_size: 4, callbacks: vec![&mut cb], ..Default::default() },
    )
    .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "train_begin",
            "batch_end(0) true",
            "batch_end(1) true",
            "epoch_end(0) true",
            "test_end true",
            "predict(0) [4, 2]",
            "predict(1) [2, 2]"
        ]
    );
    // An Err from a closure ends fit with it.
    let mut failing = LambdaCallback::new().on_epoch_begin(|_, ep, _| {
        if ep == 1 {
            Err(wgkeras::frontend::Error::arg("test", "stop here"))
        } else {
            Ok(())
        }
    });
    let err = m.fit(&x, &y, FitArgs { callbacks: vec![&mut failing], ..quiet(3, 4) }).unwrap_err();
    assert!(err.to_string().contains("stop here"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// EarlyStopping, ReduceLROnPlateau, LearningRateScheduler

fn es_args(a: &Value) -> EarlyStoppingArgs {
    let mut args = EarlyStoppingArgs::default();
    if let Some(v) = a.get("patience") {
        args.patience = v.as_u64().unwrap() as usize;
    }
    if let Some(v) = a.get("min_delta") {
        args.min_delta = v.as_f64().unwrap();
    }
    if let Some(v) = a.get("baseline") {
        args.baseline = v.as_f64();
    }
    if let Some(v) = a.get("mode") {
        args.mode = v.as_str().unwrap().into();
    }
    if let Some(v) = a.get("monitor") {
        args.monitor = v.as_str().unwrap().into();
    }
    if let Some(v) = a.get("restore_best_weights") {
        args.restore_best_weights = v.as_bool().unwrap();
    }
    if let Some(v) = a.get("start_from_epoch") {
        args.start_from_epoch = v.as_u64().unwrap() as usize;
    }
    args
}

#[test]
fn early_stopping_matches_keras() {
    let _serial = serial();
    let k = keras();
    let (x, y) = data(8, 5);
    for dev in devices() {
        for case in k["early_stopping"].as_array().unwrap() {
            let what = format!("{dev:?} {}", case["args"]);
            let seq = f64s(&case["seq"]);
            let args = es_args(&case["args"]);
            let key = args.monitor.clone();
            let mut set = SetMonitor { key, seq: seq.clone() };
            let mut snap = WeightsAtEpochEnd::default();
            let mut es = EarlyStopping::new(args.clone());
            let mut m = model(&dev, sgd(0.1));
            let h = m
                .fit(&x, &y, FitArgs { callbacks: vec![&mut set, &mut snap, &mut es], ..quiet(seq.len(), 4) })
                .unwrap();
            assert_eq!(h.epoch.len() as u64, case["epochs_run"].as_u64().unwrap(), "{what}: epochs run");
            assert_eq!(
                es.stopped_epoch as u64,
                case["stopped_epoch"].as_u64().unwrap(),
                "{what}: stopped_epoch"
            );
            assert_eq!(es.best_epoch as u64, case["best_epoch"].as_u64().unwrap(), "{what}: best_epoch");
            assert_eq!(es.best, case["best"].as_f64(), "{what}: best");
            assert_eq!(es.wait as u64, case["wait"].as_u64().unwrap(), "{what}: wait");
            let final_w = weights_of(&m);
            let want = if case["restored"].as_bool().unwrap() {
                &snap.0[es.best_epoch]
            } else {
                snap.0.last().unwrap()
            };
            assert_eq!(&final_w, want, "{what}: final weights");
        }
    }
}

#[test]
fn early_stopping_auto_mode_reads_the_metric_direction() {
    let _serial = serial();
    let (x, y) = data(8, 6);
    let mut m = Model::sequential_with(
        &[3],
        vec![Dense::from_config(&cfg(json!({"name": "d", "units": 2}))).unwrap().into()],
    )
    .unwrap();
    m.compile(CompileArgs::new(sgd(0.1), "mse").metrics(&["accuracy"])).unwrap();
    // The loss improves downwards, accuracy upwards (Keras's `_direction`).
    for (key, seq, epochs) in
        [("loss", vec![1.0, 0.5, 0.6, 0.7], 3), ("accuracy", vec![0.1, 0.5, 0.4, 0.3], 3)]
    {
        let mut set = SetMonitor { key: key.into(), seq };
        let mut es =
            EarlyStopping::new(EarlyStoppingArgs { monitor: key.into(), patience: 1, ..Default::default() });
        let h = m.fit(&x, &y, FitArgs { callbacks: vec![&mut set, &mut es], ..quiet(4, 4) }).unwrap();
        assert_eq!(h.epoch.len(), epochs, "{key}");
    }
    // A name whose direction is unknown in auto mode is Keras's error.
    let mut es = EarlyStopping::new(EarlyStoppingArgs { monitor: "something".into(), ..Default::default() });
    let err = m.fit(&x, &y, FitArgs { callbacks: vec![&mut es], ..quiet(2, 4) }).unwrap_err().to_string();
    assert!(
        err.contains("EarlyStopping") && err.contains("monitor=something") && err.contains("mode='max'"),
        "{err}"
    );
}

#[test]
fn reduce_lr_on_plateau_matches_keras() {
    let _serial = serial();
    let k = keras();
    let (x, y) = data(8, 7);
    for dev in devices() {
        for case in k["reduce_lr"].as_array().unwrap() {
            let what = format!("{dev:?} {}", case["args"]);
            let a = &case["args"];
            let mut args = ReduceLROnPlateauArgs::default();
            if let Some(v) = a.get("patience") {
                args.patience = v.as_u64().unwrap() as usize;
            }
            if let Some(v) = a.get("factor") {
                args.factor = v.as_f64().unwrap();
            }
            if let Some(v) = a.get("cooldown") {
                args.cooldown = v.as_u64().unwrap() as usize;
            }
            if let Some(v) = a.get("min_lr") {
                args.min_lr = v.as_f64().unwrap();
            }
            if let Some(v) = a.get("min_delta") {
                args.min_delta = v.as_f64().unwrap();
            }
            if let Some(v) = a.get("mode") {
                args.mode = v.as_str().unwrap().into();
            }
            if let Some(v) = a.get("monitor") {
                args.monitor = v.as_str().unwrap().into();
            }
            let seq = f64s(&case["seq"]);
            let mut set = SetMonitor { key: args.monitor.clone(), seq: seq.clone() };
            let mut cb = ReduceLROnPlateau::new(args).unwrap();
            let mut m = model(&dev, sgd(0.1));
            let h =
                m.fit(&x, &y, FitArgs { callbacks: vec![&mut set, &mut cb], ..quiet(seq.len(), 4) }).unwrap();
            assert_same(h.get("learning_rate").unwrap(), &f64s(&case["learning_rate"]), &what);
        }
    }
    let err =
        ReduceLROnPlateau::new(ReduceLROnPlateauArgs { factor: 1.0, ..Default::default() }).err().unwrap();
    assert!(
        err.to_string().contains("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=1.0"),
        "{err}"
    );
}

#[test]
fn learning_rate_scheduler_matches_keras() {
    let _serial = serial();
    let k = keras();
    let s = &k["lr_scheduler"];
    let (x, y) = (matrix(&s["x"]), matrix(&s["y"]));
    let init = vec![matrix(&s["weights"][0]), {
        let b = f64s(&s["weights"][1]);
        Tensor::from_vec(b.iter().map(|&v| v as f32).collect::<Vec<f32>>(), &[b.len()], &Device::Cpu).unwrap()
    }];
    for dev in devices() {
        type Sched = Box<dyn Fn(usize, f64) -> f64 + Send>;
        let cases: Vec<(&str, Sched, usize)> = vec![
            ("halve_from_2", Box::new(|e, lr| if e < 2 { lr } else { lr * 0.5 }), 5),
            ("linear", Box::new(|e, _| 0.01 * (e as f64 + 1.0)), 3),
        ];
        for (name, f, epochs) in cases {
            let mut m = model(&dev, sgd(0.1));
            m.set_weights(&init).unwrap();
            let mut cb = LearningRateScheduler::new(move |e, lr| f(e, lr), 0);
            let h = m.fit(&x, &y, FitArgs { callbacks: vec![&mut cb], ..quiet(epochs, 4) }).unwrap();
            assert_eq!(h.keys(), vec!["loss", "learning_rate"], "{dev:?} {name}");
            assert_same(h.get("learning_rate").unwrap(), &f64s(&s[name]), &format!("{dev:?} {name}"));
            let loss = f64s(&s[format!("{name}_loss")]);
            for (a, b) in h.get("loss").unwrap().iter().zip(&loss) {
                assert!(close(*a, *b, 1e-5), "{dev:?} {name}: loss {a} vs Keras {b}");
            }
        }
    }
    // A schedule-based optimizer's rate cannot be set (Keras's error).
    let mut m = model(
        &Device::Cpu,
        json!({"class_name": "SGD", "config": {"learning_rate": {"class_name": "ExponentialDecay",
            "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9}}}}),
    );
    let mut cb = LearningRateScheduler::new(|_, lr| lr, 0);
    let err = m.fit(&x, &y, FitArgs { callbacks: vec![&mut cb], ..quiet(1, 4) }).unwrap_err().to_string();
    assert!(err.contains("not settable"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// TerminateOnNaN

#[test]
fn terminate_on_nan_stops_at_the_first_bad_batch() {
    let _serial = serial();
    for dev in devices() {
        let (x, mut y) = data(12, 8);
        let mut yv = y.to_vec::<f32>().unwrap();
        yv[9] = f32::NAN; // sample 4, in batch 2 (batches of 2)
        y = Tensor::from_vec(yv, &[12, 2], &Device::Cpu).unwrap();
        let mut m = model(&dev, sgd(0.01));
        let mut rec = Recorder::default();
        let mut t = TerminateOnNaN::default();
        let h = m.fit(&x, &y, FitArgs { callbacks: vec![&mut t, &mut rec], ..quiet(3, 2) }).unwrap();
        assert_eq!(h.epoch, vec![0], "{dev:?}");
        assert!(h.get("loss").unwrap()[0].is_nan());
        let batches: Vec<&String> =
            rec.calls.iter().filter(|c| c.starts_with("on_train_batch_end")).collect();
        assert_eq!(batches.last().unwrap().as_str(), "on_train_batch_end(2)", "{dev:?}");
        assert_eq!(rec.calls.last().unwrap(), "on_train_end");
        let mut m = model(&dev, sgd(0.01));
        let mut t = TerminateOnNaN::new(true);
        let err = m.fit(&x, &y, FitArgs { callbacks: vec![&mut t], ..quiet(3, 2) }).unwrap_err().to_string();
        assert!(
            err.contains(
                "NaN or Inf loss encountered at batch 2. Loss value: nan. Terminating training immediately."
            ),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// ModelCheckpoint

fn py_value(v: &Value) -> FormatValue {
    let (ty, repr) = (v[0].as_str().unwrap(), v[1].as_str().unwrap());
    match ty {
        "int" => FormatValue::Int(repr.parse().unwrap()),
        _ => FormatValue::Float(repr.parse().unwrap()),
    }
}

#[test]
fn checkpoint_path_templates_format_as_python() {
    let _serial = serial();
    let k = keras();
    for case in k["formats"].as_array().unwrap() {
        let t = case["template"].as_str().unwrap();
        let vals: Vec<(String, FormatValue)> =
            case["values"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), py_value(v))).collect();
        let vals: Vec<(&str, FormatValue)> = vals.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let got = format_filepath(t, &vals);
        match (case.get("ok"), got) {
            (Some(want), Ok(got)) => assert_eq!(got, want.as_str().unwrap(), "{t} with {}", case["values"]),
            (None, Err(e)) => {
                let kind = case["error"].as_str().unwrap();
                assert_eq!(e.starts_with("KeyError"), kind == "KeyError", "{t}: {e} vs Python's {kind}");
            }
            (want, got) => panic!("{t}: Python {want:?} / {:?}, wgkeras {got:?}", case.get("error")),
        }
    }
}

/// Keras's `.weights.h5` is wgkeras's `.weights.safetensors`.
fn our_name(keras_name: &str) -> String {
    keras_name.replace(".weights.h5", ".weights.safetensors")
}

#[test]
fn checkpoint_path_extensions_are_checked_as_keras() {
    let _serial = serial();
    let k = keras();
    for case in k["bad_paths"].as_array().unwrap() {
        let keras_path = case["path"].as_str().unwrap();
        let weights_only = case["weights_only"].as_bool().unwrap();
        // wgkeras writes weights as .safetensors and models as .keras only (no legacy .h5).
        let path = if weights_only { our_name(keras_path) } else { keras_path.to_string() };
        let ok = case["ok"].as_bool().unwrap() && !(path.ends_with(".h5"));
        let r = ModelCheckpoint::new(
            &path,
            ModelCheckpointArgs { save_weights_only: weights_only, ..Default::default() },
        );
        match (ok, r) {
            (true, Ok(_)) => {}
            (false, Err(e)) => {
                let e = e.to_string();
                let want = if weights_only {
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in \
                     `.safetensors`"
                        .to_string()
                } else {
                    format!("The filepath provided must end in `.keras` (Keras model format). Received: filepath={path}")
                };
                assert!(e.contains(&want), "{path}: {e}\nwant {want}");
                if let Some(m) = case.get("message").and_then(Value::as_str) {
                    if !weights_only {
                        assert!(e.contains(m), "{path}: Keras's message {m}");
                    }
                }
            }
            (ok, r) => panic!("{path} weights_only={weights_only}: want ok={ok}, wgkeras {:?}", r.err()),
        }
    }
}

#[test]
fn checkpoint_saves_the_files_keras_saves() {
    let _serial = serial();
    let k = keras();
    let (x, y) = data(8, 9);
    let (vx, vy) = data(4, 10);
    for dev in devices() {
        for case in k["checkpoint_names"].as_array().unwrap() {
            let dir = tempfile::tempdir().unwrap();
            let a = &case["args"];
            let what = format!("{dev:?} {} {a}", case["template"]);
            let mut args = ModelCheckpointArgs { save_weights_only: true, ..Default::default() };
            if let Some(v) = a.get("save_best_only") {
                args.save_best_only = v.as_bool().unwrap();
            }
            if let Some(v) = a.get("mode") {
                args.mode = v.as_str().unwrap().into();
            }
            if let Some(v) = a.get("monitor") {
                args.monitor = v.as_str().unwrap().into();
            }
            if let Some(v) = a.get("initial_value_threshold") {
                args.initial_value_threshold = v.as_f64();
            }
            if let Some(v) = a.get("save_freq") {
                args.save_freq = SaveFreq::Batches(v.as_u64().unwrap() as usize);
            }
            let seq = f64s(&case["seq"]);
            let mut set = SetMonitor { key: args.monitor.clone(), seq: seq.clone() };
            let mut cb =
                ModelCheckpoint::new(dir.path().join(our_name(case["template"].as_str().unwrap())), args)
                    .unwrap();
            let mut m = model(&dev, sgd(0.1));
            m.fit(
                &x,
                &y,
                FitArgs {
                    validation_data: Some((vec![vx.clone()], vec![vy.clone()])),
                    callbacks: vec![&mut set, &mut cb],
                    ..quiet(seq.len(), 2)
                },
            )
            .unwrap();
            let mut files: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            files.sort();
            let want: Vec<String> = strings(&case["files"]).iter().map(|f| our_name(f)).collect();
            assert_eq!(files, want, "{what}");
        }
    }
    // The weights saved are the model's at that epoch's end.
    let dir = tempfile::tempdir().unwrap();
    let mut cb = ModelCheckpoint::new(
        dir.path().join("w{epoch}.weights.safetensors"),
        ModelCheckpointArgs { save_weights_only: true, monitor: "loss".into(), ..Default::default() },
    )
    .unwrap();
    let mut snap = WeightsAtEpochEnd::default();
    let mut m = model(&Device::Cpu, sgd(0.1));
    m.fit(&x, &y, FitArgs { callbacks: vec![&mut snap, &mut cb], ..quiet(3, 4) }).unwrap();
    m.load_weights(dir.path().join("w2.weights.safetensors")).unwrap();
    assert_eq!(weights_of(&m), snap.0[1]);
    // Whole models as .keras bundles, loadable.
    let mut cb = ModelCheckpoint::new(
        dir.path().join("m-{epoch}-{loss:.3f}.keras"),
        ModelCheckpointArgs { monitor: "loss".into(), save_best_only: true, ..Default::default() },
    )
    .unwrap();
    let h = m.fit(&x, &y, FitArgs { callbacks: vec![&mut cb], ..quiet(2, 4) }).unwrap();
    let name = format!("m-2-{:.3}.keras", h.get("loss").unwrap()[1]);
    let mut loaded = wgkeras::frontend::saving::load_model(dir.path().join(&name)).unwrap();
    assert_eq!(weights_of(&loaded), weights_of(&m), "{name}");
    assert_eq!(loaded.predict(&x, 8, 0).unwrap()[0].dims(), &[8, 2]);
    // A missing key is Keras's KeyError message.
    let mut cb =
        ModelCheckpoint::new(dir.path().join("{nope}.keras"), ModelCheckpointArgs::default()).unwrap();
    let err = m.fit(&x, &y, FitArgs { callbacks: vec![&mut cb], ..quiet(1, 4) }).unwrap_err().to_string();
    assert!(
        err.contains("Failed to format this callback filepath") && err.contains("Reason: 'nope'"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// BackupAndRestore

/// Fails (an `Err`, or a panic) at the start of epoch `epoch`, batch `batch`.
struct Interrupt {
    epoch: usize,
    batch: Option<usize>,
    panic: bool,
    current: usize,
}

impl Interrupt {
    fn fire(&self) -> Result<()> {
        if self.panic {
            panic!("simulated crash");
        }
        Err(wgkeras::frontend::Error::arg("Interrupt", "simulated interruption"))
    }
}

impl Callback for Interrupt {
    fn on_epoch_begin(&mut self, _: &mut Model, epoch: usize, _: &Logs) -> Result<()> {
        self.current = epoch;
        if epoch == self.epoch && self.batch.is_none() {
            return self.fire();
        }
        Ok(())
    }
    fn on_train_batch_begin(&mut self, _: &mut Model, batch: usize) -> Result<()> {
        if self.current == self.epoch && self.batch == Some(batch) {
            return self.fire();
        }
        Ok(())
    }
}

const EPOCHS: usize = 6;

fn fit_args<'a>(vx: &Tensor, vy: &Tensor, callbacks: Vec<&'a mut dyn Callback>) -> FitArgs<'a> {
    FitArgs {
        epochs: EPOCHS,
        batch_size: 3,
        verbose: 0,
        shuffle: true,
        validation_data: Some((vec![vx.clone()], vec![vy.clone()])),
        callbacks,
        ..Default::default()
    }
}

#[test]
fn backup_and_restore_resumes_exactly() {
    let _serial = serial();
    let (x, y) = data(22, 11);
    let (vx, vy) = data(5, 12);
    let init = weights_of(&model(&Device::Cpu, sgd(0.1)));
    let init: Vec<Tensor> = {
        let m = model(&Device::Cpu, sgd(0.1));
        let w = m.get_weights().unwrap();
        assert_eq!(w.len(), init.len());
        w
    };
    let fresh = |dev: &Device| {
        let m = model(dev, json!({"class_name": "Adam", "config": {"learning_rate": 0.05}}));
        m.set_weights(&init).unwrap();
        m
    };
    for dev in devices() {
        for (save_freq, interrupt_at, panic) in [
            (SaveFreq::Epoch, (3, None), false),
            (SaveFreq::Batches(2), (2, Some(3)), true),
            (SaveFreq::Batches(1), (4, Some(5)), false),
        ] {
            let what = format!("{dev:?} {save_freq:?} interrupted at {interrupt_at:?}");
            let args = || BackupAndRestoreArgs { save_freq, ..Default::default() };
            // The uninterrupted run.
            let dir = tempfile::tempdir().unwrap();
            let mut a = fresh(&dev);
            let mut b_r = BackupAndRestore::new(dir.path().join("a"), args()).unwrap();
            wgkeras::frontend::utils::set_random_seed(7);
            let ha = a.fit(&x, &y, fit_args(&vx, &vy, vec![&mut b_r])).unwrap();
            assert_eq!(ha.epoch, (0..EPOCHS).collect::<Vec<_>>());
            assert!(!dir.path().join("a").exists(), "{what}: the backup is deleted at the end");
            let want = weights_of(&a);

            // Interrupted, then rerun on a fresh model (a restarted program).
            let backup = dir.path().join("b");
            let mut b = fresh(&dev);
            let mut b_r = BackupAndRestore::new(&backup, args()).unwrap();
            let mut stop = Interrupt { epoch: interrupt_at.0, batch: interrupt_at.1, panic, current: 0 };
            wgkeras::frontend::utils::set_random_seed(7);
            let r = catch_unwind(AssertUnwindSafe(|| {
                b.fit(&x, &y, fit_args(&vx, &vy, vec![&mut b_r, &mut stop]))
            }));
            match r {
                Ok(r) => assert!(r.is_err(), "{what}: the interrupted fit fails"),
                Err(_) => assert!(panic, "{what}: unexpected panic"),
            }
            assert!(backup.join("training_metadata.json").exists(), "{what}: a backup was written");
            let mut c = fresh(&dev);
            let mut b_r = BackupAndRestore::new(&backup, args()).unwrap();
            wgkeras::frontend::utils::set_random_seed(7);
            let hc = c.fit(&x, &y, fit_args(&vx, &vy, vec![&mut b_r])).unwrap();
            assert_eq!(hc.epoch, (interrupt_at.0..EPOCHS).collect::<Vec<_>>(), "{what}: resumed epochs");
            assert_eq!(weights_of(&c), want, "{what}: weights after resuming");
            // The last epoch's validation loss, computed on the same weights, agrees.
            assert_eq!(hc.get("val_loss").unwrap().last(), ha.get("val_loss").unwrap().last(), "{what}");
            assert!(!backup.exists(), "{what}: the backup is deleted at the end");
        }
    }
}

#[test]
fn backup_and_restore_arguments_and_double_checkpoint() {
    let _serial = serial();
    let err = BackupAndRestore::new("", BackupAndRestoreArgs::default()).err().unwrap().to_string();
    assert!(err.contains("Empty `backup_dir` argument passed"), "{err}");
    let (x, y) = data(8, 13);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("bk");
    let mut m = model(&Device::Cpu, sgd(0.1));
    let mut b_r = BackupAndRestore::new(
        &backup,
        BackupAndRestoreArgs { double_checkpoint: true, delete_checkpoint: false, ..Default::default() },
    )
    .unwrap();
    m.fit(&x, &y, FitArgs { callbacks: vec![&mut b_r], ..quiet(3, 4) }).unwrap();
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("training_metadata.json")).unwrap())
            .unwrap();
    assert_eq!(meta["epoch"], 3);
    assert_eq!(meta["batch"], 0);
    let prev: Value =
        serde_json::from_str(&std::fs::read_to_string(backup.join("training_metadata.json.bkp")).unwrap())
            .unwrap();
    assert_eq!(prev["epoch"], 2);
    // A corrupt latest backup falls back on the previous one (epoch 2 -> runs epochs 2..4).
    let weights = std::fs::read_dir(&backup)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.to_string_lossy().ends_with(".bkp") && !p.to_string_lossy().ends_with(".json"))
        .unwrap();
    std::fs::write(&weights, b"garbage").unwrap();
    let mut b_r = BackupAndRestore::new(
        &backup,
        BackupAndRestoreArgs { double_checkpoint: true, delete_checkpoint: false, ..Default::default() },
    )
    .unwrap();
    let h = m.fit(&x, &y, FitArgs { callbacks: vec![&mut b_r], ..quiet(4, 4) }).unwrap();
    assert_eq!(h.epoch, vec![2, 3]);
}

/// A BackupAndRestore kept in memory (weights, optimizer state, position): tests the loop's
/// resume (`Model::set_initial_epoch`) apart from the files.
#[derive(Default)]
struct MemoryBackup {
    every_batches: Option<usize>,
    state: Option<(Vec<Tensor>, Vec<Tensor>, usize, usize)>,
    epoch: usize,
}

impl MemoryBackup {
    fn save(&mut self, m: &Model, epoch: usize, step: usize) -> Result<()> {
        let opt: Vec<Tensor> = m
            .optimizer()
            .unwrap()
            .variables()
            .iter()
            .map(|v| v.value().to_device(&Device::Cpu).unwrap())
            .collect();
        self.state = Some((m.get_weights()?, opt, epoch, step));
        Ok(())
    }
}

impl Callback for MemoryBackup {
    fn on_train_begin(&mut self, m: &mut Model, _: &Logs) -> Result<()> {
        if let Some((w, opt, epoch, step)) = &self.state {
            m.set_weights(w)?;
            for (v, t) in m.optimizer().unwrap().variables().iter().zip(opt) {
                v.assign(&t.to_device(&v.device())?)?;
            }
            m.set_initial_epoch(*epoch, *step);
        }
        Ok(())
    }
    fn on_epoch_begin(&mut self, _: &mut Model, epoch: usize, _: &Logs) -> Result<()> {
        self.epoch = epoch;
        Ok(())
    }
    fn on_train_batch_end(&mut self, m: &mut Model, batch: usize, _: Option<&Logs>) -> Result<()> {
        if self.every_batches.is_some_and(|n| (batch + 1) % n == 0) {
            self.save(m, self.epoch, batch + 1)?;
        }
        Ok(())
    }
    fn on_epoch_end(&mut self, m: &mut Model, epoch: usize, _: &mut Logs) -> Result<()> {
        if self.every_batches.is_none() {
            self.save(m, epoch + 1, 0)?;
        }
        Ok(())
    }
}

#[test]
fn resume_position_replays_the_same_batches() {
    let _serial = serial();
    let (x, y) = data(22, 11);
    let (vx, vy) = data(5, 12);
    let init = model(&Device::Cpu, sgd(0.1)).get_weights().unwrap();
    let fresh = |dev: &Device| {
        let m = model(dev, json!({"class_name": "Adam", "config": {"learning_rate": 0.05}}));
        m.set_weights(&init).unwrap();
        m
    };
    for dev in devices() {
        for (every, interrupt_at) in [(None, (3, None)), (Some(2), (2, Some(3))), (Some(1), (4, Some(5)))] {
            let what = format!("{dev:?} every {every:?} interrupted at {interrupt_at:?}");
            let mut a = fresh(&dev);
            wgkeras::frontend::utils::set_random_seed(7);
            let ha = a.fit(&x, &y, fit_args(&vx, &vy, vec![])).unwrap();
            let want = weights_of(&a);
            let mut backup = MemoryBackup { every_batches: every, ..Default::default() };
            let mut b = fresh(&dev);
            let mut stop =
                Interrupt { epoch: interrupt_at.0, batch: interrupt_at.1, panic: false, current: 0 };
            wgkeras::frontend::utils::set_random_seed(7);
            assert!(b.fit(&x, &y, fit_args(&vx, &vy, vec![&mut backup, &mut stop])).is_err());
            let mut c = fresh(&dev);
            wgkeras::frontend::utils::set_random_seed(7);
            let hc = c.fit(&x, &y, fit_args(&vx, &vy, vec![&mut backup])).unwrap();
            assert_eq!(hc.epoch, (interrupt_at.0..EPOCHS).collect::<Vec<_>>(), "{what}");
            assert_eq!(weights_of(&c), want, "{what}: weights after resuming");
            assert_eq!(hc.get("val_loss").unwrap().last(), ha.get("val_loss").unwrap().last(), "{what}");
        }
    }
}
