//! `keras.initializers`: the starting values of weights. Each has Keras's class name and
//! config keys; seeds come from the runtime's Philox generator (through `utils::rng` when no
//! seed is given), so a seeded program gives the same weights on every device.
//!
//! As in Keras, an initializer built with an integer `seed` gives the same values at every call
//! (the Philox stream of that seed, counter 0), and one built with `seed: None` takes its own
//! stream from the global generator ([`crate::utils::rng::random_seed`]) when it is built and
//! gives new values at each call (so `set_random_seed` makes the whole program reproducible).
//!
//! Classes: [`Zeros`], [`Ones`], [`Constant`], [`Identity`], [`RandomNormal`],
//! [`RandomUniform`], [`TruncatedNormal`] and [`VarianceScaling`] with its presets
//! (`GlorotUniform`, `GlorotNormal`, `HeNormal`, `HeUniform`, `LecunNormal`, `LecunUniform`:
//! [`VarianceScaling::glorot_uniform`] and its siblings) and [`Orthogonal`]. `STFT` (the kernel
//! of Keras's `STFTSpectrogram` layer) is not implemented.

use std::sync::Mutex;

use serde_json::{json, Map, Value};
use wgkeras_runtime::ops::random::Generator;
use wgkeras_runtime::{ops, DType, Device, Tensor};

use crate::error::{Error, Result};
use crate::optimizers::args::{identifier_parts, ConfigArgs};

pub trait Initializer: Send + Sync {
    fn class_name(&self) -> &'static str;
    /// Keras's `get_config()`.
    fn config(&self) -> Map<String, Value>;
    /// A new tensor of `dims`.
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor>;
}

/// Keras's names for the initializers (class names and their aliases), as `get` accepts them
/// (case-sensitive, as Keras).
pub const INITIALIZER_NAMES: [&str; 36] = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "constant",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "one",
    "ones",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "zero",
    "zeros",
    "Orthogonal",
    "orthogonal",
    "OrthogonalInitializer",
];

/// Builds an initializer from a string identifier (`"glorot_uniform"`, `"zeros"`,
/// `"GlorotUniform"`) or a Keras serialized object `{"class_name", "config", ...}`.
pub fn get(identifier: &Value) -> Result<Box<dyn Initializer>> {
    let (class, config) = identifier_parts("initializers.get", identifier)?;
    from_config(&class, &config)
}

