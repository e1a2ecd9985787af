//! Optimizers (SGD, Adam, RMSprop): configs and registry as Keras, bad configs refused, lazily
//! created slots, repeated steps against a host reference, the learning rate variable read by a
//! compiled update, and CPU/GPU agreement (the Keras numbers are in the conformance cases).

#![allow(clippy::cloned_ref_to_slice_refs, clippy::too_many_arguments)]

mod common;

/// GPU capture is device-wide (other threads' launches would be captured, their readbacks
/// refused): the tests of this file that use the GPU run one at a time.
static GPU_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn gpu_lock() -> std::sync::MutexGuard<'static, ()> {
    GPU_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

use common::*;
use serde_json::{json, Value};
use wgkeras::frontend::graph::plan::PlanOptions;
use wgkeras::frontend::graph::{static_shape, Plan};
use wgkeras::frontend::optimizers::{
    self, apply_gradients_eager, Adam, AdamOptions, Optimizer, OptimizerOptions, RMSprop, RMSpropOptions,
    SgdOptions, SGD,
};
use wgkeras::frontend::{Graph, Variable};
use wgkeras::runtime::{DType, Device, Tensor};

fn err_of<T>(r: wgkeras::frontend::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

fn without_name(mut c: serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    c.remove("name");
    c
}

#[test]
fn default_configs_are_keras() {
    let common = json!({"learning_rate": 0.0010000000474974513, "weight_decay": null, "clipnorm": null,
        "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99,
        "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null});
    let with = |extra: Value, lr: f64| {
        let mut m = common.as_object().unwrap().clone();
        m.insert("learning_rate".into(), json!(lr));
        m.extend(extra.as_object().unwrap().clone());
        m
    };
    let sgd = SGD::new(SgdOptions::default()).unwrap();
    assert_eq!(
        without_name(sgd.config()),
        with(json!({"momentum": 0.0, "nesterov": false}), 0.009999999776482582)
    );
    let adam = Adam::new(AdamOptions::default()).unwrap();
    assert_eq!(
        without_name(adam.config()),
        with(
            json!({"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": false}),
            0.0010000000474974513
        )
    );
    let rms = RMSprop::new(RMSpropOptions::default()).unwrap();
    assert_eq!(
        without_name(rms.config()),
        with(json!({"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": false}), 0.0010000000474974513)
    );
    assert!(rms.name().starts_with("rm_sprop"), "{}", rms.name());
    assert!(adam.name().starts_with("adam"), "{}", adam.name());
}

#[test]
fn get_by_name_and_serialized_roundtrip() {
    for (id, class) in
        [("adam", "Adam"), ("ADAM", "Adam"), ("Sgd", "SGD"), ("rmsprop", "RMSprop"), ("RMSprop", "RMSprop")]
    {
        let o = optimizers::get(&json!(id)).unwrap();
        assert_eq!(o.class_name(), class);
    }
    let a = Adam::new(AdamOptions {
        learning_rate: 0.02,
        amsgrad: true,
        common: OptimizerOptions {
            clipnorm: Some(1.5),
            weight_decay: Some(0.01),
            name: Some("my_adam".into()),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let ser = optimizers::serialize(&a);
    assert_eq!(ser["module"], "keras.optimizers");
    assert_eq!(ser["config"]["name"], "my_adam");
    let b = optimizers::get(&ser).unwrap();
    assert_eq!(b.config(), a.config());
    // Keras configs as a Keras JSON file holds them.
    let sgd = optimizers::get(&json!({"module": "keras.optimizers", "class_name": "SGD",
        "config": {"name": "sgd_7", "learning_rate": 0.05, "momentum": 0.9, "nesterov": true}, "registered_name": null}))
    .unwrap();
    assert_eq!(sgd.config()["momentum"], 0.9);
    assert_eq!(sgd.config()["learning_rate"], 0.05000000074505806);
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let e = err_of(optimizers::get(&json!("foo")));
    assert!(e.contains("foo") && e.contains("adam") && e.contains("rmsprop") && e.contains("sgd"), "{e}");
    let e = err_of(optimizers::get(&json!("AdamW")));
    assert!(e.contains("not implemented") && e.contains("adam"), "{e}");
    let e = err_of(optimizers::get(&json!(3)));
    assert!(e.contains("optimizers.get"), "{e}");
}

#[test]
fn bad_configs_name_the_class_and_key() {
    let get = |class: &str, config: Value| optimizers::get(&json!({"class_name": class, "config": config}));
    let e = err_of(get("Adam", json!({"learning_rat": 0.1})));
    assert!(e.contains("Adam") && e.contains("learning_rat"), "{e}");
    // Adam has no momentum argument.
    let e = err_of(get("Adam", json!({"momentum": 0.5})));
    assert!(e.contains("Adam") && e.contains("momentum"), "{e}");
    // Keras requires a float learning rate (an int or null is refused).
    let e = err_of(get("SGD", json!({"learning_rate": 1})));
    assert!(e.contains("SGD") && e.contains("learning_rate"), "{e}");
    let e = err_of(get("SGD", json!({"learning_rate": null})));
    assert!(e.contains("learning_rate"), "{e}");
    let e = err_of(get("SGD", json!({"learning_rate": {"class_name": "ExponentialDecay", "config": {}}})));
    assert!(e.contains("learning_rate") && e.contains("schedule"), "{e}");
    // A negative learning rate is accepted, as Keras does.
    assert!(get("SGD", json!({"learning_rate": -0.1})).is_ok());
    // SGD momentum must be a float in [0, 1].
    for m in [json!(1.5), json!(-0.1), json!(0)] {
        let e = err_of(get("SGD", json!({"momentum": m})));
        assert!(e.contains("SGD") && e.contains("momentum"), "{e}");
    }
    // Only one clip option.
    for cfg in [
        json!({"clipnorm": 1.0, "clipvalue": 1.0}),
        json!({"clipnorm": 1.0, "global_clipnorm": 1.0}),
        json!({"global_clipnorm": 1.0, "clipvalue": 0.5}),
    ] {
        let e = err_of(get("RMSprop", cfg));
        assert!(
            e.contains("RMSprop") && e.contains("only one of `clipnorm`, `clipvalue` and `global_clipnorm`"),
            "{e}"
        );
    }
    // Not supported yet: each names its key.
    let e = err_of(get("Adam", json!({"use_ema": true})));
    assert!(e.contains("use_ema"), "{e}");
    let e = err_of(get("Adam", json!({"use_ema": true, "ema_momentum": 2.0})));
    assert!(e.contains("ema_momentum"), "{e}");
    let e = err_of(get("Adam", json!({"gradient_accumulation_steps": 4})));
    assert!(e.contains("gradient_accumulation_steps") && e.contains("not supported"), "{e}");
    let e = err_of(get("Adam", json!({"gradient_accumulation_steps": 1})));
    assert!(e.contains("gradient_accumulation_steps") && e.contains(">= 2"), "{e}");
    let e = err_of(get("Adam", json!({"loss_scale_factor": 128.0})));
    assert!(e.contains("loss_scale_factor"), "{e}");
    // Wrong types.
    let e = err_of(get("Adam", json!({"amsgrad": "yes"})));
    assert!(e.contains("amsgrad"), "{e}");
    let e = err_of(get("Adam", json!({"clipnorm": "1"})));
    assert!(e.contains("clipnorm"), "{e}");
    // Keras ignores the old `decay` argument.
    assert!(get("Adam", json!({"decay": 0.0})).is_ok());
    // Rust constructors check the same things.
    assert!(SGD::new(SgdOptions { momentum: 2.0, ..Default::default() }).is_err());
    assert!(Adam::new(AdamOptions { learning_rate: f64::NAN, ..Default::default() }).is_err());
}

fn var(name: &str, dims: &[usize], rng: &mut Rng, device: &Device) -> Variable {
    Variable::new(name, rand_tensor(rng, dims, -1.0, 1.0, DType::F32, device), true)
}

fn names(vs: &[Variable]) -> Vec<String> {
    vs.iter().map(|v| v.name().to_string()).collect()
}

#[test]
fn slots_are_created_lazily_in_keras_order() {
    let mut rng = Rng::new(7);
    let opt = Adam::new(AdamOptions { amsgrad: true, ..Default::default() }).unwrap();
    assert_eq!(names(&opt.variables()), ["iteration", "learning_rate"]);
    let a = var("a", &[2], &mut rng, &Device::Cpu);
    let b = var("b", &[3, 1], &mut rng, &Device::Cpu);
    let ga = rand_tensor(&mut rng, &[2], -1.0, 1.0, DType::F32, &Device::Cpu);
    let gb = rand_tensor(&mut rng, &[3, 1], -1.0, 1.0, DType::F32, &Device::Cpu);
    apply_gradients_eager(&opt, &[a.clone(), b.clone()], &[ga.clone(), gb.clone()]).unwrap();
    assert_eq!(
        names(&opt.variables()),
        [
            "iteration",
            "learning_rate",
            "a_momentum",
            "a_velocity",
            "b_momentum",
            "b_velocity",
            "a_velocity_hat",
            "b_velocity_hat"
        ]
    );
    for v in &opt.variables()[2..] {
        assert_eq!(v.dtype(), DType::F32);
        assert!(!v.trainable());
    }
    assert_eq!(opt.variables()[4].dims(), vec![3, 1]);
    // A variable seen later gets its slots then; the others keep theirs.
    let m_a = opt.variables()[2].value().to_vec_f32().unwrap();
    let c = var("c", &[4], &mut rng, &Device::Cpu);
    let gc = rand_tensor(&mut rng, &[4], -1.0, 1.0, DType::F32, &Device::Cpu);
    apply_gradients_eager(&opt, &[c.clone()], &[gc]).unwrap();
    assert_eq!(opt.variables().len(), 2 + 3 * 3);
    assert_eq!(opt.variables()[2].value().to_vec_f32().unwrap(), m_a);
    assert_eq!(opt.iterations().unwrap(), 2);
    // SGD without momentum has no slots; with momentum one per variable.
    let sgd = SGD::new(SgdOptions::default()).unwrap();
    apply_gradients_eager(&sgd, &[a.clone()], &[ga.clone()]).unwrap();
    assert_eq!(names(&sgd.variables()), ["iteration", "learning_rate"]);
    let sgd = SGD::new(SgdOptions { momentum: 0.5, ..Default::default() }).unwrap();
    apply_gradients_eager(&sgd, &[a.clone(), b.clone()], &[ga.clone(), gb.clone()]).unwrap();
    assert_eq!(names(&sgd.variables()), ["iteration", "learning_rate", "a_momentum", "b_momentum"]);
    let rms = RMSprop::new(RMSpropOptions { momentum: 0.3, centered: true, ..Default::default() }).unwrap();
    apply_gradients_eager(&rms, &[a.clone(), b.clone()], &[ga, gb]).unwrap();
    assert_eq!(
        names(&rms.variables()),
        [
            "iteration",
            "learning_rate",
            "a_velocity",
            "b_velocity",
            "a_momentum",
            "b_momentum",
            "a_average_gradient",
            "b_average_gradient"
        ]
    );
}

/// Keras's Adam on the host, in f64.
fn adam_reference(
    w: &mut [f64],
    m: &mut [f64],
    v: &mut [f64],
    g: &[f64],
    t: i32,
    lr: f64,
    b1: f64,
    b2: f64,
    eps: f64,
) {
    let alpha = lr * (1.0 - b2.powi(t)).sqrt() / (1.0 - b1.powi(t));
    for i in 0..w.len() {
        m[i] += (g[i] - m[i]) * (1.0 - b1);
        v[i] += (g[i] * g[i] - v[i]) * (1.0 - b2);
        w[i] -= m[i] * alpha / (v[i].sqrt() + eps);
    }
}

#[test]
fn repeated_steps_match_a_host_reference() {
    let _gpu = gpu_lock();
    for device in devices() {
        let mut rng = Rng::new(11);
        let opt = Adam::new(AdamOptions { learning_rate: 0.01, ..Default::default() }).unwrap();
        let w = var("w", &[5, 3], &mut rng, &device);
        let mut w_ref = w.value().to_vec_f64().unwrap();
        let (mut m, mut v) = (vec![0.0; 15], vec![0.0; 15]);
        for t in 1..=12 {
            let g = rand_tensor(&mut rng, &[5, 3], -2.0, 2.0, DType::F32, &device);
            apply_gradients_eager(&opt, &[w.clone()], &[g.clone()]).unwrap();
            let lr = opt.learning_rate().unwrap();
            adam_reference(&mut w_ref, &mut m, &mut v, &g.to_vec_f64().unwrap(), t, lr, 0.9, 0.999, 1e-7);
            assert_eq!(w.device(), device);
        }
        assert_eq!(opt.iterations().unwrap(), 12);
        let got = w.value().to_vec_f64().unwrap();
        for (a, b) in got.iter().zip(&w_ref) {
            assert!((a - b).abs() < 1e-5, "{}: {a} vs {b}", device.name());
        }
    }
}

/// Runs `steps` updates of a fresh optimizer from `make` on `device` through one compiled plan
/// (gradients fed as inputs), and returns the variables' and slots' final values.
fn run_compiled(
    make: &dyn Fn() -> Box<dyn Optimizer>,
    inits: &[Tensor],
    grads: &[Vec<Tensor>],
    device: &Device,
) -> Vec<Vec<f64>> {
    let opt = make();
    let vars: Vec<Variable> = inits
        .iter()
        .enumerate()
        .map(|(i, t)| Variable::new(format!("v{i}"), t.to_device(device).unwrap(), true))
        .collect();
    let graph = Graph::new();
    let pairs: Vec<_> =
        vars.iter().map(|v| (v.clone(), graph.input(&static_shape(&v.dims()), DType::F32))).collect();
    let updates = opt.apply_gradients(&graph, &pairs).unwrap();
    let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
    let plan =
        Plan::new(&graph, &[], &updates, &PlanOptions { device: device.clone(), fuse: false }).unwrap();
    for step in grads {
        let feeds: Vec<Tensor> = step.iter().map(|g| g.to_device(device).unwrap()).collect();
        plan.run(&feeds).unwrap();
    }
    assert_eq!(opt.iterations().unwrap(), grads.len() as i64);
    let mut out: Vec<Vec<f64>> = vars.iter().map(|v| v.value().to_vec_f64().unwrap()).collect();
    for v in opt.variables() {
        assert_eq!(&v.device(), device, "{} is on {}", v.name(), v.device().name());
        out.push(v.value().to_vec_f64().unwrap());
    }
    out
}

#[test]
fn backends_agree_on_every_optimizer() {
    let _gpu = gpu_lock();
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(3);
    let shapes: &[&[usize]] = &[&[], &[1], &[7], &[3, 5], &[2, 0, 3], &[2, 3, 17], &[1, 1029]];
    type Make = Box<dyn Fn() -> Box<dyn Optimizer>>;
    let makes: Vec<(&str, Make)> = vec![
        (
            "sgd",
            Box::new(|| Box::new(SGD::new(SgdOptions { learning_rate: 0.1, ..Default::default() }).unwrap())),
        ),
        (
            "sgd_nesterov_wd",
            Box::new(move || {
                Box::new(
                    SGD::new(SgdOptions {
                        learning_rate: 0.05,
                        momentum: 0.9,
                        nesterov: true,
                        common: (OptimizerOptions { weight_decay: Some(0.1), ..Default::default() }),
                    })
                    .unwrap(),
                )
            }),
        ),
        (
            "adam_amsgrad_global_clipnorm",
            Box::new(move || {
                Box::new(
                    Adam::new(AdamOptions {
                        learning_rate: 0.01,
                        amsgrad: true,
                        common: (OptimizerOptions { global_clipnorm: Some(2.0), ..Default::default() }),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }),
        ),
        (
            "adam_clipnorm",
            Box::new(move || {
                Box::new(
                    Adam::new(AdamOptions {
                        common: (OptimizerOptions { clipnorm: Some(1.0), ..Default::default() }),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }),
        ),
        (
            "rmsprop_centered_momentum_clipvalue",
            Box::new(move || {
                Box::new(
                    RMSprop::new(RMSpropOptions {
                        learning_rate: 0.01,
                        momentum: 0.9,
                        centered: true,
                        common: (OptimizerOptions { clipvalue: Some(0.5), ..Default::default() }),
                        ..Default::default()
                    })
                    .unwrap(),
                )
            }),
        ),
    ];
    for (name, make) in &makes {
        let inits: Vec<Tensor> =
            shapes.iter().map(|d| rand_tensor(&mut rng, d, -1.0, 1.0, DType::F32, &Device::Cpu)).collect();
        let grads: Vec<Vec<Tensor>> = (0..5)
            .map(|_| {
                shapes.iter().map(|d| rand_tensor(&mut rng, d, -3.0, 3.0, DType::F32, &Device::Cpu)).collect()
            })
            .collect();
        let a = run_compiled(make.as_ref(), &inits, &grads, &Device::Cpu);
        let b = run_compiled(make.as_ref(), &inits, &grads, &gpu);
        assert_eq!(a.len(), b.len());
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x.len(), y.len());
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                assert!(
                    (u - v).abs() <= 1e-5 + 1e-5 * v.abs(),
                    "{name}: tensor {k} element {i}: cpu {u} vs gpu {v}"
                );
            }
        }
    }
}

#[test]
fn learning_rate_changes_reach_a_compiled_update() {
    let _gpu = gpu_lock();
    for device in devices() {
        let opt = SGD::new(SgdOptions { learning_rate: 0.5, ..Default::default() }).unwrap();
        let w = Variable::new("w", Tensor::from_vec(vec![1.0f32, 2.0], &[2], &device).unwrap(), true);
        let graph = Graph::new();
        let g = graph.input(&static_shape(&[2]), DType::F32);
        let updates = opt.apply_gradients(&graph, &[(w.clone(), g)]).unwrap();
        let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
        let plan =
            Plan::new(&graph, &[], &updates, &PlanOptions { device: device.clone(), fuse: false }).unwrap();
        let ones = Tensor::from_vec(vec![1.0f32, 1.0], &[2], &Device::Cpu).unwrap();
        plan.run(&[ones.clone()]).unwrap();
        assert_eq!(w.value().to_vec_f32().unwrap(), [0.5, 1.5]);
        opt.set_learning_rate(0.25).unwrap();
        assert_eq!(opt.learning_rate().unwrap(), 0.25);
        plan.run(&[ones]).unwrap();
        assert_eq!(w.value().to_vec_f32().unwrap(), [0.25, 1.25]);
        assert_eq!(opt.iterations().unwrap(), 2);
        assert_eq!(opt.learning_rate_variable().device(), device);
        assert_eq!(opt.config()["learning_rate"], 0.25);
    }
}

#[test]
fn bad_inputs_are_errors() {
    let _gpu = gpu_lock();
    let mut rng = Rng::new(5);
    let opt = Adam::new(AdamOptions::default()).unwrap();
    let w = var("w", &[2, 3], &mut rng, &Device::Cpu);
    let g = rand_tensor(&mut rng, &[3, 2], -1.0, 1.0, DType::F32, &Device::Cpu);
    let e = err_of(apply_gradients_eager(&opt, &[w.clone()], &[g]));
    assert!(e.contains("Adam") && e.contains("shape"), "{e}");
    let e = err_of(apply_gradients_eager(&opt, &[w.clone()], &[]));
    assert!(e.contains("apply_gradients"), "{e}");
    let iw = Variable::new("i", Tensor::from_vec(vec![1i32, 2], &[2], &Device::Cpu).unwrap(), true);
    let e = err_of(apply_gradients_eager(
        &opt,
        &[iw],
        &[Tensor::from_vec(vec![1.0f32, 2.0], &[2], &Device::Cpu).unwrap()],
    ));
    assert!(e.contains("Adam") && e.contains("int32"), "{e}");
    let g = rand_tensor(&mut rng, &[2, 3], -1.0, 1.0, DType::F32, &Device::Cpu);
    let e = err_of(apply_gradients_eager(&opt, &[w.clone(), w.clone()], &[g.clone(), g.clone()]));
    assert!(e.contains("twice"), "{e}");
    // Nothing was applied by the failed calls.
    assert_eq!(opt.iterations().unwrap(), 0);
    assert_eq!(names(&opt.variables()), ["iteration", "learning_rate"]);
    if let Some(gpu) = gpu() {
        let wg = var("wg", &[2, 3], &mut rng, &gpu);
        let e = err_of(apply_gradients_eager(&opt, &[w, wg], &[g.clone(), g]));
        assert!(e.contains("different devices"), "{e}");
    }
}

#[test]
fn clipping_and_weight_decay_follow_keras() {
    // One SGD step with lr 1 on w = [3, 4], g = [3, 4] (norm 5).
    let step = |common: OptimizerOptions| -> Vec<f32> {
        let opt =
            SGD::new(SgdOptions { learning_rate: 1.0, momentum: 0.0, nesterov: false, common }).unwrap();
        let w = Variable::new("w", Tensor::from_vec(vec![3.0f32, 4.0], &[2], &Device::Cpu).unwrap(), true);
        let g = Tensor::from_vec(vec![3.0f32, 4.0], &[2], &Device::Cpu).unwrap();
        apply_gradients_eager(&opt, &[w.clone()], &[g]).unwrap();
        w.value().to_vec_f32().unwrap()
    };
    assert_eq!(step(OptimizerOptions::default()), [0.0, 0.0]);
    assert_eq!(step(OptimizerOptions { clipnorm: Some(1.0), ..Default::default() }), [3.0 - 0.6, 4.0 - 0.8]);
    assert_eq!(step(OptimizerOptions { global_clipnorm: Some(2.5), ..Default::default() }), [1.5, 2.0]);
    assert_eq!(step(OptimizerOptions { clipvalue: Some(1.0), ..Default::default() }), [2.0, 3.0]);
    // Non-positive clip values clip nothing (Keras checks `> 0`).
    assert_eq!(step(OptimizerOptions { clipnorm: Some(-1.0), ..Default::default() }), [0.0, 0.0]);
    // Weight decay: w - w * 0.5 * 1, then the step.
    assert_eq!(
        step(OptimizerOptions { weight_decay: Some(0.5), ..Default::default() }),
        [1.5 - 3.0, 2.0 - 4.0]
    );
}

#[test]
fn recorded_gpu_update_replays_like_the_cpu() {
    let _gpu = gpu_lock();
    let Some(gpu) = gpu() else { return };
    let mut rng = Rng::new(21);
    let dims: &[&[usize]] = &[&[4, 3], &[5]];
    let inits: Vec<Tensor> =
        dims.iter().map(|d| rand_tensor(&mut rng, d, -1.0, 1.0, DType::F32, &Device::Cpu)).collect();
    let grads: Vec<Vec<Tensor>> = (0..4)
        .map(|_| dims.iter().map(|d| rand_tensor(&mut rng, d, -1.0, 1.0, DType::F32, &Device::Cpu)).collect())
        .collect();
    let make = || {
        Adam::new(AdamOptions {
            learning_rate: 0.05,
            common: OptimizerOptions {
                weight_decay: Some(0.01),
                global_clipnorm: Some(1.0),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap()
    };
    let want = run_compiled(&|| Box::new(make()), &inits, &grads, &Device::Cpu);
    let opt = make();
    let vars: Vec<Variable> = inits
        .iter()
        .enumerate()
        .map(|(i, t)| Variable::new(format!("v{i}"), t.to_device(&gpu).unwrap(), true))
        .collect();
    let graph = Graph::new();
    let pairs: Vec<_> =
        vars.iter().map(|v| (v.clone(), graph.input(&static_shape(&v.dims()), DType::F32))).collect();
    let updates = opt.apply_gradients(&graph, &pairs).unwrap();
    let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
    let plan = Plan::new(&graph, &[], &updates, &PlanOptions { device: gpu.clone(), fuse: false }).unwrap();
    let feed_dims: Vec<Vec<usize>> = dims.iter().map(|d| d.to_vec()).collect();
    let recorded = plan.record(&feed_dims).unwrap();
    // Recording runs nothing.
    assert_eq!(opt.iterations().unwrap(), 0);
    for step in &grads {
        recorded.run(step).unwrap();
    }
    assert_eq!(opt.iterations().unwrap(), grads.len() as i64);
    let mut got: Vec<Vec<f64>> = vars.iter().map(|v| v.value().to_vec_f64().unwrap()).collect();
    got.extend(opt.variables().iter().map(|v| v.value().to_vec_f64().unwrap()));
    for (k, (x, y)) in got.iter().zip(&want).enumerate() {
        for (u, v) in x.iter().zip(y) {
            assert!((u - v).abs() <= 1e-5 + 1e-5 * v.abs(), "tensor {k}: gpu {u} vs cpu {v}");
        }
    }
}
