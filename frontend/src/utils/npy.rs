//! NumPy `.npy` and `.npz` files: read and write, to and from runtime tensors.
//!
//! Reading accepts format versions 1.0, 2.0 and 3.0, little-, big-endian and native byte
//! order, C and Fortran order (a Fortran-order array is reordered to C order), and the dtypes
//! bool, int8, uint8, int16, uint16, int32, uint32, int64, uint64, float16, float32 and float64.
//! Writing produces version 1.0 (2.0 when the header does not fit 1.0), little-endian, C order.
//!
//! [`NpyArray`] holds an array in its file dtype. Turning it into a [`Tensor`] maps the dtypes
//! onto the runtime's:
//!
//! | file dtype                         | tensor dtype |
//! |------------------------------------|--------------|
//! | bool                               | bool         |
//! | int8, int16, uint8, uint16, int32  | int32        |
//! | int64, uint64                      | int32, an `Err` naming the value if one does not fit |
//! | uint32                             | uint32       |
//! | float16, float32, float64          | the same     |
//!
//! and back: a bfloat16 tensor (no NumPy dtype) is written as float32, the others as their own
//! dtype. `.npz` files are zips of `.npy` members, stored ([`savez`]) or deflated
//! ([`savez_compressed`]); reading takes both and skips members not named `*.npy`.
//! Every write goes to a temporary file beside the target, renamed over it once complete.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufReader, Write};
use std::path::Path;

use half::f16;
use wgkeras_runtime::{CpuStorage, Device, Tensor};

use crate::error::{Error, Result};
use crate::utils::files::{read_zip_member, write_atomically};

const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The NumPy dtypes read and written here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NpyDType {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F16,
    F32,
    F64,
}

impl NpyDType {
    /// NumPy's name (`"int64"`, `"float16"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            NpyDType::Bool => "bool",
            NpyDType::I8 => "int8",
            NpyDType::U8 => "uint8",
            NpyDType::I16 => "int16",
            NpyDType::U16 => "uint16",
            NpyDType::I32 => "int32",
            NpyDType::U32 => "uint32",
            NpyDType::I64 => "int64",
            NpyDType::U64 => "uint64",
            NpyDType::F16 => "float16",
            NpyDType::F32 => "float32",
            NpyDType::F64 => "float64",
        }
    }

    pub fn size(self) -> usize {
        match self {
            NpyDType::Bool | NpyDType::I8 | NpyDType::U8 => 1,
            NpyDType::I16 | NpyDType::U16 | NpyDType::F16 => 2,
            NpyDType::I32 | NpyDType::U32 | NpyDType::F32 => 4,
            NpyDType::I64 | NpyDType::U64 | NpyDType::F64 => 8,
        }
    }

    /// The little-endian `descr` NumPy writes for this dtype.
    pub fn descr(self) -> &'static str {
        match self {
            NpyDType::Bool => "|b1",
            NpyDType::I8 => "|i1",
            NpyDType::U8 => "|u1",
            NpyDType::I16 => "<i2",
            NpyDType::U16 => "<u2",
            NpyDType::I32 => "<i4",
            NpyDType::U32 => "<u4",
            NpyDType::I64 => "<i8",
            NpyDType::U64 => "<u8",
            NpyDType::F16 => "<f2",
            NpyDType::F32 => "<f4",
            NpyDType::F64 => "<f8",
        }
    }

    /// Parses a `descr` string into the dtype and whether its bytes are big-endian.
    fn parse_descr(descr: &str) -> Option<(NpyDType, bool)> {
        let (order, code) = match descr.chars().next()? {
            c @ ('<' | '>' | '|' | '=') => (c, &descr[1..]),
            _ => ('=', descr),
        };
        let dtype = match code {
            "b1" | "?" => NpyDType::Bool,
            "i1" | "b" => NpyDType::I8,
            "u1" | "B" => NpyDType::U8,
            "i2" => NpyDType::I16,
            "u2" => NpyDType::U16,
            "i4" => NpyDType::I32,
            "u4" => NpyDType::U32,
            "i8" => NpyDType::I64,
            "u8" => NpyDType::U64,
            "f2" | "e" => NpyDType::F16,
            "f4" => NpyDType::F32,
            "f8" => NpyDType::F64,
            _ => return None,
        };
        let big = match order {
            '>' => true,
            '<' | '|' => false,
            _ => cfg!(target_endian = "big"),
        };
        Some((dtype, big && dtype.size() > 1))
    }
}