/// Builds the initializer `class_name` (a Keras class name or alias) from its config.
pub fn from_config(class_name: &str, config: &Map<String, Value>) -> Result<Box<dyn Initializer>> {
    let vs =
        |class: &'static str, preset: fn(Option<i64>) -> VarianceScaling| -> Result<Box<dyn Initializer>> {
            let a = ConfigArgs::new(class, config);
            let seed = a.opt_int("seed")?;
            let axes = read_fan_axes(&a)?;
            a.finish()?;
            Ok(Box::new(preset(seed).with_axes(axes)))
        };
    Ok(match class_name {
        "Zeros" | "zeros" | "zero" => {
            ConfigArgs::new("Zeros", config).finish()?;
            Box::new(Zeros)
        }
        "Ones" | "ones" | "one" => {
            ConfigArgs::new("Ones", config).finish()?;
            Box::new(Ones)
        }
        "Constant" | "constant" => {
            let a = ConfigArgs::new("Constant", config);
            let value = match a.get("value") {
                None if !config.contains_key("value") => json!(0.0),
                Some(v @ Value::Number(_)) => v.clone(),
                Some(v @ Value::Bool(_)) => v.clone(),
                Some(v) => return Err(a.error("value", format!("expected a scalar number, got {v}"))),
                None => return Err(a.error("value", "expected a scalar number, got null")),
            };
            a.finish()?;
            Box::new(Constant::from_json(value))
        }
        "Identity" | "identity" | "IdentityInitializer" => {
            let a = ConfigArgs::new("Identity", config);
            let gain = a.number("gain", 1.0)?;
            a.finish()?;
            Box::new(Identity { gain })
        }
        "RandomNormal" | "random_normal" | "normal" => {
            let (mean, stddev, seed) = read_random_config("RandomNormal", config, NORMAL_PARAMS)?;
            Box::new(RandomNormal::new(mean, stddev, seed))
        }
        "TruncatedNormal" | "truncated_normal" => {
            let (mean, stddev, seed) = read_random_config("TruncatedNormal", config, NORMAL_PARAMS)?;
            Box::new(TruncatedNormal::new(mean, stddev, seed))
        }
        "RandomUniform" | "random_uniform" | "uniform" => {
            let (minval, maxval, seed) = read_random_config("RandomUniform", config, UNIFORM_PARAMS)?;
            Box::new(RandomUniform::new(minval, maxval, seed))
        }
        "VarianceScaling" | "variance_scaling" => {
            let a = ConfigArgs::new("VarianceScaling", config);
            let scale = a.number("scale", 1.0)?;
            let mode = a.string("mode", "fan_in")?;
            let distribution = a.string("distribution", "truncated_normal")?;
            let seed = a.opt_int("seed")?;
            let axes = read_fan_axes(&a)?;
            a.finish()?;
            Box::new(VarianceScaling::new(scale, &mode, &distribution, seed)?.with_axes(axes))
        }
        "GlorotUniform" | "glorot_uniform" => vs("GlorotUniform", VarianceScaling::glorot_uniform)?,
        "GlorotNormal" | "glorot_normal" => vs("GlorotNormal", VarianceScaling::glorot_normal)?,
        "HeNormal" | "he_normal" => vs("HeNormal", VarianceScaling::he_normal)?,
        "HeUniform" | "he_uniform" => vs("HeUniform", VarianceScaling::he_uniform)?,
        "LecunNormal" | "lecun_normal" => vs("LecunNormal", VarianceScaling::lecun_normal)?,
        "LecunUniform" | "lecun_uniform" => vs("LecunUniform", VarianceScaling::lecun_uniform)?,
        "Orthogonal" | "orthogonal" | "OrthogonalInitializer" => {
            let a = ConfigArgs::new("Orthogonal", config);
            let gain = a.number("gain", 1.0)?;
            let seed = a.opt_int("seed")?;
            a.finish()?;
            Box::new(Orthogonal::new(gain, seed))
        }
        "STFT" | "stft" | "STFTInitializer" => {
            return Err(Error::arg(
                "initializers.get",
                format!("the Keras initializer {class_name:?} is not implemented yet"),
            ))
        }
        other => {
            return Err(Error::arg(
                "initializers.get",
                format!(
                "could not interpret initializer identifier {other:?} (names are case-sensitive); known: {}",
                INITIALIZER_NAMES.join(", ")
            ),
            ))
        }
    })
}

/// The config keys and defaults of `RandomNormal` and `TruncatedNormal`.
const NORMAL_PARAMS: [(&str, f64); 2] = [("mean", 0.0), ("stddev", 0.05)];
/// The config keys and defaults of `RandomUniform`.
const UNIFORM_PARAMS: [(&str, f64); 2] = [("minval", -0.05), ("maxval", 0.05)];

/// Reads the config of a random initializer with two parameters (`params`: their keys and
/// defaults) and a `seed`.
fn read_random_config(
    class: &'static str,
    config: &Map<String, Value>,
    params: [(&str, f64); 2],
) -> Result<(f64, f64, Option<i64>)> {
    let a = ConfigArgs::new(class, config);
    let [(key_a, default_a), (key_b, default_b)] = params;
    let read = (a.number(key_a, default_a)?, a.number(key_b, default_b)?, a.opt_int("seed")?);
    a.finish()?;
    Ok(read)
}

/// `(input_axes, output_axes)` of a [`VarianceScaling`].
type FanAxes = (Option<Vec<i64>>, Option<Vec<i64>>);

/// Reads `input_axes` and `output_axes` from a `VarianceScaling` (or preset) config.
fn read_fan_axes(a: &ConfigArgs<'_>) -> Result<FanAxes> {
    Ok((a.opt_int_list("input_axes")?, a.opt_int_list("output_axes")?))
}

