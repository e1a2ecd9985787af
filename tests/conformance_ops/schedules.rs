//! (being written)

use super::{Call, OpResult};

pub fn call(_c: &Call) -> Option<OpResult> {
    None
}
