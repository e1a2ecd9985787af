//! `keras.config` (wgkeras::frontend::config): the worked examples of the Keras page
//! "Keras configuration utilities", the validation errors, and `clear_session`.
//!
//! The settings are process-wide and the tests of this file run in parallel threads: every
//! test takes `LOCK` and puts back what it changed.

mod common;

use std::sync::{Mutex, MutexGuard};

use wgkeras::frontend::config;
use wgkeras::frontend::utils::{get_random_seed, naming, next_seed, set_random_seed};
use wgkeras::runtime::{DType, Device, Tensor};

static LOCK: Mutex<()> = Mutex::new(());

/// Holds `LOCK`; on drop (a failed assertion included) puts the settings back to Keras's
/// defaults, so one failure does not cascade into the other tests.
struct Settings(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Drop for Settings {
    fn drop(&mut self) {
        let _ = config::set_floatx("float32");
        config::set_epsilon(1e-7);
        let _ = config::set_image_data_format("channels_last");
        config::enable_traceback_filtering();
        config::enable_interactive_logging();
    }
}

fn lock() -> Settings {
    Settings(LOCK.lock().unwrap_or_else(|e| e.into_inner()))
}

#[test]
fn version_and_backend() {
    assert_eq!(config::version(), env!("CARGO_PKG_VERSION"));
    assert!(!config::version().is_empty());
    assert_eq!(config::backend(), "wgkeras");
}

#[test]
fn floatx_examples_and_errors() {
    let _g = lock();
    // >>> keras.config.floatx()
    // 'float32'
    assert_eq!(config::floatx(), "float32");
    assert_eq!(config::floatx_dtype(), DType::F32);
    // >>> keras.config.set_floatx('float64')
    // >>> keras.config.floatx()
    // 'float64'
    config::set_floatx("float64").unwrap();
    assert_eq!(config::floatx(), "float64");
    assert_eq!(config::floatx_dtype(), DType::F64);
    for (name, dtype) in [("bfloat16", DType::BF16), ("float16", DType::F16), ("float32", DType::F32)] {
        config::set_floatx(name).unwrap();
        assert_eq!(config::floatx(), name);
        assert_eq!(config::floatx_dtype(), dtype);
    }
    // Keras accepts exactly the four names: aliases, other cases and non-floats are refused,
    // and the setting stays as it was.
    config::set_floatx("float16").unwrap();
    for bad in ["float8", "FLOAT32", "float", "int32", "", " float32"] {
        let e = config::set_floatx(bad).unwrap_err().to_string();
        assert!(e.contains("set_floatx"), "{e}");
        assert!(e.contains(&format!("{bad:?}")), "{e}");
        for ok in config::FLOATX_VALUES {
            assert!(e.contains(ok), "{e}");
        }
        assert_eq!(config::floatx(), "float16");
    }
    // >>> # Set it back to float32
    // >>> keras.config.set_floatx('float32')
    config::set_floatx("float32").unwrap();
    assert_eq!(config::floatx(), "float32");
}

#[test]
fn floatx_on_devices() {
    let _g = lock();
    for name in config::FLOATX_VALUES {
        config::set_floatx(name).unwrap();
        config::check_floatx_on(&Device::Cpu).unwrap();
    }
    if let Some(Device::Gpu(g)) = common::gpu() {
        let dev = Device::Gpu(g.clone());
        for name in ["bfloat16", "float64"] {
            config::set_floatx(name).unwrap();
            let e = config::check_floatx_on(&dev).unwrap_err().to_string();
            assert!(e.contains("floatx") && e.contains(name) && e.contains(g.name()), "{e}");
        }
        config::set_floatx("float16").unwrap();
        let r = config::check_floatx_on(&dev);
        if g.has_f16() {
            r.unwrap();
        } else {
            let e = r.unwrap_err().to_string();
            assert!(e.contains("float16") && e.contains("SHADER_F16"), "{e}");
        }
        config::set_floatx("float32").unwrap();
        config::check_floatx_on(&dev).unwrap();
    }
    config::set_floatx("float32").unwrap();
}

#[test]
fn image_data_format_examples_and_errors() {
    let _g = lock();
    // >>> keras.config.image_data_format()
    // 'channels_last'
    assert_eq!(config::image_data_format(), "channels_last");
    assert_eq!(config::image_data_format(), config::ImageDataFormat::ChannelsLast);
    // >>> keras.config.set_image_data_format('channels_first')
    // >>> keras.config.image_data_format()
    // 'channels_first'
    config::set_image_data_format("channels_first").unwrap();
    assert_eq!(config::image_data_format(), "channels_first");
    assert_eq!(config::image_data_format().as_str(), "channels_first");
    assert_eq!(config::image_data_format().to_string(), "channels_first");
    // Case-insensitive, as Keras (`str(data_format).lower()`).
    config::set_image_data_format("CHANNELS_LAST").unwrap();
    assert_eq!(config::image_data_format(), "channels_last");
    config::set_image_data_format("channels_first").unwrap();
    for bad in ["NHWC", "channels", "", "channels_last "] {
        let e = config::set_image_data_format(bad).unwrap_err().to_string();
        assert!(e.contains("set_image_data_format"), "{e}");
        assert!(e.contains(&format!("{bad:?}")), "{e}");
        assert!(e.contains("channels_first") && e.contains("channels_last"), "{e}");
        assert_eq!(config::image_data_format(), "channels_first");
    }
    // >>> # Set it back to `'channels_last'`
    // >>> keras.config.set_image_data_format('channels_last')
    config::set_image_data_format("channels_last").unwrap();
    assert_eq!(config::image_data_format(), "channels_last");
}

#[test]
fn epsilon_examples() {
    let _g = lock();
    // >>> keras.config.epsilon()
    // 1e-07
    assert_eq!(config::epsilon(), 1e-7);
    // >>> keras.config.set_epsilon(1e-5)
    // >>> keras.config.epsilon()
    // 1e-05
    config::set_epsilon(1e-5);
    assert_eq!(config::epsilon(), 1e-5);
    // >>> # Set it back to the default value.
    // >>> keras.config.set_epsilon(1e-7)
    config::set_epsilon(1e-7);
    assert_eq!(config::epsilon(), 1e-7);
}

#[test]
fn switches_default_and_toggle() {
    let _g = lock();
    assert!(config::is_traceback_filtering_enabled());
    config::disable_traceback_filtering();
    assert!(!config::is_traceback_filtering_enabled());
    config::enable_traceback_filtering();
    assert!(config::is_traceback_filtering_enabled());

    assert!(config::is_interactive_logging_enabled());
    config::disable_interactive_logging();
    assert!(!config::is_interactive_logging_enabled());
    // The same switch as the progress bar's (re-exported, not duplicated).
    assert!(!wgkeras::frontend::utils::progbar::is_interactive_logging_enabled());
    config::enable_interactive_logging();
    assert!(config::is_interactive_logging_enabled());

    assert!(!config::is_unsafe_deserialization_enabled());
    config::enable_unsafe_deserialization();
    assert!(config::is_unsafe_deserialization_enabled());
    config::clear_session(false); // the only way back, as in Keras
    assert!(!config::is_unsafe_deserialization_enabled());
}

#[test]
fn clear_session_resets_keras_global_state() {
    let _g = lock();
    // Example 2: resetting the layer name generation counter.
    // >>> layers = [keras.layers.Dense(10) for _ in range(10)]
    // >>> new_layer = keras.layers.Dense(10)
    // >>> print(new_layer.name)
    // dense_10
    config::clear_session(false);
    let names: Vec<String> = (0..10).map(|_| naming::auto_name("Dense")).collect();
    assert_eq!(names[0], "dense");
    assert_eq!(names[1], "dense_1");
    assert_eq!(naming::auto_name("Dense"), "dense_10");
    // >>> keras.backend.clear_session()
    // >>> new_layer = keras.layers.Dense(10)
    // >>> print(new_layer.name)
    // dense
    config::clear_session(true);
    assert_eq!(naming::auto_name("Dense"), "dense");

    // keras.backend.get_uid: 1, 2, ... per prefix, shared with the names, reset by
    // clear_session (checked against Keras 3.15.1).
    assert_eq!(config::get_uid("dense"), 2);
    assert_eq!(config::get_uid("x"), 1);
    assert_eq!(config::get_uid("x"), 2);
    assert_eq!(config::get_uid(""), 1);
    config::clear_session(false);
    assert_eq!(config::get_uid("dense"), 1);
    assert_eq!(config::get_uid("x"), 1);
    assert_eq!(naming::auto_name("BatchNormalization"), "batch_normalization");

    // The switches go back to their defaults; floatx, epsilon and image_data_format stay
    // (Keras 3.15.1: after clear_session, floatx() is still 'float64', etc.).
    config::disable_traceback_filtering();
    config::disable_interactive_logging();
    config::enable_unsafe_deserialization();
    config::set_floatx("float64").unwrap();
    config::set_epsilon(1e-3);
    config::set_image_data_format("channels_first").unwrap();
    config::clear_session(true);
    assert!(config::is_traceback_filtering_enabled());
    assert!(config::is_interactive_logging_enabled());
    assert!(!config::is_unsafe_deserialization_enabled());
    assert_eq!(config::floatx(), "float64");
    assert_eq!(config::epsilon(), 1e-3);
    assert_eq!(config::image_data_format(), "channels_first");
    config::set_floatx("float32").unwrap();
    config::set_epsilon(1e-7);
    config::set_image_data_format("channels_last").unwrap();
}

#[test]
fn clear_session_and_the_random_seed() {
    let _g = lock();
    // Keras 3.15.1: clear_session forgets the seed (get_random_seed() is None) and the next
    // unseeded draw comes from a new global generator; the run stays reproducible.
    let run = |clear: bool| {
        set_random_seed(3);
        let a = next_seed();
        if clear {
            config::clear_session(false);
        }
        let b = next_seed();
        (a, b, get_random_seed())
    };
    let (a0, b0, s0) = run(false);
    let (a1, b1, s1) = run(true);
    let (a2, b2, s2) = run(true);
    assert_eq!(s0, Some(3));
    assert_eq!((s1, s2), (None, None));
    assert_eq!(a0, a1);
    assert_ne!(b0, b1, "clear_session must start a new global stream");
    assert_eq!((a1, b1), (a2, b2), "a seeded run must stay reproducible across clear_session");
    // A second clear_session moves to yet another stream.
    set_random_seed(3);
    config::clear_session(false);
    let c1 = next_seed();
    config::clear_session(false);
    let c2 = next_seed();
    assert_eq!(c1, b1);
    assert_ne!(c2, c1);
}

#[test]
fn clear_session_frees_pooled_gpu_memory() {
    let _g = lock();
    // No GPU is opened by clear_session itself (the tests that open one hold LOCK).
    if Device::opened_shared_gpus().is_empty() {
        config::clear_session(true);
        assert!(Device::opened_shared_gpus().is_empty(), "clear_session opened a GPU");
    }
    let Some(Device::Gpu(g)) = common::gpu() else {
        eprintln!("no GPU: clear_session(true) memory check skipped");
        config::clear_session(true);
        return;
    };
    assert!(Device::opened_shared_gpus().contains(&g));
    let dev = Device::Gpu(g.clone());
    {
        let mut live = Vec::new();
        for n in [1usize, 100, 4096, 100_000] {
            let t = Tensor::from_vec(vec![1.0f32; n], &[n], &dev).unwrap();
            live.push(t);
        }
        dev.synchronize().unwrap();
        assert!(g.pool_stats().allocated_bytes > 0);
    } // dropped: the buffers go back to the pool as free buffers
    let before = g.pool_stats();
    assert!(before.free_bytes > 0, "{before:?}");
    // Without free_memory the pool keeps its free buffers for reuse.
    config::clear_session(false);
    assert_eq!(g.pool_stats().free_bytes, before.free_bytes);
    config::clear_session(true);
    let after = g.pool_stats();
    assert_eq!(after.free_bytes, 0, "{after:?}");
    assert_eq!(after.allocated_bytes, before.allocated_bytes - before.free_bytes, "{after:?}");
    // The pool works on after the release.
    let t = Tensor::from_vec(vec![2.0f32; 10], &[10], &dev).unwrap();
    assert_eq!(t.to_vec::<f32>().unwrap(), vec![2.0f32; 10]);
}
