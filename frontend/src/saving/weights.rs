//! `model.save_weights` / `model.load_weights` as `.safetensors`.
//!
//! Keys follow the layout of Keras's `.weights.h5`: `layers/<layer key>/vars/<i>` for the
//! `i`-th weight of each layer of `model.layers` (the key is the class in snake case, numbered
//! per class in order: `dense`, `dense_1`, `batch_normalization`, ...) (a weight shared by several layers is stored
//! once, under the first), then, for a compiled model, `optimizer/vars/<i>` for the optimizer's
//! variables in Keras's `optimizer.variables` order (iterations, learning rate, slots), so that
//! training continues exactly where it stopped. Loading checks every name, shape and dtype
//! before it changes anything: a mismatch is an error naming the key, and the model is left as
//! it was. A file without optimizer entries loads into a compiled model's weights only (Keras
//! skips the optimizer then too); optimizer entries are ignored by a model that is not compiled.

use std::collections::HashMap;
use std::path::Path;

use half::{bf16, f16};
use safetensors::{Dtype, SafeTensors};
use wgkeras_runtime::{CpuStorage, DType, Device, Tensor};

use crate::error::{Error, Result};
use crate::graph::{Graph, Sym};
use crate::models::Model;
use crate::variable::Variable;

const OPTIMIZER_PREFIX: &str = "optimizer/vars/";

/// The model's weights by key, in `model.weights` order. As in Keras's `.weights.h5`, a layer's
/// key comes from its class and position, not its name (`dense`, `dense_1`, ... in
/// `model.layers` order), so weights load into a rebuilt model whose layers were named anew.
pub(crate) fn weight_entries(model: &Model) -> Result<Vec<(String, Variable)>> {
    let mut out: Vec<(String, Variable)> = vec![];
    let mut seen: HashMap<String, usize> = HashMap::new();
    for layer in model.layers() {
        let base = crate::utils::naming::to_snake_case(layer.class_name());
        let n = seen.entry(base.clone()).or_insert(0);
        let key = if *n == 0 { base } else { format!("{base}_{n}") };
        *n += 1;
        for (i, w) in layer.weights().into_iter().enumerate() {
            if !out.iter().any(|(_, v)| v.id() == w.id()) {
                out.push((format!("layers/{key}/vars/{i}"), w));
            }
        }
    }
    Ok(out)
}

