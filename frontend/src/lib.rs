pub use wgkeras_runtime;
