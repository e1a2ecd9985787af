//! `Embedding`: rows of a trainable table picked by integer indices.

use std::sync::Arc;

use serde_json::{Map, Value};
use wgkeras_runtime::{CpuStorage, DType, Device, Tensor};

use crate::constraints::{self, Constraint};
use crate::error::{Error, Result};
use crate::graph::{shape_str, Shape, Sym};
use crate::initializers::{self, Initializer};
use crate::layers::preprocessing::nested_numbers;
use crate::layers::serialization::{
    common_from_config, get_bool, get_i64, require_null, single_input, single_shape,
};
use crate::layers::{CallContext, Layer, LayerCommon, LayerFactory, LayerRef};
use crate::regularizers::{self, Regularizer};
use crate::variable::Variable;

const KEYS: &[&str] = &[
    "input_dim",
    "output_dim",
    "embeddings_initializer",
    "embeddings_regularizer",
    "embeddings_constraint",
    "mask_zero",
    "weights",
    "lora_rank",
    "lora_alpha",
    "quantization_config",
    "input_length",
];

/// `keras.layers.Embedding`: `embeddings[indices]`, output `indices.shape + [output_dim]`.
///
/// Indices that are not int32 (floats included) are cast to int32 first, as Keras does. The
/// gradient wrt the table is a scatter-add of the output gradient's rows (repeated indices
/// add). With `mask_zero`, [`Embedding::compute_mask`] gives Keras's mask `indices != 0`.
/// With `lora_rank`, the table is frozen and `embeddings + (lora_alpha / lora_rank) *
/// lora_embeddings_a @ lora_embeddings_b` is used, both LoRA factors trainable (Keras's
/// `enable_lora`).
pub struct Embedding {
    common: LayerCommon,
    input_dim: usize,
    output_dim: usize,
    embeddings_initializer: Box<dyn Initializer>,
    embeddings_regularizer: Option<Arc<dyn Regularizer>>,
    embeddings_constraint: Option<Arc<dyn Constraint>>,
    mask_zero: bool,
    lora: Option<(usize, f64, Value)>,
    /// The `weights` argument: the table's initial value.
    initial: Option<Tensor>,
}

impl Embedding {
    pub fn new(input_dim: usize, output_dim: usize) -> Result<Embedding> {
        let mut config = Map::new();
        config.insert("input_dim".into(), Value::from(input_dim));
        config.insert("output_dim".into(), Value::from(output_dim));
        Embedding::from_config(&config)
    }

