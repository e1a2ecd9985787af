//! End to end: the README's main job (examples/digits.rs) reaches its stated accuracy on every
//! backend: a 64-128-10 MLP, Adam, 50 epochs of batch 32 on the 80/20 split, test accuracy >= 0.97.

mod common;

use wgkeras::frontend::datasets::digits;
use wgkeras::frontend::layers::{Dense, LayerRef};
use wgkeras::frontend::models::{CompileArgs, FitArgs};
use wgkeras::frontend::utils::rng::set_random_seed;
use wgkeras::frontend::Model;
use wgkeras::runtime::Device;

/// The tests seed the global generator: run them one at a time so that neither draws from the
/// other's sequence (the test harness runs tests on parallel threads).
static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The main job's model, seeded, compiled on `device`.
fn digits_mlp(device: &Device) -> Model {
    set_random_seed(42);
    let layers: Vec<LayerRef> =
        vec![Dense::new(128, Some("relu")).unwrap().into(), Dense::new(10, Some("softmax")).unwrap().into()];
    let mut model = Model::sequential_with(&[64], layers).unwrap();
    model
        .compile(
            CompileArgs::new("adam", "sparse_categorical_crossentropy")
                .metrics(&["accuracy"])
                .device(device.clone()),
        )
        .unwrap();
    model
}

#[test]
fn digits_mlp_reaches_97_percent_on_every_backend() {
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let (train, test) = digits::load_data().unwrap().split(0.2, Some(0)).unwrap();
    let (x, y) = train.tensors(1.0 / 16.0, &Device::Cpu).unwrap();
    let (xt, yt) = test.tensors(1.0 / 16.0, &Device::Cpu).unwrap();
    for device in common::devices() {
        let mut model = digits_mlp(&device);
        let history = model
            .fit(&x, &y, FitArgs { batch_size: 32, epochs: 50, verbose: 0, ..Default::default() })
            .unwrap();
        let losses = history.get("loss").unwrap();
        assert!(
            losses[49] < losses[0] / 5.0,
            "{device:?}: the loss fell from {} to {}",
            losses[0],
            losses[49]
        );
        let logs = model.evaluate(&xt, &yt, 32, 0).unwrap();
        let acc = logs.get("accuracy").unwrap();
        println!("{device:?}: test_accuracy={acc:.4}");
        assert!(acc >= 0.97, "{device:?}: test accuracy {acc}");
    }
}

/// The main job's `--save` / `--evaluate`: a saved digits model evaluates to the accuracy it had
/// when saved, on every backend.
#[test]
fn digits_model_saved_and_loaded_evaluates_the_same() {
    let _one_at_a_time = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    use wgkeras::frontend::saving::{load_model_with, LoadOptions};
    let (train, test) = digits::load_data().unwrap().split(0.2, Some(0)).unwrap();
    let (x, y) = train.tensors(1.0 / 16.0, &Device::Cpu).unwrap();
    let (xt, yt) = test.tensors(1.0 / 16.0, &Device::Cpu).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for device in common::devices() {
        let mut model = digits_mlp(&device);
        model.fit(&x, &y, FitArgs { batch_size: 32, epochs: 3, verbose: 0, ..Default::default() }).unwrap();
        let acc = model.evaluate(&xt, &yt, 32, 0).unwrap().get("accuracy").unwrap();
        let path = dir.path().join("digits.keras");
        model.save(&path).unwrap();
        let mut loaded =
            load_model_with(&path, &LoadOptions { device: Some(device.clone()), ..Default::default() })
                .unwrap();
        let acc2 = loaded.evaluate(&xt, &yt, 32, 0).unwrap().get("accuracy").unwrap();
        assert_eq!(acc, acc2, "{device:?}");
    }
}
