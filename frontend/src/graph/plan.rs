//! Compiling a graph into a [`Plan`]: the nodes the outputs need, in order, with elementwise
//! chains fused into one kernel, bias and activation fused into the matmul that feeds them, and
//! every intermediate dropped right after its last use (so its buffer serves the next op).
//!
//! A plan runs eagerly on either backend ([`Plan::run`]). On the GPU, [`Plan::record`] captures
//! one run into a [`Recorded`] plan: fixed buffers and an ordered list of launches replayed with
//! one queue submit per run, with no readback and nothing allocated or compiled.

use std::collections::HashMap;

use wgkeras_runtime::device::GpuPlan;
use wgkeras_runtime::ops::{BinaryOp, Epilogue, FusedInstr, FusedProgram, UnaryOp};
use wgkeras_runtime::{DType, Device, Storage, Tensor};

use crate::error::{Error, Result};
use crate::graph::{shape_str, Graph, Node, NodeId, Op, Shape};
use crate::variable::Variable;

#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub device: Device,
    /// Fuse elementwise chains and matmul epilogues.
    pub fuse: bool,
}

struct Step {
    op: Op,
    inputs: Vec<usize>,
    /// Values no later step reads: dropped after this step.
    frees: Vec<usize>,
}

/// An ordered, fused list of steps over a graph's nodes, for one device.
pub struct Plan {
    device: Device,
    steps: Vec<Step>,
    /// For each placeholder (in declaration order): its step, shape and dtype.
    feeds: Vec<(Option<usize>, Shape, DType)>,
    outputs: Vec<usize>,
    updates: Vec<(Variable, usize)>,
    /// Constants already on the plan's device.
    constants: HashMap<usize, Tensor>,
    /// With `WGKERAS_PLAN_PROFILE` set: seconds spent in each step, printed when dropped.
    profile: Option<std::sync::Mutex<Vec<f64>>>,
}

impl Drop for Plan {
    fn drop(&mut self) {
        if let Some(p) = &self.profile {
            let p = p.lock().unwrap();
            let total: f64 = p.iter().sum();
            let mut order: Vec<usize> = (0..p.len()).filter(|&s| p[s] > 0.0).collect();
            order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
            eprintln!("plan profile ({} steps, {:.3} s in ops):", self.steps.len(), total);
            for s in order {
                eprintln!(
                    "  {s:3} {:6.2}% {:.4} s  {:?}",
                    100.0 * p[s] / total,
                    p[s],
                    self.steps[s].op.name()
                );
            }
        }
    }
}

