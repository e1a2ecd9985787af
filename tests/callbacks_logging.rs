//! The logging callbacks and History plots (keras.callbacks ProgbarLogger, CSVLogger,
//! TensorBoard; `History::plot`), each driven by a real `fit` on every backend:
//! - CSVLogger's file is Keras's byte for byte (checked against real Keras when
//!   `/tmp/kvenv/bin/python` exists) and its values read back to History's;
//! - TensorBoard's event files are parsed back here (TFRecord framing, both CRCs, the Event
//!   protobufs) and hold Keras's tags and steps with History's values; when
//!   `/tmp/tfvenv/bin/python` (TensorFlow) exists, TensorFlow's own reader agrees;
//! - ProgbarLogger prints Keras's progress text for the logs it gets;
//! - `History::plot` writes a PNG that decodes to the documented size and is not blank, and an
//!   SVG with the curves.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::{devices, three_class_data};
use serde_json::{json, Map, Value};
use wgkeras::frontend::callbacks::{
    py_float_repr, CSVLogger, Callback, CallbackParams, History, Logs, ProgbarLogger, TensorBoard,
    UpdateFreq, PANEL_HEIGHT, PANEL_WIDTH,
};
use wgkeras::frontend::layers::{Dense, LayerRef};
use wgkeras::frontend::models::{CompileArgs, FitArgs};
use wgkeras::frontend::utils::progbar::{disable_interactive_logging, MemoryWriter};
use wgkeras::frontend::Model;
use wgkeras::runtime::Device;

// ---------------------------------------------------------------------------------------------
// helpers

fn cfg(v: Value) -> Map<String, Value> {
    v.as_object().expect("an object").clone()
}

fn dense(units: usize, activation: Option<&str>, name: &str) -> LayerRef {
    Dense::from_config(&cfg(json!({"name": name, "units": units, "activation": activation}))).unwrap().into()
}

fn model(device: &Device) -> Model {
    let mut m =
        Model::sequential_with(&[4], vec![dense(8, Some("relu"), "h"), dense(3, Some("softmax"), "out")])
            .unwrap();
    m.compile(
        CompileArgs::new(
            json!({"class_name": "SGD", "config": {"learning_rate": 0.05}}),
            "sparse_categorical_crossentropy",
        )
        .metrics(&["accuracy"])
        .device(device.clone()),
    )
    .unwrap();
    m
}

/// 32 samples, a quarter kept for validation: 24 training samples, 3 batches of 8 per epoch.
fn fit_with(m: &mut Model, epochs: usize, verbose: u8, callbacks: Vec<&mut dyn Callback>) -> History {
    let (x, y) = three_class_data(32, 7);
    m.fit(
        &x,
        &y,
        FitArgs {
            epochs,
            batch_size: 8,
            verbose,
            validation_split: 0.25,
            shuffle: false,
            callbacks,
            ..Default::default()
        },
    )
    .unwrap()
}

fn kvenv_python() -> Option<PathBuf> {
    let p = PathBuf::from("/tmp/kvenv/bin/python");
    p.exists().then_some(p)
}

fn tfvenv_python() -> Option<PathBuf> {
    let p = PathBuf::from("/tmp/tfvenv/bin/python");
    p.exists().then_some(p)
}