/// The config of a random initializer: `seed`, then its two parameters.
fn random_config(seed: &Seed, params: [(&str, f64); 2]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("seed".into(), seed.json());
    for (key, value) in params {
        m.insert(key.into(), json!(value));
    }
    m
}

/// Keras's serialized form of an initializer.
pub fn serialize(init: &dyn Initializer) -> Value {
    serde_json::json!({
        "module": "keras.initializers",
        "class_name": init.class_name(),
        "config": Value::Object(init.config()),
        "registered_name": Value::Null,
    })
}

// ---------------------------------------------------------------------------------------------
// seeds
// ---------------------------------------------------------------------------------------------

/// The seed of a random initializer: a fixed one (same values at every call) or a stream of
/// the global generator (new values at every call).
pub struct Seed {
    config: Option<i64>,
    stream: Option<Mutex<Generator>>,
}

impl Seed {
    /// `Some(seed)`: fixed; `None`: a new stream from [`crate::utils::rng::random_seed`].
    pub fn new(seed: Option<i64>) -> Seed {
        match seed {
            Some(s) => Seed { config: Some(s), stream: None },
            None => Seed { config: None, stream: Some(Mutex::new(crate::utils::rng::random_seed())) },
        }
    }

    /// The `(seed, offset)` of the next draw.
    fn next(&self) -> (u64, u64) {
        match (&self.stream, self.config) {
            (Some(g), _) => g.lock().unwrap_or_else(|e| e.into_inner()).next_stream(),
            (None, Some(s)) => (s as u64, 0),
            (None, None) => (0, 0),
        }
    }

    /// A generator positioned at the next draw (the free functions of `ops::random` are the
    /// generator's draws at offset 0).
    fn generator(&self) -> Generator {
        let (seed, counter) = self.next();
        Generator { seed, counter }
    }

    fn json(&self) -> Value {
        json!(self.config)
    }
}

fn check_float(class: &'static str, dtype: DType) -> Result<()> {
    if dtype.is_float() {
        Ok(())
    } else {
        Err(Error::arg(class, format!("random initializers need a float dtype, got {}", dtype.name())))
    }
}

// ---------------------------------------------------------------------------------------------
// constant initializers
// ---------------------------------------------------------------------------------------------

/// All zeros.
#[derive(Clone, Debug, Default)]
pub struct Zeros;

impl Initializer for Zeros {
    fn class_name(&self) -> &'static str {
        "Zeros"
    }
    fn config(&self) -> Map<String, Value> {
        Map::new()
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        Ok(ops::zeros(dims, dtype, device)?)
    }
}

/// All ones.
#[derive(Clone, Debug, Default)]
pub struct Ones;

impl Initializer for Ones {
    fn class_name(&self) -> &'static str {
        "Ones"
    }
    fn config(&self) -> Map<String, Value> {
        Map::new()
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        Ok(ops::ones(dims, dtype, device)?)
    }
}

/// Every element `value` (a scalar).
#[derive(Clone, Debug)]
pub struct Constant {
    value: f64,
    json: Value,
}

impl Constant {
    pub fn new(value: f64) -> Constant {
        Constant { value, json: json!(value) }
    }

    fn from_json(json: Value) -> Constant {
        let value = match &json {
            Value::Bool(b) => *b as u8 as f64,
            v => v.as_f64().unwrap_or(0.0),
        };
        Constant { value, json }
    }
}

impl Default for Constant {
    fn default() -> Self {
        Constant::new(0.0)
    }
}

impl Initializer for Constant {
    fn class_name(&self) -> &'static str {
        "Constant"
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("value".into(), self.json.clone());
        m
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        Ok(ops::full(dims, self.value, dtype, device)?)
    }
}

/// `gain` times the identity matrix (2-D shapes only; rectangular allowed).
#[derive(Clone, Debug)]
pub struct Identity {
    pub gain: f64,
}

impl Default for Identity {
    fn default() -> Self {
        Identity { gain: 1.0 }
    }
}

