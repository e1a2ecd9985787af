//! Training throughput of the anchor's MLP (`../shared/anchors/keras_mlp.py`): 784-256-256-10,
//! Adam, sparse categorical crossentropy, accuracy, 60000 synthetic MNIST-shaped samples.
//!
//! `cargo run --release --example bench_mlp -- [--device cpu|gpu] [--batch B] [--epochs E]`
//! (defaults: the best device, batch 128, 2 epochs). A one-epoch warm-up on 10 batches comes
//! first, as in the anchor. Prints the per-step time and the train step's launch count, and
//! `samples_per_s=<value>` last.

use std::time::Instant;

use wgkeras::frontend::layers::{Dense, LayerRef};
use wgkeras::frontend::models::{CompileArgs, FitArgs};
use wgkeras::frontend::utils::rng::set_random_seed;
use wgkeras::frontend::Model;
use wgkeras::ops;
use wgkeras::runtime::{DType, Device, Tensor};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let get = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let batch: usize = get("--batch").and_then(|v| v.parse().ok()).unwrap_or(128);
    let epochs: usize = get("--epochs").and_then(|v| v.parse().ok()).unwrap_or(2);
    let device = match get("--device").as_deref() {
        Some("cpu") => Device::Cpu,
        Some("gpu") => Device::gpu()?,
        Some(other) => return Err(format!("--device must be cpu or gpu, not {other}").into()),
        None => Device::auto(),
    };
    set_random_seed(0);
    let n = 60000;
    let x = ops::random::uniform(&[n, 784], 0.0, 1.0, DType::F32, 1, &Device::Cpu)?;
    let y = ops::random::randint(&[n], 0, 10, DType::I32, 2, &Device::Cpu)?;
    let layers: Vec<LayerRef> = vec![
        Dense::new(256, Some("relu"))?.into(),
        Dense::new(256, Some("relu"))?.into(),
        Dense::new(10, Some("softmax"))?.into(),
    ];
    let mut model = Model::sequential_with(&[784], layers)?;
    model.compile(
        CompileArgs::new("adam", "sparse_categorical_crossentropy")
            .metrics(&["accuracy"])
            .device(device.clone()),
    )?;
    let take = |t: &Tensor, rows: usize| -> Result<Tensor, Box<dyn std::error::Error>> {
        let mut shape: Vec<i64> = t.dims().iter().map(|&d| d as i64).collect();
        shape[0] = rows as i64;
        Ok(ops::slice(t, &vec![0; t.rank()], &shape)?)
    };
    let warm = (batch * 10).min(n);
    model.fit(
        take(&x, warm)?,
        take(&y, warm)?,
        FitArgs { batch_size: batch, epochs: 1, verbose: 0, ..Default::default() },
    )?;
    device.synchronize()?;
    let t = Instant::now();
    let history =
        model.fit(&x, &y, FitArgs { batch_size: batch, epochs, verbose: 0, ..Default::default() })?;
    device.synchronize()?;
    let dt = t.elapsed().as_secs_f64();
    let steps = epochs * n.div_ceil(batch);
    println!(
        "device={} batch={batch} epochs={epochs} launches_per_step={} loss={:.4} step_ms={:.3}",
        device.name(),
        model.train_step_launches(batch).unwrap_or(0),
        history.get("loss").and_then(|l| l.last().copied()).unwrap_or(f64::NAN),
        dt / steps as f64 * 1000.0
    );
    println!("samples_per_s={:.0}", (n * epochs) as f64 / dt);
    Ok(())
}