impl Plan {
    /// Compiles the nodes that `outputs` and the `updates` (variable <- node) need.
    pub fn new(
        graph: &Graph,
        outputs: &[NodeId],
        updates: &[(Variable, NodeId)],
        options: &PlanOptions,
    ) -> Result<Plan> {
        let nodes = graph.nodes().clone();
        let mut roots: Vec<NodeId> = outputs.to_vec();
        roots.extend(updates.iter().map(|(_, n)| *n));
        let mut nodes = prune(&nodes, &roots);
        let mut map: Vec<NodeId> = (0..nodes.len()).collect();
        if options.fuse {
            fuse_matmul_epilogues(&mut nodes, &roots);
            (nodes, map) = fuse_elementwise(&nodes, &roots);
        }
        let outputs: Vec<NodeId> = outputs.iter().map(|&o| map[o]).collect();
        let updates: Vec<(Variable, NodeId)> = updates.iter().map(|(v, n)| (v.clone(), map[*n])).collect();
        // Renumber the live nodes densely, in order.
        let mut index = vec![usize::MAX; nodes.len()];
        let mut steps = Vec::new();
        for (id, node) in nodes.iter().enumerate() {
            if let Some(n) = node {
                index[id] = steps.len();
                steps.push(Step {
                    op: n.op.clone(),
                    inputs: n.inputs.iter().map(|&i| index[i]).collect(),
                    frees: vec![],
                });
            }
        }
        let outputs: Vec<usize> = outputs.iter().map(|&o| index[o]).collect();
        let updates: Vec<(Variable, usize)> = updates.iter().map(|(v, n)| (v.clone(), index[*n])).collect();
        let mut keep = vec![false; steps.len()];
        for &o in outputs.iter().chain(updates.iter().map(|(_, n)| n)) {
            keep[o] = true;
        }
        let mut last_use = vec![None; steps.len()];
        for (s, step) in steps.iter().enumerate() {
            for &i in &step.inputs {
                last_use[i] = Some(s);
            }
        }
        for (v, last) in last_use.iter().enumerate() {
            if let (Some(s), false) = (last, keep[v]) {
                steps[*s].frees.push(v);
            }
        }
        let mut feeds = vec![];
        for &id in &graph.inputs() {
            let n = graph.node(id);
            let step = map.get(id).and_then(|&m| index.get(m)).copied().filter(|&s| s != usize::MAX);
            feeds.push((step, n.shape, n.dtype));
        }
        let mut constants = HashMap::new();
        for (s, step) in steps.iter().enumerate() {
            match &step.op {
                Op::Constant(t) => {
                    constants.insert(s, t.to_device(&options.device)?);
                }
                // State that no model moved (a dropout seed, a metric total) joins the plan.
                Op::Variable(v) => v.to_device(&options.device)?,
                _ => {}
            }
        }
        let profile =
            std::env::var_os("WGKERAS_PLAN_PROFILE").map(|_| std::sync::Mutex::new(vec![0.0; steps.len()]));
        Ok(Plan { device: options.device.clone(), steps, feeds, outputs, updates, constants, profile })
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The number of kernel-running steps (leaves and views excluded).
    pub fn launches(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| {
                !matches!(
                    s.op,
                    Op::Input { .. }
                        | Op::Variable(_)
                        | Op::Constant(_)
                        | Op::Output { .. }
                        | Op::StopGradient
                )
            })
            .count()
    }