impl Initializer for Identity {
    fn class_name(&self) -> &'static str {
        "Identity"
    }
    /// Keras 3.15's `Identity` has no `get_config`: its config is empty.
    fn config(&self) -> Map<String, Value> {
        Map::new()
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        if dims.len() != 2 {
            return Err(Error::arg(
                "Identity",
                format!(
                    "the identity matrix initializer can only be used for 2D matrices, got shape {dims:?}"
                ),
            ));
        }
        let eye = ops::eye(dims[0], Some(dims[1]), 0, dtype, device)?;
        if self.gain == 1.0 {
            return Ok(eye);
        }
        let gain = ops::full(&[], self.gain, dtype, device)?;
        Ok(ops::multiply(&eye, &gain)?)
    }
}

// ---------------------------------------------------------------------------------------------
// random initializers
// ---------------------------------------------------------------------------------------------

/// Normal values (`mean`, `stddev`; defaults 0 and 0.05).
pub struct RandomNormal {
    pub mean: f64,
    pub stddev: f64,
    seed: Seed,
}

impl RandomNormal {
    pub fn new(mean: f64, stddev: f64, seed: Option<i64>) -> RandomNormal {
        RandomNormal { mean, stddev, seed: Seed::new(seed) }
    }
}

impl Initializer for RandomNormal {
    fn class_name(&self) -> &'static str {
        "RandomNormal"
    }
    fn config(&self) -> Map<String, Value> {
        random_config(&self.seed, [("mean", self.mean), ("stddev", self.stddev)])
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        check_float("RandomNormal", dtype)?;
        Ok(self.seed.generator().normal(dims, self.mean, self.stddev, dtype, device)?)
    }
}

/// Normal values redrawn beyond two standard deviations (`mean`, `stddev`; 0 and 0.05).
pub struct TruncatedNormal {
    pub mean: f64,
    pub stddev: f64,
    seed: Seed,
}

impl TruncatedNormal {
    pub fn new(mean: f64, stddev: f64, seed: Option<i64>) -> TruncatedNormal {
        TruncatedNormal { mean, stddev, seed: Seed::new(seed) }
    }
}

impl Initializer for TruncatedNormal {
    fn class_name(&self) -> &'static str {
        "TruncatedNormal"
    }
    fn config(&self) -> Map<String, Value> {
        random_config(&self.seed, [("mean", self.mean), ("stddev", self.stddev)])
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        check_float("TruncatedNormal", dtype)?;
        Ok(self.seed.generator().truncated_normal(dims, self.mean, self.stddev, dtype, device)?)
    }
}

/// Uniform values in `[minval, maxval)` (defaults -0.05 and 0.05).
pub struct RandomUniform {
    pub minval: f64,
    pub maxval: f64,
    seed: Seed,
}

impl RandomUniform {
    pub fn new(minval: f64, maxval: f64, seed: Option<i64>) -> RandomUniform {
        RandomUniform { minval, maxval, seed: Seed::new(seed) }
    }
}

impl Initializer for RandomUniform {
    fn class_name(&self) -> &'static str {
        "RandomUniform"
    }
    fn config(&self) -> Map<String, Value> {
        random_config(&self.seed, [("minval", self.minval), ("maxval", self.maxval)])
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        check_float("RandomUniform", dtype)?;
        Ok(self.seed.generator().uniform(dims, self.minval, self.maxval, dtype, device)?)
    }
}

/// How [`VarianceScaling`] counts the units of a weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    FanIn,
    FanOut,
    FanAvg,
}

impl FanMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FanMode::FanIn => "fan_in",
            FanMode::FanOut => "fan_out",
            FanMode::FanAvg => "fan_avg",
        }
    }
}

/// The distribution [`VarianceScaling`] draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    TruncatedNormal,
    UntruncatedNormal,
    Uniform,
}

impl Distribution {
    pub fn as_str(self) -> &'static str {
        match self {
            Distribution::TruncatedNormal => "truncated_normal",
            Distribution::UntruncatedNormal => "untruncated_normal",
            Distribution::Uniform => "uniform",
        }
    }
}