/// Runs a Python script from the repository root (importing keras from /tmp breaks on a stray
/// folder there); panics with its stderr on failure.
fn run_python(python: &Path, script: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(python);
    cmd.arg("-c").arg(script).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("python runs");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

// ---------------------------------------------------------------------------------------------
// CSVLogger

/// One scripted run of logs: (epoch, [(key, value)]).
type Script = Vec<(usize, Vec<(&'static str, f64)>)>;

fn drive_csv(logger: &mut CSVLogger, script: &Script) {
    let mut m = Model::sequential_with(&[2], vec![dense(1, None, "d")]).unwrap();
    logger.on_train_begin(&mut m, &Logs::default()).unwrap();
    for (epoch, logs) in script {
        let mut logs = Logs(logs.iter().map(|(k, v)| (k.to_string(), *v)).collect());
        logger.on_epoch_end(&mut m, *epoch, &mut logs).unwrap();
    }
    logger.on_train_end(&mut m, &Logs::default()).unwrap();
}

fn csv_scripts() -> (Script, Script) {
    let first = vec![
        // No val_ keys in the first epoch: Keras adds val_ columns for every key.
        (0, vec![("loss", 0.1f32 as f64), ("acc", 1e-5)]),
        (1, vec![("loss", 1e16), ("acc", 3.0), ("val_loss", 0.25), ("val_acc", -0.0)]),
        (2, vec![("loss", f64::NAN), ("val_acc", 12345678901234567.0), ("extra", 1.0)]),
    ];
    let appended = vec![(3, vec![("val_loss", 2.5e-7), ("loss", 0.0001), ("acc", f64::INFINITY)])];
    (first, appended)
}

#[test]
fn csv_logger_writes_keras_format() {
    let dir = tempfile::tempdir().unwrap();
    let (first, appended) = csv_scripts();
    let plain = dir.path().join("log.csv");
    let mut logger = CSVLogger::new(&plain);
    drive_csv(&mut logger, &first);
    let mut logger = CSVLogger::new(&plain).append(true);
    drive_csv(&mut logger, &appended);
    let text = std::fs::read_to_string(&plain).unwrap();
    let want = "epoch,acc,loss,val_acc,val_loss\r\n\
                0,1e-05,0.10000000149011612,NA,NA\r\n\
                1,3.0,1e+16,-0.0,0.25\r\n\
                2,NA,nan,1.2345678901234568e+16,NA\r\n\
                3,inf,0.0001,2.5e-07\r\n";
    assert_eq!(text, want);
    // (The appending run's first logs have a val_ key, so its columns are its own keys only,
    // under the old header: Keras does the same.)
    // No temporary file is left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    // A separator and a key that needs quoting; append to a missing file writes the header.
    let semi = dir.path().join("semi.csv");
    let mut logger = CSVLogger::new(&semi).separator(";").unwrap().append(true);
    drive_csv(&mut logger, &vec![(0, vec![("a;b", 1.5), ("val_x", 2.0)])]);
    assert_eq!(std::fs::read_to_string(&semi).unwrap(), "epoch;\"a;b\";val_x\r\n0;1.5;2.0\r\n");

    let err = CSVLogger::new(&semi).separator("::").unwrap_err().to_string();
    assert!(err.contains("CSVLogger") && err.contains("1-character"), "{err}");

    // Real Keras writes the same bytes for the same logs.
    let Some(py) = kvenv_python() else {
        eprintln!("no /tmp/kvenv: Keras comparison skipped");
        return;
    };
    let to_py = |s: &Script| {
        let epochs: Vec<String> = s
            .iter()
            .map(|(e, logs)| {
                let kv: Vec<String> =
                    logs.iter().map(|(k, v)| format!("{k:?}: float({:?})", py_float_repr(*v))).collect();
                format!("({e}, {{{}}})", kv.join(", "))
            })
            .collect();
        format!("[{}]", epochs.join(", "))
    };
    let kfile = dir.path().join("keras.csv");
    let kfile2 = dir.path().join("keras_semi.csv");
    let script = format!(
        "import keras\n\
         def run(path, script, **kw):\n    cb = keras.callbacks.CSVLogger(path, **kw)\n    cb.on_train_begin()\n    \
         for e, logs in script:\n        cb.on_epoch_end(e, logs)\n    cb.on_train_end()\n\
         run({p:?}, {a})\nrun({p:?}, {b}, append=True)\n\
         run({q:?}, [(0, {{'a;b': 1.5, 'val_x': 2.0}})], separator=';', append=True)\n",
        p = kfile.to_str().unwrap(),
        q = kfile2.to_str().unwrap(),
        a = to_py(&first),
        b = to_py(&appended),
    );
    run_python(&py, &script, &[("KERAS_BACKEND", "jax")]);
    assert_eq!(std::fs::read(&kfile).unwrap(), want.as_bytes(), "Keras's CSV differs");
    assert_eq!(
        std::fs::read(&kfile2).unwrap(),
        std::fs::read(&semi).unwrap(),
        "Keras's CSV differs (separator)"
    );
}

#[test]
fn csv_logger_in_fit_reads_back_history() {
    for dev in devices() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.csv");
        let mut m = model(&dev);
        let mut logger = CSVLogger::new(&path);
        let h = fit_with(&mut m, 3, 0, vec![&mut logger]);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "epoch,accuracy,loss,val_accuracy,val_loss", "{dev:?}");
        assert_eq!(lines.len(), 5, "{dev:?}: header, 3 rows and the empty end: {text:?}");
        for (e, line) in lines[1..4].iter().enumerate() {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields[0], e.to_string());
            for (k, key) in ["accuracy", "loss", "val_accuracy", "val_loss"].iter().enumerate() {
                let v: f64 = fields[k + 1].parse().unwrap();
                assert_eq!(v, h.get(key).unwrap()[e], "{dev:?} epoch {e} {key}");
                assert_eq!(fields[k + 1], py_float_repr(v));
            }
        }
        // A second fit without append starts the file over.
        let mut logger2 = CSVLogger::new(&path);
        fit_with(&mut m, 1, 0, vec![&mut logger2]);
        assert_eq!(std::fs::read_to_string(&path).unwrap().split("\r\n").count(), 3);
    }
}

