//! `keras.optimizers.schedules`: learning rates that are a function of the step.
//!
//! A schedule given as an optimizer's `learning_rate` is computed in the graph from the
//! optimizer's `iterations` variable at every step (no host work, no recompile), as Keras
//! calls `schedule(iterations)`. The numbers are float32, as Keras computes them from Python
//! floats. Configs are kept as Keras's `get_config()` (the values as given: an integer
//! `decay_steps` stays an integer), so `serialize` gives back what Keras writes.

use std::f64::consts::PI;
use std::sync::Arc;

use serde_json::{json, Map, Value};
use wgkeras_runtime::{DType, Tensor};

use super::args::{identifier_parts, ConfigArgs};
use crate::error::{Error, Result};
use crate::graph::{Graph, Sym};

/// A learning-rate schedule: the rate at a step, as graph ops.
pub trait LearningRateSchedule: Send + Sync {
    fn class_name(&self) -> &'static str;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
    /// The float32 scalar rate at `step` (a scalar node of any numeric dtype).
    fn call<'g>(&self, step: Sym<'g>) -> Result<Sym<'g>>;

    /// The rate at `step`, computed on the CPU by the same graph ops.
    fn value(&self, step: f64) -> Result<f64> {
        let graph = Graph::new();
        let s = graph.constant(Tensor::from_vec(vec![step as f32], &[], &wgkeras_runtime::Device::Cpu)?);
        let out = graph.evaluate(&[self.call(s)?], &[])?;
        Ok(out[0].item()?)
    }
}

/// The schedules [`deserialize`] knows.
pub const SCHEDULE_NAMES: [&str; 6] = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
];

#[derive(Clone, Debug)]
enum Kind {
    Exponential { initial: f64, decay_steps: f64, decay_rate: f64, staircase: bool },
    InverseTime { initial: f64, decay_steps: f64, decay_rate: f64, staircase: bool },
    Piecewise { boundaries: Vec<f64>, values: Vec<f64> },
    Polynomial { initial: f64, decay_steps: f64, end: f64, power: f64, cycle: bool },
    Cosine { initial: f64, decay_steps: f64, alpha: f64, warmup_target: Option<f64>, warmup_steps: f64 },
    CosineRestarts { initial: f64, first_decay_steps: f64, t_mul: f64, m_mul: f64, alpha: f64 },
}

/// One of Keras's built-in schedules, with its config as given.
#[derive(Clone, Debug)]
pub struct Schedule {
    class: &'static str,
    kind: Kind,
    config: Map<String, Value>,
}