    /// How many steps of each op the plan runs, e.g. `[("fused", 5), ("matmul_fused", 6)]`.
    pub fn op_counts(&self) -> Vec<(&'static str, usize)> {
        let mut counts: Vec<(&'static str, usize)> = vec![];
        for s in &self.steps {
            match counts.iter_mut().find(|(n, _)| *n == s.op.name()) {
                Some(c) => c.1 += 1,
                None => counts.push((s.op.name(), 1)),
            }
        }
        counts
    }

    /// A readable listing of the steps (op, inputs, freed values), for debugging and profiling.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (s, step) in self.steps.iter().enumerate() {
            let op = match &step.op {
                Op::Fused(p) => format!("fused{:?} -> {:?}", p.instrs, p.outputs),
                Op::Variable(v) => format!("variable {:?}", v.name()),
                Op::Constant(t) => format!("constant {:?}", t.dims()),
                op => format!("{op:?}"),
            };
            out.push_str(&format!("{s:3}: {op} <- {:?} frees {:?}\n", step.inputs, step.frees));
        }
        out
    }

    /// Checks and moves the fed tensors: one per placeholder, shapes matching the static ones.
    fn check_feeds(&self, feeds: &[Tensor]) -> Result<Vec<Tensor>> {
        if feeds.len() != self.feeds.len() {
            return Err(Error::arg(
                "Plan.run",
                format!("the graph has {} inputs, {} tensors were given", self.feeds.len(), feeds.len()),
            ));
        }
        let mut out = vec![];
        for (k, (t, (_, shape, dtype))) in feeds.iter().zip(&self.feeds).enumerate() {
            let fits =
                t.rank() == shape.len() && t.dims().iter().zip(shape).all(|(&d, s)| s.is_none_or(|s| s == d));
            if !fits {
                return Err(Error::arg(
                    "Plan.run",
                    format!("input {k} expects shape {}, got {:?}", shape_str(shape), t.dims()),
                ));
            }
            let t = if &t.device() == &self.device { t.clone() } else { t.to_device(&self.device)? };
            out.push(if t.dtype() == *dtype { t } else { wgkeras_runtime::ops::cast(&t, *dtype)? });
        }
        Ok(out)
    }

    /// Runs the plan once: computes the outputs, then writes the updates into their variables.
    pub fn run(&self, feeds: &[Tensor]) -> Result<Vec<Tensor>> {
        let feeds = self.check_feeds(feeds)?;
        let mut values: Vec<Option<Tensor>> = vec![None; self.steps.len()];
        let mut extra: HashMap<usize, Vec<Tensor>> = HashMap::new();
        for (s, step) in self.steps.iter().enumerate() {
            let v = match &step.op {
                Op::Input { index } => feeds[*index].clone(),
                Op::Variable(var) => {
                    let t = var.value();
                    if t.device() != self.device {
                        return Err(Error::arg(
                            "Plan.run",
                            format!(
                                "variable {:?} is on {}, the plan on {}",
                                var.name(),
                                t.device().name(),
                                self.device.name()
                            ),
                        ));
                    }
                    t
                }
                Op::Constant(_) => self.constants[&s].clone(),
                Op::Output { index } => {
                    let src = step.inputs[0];
                    extra.get(&src).and_then(|e| e.get(*index - 1)).cloned().ok_or_else(|| {
                        Error::arg("Plan.run", format!("output {index} of step {src} is missing"))
                    })?
                }
                op => {
                    let ins: Vec<&Tensor> = step
                        .inputs
                        .iter()
                        .map(|&i| values[i].as_ref().expect("inputs are computed before use"))
                        .collect();
                    let t0 = self.profile.as_ref().map(|_| std::time::Instant::now());
                    let mut outs = op.eval(&ins, &self.device)?;
                    if let (Some(p), Some(t0)) = (&self.profile, t0) {
                        p.lock().unwrap()[s] += t0.elapsed().as_secs_f64();
                    }
                    let first = outs.remove(0);
                    if !outs.is_empty() {
                        extra.insert(s, outs);
                    }
                    first
                }
            };
            values[s] = Some(v);
            for &f in &step.frees {
                values[f] = None;
                extra.remove(&f);
            }
        }
        let outputs = self.outputs.iter().map(|&o| values[o].clone().expect("outputs are kept")).collect();
        for (var, n) in &self.updates {
            var.assign(values[*n].as_ref().expect("updates are kept"))?;
        }
        Ok(outputs)
    }

    /// On the GPU: captures one run with placeholders of the given dims into a plan replayed
    /// with one submit. On the CPU: a runner that interprets the plan each time.
    pub fn record(self, feed_dims: &[Vec<usize>]) -> Result<Recorded> {
        if std::env::var_os("WGKERAS_PLAN_DUMP").is_some() {
            eprintln!("plan on {} ({} launches):\n{}", self.device.name(), self.launches(), self.describe());
        }
        let Device::Gpu(gpu) = self.device.clone() else { return Ok(Recorded::Cpu(self)) };
        let feeds: Vec<Tensor> = self
            .feeds
            .iter()
            .zip(feed_dims)
            .map(|((_, _, dtype), dims)| wgkeras_runtime::ops::zeros(dims, *dtype, &self.device))
            .collect::<std::result::Result<_, _>>()?;
        gpu.synchronize()?;
        gpu.begin_capture()?;
        let outputs = match self.run(&feeds) {
            Ok(o) => o,
            Err(e) => {
                gpu.abort_capture();
                return Err(e);
            }
        };
        let plan = gpu.end_capture()?;
        Ok(Recorded::Gpu { plan, feeds, outputs, launches: self.launches() })
    }
}

/// A plan ready to run many times: on the GPU a captured command list, on the CPU the plan.
pub enum Recorded {
    Cpu(Plan),
    Gpu { plan: GpuPlan, feeds: Vec<Tensor>, outputs: Vec<Tensor>, launches: usize },
}

