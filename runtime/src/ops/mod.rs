//! Eager tensor ops, named as in `keras.ops`. One file per op family; each holds the shape and
//! dtype rules, the CPU kernel and the GPU launch.

pub mod binary;
pub mod cast;
pub mod combine;
pub mod creation;
pub mod einsum;
pub mod fused;
pub mod index;
pub mod layout;
pub mod matmul;
pub mod nn;
pub mod random;
pub mod reduce;
pub mod sort;
pub mod unary;

pub use binary::*;
pub use cast::*;
pub use combine::*;
pub use creation::*;
pub use einsum::*;
pub use fused::*;
pub use index::*;
pub use layout::*;
pub use matmul::*;
pub use nn::*;
pub use random::*;
pub use reduce::*;
pub use sort::*;
pub use unary::*;

/// Splits `n` elements of `elem_bytes` each into ranges that fit one binding of `max_binding`
/// bytes, each starting at an offset aligned to 256 bytes (the strictest storage offset rule).
pub(crate) fn chunks(n: usize, elem_bytes: usize, max_binding: u64) -> Vec<(usize, usize)> {
    let per = ((max_binding as usize / elem_bytes) / 256 * 256).max(256);
    if n <= per {
        return vec![(0, n)];
    }
    (0..n).step_by(per).map(|s| (s, per.min(n - s))).collect()
}
