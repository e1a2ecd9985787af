//! The `.keras` bundle of `model.save` / `load_model`: a zip (members stored, as Keras writes
//! them) of `metadata.json` (`keras_version`, `wgkeras_version`, `date_saved`), `config.json`
//! (the model's serialized config with `build_config` and `compile_config`) and
//! `model.weights.safetensors` (the weights and optimizer state, see [`super::weights`]).
//!
//! Reading caps every member's decompressed size and the member count, parses JSON with
//! serde_json's nesting limit, and checks the weights fully before assigning any.

use std::io::{Cursor, Write};
use std::path::Path;

use serde_json::Value;
use wgkeras_runtime::Device;

use super::object_registration::SafeModeScope;
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::files::read_zip_member;

/// The Keras version whose format the bundle follows.
pub const KERAS_VERSION: &str = "3.15.1";
const METADATA: &str = "metadata.json";
const CONFIG: &str = "config.json";
const WEIGHTS: &str = "model.weights.safetensors";
/// Caps on what reading accepts.
const JSON_CAP: u64 = 64 << 20;
const WEIGHTS_CAP: u64 = 16 << 30;
const MAX_MEMBERS: usize = 64;

/// `load_model`'s options.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Compile the model from its `compile_config` (Keras's `compile=True`).
    pub compile: bool,
    /// Keras's `safe_mode`: `None` follows [`crate::config::enable_unsafe_deserialization`].
    pub safe_mode: Option<bool>,
    /// Where the model goes (default `Device::auto()`).
    pub device: Option<Device>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { compile: true, safe_mode: None, device: None }
    }
}

pub(crate) fn check_keras_path(op: &'static str, path: &Path) -> Result<()> {
    if path.extension().is_some_and(|e| e == "keras") {
        return Ok(());
    }
    Err(Error::arg(
        op,
        format!(
            "Invalid filepath extension for saving. Please add a `.keras` extension for the native Keras format \
             (wgkeras writes no `.h5` files; use save_weights for `.safetensors` weights). Received: filepath={}",
            path.display()
        ),
    ))
}

/// `YYYY-MM-DD@HH:MM:SS` (UTC), Keras's `date_saved` format.
fn date_saved() -> String {
    let secs =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}@{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The bytes of the `.keras` bundle of `model`.
pub(crate) fn model_to_bytes(model: &Model) -> Result<Vec<u8>> {
    const OP: &str = "Model.save";
    let metadata = serde_json::json!({
        "keras_version": KERAS_VERSION,
        "wgkeras_version": crate::config::version(),
        "date_saved": date_saved(),
    });
    let config = super::serialization::serialize_keras_object(model)?;
    let weights = super::weights::weights_to_bytes(model)?;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let zerr = |e: zip::result::ZipError| Error::arg(OP, format!("zip: {e}"));
    for (name, bytes) in [
        (METADATA, metadata.to_string().into_bytes()),
        (CONFIG, config.to_string().into_bytes()),
        (WEIGHTS, weights),
    ] {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(bytes.len() as u64 >= u32::MAX as u64);
        zip.start_file(name, options).map_err(zerr)?;
        zip.write_all(&bytes).map_err(|e| Error::arg(OP, format!("zip: {e}")))?;
    }
    Ok(zip.finish().map_err(zerr)?.into_inner())
}

/// `keras.saving.load_model(path)` with the default options.
pub fn load_model(path: impl AsRef<Path>) -> Result<Model> {
    load_model_with(path, &LoadOptions::default())
}

/// `keras.saving.load_model(path, compile, safe_mode)`, on `options.device`.
pub fn load_model_with(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Model> {
    const OP: &str = "load_model";
    let path = path.as_ref();
    if !path.extension().is_some_and(|e| e == "keras") {
        return Err(Error::arg(
            OP,
            format!(
                "File format not supported: filepath={}. wgkeras supports `.keras` files (and `.safetensors` \
                 weights through Model.load_weights)",
                path.display()
            ),
        ));
    }
    if !path.exists() {
        return Err(Error::arg(OP, format!("File not found: filepath={}", path.display())));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(OP, path, e))?;
    load_bundle(&bytes, path, options)
}

/// [`load_model_with`] from the bytes of a `.keras` file.
pub fn load_model_from_bytes(bytes: &[u8], options: &LoadOptions) -> Result<Model> {
    load_bundle(bytes, Path::new("<bytes>"), options)
}

fn parse_json(name: &str, bytes: &[u8], source: &Path) -> Result<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::format("load_model", source, format!("{name}: bad JSON: {e}")))
}

fn load_bundle(bytes: &[u8], source: &Path, options: &LoadOptions) -> Result<Model> {
    const OP: &str = "load_model";
    let fmt = |m: String| Error::format(OP, source, m);
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| fmt(format!("not a readable .keras (zip) file: {e}")))?;
    if zip.len() > MAX_MEMBERS {
        return Err(fmt(format!(
            "{} members, more than a .keras file has (at most {MAX_MEMBERS})",
            zip.len()
        )));
    }
    let (mut metadata, mut config, mut weights) = (None, None, None);
    for i in 0..zip.len() {
        let name = match zip.name_for_index(i) {
            Some(Ok(n)) => n.to_string(),
            _ => continue,
        };
        let (slot, cap) = match name.as_str() {
            METADATA => (&mut metadata, JSON_CAP),
            CONFIG => (&mut config, JSON_CAP),
            WEIGHTS => (&mut weights, WEIGHTS_CAP),
            _ => continue,
        };
        if slot.is_some() {
            return Err(fmt(format!("member {name:?} appears twice")));
        }
        let (_, data) = read_zip_member(&mut zip, i, cap).map_err(fmt)?;
        *slot = Some(data);
    }
    if let Some(m) = &metadata {
        let m = parse_json(METADATA, m, source)?;
        if !m.is_object() {
            return Err(fmt(format!("{METADATA} must be a JSON object")));
        }
    }
    let config = config.ok_or_else(|| fmt(format!("no {CONFIG} in the bundle")))?;
    let weights = weights.ok_or_else(|| fmt(format!("no {WEIGHTS} in the bundle")))?;
    let config = parse_json(CONFIG, &config, source)?;
    let _scope = options.safe_mode.map(SafeModeScope::new);
    let mut model =
        super::serialization::model_from_config(&config, options.compile, options.device.clone())?;
    super::weights::load_weights_bytes(&model, &weights, source)?;
    model.stop_training = false;
    Ok(model)
}
