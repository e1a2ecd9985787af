//! Layout ops that join, cut or repeat tensors: concatenate, stack, unstack, split, tile,
//! repeat, pad. All are strided copies (`strided_copy`) or index-list gathers along one axis.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::cast::cast;
use crate::ops::layout::{assemble, gather_axis, gather_view, View};
use crate::shape::normalize_axis;
use crate::tensor::{same_device, Tensor};

/// `concatenate(xs, axis=0)`: joins tensors of one rank along `axis`; the other dims must match.
/// Dtypes promote as in Keras (bool < int < float).
pub fn concatenate(xs: &[Tensor], axis: i64) -> Result<Tensor> {
    const OP: &str = "concatenate";
    let first = xs.first().ok_or_else(|| Error::arg(OP, "needs at least one tensor"))?;
    let refs: Vec<&Tensor> = xs.iter().collect();
    let device = same_device(OP, &refs)?;
    let rank = first.rank();
    if rank == 0 {
        return Err(Error::arg(OP, "0-d tensors cannot be concatenated"));
    }
    let axis = normalize_axis(OP, axis, rank)?;
    let mut dims = first.dims().to_vec();
    dims[axis] = 0;
    let mut dtype = first.dtype();
    for x in xs {
        let same_rest = x.rank() == rank && (0..rank).all(|d| d == axis || x.dims()[d] == first.dims()[d]);
        if !same_rest {
            return Err(Error::shapes(
                OP,
                first.dims(),
                x.dims(),
                format!("tensors must have the same rank and equal dims except along axis {axis}"),
            ));
        }
        dims[axis] += x.dims()[axis];
        dtype = DType::promote(dtype, x.dtype());
    }
    if xs.len() == 1 {
        return cast(first, dtype);
    }
    let cast_xs = xs.iter().map(|x| cast(x, dtype)).collect::<Result<Vec<_>>>()?;
    let out = View::contiguous(&dims);
    let mut at = 0;
    let mut parts = Vec::with_capacity(xs.len());
    for x in &cast_xs {
        let len = x.dims()[axis];
        parts.push((x, out.narrowed(axis, at, len)));
        at += len;
    }
    assemble(OP, &dims, dtype, &device, None, &parts)
}

/// `stack(x, axis=0)`: joins tensors of one shape along a new axis.
pub fn stack(x: &[Tensor], axis: i64) -> Result<Tensor> {
    const OP: &str = "stack";
    let first = x.first().ok_or_else(|| Error::arg(OP, "needs at least one tensor"))?;
    let axis = normalize_axis(OP, axis, first.rank() + 1)?;
    let mut expanded = Vec::with_capacity(x.len());
    for t in x {
        if t.dims() != first.dims() {
            return Err(Error::shapes(OP, first.dims(), t.dims(), "all tensors must have the same shape"));
        }
        let mut dims = t.dims().to_vec();
        dims.insert(axis, 1);
        expanded.push(t.with_dims(&dims)?);
    }
    concatenate(&expanded, axis as i64)
}

/// `unstack(x, num=None, axis=0)`: the slices of `x` along `axis`, each without that axis.
/// `num`, when given, must equal the size of `axis`.
pub fn unstack(x: &Tensor, num: Option<usize>, axis: i64) -> Result<Vec<Tensor>> {
    const OP: &str = "unstack";
    let axis = normalize_axis(OP, axis, x.rank())?;
    let len = x.dims()[axis];
    if let Some(n) = num {
        if n != len {
            return Err(Error::arg(OP, format!("num={n} but axis {axis} of shape {:?} has {len}", x.dims())));
        }
    }
    let view = View::contiguous(x.dims());
    (0..len).map(|i| gather_view(x, &view.indexed(axis, i))).collect()
}

/// How [`split`] cuts: into equal sections, or at the given indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitSpec {
    /// This many equal parts (the axis size must divide evenly).
    Sections(usize),
    /// Cut before each of these (non-decreasing, within the axis) indices.
    Indices(Vec<i64>),
}

/// `split(x, indices_or_sections, axis=0)`: cuts `x` along `axis` into several tensors.
pub fn split(x: &Tensor, indices_or_sections: &SplitSpec, axis: i64) -> Result<Vec<Tensor>> {
    const OP: &str = "split";
    let axis = normalize_axis(OP, axis, x.rank())?;
    let len = x.dims()[axis];
    let bounds: Vec<usize> = match indices_or_sections {
        SplitSpec::Sections(0) => return Err(Error::arg(OP, "the number of sections must be positive")),
        SplitSpec::Sections(n) => {
            if !len.is_multiple_of(*n) {
                return Err(Error::arg(
                    OP,
                    format!(
                        "axis {axis} of shape {:?} (size {len}) does not split into {n} equal sections",
                        x.dims()
                    ),
                ));
            }
            (0..=*n).map(|i| i * (len / n)).collect()
        }
        SplitSpec::Indices(idx) => {
            let mut b = vec![0usize];
            for &i in idx {
                if i < *b.last().unwrap() as i64 || i > len as i64 {
                    return Err(Error::arg(
                        OP,
                        format!("indices {idx:?} must be non-decreasing and within 0..={len} (axis {axis})"),
                    ));
                }
                b.push(i as usize);
            }
            b.push(len);
            b
        }
    };
    let view = View::contiguous(x.dims());
    bounds
        .windows(2)
        .map(|w| {
            if w[1] - w[0] == len {
                Ok(x.clone())
            } else {
                gather_view(x, &view.narrowed(axis, w[0], w[1] - w[0]))
            }
        })
        .collect()
}

