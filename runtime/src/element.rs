//! Host element types and the CPU storage that holds them.

use half::{bf16, f16};

use crate::dtype::DType;

/// A Rust type that is the host form of a [`DType`].
pub trait Element: Copy + Send + Sync + Default + PartialOrd + std::fmt::Debug + 'static {
    const DTYPE: DType;
    fn to_f64(self) -> f64;
    /// Converts with NumPy's `astype` rules (floats to ints truncate, to bool is `!= 0`).
    fn from_f64(v: f64) -> Self;
    fn wrap(v: Vec<Self>) -> CpuStorage;
    fn unwrap(s: &CpuStorage) -> Option<&[Self]>;
}

macro_rules! element {
    ($t:ty, $variant:ident, $to:expr, $from:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$variant;
            fn to_f64(self) -> f64 {
                $to(self)
            }
            fn from_f64(v: f64) -> Self {
                $from(v)
            }
            fn wrap(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$variant(v)
            }
            fn unwrap(s: &CpuStorage) -> Option<&[Self]> {
                match s {
                    CpuStorage::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}

element!(bool, Bool, |x: bool| x as u8 as f64, |v: f64| v != 0.0);
element!(i32, I32, |x: i32| x as f64, |v: f64| v as i32);
element!(u32, U32, |x: u32| x as f64, |v: f64| v as u32);
element!(f16, F16, |x: f16| x.to_f64(), f16::from_f64);
element!(bf16, BF16, |x: bf16| x.to_f64(), bf16::from_f64);
element!(f32, F32, |x: f32| x as f64, |v: f64| v as f32);
element!(f64, F64, |x: f64| x, |v: f64| v);

/// Tensor data in host memory, one variant per dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum CpuStorage {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

/// Runs `$body` with `$v` bound to the typed vector of any [`CpuStorage`] variant.
#[macro_export]
#[doc(hidden)]
macro_rules! with_cpu_storage {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            $crate::CpuStorage::Bool($v) => $body,
            $crate::CpuStorage::I32($v) => $body,
            $crate::CpuStorage::U32($v) => $body,
            $crate::CpuStorage::F16($v) => $body,
            $crate::CpuStorage::BF16($v) => $body,
            $crate::CpuStorage::F32($v) => $body,
            $crate::CpuStorage::F64($v) => $body,
        }
    };
}

impl CpuStorage {
    pub fn dtype(&self) -> DType {
        with_cpu_storage!(self, v => element_dtype(v))
    }

    pub fn len(&self) -> usize {
        with_cpu_storage!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` zeros of `dtype`.
    pub fn zeros(dtype: DType, n: usize) -> CpuStorage {
        Self::filled(dtype, n, 0.0)
    }

    /// `n` copies of `value` converted to `dtype`.
    pub fn filled(dtype: DType, n: usize, value: f64) -> CpuStorage {
        match dtype {
            DType::Bool => CpuStorage::Bool(vec![value != 0.0; n]),
            DType::I32 => CpuStorage::I32(vec![i32::from_f64(value); n]),
            DType::U32 => CpuStorage::U32(vec![u32::from_f64(value); n]),
            DType::F16 => CpuStorage::F16(vec![f16::from_f64(value); n]),
            DType::BF16 => CpuStorage::BF16(vec![bf16::from_f64(value); n]),
            DType::F32 => CpuStorage::F32(vec![value as f32; n]),
            DType::F64 => CpuStorage::F64(vec![value; n]),
        }
    }

    /// Builds storage of `dtype` from f64 values.
    pub fn from_f64(dtype: DType, values: impl IntoIterator<Item = f64>) -> CpuStorage {
        let it = values.into_iter();
        match dtype {
            DType::Bool => CpuStorage::Bool(it.map(bool::from_f64).collect()),
            DType::I32 => CpuStorage::I32(it.map(i32::from_f64).collect()),
            DType::U32 => CpuStorage::U32(it.map(u32::from_f64).collect()),
            DType::F16 => CpuStorage::F16(it.map(f16::from_f64).collect()),
            DType::BF16 => CpuStorage::BF16(it.map(bf16::from_f64).collect()),
            DType::F32 => CpuStorage::F32(it.map(|v| v as f32).collect()),
            DType::F64 => CpuStorage::F64(it.collect()),
        }
    }

    /// Every element as f64 (exact for every dtype we have).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        with_cpu_storage!(self, v => v.iter().map(|x| x.to_f64()).collect())
    }

    pub fn get_f64(&self, i: usize) -> f64 {
        with_cpu_storage!(self, v => v[i].to_f64())
    }

    /// Converts to another dtype with NumPy `astype` rules. Integer to integer conversions wrap
    /// like C casts.
    pub fn cast(&self, dtype: DType) -> CpuStorage {
        if dtype == self.dtype() {
            return self.clone();
        }
        match (self, dtype) {
            (CpuStorage::I32(v), DType::U32) => CpuStorage::U32(v.iter().map(|&x| x as u32).collect()),
            (CpuStorage::U32(v), DType::I32) => CpuStorage::I32(v.iter().map(|&x| x as i32).collect()),
            (CpuStorage::F32(v), DType::F16) => {
                CpuStorage::F16(v.iter().map(|&x| f16::from_f32(x)).collect())
            }
            (CpuStorage::F32(v), DType::BF16) => {
                CpuStorage::BF16(v.iter().map(|&x| bf16::from_f32(x)).collect())
            }
            _ => CpuStorage::from_f64(dtype, self.to_f64_vec()),
        }
    }

    /// Gathers `dims` elements read at `offset + sum(c_d * strides_d)` into a new storage.
    pub fn gather_strided(&self, dims: &[usize], strides: &[isize], offset: isize) -> CpuStorage {
        fn go<T: Element>(src: &[T], dims: &[usize], strides: &[isize], offset: isize) -> Vec<T> {
            let n: usize = dims.iter().product();
            let mut out = Vec::with_capacity(n);
            let mut coord = vec![0usize; dims.len()];
            let mut idx = offset;
            for _ in 0..n {
                out.push(src[idx as usize]);
                for d in (0..dims.len()).rev() {
                    coord[d] += 1;
                    idx += strides[d];
                    if coord[d] < dims[d] {
                        break;
                    }
                    idx -= strides[d] * dims[d] as isize;
                    coord[d] = 0;
                }
            }
            out
        }
        with_cpu_storage!(self, v => Element::wrap(go(v, dims, strides, offset)))
    }

    /// Writes `src` (walked in row-major order over `dims`) into self at
    /// `offset + sum(c_d * strides_d)`. Both must have the same dtype.
    pub fn scatter_strided(&mut self, src: &CpuStorage, dims: &[usize], strides: &[isize], offset: isize) {
        fn go<T: Element>(dst: &mut [T], src: &[T], dims: &[usize], strides: &[isize], offset: isize) {
            let mut coord = vec![0usize; dims.len()];
            let mut idx = offset;
            for &x in src {
                dst[idx as usize] = x;
                for d in (0..dims.len()).rev() {
                    coord[d] += 1;
                    idx += strides[d];
                    if coord[d] < dims[d] {
                        break;
                    }
                    idx -= strides[d] * dims[d] as isize;
                    coord[d] = 0;
                }
            }
        }
        let src = src.cast(self.dtype());
        match (self, &src) {
            (CpuStorage::Bool(d), CpuStorage::Bool(s)) => go(d, s, dims, strides, offset),
            (CpuStorage::I32(d), CpuStorage::I32(s)) => go(d, s, dims, strides, offset),
            (CpuStorage::U32(d), CpuStorage::U32(s)) => go(d, s, dims, strides, offset),
            (CpuStorage::F16(d), CpuStorage::F16(s)) => go(d, s, dims, strides, offset),
            (CpuStorage::BF16(d), CpuStorage::BF16(s)) => go(d, s, dims, strides, offset),
            (CpuStorage::F32(d), CpuStorage::F32(s)) => go(d, s, dims, strides, offset),
            (CpuStorage::F64(d), CpuStorage::F64(s)) => go(d, s, dims, strides, offset),
            _ => unreachable!("cast to the same dtype above"),
        }
    }

    /// The bytes a GPU buffer of this dtype holds (bools widened to u32).
    pub fn to_gpu_bytes(&self) -> Vec<u8> {
        match self {
            CpuStorage::Bool(v) => {
                bytemuck::cast_slice(&v.iter().map(|&b| b as u32).collect::<Vec<u32>>()).to_vec()
            }
            CpuStorage::I32(v) => bytemuck::cast_slice(v).to_vec(),
            CpuStorage::U32(v) => bytemuck::cast_slice(v).to_vec(),
            CpuStorage::F16(v) => bytemuck::cast_slice(v).to_vec(),
            CpuStorage::BF16(v) => bytemuck::cast_slice(v).to_vec(),
            CpuStorage::F32(v) => bytemuck::cast_slice(v).to_vec(),
            CpuStorage::F64(v) => bytemuck::cast_slice(v).to_vec(),
        }
    }

    /// The inverse of [`CpuStorage::to_gpu_bytes`] for `n` elements.
    pub fn from_gpu_bytes(dtype: DType, bytes: &[u8], n: usize) -> CpuStorage {
        fn read<T: bytemuck::Pod>(bytes: &[u8], n: usize) -> Vec<T> {
            let size = std::mem::size_of::<T>();
            bytemuck::pod_collect_to_vec(&bytes[..n * size])
        }
        match dtype {
            DType::Bool => CpuStorage::Bool(read::<u32>(bytes, n).into_iter().map(|x| x != 0).collect()),
            DType::I32 => CpuStorage::I32(read(bytes, n)),
            DType::U32 => CpuStorage::U32(read(bytes, n)),
            DType::F16 => CpuStorage::F16(read(bytes, n)),
            DType::BF16 => CpuStorage::BF16(read(bytes, n)),
            DType::F32 => CpuStorage::F32(read(bytes, n)),
            DType::F64 => CpuStorage::F64(read(bytes, n)),
        }
    }
}

fn element_dtype<T: Element>(_: &[T]) -> DType {
    T::DTYPE
}

/// Recycled f32 host buffers. Large CPU outputs (fused programs, matrix products) come from
/// here, and the buffers of dropped f32 CPU storages go back (see `Drop for Storage`), so a
/// training step reuses last step's memory, still warm in cache, instead of asking the system
/// allocator for fresh pages (glibc returns big freed blocks to the OS, and every step then
/// page-faults them back in). Bounded in count and bytes.
pub(crate) mod f32_pool {
    use std::sync::Mutex;

    /// Buffers smaller than this (elements) are left to the allocator.
    pub(crate) const MIN: usize = 1 << 14;
    const MAX_BUFFERS: usize = 64;
    const MAX_BYTES: usize = 256 << 20;

    static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

    /// An empty vector with room for `n` elements: a recycled one of a close capacity if any.
    pub(crate) fn take(n: usize) -> Vec<f32> {
        if n >= MIN {
            let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
            let best = pool
                .iter()
                .enumerate()
                .filter(|(_, v)| v.capacity() >= n && v.capacity() <= n + n / 4)
                .min_by_key(|(_, v)| v.capacity())
                .map(|(i, _)| i);
            if let Some(i) = best {
                return pool.swap_remove(i);
            }
        }
        Vec::with_capacity(n)
    }

    /// Keeps `v`'s memory for a later `take` (or frees it when the pool is full).
    pub(crate) fn give(mut v: Vec<f32>) {
        if v.capacity() < MIN {
            return;
        }
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let bytes: usize = pool.iter().map(|b| b.capacity() * 4).sum();
        if pool.len() < MAX_BUFFERS && bytes + v.capacity() * 4 <= MAX_BYTES {
            v.clear();
            pool.push(v);
        }
    }
}
