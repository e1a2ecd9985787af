//! `keras.config`: the process-wide settings of wgkeras, with Keras's defaults, getters,
//! setters and validation, plus `keras.utils.clear_session` and `keras.backend.get_uid`.
//!
//! | setting | default | getter / setter |
//! |---|---|---|
//! | default float type | `"float32"` | [`floatx`], [`floatx_dtype`] / [`set_floatx`] |
//! | fuzz factor | `1e-7` | [`epsilon`] / [`set_epsilon`] |
//! | image data format | `"channels_last"` | [`image_data_format`] / [`set_image_data_format`] |
//! | traceback filtering | on | [`is_traceback_filtering_enabled`] / [`enable_traceback_filtering`], [`disable_traceback_filtering`] |
//! | interactive logging | on | [`is_interactive_logging_enabled`] / [`enable_interactive_logging`], [`disable_interactive_logging`] |
//! | unsafe deserialization | off | [`is_unsafe_deserialization_enabled`] / [`enable_unsafe_deserialization`] |
//!
//! Keras keeps most of this state per Python thread (`threading.local`); in wgkeras every
//! setting is process-wide, shared by all threads (atomics and mutexes: reading and writing
//! from any thread is safe, but a setting changed in one thread is seen by all).
//!
//! Setters that Keras validates return an [`Error::Argument`](crate::Error::Argument) naming
//! the bad value and the allowed ones (Keras raises `ValueError`); the setting is left as it
//! was.
//!
//! ```
//! use wgkeras_frontend::config;
//! assert_eq!(config::floatx(), "float32");
//! assert_eq!(config::epsilon(), 1e-7);
//! assert_eq!(config::image_data_format(), "channels_last");
//! assert!(config::set_floatx("float8").is_err());
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

use wgkeras_runtime::{DType, Device};

use crate::error::{Error, Result};

pub use crate::utils::naming::get_uid;
pub use crate::utils::progbar::{
    disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled,
};

// ---------------------------------------------------------------------------------------------
// version, backend
// ---------------------------------------------------------------------------------------------

/// `keras.version()`: the version of wgkeras (this crate's version, e.g. `"0.1.0"`).
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// `keras.config.backend()`: always `"wgkeras"`.
///
/// Keras returns the name of the framework it runs on (`"tensorflow"`, `"jax"`, `"torch"`,
/// ...). wgkeras has a single backend, its own runtime ([`wgkeras_runtime`]), which runs every
/// op both on the GPU (WGSL compute shaders through wgpu: Vulkan, Metal, DX12, GL) and on the
/// CPU (Rust). Where a tensor lives is a property of the tensor, not of the backend: see
/// [`Device::auto`] (and the `WGKERAS_DEVICE` variable), [`Device::gpu`] and [`Device::cpu`].
pub fn backend() -> &'static str {
    "wgkeras"
}

// ---------------------------------------------------------------------------------------------
// floatx
// ---------------------------------------------------------------------------------------------

/// The values [`set_floatx`] accepts, as Keras's `set_floatx` does.
pub const FLOATX_VALUES: [&str; 4] = ["bfloat16", "float16", "float32", "float64"];

const FLOATX_DTYPES: [DType; 4] = [DType::BF16, DType::F16, DType::F32, DType::F64];

/// Index into `FLOATX_VALUES` / `FLOATX_DTYPES`; 2 is float32.
static FLOATX: AtomicU8 = AtomicU8::new(2);

fn floatx_index() -> usize {
    (FLOATX.load(Ordering::Relaxed) as usize).min(FLOATX_VALUES.len() - 1)
}

/// `keras.config.floatx()`: the default float type, as a string: `"float32"` unless changed
/// with [`set_floatx`] (then one of `"bfloat16"`, `"float16"`, `"float64"`).
pub fn floatx() -> &'static str {
    FLOATX_VALUES[floatx_index()]
}

/// The default float type as the runtime's [`DType`] (`DType::F32` by default).
pub fn floatx_dtype() -> DType {
    FLOATX_DTYPES[floatx_index()]
}