impl std::fmt::Display for NpyDType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The elements of an array in its NumPy dtype.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F16(Vec<f16>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

macro_rules! with_npy_data {
    ($s:expr, $v:ident => $body:expr) => {
        match $s {
            NpyData::Bool($v) => $body,
            NpyData::I8($v) => $body,
            NpyData::U8($v) => $body,
            NpyData::I16($v) => $body,
            NpyData::U16($v) => $body,
            NpyData::I32($v) => $body,
            NpyData::U32($v) => $body,
            NpyData::I64($v) => $body,
            NpyData::U64($v) => $body,
            NpyData::F16($v) => $body,
            NpyData::F32($v) => $body,
            NpyData::F64($v) => $body,
        }
    };
}

impl NpyData {
    pub fn dtype(&self) -> NpyDType {
        match self {
            NpyData::Bool(_) => NpyDType::Bool,
            NpyData::I8(_) => NpyDType::I8,
            NpyData::U8(_) => NpyDType::U8,
            NpyData::I16(_) => NpyDType::I16,
            NpyData::U16(_) => NpyDType::U16,
            NpyData::I32(_) => NpyDType::I32,
            NpyData::U32(_) => NpyDType::U32,
            NpyData::I64(_) => NpyDType::I64,
            NpyData::U64(_) => NpyDType::U64,
            NpyData::F16(_) => NpyDType::F16,
            NpyData::F32(_) => NpyDType::F32,
            NpyData::F64(_) => NpyDType::F64,
        }
    }

    pub fn len(&self) -> usize {
        with_npy_data!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes `n` elements of `dtype` from `bytes` (which holds at least `n * size` bytes).
    fn decode(dtype: NpyDType, big: bool, bytes: &[u8], n: usize) -> NpyData {
        macro_rules! dec {
            ($variant:ident, $t:ty, $size:expr) => {
                NpyData::$variant(
                    bytes[..n * $size]
                        .chunks_exact($size)
                        .map(|c| {
                            let mut a = [0u8; $size];
                            a.copy_from_slice(c);
                            if big {
                                <$t>::from_be_bytes(a)
                            } else {
                                <$t>::from_le_bytes(a)
                            }
                        })
                        .collect(),
                )
            };
        }
        match dtype {
            NpyDType::Bool => NpyData::Bool(bytes[..n].iter().map(|&b| b != 0).collect()),
            NpyDType::I8 => NpyData::I8(bytes[..n].iter().map(|&b| b as i8).collect()),
            NpyDType::U8 => NpyData::U8(bytes[..n].to_vec()),
            NpyDType::I16 => dec!(I16, i16, 2),
            NpyDType::U16 => dec!(U16, u16, 2),
            NpyDType::I32 => dec!(I32, i32, 4),
            NpyDType::U32 => dec!(U32, u32, 4),
            NpyDType::I64 => dec!(I64, i64, 8),
            NpyDType::U64 => dec!(U64, u64, 8),
            NpyDType::F16 => match dec!(U16, u16, 2) {
                NpyData::U16(bits) => NpyData::F16(bits.into_iter().map(f16::from_bits).collect()),
                _ => unreachable!("dec!(U16) builds U16"),
            },
            NpyDType::F32 => dec!(F32, f32, 4),
            NpyDType::F64 => dec!(F64, f64, 8),
        }
    }

    /// Appends the little-endian bytes of the elements to `out`.
    fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.len() * self.dtype().size());
        match self {
            NpyData::Bool(v) => out.extend(v.iter().map(|&b| b as u8)),
            NpyData::F16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_bits().to_le_bytes())),
            NpyData::I8(v) => out.extend(v.iter().map(|&x| x as u8)),
            NpyData::U8(v) => out.extend_from_slice(v),
            NpyData::I16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::U16(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::I32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::U32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::I64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::U64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::F32(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            NpyData::F64(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        }
    }

    /// Reorders Fortran-order elements of `shape` into C order.
    fn fortran_to_c(self, shape: &[usize]) -> NpyData {
        fn reorder<T: Copy>(v: Vec<T>, shape: &[usize]) -> Vec<T> {
            if shape.len() < 2 || v.is_empty() {
                return v;
            }
            // Fortran strides, in elements.
            let mut fstride = vec![1usize; shape.len()];
            for d in 1..shape.len() {
                fstride[d] = fstride[d - 1] * shape[d - 1];
            }
            let mut out = Vec::with_capacity(v.len());
            let mut idx = vec![0usize; shape.len()];
            for _ in 0..v.len() {
                let off: usize = idx.iter().zip(&fstride).map(|(i, s)| i * s).sum();
                out.push(v[off]);
                for d in (0..shape.len()).rev() {
                    idx[d] += 1;
                    if idx[d] < shape[d] {
                        break;
                    }
                    idx[d] = 0;
                }
            }
            out
        }
        match self {
            NpyData::Bool(v) => NpyData::Bool(reorder(v, shape)),
            NpyData::I8(v) => NpyData::I8(reorder(v, shape)),
            NpyData::U8(v) => NpyData::U8(reorder(v, shape)),
            NpyData::I16(v) => NpyData::I16(reorder(v, shape)),
            NpyData::U16(v) => NpyData::U16(reorder(v, shape)),
            NpyData::I32(v) => NpyData::I32(reorder(v, shape)),
            NpyData::U32(v) => NpyData::U32(reorder(v, shape)),
            NpyData::I64(v) => NpyData::I64(reorder(v, shape)),
            NpyData::U64(v) => NpyData::U64(reorder(v, shape)),
            NpyData::F16(v) => NpyData::F16(reorder(v, shape)),
            NpyData::F32(v) => NpyData::F32(reorder(v, shape)),
            NpyData::F64(v) => NpyData::F64(reorder(v, shape)),
        }
    }
}

/// An array as a `.npy` file holds it: C-order elements in the file's dtype, and the shape.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    shape: Vec<usize>,
    data: NpyData,
}