/// Keras's `compute_fans`: `(fan_in, fan_out)` of a weight shape (the last two dims, times the
/// receptive field for convolution kernels), or the products over the given axes.
pub fn compute_fans(
    dims: &[usize],
    input_axes: Option<&[i64]>,
    output_axes: Option<&[i64]>,
) -> Result<(f64, f64)> {
    if let (Some(ia), Some(oa)) = (input_axes, output_axes) {
        let prod = |axes: &[i64]| -> Result<f64> {
            let mut p = 1.0;
            for &a in axes {
                let r = dims.len() as i64;
                let i = if a < 0 { a + r } else { a };
                if i < 0 || i >= r {
                    return Err(Error::arg(
                        "VarianceScaling",
                        format!("axis {a} of input_axes/output_axes is out of range for shape {dims:?}"),
                    ));
                }
                p *= dims[i as usize] as f64;
            }
            Ok(p)
        };
        return Ok((prod(ia)?, prod(oa)?));
    }
    Ok(match dims.len() {
        0 => (1.0, 1.0),
        1 => (dims[0] as f64, dims[0] as f64),
        2 => (dims[0] as f64, dims[1] as f64),
        n => {
            let rf: f64 = dims[..n - 2].iter().map(|&d| d as f64).product();
            (dims[n - 2] as f64 * rf, dims[n - 1] as f64 * rf)
        }
    })
}

/// Values whose variance is `scale / fan` (fan per `mode`), drawn from a truncated normal, a
/// normal or a uniform distribution; the base of the Glorot, He and LeCun initializers.
pub struct VarianceScaling {
    class: &'static str,
    pub scale: f64,
    pub mode: FanMode,
    pub distribution: Distribution,
    pub input_axes: Option<Vec<i64>>,
    pub output_axes: Option<Vec<i64>>,
    seed: Seed,
}

impl VarianceScaling {
    /// `keras.initializers.VarianceScaling(scale, mode, distribution, seed)`; `"normal"` means
    /// `"truncated_normal"`, as in Keras.
    pub fn new(scale: f64, mode: &str, distribution: &str, seed: Option<i64>) -> Result<VarianceScaling> {
        if scale.is_nan() || scale <= 0.0 {
            return Err(Error::arg(
                "VarianceScaling",
                format!("argument `scale` must be positive float. Received: scale={scale}"),
            ));
        }
        let mode = match mode {
            "fan_in" => FanMode::FanIn,
            "fan_out" => FanMode::FanOut,
            "fan_avg" => FanMode::FanAvg,
            other => {
                return Err(Error::arg(
                    "VarianceScaling",
                    format!("invalid `mode` argument: {other:?}; use one of fan_in, fan_out, fan_avg"),
                ))
            }
        };
        let distribution = match distribution.to_lowercase().as_str() {
            "normal" | "truncated_normal" => Distribution::TruncatedNormal,
            "untruncated_normal" => Distribution::UntruncatedNormal,
            "uniform" => Distribution::Uniform,
            other => {
                return Err(Error::arg(
                    "VarianceScaling",
                    format!(
                        "invalid `distribution` argument: {other:?}; use one of uniform, truncated_normal, \
                         untruncated_normal"
                    ),
                ))
            }
        };
        Ok(Self::preset("VarianceScaling", scale, mode, distribution, seed))
    }

    fn preset(
        class: &'static str,
        scale: f64,
        mode: FanMode,
        distribution: Distribution,
        seed: Option<i64>,
    ) -> Self {
        VarianceScaling {
            class,
            scale,
            mode,
            distribution,
            input_axes: None,
            output_axes: None,
            seed: Seed::new(seed),
        }
    }