impl Recorded {
    /// Runs with new inputs (host tensors of the recorded dims). The returned outputs live on
    /// the device; on the GPU they are the plan's own buffers, overwritten by the next run.
    pub fn run(&self, feeds: &[Tensor]) -> Result<Vec<Tensor>> {
        match self {
            Recorded::Cpu(plan) => plan.run(feeds),
            Recorded::Gpu { plan, feeds: slots, outputs, .. } => {
                if feeds.len() != slots.len() {
                    return Err(Error::arg(
                        "Plan.run",
                        format!("expects {} inputs, got {}", slots.len(), feeds.len()),
                    ));
                }
                for (k, (t, slot)) in feeds.iter().zip(slots).enumerate() {
                    if t.dims() != slot.dims() {
                        return Err(Error::arg(
                            "Plan.run",
                            format!(
                                "input {k} was recorded with shape {:?}, got {:?}",
                                slot.dims(),
                                t.dims()
                            ),
                        ));
                    }
                    let Storage::Gpu(g) = slot.storage() else { unreachable!("recorded on the GPU") };
                    let t = if t.dtype() == slot.dtype() {
                        t.clone()
                    } else {
                        wgkeras_runtime::ops::cast(t, slot.dtype())?
                    };
                    // Host data is written straight from its own storage: no copy per step.
                    let t = if t.device() == Device::Cpu { t } else { t.to_device(&Device::Cpu)? };
                    g.write(t.cpu().expect("moved to the host"))?;
                }
                plan.run()?;
                Ok(outputs.clone())
            }
        }
    }

    /// Kernel launches per run.
    pub fn launches(&self) -> usize {
        match self {
            Recorded::Cpu(p) => p.launches(),
            Recorded::Gpu { launches, .. } => *launches,
        }
    }
}

/// Keeps only the nodes the roots need (`None` for the rest).
fn prune(nodes: &[Node], roots: &[NodeId]) -> Vec<Option<Node>> {
    let mut needed = vec![false; nodes.len()];
    for &r in roots {
        needed[r] = true;
    }
    for id in (0..nodes.len()).rev() {
        if needed[id] {
            for &i in &nodes[id].inputs {
                needed[i] = true;
            }
        }
    }
    nodes.iter().zip(needed).map(|(n, k)| if k { Some(n.clone()) } else { None }).collect()
}

/// How many live nodes (and roots) read each node.
fn consumer_counts(nodes: &[Option<Node>], roots: &[NodeId]) -> Vec<usize> {
    let mut c = vec![0; nodes.len()];
    for n in nodes.iter().flatten() {
        for &i in &n.inputs {
            c[i] += 1;
        }
    }
    for &r in roots {
        c[r] += 1;
    }
    c
}