impl NpyArray {
    /// Checks that `data` has exactly the number of elements of `shape`.
    pub fn new(shape: &[usize], data: NpyData) -> Result<NpyArray> {
        match checked_numel(shape) {
            Some(n) if n == data.len() => Ok(NpyArray { shape: shape.to_vec(), data }),
            _ => Err(Error::arg(
                "NpyArray::new",
                format!("{} elements cannot have shape {shape:?}", data.len()),
            )),
        }
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn data(&self) -> &NpyData {
        &self.data
    }

    pub fn into_data(self) -> NpyData {
        self.data
    }

    pub fn dtype(&self) -> NpyDType {
        self.data.dtype()
    }

    /// The runtime storage (dtype mapping in the module docs); `Err` text on an int64 or
    /// uint64 value outside int32.
    fn storage(&self) -> std::result::Result<CpuStorage, String> {
        fn narrow<T: Copy + TryInto<i32> + std::fmt::Display>(
            v: &[T],
            name: &str,
        ) -> std::result::Result<Vec<i32>, String> {
            v.iter()
                .enumerate()
                .map(|(i, &x)| {
                    x.try_into().map_err(|_| {
                        format!(
                            "{name} value {x} (flat index {i}) does not fit in int32, the widest \
                             integer tensor dtype"
                        )
                    })
                })
                .collect()
        }
        Ok(match &self.data {
            NpyData::Bool(v) => CpuStorage::Bool(v.clone()),
            NpyData::I8(v) => CpuStorage::I32(v.iter().map(|&x| x as i32).collect()),
            NpyData::U8(v) => CpuStorage::I32(v.iter().map(|&x| x as i32).collect()),
            NpyData::I16(v) => CpuStorage::I32(v.iter().map(|&x| x as i32).collect()),
            NpyData::U16(v) => CpuStorage::I32(v.iter().map(|&x| x as i32).collect()),
            NpyData::I32(v) => CpuStorage::I32(v.clone()),
            NpyData::U32(v) => CpuStorage::U32(v.clone()),
            NpyData::I64(v) => CpuStorage::I32(narrow(v, "int64")?),
            NpyData::U64(v) => CpuStorage::I32(narrow(v, "uint64")?),
            NpyData::F16(v) => CpuStorage::F16(v.clone()),
            NpyData::F32(v) => CpuStorage::F32(v.clone()),
            NpyData::F64(v) => CpuStorage::F64(v.clone()),
        })
    }

    /// The host storage of the tensor this array becomes (dtype mapping in the module docs).
    pub fn to_cpu_storage(&self) -> Result<CpuStorage> {
        self.storage().map_err(|m| Error::arg("NpyArray::to_cpu_storage", m))
    }

    /// A tensor on `device` (dtype mapping in the module docs).
    pub fn to_tensor(&self, device: &Device) -> Result<Tensor> {
        Ok(Tensor::from_cpu(self.to_cpu_storage()?, &self.shape, device)?)
    }

    /// The array of host storage with `shape`; bfloat16 becomes float32.
    pub fn from_cpu_storage(storage: CpuStorage, shape: &[usize]) -> Result<NpyArray> {
        let data = match storage {
            CpuStorage::Bool(v) => NpyData::Bool(v),
            CpuStorage::I32(v) => NpyData::I32(v),
            CpuStorage::U32(v) => NpyData::U32(v),
            CpuStorage::F16(v) => NpyData::F16(v),
            CpuStorage::BF16(v) => NpyData::F32(v.into_iter().map(f32::from).collect()),
            CpuStorage::F32(v) => NpyData::F32(v),
            CpuStorage::F64(v) => NpyData::F64(v),
        };
        NpyArray::new(shape, data)
    }

    /// The array of a tensor (read back from the GPU if needed); bfloat16 becomes float32.
    pub fn from_tensor(tensor: &Tensor) -> Result<NpyArray> {
        Self::from_cpu_storage(tensor.to_cpu_storage()?, tensor.shape())
    }

    /// The bytes of a `.npy` file holding this array.
    pub fn to_npy_bytes(&self) -> Vec<u8> {
        let mut out = npy_header(self.dtype(), &self.shape);
        self.data.encode(&mut out);
        out
    }

    /// Parses the bytes of a `.npy` file; `name` is the file named in errors.
    pub fn from_npy_bytes(bytes: &[u8], name: &Path) -> Result<NpyArray> {
        parse_npy(bytes).map_err(|m| Error::format("read_npy", name, m))
    }
}

fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// The magic, version, header length and header of a `.npy` file (version 1.0, or 2.0 when
/// the header is over 65535 bytes), padded so the data starts on a 64-byte boundary.
fn npy_header(dtype: NpyDType, shape: &[usize]) -> Vec<u8> {
    let shape_s = match shape {
        [] => "()".to_string(),
        [d] => format!("({d},)"),
        ds => format!("({})", ds.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut dict = format!("{{'descr': '{}', 'fortran_order': False, 'shape': {shape_s}, }}", dtype.descr());
    // Like NumPy, leave room for the first axis to grow in place.
    if let Some(first) = shape.first() {
        dict.push_str(&" ".repeat(21usize.saturating_sub(first.to_string().len())));
    }
    let padded = |prefix: usize| {
        let unpadded = prefix + dict.len() + 1;
        let pad = (64 - unpadded % 64) % 64;
        dict.len() + pad + 1
    };
    let (version, prefix) = if padded(10) <= u16::MAX as usize { (1u8, 10) } else { (2u8, 12) };
    let hlen = padded(prefix);
    let mut out = Vec::with_capacity(prefix + hlen);
    out.extend_from_slice(MAGIC);
    out.push(version);
    out.push(0);
    if version == 1 {
        out.extend_from_slice(&(hlen as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(hlen as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(prefix + hlen - 1, b' ');
    out.push(b'\n');
    out
}

/// Parses a `.npy` file's bytes; the error is a message to which the caller adds the file.
fn parse_npy(bytes: &[u8]) -> std::result::Result<NpyArray, String> {
    if bytes.len() < 8 || &bytes[..6] != MAGIC {
        return Err("not a .npy file (no \\x93NUMPY magic at the start)".into());
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (hlen, start) = match major {
        1 => {
            let b = bytes.get(8..10).ok_or("truncated header length")?;
            (u16::from_le_bytes([b[0], b[1]]) as usize, 10usize)
        }
        2 | 3 => {
            let b = bytes.get(8..12).ok_or("truncated header length")?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        _ => {
            return Err(format!(
                "unsupported .npy format version {major}.{minor} (1.0, 2.0 and 3.0 are read)"
            ))
        }
    };
    let header = bytes.get(start..start.saturating_add(hlen)).ok_or_else(|| {
        format!("truncated header: {hlen} bytes announced, {} present", bytes.len().saturating_sub(start))
    })?;
    let header = if major == 3 {
        std::str::from_utf8(header).map_err(|_| "the header is not UTF-8".to_string())?.to_string()
    } else {
        // Latin-1.
        header.iter().map(|&b| b as char).collect::<String>()
    };
    let dict = match PyParser::new(&header).parse_top() {
        Ok(PyVal::Dict(d)) => d,
        Ok(_) => return Err(format!("corrupt header {:?}: not a dict", header.trim_end())),
        Err(e) => return Err(format!("corrupt header {:?}: {e}", header.trim_end())),
    };
    let get = |key: &str| {
        dict.iter()
            .find(|(k, _)| matches!(k, PyVal::Str(s) if s == key))
            .map(|(_, v)| v)
            .ok_or_else(|| format!("corrupt header {:?}: no '{key}' key", header.trim_end()))
    };
    let descr = match get("descr")? {
        PyVal::Str(s) => s.clone(),
        other => return Err(format!("unsupported dtype {other:?} (structured arrays are not read)")),
    };
    let fortran = match get("fortran_order")? {
        PyVal::Bool(b) => *b,
        other => return Err(format!("corrupt header: fortran_order is {other:?}, not True or False")),
    };
    let shape: Vec<usize> = match get("shape")? {
        PyVal::Tuple(items) | PyVal::List(items) => items
            .iter()
            .map(|v| match v {
                PyVal::Int(n) => usize::try_from(*n).map_err(|_| format!("shape dimension {n} is too large")),
                other => Err(format!("corrupt header: shape holds {other:?}")),
            })
            .collect::<std::result::Result<_, _>>()?,
        other => return Err(format!("corrupt header: shape is {other:?}, not a tuple")),
    };
    let (dtype, big) = NpyDType::parse_descr(&descr).ok_or_else(|| {
        format!("unsupported dtype {descr:?} (read: bool, int8/16/32/64, uint8/16/32/64, float16/32/64)")
    })?;
    let n = checked_numel(&shape).ok_or_else(|| format!("shape {shape:?} has too many elements"))?;
    let need = n.checked_mul(dtype.size()).ok_or_else(|| format!("shape {shape:?} has too many elements"))?;
    let body = &bytes[start + hlen..];
    if body.len() < need {
        return Err(format!(
            "truncated data: a {} array of shape {shape:?} needs {need} bytes, the file has {}",
            dtype.name(),
            body.len()
        ));
    }
    let mut data = NpyData::decode(dtype, big, body, n);
    if fortran {
        data = data.fortran_to_c(&shape);
    }
    Ok(NpyArray { shape, data })
}

/// The subset of Python literals a `.npy` header uses.
#[derive(Debug, Clone, PartialEq)]
enum PyVal {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    Tuple(Vec<PyVal>),
    List(Vec<PyVal>),
    Dict(Vec<(PyVal, PyVal)>),
}

struct PyParser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl<'a> PyParser<'a> {
    fn new(s: &'a str) -> Self {
        PyParser { s: s.as_bytes(), i: 0, depth: 0 }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && (self.s[self.i] as char).is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, c: u8) -> std::result::Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at byte {}", c as char, self.i))
        }
    }

    fn parse_top(&mut self) -> std::result::Result<PyVal, String> {
        let v = self.value()?;
        if self.peek().is_some() {
            return Err(format!("unexpected text at byte {}", self.i));
        }
        Ok(v)
    }

    /// Items up to `close`, with an optional trailing comma; reports whether a comma was seen.
    fn items(&mut self, close: u8) -> std::result::Result<(Vec<PyVal>, bool), String> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            if self.peek() == Some(close) {
                self.i += 1;
                return Ok((items, comma));
            }
            items.push(self.value()?);
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    comma = true;
                }
                Some(c) if c == close => {}
                _ => return Err(format!("expected ',' or {:?} at byte {}", close as char, self.i)),
            }
        }
    }

    fn value(&mut self) -> std::result::Result<PyVal, String> {
        self.depth += 1;
        if self.depth > 32 {
            return Err("nested too deeply".into());
        }
        let v = self.value_inner();
        self.depth -= 1;
        v
    }

    fn value_inner(&mut self) -> std::result::Result<PyVal, String> {
        match self.peek().ok_or("unexpected end")? {
            b'{' => {
                self.i += 1;
                let mut pairs = Vec::new();
                loop {
                    if self.peek() == Some(b'}') {
                        self.i += 1;
                        return Ok(PyVal::Dict(pairs));
                    }
                    let k = self.value()?;
                    self.expect(b':')?;
                    let v = self.value()?;
                    pairs.push((k, v));
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {}
                        _ => return Err(format!("expected ',' or '}}' at byte {}", self.i)),
                    }
                }
            }
            b'(' => {
                self.i += 1;
                let (items, comma) = self.items(b')')?;
                // `(x)` is just x in Python.
                if items.len() == 1 && !comma {
                    return Ok(items.into_iter().next().unwrap_or(PyVal::None));
                }
                Ok(PyVal::Tuple(items))
            }
            b'[' => {
                self.i += 1;
                Ok(PyVal::List(self.items(b']')?.0))
            }
            q @ (b'\'' | b'"') => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    let c = *self.s.get(self.i).ok_or("unterminated string")?;
                    self.i += 1;
                    match c {
                        b'\\' => {
                            let e = *self.s.get(self.i).ok_or("unterminated string")?;
                            self.i += 1;
                            out.push(match e {
                                b'n' => '\n',
                                b't' => '\t',
                                other => other as char,
                            });
                        }
                        c if c == q => return Ok(PyVal::Str(out)),
                        c => out.push(c as char),
                    }
                }
            }
            c if c.is_ascii_digit() || c == b'-' || c == b'+' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?;
                let n: i128 = text.parse().map_err(|_| format!("bad integer {text:?}"))?;
                // Python 2 wrote long integers as `3L`.
                if matches!(self.s.get(self.i), Some(b'L' | b'l')) {
                    self.i += 1;
                }
                Ok(PyVal::Int(n))
            }
            c if c.is_ascii_alphabetic() => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
                {
                    self.i += 1;
                }
                match &self.s[start..self.i] {
                    b"True" => Ok(PyVal::Bool(true)),
                    b"False" => Ok(PyVal::Bool(false)),
                    b"None" => Ok(PyVal::None),
                    other => Err(format!("unexpected name {:?}", String::from_utf8_lossy(other))),
                }
            }
            c => Err(format!("unexpected {:?} at byte {}", c as char, self.i)),
        }
    }
}

