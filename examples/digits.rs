//! The main job: a 64-128-10 MLP trained on the digits data shipped with wgkeras (1797 8x8
//! images), 80/20 split, on the best device available (`WGKERAS_DEVICE=cpu|gpu|auto` chooses).
//!
//! `cargo run --release --example digits [-- --epochs N] [--save PATH.keras]`
//! Prints Keras's progress output, then `test_accuracy=<value>` last. `--save PATH` writes the
//! trained model (`model.save`, a `.keras` bundle).
//!
//! `cargo run --release --example digits -- --evaluate PATH.keras` loads a saved model instead
//! of training one and prints its `test_accuracy=<value>` on the same test split (the value
//! printed when it was saved).

use wgkeras::frontend::datasets::digits;
use wgkeras::frontend::layers::{Dense, LayerRef};
use wgkeras::frontend::models::{CompileArgs, FitArgs};
use wgkeras::frontend::saving::{load_model_with, LoadOptions};
use wgkeras::frontend::utils::rng::set_random_seed;
use wgkeras::frontend::Model;
use wgkeras::runtime::Device;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let value_of = |flag: &str| -> Result<Option<&String>, String> {
        match args.iter().position(|a| a == flag) {
            None => Ok(None),
            Some(i) => args.get(i + 1).map(Some).ok_or_else(|| format!("{flag} needs a value")),
        }
    };
    let epochs = match value_of("--epochs")? {
        None => 50,
        Some(v) => v.parse().map_err(|_| format!("--epochs: not a number: {v:?}"))?,
    };
    let save = value_of("--save")?.cloned();
    let evaluate = value_of("--evaluate")?.cloned();
    let choice = Device::choose()?;
    println!("device: {} ({})", choice.device.name(), choice.reason);
    set_random_seed(42);

    let (train, test) = digits::load_data()?.split(0.2, Some(0))?;
    let (x_train, y_train) = train.tensors(1.0 / 16.0, &Device::Cpu)?;
    let (x_test, y_test) = test.tensors(1.0 / 16.0, &Device::Cpu)?;

    if let Some(path) = evaluate {
        let options = LoadOptions { device: Some(choice.device.clone()), ..Default::default() };
        let mut model = load_model_with(&path, &options)?;
        println!("loaded {path}");
        let logs = model.evaluate(&x_test, &y_test, 32, 1)?;
        println!("test_loss={:.4}", logs.get("loss").unwrap_or(f64::NAN));
        println!("test_accuracy={:.4}", logs.get("accuracy").unwrap_or(f64::NAN));
        return Ok(());
    }

    let layers: Vec<LayerRef> =
        vec![Dense::new(128, Some("relu"))?.into(), Dense::new(digits::CLASSES, Some("softmax"))?.into()];
    let mut model = Model::sequential_with(&[digits::PIXELS], layers)?;
    model.compile(
        CompileArgs::new("adam", "sparse_categorical_crossentropy")
            .metrics(&["accuracy"])
            .device(choice.device.clone()),
    )?;
    model.summary();
    model.fit(&x_train, &y_train, FitArgs { batch_size: 32, epochs, verbose: 2, ..Default::default() })?;
    let logs = model.evaluate(&x_test, &y_test, 32, 1)?;
    if let Some(path) = save {
        model.save(&path)?;
        println!("saved {path}");
    }
    println!("test_loss={:.4}", logs.get("loss").unwrap_or(f64::NAN));
    println!("test_accuracy={:.4}", logs.get("accuracy").unwrap_or(f64::NAN));
    Ok(())
}
