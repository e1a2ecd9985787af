//! Ops that move elements without computing on them: reshape, transpose and the strided copy
//! they are built on.

use crate::device::Kernel;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::shape::{normalize_axis, numel, strides};
use crate::tensor::{GpuStorage, Storage, Tensor};

/// A strided view of a tensor's elements: `dims` walked row-major, element `c` read at
/// `offset + sum(c_d * strides_d)` (strides may be negative or zero).
#[derive(Debug, Clone)]
pub struct View {
    pub dims: Vec<usize>,
    pub strides: Vec<isize>,
    pub offset: isize,
}

impl View {
    /// The plain row-major view of `dims`.
    pub fn contiguous(dims: &[usize]) -> View {
        View {
            dims: dims.to_vec(),
            strides: strides(dims).into_iter().map(|s| s as isize).collect(),
            offset: 0,
        }
    }
}

fn copy_params(dims: &[usize], src: &View, dst: &View) -> Vec<u32> {
    let n = numel(dims);
    let mut p = vec![n as u32, dims.len() as u32, src.offset as i32 as u32, dst.offset as i32 as u32];
    p.extend(dims.iter().map(|&d| d as u32));
    p.extend(src.strides.iter().map(|&s| s as i32 as u32));
    p.extend(dst.strides.iter().map(|&s| s as i32 as u32));
    p
}

fn gpu_copy(src: &GpuStorage, src_view: &View, dst: &GpuStorage, dst_view: &View) -> Result<()> {
    let dtype = if src.dtype == DType::Bool { DType::U32 } else { src.dtype };
    let types = [("T", dtype)];
    let params = copy_params(&src_view.dims, src_view, dst_view);
    src.device.launch(
        &Kernel::new("strided_copy", &types),
        &params,
        &[src.binding(), dst.binding()],
        numel(&src_view.dims),
    )
}

/// A new contiguous tensor of `view.dims` holding the elements `view` selects from `x`.
pub fn gather_view(x: &Tensor, view: &View) -> Result<Tensor> {
    let n = numel(&view.dims);
    let storage = match x.storage() {
        Storage::Cpu(s) => Storage::Cpu(if n == 0 {
            crate::CpuStorage::zeros(x.dtype(), 0)
        } else {
            s.gather_strided(&view.dims, &view.strides, view.offset)
        }),
        Storage::Gpu(g) => {
            let out = GpuStorage::alloc(&g.device, "copy", x.dtype(), n)?;
            if n > 0 {
                gpu_copy(g, view, &out, &View::contiguous(&view.dims))?;
            }
            Storage::Gpu(out)
        }
    };
    Tensor::from_storage(storage, &view.dims)
}

/// A copy of `base` whose elements selected by `view` are replaced by `src` (which has
/// `view.dims`, walked row-major). `base` itself is unchanged.
pub fn scatter_view(base: &Tensor, view: &View, src: &Tensor) -> Result<Tensor> {
    crate::tensor::same_device("slice_update", &[base, src])?;
    if numel(&view.dims) != src.numel() {
        return Err(Error::shapes(
            "slice_update",
            &view.dims,
            src.dims(),
            "update has the wrong number of elements",
        ));
    }
    let src = crate::ops::cast(src, base.dtype())?;
    let storage = match (base.storage(), src.storage()) {
        (Storage::Cpu(b), Storage::Cpu(s)) => {
            let mut out = b.clone();
            if !s.is_empty() {
                out.scatter_strided(s, &view.dims, &view.strides, view.offset);
            }
            Storage::Cpu(out)
        }
        (Storage::Gpu(b), Storage::Gpu(s)) => {
            let out = GpuStorage::alloc(&b.device, "slice_update", base.dtype(), b.len)?;
            b.device.copy(b.buffer.buffer(), 0, out.buffer.buffer(), 0, b.bytes().next_multiple_of(4))?;
            if s.len > 0 {
                gpu_copy(s, &View::contiguous(&view.dims), &out, view)?;
            }
            Storage::Gpu(out)
        }
        _ => unreachable!("same_device checked"),
    };
    Tensor::from_storage(storage, base.dims())
}

/// `reshape(x, new_shape)` with at most one `-1`.
pub fn reshape(x: &Tensor, new_shape: &[i64]) -> Result<Tensor> {
    let mut unknown = None;
    let mut known = 1usize;
    for (i, &d) in new_shape.iter().enumerate() {
        match d {
            -1 if unknown.is_none() => unknown = Some(i),
            -1 => return Err(Error::arg("reshape", format!("only one -1 is allowed in {new_shape:?}"))),
            d if d < 0 => {
                return Err(Error::arg("reshape", format!("invalid dimension {d} in {new_shape:?}")))
            }
            d => known *= d as usize,
        }
    }
    let mut dims: Vec<usize> = new_shape.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = unknown {
        if known == 0 || x.numel() % known != 0 {
            return Err(Error::shapes(
                "reshape",
                x.dims(),
                &dims,
                format!("cannot infer -1 in {new_shape:?}"),
            ));
        }
        dims[i] = x.numel() / known;
    }
    if numel(&dims) != x.numel() {
        return Err(Error::shapes(
            "reshape",
            x.dims(),
            &dims,
            format!("{} elements cannot be reshaped to {new_shape:?}", x.numel()),
        ));
    }
    x.with_dims(&dims)
}

/// `transpose(x, axes)`; `None` reverses the axes.
pub fn transpose(x: &Tensor, axes: Option<&[i64]>) -> Result<Tensor> {
    let rank = x.rank();
    let perm: Vec<usize> = match axes {
        None => (0..rank).rev().collect(),
        Some(a) => {
            if a.len() != rank {
                return Err(Error::arg(
                    "transpose",
                    format!("axes {a:?} do not match a tensor of rank {rank}"),
                ));
            }
            let p = a.iter().map(|&ax| normalize_axis("transpose", ax, rank)).collect::<Result<Vec<_>>>()?;
            let mut seen = p.clone();
            seen.sort_unstable();
            seen.dedup();
            if seen.len() != rank {
                return Err(Error::arg("transpose", format!("axes {a:?} repeat an axis")));
            }
            p
        }
    };
    let src = View::contiguous(x.dims());
    let view = View {
        dims: perm.iter().map(|&p| x.dims()[p]).collect(),
        strides: perm.iter().map(|&p| src.strides[p]).collect(),
        offset: 0,
    };
    gather_view(x, &view)
}