/// Reads a `.npy` file in its own dtype.
pub fn read_npy(path: impl AsRef<Path>) -> Result<NpyArray> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|e| Error::io("read_npy", path, e))?;
    NpyArray::from_npy_bytes(&bytes, path)
}

/// Writes `array` as a `.npy` file.
pub fn write_npy(path: impl AsRef<Path>, array: &NpyArray) -> Result<()> {
    let path = path.as_ref();
    let bytes = array.to_npy_bytes();
    write_atomically("write_npy", path, |w| w.write_all(&bytes).map_err(|e| e.to_string()))
}

/// Loads a `.npy` file as a tensor on `device` (`numpy.load`; dtype mapping in the module docs).
pub fn load_npy(path: impl AsRef<Path>, device: &Device) -> Result<Tensor> {
    let path = path.as_ref();
    let array = read_npy(path)?;
    let storage = array.storage().map_err(|m| Error::format("load_npy", path, m))?;
    Ok(Tensor::from_cpu(storage, array.shape(), device)?)
}

/// Saves a tensor as a `.npy` file (`numpy.save`; bfloat16 is written as float32).
pub fn save_npy(path: impl AsRef<Path>, tensor: &Tensor) -> Result<()> {
    write_npy(path, &NpyArray::from_tensor(tensor)?)
}