    pub fn from_config(config: &Map<String, Value>) -> Result<Embedding> {
        const C: &str = "Embedding";
        // Embedding takes an activity_regularizer (the common reader refuses one).
        let mut rest = config.clone();
        let activity = rest.remove("activity_regularizer").unwrap_or(Value::Null);
        let common = common_from_config(C, &rest, KEYS)?;
        common.set_activity_regularizer(
            regularizers::get(&activity)
                .map_err(|e| Error::arg(C, format!("{C}: `activity_regularizer`: {e}")))?,
        );
        let dim = |key: &str| -> Result<usize> {
            let v = config.get(key).cloned().unwrap_or(Value::Null);
            match v.as_i64() {
                Some(d) if d > 0 => Ok(d as usize),
                _ => Err(Error::arg(
                    C,
                    format!("{C}: `{key}` must be a positive integer. Received: {key}={v}"),
                )),
            }
        };
        let input_dim = dim("input_dim")?;
        let output_dim = dim("output_dim")?;
        let init = match config.get("embeddings_initializer") {
            None | Some(Value::Null) => Value::from("uniform"),
            Some(v) => v.clone(),
        };
        let embeddings_initializer = initializers::get(&init)
            .map_err(|e| Error::arg(C, format!("{C}: `embeddings_initializer`: {e}")))?;
        let embeddings_regularizer =
            regularizers::get(config.get("embeddings_regularizer").unwrap_or(&Value::Null))
                .map_err(|e| Error::arg(C, format!("{C}: `embeddings_regularizer`: {e}")))?;
        let embeddings_constraint =
            constraints::get(config.get("embeddings_constraint").unwrap_or(&Value::Null))
                .map_err(|e| Error::arg(C, format!("{C}: `embeddings_constraint`: {e}")))?;
        let mask_zero = get_bool(C, config, "mask_zero", false)?;
        require_null(C, config, "quantization_config")?;
        let lora = match get_i64(C, config, "lora_rank")? {
            None | Some(0) => None,
            Some(r) if r > 0 => {
                if embeddings_constraint.is_some() {
                    return Err(Error::arg(
                        C,
                        "Embedding: Lora is incompatible with embedding constraints. In order to enable lora on \
                         this layer, remove the `embeddings_constraint` argument.",
                    ));
                }
                let alpha_raw =
                    config.get("lora_alpha").filter(|v| !v.is_null()).cloned().unwrap_or(Value::from(r));
                let alpha = alpha_raw.as_f64().ok_or_else(|| {
                    Error::arg(C, format!("{C}: `lora_alpha` must be a number, got {alpha_raw}"))
                })?;
                Some((r as usize, alpha, alpha_raw))
            }
            Some(r) => {
                return Err(Error::arg(C, format!("{C}: `lora_rank` must be a positive integer, got {r}")))
            }
        };
        let initial = match config.get("weights") {
            None | Some(Value::Null) => None,
            Some(w) => Some(Self::parse_weights(&common.name, w, input_dim, output_dim, common.dtype)?),
        };
        Ok(Embedding {
            common,
            input_dim,
            output_dim,
            embeddings_initializer,
            embeddings_regularizer,
            embeddings_constraint,
            mask_zero,
            lora,
            initial,
        })
    }

    /// Keras's `weights=` argument: the table, or a list holding only the table.
    fn parse_weights(
        name: &str,
        w: &Value,
        input_dim: usize,
        output_dim: usize,
        dtype: DType,
    ) -> Result<Tensor> {
        let w = match w.as_array() {
            Some(items) if items.len() == 1 && items[0].is_array() => &items[0],
            _ => w,
        };
        let (dims, values) = nested_numbers(w).ok_or_else(|| {
            Error::arg(
                "Embedding",
                format!("Embedding: `weights` must be a (nested) list of numbers, got {w}"),
            )
        })?;
        if dims != [input_dim, output_dim] {
            let t =
                |d: &[usize]| format!("({})", d.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "));
            return Err(Error::arg(
                "Embedding",
                format!(
                    "Layer {name} weight shape {} is not compatible with provided weight shape {}.",
                    t(&[input_dim, output_dim]),
                    t(&dims)
                ),
            ));
        }
        Ok(Tensor::from_cpu(CpuStorage::from_f64(dtype, values), &dims, &Device::Cpu)?)
    }

    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    pub fn output_dim(&self) -> usize {
        self.output_dim
    }

    pub fn mask_zero(&self) -> bool {
        self.mask_zero
    }

    /// The table (None before `build`).
    pub fn embeddings(&self) -> Option<Variable> {
        self.common.weights().into_iter().next()
    }

    /// Keras's `compute_mask`: `indices != 0` with `mask_zero`, else None.
    pub fn compute_mask<'g>(&self, indices: Sym<'g>) -> Result<Option<Sym<'g>>> {
        if !self.mask_zero {
            return Ok(None);
        }
        Ok(Some(indices.not_equal(indices.scalar_like(0.0)?)?))
    }
}

impl Layer for Embedding {
    /// Keras's Embedding overrides `compute_mask`, which makes it support masking.
    fn supports_masking(&self) -> bool {
        true
    }

