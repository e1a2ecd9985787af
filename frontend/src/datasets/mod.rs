//! Built-in datasets (`keras.datasets`): data shipped inside the crate, so examples and tests
//! run with no network.

pub mod digits;
