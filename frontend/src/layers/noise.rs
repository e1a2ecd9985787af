//! Noise layers: `GaussianNoise`, `GaussianDropout`, `AlphaDropout`. Each is the identity
//! unless training; in training it draws on the device from its [`SeedGenerator`], so each
//! step of a compiled loop draws new numbers without a readback.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::graph::{Shape, Sym};
use crate::layers::serialization::{
    common_from_config, get_f64, get_i64, noise_shape_source, parse_shape, shape_value, single_input,
    single_shape,
};
use crate::layers::{CallContext, Layer, LayerCommon, LayerFactory, LayerRef};
use crate::random::SeedGenerator;
use crate::variable::Variable;

/// This file's layer classes for [`crate::layers::registry`].
pub fn entries() -> Vec<(&'static str, LayerFactory)> {
    vec![
        ("GaussianNoise", |c| Ok(LayerRef::from(GaussianNoise::from_config(c)?))),
        ("GaussianDropout", |c| Ok(LayerRef::from(GaussianDropout::from_config(c)?))),
        ("AlphaDropout", |c| Ok(LayerRef::from(AlphaDropout::from_config(c)?))),
    ]
}

/// The arguments every noise layer has: a value in [0, 1] (`stddev` or `rate`, kept as given
/// for `get_config`), `seed`, and the seed state (created when the value is > 0, as Keras
/// creates its SeedGenerator).
struct Noise {
    common: LayerCommon,
    value: f64,
    raw: Value,
    seed: Option<i64>,
    state: Option<SeedGenerator>,
}

impl Noise {
    fn from_config(
        class: &'static str,
        key: &str,
        config: &Map<String, Value>,
        own: &[&str],
    ) -> Result<Noise> {
        let common = common_from_config(class, config, own)?;
        let value = get_f64(class, config, key)?
            .ok_or_else(|| Error::arg(class, format!("{class}: missing the required argument `{key}`")))?;
        if !(0.0..=1.0).contains(&value) {
            return Err(Error::arg(
                class,
                format!(
                    "Invalid value received for argument `{key}`. Expected a float value between 0 and 1. \
                     Received: {key}={value}"
                ),
            ));
        }
        let seed = get_i64(class, config, "seed")?;
        if let Some(s) = seed.filter(|&s| s < 0) {
            return Err(Error::arg(
                class,
                format!("{class}: `seed` must be a non-negative integer, got {s}"),
            ));
        }
        let state =
            if value > 0.0 { Some(SeedGenerator::new(&common.name, seed.map(|s| s as u64))?) } else { None };
        Ok(Noise { raw: config[key].clone(), common, value, seed, state })
    }

    fn config(&self, key: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(key.into(), self.raw.clone());
        m.insert("seed".into(), self.seed.map_or(Value::Null, Value::from));
        m
    }

    /// The seed node of a training call, or None when the layer is the identity.
    fn seed<'g>(&self, class: &'static str, x: Sym<'g>, ctx: &CallContext) -> Result<Option<Sym<'g>>> {
        let (true, Some(state)) = (ctx.training && self.value > 0.0, &self.state) else { return Ok(None) };
        if !x.dtype().is_float() {
            return Err(Error::arg(
                class,
                format!(
                    "layer {:?} ({class}) expects a float input, got {}",
                    self.common.name,
                    x.dtype().name()
                ),
            ));
        }
        Ok(Some(state.next(x.graph, ctx)?))
    }
}

// ---------------------------------------------------------------------------------------------
// GaussianNoise
// ---------------------------------------------------------------------------------------------

/// `keras.layers.GaussianNoise`: adds `N(0, stddev^2)` noise in training.
pub struct GaussianNoise(Noise);

impl GaussianNoise {
    pub fn from_config(config: &Map<String, Value>) -> Result<GaussianNoise> {
        Ok(GaussianNoise(Noise::from_config("GaussianNoise", "stddev", config, &["stddev", "seed"])?))
    }

    /// The seed state (uint32 `[2]`, not a weight), present when stddev > 0.
    pub fn seed_state(&self) -> Option<&Variable> {
        self.0.state.as_ref().map(SeedGenerator::state)
    }
}

impl Layer for GaussianNoise {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "GaussianNoise"
    }
    fn common(&self) -> &LayerCommon {
        &self.0.common
    }
    fn config(&self) -> Map<String, Value> {
        self.0.config("stddev")
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![single_shape("GaussianNoise", &self.0.common.name, input_shapes)?.clone()])
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("GaussianNoise", &self.0.common.name, inputs)?;
        let Some(seed) = self.0.seed("GaussianNoise", x, ctx)? else { return Ok(vec![x]) };
        let noise = x.random_normal_like(seed)?.cast(x.dtype())?.mul_scalar(self.0.value)?;
        Ok(vec![x.add(noise)?])
    }
}

// ---------------------------------------------------------------------------------------------
// GaussianDropout
// ---------------------------------------------------------------------------------------------

/// `keras.layers.GaussianDropout`: multiplies by `N(1, rate / (1 - rate))` noise in training.
pub struct GaussianDropout(Noise);

