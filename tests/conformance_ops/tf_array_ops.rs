//! Conformance dispatch for this family (being written).

use super::{Call, OpResult};

pub fn call(c: &Call) -> Option<OpResult> {
    let _ = c;
    None
}
