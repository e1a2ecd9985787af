//! Fused elementwise programs: a chain of elementwise ops run as one kernel (placeholder).
// TEMPORARY STUB (replaced by the fused branch)
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::{BinaryOp, CompareOp, UnaryOp};
use crate::tensor::Tensor;
pub type Reg = usize;
#[derive(Clone, Debug, PartialEq)]
pub enum FusedInstr {
    Input(usize),
    Const(f64, DType),
    Unary(UnaryOp, Reg),
    Binary(BinaryOp, Reg, Reg),
    Compare(CompareOp, Reg, Reg),
    Select(Reg, Reg, Reg),
    Cast(DType, Reg),
}
#[derive(Clone, Debug, PartialEq)]
pub struct FusedProgram {
    pub instrs: Vec<FusedInstr>,
    pub outputs: Vec<Reg>,
}
pub fn fused(_program: &FusedProgram, _inputs: &[&Tensor], _dims: &[usize]) -> Result<Vec<Tensor>> {
    Err(Error::arg("fused", "stub"))
}