/// The largest `.npz` member read (16 GiB).
const NPZ_MEMBER_CAP: u64 = 16 << 30;

/// Reads every `*.npy` member of a `.npz` file, keyed by name without `.npy`.
pub fn read_npz(path: impl AsRef<Path>) -> Result<BTreeMap<String, NpyArray>> {
    let path = path.as_ref();
    let f = File::open(path).map_err(|e| Error::io("read_npz", path, e))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(f))
        .map_err(|e| Error::format("read_npz", path, format!("not a readable .npz (zip) file: {e}")))?;
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        if zip.by_index(i).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        // Decompressed members are capped (a zip bomb is an error, not an allocation bomb).
        let (name, bytes) =
            read_zip_member(&mut zip, i, NPZ_MEMBER_CAP).map_err(|m| Error::format("read_npz", path, m))?;
        let Some(key) = name.strip_suffix(".npy") else {
            continue;
        };
        let array = parse_npy(&bytes)
            .map_err(|m| Error::format("read_npz", path, format!("member {name:?}: {m}")))?;
        if out.insert(key.to_string(), array).is_some() {
            return Err(Error::format("read_npz", path, format!("member {name:?} appears twice")));
        }
    }
    Ok(out)
}

/// Loads a `.npz` file as tensors on `device`, keyed by member name without `.npy`.
pub fn load_npz(path: impl AsRef<Path>, device: &Device) -> Result<BTreeMap<String, Tensor>> {
    let path = path.as_ref();
    read_npz(path)?
        .into_iter()
        .map(|(k, a)| {
            let storage =
                a.storage().map_err(|m| Error::format("load_npz", path, format!("member {k:?}: {m}")))?;
            Ok((k, Tensor::from_cpu(storage, a.shape(), device)?))
        })
        .collect()
}