impl Schedule {
    /// The schedule `class_name` (Keras's class names, case-sensitive) from its config;
    /// missing keys take Keras's defaults, unknown keys and bad values are errors naming the
    /// class and the key.
    pub fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Schedule> {
        let Some(&class) = SCHEDULE_NAMES.iter().find(|&&n| n == class_name) else {
            return Err(Error::arg(
                "optimizers.schedules.deserialize",
                format!("unknown decay {class_name:?}; known: {}", SCHEDULE_NAMES.join(", ")),
            ));
        };
        let a = ConfigArgs::new(class, config);
        let mut out = Map::new();
        // Records the value as given (or the default) in Keras's key order.
        let num = |key: &'static str, default: Option<Value>, out: &mut Map<String, Value>| -> Result<f64> {
            let v = match a.get(key) {
                Some(v) => v.clone(),
                None => match (&default, config.contains_key(key)) {
                    (Some(d), false) => d.clone(),
                    _ => return Err(a.error(key, "a number is required")),
                },
            };
            let x = v.as_f64().ok_or_else(|| a.error(key, format!("expected a number, got {v}")))?;
            if !x.is_finite() {
                return Err(a.error(key, format!("expected a finite number, got {v}")));
            }
            out.insert(key.into(), v);
            Ok(x)
        };
        let flag = |key: &'static str, out: &mut Map<String, Value>| -> Result<bool> {
            let b = a.bool(key, false)?;
            out.insert(key.into(), json!(b));
            Ok(b)
        };
        let positive = |key: &str, x: f64| -> Result<()> {
            if x <= 0.0 {
                Err(Error::arg(class, format!("Argument `{key}` must be > 0. Received: {key}={x}")))
            } else {
                Ok(())
            }
        };
        let name = |default: &str, out: &mut Map<String, Value>| -> Result<()> {
            out.insert("name".into(), json!(a.string("name", default)?));
            Ok(())
        };
        let kind = match class {
            "ExponentialDecay" | "InverseTimeDecay" => {
                let initial = num("initial_learning_rate", None, &mut out)?;
                let decay_steps = num("decay_steps", None, &mut out)?;
                let decay_rate = num("decay_rate", None, &mut out)?;
                let staircase = flag("staircase", &mut out)?;
                name(class, &mut out)?;
                positive("decay_steps", decay_steps)?;
                if class == "ExponentialDecay" {
                    Kind::Exponential { initial, decay_steps, decay_rate, staircase }
                } else {
                    Kind::InverseTime { initial, decay_steps, decay_rate, staircase }
                }
            }
            "PiecewiseConstantDecay" => {
                let list = |key: &'static str, out: &mut Map<String, Value>| -> Result<Vec<f64>> {
                    let v = a.get(key).ok_or_else(|| a.error(key, "a list of numbers is required"))?;
                    let items =
                        v.as_array().ok_or_else(|| a.error(key, format!("expected a list, got {v}")))?;
                    let xs = items
                        .iter()
                        .map(|x| {
                            x.as_f64()
                                .filter(|f| f.is_finite())
                                .ok_or_else(|| a.error(key, format!("expected numbers, got {x}")))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    out.insert(key.into(), v.clone());
                    Ok(xs)
                };
                let boundaries = list("boundaries", &mut out)?;
                let values = list("values", &mut out)?;
                name("PiecewiseConstant", &mut out)?;
                if boundaries.len() + 1 != values.len() || boundaries.is_empty() {
                    return Err(Error::arg(
                        class,
                        format!(
                            "The length of boundaries should be 1 less than the length of values. Received: \
                             boundaries={boundaries:?} of length {}, and values={values:?} of length {}.",
                            boundaries.len(),
                            values.len()
                        ),
                    ));
                }
                Kind::Piecewise { boundaries, values }
            }
            "PolynomialDecay" => {
                let initial = num("initial_learning_rate", None, &mut out)?;
                let decay_steps = num("decay_steps", None, &mut out)?;
                let end = num("end_learning_rate", Some(json!(0.0001)), &mut out)?;
                let power = num("power", Some(json!(1.0)), &mut out)?;
                let cycle = flag("cycle", &mut out)?;
                name(class, &mut out)?;
                positive("decay_steps", decay_steps)?;
                Kind::Polynomial { initial, decay_steps, end, power, cycle }
            }
            "CosineDecay" => {
                let initial = num("initial_learning_rate", None, &mut out)?;
                let decay_steps = num("decay_steps", None, &mut out)?;
                let alpha = num("alpha", Some(json!(0.0)), &mut out)?;
                name(class, &mut out)?;
                let warmup_target = match a.get("warmup_target") {
                    None => {
                        out.insert("warmup_target".into(), Value::Null);
                        None
                    }
                    Some(_) => Some(num("warmup_target", None, &mut out)?),
                };
                let warmup_steps = num("warmup_steps", Some(json!(0)), &mut out)?;
                positive("decay_steps", decay_steps)?;
                if warmup_target.is_some() && warmup_steps < 0.0 {
                    return Err(a.error("warmup_steps", format!("must be >= 0, got {warmup_steps}")));
                }
                Kind::Cosine { initial, decay_steps, alpha, warmup_target, warmup_steps }
            }
            _ => {
                let initial = num("initial_learning_rate", None, &mut out)?;
                let first_decay_steps = num("first_decay_steps", None, &mut out)?;
                let t_mul = num("t_mul", Some(json!(2.0)), &mut out)?;
                let m_mul = num("m_mul", Some(json!(1.0)), &mut out)?;
                let alpha = num("alpha", Some(json!(0.0)), &mut out)?;
                name("SGDRDecay", &mut out)?;
                positive("first_decay_steps", first_decay_steps)?;
                if t_mul <= 0.0 {
                    return Err(a.error("t_mul", format!("must be > 0, got {t_mul}")));
                }
                Kind::CosineRestarts { initial, first_decay_steps, t_mul, m_mul, alpha }
            }
        };
        a.finish()?;
        Ok(Schedule { class, kind, config: out })
    }
}

/// `floor(s / d)` for a non-negative step, exact at multiples of `d` even where the device's
/// division is not correctly rounded (a one-ulp miss would drop a whole stair).
fn floor_div<'g>(s: Sym<'g>, d: f64) -> Result<Sym<'g>> {
    let q = s.mul_scalar(1.0 / d)?.unary(wgkeras_runtime::ops::UnaryOp::Floor)?;
    let next = q.add_scalar(1.0)?;
    // q + 1 when (q + 1) * d <= s: the quotient was rounded just below an integer.
    let bump = next.mul_scalar(d)?.less_equal(s)?;
    let lower = q.mul_scalar(d)?.greater(s)?;
    bump.select(next, lower.select(q.add_scalar(-1.0)?, q)?)
}

