//! Optimizers (all eleven) and learning-rate schedules: configs and registry as Keras, bad
//! configs refused, lazily created slots, repeated steps against a host reference, the learning
//! rate variable (or schedule) read by a compiled update, every optimizer reducing a quadratic
//! with the same numbers on both backends, EMA / gradient accumulation / loss scaling, and
//! schedule values against a host reference (the Keras numbers are in the conformance cases).

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
    let e = err_of(optimizers::get(&json!("Adafactor")));
    assert!(e.contains("not implemented") && e.contains("adamw"), "{e}");
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
    assert!(e.contains("ExponentialDecay") && e.contains("initial_learning_rate"), "{e}");
    let e = err_of(get("SGD", json!({"learning_rate": {"class_name": "FooDecay", "config": {}}})));
    assert!(e.contains("FooDecay") && e.contains("CosineDecay"), "{e}");
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
    // The common options are checked as Keras does; each error names its key.
    assert!(get("Adam", json!({"use_ema": true})).is_ok());
    let e = err_of(get("Adam", json!({"use_ema": true, "ema_momentum": 2.0})));
    assert!(e.contains("Adam") && e.contains("ema_momentum"), "{e}");
    let e = err_of(get("Adam", json!({"use_ema": true, "ema_overwrite_frequency": -2})));
    assert!(e.contains("ema_overwrite_frequency"), "{e}");
    assert!(get("Adam", json!({"gradient_accumulation_steps": 4})).is_ok());
    let e = err_of(get("Adam", json!({"gradient_accumulation_steps": 1})));
    assert!(e.contains("gradient_accumulation_steps") && e.contains(">= 2"), "{e}");
    assert!(get("Adam", json!({"loss_scale_factor": 128.0})).is_ok());
    let e = err_of(get("Adam", json!({"loss_scale_factor": 0.0})));
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
    assert_eq!(opt.iterations_variable().value().item().unwrap(), grads.len() as f64);
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