impl GaussianDropout {
    pub fn from_config(config: &Map<String, Value>) -> Result<GaussianDropout> {
        Ok(GaussianDropout(Noise::from_config("GaussianDropout", "rate", config, &["rate", "seed"])?))
    }

    pub fn seed_state(&self) -> Option<&Variable> {
        self.0.state.as_ref().map(SeedGenerator::state)
    }
}

impl Layer for GaussianDropout {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "GaussianDropout"
    }
    fn common(&self) -> &LayerCommon {
        &self.0.common
    }
    fn config(&self) -> Map<String, Value> {
        self.0.config("rate")
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![single_shape("GaussianDropout", &self.0.common.name, input_shapes)?.clone()])
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        const C: &str = "GaussianDropout";
        let x = single_input(C, &self.0.common.name, inputs)?;
        let Some(seed) = self.0.seed(C, x, ctx)? else { return Ok(vec![x]) };
        let rate = self.0.value;
        if rate >= 1.0 {
            // Keras divides by zero here (its stddev is sqrt(rate / (1 - rate))).
            return Err(Error::arg(
                C,
                format!(
                    "layer {:?} ({C}): rate=1 gives an infinite noise stddev in training",
                    self.0.common.name
                ),
            ));
        }
        let stddev = (rate / (1.0 - rate)).sqrt();
        let noise = x.random_normal_like(seed)?.cast(x.dtype())?.mul_scalar(stddev)?.add_scalar(1.0)?;
        Ok(vec![x.mul(noise)?])
    }
}

// ---------------------------------------------------------------------------------------------
// AlphaDropout
// ---------------------------------------------------------------------------------------------

/// `keras.layers.AlphaDropout`: in training, sets each element (or each `noise_shape` slice)
/// with probability `rate` to SELU's negative saturation `-alpha * scale`, then applies the
/// affine correction `a * x + b` that keeps the mean and variance of SELU-normalized inputs.
pub struct AlphaDropout {
    noise: Noise,
    noise_shape: Option<Shape>,
}

impl AlphaDropout {
    pub fn from_config(config: &Map<String, Value>) -> Result<AlphaDropout> {
        const C: &str = "AlphaDropout";
        let noise = Noise::from_config(C, "rate", config, &["rate", "noise_shape", "seed"])?;
        let noise_shape = match config.get("noise_shape") {
            None | Some(Value::Null) => None,
            Some(v) => Some(parse_shape(C, "noise_shape", v)?),
        };
        Ok(AlphaDropout { noise, noise_shape })
    }

    pub fn seed_state(&self) -> Option<&Variable> {
        self.noise.state.as_ref().map(SeedGenerator::state)
    }

    fn mask_source<'g>(&self, x: Sym<'g>) -> Result<Sym<'g>> {
        noise_shape_source("AlphaDropout", &self.noise.common.name, self.noise_shape.as_ref(), x)
    }
}

impl Layer for AlphaDropout {
    /// Keras sets `supports_masking = True`: the input's mask passes through.
    fn supports_masking(&self) -> bool {
        true
    }

    fn class_name(&self) -> &'static str {
        "AlphaDropout"
    }
    fn common(&self) -> &LayerCommon {
        &self.noise.common
    }
    fn config(&self) -> Map<String, Value> {
        let mut m = self.noise.config("rate");
        m.insert("noise_shape".into(), self.noise_shape.as_ref().map_or(Value::Null, |s| shape_value(s)));
        m
    }
    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        Ok(vec![single_shape("AlphaDropout", &self.noise.common.name, input_shapes)?.clone()])
    }
    fn call<'g>(&self, inputs: &[Sym<'g>], ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        const C: &str = "AlphaDropout";
        let x = single_input(C, &self.noise.common.name, inputs)?;
        let src = self.mask_source(x)?;
        let Some(seed) = self.noise.seed(C, x, ctx)? else { return Ok(vec![x]) };
        let rate = self.noise.value;
        if rate >= 1.0 {
            // Keras raises ZeroDivisionError computing `a` for rate 1.
            return Err(Error::arg(
                C,
                format!(
                    "layer {:?} ({C}): rate=1 has no affine correction (division by zero)",
                    self.noise.common.name
                ),
            ));
        }
        let alpha = 1.673_263_242_354_377_3_f64;
        let scale = 1.050_700_987_355_480_5_f64;
        let alpha_p = -alpha * scale;
        let kept = src
            .random_uniform_like(seed)?
            .greater_equal(src.graph.scalar(rate, wgkeras_runtime::DType::F32)?)?;
        let kept = kept.cast(x.dtype())?;
        let a = ((1.0 - rate) * (1.0 + rate * alpha_p * alpha_p)).powf(-0.5);
        let b = -a * alpha_p * rate;
        // x * kept + alpha_p * (1 - kept), with the mask broadcast over the noise_shape's 1s.
        let dropped = kept.rsub_scalar(1.0)?.mul_scalar(alpha_p)?;
        let y = x.mul(kept)?.add(dropped)?;
        Ok(vec![y.mul_scalar(a)?.add_scalar(b)?])
    }
}
