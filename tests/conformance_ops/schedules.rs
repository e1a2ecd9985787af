//! `optimizers.schedules.<Class>` op cases: the schedule built from `kwargs` (its Keras config)
//! and evaluated at the step `args[0]` in a graph on the case's device (as an optimizer computes
//! it from its iteration count in a train step).

use wgkeras::frontend::optimizers::schedules;
use wgkeras::frontend::Graph;

use super::{Call, OpResult};

pub fn call(c: &Call) -> Option<OpResult> {
    let class = c.name.strip_prefix("optimizers.schedules.")?;
    Some(run(class, c))
}

fn run(class: &str, c: &Call) -> OpResult {
    let config = serde_json::json!({"class_name": class, "config": c.kwargs});
    let schedule = schedules::deserialize(&config).map_err(|e| e.to_string())?;
    // The config must round-trip as Keras's `get_config()`.
    let ser = schedules::serialize(schedule.as_ref());
    if ser["config"].as_object() != Some(c.kwargs) {
        return Err(format!("config differs from Keras's: ours {} keras {:?}", ser["config"], c.kwargs));
    }
    let step = c.tensor(0, "step")?;
    let graph = Graph::new();
    let s = graph.input(&wgkeras::frontend::graph::static_shape(step.dims()), step.dtype());
    let out = schedule.call(s).map_err(|e| e.to_string())?;
    graph.evaluate(&[out], &[step]).map_err(|e| e.to_string())
}