/// `cos(pi x)` for `x` in [0, 1], as `-sin(pi (x - 1/2))` by its Taylor polynomial (error
/// below 1e-9): a GPU's `cos` may be off by 2^-11 (WGSL's bound), too much for a learning rate
/// that Adam-like rules turn directly into the step size.
fn cos_pi<'g>(x: Sym<'g>) -> Result<Sym<'g>> {
    let y = x.add_scalar(-0.5)?.mul_scalar(PI)?;
    let y2 = y.square()?;
    // sin(y) = y (1 - y^2/6 (1 - y^2/20 (1 - y^2/42 (1 - y^2/72 (1 - y^2/110 (1 - y^2/156))))))
    let mut acc = y2.mul_scalar(-1.0 / 156.0)?.add_scalar(1.0)?;
    for d in [110.0, 72.0, 42.0, 20.0, 6.0] {
        acc = y2.mul(acc)?.mul_scalar(-1.0 / d)?.add_scalar(1.0)?;
    }
    y.mul(acc)?.neg()
}

fn cos_decay<'g>(fraction: Sym<'g>, alpha: f64) -> Result<Sym<'g>> {
    // 0.5 * (1 + cos(pi * fraction)) * (1 - alpha) + alpha
    cos_pi(fraction)?.add_scalar(1.0)?.mul_scalar(0.5 * (1.0 - alpha))?.add_scalar(alpha)
}

impl LearningRateSchedule for Schedule {
    fn class_name(&self) -> &'static str {
        self.class
    }

    fn config(&self) -> Map<String, Value> {
        self.config.clone()
    }

    fn call<'g>(&self, step: Sym<'g>) -> Result<Sym<'g>> {
        let int_step = !step.dtype().is_float();
        let s = step.cast(DType::F32)?;
        let g = step.graph;
        let f32c = |v: f64| g.scalar(v, DType::F32);
        match &self.kind {
            Kind::Exponential { initial, decay_steps, decay_rate, staircase } => {
                let p = if *staircase { floor_div(s, *decay_steps)? } else { s.div(f32c(*decay_steps)?)? };
                // rate^p as exp(p ln rate) (ln in f64 on the host): a GPU's pow is less exact.
                if *decay_rate > 0.0 {
                    p.mul_scalar(decay_rate.ln())?.exp()?.mul_scalar(*initial)
                } else {
                    f32c(*decay_rate)?.pow(p)?.mul_scalar(*initial)
                }
            }
            Kind::InverseTime { initial, decay_steps, decay_rate, staircase } => {
                let p = if *staircase { floor_div(s, *decay_steps)? } else { s.div(f32c(*decay_steps)?)? };
                f32c(*initial)?.div(p.mul_scalar(*decay_rate)?.add_scalar(1.0)?)
            }
            Kind::Piecewise { boundaries, values } => {
                // Keras casts the boundaries to the step's dtype (an integer step truncates them).
                let b: Vec<f64> = boundaries.iter().map(|&b| if int_step { b.trunc() } else { b }).collect();
                let zero = f32c(0.0)?;
                let mut out = s.less_equal(f32c(b[0])?)?.select(f32c(values[0])?, zero)?;
                let last = *b.last().unwrap_or(&0.0);
                out = out.add(s.greater(f32c(last)?)?.select(f32c(values[values.len() - 1])?, zero)?)?;
                for (i, w) in b.windows(2).enumerate() {
                    let inside = s.greater(f32c(w[0])?)?.logical_and(s.less_equal(f32c(w[1])?)?)?;
                    out = out.add(inside.select(f32c(values[i + 1])?, zero)?)?;
                }
                Ok(out)
            }
            Kind::Polynomial { initial, decay_steps, end, power, cycle } => {
                let (s, ds) = if *cycle {
                    // decay_steps * max(ceil(s / decay_steps), 1 at step 0)
                    let q = floor_div(s, *decay_steps)?;
                    let exact = q.mul_scalar(*decay_steps)?.equal(s)?;
                    let ceil = exact.select(q, q.add_scalar(1.0)?)?;
                    let mult = s.equal(zero_like(s)?)?.select(f32c(1.0)?, ceil)?;
                    (s, mult.mul_scalar(*decay_steps)?)
                } else {
                    (s.minimum_scalar(*decay_steps)?, f32c(*decay_steps)?)
                };
                let p = s.div(ds)?;
                p.rsub_scalar(1.0)?.pow(f32c(*power)?)?.mul_scalar(initial - end)?.add_scalar(*end)
            }
            Kind::Cosine { initial, decay_steps, alpha, warmup_target, warmup_steps } => {
                match warmup_target {
                    None => {
                        let s = s.minimum_scalar(*decay_steps)?;
                        cos_decay(s.div(f32c(*decay_steps)?)?, *alpha)?.mul_scalar(*initial)
                    }
                    Some(target) => {
                        let s = s.minimum_scalar(decay_steps + warmup_steps)?;
                        let warm = s
                            .div(f32c(*warmup_steps)?)?
                            .mul_scalar(target - initial)?
                            .add_scalar(*initial)?;
                        let decay =
                            cos_decay(s.add_scalar(-warmup_steps)?.div(f32c(*decay_steps)?)?, *alpha)?
                                .mul_scalar(*target)?;
                        s.less(f32c(*warmup_steps)?)?.select(warm, decay)
                    }
                }
            }
            Kind::CosineRestarts { initial, first_decay_steps, t_mul, m_mul, alpha } => {
                let (i_restart, fraction) = if *t_mul == 1.0 {
                    let i = floor_div(s, *first_decay_steps)?;
                    (i, s.div(f32c(*first_decay_steps)?)?.sub(i)?)
                } else {
                    let cf = s.div(f32c(*first_decay_steps)?)?;
                    let i = cf
                        .mul_scalar(1.0 - t_mul)?
                        .rsub_scalar(1.0)?
                        .log()?
                        .div(f32c(t_mul.ln())?)?
                        .unary(wgkeras_runtime::ops::UnaryOp::Floor)?;
                    let tp = f32c(*t_mul)?.pow(i)?;
                    let sum_r = tp.rsub_scalar(1.0)?.mul_scalar(1.0 / (1.0 - t_mul))?;
                    (i, cf.sub(sum_r)?.div(tp)?)
                };
                let m_fac = f32c(*m_mul)?.pow(i_restart)?;
                let cosine = cos_pi(fraction)?.add_scalar(1.0)?.mul(m_fac)?.mul_scalar(0.5)?;
                cosine.mul_scalar(1.0 - alpha)?.add_scalar(*alpha)?.mul_scalar(*initial)
            }
        }
    }
}