// ---------------------------------------------------------------------------------------------
// TensorBoard: a reader for the files

fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

fn masked(crc: u32) -> u32 {
    ((crc >> 15) | (crc << 17)).wrapping_add(0xa282_ead8)
}

/// The records of a TFRecord file, checking both CRCs of each.
fn read_records(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = vec![];
    let mut i = 0;
    while i < bytes.len() {
        let len_bytes = &bytes[i..i + 8];
        let len = u64::from_le_bytes(len_bytes.try_into().unwrap()) as usize;
        let len_crc = u32::from_le_bytes(bytes[i + 8..i + 12].try_into().unwrap());
        assert_eq!(len_crc, masked(crc32c(len_bytes)), "length CRC of record at {i}");
        let data = &bytes[i + 12..i + 12 + len];
        let data_crc = u32::from_le_bytes(bytes[i + 12 + len..i + 16 + len].try_into().unwrap());
        assert_eq!(data_crc, masked(crc32c(data)), "data CRC of record at {i}");
        out.push(data.to_vec());
        i += 16 + len;
    }
    out
}

enum Field<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(#[allow(dead_code)] u32),
}

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let byte = b[*i];
        *i += 1;
        v |= ((byte & 0x7f) as u64) << shift;
        if byte < 0x80 {
            return v;
        }
        shift += 7;
    }
}

fn fields(b: &[u8]) -> Vec<(u32, Field<'_>)> {
    let mut i = 0;
    let mut out = vec![];
    while i < b.len() {
        let key = varint(b, &mut i);
        let (num, wire) = ((key >> 3) as u32, key & 7);
        let f = match wire {
            0 => Field::Varint(varint(b, &mut i)),
            1 => {
                i += 8;
                Field::Fixed64(u64::from_le_bytes(b[i - 8..i].try_into().unwrap()))
            }
            2 => {
                let n = varint(b, &mut i) as usize;
                i += n;
                Field::Bytes(&b[i - n..i])
            }
            5 => {
                i += 4;
                Field::Fixed32(u32::from_le_bytes(b[i - 4..i].try_into().unwrap()))
            }
            w => panic!("unexpected wire type {w}"),
        };
        out.push((num, f));
    }
    out
}

fn bytes_of<'a>(fs: &[(u32, Field<'a>)], num: u32) -> Option<&'a [u8]> {
    fs.iter().find_map(|(n, f)| match (n, f) {
        (n, Field::Bytes(b)) if *n == num => Some(*b),
        _ => None,
    })
}

/// One decoded event.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    wall_time: f64,
    step: i64,
    file_version: Option<String>,
    tag: Option<String>,
    plugin: Option<String>,
    /// The float32 value of a scalar summary.
    value: Option<f32>,
    /// The string value of a string tensor summary.
    text: Option<String>,
}

