//! Symbolic graphs: what a model, a loss or a train step computes, as a list of primitive ops
//! over symbolic tensors with static shapes (the batch dimension may be unknown).
//!
//! - [`Graph`] owns the nodes; [`Sym`] is a cheap handle to one node, with a method per op
//!   (`x.matmul(w)?.add(b)?.relu()?`) that checks shapes and dtypes as it builds.
//! - [`op::Op`] is the small set of primitives, each with its shape rule and its eager
//!   evaluation through the runtime (`graph/op.rs`).
//! - [`autodiff`] adds the reverse-mode gradient of a node as more nodes, so gradients can be
//!   differentiated again.
//! - [`plan`] orders, fuses and runs a graph on a device; on the GPU a whole run is one submit.

pub mod autodiff;
pub mod op;
pub mod plan;
mod sym;

use std::cell::{Ref, RefCell};
use std::collections::HashMap;

use wgkeras_runtime::{DType, Tensor};

use crate::error::{Error, Result};
use crate::variable::Variable;
pub use op::Op;
pub use plan::Plan;

/// Index of a node in its graph.
pub type NodeId = usize;

/// A static shape: `None` marks a dimension known only when the graph runs (the batch).
pub type Shape = Vec<Option<usize>>;

/// Formats a shape the way Keras prints it: `(None, 128)`.
pub fn shape_str(shape: &[Option<usize>]) -> String {
    let parts: Vec<String> =
        shape.iter().map(|d| d.map_or_else(|| "None".to_string(), |d| d.to_string())).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

/// The static shape of a concrete tensor.
pub fn static_shape(dims: &[usize]) -> Shape {
    dims.iter().map(|&d| Some(d)).collect()
}

#[derive(Clone, Debug)]
pub struct Node {
    pub op: Op,
    pub inputs: Vec<NodeId>,
    pub shape: Shape,
    pub dtype: DType,
}

#[derive(Default)]
struct GraphData {
    nodes: Vec<Node>,
    /// Variable id -> its node, so every read of a variable is the same node.
    variables: HashMap<u64, NodeId>,
    /// Placeholders, in the order they were declared.
    inputs: Vec<NodeId>,
}

/// A graph under construction. Nodes are appended and never removed, so node ids are a
/// topological order.
#[derive(Default)]
pub struct Graph {
    data: RefCell<GraphData>,
}

impl Graph {
    pub fn new() -> Graph {
        Graph::default()
    }

    pub fn len(&self) -> usize {
        self.data.borrow().nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of node `id`.
    pub fn node(&self, id: NodeId) -> Node {
        self.data.borrow().nodes[id].clone()
    }

    pub(crate) fn nodes(&self) -> Ref<'_, Vec<Node>> {
        Ref::map(self.data.borrow(), |d| &d.nodes)
    }

    /// The handle of node `id`.
    pub fn sym(&self, id: NodeId) -> Sym<'_> {
        Sym { graph: self, id }
    }

    /// The placeholders in declaration order: a run feeds one tensor per placeholder.
    pub fn inputs(&self) -> Vec<NodeId> {
        self.data.borrow().inputs.clone()
    }

    /// A placeholder fed when the graph runs. `None` dims (the batch) take the fed tensor's size.
    pub fn input(&self, shape: &[Option<usize>], dtype: DType) -> Sym<'_> {
        let index = self.data.borrow().inputs.len();
        let id = self.push(Op::Input { index }, vec![], shape.to_vec(), dtype);
        self.data.borrow_mut().inputs.push(id);
        self.sym(id)
    }

    /// Reads `var`'s current value when the graph runs.
    pub fn variable(&self, var: &Variable) -> Sym<'_> {
        if let Some(&id) = self.data.borrow().variables.get(&var.id()) {
            return self.sym(id);
        }
        let value = var.value();
        let id = self.push(Op::Variable(var.clone()), vec![], static_shape(value.dims()), value.dtype());
        self.data.borrow_mut().variables.insert(var.id(), id);
        self.sym(id)
    }

    /// A constant tensor, kept on the host until a plan moves it to its device.
    pub fn constant(&self, value: Tensor) -> Sym<'_> {
        let shape = static_shape(value.dims());
        let dtype = value.dtype();
        let id = self.push(Op::Constant(value), vec![], shape, dtype);
        self.sym(id)
    }

    /// A 0-d constant.
    pub fn scalar(&self, value: f64, dtype: DType) -> Result<Sym<'_>> {
        let t = Tensor::from_cpu(
            wgkeras_runtime::CpuStorage::from_f64(dtype, vec![value]),
            &[],
            &wgkeras_runtime::Device::Cpu,
        )?;
        Ok(self.constant(t))
    }

    /// Appends a node built from `op` and `inputs`, inferring its shape and dtype.
    pub fn apply(&self, op: Op, inputs: &[NodeId]) -> Result<Sym<'_>> {
        let (shape, dtype) = {
            let d = self.data.borrow();
            let ins: Vec<(&Shape, DType)> =
                inputs.iter().map(|&i| (&d.nodes[i].shape, d.nodes[i].dtype)).collect();
            op.infer(&ins)?
        };
        Ok(self.sym(self.push(op, inputs.to_vec(), shape, dtype)))
    }

    fn push(&self, op: Op, inputs: Vec<NodeId>, shape: Shape, dtype: DType) -> NodeId {
        let mut d = self.data.borrow_mut();
        d.nodes.push(Node { op, inputs, shape, dtype });
        d.nodes.len() - 1
    }

    /// Evaluates `outputs` once, eagerly, with one tensor per placeholder (in declaration order).
    pub fn evaluate(&self, outputs: &[Sym<'_>], feeds: &[Tensor]) -> Result<Vec<Tensor>> {
        let ids: Vec<NodeId> = outputs.iter().map(|s| s.id).collect();
        let device = feeds.first().map(|t| t.device()).unwrap_or(wgkeras_runtime::Device::Cpu);
        let plan = Plan::new(self, &ids, &[], &plan::PlanOptions { device, fuse: false })?;
        plan.run(feeds)
    }
}

/// A symbolic tensor: a node of a graph. Copy it freely.
#[derive(Clone, Copy)]
pub struct Sym<'g> {
    pub graph: &'g Graph,
    pub id: NodeId,
}

impl std::fmt::Debug for Sym<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = &self.graph.nodes()[self.id];
        write!(f, "<Sym #{} {} shape={} dtype={}>", self.id, n.op.name(), shape_str(&n.shape), n.dtype.name())
    }
}

impl<'g> Sym<'g> {
    pub fn shape(&self) -> Shape {
        self.graph.nodes()[self.id].shape.clone()
    }

    pub fn rank(&self) -> usize {
        self.graph.nodes()[self.id].shape.len()
    }

    pub fn dtype(&self) -> DType {
        self.graph.nodes()[self.id].dtype
    }

    /// Checks that `other` is a node of the same graph.
    fn same_graph(&self, op: &'static str, other: Sym<'_>) -> Result<()> {
        if std::ptr::eq(self.graph, other.graph) {
            Ok(())
        } else {
            Err(Error::arg(op, "the operands belong to different graphs"))
        }
    }
}
