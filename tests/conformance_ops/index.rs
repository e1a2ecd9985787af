//! Conformance dispatch for this op family (being written).

use super::{Call, OpResult};

pub fn call(c: &Call) -> Option<OpResult> {
    let _ = c;
    None
}