    /// `GlorotUniform`: uniform in `±sqrt(6 / (fan_in + fan_out))`.
    pub fn glorot_uniform(seed: Option<i64>) -> Self {
        Self::preset("GlorotUniform", 1.0, FanMode::FanAvg, Distribution::Uniform, seed)
    }
    /// `GlorotNormal`: truncated normal of stddev `sqrt(2 / (fan_in + fan_out))`.
    pub fn glorot_normal(seed: Option<i64>) -> Self {
        Self::preset("GlorotNormal", 1.0, FanMode::FanAvg, Distribution::TruncatedNormal, seed)
    }
    /// `HeNormal`: truncated normal of stddev `sqrt(2 / fan_in)`.
    pub fn he_normal(seed: Option<i64>) -> Self {
        Self::preset("HeNormal", 2.0, FanMode::FanIn, Distribution::TruncatedNormal, seed)
    }
    /// `HeUniform`: uniform in `±sqrt(6 / fan_in)`.
    pub fn he_uniform(seed: Option<i64>) -> Self {
        Self::preset("HeUniform", 2.0, FanMode::FanIn, Distribution::Uniform, seed)
    }
    /// `LecunNormal`: truncated normal of stddev `sqrt(1 / fan_in)`.
    pub fn lecun_normal(seed: Option<i64>) -> Self {
        Self::preset("LecunNormal", 1.0, FanMode::FanIn, Distribution::TruncatedNormal, seed)
    }
    /// `LecunUniform`: uniform in `±sqrt(3 / fan_in)`.
    pub fn lecun_uniform(seed: Option<i64>) -> Self {
        Self::preset("LecunUniform", 1.0, FanMode::FanIn, Distribution::Uniform, seed)
    }

    /// With `(input_axes, output_axes)` for [`compute_fans`].
    fn with_axes(mut self, (input_axes, output_axes): FanAxes) -> Self {
        self.input_axes = input_axes;
        self.output_axes = output_axes;
        self
    }

    /// The variance `scale / fan` for `dims`.
    pub fn variance(&self, dims: &[usize]) -> Result<f64> {
        let (fan_in, fan_out) = compute_fans(dims, self.input_axes.as_deref(), self.output_axes.as_deref())?;
        let fan = match self.mode {
            FanMode::FanIn => fan_in,
            FanMode::FanOut => fan_out,
            FanMode::FanAvg => (fan_in + fan_out) / 2.0,
        };
        Ok(self.scale / fan.max(1.0))
    }
}