/// `act(add(matmul(a, b), bias))` (2-D, bias 1-D over the columns), with either the add or the
/// activation optional, becomes one `MatMulFused` node.
fn fuse_matmul_epilogues(nodes: &mut [Option<Node>], roots: &[NodeId]) {
    let uses = consumer_counts(nodes, roots);
    for id in 0..nodes.len() {
        let Some(n) = nodes[id].clone() else { continue };
        let activation = match n.op {
            Op::Unary(UnaryOp::Relu) => Epilogue::Relu,
            Op::Unary(UnaryOp::Sigmoid) => Epilogue::Sigmoid,
            Op::Unary(UnaryOp::Tanh) => Epilogue::Tanh,
            _ => Epilogue::Linear,
        };
        // The add node (if any) and the matmul node under this node.
        let (add, top) = if activation == Epilogue::Linear { (Some(id), id) } else { (None, n.inputs[0]) };
        // `act(bias_add(matmul))` whose add was fused first (it comes earlier): add the activation.
        if activation != Epilogue::Linear && uses[top] == 1 {
            if let Some(Node {
                op: Op::MatMulFused { transpose_a, transpose_b, activation: Epilogue::Linear },
                inputs,
                ..
            }) = nodes[top].clone()
            {
                nodes[id] = Some(Node {
                    op: Op::MatMulFused { transpose_a, transpose_b, activation },
                    inputs,
                    shape: n.shape.clone(),
                    dtype: n.dtype,
                });
                nodes[top] = None;
                continue;
            }
        }
        let mut add = add;
        let mut mm = top;
        if activation != Epilogue::Linear {
            if let Some(Node { op: Op::Binary(BinaryOp::Add), .. }) = &nodes[top] {
                if uses[top] == 1 {
                    add = Some(top);
                }
            }
        }
        let mut bias = None;
        if let Some(a) = add {
            let Some(an) = nodes[a].as_ref() else { continue };
            if !matches!(an.op, Op::Binary(BinaryOp::Add)) {
                continue;
            }
            let found = an.inputs.iter().enumerate().find(|(_, &i)| {
                matches!(nodes[i].as_ref().map(|x| &x.op), Some(Op::MatMul { .. })) && uses[i] == 1
            });
            let Some((k, &m)) = found else { continue };
            let other = an.inputs[1 - k];
            let (mn, on) = (nodes[m].as_ref().unwrap(), nodes[other].as_ref().unwrap());
            let cols = mn.shape.last().copied().flatten();
            if mn.shape.len() != 2
                || on.shape.len() != 1
                || on.shape[0].is_none()
                || on.shape[0] != cols
                || on.dtype != mn.dtype
            {
                continue;
            }
            mm = m;
            bias = Some(other);
        } else if !(matches!(nodes[mm].as_ref().map(|x| &x.op), Some(Op::MatMul { .. })) && uses[mm] == 1) {
            continue;
        }
        let Some(Node { op: Op::MatMul { transpose_a, transpose_b }, inputs, shape, .. }) = nodes[mm].clone()
        else {
            continue;
        };
        if shape.len() != 2 || nodes[inputs[0]].as_ref().is_none_or(|x| x.shape.len() != 2) {
            continue;
        }
        if activation == Epilogue::Linear && bias.is_none() {
            continue;
        }
        let mut new_inputs = inputs.clone();
        new_inputs.extend(bias);
        nodes[id] = Some(Node {
            op: Op::MatMulFused { transpose_a, transpose_b, activation },
            inputs: new_inputs,
            shape: n.shape.clone(),
            dtype: n.dtype,
        });
        nodes[mm] = None;
        if let Some(a) = add {
            if a != id {
                nodes[a] = None;
            }
        }
    }
}

/// Whether the fused kernels take this dtype.
fn fusable_dtype(d: DType) -> bool {
    matches!(d, DType::F32 | DType::I32 | DType::U32 | DType::Bool)
}

/// Groups chains of elementwise nodes of one shape into `Fused` nodes. A group stays open while
/// only its own members read its values; the first outside reader closes it, so running the
/// whole group at its last member's place is never too late for a reader. Returns the new node
/// list and where each old node's value now is.
fn fuse_elementwise(nodes: &[Option<Node>], roots: &[NodeId]) -> (Vec<Option<Node>>, Vec<NodeId>) {
    let n = nodes.len();
    let mut group_of: Vec<Option<usize>> = vec![None; n];
    let mut groups: Vec<(Vec<NodeId>, bool)> = vec![]; // (members, open)
    for id in 0..n {
        let Some(node) = &nodes[id] else { continue };
        let fusable = node.op.is_elementwise()
            && fusable_dtype(node.dtype)
            && node.inputs.iter().all(|&i| nodes[i].as_ref().is_some_and(|x| fusable_dtype(x.dtype)));
        let mut mine = None;
        if fusable {
            let mut cands: Vec<usize> = node
                .inputs
                .iter()
                .filter_map(|&i| group_of[i])
                .filter(|&g| {
                    groups[g].1 && nodes[groups[g].0[0]].as_ref().is_some_and(|m| m.shape == node.shape)
                })
                .collect();
            cands.sort_unstable();
            cands.dedup();
            let target = match cands.first() {
                Some(&g) => g,
                None => {
                    groups.push((vec![], true));
                    groups.len() - 1
                }
            };
            for &g in cands.iter().skip(1) {
                let members = std::mem::take(&mut groups[g].0);
                groups[g].1 = false;
                for &m in &members {
                    group_of[m] = Some(target);
                }
                groups[target].0.extend(members);
            }
            groups[target].0.push(id);
            group_of[id] = Some(target);
            mine = Some(target);
        }
        for &i in &node.inputs {
            if let Some(g) = group_of[i] {
                if Some(g) != mine {
                    groups[g].1 = false;
                }
            }
        }
    }
    // Which members are read from outside their group (or are roots).
    let mut read_outside = vec![false; n];
    for &r in roots {
        read_outside[r] = true;
    }
    for (j, x) in nodes.iter().enumerate() {
        if let Some(x) = x {
            for &i in &x.inputs {
                if group_of[i].is_none() || group_of[i] != group_of[j] {
                    read_outside[i] = true;
                }
            }
        }
    }
    let mut last_of: HashMap<NodeId, usize> = HashMap::new();
    for (g, (members, _)) in groups.iter_mut().enumerate() {
        members.sort_unstable();
        if members.len() >= 2 {
            last_of.insert(*members.last().unwrap(), g);
        }
    }
    let mut out: Vec<Option<Node>> = vec![];
    let mut map = vec![usize::MAX; n];
    for id in 0..n {
        let Some(node) = &nodes[id] else { continue };
        if let Some(g) = group_of[id] {
            if groups[g].0.len() >= 2 {
                if let Some(&g) = last_of.get(&id) {
                    emit_group(nodes, &groups[g].0, &read_outside, &mut out, &mut map);
                }
                continue;
            }
        }
        let mut node = node.clone();
        for i in node.inputs.iter_mut() {
            *i = map[*i];
        }
        out.push(Some(node));
        map[id] = out.len() - 1;
    }
    (out, map)
}