fn parse_event(data: &[u8]) -> Event {
    let fs = fields(data);
    let mut ev = Event {
        wall_time: 0.0,
        step: 0,
        file_version: None,
        tag: None,
        plugin: None,
        value: None,
        text: None,
    };
    for (n, f) in &fs {
        match (n, f) {
            (1, Field::Fixed64(v)) => ev.wall_time = f64::from_bits(*v),
            (2, Field::Varint(v)) => ev.step = *v as i64,
            (3, Field::Bytes(b)) => ev.file_version = Some(String::from_utf8(b.to_vec()).unwrap()),
            (5, Field::Bytes(summary)) => {
                let values: Vec<_> = fields(summary).into_iter().filter(|(n, _)| *n == 1).collect();
                assert_eq!(values.len(), 1, "one value per summary");
                let Field::Bytes(v) = values[0].1 else { panic!("value is a message") };
                let vf = fields(v);
                ev.tag = bytes_of(&vf, 1).map(|b| String::from_utf8(b.to_vec()).unwrap());
                let meta = fields(bytes_of(&vf, 9).expect("metadata"));
                let plugin = fields(bytes_of(&meta, 1).expect("plugin_data"));
                ev.plugin = bytes_of(&plugin, 1).map(|b| String::from_utf8(b.to_vec()).unwrap());
                let tensor = fields(bytes_of(&vf, 8).expect("tensor"));
                let dtype = tensor.iter().find_map(|(n, f)| match (n, f) {
                    (1, Field::Varint(d)) => Some(*d),
                    _ => None,
                });
                assert_eq!(bytes_of(&tensor, 2), Some(&[][..]), "shape [] (an empty TensorShapeProto)");
                match dtype {
                    Some(1) => {
                        let c = bytes_of(&tensor, 4).expect("tensor_content");
                        ev.value = Some(f32::from_le_bytes(c.try_into().unwrap()));
                    }
                    Some(7) => {
                        ev.text = bytes_of(&tensor, 8).map(|b| String::from_utf8(b.to_vec()).unwrap());
                    }
                    d => panic!("unexpected dtype {d:?}"),
                }
            }
            (10, Field::Bytes(_)) => {} // source_metadata
            (n, _) => panic!("unexpected Event field {n}"),
        }
    }
    ev
}

fn event_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    for p in &v {
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("events.out.tfevents.") && name.ends_with(".v2"), "{name}");
    }
    v
}

fn read_events(path: &Path) -> Vec<Event> {
    let evs: Vec<Event> = read_records(path).iter().map(|r| parse_event(r)).collect();
    assert_eq!(evs[0].file_version.as_deref(), Some("brain.Event:2"), "file_version first");
    assert!(evs[0].wall_time > 1.5e9);
    evs[1..].to_vec()
}

/// (tag, step, value) of the scalar events.
fn scalars(evs: &[Event]) -> Vec<(String, i64, f32)> {
    evs.iter()
        .filter(|e| e.plugin.as_deref() == Some("scalars"))
        .map(|e| (e.tag.clone().unwrap(), e.step, e.value.unwrap()))
        .collect()
}