/// `keras.config.set_floatx(value)`: sets the default float type; `value` is one of
/// `"bfloat16"`, `"float16"`, `"float32"`, `"float64"` (exactly these names, as in Keras).
/// Any other value is an error that names it and the accepted ones.
///
/// As Keras notes, `"float16"` is not recommended for training (numeric stability); mixed
/// precision is the better tool. On the GPU, `bfloat16` and `float64` do not exist (WGSL has
/// no such types) and `float16` needs an adapter with SHADER_F16: [`check_floatx_on`] says
/// whether the current floatx can live on a given device.
pub fn set_floatx(value: &str) -> Result<()> {
    match FLOATX_VALUES.iter().position(|v| *v == value) {
        Some(i) => {
            FLOATX.store(i as u8, Ordering::Relaxed);
            Ok(())
        }
        None => Err(Error::arg(
            "set_floatx",
            format!(
                "Unknown `floatx` value: {value:?}. Expected one of {{'bfloat16', 'float16', \
                 'float32', 'float64'}}"
            ),
        )),
    }
}

/// Checks that tensors of the current [`floatx`] can live on `device`: always true on the
/// CPU; on a GPU, `bfloat16` and `float64` are refused (WGSL has no such types) and `float16`
/// is refused where the adapter lacks SHADER_F16. The error (a runtime `DeviceDType` error
/// from [`GpuDevice::check_dtype`](wgkeras_runtime::GpuDevice::check_dtype), under the op
/// name `floatx`) names the dtype, the device and the reason.
pub fn check_floatx_on(device: &Device) -> Result<()> {
    match device {
        Device::Cpu => Ok(()),
        Device::Gpu(g) => Ok(g.check_dtype("floatx", floatx_dtype())?),
    }
}

// ---------------------------------------------------------------------------------------------
// epsilon
// ---------------------------------------------------------------------------------------------

static EPSILON: AtomicU64 = AtomicU64::new(1e-7f64.to_bits());

/// `keras.config.epsilon()`: the fuzz factor used in numeric expressions (`1e-7` by default).
pub fn epsilon() -> f64 {
    f64::from_bits(EPSILON.load(Ordering::Relaxed))
}

/// `keras.config.set_epsilon(value)`: sets the fuzz factor. Like Keras, any value is taken
/// as given (Keras does not validate it either).
pub fn set_epsilon(value: f64) {
    EPSILON.store(value.to_bits(), Ordering::Relaxed);
}

// ---------------------------------------------------------------------------------------------
// image_data_format
// ---------------------------------------------------------------------------------------------

/// Where the channels axis of image tensors is: last (`(batch, height, width, channels)`,
/// the default) or first (`(batch, channels, height, width)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ImageDataFormat {
    #[default]
    ChannelsLast,
    ChannelsFirst,
}

impl ImageDataFormat {
    /// Keras's name: `"channels_last"` or `"channels_first"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageDataFormat::ChannelsLast => "channels_last",
            ImageDataFormat::ChannelsFirst => "channels_first",
        }
    }

    /// Parses a `data_format` argument as Keras does: case-insensitive `"channels_last"` or
    /// `"channels_first"`; anything else is an error naming the value (under `op`).
    pub fn parse(op: &'static str, data_format: &str) -> Result<ImageDataFormat> {
        match data_format.to_lowercase().as_str() {
            "channels_last" => Ok(ImageDataFormat::ChannelsLast),
            "channels_first" => Ok(ImageDataFormat::ChannelsFirst),
            _ => Err(Error::arg(
                op,
                format!(
                    "The `data_format` argument must be one of {{'channels_first', \
                     'channels_last'}}. Received: data_format={data_format:?}"
                ),
            )),
        }
    }
}

