//! Shapes, strides, axes and broadcasting: the arithmetic every op shares.

use crate::error::{Error, Result};

/// Row-major strides (in elements) of a contiguous tensor of `dims`.
pub fn strides(dims: &[usize]) -> Vec<usize> {
    let mut s = vec![1; dims.len()];
    for i in (0..dims.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * dims[i + 1];
    }
    s
}

pub fn numel(dims: &[usize]) -> usize {
    dims.iter().product()
}

/// Resolves a possibly negative axis against `rank`.
pub fn normalize_axis(op: &'static str, axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    if axis < -r || axis >= r {
        return Err(Error::AxisOutOfRange { op, axis, rank });
    }
    Ok(if axis < 0 { (axis + r) as usize } else { axis as usize })
}

/// Resolves a list of axes (None = all), sorted, rejecting repeats.
pub fn normalize_axes(op: &'static str, axes: Option<&[i64]>, rank: usize) -> Result<Vec<usize>> {
    let mut out = match axes {
        None => (0..rank).collect::<Vec<_>>(),
        Some(list) => list.iter().map(|&a| normalize_axis(op, a, rank)).collect::<Result<Vec<_>>>()?,
    };
    out.sort_unstable();
    let n = out.len();
    out.dedup();
    if out.len() != n {
        return Err(Error::arg(op, format!("repeated axis in {axes:?}")));
    }
    Ok(out)
}

/// The NumPy broadcast of two shapes.
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
        let db = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
        out[i] = match (da, db) {
            _ if da == db => da,
            (1, d) | (d, 1) => d,
            _ => return Err(Error::Broadcast { op, lhs: a.to_vec(), rhs: b.to_vec() }),
        };
    }
    Ok(out)
}

/// Strides for reading an operand of shape `src` as if broadcast to `dst` (0 along broadcast
/// dimensions). `src` must broadcast to `dst`.
pub fn broadcast_strides(src: &[usize], dst: &[usize]) -> Vec<usize> {
    let own = strides(src);
    let lead = dst.len() - src.len();
    (0..dst.len()).map(|i| if i < lead || src[i - lead] == 1 { 0 } else { own[i - lead] }).collect()
}

/// Merges adjacent dimensions that every operand walks contiguously, so a same-shape
/// elementwise op becomes rank 1. Returns the merged dims and each operand's merged strides.
pub fn collapse(dims: &[usize], operand_strides: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut out_dims: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::new(); operand_strides.len()];
    for d in 0..dims.len() {
        if dims[d] == 1 {
            continue;
        }
        let mergeable = !out_dims.is_empty()
            && operand_strides.iter().zip(&out_strides).all(|(s, o)| *o.last().unwrap() == s[d] * dims[d]);
        if mergeable {
            *out_dims.last_mut().unwrap() *= dims[d];
            for (o, s) in out_strides.iter_mut().zip(operand_strides) {
                *o.last_mut().unwrap() = s[d];
            }
        } else {
            out_dims.push(dims[d]);
            for (o, s) in out_strides.iter_mut().zip(operand_strides) {
                o.push(s[d]);
            }
        }
    }
    if out_dims.is_empty() {
        out_dims.push(1);
        for o in out_strides.iter_mut() {
            o.push(0);
        }
    }
    (out_dims, out_strides)
}

/// The flat source index of output index `i` for an operand with `strides` over `dims`.
pub fn source_index(mut i: usize, dims: &[usize], strides: &[usize]) -> usize {
    let mut idx = 0;
    for d in (0..dims.len()).rev() {
        idx += (i % dims[d]) * strides[d];
        i /= dims[d];
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes("t", &[2, 1, 3], &[4, 1]).unwrap(), vec![2, 4, 3]);
        assert_eq!(broadcast_shapes("t", &[], &[5]).unwrap(), vec![5]);
        assert_eq!(broadcast_shapes("t", &[0, 3], &[1, 3]).unwrap(), vec![0, 3]);
        assert!(broadcast_shapes("t", &[2, 3], &[3, 2]).is_err());
        assert_eq!(broadcast_strides(&[3, 1], &[2, 3, 4]), vec![0, 1, 0]);
    }

    #[test]
    fn collapse_merges_contiguous_dims() {
        let (d, s) = collapse(&[2, 3, 4], &[strides(&[2, 3, 4]), strides(&[2, 3, 4])]);
        assert_eq!(d, vec![24]);
        assert_eq!(s, vec![vec![1], vec![1]]);
        let (d, s) = collapse(&[2, 3, 4], &[strides(&[2, 3, 4]), vec![0, 4, 1]]);
        assert_eq!(d, vec![2, 12]);
        assert_eq!(s, vec![vec![12, 1], vec![0, 1]]);
    }

    #[test]
    fn axes_are_checked() {
        assert_eq!(normalize_axes("t", Some(&[-1, 0]), 3).unwrap(), vec![0, 2]);
        assert!(normalize_axes("t", Some(&[3]), 3).is_err());
        assert!(normalize_axes("t", Some(&[1, -2]), 3).is_err());
    }
}
