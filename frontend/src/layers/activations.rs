//! (being written)

use crate::layers::LayerFactory;

/// This file's layer classes for [`crate::layers::registry`].
pub fn entries() -> Vec<(&'static str, LayerFactory)> {
    vec![]
}
