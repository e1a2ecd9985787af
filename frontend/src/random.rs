//! `keras.random.SeedGenerator` for layers that draw random numbers in a compiled step
//! (Dropout, GaussianNoise, ...).
//!
//! The seed lives on the device as a uint32 `[2]` variable (Keras's `seed_generator_state`, not
//! one of the layer's weights). Each training call reads the current seed and adds the update
//! `seed <- seed_advance(seed)` to the call's [`CallContext::updates`], so successive steps draw
//! new numbers without a readback. Several calls of one layer in one graph chain their seeds.

use wgkeras_runtime::{Device, Tensor};

use crate::error::Result;
use crate::graph::{Graph, Op, Sym};
use crate::layers::CallContext;
use crate::variable::Variable;

/// A layer's seed state.
#[derive(Clone, Debug)]
pub struct SeedGenerator {
    state: Variable,
}

impl SeedGenerator {
    /// Starts from `seed`, or from the global generator's next seed when `None`
    /// (`keras.utils.set_random_seed` makes that reproducible).
    pub fn new(layer_name: &str, seed: Option<u64>) -> Result<SeedGenerator> {
        let s = seed.unwrap_or_else(crate::utils::rng::next_seed);
        let t = Tensor::from_vec(vec![s as u32, (s >> 32) as u32], &[2], &Device::Cpu)?;
        Ok(SeedGenerator { state: Variable::new(format!("{layer_name}/seed_generator_state"), t, false) })
    }

    /// The state variable (uint32 `[2]`).
    pub fn state(&self) -> &Variable {
        &self.state
    }

    /// The seed node for one draw in `g`, and the advance recorded in `ctx`: the variable for
    /// the first draw of a graph, the previous draw's advanced seed after that.
    pub fn next<'g>(&self, g: &'g Graph, ctx: &CallContext) -> Result<Sym<'g>> {
        let mut updates = ctx.updates.borrow_mut();
        let earlier = updates.iter().position(|(v, _)| v.id() == self.state.id());
        let seed = match earlier {
            Some(i) => g.sym(updates[i].1),
            None => g.variable(&self.state),
        };
        let next = g.apply(Op::SeedAdvance, &[seed.id])?;
        match earlier {
            Some(i) => updates[i].1 = next.id,
            None => updates.push((self.state.clone(), next.id)),
        }
        Ok(seed)
    }
}