#[test]
fn tensorboard_event_files_hold_keras_tags_steps_and_history() {
    for dev in devices() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = model(&dev);
        let mut tb = TensorBoard::new(dir.path()).update_freq(UpdateFreq::Batches(2)).unwrap();
        let h = fit_with(&mut m, 2, 0, vec![&mut tb]);

        let train_files = event_files(&dir.path().join("train"));
        let val_files = event_files(&dir.path().join("validation"));
        assert_eq!((train_files.len(), val_files.len()), (1, 1), "{dev:?}");
        let train = read_events(&train_files[0]);
        // The model's JSON first (write_graph), at step 0.
        assert_eq!(train[0].tag.as_deref(), Some("keras"));
        assert_eq!(train[0].plugin.as_deref(), Some("graph_keras_model"));
        let graph: Value = serde_json::from_str(train[0].text.as_deref().unwrap()).unwrap();
        assert_eq!(graph["class_name"], "Sequential");

        let f = |v: f64| v as f32;
        let hv = |k: &str, e: usize| f(h.get(k).unwrap()[e]);
        // 3 batches per epoch: global batches 1..=6, written every 2nd; batch 6 ends epoch 1, so
        // its running means are the epoch's.
        let lr = f(0.05);
        let got = scalars(&train);
        let tags_steps: Vec<(&str, i64)> = got.iter().map(|(t, s, _)| (t.as_str(), *s)).collect();
        assert_eq!(
            tags_steps,
            vec![
                ("batch_accuracy", 2),
                ("batch_loss", 2),
                ("epoch_accuracy", 0),
                ("epoch_loss", 0),
                ("epoch_learning_rate", 0),
                ("batch_accuracy", 4),
                ("batch_loss", 4),
                ("batch_accuracy", 6),
                ("batch_loss", 6),
                ("epoch_accuracy", 1),
                ("epoch_loss", 1),
                ("epoch_learning_rate", 1),
            ],
            "{dev:?}"
        );
        for (tag, step, v) in &got {
            let want = match (tag.as_str(), *step) {
                ("epoch_learning_rate", _) => Some(lr),
                ("epoch_accuracy", e) => Some(hv("accuracy", e as usize)),
                ("epoch_loss", e) => Some(hv("loss", e as usize)),
                ("batch_accuracy", 6) => Some(hv("accuracy", 1)),
                ("batch_loss", 6) => Some(hv("loss", 1)),
                _ => None,
            };
            if let Some(w) = want {
                assert_eq!(*v, w, "{dev:?} {tag} at {step}");
            }
            assert!(v.is_finite());
        }
        let val = scalars(&read_events(&val_files[0]));
        let want_val = vec![
            ("epoch_accuracy".to_string(), 0, hv("val_accuracy", 0)),
            ("epoch_loss".to_string(), 0, hv("val_loss", 0)),
            ("epoch_accuracy".to_string(), 1, hv("val_accuracy", 1)),
            ("epoch_loss".to_string(), 1, hv("val_loss", 1)),
        ];
        // Evaluation summaries come only from test hooks, which this fit may or may not call.
        let val_epochs: Vec<_> = val.iter().filter(|(t, _, _)| t.starts_with("epoch_")).cloned().collect();
        assert_eq!(val_epochs, want_val, "{dev:?}");
        for (tag, step, _) in val.iter().filter(|(t, _, _)| !t.starts_with("epoch_")) {
            assert!(tag.starts_with("evaluation_") && tag.ends_with("_vs_iterations"), "{tag}");
            assert!(*step == 3 || *step == 6, "{tag} at {step}");
        }

        // A second fit writes new files (Keras resets its writers in set_model).
        fit_with(&mut m, 1, 0, vec![&mut tb]);
        assert_eq!(event_files(&dir.path().join("train")).len(), 2);

        if let Some(py) = tfvenv_python() {
            check_with_tensorflow(&py, &train_files[0], &train);
            check_with_tensorflow(&py, &val_files[0], &read_events(&val_files[0]));
        } else {
            eprintln!("no /tmp/tfvenv: TensorFlow reader check skipped");
        }
    }
}

/// TensorFlow's `summary_iterator` (and TensorBoard's `EventAccumulator` when installed)
/// read the same events.
fn check_with_tensorflow(py: &Path, file: &Path, ours: &[Event]) {
    let script = format!(
        "import json, warnings\nwarnings.filterwarnings('ignore')\nimport tensorflow as tf\nout = []\n\
         for e in tf.compat.v1.train.summary_iterator({f:?}):\n    \
         if e.file_version:\n        out.append(['file_version', e.file_version]); continue\n    \
         for v in e.summary.value:\n        a = tf.make_ndarray(v.tensor)\n        \
         val = float(a) if v.tensor.dtype == tf.float32.as_datatype_enum else a.item().decode()\n        \
         out.append([v.tag, int(e.step), val, v.metadata.plugin_data.plugin_name])\n\
         acc = None\ntry:\n    \
         from tensorboard.backend.event_processing.event_accumulator import EventAccumulator\n    \
         ea = EventAccumulator({f:?}); ea.Reload()\n    \
         acc = sorted([t, ev.step, float(tf.make_ndarray(ev.tensor_proto))] for t in ea.Tags()['tensors'] if t != 'keras' for ev in ea.Tensors(t))\n\
         except ImportError:\n    pass\n\
         print(json.dumps({{'events': out, 'acc': acc}}))\n",
        f = file.to_str().unwrap()
    );
    let out = run_python(py, &script, &[("TF_CPP_MIN_LOG_LEVEL", "3")]);
    let v: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let events = v["events"].as_array().unwrap();
    assert_eq!(events[0], json!(["file_version", "brain.Event:2"]));
    assert_eq!(events.len() - 1, ours.len());
    let mut ours_scalars = vec![];
    for (tf_ev, ev) in events[1..].iter().zip(ours) {
        assert_eq!(tf_ev[0], json!(ev.tag.clone().unwrap()));
        assert_eq!(tf_ev[1], json!(ev.step));
        assert_eq!(tf_ev[3], json!(ev.plugin.clone().unwrap()));
        match (ev.value, &ev.text) {
            (Some(x), _) => {
                assert_eq!(tf_ev[2].as_f64().unwrap() as f32, x);
                ours_scalars.push(json!([ev.tag.clone().unwrap(), ev.step, x as f64]));
            }
            (None, Some(t)) => assert_eq!(tf_ev[2], json!(t)),
            _ => unreachable!(),
        }
    }
    if let Some(acc) = v["acc"].as_array() {
        // Values compared as float32 (serde_json's float parsing may be off in the last bit).
        let key = |a: &Value| {
            (a[0].as_str().unwrap().to_string(), a[1].as_i64().unwrap(), a[2].as_f64().unwrap() as f32)
        };
        let mut sorted: Vec<_> = ours_scalars.iter().map(key).collect();
        sorted.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let acc: Vec<_> = acc.iter().map(key).collect();
        assert_eq!(acc, sorted, "EventAccumulator");
    }
}