impl fmt::Display for ImageDataFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ImageDataFormat {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ImageDataFormat {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// `true`: channels first.
static CHANNELS_FIRST: AtomicBool = AtomicBool::new(false);

/// `keras.config.image_data_format()`: the default image data format, `channels_last` unless
/// changed. It compares equal to its Keras name (`image_data_format() == "channels_last"`);
/// [`ImageDataFormat::as_str`] gives the string.
pub fn image_data_format() -> ImageDataFormat {
    if CHANNELS_FIRST.load(Ordering::Relaxed) {
        ImageDataFormat::ChannelsFirst
    } else {
        ImageDataFormat::ChannelsLast
    }
}

/// `keras.config.set_image_data_format(data_format)`: `"channels_last"` or
/// `"channels_first"` (case-insensitive, as in Keras); anything else is an error naming the
/// value and the accepted ones.
pub fn set_image_data_format(data_format: &str) -> Result<()> {
    let f = ImageDataFormat::parse("set_image_data_format", data_format)?;
    CHANNELS_FIRST.store(f == ImageDataFormat::ChannelsFirst, Ordering::Relaxed);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Traceback filtering
// ---------------------------------------------------------------------------------------------

static TRACEBACK_FILTERING: AtomicBool = AtomicBool::new(true);

/// `keras.config.enable_traceback_filtering()`: turns traceback filtering on (the default).
///
/// In Keras this hides Keras's internal stack frames from the tracebacks of the exceptions
/// it raises. wgkeras reports errors as `Err` values that already name the user's operation,
/// the shapes/dtypes and what was expected, with no stack trace, so today the switch changes
/// nothing: it is kept for Keras parity and is the setting the front end reads once layers and
/// models wrap errors. With filtering on, an error from inside a layer or model call will name
/// the user's call (layer, argument shapes) and the failing op only; with it off, it will also
/// carry the chain of internal steps it passed through (graph nodes, runtime ops, kernels).
pub fn enable_traceback_filtering() {
    TRACEBACK_FILTERING.store(true, Ordering::Relaxed);
}

/// `keras.config.disable_traceback_filtering()`: turns traceback filtering off (see
/// [`enable_traceback_filtering`] for what it will control).
pub fn disable_traceback_filtering() {
    TRACEBACK_FILTERING.store(false, Ordering::Relaxed);
}

/// `keras.config.is_traceback_filtering_enabled()`: `true` unless
/// [`disable_traceback_filtering`] was called (and no [`clear_session`] since).
pub fn is_traceback_filtering_enabled() -> bool {
    TRACEBACK_FILTERING.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Unsafe deserialization
// ---------------------------------------------------------------------------------------------

static UNSAFE_DESERIALIZATION: AtomicBool = AtomicBool::new(false);

/// `keras.config.enable_unsafe_deserialization()`: disables safe mode globally, allowing
/// model loading to deserialize what can run arbitrary code (Keras's lambdas; in wgkeras,
/// whatever the saving code will mark as unsafe). Off by default; [`clear_session`] turns it
/// off again, as Keras's does.
pub fn enable_unsafe_deserialization() {
    UNSAFE_DESERIALIZATION.store(true, Ordering::Relaxed);
}

/// Whether [`enable_unsafe_deserialization`] was called (and no [`clear_session`] since):
/// the saving code refuses unsafe objects unless this is `true` or the caller asks for
/// `safe_mode = false` itself. Keras reads this as `not in_safe_mode()`.
pub fn is_unsafe_deserialization_enabled() -> bool {
    UNSAFE_DESERIALIZATION.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// clear_session
// ---------------------------------------------------------------------------------------------

/// `keras.utils.clear_session(free_memory)`: resets the global state that wgkeras builds up,
/// as Keras's does:
///
/// - the name counters of [`get_uid`] and of the default layer names (the next `Dense` is
///   named `dense` again; see [`crate::utils::naming`]);
/// - traceback filtering and interactive logging back on, unsafe deserialization back off
///   (Keras keeps these switches in the global state that `clear_session` drops);
/// - the seed given to [`set_random_seed`](crate::utils::set_random_seed) is forgotten
///   ([`get_random_seed`](crate::utils::get_random_seed) gives `None`) and the next unseeded
///   draw comes from a new global generator, derived from that seed: as in Keras, a seeded
///   program stays reproducible across `clear_session` calls (see [`crate::utils::rng`]).
///
/// The float type, epsilon and image data format are kept (Keras keeps them too).
///
/// With `free_memory` (Keras runs Python's garbage collector), the shared GPU devices that
/// were opened ([`Device::opened_shared_gpus`]) give their free pooled buffers back to the
/// driver ([`GpuDevice::release_free_memory`](wgkeras_runtime::GpuDevice::release_free_memory));
/// buffers still held by live tensors are untouched, and no GPU is opened when none was. A
/// device made with `Device::gpu_with` is not shared: release its pool with its own
/// `release_free_memory`. Without `free_memory` the pools keep their buffers for reuse, which
/// is faster in a short loop.
pub fn clear_session(free_memory: bool) {
    crate::utils::naming::reset_uids();
    enable_traceback_filtering();
    enable_interactive_logging();
    UNSAFE_DESERIALIZATION.store(false, Ordering::Relaxed);
    crate::utils::rng::reset_global_generator_for_clear_session();
    if free_memory {
        for g in Device::opened_shared_gpus() {
            g.release_free_memory();
        }
    }
}