/// Keras's `optimizer.build(model.trainable_variables)`: creates every slot the optimizer would
/// create on its first step, by tracing one update into a graph that never runs. Slots that
/// exist already are kept, so a trained optimizer is unchanged.
pub(crate) fn build_optimizer(model: &Model) -> Result<()> {
    let Some(opt) = model.optimizer() else { return Ok(()) };
    let weights = model.trainable_weights();
    if weights.is_empty() {
        return Ok(());
    }
    let g = Graph::new();
    let pairs: Vec<(Variable, Sym<'_>)> = weights.iter().map(|w| (w.clone(), g.variable(w))).collect();
    opt.apply_gradients(&g, &pairs)?;
    Ok(())
}

/// The optimizer's variables by key (after [`build_optimizer`]); empty when not compiled.
pub(crate) fn optimizer_entries(model: &Model) -> Result<Vec<(String, Variable)>> {
    let Some(opt) = model.optimizer() else { return Ok(vec![]) };
    build_optimizer(model)?;
    Ok(opt.variables().into_iter().enumerate().map(|(i, v)| (format!("{OPTIMIZER_PREFIX}{i}"), v)).collect())
}

fn st_dtype(d: DType) -> Dtype {
    match d {
        DType::Bool => Dtype::BOOL,
        DType::I32 => Dtype::I32,
        DType::U32 => Dtype::U32,
        DType::F16 => Dtype::F16,
        DType::BF16 => Dtype::BF16,
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
    }
}

fn le_bytes(s: &CpuStorage) -> Vec<u8> {
    match s {
        CpuStorage::Bool(v) => v.iter().map(|&b| b as u8).collect(),
        CpuStorage::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        CpuStorage::U32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        CpuStorage::F16(v) => v.iter().flat_map(|x| x.to_bits().to_le_bytes()).collect(),
        CpuStorage::BF16(v) => v.iter().flat_map(|x| x.to_bits().to_le_bytes()).collect(),
        CpuStorage::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        CpuStorage::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    }
}

/// Decodes little-endian `bytes` of `dtype` (the length was checked against the shape).
fn from_le_bytes(dtype: DType, b: &[u8]) -> std::result::Result<CpuStorage, String> {
    fn chunks<const N: usize, T>(b: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
        b.chunks_exact(N).map(|c| f(c.try_into().expect("chunks_exact gives N bytes"))).collect()
    }
    Ok(match dtype {
        DType::Bool => CpuStorage::Bool(
            b.iter()
                .map(|&x| match x {
                    0 => Ok(false),
                    1 => Ok(true),
                    x => Err(format!("bad bool byte {x}")),
                })
                .collect::<std::result::Result<_, _>>()?,
        ),
        DType::I32 => CpuStorage::I32(chunks(b, i32::from_le_bytes)),
        DType::U32 => CpuStorage::U32(chunks(b, u32::from_le_bytes)),
        DType::F16 => CpuStorage::F16(chunks(b, |c| f16::from_bits(u16::from_le_bytes(c)))),
        DType::BF16 => CpuStorage::BF16(chunks(b, |c| bf16::from_bits(u16::from_le_bytes(c)))),
        DType::F32 => CpuStorage::F32(chunks(b, f32::from_le_bytes)),
        DType::F64 => CpuStorage::F64(chunks(b, f64::from_le_bytes)),
    })
}

/// The `.safetensors` bytes of the model's weights and (when compiled) optimizer state.
pub(crate) fn weights_to_bytes(model: &Model) -> Result<Vec<u8>> {
    let mut entries = weight_entries(model)?;
    entries.extend(optimizer_entries(model)?);
    let mut data: Vec<(String, Vec<usize>, DType, Vec<u8>)> = Vec::with_capacity(entries.len());
    for (key, var) in &entries {
        let v = var.value();
        data.push((key.clone(), v.dims().to_vec(), v.dtype(), le_bytes(&v.to_cpu_storage()?)));
    }
    let views = data
        .iter()
        .map(|(k, dims, dtype, bytes)| {
            safetensors::tensor::TensorView::new(st_dtype(*dtype), dims.clone(), bytes)
                .map(|v| (k.clone(), v))
                .map_err(|e| Error::arg("save_weights", format!("weight {k:?}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let metadata: HashMap<String, String> = [
        ("format".to_string(), "wgkeras".to_string()),
        ("wgkeras_version".to_string(), crate::config::version().to_string()),
        ("model".to_string(), model.name.clone()),
    ]
    .into();
    safetensors::serialize(views, Some(metadata)).map_err(|e| Error::arg("save_weights", e.to_string()))
}

fn shape_str(s: &[usize]) -> String {
    format!("({})", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))
}

/// Loads weights (and optimizer state) from `.safetensors` bytes; `source` names the file in
/// errors. Everything is checked before any variable changes.
pub(crate) fn load_weights_bytes(model: &Model, bytes: &[u8], source: &Path) -> Result<()> {
    const OP: &str = "load_weights";
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| Error::format(OP, source, format!("not a readable .safetensors file: {e}")))?;
    let in_file: HashMap<String, safetensors::tensor::TensorView<'_>> = st.tensors().into_iter().collect();
    let mut expected = weight_entries(model)?;
    let file_has_optimizer = in_file.keys().any(|k| k.starts_with(OPTIMIZER_PREFIX));
    if file_has_optimizer && model.optimizer().is_some() {
        expected.extend(optimizer_entries(model)?);
    }
    // Every file entry must be expected (optimizer entries of an uncompiled model aside).
    let mut extra: Vec<&String> = in_file
        .keys()
        .filter(|k| !expected.iter().any(|(e, _)| e == *k))
        .filter(|k| !(k.starts_with(OPTIMIZER_PREFIX) && model.optimizer().is_none()))
        .collect();
    extra.sort();
    if !extra.is_empty() {
        return Err(Error::format(
            OP,
            source,
            format!(
                "the file has {} variable(s) that model {:?} does not: {:?}",
                extra.len(),
                model.name,
                extra.iter().take(8).collect::<Vec<_>>()
            ),
        ));
    }
    let mut values: Vec<(Variable, Tensor)> = Vec::with_capacity(expected.len());
    for (key, var) in &expected {
        let view = in_file.get(key).ok_or_else(|| {
            Error::format(
                OP,
                source,
                format!("the file has no {key:?} (variable {:?} of model {:?})", var.name(), model.name),
            )
        })?;
        let (dims, dtype) = (var.dims(), var.dtype());
        if view.shape() != dims.as_slice() {
            return Err(Error::format(
                OP,
                source,
                format!(
                    "{key:?} (variable {:?}) has shape {} in the file, the model expects {}",
                    var.name(),
                    shape_str(view.shape()),
                    shape_str(&dims)
                ),
            ));
        }
        if view.dtype() != st_dtype(dtype) {
            return Err(Error::format(
                OP,
                source,
                format!(
                    "{key:?} (variable {:?}) has dtype {:?} in the file, the model expects {}",
                    var.name(),
                    view.dtype(),
                    dtype.name()
                ),
            ));
        }
        let storage = from_le_bytes(dtype, view.data())
            .map_err(|m| Error::format(OP, source, format!("{key:?}: {m}")))?;
        values.push((var.clone(), Tensor::from_cpu(storage, &dims, &Device::Cpu)?));
    }
    for (var, t) in values {
        var.assign(&t.to_device(&var.device())?)?;
    }
    Ok(())
}
