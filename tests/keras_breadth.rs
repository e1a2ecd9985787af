//! Issue 4's "done when": a Keras-written JSON model that uses many standard pieces (layers,
//! activations, initializers, regularizers, constraints) loads, compiles with an optimizer that
//! has a learning-rate schedule and a focal loss given as Keras serialized objects, and trains
//! on every backend. Keras's exact numbers for this model are the `model_fit` cases of
//! tests/conformance/model_fit_breadth.json (tools/refgen/model_fit_breadth.py).

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::models::{CompileArgs, FitArgs};
use wgkeras::frontend::Model;
use wgkeras::runtime::{DType, Device, Tensor};

const MODEL: &str = include_str!("data/keras_json/breadth_model.json");

/// Every `class_name` in a Keras JSON document, by module (`keras.layers`, `keras.regularizers`).
fn classes(v: &Value, out: &mut BTreeSet<(String, String)>) {
    match v {
        Value::Object(o) => {
            if let (Some(Value::String(m)), Some(Value::String(c))) = (o.get("module"), o.get("class_name")) {
                out.insert((m.clone(), c.clone()));
            }
            for (k, item) in o {
                if let ("activation", Value::String(name)) = (k.as_str(), item) {
                    out.insert(("keras.activations".into(), name.clone()));
                }
                classes(item, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| classes(i, out)),
        _ => {}
    }
}

fn data(n: usize, device: &Device) -> (Vec<Tensor>, Tensor) {
    let mut rng = Rng::new(7);
    let x1 = rand_tensor(&mut rng, &[n, 6], -1.0, 1.0, DType::F32, device).to_device(&Device::Cpu).unwrap();
    let ids: Vec<i32> = (0..n * 4).map(|i| ((i * 7 + i / 3) % 10) as i32).collect();
    let x2 = Tensor::from_vec(ids, &[n, 4], &Device::Cpu).unwrap();
    // A learnable target: the class of the largest of the first three features.
    let xv = x1.to_vec_f64().unwrap();
    let mut y = vec![0f32; n * 3];
    for i in 0..n {
        let row = &xv[i * 6..i * 6 + 3];
        let k = (0..3).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        y[i * 3 + k] = 1.0;
    }
    (vec![x1, x2], Tensor::from_vec(y, &[n, 3], &Device::Cpu).unwrap())
}

#[test]
fn the_keras_json_model_names_many_standard_pieces_and_loads() {
    let doc: Value = serde_json::from_str(MODEL).unwrap();
    let mut found = BTreeSet::new();
    classes(&doc, &mut found);
    let pieces: Vec<_> = found
        .iter()
        .filter(|(m, c)| m != "keras" && !matches!(c.as_str(), "InputLayer" | "Functional" | "DTypePolicy"))
        .collect();
    assert!(pieces.len() >= 10, "only {} pieces: {pieces:?}", pieces.len());
    let model = Model::from_json(MODEL).unwrap();
    let layer_classes: BTreeSet<&str> = model.layers().iter().map(|l| l.class_name()).collect();
    for (m, c) in &found {
        if m == "keras.layers" && c != "InputLayer" {
            assert!(layer_classes.contains(c.as_str()), "{c} missing from the loaded model");
        }
    }
    // The config survives a round trip through wgkeras's own JSON.
    let again = Model::from_json(&model.to_json().unwrap()).unwrap();
    assert_eq!(again.count_params(), model.count_params());
}

#[test]
fn the_keras_json_model_trains_on_every_backend() {
    let optimizer = json!({
        "module": "keras.optimizers", "class_name": "AdamW", "registered_name": null,
        "config": {
            "name": "adam_w", "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
            "amsgrad": false, "clipnorm": null, "global_clipnorm": null, "clipvalue": null,
            "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null,
            "loss_scale_factor": null, "gradient_accumulation_steps": null,
            "learning_rate": {
                "module": "keras.optimizers.schedules", "class_name": "CosineDecay", "registered_name": null,
                "config": {"initial_learning_rate": 0.005, "decay_steps": 40, "alpha": 0.1, "name": "CosineDecay",
                           "warmup_target": 0.02, "warmup_steps": 8}
            }
        }
    });
    let loss = json!({
        "module": "keras.losses", "class_name": "CategoricalFocalCrossentropy", "registered_name": null,
        "config": {"name": "categorical_focal_crossentropy", "reduction": "sum_over_batch_size",
                   "alpha": 0.25, "gamma": 2.0, "from_logits": false, "label_smoothing": 0.0, "axis": -1}
    });
    let mut finals = vec![];
    for device in devices() {
        wgkeras::frontend::utils::rng::set_random_seed(3);
        let mut model = Model::from_json(MODEL).unwrap();
        model
            .compile(
                CompileArgs::new(optimizer.clone(), loss.clone())
                    .metrics(&["accuracy"])
                    .device(device.clone()),
            )
            .unwrap();
        let (x, y) = data(64, &device);
        let fit = FitArgs { batch_size: 16, epochs: 10, shuffle: false, verbose: 0, ..Default::default() };
        let history = model.fit(x.clone(), y.clone(), fit).unwrap();
        let loss = history.get("loss").unwrap();
        assert!(loss.iter().all(|l| l.is_finite()), "{}: {loss:?}", device.name());
        assert!(loss[loss.len() - 1] < 0.8 * loss[0], "{}: the loss did not fall: {loss:?}", device.name());
        let p = model.predict(x, 32, 0).unwrap().remove(0).to_vec_f64().unwrap();
        for row in p.chunks(3) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-4, "{}: {row:?}", device.name());
        }
        finals.push((device.name(), loss.to_vec()));
    }
    if let [(_, cpu), (gpu_name, gpu)] = &finals[..] {
        for (a, b) in cpu.iter().zip(gpu) {
            assert!((a - b).abs() <= 1e-3 * a.abs().max(1e-3), "cpu {cpu:?} vs {gpu_name} {gpu:?}");
        }
    }
}