/// Writes arrays as members `{name}.npy` of a `.npz` file, deflated or stored.
pub fn write_npz(path: impl AsRef<Path>, arrays: &[(&str, &NpyArray)], compressed: bool) -> Result<()> {
    let path = path.as_ref();
    let op = if compressed { "savez_compressed" } else { "savez" };
    let mut seen = std::collections::HashSet::new();
    for (name, _) in arrays {
        if name.is_empty() {
            return Err(Error::arg(op, "an array name is empty"));
        }
        if !seen.insert(*name) {
            return Err(Error::arg(op, format!("the array name {name:?} is given twice")));
        }
    }
    let method = if compressed { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
    write_atomically(op, path, |w| {
        let mut zip = zip::ZipWriter::new(w);
        for (name, array) in arrays {
            let bytes = array.to_npy_bytes();
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .large_file(bytes.len() as u64 >= u32::MAX as u64);
            zip.start_file(format!("{name}.npy"), options).map_err(|e| e.to_string())?;
            zip.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        zip.finish().map_err(|e| e.to_string())?;
        Ok(())
    })
}

fn tensors_to_arrays(pairs: &[(&str, &Tensor)]) -> Result<Vec<(String, NpyArray)>> {
    pairs.iter().map(|(n, t)| Ok((n.to_string(), NpyArray::from_tensor(t)?))).collect()
}

fn save_tensors(path: &Path, pairs: &[(&str, &Tensor)], compressed: bool) -> Result<()> {
    let arrays = tensors_to_arrays(pairs)?;
    let refs: Vec<(&str, &NpyArray)> = arrays.iter().map(|(n, a)| (n.as_str(), a)).collect();
    write_npz(path, &refs, compressed)
}

/// `numpy.savez`: tensors as stored (uncompressed) members `{name}.npy` of a `.npz` file.
pub fn savez(path: impl AsRef<Path>, arrays: &[(&str, &Tensor)]) -> Result<()> {
    save_tensors(path.as_ref(), arrays, false)
}

/// `numpy.savez_compressed`: tensors as deflated members `{name}.npy` of a `.npz` file.
pub fn savez_compressed(path: impl AsRef<Path>, arrays: &[(&str, &Tensor)]) -> Result<()> {
    save_tensors(path.as_ref(), arrays, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_alignment_and_parse() {
        for shape in [vec![], vec![3], vec![2, 3, 4], vec![0, 5]] {
            let h = npy_header(NpyDType::F32, &shape);
            assert_eq!(h.len() % 64, 0);
            assert_eq!(*h.last().unwrap(), b'\n');
        }
        let a = NpyArray::new(&[2, 2], NpyData::I64(vec![1, -2, 3, 4])).unwrap();
        let back = parse_npy(&a.to_npy_bytes()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn fortran_reorder() {
        // F-order [[1,2,3],[4,5,6]] is stored 1,4,2,5,3,6.
        let d = NpyData::I32(vec![1, 4, 2, 5, 3, 6]).fortran_to_c(&[2, 3]);
        assert_eq!(d, NpyData::I32(vec![1, 2, 3, 4, 5, 6]));
    }

    #[test]
    fn python_literals() {
        let v = PyParser::new("{'a': (1,), \"b\": [True, None], 'c': (3L, 4), 'd': ()}").parse_top().unwrap();
        let PyVal::Dict(d) = v else { panic!() };
        assert_eq!(d[0].1, PyVal::Tuple(vec![PyVal::Int(1)]));
        assert_eq!(d[2].1, PyVal::Tuple(vec![PyVal::Int(3), PyVal::Int(4)]));
        assert_eq!(d[3].1, PyVal::Tuple(vec![]));
        assert!(PyParser::new("{'a': 1").parse_top().is_err());
    }
}