#[test]
fn tensorboard_tf_only_options_are_errors() {
    let tb = || TensorBoard::new("logs");
    for (what, r) in [
        ("histogram_freq", tb().histogram_freq(1)),
        ("write_images", tb().write_images(true)),
        ("embeddings_freq", tb().embeddings_freq(2)),
        ("profile_batch", tb().profile_batch(2, 4)),
        ("update_freq", tb().update_freq(UpdateFreq::Batches(0))),
    ] {
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("TensorBoard") && msg.contains(what), "{msg}");
    }
    assert!(tb()
        .histogram_freq(0)
        .and_then(|t| t.write_images(false))
        .and_then(|t| t.profile_batch(0, 0))
        .is_ok());
    assert!(tb().profile_batch(5, 2).unwrap_err().to_string().contains("profile_batch must be"));
}

#[test]
fn tensorboard_steps_per_second_and_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = model(&Device::Cpu);
    let mut tb = TensorBoard::new(dir.path()).write_steps_per_second(true).write_graph(false);
    fit_with(&mut m, 1, 0, vec![&mut tb]);
    let train = read_events(&event_files(&dir.path().join("train"))[0]);
    let tags: Vec<String> = scalars(&train).into_iter().map(|(t, _, _)| t).collect();
    assert_eq!(tags, ["epoch_accuracy", "epoch_loss", "epoch_learning_rate", "epoch_steps_per_second"]);
    // on_test_end (evaluate, or validation when the loop calls the test hooks) writes
    // evaluation_<key>_vs_iterations at the optimizer's iteration count.
    let logs = Logs(vec![("loss".into(), 0.5), ("accuracy".into(), 0.25)]);
    tb.on_test_end(&mut m, &logs).unwrap();
    tb.on_train_end(&mut m, &logs).unwrap();
    let val_files = event_files(&dir.path().join("validation"));
    let val = scalars(&read_events(val_files.last().unwrap()));
    let evals: Vec<_> = val.into_iter().filter(|(t, _, _)| t.starts_with("evaluation_")).collect();
    assert_eq!(
        evals,
        vec![
            ("evaluation_loss_vs_iterations".to_string(), 3, 0.5),
            ("evaluation_accuracy_vs_iterations".to_string(), 3, 0.25)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// ProgbarLogger

/// Records the batch logs fit hands out (and asks for them).
#[derive(Default)]
struct Recorder(Vec<Logs>);

impl Callback for Recorder {
    fn on_train_batch_end(
        &mut self,
        _m: &mut Model,
        _b: usize,
        logs: Option<&Logs>,
    ) -> wgkeras::frontend::Result<()> {
        self.0.push(logs.unwrap().clone());
        Ok(())
    }
    fn wants_batch_logs(&self) -> bool {
        true
    }
}

/// Python's `f"{v:.4f}"` / `f"{v:.4e}"` as the progress bar picks them.
fn fmt_value(v: f64, signed: bool) -> String {
    let big = if signed { v > 1e-3 } else { v.abs() > 1e-3 };
    if big {
        format!("{v:.4}")
    } else {
        let s = format!("{v:.4e}");
        let (m, e) = s.split_once('e').unwrap();
        let (sign, d) = e.strip_prefix('-').map_or(('+', e), |d| ('-', d));
        format!("{m}e{sign}{d:0>2}")
    }
}

fn values_text(logs: &[(&str, f64)], signed: bool) -> String {
    logs.iter().map(|(k, v)| format!(" - {k}: {}", fmt_value(*v, signed))).collect()
}

/// A clock that moves one second at every reading: every batch is due for a redraw.
fn ticking_clock() -> impl Fn() -> f64 + Send + Sync + Clone {
    let t = Arc::new(AtomicU64::new(0));
    move || 1000.0 + t.fetch_add(1, Ordering::Relaxed) as f64
}

#[test]
fn progbar_logger_prints_keras_progress() {
    // fit's own bar goes to the log crate (unset here), the logger's to a buffer.
    disable_interactive_logging();
    for dev in devices() {
        // verbose=2: one line per epoch, with the val_ values, after "Epoch i/n".
        let out = MemoryWriter::default();
        let mut logger = ProgbarLogger::new().writer(out.clone()).clock(|| 5.0);
        let mut m = model(&dev);
        let h = fit_with(&mut m, 2, 2, vec![&mut logger]);
        let mut want = String::new();
        for e in 0..2 {
            let logs: Vec<(&str, f64)> = ["accuracy", "loss", "val_accuracy", "val_loss"]
                .iter()
                .map(|k| (*k, h.get(k).unwrap()[e]))
                .collect();
            want.push_str(&format!("Epoch {}/2\n3/3 - 0s - 0s/step{}\n", e + 1, values_text(&logs, true)));
        }
        assert_eq!(out.take(), want, "{dev:?}");

        // verbose=1, newline form, a redraw at every batch with the logs fit gave.
        let w0 = m.get_weights().unwrap();
        let out = MemoryWriter::default();
        let mut logger =
            ProgbarLogger::new().writer(out.clone()).clock(ticking_clock()).dynamic_display(false);
        let mut rec = Recorder::default();
        let h = fit_with(&mut m, 1, 1, vec![&mut rec, &mut logger]);
        let text = out.take();
        let draws: Vec<&str> = text.split('\n').filter(|l| !l.is_empty()).collect();
        assert_eq!(draws.len(), 4, "{dev:?}: three batch draws and the final one: {text:?}");
        for (i, (draw, logs)) in draws.iter().zip(&rec.0).enumerate() {
            let vals: Vec<(&str, f64)> = logs.iter().collect();
            assert!(draw.contains(&format!("\x1b[1m{}/3\x1b[0m", i + 1)), "{draw:?}");
            assert!(draw.ends_with(&values_text(&vals, false)), "{dev:?} batch {i}: {draw:?} vs {vals:?}");
        }
        let fin: Vec<(&str, f64)> = ["accuracy", "loss", "val_accuracy", "val_loss"]
            .iter()
            .map(|k| (*k, h.get(k).unwrap()[0]))
            .collect();
        assert!(draws[3].contains("\x1b[1m3/3\x1b[0m") && draws[3].ends_with(&values_text(&fin, false)));

        // Without a callback asking for batch logs the logger reads them itself and shows the
        // same text (same start weights, no shuffling).
        m.set_weights(&w0).unwrap();
        let out2 = MemoryWriter::default();
        let mut logger =
            ProgbarLogger::new().writer(out2.clone()).clock(ticking_clock()).dynamic_display(false);
        fit_with(&mut m, 1, 1, vec![&mut logger]);
        assert_eq!(out2.take(), text, "{dev:?}");
    }
}

#[test]
fn progbar_logger_evaluate_and_predict_hooks() {
    let mut m = model(&Device::Cpu);
    let out = MemoryWriter::default();
    let mut logger = ProgbarLogger::new().writer(out.clone()).clock(|| 1.0).dynamic_display(false);
    // evaluate: steps known.
    logger.set_params(&CallbackParams { epochs: 1, steps: Some(2), verbose: 2 });
    logger.on_test_begin(&mut m, &Logs::default()).unwrap();
    let logs = Logs(vec![("loss".into(), 0.5), ("acc".into(), 0.0001)]);
    logger.on_test_batch_end(&mut m, 0, Some(&logs)).unwrap();
    logger.on_test_batch_end(&mut m, 1, Some(&logs)).unwrap();
    logger.on_test_end(&mut m, &logs).unwrap();
    assert_eq!(out.take(), "2/2 - 0s - 0s/step - loss: 0.5000 - acc: 1.0000e-04\n");
    // predict: steps unknown, the target is the batches seen.
    logger.set_params(&CallbackParams { epochs: 1, steps: None, verbose: 2 });
    logger.on_predict_begin(&mut m, &Logs::default()).unwrap();
    for b in 0..3 {
        logger.on_predict_batch_end(&mut m, b, &[]).unwrap();
    }
    logger.on_predict_end(&mut m, &Logs::default()).unwrap();
    assert_eq!(out.take(), "3/3 - 0s - 0s/step\n");
    // Inside fit (after on_train_begin) the test hooks print nothing.
    logger.on_train_begin(&mut m, &Logs::default()).unwrap();
    logger.on_test_begin(&mut m, &Logs::default()).unwrap();
    logger.on_test_end(&mut m, &logs).unwrap();
    assert_eq!(out.take(), "");
}

// ---------------------------------------------------------------------------------------------
// History::plot

#[test]
fn history_plot_png_and_svg() {
    for dev in devices() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = model(&dev);
        let h = fit_with(&mut m, 4, 0, vec![]);
        // Two panels: loss and accuracy, side by side.
        assert_eq!(h.plot_size(), (2 * PANEL_WIDTH, PANEL_HEIGHT));

        let png_path = dir.path().join("history.PNG");
        h.plot(&png_path).unwrap();
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), h.plot_size());
        let px = &buf[..info.buffer_size()];
        let white = px.chunks(3).filter(|p| p == &[255, 255, 255]).count();
        let total = px.len() / 3;
        assert!(white < total && white > total / 2, "{dev:?}: {white} of {total} white");
        // Both curves' colours are drawn.
        let has = |c: [u8; 3]| px.chunks(3).any(|p| p == c);
        assert!(has([31, 119, 180]) && has([255, 127, 14]), "{dev:?}: the curves are missing");

        let svg_path = dir.path().join("history.svg");
        h.plot(&svg_path).unwrap();
        // To look at the images: WGKERAS_PLOT_OUT=<folder>.
        if let Some(out) = std::env::var_os("WGKERAS_PLOT_OUT") {
            let out = PathBuf::from(out);
            std::fs::copy(
                &png_path,
                out.join(format!("history_{}.png", if matches!(dev, Device::Cpu) { "cpu" } else { "gpu" })),
            )
            .unwrap();
            std::fs::copy(
                &svg_path,
                out.join(format!("history_{}.svg", if matches!(dev, Device::Cpu) { "cpu" } else { "gpu" })),
            )
            .unwrap();
        }
        let svg = std::fs::read_to_string(&svg_path).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<polyline") || svg.contains("<path"));
        assert!(svg.contains("#1F77B4") && svg.contains("#FF7F0E"), "{dev:?}: curve colours");
        for text in ["loss", "accuracy", "val_loss", "val_accuracy", "epoch"] {
            assert!(svg.contains(&format!(">{text}<")) || svg.contains(&format!(">\n{text}\n<")), "{text}");
        }
        // Only the two images, no temporary files.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);

        let err = h.plot(dir.path().join("history.jpg")).unwrap_err().to_string();
        assert!(err.contains("History.plot") && err.contains(".png or .svg"), "{err}");
    }
    let err = History::default().plot("/tmp/never.png").unwrap_err().to_string();
    assert!(err.contains("empty"), "{err}");
}

/// A ProgbarLogger the user passes replaces fit's own: with `verbose` on, each epoch's line is
/// printed once, by the user's logger (Keras's CallbackList adds none when one is given).
#[test]
fn users_progbar_logger_replaces_fits_own() {
    let mut m = model(&Device::Cpu);
    let out = MemoryWriter::default();
    let mut logger = ProgbarLogger::new().writer(out.clone()).clock(|| 1.0).dynamic_display(false);
    fit_with(&mut m, 2, 2, vec![&mut logger]);
    let text = out.take();
    assert_eq!(text.matches("Epoch 1/2").count(), 1, "{text}");
    assert_eq!(text.matches("Epoch 2/2").count(), 1, "{text}");
}