/// Appends the `Fused` node of one group (and an `Output` node per extra output).
fn emit_group(
    nodes: &[Option<Node>],
    members: &[NodeId],
    read_outside: &[bool],
    out: &mut Vec<Option<Node>>,
    map: &mut [NodeId],
) {
    let node = |i: NodeId| nodes[i].as_ref().expect("group members are live");
    let mut instrs = vec![];
    let mut reg: HashMap<NodeId, usize> = HashMap::new();
    let mut ext: Vec<NodeId> = vec![];
    for &m in members {
        let mut args = vec![];
        for &i in &node(m).inputs {
            if let Some(&r) = reg.get(&i) {
                args.push(r);
                continue;
            }
            let instr = match &node(i).op {
                Op::Constant(t) if t.rank() == 0 => match t.to_vec_f64() {
                    Ok(v) => FusedInstr::Const(v[0], t.dtype()),
                    Err(_) => FusedInstr::Input(push_unique(&mut ext, i)),
                },
                _ => FusedInstr::Input(push_unique(&mut ext, i)),
            };
            instrs.push(instr);
            reg.insert(i, instrs.len() - 1);
            args.push(instrs.len() - 1);
        }
        instrs.push(match node(m).op {
            Op::Unary(u) => FusedInstr::Unary(u, args[0]),
            Op::Binary(b) => FusedInstr::Binary(b, args[0], args[1]),
            Op::Compare(c) => FusedInstr::Compare(c, args[0], args[1]),
            Op::Where => FusedInstr::Select(args[0], args[1], args[2]),
            Op::Cast(d) => FusedInstr::Cast(d, args[0]),
            _ => unreachable!("only elementwise ops are grouped"),
        });
        reg.insert(m, instrs.len() - 1);
    }
    let outs: Vec<NodeId> = members.iter().copied().filter(|&m| read_outside[m]).collect();
    let program = FusedProgram { instrs, outputs: outs.iter().map(|o| reg[o]).collect() };
    let first = node(outs[0]);
    out.push(Some(Node {
        op: Op::Fused(program),
        inputs: ext.iter().map(|&e| map[e]).collect(),
        shape: first.shape.clone(),
        dtype: first.dtype,
    }));
    let fused = out.len() - 1;
    map[outs[0]] = fused;
    for (k, &o) in outs.iter().enumerate().skip(1) {
        out.push(Some(Node {
            op: Op::Output { index: k },
            inputs: vec![fused],
            shape: node(o).shape.clone(),
            dtype: node(o).dtype,
        }));
        map[o] = out.len() - 1;
    }
}

fn push_unique(v: &mut Vec<NodeId>, x: NodeId) -> usize {
    match v.iter().position(|&e| e == x) {
        Some(k) => k,
        None => {
            v.push(x);
            v.len() - 1
        }
    }
}
