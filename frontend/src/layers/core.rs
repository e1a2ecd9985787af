//! Core layers: `Dense`, `Activation`, `Dropout`.

use std::sync::{Arc, Mutex};

use crate::random::SeedGenerator;
use serde_json::{Map, Value};

use crate::activations::Activation as ActivationFn;
use crate::constraints::{self, Constraint};
use crate::error::{Error, Result};
use crate::graph::{shape_str, Op, Shape, Sym};
use crate::initializers::{self, Initializer, VarianceScaling};
use crate::layers::serialization::{
    autocast, common_from_config, get_bool, get_f64, get_i64, noise_shape_source, parse_activation,
    parse_shape, require_null, shape_value, single_input, single_shape,
};
use crate::layers::{CallContext, Layer, LayerCommon, LayerRef};
use crate::regularizers::{self, Regularizer};
use crate::variable::Variable;

// ---------------------------------------------------------------------------------------------
// Dense
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Dense`: `activation(x @ kernel + bias)` on the last axis of `x`.
///
/// Weights (in Keras's `get_weights` order): `kernel` `[input_dim, units]`, then `bias`
/// `[units]` when `use_bias`, then with LoRA `lora_kernel_a` `[input_dim, rank]` and
/// `lora_kernel_b` `[rank, units]`. On 2-D inputs the graph is exactly `matmul`, `add`,
/// activation (the pattern the plan compiler fuses into one matmul with an epilogue); on N-D
/// inputs the leading axes are flattened to one first and restored after.
///
/// The kernel and bias carry their regularizers and constraints (the model adds the penalties,
/// the optimizer applies the constraints); `activity_regularizer` is the layer's.
///
/// LoRA follows Keras 3.15.1's `enable_lora`: the kernel is frozen and the effective kernel is
/// `kernel + (lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b` (`a` from `he_uniform`,
/// `b` zeros, both with the kernel regularizer). As in Keras, building a layer made with
/// `lora_rank` calls `enable_lora(lora_rank)` without an alpha, so the built layer's
/// `lora_alpha` is `lora_rank` whatever the config said.
pub struct Dense {
    common: LayerCommon,
    units: usize,
    activation: ActivationFn,
    use_bias: bool,
    kernel_initializer: Box<dyn Initializer>,
    bias_initializer: Box<dyn Initializer>,
    kernel_regularizer: Option<Arc<dyn Regularizer>>,
    bias_regularizer: Option<Arc<dyn Regularizer>>,
    kernel_constraint: Option<Arc<dyn Constraint>>,
    bias_constraint: Option<Arc<dyn Constraint>>,
    lora: Mutex<DenseLora>,
}

/// Keras's `lora_rank`, `lora_alpha` (as given: int or float) and `lora_enabled`.
#[derive(Clone, Debug, Default)]
struct DenseLora {
    rank: Option<usize>,
    alpha: Option<Value>,
    enabled: bool,
}

const DENSE_KEYS: &[&str] = &[
    "units",
    "activation",
    "use_bias",
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "bias_constraint",
    "lora_rank",
    "lora_alpha",
    "quantization_config",
];

impl Dense {
    /// `Dense(units, activation)` with Keras's defaults for the rest (`use_bias=True`,
    /// `glorot_uniform` kernel, `zeros` bias); `activation` None is `linear`.
    pub fn new(units: usize, activation: Option<&str>) -> Result<Dense> {
        let mut config = Map::new();
        config.insert("units".into(), Value::from(units));
        config.insert("activation".into(), activation.map_or(Value::Null, Value::from));
        Dense::from_config(&config)
    }

    /// From Keras's `get_config()` (every argument of Keras's Dense but `quantization_config`,
    /// which must be null). Unknown keys and bad values are errors naming the key.
    pub fn from_config(config: &Map<String, Value>) -> Result<Dense> {
        const C: &str = "Dense";
        // The activity regularizer is Dense's own argument here (the shared reader refuses it).
        let mut rest = config.clone();
        let activity = rest.remove("activity_regularizer").unwrap_or(Value::Null);
        let common = common_from_config(C, &rest, DENSE_KEYS)?;
        let units = match get_i64(C, config, "units")? {
            Some(u) if u > 0 => u as usize,
            Some(u) => {
                return Err(Error::arg(
                    C,
                    format!(
                    "Received an invalid value for `units`, expected a positive integer. Received: units={u}"
                ),
                ))
            }
            None => return Err(Error::arg(C, "Dense: missing the required argument `units`")),
        };
        let activation = parse_activation(C, config.get("activation").unwrap_or(&Value::Null))?;
        let use_bias = get_bool(C, config, "use_bias", true)?;
        let kernel_initializer =
            initializer(C, "kernel_initializer", config.get("kernel_initializer"), "glorot_uniform")?;
        let bias_initializer = initializer(C, "bias_initializer", config.get("bias_initializer"), "zeros")?;
        let reg = |key: &str| {
            regularizers::get(config.get(key).unwrap_or(&Value::Null))
                .map_err(|e| Error::arg(C, format!("{C}: `{key}`: {e}")))
        };
        let con = |key: &str| {
            constraints::get(config.get(key).unwrap_or(&Value::Null))
                .map_err(|e| Error::arg(C, format!("{C}: `{key}`: {e}")))
        };
        let kernel_regularizer = reg("kernel_regularizer")?;
        let bias_regularizer = reg("bias_regularizer")?;
        let activity_regularizer = regularizers::get(&activity)
            .map_err(|e| Error::arg(C, format!("{C}: `activity_regularizer`: {e}")))?;
        let kernel_constraint = con("kernel_constraint")?;
        let bias_constraint = con("bias_constraint")?;
        let rank = match get_i64(C, config, "lora_rank")? {
            None => None,
            Some(r) if r >= 0 => Some(r as usize),
            Some(r) => {
                return Err(Error::arg(
                    C,
                    format!("{C}: `lora_rank` must be a non-negative integer, got {r}"),
                ))
            }
        };
        let alpha = match config.get("lora_alpha") {
            None | Some(Value::Null) => rank.map(Value::from),
            Some(v @ Value::Number(_)) => Some(v.clone()),
            Some(v) => {
                return Err(Error::arg(C, format!("{C}: `lora_alpha` must be a number or null, got {v}")))
            }
        };
        require_null(C, config, "quantization_config")?;
        common.set_activity_regularizer(activity_regularizer);
        Ok(Dense {
            common,
            units,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
            lora: Mutex::new(DenseLora { rank, alpha, enabled: false }),
        })
    }

    /// Builder-style `use_bias`.
    pub fn with_use_bias(mut self, use_bias: bool) -> Dense {
        self.use_bias = use_bias;
        self
    }

    pub fn units(&self) -> usize {
        self.units
    }

    pub fn activation(&self) -> &ActivationFn {
        &self.activation
    }

    pub fn use_bias(&self) -> bool {
        self.use_bias
    }

    pub fn kernel_regularizer(&self) -> Option<Arc<dyn Regularizer>> {
        self.kernel_regularizer.clone()
    }

    pub fn bias_regularizer(&self) -> Option<Arc<dyn Regularizer>> {
        self.bias_regularizer.clone()
    }

    pub fn kernel_constraint(&self) -> Option<Arc<dyn Constraint>> {
        self.kernel_constraint.clone()
    }

    pub fn bias_constraint(&self) -> Option<Arc<dyn Constraint>> {
        self.bias_constraint.clone()
    }

    /// The weight `<layer>/<name>` (None before `build`).
    fn weight(&self, name: &str) -> Option<Variable> {
        let path = format!("{}/{name}", self.common.name);
        self.common.weights().into_iter().find(|w| w.name() == path)
    }

    /// The kernel and bias variables (None before `build`).
    pub fn kernel(&self) -> Option<Variable> {
        self.weight("kernel")
    }

    pub fn bias(&self) -> Option<Variable> {
        if self.use_bias {
            self.weight("bias")
        } else {
            None
        }
    }

    /// `(lora_kernel_a, lora_kernel_b)` once LoRA is enabled.
    pub fn lora_kernels(&self) -> Option<(Variable, Variable)> {
        Some((self.weight("lora_kernel_a")?, self.weight("lora_kernel_b")?))
    }

    fn lora_state(&self) -> DenseLora {
        self.lora.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether LoRA is enabled (by `lora_rank` at build, or [`Dense::enable_lora`]).
    pub fn lora_enabled(&self) -> bool {
        self.lora_state().enabled
    }

    /// Keras's `enable_lora(rank, lora_alpha)`: freezes the kernel and adds the trainable
    /// `lora_kernel_a` (`he_uniform`) and `lora_kernel_b` (zeros). Refused with a kernel
    /// constraint, before build, or when already enabled (Keras's messages).
    pub fn enable_lora(&self, rank: usize, lora_alpha: Option<f64>) -> Result<()> {
        let alpha = lora_alpha.map_or(Value::from(rank), Value::from);
        self.enable_lora_with(rank, alpha)
    }

    fn enable_lora_with(&self, rank: usize, alpha: Value) -> Result<()> {
        const C: &str = "Dense";
        if self.kernel_constraint.is_some() {
            return Err(Error::arg(
                C,
                "Lora is incompatible with kernel constraints. In order to enable lora on this layer, remove the \
                 `kernel_constraint` argument.",
            ));
        }
        let Some(kernel) = self.kernel() else {
            return Err(Error::arg(C, "Cannot enable lora on a layer that isn't yet built."));
        };
        if self.lora_enabled() {
            return Err(Error::arg(C, "lora is already enabled. This can only be done once per layer."));
        }
        if rank == 0 {
            return Err(Error::arg(C, "enable_lora: `rank` must be a positive integer, got 0"));
        }
        let in_dim = kernel.dims()[0];
        let a_init = VarianceScaling::he_uniform(None);
        self.common.add_weight_with(
            "lora_kernel_a",
            &[in_dim, rank],
            &a_init,
            true,
            self.kernel_regularizer.clone(),
            None,
        )?;
        self.common.add_weight_with(
            "lora_kernel_b",
            &[rank, self.units],
            &initializers::Zeros,
            true,
            self.kernel_regularizer.clone(),
            None,
        )?;
        kernel.set_trainable(false);
        *self.lora.lock().unwrap_or_else(|e| e.into_inner()) =
            DenseLora { rank: Some(rank), alpha: Some(alpha), enabled: true };
        Ok(())
    }

    /// The kernel the call multiplies by: the variable, plus the LoRA update when enabled.
    fn effective_kernel<'g>(&self, g: &'g crate::graph::Graph) -> Result<Sym<'g>> {
        let kernel = g.variable(&self.kernel().ok_or_else(|| self.not_built())?);
        let lora = self.lora_state();
        if !lora.enabled {
            return Ok(kernel);
        }
        let (a, b) = self.lora_kernels().ok_or_else(|| self.not_built())?;
        let rank = lora.rank.unwrap_or(1) as f64;
        let alpha = lora.alpha.as_ref().and_then(Value::as_f64).unwrap_or(rank);
        let update = g.variable(&a).matmul(g.variable(&b))?.mul_scalar(alpha / rank)?;
        kernel.add(update.cast(kernel.dtype())?)
    }

    fn not_built(&self) -> Error {
        Error::arg("Dense", format!("layer {:?} (Dense) is not built", self.common.name))
    }

    /// The built input dim (the kernel's first dim).
    fn input_dim(&self) -> Result<usize> {
        self.kernel().and_then(|k| k.dims().first().copied()).ok_or_else(|| self.not_built())
    }

    /// Keras's input spec of a built Dense: rank >= 2 and the last axis `input_dim`.
    fn check_input(&self, shape: &Shape, in_dim: usize) -> Result<()> {
        let name = &self.common.name;
        if shape.len() < 2 {
            return Err(Error::arg(
                "Dense",
                format!(
                    "Input 0 of layer {name:?} (Dense) is incompatible with the layer: expected min_ndim=2, \
                     found ndim={}. Full shape received: {}",
                    shape.len(),
                    shape_str(shape)
                ),
            ));
        }
        if shape.last() != Some(&Some(in_dim)) {
            return Err(Error::arg(
                "Dense",
                format!(
                    "Input 0 of layer {name:?} (Dense) is incompatible with the layer: expected axis -1 of input \
                     shape to have value {in_dim}, but received input with shape {}",
                    shape_str(shape)
                ),
            ));
        }
        Ok(())
    }
}

impl Layer for Dense {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "Dense"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(r) = self.common.activity_regularizer() {
            m.insert("activity_regularizer".into(), regularizers::serialize(r.as_ref()));
        }
        m.insert("units".into(), Value::from(self.units));
        m.insert("activation".into(), Value::from(self.activation.name()));
        m.insert("use_bias".into(), Value::from(self.use_bias));
        m.insert("kernel_initializer".into(), initializers::serialize(self.kernel_initializer.as_ref()));
        m.insert("bias_initializer".into(), initializers::serialize(self.bias_initializer.as_ref()));
        m.insert("kernel_regularizer".into(), regularizers::serialize_option(&self.kernel_regularizer));
        m.insert("bias_regularizer".into(), regularizers::serialize_option(&self.bias_regularizer));
        m.insert("kernel_constraint".into(), constraints::serialize_option(&self.kernel_constraint));
        m.insert("bias_constraint".into(), constraints::serialize_option(&self.bias_constraint));
        m.insert("quantization_config".into(), Value::Null);
        let lora = self.lora_state();
        if let Some(rank) = lora.rank.filter(|&r| r > 0) {
            m.insert("lora_rank".into(), Value::from(rank));
            m.insert("lora_alpha".into(), lora.alpha.unwrap_or(Value::from(rank)));
        }
        m
    }

    fn build(&self, input_shapes: &[Shape]) -> Result<()> {
        let s = single_shape("Dense", &self.common.name, input_shapes)?;
        let in_dim = match s.last() {
            Some(Some(d)) if s.len() >= 2 => *d,
            _ => {
                return Err(Error::arg(
                    "Dense",
                    format!(
                    "layer {:?} (Dense) needs inputs of rank >= 2 with a known last dimension, got shape {}",
                    self.common.name,
                    shape_str(s)
                ),
                ))
            }
        };
        // Keras checks LoRA against the kernel constraint when it enables it, after the weights
        // exist; checking first leaves no half-built layer.
        let rank = self.lora_state().rank.filter(|&r| r > 0);
        if rank.is_some() && self.kernel_constraint.is_some() {
            return Err(Error::arg(
                "Dense",
                "Lora is incompatible with kernel constraints. In order to enable lora on this layer, remove the \
                 `kernel_constraint` argument.",
            ));
        }
        self.common.add_weight_with(
            "kernel",
            &[in_dim, self.units],
            self.kernel_initializer.as_ref(),
            true,
            self.kernel_regularizer.clone(),
            self.kernel_constraint.clone(),
        )?;
        if self.use_bias {
            self.common.add_weight_with(
                "bias",
                &[self.units],
                self.bias_initializer.as_ref(),
                true,
                self.bias_regularizer.clone(),
                self.bias_constraint.clone(),
            )?;
        }
        if let Some(rank) = rank {
            // Keras's build calls enable_lora(self.lora_rank): alpha becomes the rank.
            self.enable_lora_with(rank, Value::from(rank))?;
        }
        Ok(())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let s = single_shape("Dense", &self.common.name, input_shapes)?;
        if let Ok(in_dim) = self.input_dim() {
            self.check_input(s, in_dim)?;
        } else if s.len() < 2 {
            self.check_input(s, 0)?;
        }
        let mut out = s[..s.len() - 1].to_vec();
        out.push(Some(self.units));
        Ok(vec![out])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Dense", &self.common.name, inputs)?;
        let in_dim = self.input_dim()?;
        let shape = x.shape();
        self.check_input(&shape, in_dim)?;
        let x = autocast(x, self.common.dtype)?;
        let g = x.graph;
        let kernel = self.effective_kernel(g)?;
        let bias = self.bias().map(|b| g.variable(&b));
        // matmul, add, activation: the pattern the compiler fuses (2-D operands only).
        let head = |x2: Sym<'g>| -> Result<Sym<'g>> {
            let mut y = x2.matmul(kernel)?;
            if let Some(b) = bias {
                y = y.add(b)?;
            }
            // Dense's activation is a name with its default arguments: elementwise or softmax
            // on the last axis, so it can run before the leading axes are restored.
            self.activation.apply(y)
        };
        let lead = &shape[..shape.len() - 1];
        let unknown = lead.iter().filter(|d| d.is_none()).count();
        let y = if shape.len() == 2 {
            head(x)?
        } else if unknown <= 1 {
            let y = head(x.reshape(&[-1, in_dim as i64])?)?;
            let mut target: Vec<i64> = lead.iter().map(|d| d.map_or(-1, |d| d as i64)).collect();
            target.push(self.units as i64);
            y.reshape(&target)?
        } else {
            // Several unknown leading dims: a batched matmul against the 2-D kernel.
            head(x)?
        };
        Ok(vec![y])
    }
}

// ---------------------------------------------------------------------------------------------
// Activation
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Activation`: applies an activation function.
pub struct Activation {
    common: LayerCommon,
    activation: ActivationFn,
}

impl Activation {
    pub fn new(activation: &str) -> Result<Activation> {
        let mut config = Map::new();
        config.insert("activation".into(), Value::from(activation));
        Activation::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Activation> {
        const C: &str = "Activation";
        let common = common_from_config(C, config, &["activation"])?;
        if !config.contains_key("activation") {
            return Err(Error::arg(C, "Activation: missing the required argument `activation`"));
        }
        let activation = parse_activation(C, &config["activation"])?;
        Ok(Activation { common, activation })
    }

    pub fn activation(&self) -> &ActivationFn {
        &self.activation
    }
}

impl Layer for Activation {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "Activation"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("activation".into(), Value::from(self.activation.name()));
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![single_shape("Activation", &self.common.name, input_shapes)?.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Activation", &self.common.name, inputs)?;
        let x = if x.dtype().is_float() { x } else { autocast(x, self.common.dtype)? };
        Ok(vec![self.activation.apply(x)?])
    }
}

// ---------------------------------------------------------------------------------------------
// Dropout
// ---------------------------------------------------------------------------------------------

/// `keras.layers.Dropout`: in training, zeroes each element with probability `rate` and
/// scales the rest by `1 / (1 - rate)`; otherwise (or with rate 0) the identity.
///
/// The mask is drawn on the device from the layer's [`SeedGenerator`], so successive steps draw
/// new masks without a readback.
pub struct Dropout {
    common: LayerCommon,
    rate: f64,
    noise_shape: Option<Shape>,
    seed: Option<u64>,
    /// Created when rate > 0 (as Keras creates its SeedGenerator).
    seed_state: Option<SeedGenerator>,
}

impl Dropout {
    pub fn new(rate: f64) -> Result<Dropout> {
        let mut config = Map::new();
        config.insert("rate".into(), Value::from(rate));
        Dropout::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Dropout> {
        const C: &str = "Dropout";
        let common = common_from_config(C, config, &["rate", "noise_shape", "seed"])?;
        let rate = get_f64(C, config, "rate")?
            .ok_or_else(|| Error::arg(C, "Dropout: missing the required argument `rate`"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(Error::arg(
                C,
                format!(
                    "Invalid value received for argument `rate`. Expected a float value between 0 and 1. \
                     Received: rate={rate}"
                ),
            ));
        }
        let noise_shape = match config.get("noise_shape") {
            None | Some(Value::Null) => None,
            Some(v) => Some(parse_shape(C, "noise_shape", v)?),
        };
        let seed = match get_i64(C, config, "seed")? {
            None => None,
            Some(s) if s >= 0 => Some(s as u64),
            Some(s) => {
                return Err(Error::arg(C, format!("Dropout: `seed` must be a non-negative integer, got {s}")))
            }
        };
        let seed_state = if rate > 0.0 { Some(SeedGenerator::new(&common.name, seed)?) } else { None };
        Ok(Dropout { common, rate, noise_shape, seed, seed_state })
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The seed state variable (uint32 `[2]`), present when rate > 0. It is not among the
    /// layer's weights (as in Keras); a model moves it to its device with the weights.
    pub fn seed_state(&self) -> Option<&Variable> {
        self.seed_state.as_ref().map(SeedGenerator::state)
    }

    fn mask_source<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        noise_shape_source("Dropout", &self.common.name, self.noise_shape.as_ref(), x)
    }
}

impl Layer for Dropout {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "Dropout"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("rate".into(), Value::from(self.rate));
        m.insert("seed".into(), self.seed.map_or(Value::Null, Value::from));
        m.insert("noise_shape".into(), self.noise_shape.as_ref().map_or(Value::Null, |s| shape_value(s)));
        m
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![single_shape("Dropout", &self.common.name, input_shapes)?.clone()])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Dropout", &self.common.name, inputs)?;
        let (true, Some(state)) = (ctx.training && self.rate > 0.0, &self.seed_state) else {
            return Ok(vec![x]);
        };
        if !x.dtype().is_float() {
            return Err(Error::arg(
                "Dropout",
                format!(
                    "layer {:?} (Dropout) expects a float input, got {}",
                    self.common.name,
                    x.dtype().name()
                ),
            ));
        }
        let g = x.graph;
        let seed = state.next(g, ctx)?;
        let y = if self.rate >= 1.0 {
            x.scalar_like(0.0)?.broadcast_like(x)?
        } else {
            let src = self.mask_source(x)?;
            let mask = g.apply(Op::DropoutMask { rate: self.rate }, &[src.id, seed.id])?;
            x.mul(mask.cast(x.dtype())?)?
        };
        Ok(vec![y])
    }
}

/// The registry entries of this file.
pub(crate) fn entries() -> Vec<(&'static str, crate::layers::LayerFactory)> {
    vec![
        ("Dense", |c| Ok(LayerRef::from(Dense::from_config(c)?))),
        ("Activation", |c| Ok(LayerRef::from(Activation::from_config(c)?))),
        ("Dropout", |c| Ok(LayerRef::from(Dropout::from_config(c)?))),
    ]
}

// ---------------------------------------------------------------------------------------------
// Initializers
// ---------------------------------------------------------------------------------------------

/// An initializer from a layer config value (`default` when absent or null).
fn initializer(
    class: &'static str,
    key: &str,
    v: Option<&Value>,
    default: &str,
) -> Result<Box<dyn Initializer>> {
    let v = match v {
        None | Some(Value::Null) => Value::from(default),
        Some(v) => v.clone(),
    };
    initializers::get(&v).map_err(|e| Error::arg(class, format!("{class}: `{key}`: {e}")))
}
