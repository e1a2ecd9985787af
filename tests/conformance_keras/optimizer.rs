//! Conformance kind `optimizer`: the optimizer is built from its Keras serialized config, its
//! update is compiled once into a `Plan` with the gradients as placeholders, and the plan runs
//! once per step of the case (so the learning rate, the iteration count and the slots are read
//! from their variables at every run, as in a compiled train step). The optimizer's serialized
//! config must equal Keras's, `iterations` must be Keras's count after the steps (gradient
//! accumulation divides it), and the variables' final values are compared with Keras's.

use serde_json::Value;
use wgkeras::frontend::graph::plan::PlanOptions;
use wgkeras::frontend::graph::static_shape;
use wgkeras::frontend::graph::Plan;
use wgkeras::frontend::{optimizers, Graph, Variable};
use wgkeras::runtime::{Device, Tensor};

use super::KerasResult;
use crate::conformance_ops::parse_tensor;

fn run_inner(case: &Value, device: &Device) -> Result<Vec<(String, Tensor, Value)>, String> {
    let opt = optimizers::get(&case["config"]).map_err(|e| e.to_string())?;
    let ser = optimizers::serialize(opt.as_ref());
    if ser != case["config"] {
        return Err(format!(
            "serialized config differs from Keras's:\n ours  {ser}\n keras {}",
            case["config"]
        ));
    }
    let inits = case["variables"].as_array().ok_or("case has no \"variables\" list")?;
    let vars: Vec<Variable> = inits
        .iter()
        .enumerate()
        .map(|(i, v)| Ok(Variable::new(format!("v{i}"), parse_tensor(v, device)?, true)))
        .collect::<Result<_, String>>()?;
    let graph = Graph::new();
    let pairs: Vec<_> =
        vars.iter().map(|v| (v.clone(), graph.input(&static_shape(&v.dims()), v.dtype()))).collect();
    let updates = opt.apply_gradients(&graph, &pairs).map_err(|e| e.to_string())?;
    let updates: Vec<(Variable, usize)> = updates.into_iter().map(|(v, s)| (v, s.id)).collect();
    let plan = Plan::new(&graph, &[], &updates, &PlanOptions { device: device.clone(), fuse: false })
        .map_err(|e| e.to_string())?;
    let steps = case["gradients"].as_array().ok_or("case has no \"gradients\" list")?;
    for step in steps {
        let grads: Vec<Tensor> = step
            .as_array()
            .ok_or("a gradient step must be a list")?
            .iter()
            .map(|g| parse_tensor(g, device))
            .collect::<Result<_, String>>()?;
        plan.run(&grads).map_err(|e| e.to_string())?;
    }
    let its = opt.iterations().map_err(|e| e.to_string())?;
    let want = case["iterations"].as_i64().unwrap_or(steps.len() as i64);
    if its != want {
        return Err(format!("iterations is {its} after {} steps, Keras has {want}", steps.len()));
    }
    let expected = case["expected"].as_array().ok_or("case has no \"expected\" list")?;
    Ok(vars.iter().zip(expected).map(|(v, e)| (v.name().to_string(), v.value(), e.clone())).collect())
}

pub fn run(case: &Value, device: &Device) -> KerasResult {
    match run_inner(case, device) {
        Ok(items) => KerasResult::Compare(items),
        Err(e) => KerasResult::Error(e),
    }
}