fn zero_like(s: Sym<'_>) -> Result<Sym<'_>> {
    s.graph.scalar(0.0, s.dtype())
}

/// `keras.optimizers.schedules.serialize`.
pub fn serialize(schedule: &dyn LearningRateSchedule) -> Value {
    json!({
        "module": "keras.optimizers.schedules",
        "class_name": schedule.class_name(),
        "config": Value::Object(schedule.config()),
        "registered_name": Value::Null,
    })
}

/// `keras.optimizers.schedules.deserialize`: a serialized schedule object (or a bare class
/// name with a config map under `"config"`).
pub fn deserialize(identifier: &Value) -> Result<Arc<dyn LearningRateSchedule>> {
    let (class, config) = identifier_parts("optimizers.schedules.deserialize", identifier)?;
    Ok(Arc::new(Schedule::from_config(&class, &config)?))
}

macro_rules! schedule_ctor {
    ($(#[$doc:meta])* $fn_name:ident, $class:literal, ($($arg:ident : $ty:ty),*)) => {
        $(#[$doc])*
        pub fn $fn_name($($arg: $ty),*) -> Result<Arc<dyn LearningRateSchedule>> {
            let mut m = Map::new();
            $(m.insert(stringify!($arg).into(), json!($arg));)*
            Ok(Arc::new(Schedule::from_config($class, &m)?))
        }
    };
}

schedule_ctor!(
    /// `ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase)`.
    exponential_decay, "ExponentialDecay",
    (initial_learning_rate: f64, decay_steps: i64, decay_rate: f64, staircase: bool)
);
schedule_ctor!(
    /// `InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase)`.
    inverse_time_decay, "InverseTimeDecay",
    (initial_learning_rate: f64, decay_steps: i64, decay_rate: f64, staircase: bool)
);
schedule_ctor!(
    /// `PiecewiseConstantDecay(boundaries, values)`.
    piecewise_constant_decay, "PiecewiseConstantDecay", (boundaries: Vec<i64>, values: Vec<f64>)
);
schedule_ctor!(
    /// `PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate, power, cycle)`.
    polynomial_decay, "PolynomialDecay",
    (initial_learning_rate: f64, decay_steps: i64, end_learning_rate: f64, power: f64, cycle: bool)
);
schedule_ctor!(
    /// `CosineDecay(initial_learning_rate, decay_steps, alpha, warmup_target, warmup_steps)`.
    cosine_decay, "CosineDecay",
    (initial_learning_rate: f64, decay_steps: i64, alpha: f64, warmup_target: Option<f64>, warmup_steps: i64)
);
schedule_ctor!(
    /// `CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul, m_mul, alpha)`.
    cosine_decay_restarts, "CosineDecayRestarts",
    (initial_learning_rate: f64, first_decay_steps: i64, t_mul: f64, m_mul: f64, alpha: f64)
);