    fn compute_mask<'g>(&self, inputs: &[Sym<'g>], _masks: &[Option<Sym<'g>>]) -> Result<Option<Sym<'g>>> {
        match inputs.first() {
            Some(&x) => Embedding::compute_mask(self, x),
            None => Ok(None),
        }
    }

    fn class_name(&self) -> &'static str {
        "Embedding"
    }

    fn common(&self) -> &LayerCommon {
        &self.common
    }

    fn config(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("input_dim".into(), Value::from(self.input_dim));
        m.insert("output_dim".into(), Value::from(self.output_dim));
        m.insert(
            "embeddings_initializer".into(),
            initializers::serialize(self.embeddings_initializer.as_ref()),
        );
        m.insert(
            "embeddings_regularizer".into(),
            regularizers::serialize_option(&self.embeddings_regularizer),
        );
        m.insert(
            "activity_regularizer".into(),
            regularizers::serialize_option(&self.common.activity_regularizer()),
        );
        m.insert("embeddings_constraint".into(), constraints::serialize_option(&self.embeddings_constraint));
        m.insert("mask_zero".into(), Value::from(self.mask_zero));
        m.insert("quantization_config".into(), Value::Null);
        if let Some((rank, _, alpha)) = &self.lora {
            m.insert("lora_rank".into(), Value::from(*rank));
            m.insert("lora_alpha".into(), alpha.clone());
        }
        m
    }

    fn build(&self, _input_shapes: &[Shape]) -> Result<()> {
        let table = self.common.add_weight_with(
            "embeddings",
            &[self.input_dim, self.output_dim],
            self.embeddings_initializer.as_ref(),
            true,
            self.embeddings_regularizer.clone(),
            self.embeddings_constraint.clone(),
        )?;
        if let Some(t) = &self.initial {
            table.replace(t.clone());
        }
        if let Some((rank, _, _)) = self.lora {
            table.set_trainable(false);
            let a_init = initializers::get(&Value::from("he_uniform"))?;
            let b_init = initializers::get(&Value::from("zeros"))?;
            self.common.add_weight_with(
                "lora_embeddings_a",
                &[self.input_dim, rank],
                a_init.as_ref(),
                true,
                self.embeddings_regularizer.clone(),
                None,
            )?;
            self.common.add_weight_with(
                "lora_embeddings_b",
                &[rank, self.output_dim],
                b_init.as_ref(),
                true,
                self.embeddings_regularizer.clone(),
                None,
            )?;
        }
        Ok(())
    }

    fn output_shapes(&self, input_shapes: &[Shape]) -> Result<Vec<Shape>> {
        let mut out = single_shape("Embedding", &self.common.name, input_shapes)?.clone();
        out.push(Some(self.output_dim));
        Ok(vec![out])
    }

    fn call<'g>(&self, inputs: &[Sym<'g>], _ctx: &CallContext) -> Result<Vec<Sym<'g>>> {
        let x = single_input("Embedding", &self.common.name, inputs)?;
        let idx = if x.dtype() == DType::I32 { x } else { x.cast(DType::I32)? };
        let g = x.graph;
        let weights = self.common.weights();
        let (Some(table), true) =
            (weights.first(), weights.len() == 1 + 2 * usize::from(self.lora.is_some()))
        else {
            return Err(Error::arg(
                "Embedding",
                format!(
                    "layer {:?} (Embedding) is not built (input shape {})",
                    self.common.name,
                    shape_str(&x.shape())
                ),
            ));
        };
        let mut table = g.variable(table);
        if let Some((rank, alpha, _)) = self.lora {
            let delta =
                g.variable(&weights[1]).matmul(g.variable(&weights[2]))?.mul_scalar(alpha / rank as f64)?;
            table = table.add(delta.cast(table.dtype())?)?;
        }
        Ok(vec![table.take_rows(idx)?.cast(self.common.dtype)?])
    }
}

/// This file's layer classes for [`crate::layers::registry`].
pub fn entries() -> Vec<(&'static str, LayerFactory)> {
    vec![("Embedding", |c| Ok(LayerRef::from(Embedding::from_config(c)?)))]
}