fn check_counts(op: &'static str, what: &str, counts: &[i64]) -> Result<Vec<usize>> {
    counts
        .iter()
        .map(|&r| {
            usize::try_from(r)
                .map_err(|_| Error::arg(op, format!("{what} must be non-negative, got {counts:?}")))
        })
        .collect()
}

/// `tile(x, repeats)`: `x` repeated `repeats[i]` times along each axis (NumPy rules when the
/// lengths differ: the shorter of shape and repeats is padded with leading 1s).
pub fn tile(x: &Tensor, repeats: &[i64]) -> Result<Tensor> {
    let reps = check_counts("tile", "repeats", repeats)?;
    let rank = x.rank().max(reps.len());
    let pad = |v: &[usize]| [vec![1; rank - v.len()], v.to_vec()].concat();
    let (dims, reps) = (pad(x.dims()), pad(&reps));
    let own = View::contiguous(&dims);
    let mut view = View { dims: Vec::new(), strides: Vec::new(), offset: 0 };
    for i in 0..rank {
        view.dims.extend([reps[i], dims[i]]);
        view.strides.extend([0, own.strides[i]]);
    }
    let out: Vec<usize> = (0..rank).map(|i| reps[i] * dims[i]).collect();
    if reps.iter().all(|&r| r == 1) {
        return x.with_dims(&out);
    }
    gather_view(x, &view)?.with_dims(&out)
}

/// `repeat(x, repeats, axis=None)`: each element repeated along `axis` (of the flattened `x`
/// when None). `repeats` is one count for every element, or one count per element of the axis.
pub fn repeat(x: &Tensor, repeats: &[i64], axis: Option<i64>) -> Result<Tensor> {
    const OP: &str = "repeat";
    let counts = check_counts(OP, "repeats", repeats)?;
    let x = match axis {
        None => x.with_dims(&[x.numel()])?,
        Some(_) if x.rank() == 0 => x.with_dims(&[1])?,
        Some(_) => x.clone(),
    };
    let axis = normalize_axis(OP, axis.unwrap_or(0), x.rank())?;
    let len = x.dims()[axis];
    let mut out = x.dims().to_vec();
    match counts[..] {
        [r] => {
            out[axis] = len * r;
            let mut view = View::contiguous(x.dims());
            view.dims.insert(axis + 1, r);
            view.strides.insert(axis + 1, 0);
            gather_view(&x, &view)?.with_dims(&out)
        }
        _ if counts.len() == len => {
            let index: Vec<usize> =
                counts.iter().enumerate().flat_map(|(j, &r)| std::iter::repeat_n(j, r)).collect();
            gather_axis(OP, &x, axis, &index)
        }
        _ => Err(Error::arg(
            OP,
            format!(
                "repeats has {} entries; expected 1 or {len} (axis {axis} of shape {:?})",
                counts.len(),
                x.dims()
            ),
        )),
    }
}

/// `pad(x, pad_width, mode="constant", constant_values=None)`. `pad_width` is one
/// `[before, after]` per axis, or a single pair used for every axis. Modes: `"constant"`
/// (`constant_values`, default 0, cast to x's dtype), `"edge"`, `"reflect"`, `"symmetric"`,
/// `"wrap"` (NumPy semantics, pads wider than the axis included).
pub fn pad(x: &Tensor, pad_width: &[[usize; 2]], mode: &str, constant_values: Option<f64>) -> Result<Tensor> {
    const OP: &str = "pad";
    let rank = x.rank();
    let widths: Vec<[usize; 2]> = match pad_width.len() {
        1 => vec![pad_width[0]; rank],
        n if n == rank => pad_width.to_vec(),
        n => {
            return Err(Error::arg(
                OP,
                format!("pad_width has {n} pairs; expected 1 or one per dim of shape {:?}", x.dims()),
            ))
        }
    };
    if constant_values.is_some() && mode != "constant" {
        return Err(Error::arg(
            OP,
            format!("constant_values can only be given with mode \"constant\", not {mode:?}"),
        ));
    }
    let map: fn(i64, i64) -> i64 = match mode {
        "constant" => {
            let dims: Vec<usize> = x.dims().iter().zip(&widths).map(|(d, [b, a])| b + d + a).collect();
            let mut inner = View::contiguous(&dims);
            for (axis, (&d, &[b, _])) in x.dims().iter().zip(&widths).enumerate() {
                inner = inner.narrowed(axis, b, d);
            }
            let fill = constant_values.unwrap_or(0.0);
            return assemble(OP, &dims, x.dtype(), &x.device(), Some(fill), &[(x, inner)]);
        }
        "edge" => |p, d| p.clamp(0, d - 1),
        "wrap" => |p, d| p.rem_euclid(d),
        "reflect" => |p, d| {
            if d == 1 {
                return 0;
            }
            let m = p.rem_euclid(2 * (d - 1));
            if m >= d {
                2 * (d - 1) - m
            } else {
                m
            }
        },
        "symmetric" => |p, d| {
            let m = p.rem_euclid(2 * d);
            if m >= d {
                2 * d - 1 - m
            } else {
                m
            }
        },
        other => {
            return Err(Error::arg(
                OP,
                format!("mode {other:?} is not supported; use constant, edge, reflect, symmetric or wrap"),
            ))
        }
    };
    let mut out = x.clone();
    for (axis, &[b, a]) in widths.iter().enumerate() {
        if b == 0 && a == 0 {
            continue;
        }
        let d = x.dims()[axis];
        if d == 0 {
            return Err(Error::arg(
                OP,
                format!("cannot pad the empty axis {axis} of shape {:?} in mode {mode:?}", x.dims()),
            ));
        }
        let index: Vec<usize> = (0..b + d + a).map(|j| map(j as i64 - b as i64, d as i64) as usize).collect();
        out = gather_axis(OP, &out, axis, &index)?;
    }
    Ok(out)
}