impl Initializer for VarianceScaling {
    fn class_name(&self) -> &'static str {
        self.class
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("seed".into(), self.seed.json());
        if self.class == "VarianceScaling" {
            m.insert("scale".into(), json!(self.scale));
            m.insert("mode".into(), json!(self.mode.as_str()));
            m.insert("distribution".into(), json!(self.distribution.as_str()));
        }
        m.insert("input_axes".into(), json!(self.input_axes));
        m.insert("output_axes".into(), json!(self.output_axes));
        m
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        check_float(self.class, dtype)?;
        let scale = self.variance(dims)?;
        let mut g = self.seed.generator();
        Ok(match self.distribution {
            // The stddev of a unit normal truncated at ±2 is 0.87962566103423978.
            Distribution::TruncatedNormal => {
                g.truncated_normal(dims, 0.0, scale.sqrt() / 0.879_625_661_034_239_8, dtype, device)?
            }
            Distribution::UntruncatedNormal => g.normal(dims, 0.0, scale.sqrt(), dtype, device)?,
            Distribution::Uniform => {
                let limit = (3.0 * scale).sqrt();
                g.uniform(dims, -limit, limit, dtype, device)?
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// orthogonal
// ---------------------------------------------------------------------------------------------

/// `gain` times an orthogonal matrix: the Q of the QR decomposition of a normal draw, its
/// columns' signs fixed by R's diagonal (so Q is uniformly distributed), as Keras does. Shapes of
/// rank > 2 are made from a `[prod(dims[..-1]), dims[-1]]` matrix; with fewer rows than columns
/// the rows are orthonormal, otherwise the columns.
pub struct Orthogonal {
    pub gain: f64,
    seed: Seed,
}

impl Orthogonal {
    pub fn new(gain: f64, seed: Option<i64>) -> Orthogonal {
        Orthogonal { gain, seed: Seed::new(seed) }
    }
}

impl Initializer for Orthogonal {
    fn class_name(&self) -> &'static str {
        "Orthogonal"
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("seed".into(), self.seed.json());
        m.insert("gain".into(), json!(self.gain));
        m
    }
    fn init(&self, dims: &[usize], dtype: DType, device: &Device) -> Result<Tensor> {
        check_float("Orthogonal", dtype)?;
        if dims.len() < 2 {
            return Err(Error::arg(
                "Orthogonal",
                format!(
                    "The tensor to initialize must be at least two-dimensional. Received: shape={dims:?} of rank {}.",
                    dims.len()
                ),
            ));
        }
        let rows: usize = dims[..dims.len() - 1].iter().product();
        let cols = dims[dims.len() - 1];
        let (m, n) = (rows.max(cols), rows.min(cols));
        let mut g = self.seed.generator();
        if n == 0 {
            return Ok(ops::zeros(dims, dtype, device)?);
        }
        // The draw is made on the CPU (the same numbers as on any device) and factored there: an
        // initializer runs once, outside the compiled step.
        let a = g.normal(&[m, n], 0.0, 1.0, dtype, &Device::Cpu)?.to_vec_f64()?;
        let q = orthonormal_q(&a, m, n);
        let mut out = vec![0.0; m * n];
        if rows < cols {
            // Transposed: out[r][c] = q[c][r], out being [n, m].
            for r in 0..n {
                for c in 0..m {
                    out[r * m + c] = self.gain * q[c * n + r];
                }
            }
        } else {
            for (o, v) in out.iter_mut().zip(&q) {
                *o = self.gain * v;
            }
        }
        let t = Tensor::from_cpu(wgkeras_runtime::CpuStorage::from_f64(dtype, out), dims, &Device::Cpu)?;
        Ok(if *device == Device::Cpu { t } else { t.to_device(device)? })
    }
}

/// The `[m, n]` (m >= n, row-major) reduced Q of `a` by Householder reflections, each column
/// multiplied by the sign of R's diagonal entry (Keras's `q *= sign(diag(r))`: Q then does not
/// depend on the QR algorithm's sign convention).
fn orthonormal_q(a: &[f64], m: usize, n: usize) -> Vec<f64> {
    let mut r = a.to_vec();
    let mut vs: Vec<Vec<f64>> = Vec::with_capacity(n);
    for k in 0..n {
        // v = x + sign(x0) |x| e0 over rows k..m of column k; H = I - 2 v v^T / (v^T v).
        let norm = (k..m).map(|i| r[i * n + k] * r[i * n + k]).sum::<f64>().sqrt();
        let mut v: Vec<f64> = (k..m).map(|i| r[i * n + k]).collect();
        let alpha = if v[0] >= 0.0 { norm } else { -norm };
        v[0] += alpha;
        let vv: f64 = v.iter().map(|x| x * x).sum();
        if vv > 0.0 {
            for j in k..n {
                let dot: f64 = (k..m).map(|i| v[i - k] * r[i * n + j]).sum();
                let f = 2.0 * dot / vv;
                for i in k..m {
                    r[i * n + j] -= f * v[i - k];
                }
            }
        }
        vs.push(v);
    }
    // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
    let mut q = vec![0.0; m * n];
    for j in 0..n {
        q[j * n + j] = 1.0;
    }
    for k in (0..n).rev() {
        let v = &vs[k];
        let vv: f64 = v.iter().map(|x| x * x).sum();
        if vv == 0.0 {
            continue;
        }
        for j in 0..n {
            let dot: f64 = (k..m).map(|i| v[i - k] * q[i * n + j]).sum();
            let f = 2.0 * dot / vv;
            for i in k..m {
                q[i * n + j] -= f * v[i - k];
            }
        }
    }
    for j in 0..n {
        let d = r[j * n + j];
        let s = if d > 0.0 {
            1.0
        } else if d < 0.0 {
            -1.0
        } else {
            0.0
        };
        for i in 0..m {
            q[i * n + j] *= s;
        }
    }
    q
}
