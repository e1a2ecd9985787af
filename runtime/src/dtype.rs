//! Element types. Names follow Keras (`"float32"`, `"int32"`, `"bool"`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I32,
    U32,
    F16,
    BF16,
    F32,
    F64,
}

impl DType {
    pub const ALL: [DType; 7] =
        [DType::Bool, DType::I32, DType::U32, DType::F16, DType::BF16, DType::F32, DType::F64];

    /// Keras's name for the dtype.
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "int32",
            DType::U32 => "uint32",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// Parses a Keras/NumPy dtype name.
    pub fn parse(name: &str) -> Option<DType> {
        Some(match name {
            "bool" => DType::Bool,
            "int32" | "int" => DType::I32,
            "uint32" => DType::U32,
            "float16" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            _ => return None,
        })
    }

    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    pub fn is_int(self) -> bool {
        matches!(self, DType::I32 | DType::U32)
    }

    /// Bytes per element in host memory.
    pub fn size(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::F64 => 8,
        }
    }

    /// The WGSL type a GPU buffer of this dtype holds (bools are stored as u32 0/1), or None
    /// where WGSL has no such type.
    pub fn wgsl(self) -> Option<&'static str> {
        match self {
            DType::Bool | DType::U32 => Some("u32"),
            DType::I32 => Some("i32"),
            DType::F16 => Some("f16"),
            DType::F32 => Some("f32"),
            DType::BF16 | DType::F64 => None,
        }
    }

    /// Bytes per element in a GPU buffer.
    pub fn gpu_size(self) -> usize {
        match self {
            DType::Bool => 4,
            other => other.size(),
        }
    }

    /// The dtype two operands are promoted to, following Keras's `result_type` for the types
    /// we have: bool < ints < floats; float widths take the widest; int32 with uint32 gives int32.
    pub fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        match (a, b) {
            _ if a == b => a,
            (Bool, x) | (x, Bool) => x,
            (F16, BF16) | (BF16, F16) => F32,
            (x, y) if x.is_float() && y.is_float() => x.max(y),
            (x, _) if x.is_float() => x,
            (_, y) if y.is_float() => y,
            _ => I32,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