#[test]
fn new_optimizers_have_keras_default_configs() {
    let common = json!({"learning_rate": 0.0010000000474974513, "weight_decay": null, "clipnorm": null,
        "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99,
        "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null});
    let cases = [
        (
            "adamw",
            "AdamW",
            "adam_w",
            json!({"weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": false}),
        ),
        ("adagrad", "Adagrad", "adagrad", json!({"initial_accumulator_value": 0.1, "epsilon": 1e-7})),
        ("adadelta", "Adadelta", "adadelta", json!({"rho": 0.95, "epsilon": 1e-7})),
        ("adamax", "Adamax", "adamax", json!({"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7})),
        ("nadam", "Nadam", "nadam", json!({"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7})),
        ("lion", "Lion", "lion", json!({"beta_1": 0.9, "beta_2": 0.99})),
        (
            "ftrl",
            "Ftrl",
            "ftrl",
            json!({"learning_rate_power": -0.5, "initial_accumulator_value": 0.1,
            "l1_regularization_strength": 0.0, "l2_regularization_strength": 0.0,
            "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0}),
        ),
        ("lamb", "Lamb", "lamb", json!({"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7})),
    ];
    for (id, class, prefix, own) in cases {
        let o = optimizers::get(&json!(id)).unwrap();
        assert_eq!(o.class_name(), class);
        assert!(o.name().starts_with(prefix), "{}", o.name());
        let mut want = common.as_object().unwrap().clone();
        want.extend(own.as_object().unwrap().clone());
        let got = without_name(o.config());
        assert_eq!(got, want, "{class}");
        // Keras's key order: the common keys, then the class's own.
        let keys: Vec<&String> = got.keys().collect();
        let want_keys: Vec<&String> = want.keys().collect();
        assert_eq!(keys, want_keys, "{class}");
        // The serialized form builds an equal optimizer.
        let back = optimizers::get(&optimizers::serialize(o.as_ref())).unwrap();
        assert_eq!(back.config(), o.config());
    }
}

#[test]
fn bad_configs_of_new_optimizers_name_the_class_and_key() {
    let get = |class: &str, config: Value| optimizers::get(&json!({"class_name": class, "config": config}));
    for (class, config, key) in [
        ("AdamW", json!({"weight_decay": null}), "weight_decay"),
        ("Adagrad", json!({"rho": 0.5}), "rho"),
        ("Adagrad", json!({"epsilon": "x"}), "epsilon"),
        ("Adadelta", json!({"beta_1": 0.5}), "beta_1"),
        ("Adamax", json!({"amsgrad": true}), "amsgrad"),
        ("Nadam", json!({"beta_1": [0.9]}), "beta_1"),
        ("Lion", json!({"beta_1": 0.0}), "beta_1"),
        ("Lion", json!({"beta_1": 1.5}), "beta_1"),
        ("Lion", json!({"epsilon": 1e-7}), "epsilon"),
        ("Ftrl", json!({"learning_rate_power": 0.5}), "learning_rate_power"),
        ("Ftrl", json!({"initial_accumulator_value": -0.1}), "initial_accumulator_value"),
        ("Ftrl", json!({"l1_regularization_strength": -1.0}), "l1_regularization_strength"),
        ("Ftrl", json!({"l2_regularization_strength": -1.0}), "l2_regularization_strength"),
        (
            "Ftrl",
            json!({"l2_shrinkage_regularization_strength": -1.0}),
            "l2_shrinkage_regularization_strength",
        ),
        ("Lamb", json!({"momentum": 0.5}), "momentum"),
        ("Lamb", json!({"learning_rate": 1}), "learning_rate"),
    ] {
        let e = err_of(get(class, config.clone()));
        assert!(e.contains(class) && e.contains(key), "{class} {config}: {e}");
    }
}

/// `steps` updates of the optimizer `config` on `0.5 * sum((w - target)^2)` through one compiled,
/// fused plan on `device` (the gradient is autodiff's); returns the losses and the final `w`.
fn minimize(config: &Value, steps: usize, device: &Device) -> (Vec<f64>, Vec<f64>) {
    let opt = optimizers::get(config).unwrap();
    let init: Vec<f32> = (0..37).map(|i| ((i * 7) % 11) as f32 / 5.0 - 1.0).collect();
    let target: Vec<f32> = (0..37).map(|i| ((i * 5) % 13) as f32 / 6.0 - 1.0).collect();
    let w = Variable::new("w", Tensor::from_vec(init, &[37], device).unwrap(), true);
    let graph = Graph::new();
    let wn = graph.variable(&w);
    let t = graph.constant(Tensor::from_vec(target, &[37], &Device::Cpu).unwrap());
    let loss = wn.sub(t).unwrap().square().unwrap().sum_all().unwrap().mul_scalar(0.5).unwrap();
    let grads = wgkeras::frontend::graph::autodiff::gradients(loss, &[wn], None).unwrap();
    let updates = opt.apply_gradients(&graph, &[(w.clone(), grads[0].unwrap())]).unwrap();
    let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
    let plan =
        Plan::new(&graph, &[loss.id], &updates, &PlanOptions { device: device.clone(), fuse: true }).unwrap();
    let mut losses = vec![];
    for _ in 0..steps {
        losses.push(plan.run(&[]).unwrap()[0].item().unwrap());
    }
    (losses, w.value().to_vec_f64().unwrap())
}

fn every_optimizer() -> Vec<Value> {
    let c = |class: &str, config: Value| json!({"class_name": class, "config": config});
    vec![
        c("SGD", json!({"learning_rate": 0.1, "momentum": 0.5})),
        c("Adam", json!({"learning_rate": 0.05})),
        c("AdamW", json!({"learning_rate": 0.05, "amsgrad": true})),
        c("RMSprop", json!({"learning_rate": 0.01, "centered": true})),
        c("Adagrad", json!({"learning_rate": 0.3})),
        c("Adadelta", json!({"learning_rate": 1.0})),
        c("Adamax", json!({"learning_rate": 0.05})),
        c("Nadam", json!({"learning_rate": 0.05})),
        c("Lion", json!({"learning_rate": 0.01})),
        c("Ftrl", json!({"learning_rate": 0.3, "l2_regularization_strength": 0.001})),
        c("Lamb", json!({"learning_rate": 0.05})),
        // The common options and schedules, on a few classes.
        c(
            "SGD",
            json!({"learning_rate": 1.0, "gradient_accumulation_steps": 3, "use_ema": true,
            "ema_overwrite_frequency": 2, "clipnorm": 1.0}),
        ),
        c(
            "Adam",
            json!({"learning_rate": {"class_name": "CosineDecay",
            "config": {"initial_learning_rate": 0.05, "decay_steps": 40, "warmup_target": 0.1, "warmup_steps": 5}},
            "loss_scale_factor": 8.0, "weight_decay": 0.01}),
        ),
        c(
            "Nadam",
            json!({"learning_rate": {"class_name": "ExponentialDecay",
            "config": {"initial_learning_rate": 0.05, "decay_steps": 10, "decay_rate": 0.7, "staircase": true}},
            "gradient_accumulation_steps": 2, "global_clipnorm": 2.0}),
        ),
        c(
            "Lamb",
            json!({"learning_rate": {"class_name": "PiecewiseConstantDecay",
            "config": {"boundaries": [10, 30], "values": [0.05, 0.02, 0.01]}}, "use_ema": true, "clipvalue": 0.5}),
        ),
    ]
}

#[test]
fn every_optimizer_reduces_a_quadratic_alike_on_both_backends() {
    let _gpu = gpu_lock();
    for config in every_optimizer() {
        let (losses, _) = minimize(&config, 60, &Device::Cpu);
        let (first, last) = (losses[0], losses[losses.len() - 1]);
        // Adadelta starts with steps of about sqrt(epsilon): the slowest here.
        assert!(last < 0.9 * first && last.is_finite(), "{config}: loss {first} -> {last}");
        // Near the minimum, sign-like rules (Lamb, Lion, Adam) amplify one-ulp differences of
        // the reductions step after step: the backends are compared over the first 20 steps.
        if let Some(gpu) = gpu() {
            let (losses, w) = minimize(&config, 20, &Device::Cpu);
            let (gl, gw) = minimize(&config, 20, &gpu);
            for (i, (a, b)) in losses.iter().zip(&gl).enumerate() {
                assert!((a - b).abs() <= 1e-4 + 1e-4 * a.abs(), "{config}: step {i} loss cpu {a} gpu {b}");
            }
            for (a, b) in w.iter().zip(&gw) {
                assert!((a - b).abs() <= 1e-4 + 1e-4 * a.abs(), "{config}: w cpu {a} gpu {b}");
            }
        }
    }
}

/// One update of `opt` on `w` with gradient `g` (eager).
fn sgd_steps(config: Value, grads: &[f32]) -> (Box<dyn Optimizer>, Variable) {
    let opt = optimizers::get(&json!({"class_name": "SGD", "config": config})).unwrap();
    let w = Variable::new("w", Tensor::from_vec(vec![0.0f32], &[1], &Device::Cpu).unwrap(), true);
    for &g in grads {
        let gt = Tensor::from_vec(vec![g], &[1], &Device::Cpu).unwrap();
        apply_gradients_eager(opt.as_ref(), &[w.clone()], &[gt]).unwrap();
    }
    (opt, w)
}

fn w0(w: &Variable) -> f32 {
    w.value().to_vec_f32().unwrap()[0]
}

#[test]
fn accumulation_ema_and_loss_scale_follow_keras() {
    // Accumulation: the mean of 2 calls' gradients is applied on the 2nd; iterations counts
    // updates, the variable counts calls.
    let (opt, w) = sgd_steps(json!({"learning_rate": 1.0, "gradient_accumulation_steps": 2}), &[1.0]);
    assert_eq!((w0(&w), opt.iterations().unwrap()), (0.0, 0));
    let g = Tensor::from_vec(vec![3.0f32], &[1], &Device::Cpu).unwrap();
    apply_gradients_eager(opt.as_ref(), &[w.clone()], &[g]).unwrap();
    assert_eq!((w0(&w), opt.iterations().unwrap()), (-2.0, 1));
    assert_eq!(opt.iterations_variable().value().item().unwrap(), 2.0);
    assert_eq!(names(&opt.variables()), ["iteration", "learning_rate", "w_gradient_accumulator"]);
    assert_eq!(opt.variables()[2].value().to_vec_f32().unwrap(), [0.0]);
    // EMA: the average starts at the first update's weights, then moves with momentum 0.5; the
    // weights are untouched until finalize_variable_values.
    let (opt, w) =
        sgd_steps(json!({"learning_rate": 1.0, "use_ema": true, "ema_momentum": 0.5}), &[1.0, 1.0]);
    assert_eq!(w0(&w), -2.0);
    assert_eq!(names(&opt.variables()), ["iteration", "learning_rate", "w_average"]);
    assert_eq!(opt.variables()[2].value().to_vec_f32().unwrap(), [-1.5]);
    opt.finalize_variable_values(&[w.clone()]).unwrap();
    assert_eq!(w0(&w), -1.5);
    // ...or every ema_overwrite_frequency updates.
    let cfg =
        json!({"learning_rate": 1.0, "use_ema": true, "ema_momentum": 0.5, "ema_overwrite_frequency": 2});
    let (_, w) = sgd_steps(cfg.clone(), &[1.0]);
    assert_eq!(w0(&w), -1.0);
    let (_, w) = sgd_steps(cfg.clone(), &[1.0, 1.0]);
    assert_eq!(w0(&w), -1.5);
    let (_, w) = sgd_steps(cfg, &[1.0, 1.0, 1.0]);
    // w = -1.5 - 1; avg = 0.5 * -1.5 + 0.5 * -2.5
    assert_eq!(w0(&w), -2.5);
    // Loss scaling: the gradients are divided by the factor; the loss multiplied by it.
    let (opt, w) = sgd_steps(json!({"learning_rate": 1.0, "loss_scale_factor": 4.0}), &[4.0]);
    assert_eq!(w0(&w), -1.0);
    let graph = Graph::new();
    let l = graph.scalar(2.0, DType::F32).unwrap();
    let scaled = opt.scale_loss(l).unwrap();
    assert_eq!(graph.evaluate(&[scaled], &[]).unwrap()[0].item().unwrap(), 8.0);
}

/// Keras's schedules on the host, in f64.
fn schedule_reference(class: &str, c: &Value, step: f64) -> f64 {
    let f = |k: &str, d: f64| c.get(k).and_then(Value::as_f64).unwrap_or(d);
    let b = |k: &str| c.get(k).and_then(Value::as_bool).unwrap_or(false);
    let pi = std::f64::consts::PI;
    match class {
        "ExponentialDecay" => {
            let p = step / f("decay_steps", 0.0);
            f("initial_learning_rate", 0.0)
                * f("decay_rate", 0.0).powf(if b("staircase") { p.floor() } else { p })
        }
        "InverseTimeDecay" => {
            let p = step / f("decay_steps", 0.0);
            f("initial_learning_rate", 0.0)
                / (1.0 + f("decay_rate", 0.0) * if b("staircase") { p.floor() } else { p })
        }
        "PiecewiseConstantDecay" => {
            let bs: Vec<f64> =
                c["boundaries"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            let vs: Vec<f64> = c["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            let i = bs.iter().position(|&x| step <= x).unwrap_or(bs.len());
            vs[i]
        }
        "PolynomialDecay" => {
            let (init, end, power) =
                (f("initial_learning_rate", 0.0), f("end_learning_rate", 1e-4), f("power", 1.0));
            let mut ds = f("decay_steps", 0.0);
            let mut s = step;
            if b("cycle") {
                ds *= if s == 0.0 { 1.0 } else { (s / ds).ceil() };
            } else {
                s = s.min(ds);
            }
            (init - end) * (1.0 - s / ds).powf(power) + end
        }
        "CosineDecay" => {
            let (init, ds, alpha) = (f("initial_learning_rate", 0.0), f("decay_steps", 0.0), f("alpha", 0.0));
            let decay =
                |s: f64, from: f64| from * ((1.0 - alpha) * 0.5 * (1.0 + (pi * s / ds).cos()) + alpha);
            match c.get("warmup_target").and_then(Value::as_f64) {
                None => decay(step.min(ds), init),
                Some(target) => {
                    let ws = f("warmup_steps", 0.0);
                    let s = step.min(ds + ws);
                    if s < ws {
                        (target - init) * s / ws + init
                    } else {
                        decay(s - ws, target)
                    }
                }
            }
        }
        _ => {
            let (init, fd, t, m, alpha) = (
                f("initial_learning_rate", 0.0),
                f("first_decay_steps", 0.0),
                f("t_mul", 2.0),
                f("m_mul", 1.0),
                f("alpha", 0.0),
            );
            let cf = step / fd;
            let (i, frac) = if t == 1.0 {
                (cf.floor(), cf - cf.floor())
            } else {
                let i = ((1.0 - cf * (1.0 - t)).ln() / t.ln()).floor();
                let sum_r = (1.0 - t.powf(i)) / (1.0 - t);
                (i, (cf - sum_r) / t.powf(i))
            };
            init * ((1.0 - alpha) * 0.5 * m.powf(i) * (1.0 + (pi * frac).cos()) + alpha)
        }
    }
}

#[test]
fn schedules_compute_keras_values_on_both_backends() {
    let _gpu = gpu_lock();
    use optimizers::schedules;
    let cases = [
        ("ExponentialDecay", json!({"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5})),
        (
            "ExponentialDecay",
            json!({"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "staircase": true}),
        ),
        ("InverseTimeDecay", json!({"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5})),
        (
            "InverseTimeDecay",
            json!({"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 2.0, "staircase": true}),
        ),
        ("PiecewiseConstantDecay", json!({"boundaries": [2, 5, 9], "values": [1.0, 0.5, 0.25, 0.125]})),
        ("PolynomialDecay", json!({"initial_learning_rate": 0.1, "decay_steps": 6, "power": 2.0})),
        (
            "PolynomialDecay",
            json!({"initial_learning_rate": 0.1, "decay_steps": 3, "cycle": true, "end_learning_rate": 0.01}),
        ),
        ("CosineDecay", json!({"initial_learning_rate": 0.1, "decay_steps": 7, "alpha": 0.1})),
        (
            "CosineDecay",
            json!({"initial_learning_rate": 0.0, "decay_steps": 8, "warmup_target": 0.2, "warmup_steps": 3}),
        ),
        (
            "CosineDecayRestarts",
            json!({"initial_learning_rate": 0.1, "first_decay_steps": 3, "t_mul": 1.0, "m_mul": 0.5}),
        ),
        ("CosineDecayRestarts", json!({"initial_learning_rate": 0.1, "first_decay_steps": 5, "alpha": 0.1})),
    ];
    for (class, config) in &cases {
        let s = schedules::deserialize(&json!({"class_name": class, "config": config})).unwrap();
        assert_eq!(s.class_name(), *class);
        // The config holds every key (defaults filled in) and round-trips.
        let ser = schedules::serialize(s.as_ref());
        assert_eq!(ser["module"], "keras.optimizers.schedules");
        for (k, v) in config.as_object().unwrap() {
            assert_eq!(&ser["config"][k], v, "{class} {k}");
        }
        let again = schedules::deserialize(&ser).unwrap();
        assert_eq!(again.config(), s.config());
        for device in devices() {
            let steps: Vec<i32> = (0..40).collect();
            let graph = Graph::new();
            let st = graph.input(&static_shape(&[40]), DType::I32);
            let out = s.call(st).unwrap();
            let got = graph
                .evaluate(&[out], &[Tensor::from_vec(steps.clone(), &[40], &device).unwrap()])
                .unwrap()[0]
                .to_vec_f64()
                .unwrap();
            for (step, g) in steps.iter().zip(&got) {
                let want = schedule_reference(class, config, *step as f64);
                assert!(
                    (g - want).abs() <= 1e-6 + 1e-5 * want.abs(),
                    "{class} {config} step {step} on {}: {g} vs {want}",
                    device.name()
                );
            }
        }
    }
    // Bad configs name the class and the key.
    for (class, config, key) in [
        (
            "ExponentialDecay",
            json!({"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5}),
            "decay_steps",
        ),
        ("ExponentialDecay", json!({"initial_learning_rate": 0.1, "decay_steps": 2}), "decay_rate"),
        (
            "PolynomialDecay",
            json!({"initial_learning_rate": 0.1, "decay_steps": 2, "cycles": true}),
            "cycles",
        ),
        ("PiecewiseConstantDecay", json!({"boundaries": [1, 2], "values": [0.1, 0.2]}), "boundaries"),
        ("CosineDecay", json!({"initial_learning_rate": "a", "decay_steps": 2}), "initial_learning_rate"),
        (
            "CosineDecayRestarts",
            json!({"initial_learning_rate": 0.1, "first_decay_steps": -1}),
            "first_decay_steps",
        ),
    ] {
        let e = err_of(schedules::deserialize(&json!({"class_name": class, "config": config})));
        assert!(e.contains(class) && e.contains(key), "{class}: {e}");
    }
    // Rust constructors.
    let s = schedules::exponential_decay(0.1, 10, 0.5, false).unwrap();
    assert_eq!(s.config()["decay_steps"], 10);
    assert!((s.value(10.0).unwrap() - 0.05).abs() < 1e-8);
}

#[test]
fn a_schedule_drives_the_learning_rate_of_a_compiled_step() {
    let _gpu = gpu_lock();
    for device in devices() {
        let schedule = json!({"module": "keras.optimizers.schedules", "class_name": "PiecewiseConstantDecay",
            "config": {"boundaries": [1, 2], "values": [1.0, 0.5, 0.25], "name": "PiecewiseConstant"}, "registered_name": null});
        let opt =
            optimizers::get(&json!({"class_name": "SGD", "config": {"learning_rate": schedule}})).unwrap();
        assert_eq!(opt.config()["learning_rate"], schedule);
        // Keras lists no learning-rate variable with a schedule, and refuses to set it.
        assert_eq!(names(&opt.variables()), ["iteration"]);
        let e = err_of(opt.set_learning_rate(0.1));
        assert!(e.contains("SGD") && e.contains("not settable"), "{e}");
        let w = Variable::new("w", Tensor::from_vec(vec![0.0f32], &[1], &device).unwrap(), true);
        let graph = Graph::new();
        let g = graph.input(&static_shape(&[1]), DType::F32);
        let updates = opt.apply_gradients(&graph, &[(w.clone(), g)]).unwrap();
        let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
        let plan =
            Plan::new(&graph, &[], &updates, &PlanOptions { device: device.clone(), fuse: true }).unwrap();
        let one = Tensor::from_vec(vec![1.0f32], &[1], &Device::Cpu).unwrap();
        let mut want = 0.0;
        for lr in [1.0, 1.0, 0.5, 0.25, 0.25] {
            assert_eq!(opt.learning_rate().unwrap(), lr);
            plan.run(&[one.clone()]).unwrap();
            want -= lr;
            assert_eq!(w.value().to_vec_f32().unwrap(), [want as f32], "{}", device.name());
        }
    }
}

/// The update of one weight through a fused plan: its elementwise chain (slots, bias
/// correction, EMA and accumulation selections) becomes few kernels. Prints the plans with
/// `--nocapture`.
#[test]
fn fused_update_plans_stay_small() {
    let c = |class: &str, config: Value| json!({"class_name": class, "config": config});
    for (config, max_launches) in [
        (c("SGD", json!({"learning_rate": 0.1, "momentum": 0.9})), 4),
        (c("Adam", json!({})), 8),
        (c("Nadam", json!({})), 10),
        (
            c(
                "Adam",
                json!({"use_ema": true, "ema_overwrite_frequency": 3, "gradient_accumulation_steps": 2}),
            ),
            12,
        ),
        (c("Lamb", json!({})), 12),
        (c("Ftrl", json!({})), 8),
    ] {
        let opt = optimizers::get(&config).unwrap();
        let w = Variable::new("w", Tensor::from_vec(vec![0.5f32; 300], &[300], &Device::Cpu).unwrap(), true);
        let graph = Graph::new();
        let g = graph.input(&static_shape(&[300]), DType::F32);
        let updates = opt.apply_gradients(&graph, &[(w.clone(), g)]).unwrap();
        let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
        let plan =
            Plan::new(&graph, &[], &updates, &PlanOptions { device: Device::Cpu, fuse: true }).unwrap();
        println!("{config}: {} launches\n{}", plan.launches(), plan.describe());
        assert!(plan.launches() <= max_launches, "{config}: {} launches", plan.launches());
    }
}

/// fit on a linear model, one batch per epoch, from fixed weights; returns the final weights
/// and the loss history.
fn fit_linear(optimizer: Value, epochs: usize, device: &Device) -> (Vec<Vec<f64>>, Vec<f64>) {
    use wgkeras::frontend::layers::{Dense, LayerRef};
    use wgkeras::frontend::models::{CompileArgs, FitArgs};
    use wgkeras::frontend::Model;
    let dense: LayerRef =
        Dense::from_config(json!({"name": "d", "units": 2}).as_object().unwrap()).unwrap().into();
    let mut m = Model::sequential_with(&[3], vec![dense]).unwrap();
    m.set_weights(&[
        Tensor::from_vec(vec![0.1f32, -0.2, 0.3, 0.4, -0.5, 0.6], &[3, 2], &Device::Cpu).unwrap(),
        Tensor::from_vec(vec![0.05f32, -0.05], &[2], &Device::Cpu).unwrap(),
    ])
    .unwrap();
    m.compile(CompileArgs::new(optimizer, "mean_squared_error").device(device.clone())).unwrap();
    let x =
        Tensor::from_vec((0..12).map(|i| (i as f32 - 5.0) / 4.0).collect::<Vec<_>>(), &[4, 3], &Device::Cpu)
            .unwrap();
    let y = Tensor::from_vec((0..8).map(|i| (i % 3) as f32 - 1.0).collect::<Vec<_>>(), &[4, 2], &Device::Cpu)
        .unwrap();
    let h = m.fit(&x, &y, FitArgs { verbose: 0, epochs, batch_size: 4, ..Default::default() }).unwrap();
    let w = m.get_weights().unwrap().iter().map(|t| t.to_vec_f64().unwrap()).collect();
    let loss = h.history.iter().find(|(k, _)| k == "loss").unwrap().1.clone();
    (w, loss)
}

#[test]
fn fit_finalizes_ema_weights_and_unscales_the_loss() {
    let _gpu = gpu_lock();
    let sgd = |extra: Value| {
        let mut c = json!({"learning_rate": 0.1, "momentum": 0.5});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"class_name": "SGD", "config": c})
    };
    for device in devices() {
        let (w1, _) = fit_linear(sgd(json!({})), 1, &device);
        let (w2, loss) = fit_linear(sgd(json!({})), 2, &device);
        // EMA with momentum 0.5: the average after 2 updates is (w1 + w2) / 2, and the end of
        // fit writes it into the weights.
        let (we, loss_e) = fit_linear(sgd(json!({"use_ema": true, "ema_momentum": 0.5})), 2, &device);
        for (a, b) in loss.iter().zip(&loss_e) {
            assert!((a - b).abs() < 1e-6 * a.abs().max(1.0), "{a} vs {b}");
        }
        for ((a, b), e) in w1.iter().flatten().zip(w2.iter().flatten()).zip(we.iter().flatten()) {
            assert!((0.5 * (a + b) - e).abs() < 1e-6, "{}: {e} vs {}", device.name(), 0.5 * (a + b));
        }
        // Loss scaling changes neither the update nor the reported loss.
        let (ws, loss_s) = fit_linear(sgd(json!({"loss_scale_factor": 8.0})), 2, &device);
        for (a, b) in w2.iter().flatten().zip(ws.iter().flatten()) {
            assert!((a - b).abs() < 1e-6, "{}: {a} vs {b}", device.name());
        }
        for (a, b) in loss.iter().zip(&loss_s) {
            assert!((a - b).abs() < 1e-6 * a.abs().max(1.0));
        }
    }
}
