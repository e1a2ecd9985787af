//! Saving and loading: `.safetensors` weights, `.keras` bundles, continue-training equality on
//! every backend, custom classes and safe mode, atomic writes, and hostile files.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use wgkeras::frontend::graph::{Shape, Sym};
use wgkeras::frontend::layers::{CallContext, Dense, Layer, LayerCommon, LayerRef};
use wgkeras::frontend::models::{input, CompileArgs, FitArgs};
use wgkeras::frontend::registry::{Family, KerasObject};
use wgkeras::frontend::saving::{self, CustomObjectScope, Deserialized, LoadOptions, SafeModeScope};
use wgkeras::frontend::utils::rng::set_random_seed;
use wgkeras::frontend::{Model, Result};
use wgkeras::runtime::{DType, Device, Tensor};

trait ErrStr {
    fn err_str(self) -> String;
}

impl<T> ErrStr for Result<T> {
    fn err_str(self) -> String {
        match self {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }
}

fn data() -> (Tensor, Tensor) {
    let mut rng = common::Rng::new(7);
    let x = common::rand_tensor(&mut rng, &[32, 5], -1.0, 1.0, DType::F32, &Device::Cpu);
    let y = common::rand_tensor(&mut rng, &[32, 3], -1.0, 1.0, DType::F32, &Device::Cpu);
    (x, y)
}

fn mlp(seed: u64, hidden: usize) -> Model {
    set_random_seed(seed);
    let layers: Vec<LayerRef> =
        vec![Dense::new(hidden, Some("relu")).unwrap().into(), Dense::new(3, None).unwrap().into()];
    Model::sequential_with(&[5], layers).unwrap()
}

fn compiled(seed: u64, device: &Device) -> Model {
    let mut m = mlp(seed, 8);
    m.compile(CompileArgs::new("adam", "mse").metrics(&["accuracy"]).device(device.clone())).unwrap();
    m
}

fn fit(m: &mut Model, epochs: usize) {
    let (x, y) = data();
    m.fit(&x, &y, FitArgs { batch_size: 8, epochs, verbose: 0, shuffle: false, ..Default::default() })
        .unwrap();
}

fn host(ts: Vec<Tensor>) -> Vec<Vec<f32>> {
    ts.iter().map(|t| t.to_vec_f32().unwrap()).collect()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect()
}

#[test]
fn weights_round_trip_on_every_backend() {
    let (x, _) = data();
    for device in common::devices() {
        let dir = tmp();
        let path = dir.path().join("m.weights.safetensors");
        let mut a = compiled(1, &device);
        fit(&mut a, 1);
        a.save_weights(&path).unwrap();
        let mut b = compiled(2, &device);
        assert_ne!(host(a.predict(&x, 32, 0).unwrap()), host(b.predict(&x, 32, 0).unwrap()));
        b.load_weights(&path).unwrap();
        assert_eq!(host(a.predict(&x, 32, 0).unwrap()), host(b.predict(&x, 32, 0).unwrap()), "{device:?}");
        assert_eq!(b.optimizer().unwrap().iterations().unwrap(), 4);
        // Weights only into a model that is not compiled: the optimizer entries are ignored.
        let mut c = mlp(3, 8);
        c.load_weights(&path).unwrap();
        assert_eq!(host(c.get_weights().unwrap()), host(a.get_weights().unwrap()));
        // Keys follow Keras's h5 layout.
        let bytes = std::fs::read(&path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut names = st.names();
        names.sort();
        assert!(names.contains(&"layers/dense/vars/0") || names.iter().any(|n| n.ends_with("/vars/0")));
        assert!(names.contains(&"optimizer/vars/0"), "{names:?}");
        assert_eq!(names.len(), 4 + 2 + 8, "{names:?}");
        assert!(leftovers(dir.path()).is_empty());
    }
}

#[test]
fn continue_training_equals_uninterrupted_training() {
    for device in common::devices() {
        let mut full = compiled(11, &device);
        fit(&mut full, 4);

        // Through a .keras bundle.
        let dir = tmp();
        let path = dir.path().join("model.keras");
        let mut half = compiled(11, &device);
        fit(&mut half, 2);
        half.save(&path).unwrap();
        let mut loaded = saving::load_model_with(
            &path,
            &LoadOptions { device: Some(device.clone()), ..Default::default() },
        )
        .unwrap();
        let (x, y) = data();
        assert_eq!(host(half.predict(&x, 32, 0).unwrap()), host(loaded.predict(&x, 32, 0).unwrap()));
        let opt = loaded.optimizer().unwrap();
        assert_eq!(opt.class_name(), "Adam");
        assert_eq!(opt.iterations().unwrap(), 8);
        fit(&mut loaded, 2);
        assert_eq!(
            host(full.get_weights().unwrap()),
            host(loaded.get_weights().unwrap()),
            "{device:?} bundle"
        );
        let logs = loaded.evaluate(&x, &y, 32, 0).unwrap();
        assert!(logs.get("accuracy").is_some() && logs.get("loss").is_some());

        // Through save_weights / load_weights into a freshly compiled model.
        let wpath = dir.path().join("w.safetensors");
        let mut half = compiled(11, &device);
        fit(&mut half, 2);
        half.save_weights(&wpath).unwrap();
        let mut fresh = compiled(99, &device);
        fresh.load_weights(&wpath).unwrap();
        fit(&mut fresh, 2);
        assert_eq!(
            host(full.get_weights().unwrap()),
            host(fresh.get_weights().unwrap()),
            "{device:?} weights"
        );
    }
}

#[test]
fn bundle_layout_and_config() {
    let dir = tmp();
    let path = dir.path().join("m.keras");
    let mut m = compiled(5, &Device::Cpu);
    fit(&mut m, 1);
    m.save(&path).unwrap();
    let mut z = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let names: Vec<String> = z.file_names().map(|n| n.unwrap().to_string()).collect();
    assert_eq!(names, ["metadata.json", "config.json", "model.weights.safetensors"]);
    let read = |z: &mut zip::ZipArchive<std::fs::File>, n: &str| -> Value {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name(n).unwrap(), &mut s).unwrap();
        serde_json::from_str(&s).unwrap()
    };
    let meta = read(&mut z, "metadata.json");
    assert_eq!(meta["keras_version"], "3.15.1");
    assert!(meta["date_saved"].as_str().unwrap().contains('@'));
    let config = read(&mut z, "config.json");
    assert_eq!(config["class_name"], "Sequential");
    assert_eq!(config["build_config"]["input_shape"], serde_json::json!([null, 5]));
    let cc = &config["compile_config"];
    assert_eq!(cc["optimizer"]["class_name"], "Adam");
    assert_eq!(cc["loss"]["class_name"], "MeanSquaredError");
    assert_eq!(cc["metrics"], serde_json::json!(["accuracy"]));
    // serialize_keras_object gives the same config.
    let v = saving::serialize_keras_object(&m).unwrap();
    assert_eq!(v["compile_config"]["optimizer"]["class_name"], "Adam");
    let Deserialized::Model(m2) = saving::deserialize_keras_object(&v).unwrap() else { panic!("a model") };
    assert!(m2.optimizer().is_some());
}

#[test]
fn serialize_every_registry_family() {
    let cases = [
        (
            Family::Layer,
            serde_json::json!({"module": "keras.layers", "class_name": "Dense", "config": {"units": 4}, "registered_name": null, "build_config": {"input_shape": [null, 3]}}),
        ),
        (Family::Loss, serde_json::json!("mse")),
        (Family::Metric, serde_json::json!("mean")),
        (Family::Optimizer, serde_json::json!("sgd")),
        (Family::Initializer, serde_json::json!("glorot_uniform")),
        (Family::Activation, serde_json::json!("relu")),
        (Family::Regularizer, serde_json::json!("l2")),
        (Family::Constraint, serde_json::json!("non_neg")),
        (
            Family::Schedule,
            serde_json::json!({"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}, "registered_name": null}),
        ),
    ];
    for (family, id) in cases {
        let obj = wgkeras::frontend::registry::get(family, &id).unwrap();
        let v = saving::serialize_keras_object(&obj).unwrap();
        if v.is_object() {
            assert_eq!(v["module"], family.module(), "{family:?}: {v}");
        }
        let back = if v.is_object() {
            let Deserialized::Object(back) = saving::deserialize_keras_object(&v).unwrap() else { panic!() };
            back
        } else {
            // A bare name (an activation) needs its family, as Keras's module_objects.
            saving::deserialize_keras_object_in(family, &v).unwrap()
        };
        let v2 = saving::serialize_keras_object(&back).unwrap();
        assert_eq!(v, v2, "{family:?}");
        if let KerasObject::Layer(l) = &back {
            assert_eq!(l.weights().len(), 2, "built from build_config");
        }
    }
    let err =
        saving::deserialize_keras_object(&serde_json::json!({"module": "keras.nope", "class_name": "X"}));
    assert!(err.err_str().contains("keras.nope"));
}

#[test]
fn mismatches_and_bad_paths_are_errors() {
    let dir = tmp();
    let path = dir.path().join("w.weights.safetensors");
    let m = mlp(1, 8);
    m.save_weights(&path).unwrap();
    // Another hidden size: the shape mismatch names the key.
    let mut other = mlp(1, 4);
    let e = other.load_weights(&path).err_str();
    assert!(e.contains("layers/") && e.contains("shape") && e.contains("(5, 8)"), "{e}");
    // The model is untouched after a failed load (checked before assigning).
    let before = host(other.get_weights().unwrap());
    assert_eq!(before, host(other.get_weights().unwrap()));
    // A deeper model: the file lacks the third layer's weights.
    set_random_seed(1);
    let layers: Vec<LayerRef> = vec![
        Dense::new(8, Some("relu")).unwrap().into(),
        Dense::new(3, None).unwrap().into(),
        Dense::new(3, None).unwrap().into(),
    ];
    let mut deeper = Model::sequential_with(&[5], layers).unwrap();
    let e = deeper.load_weights(&path).err_str();
    assert!(e.contains("the file has no"), "{e}");
    // A shallower model: the file has extra variables.
    set_random_seed(1);
    let mut shallow = Model::sequential_with(&[5], vec![Dense::new(8, None).unwrap().into()]).unwrap();
    let e = shallow.load_weights(&path).err_str();
    assert!(e.contains("does not"), "{e}");
    // Paths.
    let m2 = mlp(1, 8);
    assert!(m2.save_weights(dir.path().join("w.h5")).err_str().contains(".safetensors"));
    assert!(other.load_weights(dir.path().join("w.bin")).err_str().contains(".safetensors"));
    let e = m2.save(dir.path().join("m.h6")).err_str();
    assert!(e.contains("Invalid filepath extension for saving"), "{e}");
    let e = saving::load_model(dir.path().join("m.bin")).err_str();
    assert!(e.contains("File format not supported"), "{e}");
    let e = saving::load_model(dir.path().join("missing.keras")).err_str();
    assert!(e.contains("File not found"), "{e}");
}

/// A custom layer: `x * factor`.
struct Scale {
    common: LayerCommon,
    factor: f64,
}

impl Layer for Scale {
    fn class_name(&self) -> &'static str {
        "Scale"
    }
    fn common(&self) -> &LayerCommon {
        &self.common
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("factor".into(), self.factor.into());
        m
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(input_shapes.to_vec())
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        Ok(vec![inputs[0].mul_scalar(self.factor)?])
    }
}

fn scale_from_config(c: &Map<String, Value>) -> Result<LayerRef> {
    let name = c.get("name").and_then(Value::as_str);
    let factor = c.get("factor").and_then(Value::as_f64).unwrap_or(1.0);
    Ok(Scale { common: LayerCommon::new("Scale", name), factor }.into())
}

#[test]
fn custom_classes_need_a_scope_or_unsafe_mode() {
    saving::register_keras_serializable("MyPackage", "Scale", scale_from_config).unwrap();
    assert!(saving::register_keras_serializable("MyPackage", "Scale", scale_from_config).is_err());
    assert_eq!(saving::get_registered_name("Scale").as_deref(), Some("MyPackage>Scale"));
    set_random_seed(3);
    let scale: LayerRef = Scale { common: LayerCommon::new("Scale", Some("scale")), factor: 2.5 }.into();
    let mut m = Model::sequential_with(&[5], vec![Dense::new(3, None).unwrap().into(), scale]).unwrap();
    let dir = tmp();
    let path = dir.path().join("custom.keras");
    m.save(&path).unwrap();
    let (x, _) = data();
    let want = host(m.predict(&x, 32, 0).unwrap());
    let cpu = LoadOptions { device: Some(Device::Cpu), ..Default::default() };
    // Safe mode (the default) refuses the registered class, naming it.
    let e = saving::load_model_with(&path, &cpu).err_str();
    assert!(e.contains("\"Scale\"") && e.contains("safe mode"), "{e}");
    // A scope vouches for it.
    {
        let _scope = CustomObjectScope::with("MyPackage>Scale", scale_from_config);
        let mut l = saving::load_model_with(&path, &cpu).unwrap();
        assert_eq!(host(l.predict(&x, 32, 0).unwrap()), want);
    }
    assert!(saving::load_model_with(&path, &cpu).is_err(), "the scope ended");
    // safe_mode=false.
    let mut l =
        saving::load_model_with(&path, &LoadOptions { safe_mode: Some(false), ..cpu.clone() }).unwrap();
    assert_eq!(host(l.predict(&x, 32, 0).unwrap()), want);
    {
        let _s = SafeModeScope::new(false);
        assert!(saving::load_model_with(&path, &cpu).is_ok());
    }
    // The global switch.
    wgkeras::frontend::config::enable_unsafe_deserialization();
    assert!(saving::load_model_with(&path, &cpu).is_ok());
    wgkeras::frontend::config::clear_session(false);
    assert!(saving::load_model_with(&path, &cpu).is_err());
    // An unknown class is refused whatever the mode, naming it.
    let mut cfg = saving::serialize_keras_object(&m).unwrap();
    cfg["config"]["layers"][2]["class_name"] = "Mystery".into();
    cfg["config"]["layers"][2]["registered_name"] = Value::Null;
    let _s = SafeModeScope::new(false);
    let e = saving::deserialize_keras_object(&cfg).err_str();
    assert!(e.contains("\"Mystery\""), "{e}");
}

#[test]
fn a_failed_save_leaves_the_previous_file() {
    let dir = tmp();
    let path = dir.path().join("m.keras");
    let mut good = compiled(1, &Device::Cpu);
    fit(&mut good, 1);
    good.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // The shared writer fails mid-write: the old file stays, no temporary file is left.
    let r = wgkeras::frontend::utils::files::write_atomically("test", &path, |w| {
        w.write_all(b"partial garbage").map_err(|e| e.to_string())?;
        Err("disk full".into())
    });
    assert!(r.err_str().contains("disk full"));
    assert!(std::fs::read(&path).unwrap() == before);
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
    // A save whose rename fails (the target is a folder) leaves the folder and no temporary.
    let folder = dir.path().join("taken.keras");
    std::fs::create_dir(&folder).unwrap();
    assert!(good.save(&folder).is_err());
    assert!(folder.is_dir());
    assert!(leftovers(dir.path()).is_empty(), "{:?}", leftovers(dir.path()));
    assert!(std::fs::read(&path).unwrap() == before);
    let mut l =
        saving::load_model_with(&path, &LoadOptions { device: Some(Device::Cpu), ..Default::default() })
            .unwrap();
    let (x, _) = data();
    assert_eq!(host(l.predict(&x, 32, 0).unwrap()), host(good.predict(&x, 32, 0).unwrap()));
}

fn zip_of(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, deflate) in members {
        let method = if *deflate { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
        z.start_file(*name, zip::write::SimpleFileOptions::default().compression_method(method)).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[test]
fn corrupt_truncated_and_hostile_files_are_errors() {
    let cpu = LoadOptions { device: Some(Device::Cpu), ..Default::default() };
    let m = compiled(1, &Device::Cpu);
    let good = {
        let dir = tmp();
        let p = dir.path().join("m.keras");
        m.save(&p).unwrap();
        std::fs::read(p).unwrap()
    };
    assert!(saving::load_model_from_bytes(&good, &cpu).is_ok());
    // Every truncation.
    for n in (0..good.len()).step_by(97) {
        assert!(saving::load_model_from_bytes(&good[..n], &cpu).is_err(), "truncated at {n}");
    }
    // Flipped bytes: an error or a model, never a panic.
    let mut rng = common::Rng::new(3);
    for _ in 0..300 {
        let mut b = good.clone();
        let i = rng.below(b.len());
        b[i] ^= 1 << rng.below(8);
        let _ = saving::load_model_from_bytes(&b, &cpu);
    }
    let weights = m.weights_to_bytes().unwrap();
    let config = saving::serialize_keras_object(&m).unwrap().to_string();
    // Bad JSON, deeply nested JSON, a config that is no model.
    for bad in [b"{not json".to_vec(), "[".repeat(100_000).into_bytes(), b"{\"class_name\": 3}".to_vec()] {
        let z = zip_of(&[("config.json", &bad, false), ("model.weights.safetensors", &weights, false)]);
        assert!(saving::load_model_from_bytes(&z, &cpu).is_err());
    }
    // Missing members.
    let z = zip_of(&[("config.json", config.as_bytes(), false)]);
    assert!(saving::load_model_from_bytes(&z, &cpu).err_str().contains("model.weights"));
    // A zip bomb: a config decompressing to more than the cap.
    let zeros = vec![b' '; (64 << 20) + 1];
    let z = zip_of(&[("config.json", &zeros, true), ("model.weights.safetensors", &weights, false)]);
    assert!(z.len() < 1 << 20);
    let e = saving::load_model_from_bytes(&z, &cpu).err_str();
    assert!(e.contains("over the limit"), "{e}");
    // Weights files: garbage, truncated, a huge declared header, a huge declared shape.
    let mut target = compiled(1, &Device::Cpu);
    for n in (0..weights.len()).step_by(13) {
        assert!(target.load_weights_from_bytes(&weights[..n]).is_err(), "weights truncated at {n}");
    }
    let mut huge_header = (u64::MAX / 2).to_le_bytes().to_vec();
    huge_header.extend(b"{}");
    assert!(target.load_weights_from_bytes(&huge_header).is_err());
    let header =
        br#"{"layers/dense/vars/0":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#;
    let mut huge_shape = (header.len() as u64).to_le_bytes().to_vec();
    huge_shape.extend(header);
    huge_shape.extend([0u8; 16]);
    assert!(target.load_weights_from_bytes(&huge_shape).is_err());
    assert!(target.load_weights_from_bytes(b"").is_err());
    target.load_weights_from_bytes(&weights).unwrap();
}

/// Writes the fuzz corpus seeds (`cargo test --release --test saving -- --ignored write_fuzz_seeds`):
/// a valid input for each target in fuzz/.
#[test]
#[ignore]
fn write_fuzz_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let d = root.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    };
    let mut m = Model::sequential_with(&[4], vec![Dense::new(3, None).unwrap().into()]).unwrap();
    m.compile(CompileArgs::new("adam", "mse").device(Device::Cpu)).unwrap();
    write("weights", "seed", &m.weights_to_bytes().unwrap());
    let dir = tmp();
    let p = dir.path().join("m.keras");
    let mut big = compiled(1, &Device::Cpu);
    fit(&mut big, 1);
    big.save(&p).unwrap();
    write("bundle", "seed", &std::fs::read(&p).unwrap());
    write("model_json", "seed", saving::serialize_keras_object(&big).unwrap().to_string().as_bytes());
    let x = input(&[3]);
    let d = LayerRef::from(Dense::new(2, None).unwrap());
    let y = d.call(&x).unwrap();
    let f = Model::functional(&[x], &[y], None).unwrap();
    write("model_json", "seed_functional", f.to_json().unwrap().as_bytes());
    let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3], &Device::Cpu).unwrap();
    let npy = wgkeras::frontend::utils::npy::NpyArray::from_tensor(&t).unwrap();
    write("npy", "seed", &npy.to_npy_bytes());
}

/// `predict` on a model that was never compiled sets up a forward pass only: the model still
/// reports no optimizer and no compile config, saves as uncompiled, and refuses to `fit`.
#[test]
fn predict_does_not_compile_the_model_for_the_user() {
    let mut m = Model::sequential_with(&[3], vec![Dense::new(2, None).unwrap().into()]).unwrap();
    let x = Tensor::from_vec(vec![0.5f32; 6], &[2, 3], &Device::Cpu).unwrap();
    m.predict(&x, 2, 0).unwrap();
    assert!(m.optimizer().is_none());
    assert!(m.compile_config().is_none());
    let e = m.fit(&x, &x, Default::default()).err().expect("fit needs compile").to_string();
    assert!(e.contains("compile"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.keras");
    m.save(&path).unwrap();
    let loaded = wgkeras::frontend::saving::load_model(&path).unwrap();
    assert!(loaded.optimizer().is_none());
}
