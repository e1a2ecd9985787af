//! `keras.utils.set_random_seed`: the process-wide seed of wgkeras.
//!
//! One global counter-based [`Generator`] (Philox-4x32-10, the runtime's generator) is the
//! source of every seed that the user does not give: layers and initializers take their own
//! stream with [`random_seed`] when they are built, dropout and shuffling draw with
//! [`next_seed`] (e.g. `split_dataset(.., shuffle: true, seed: None)`). [`set_random_seed`]
//! resets it, so a program that calls it first draws the same numbers on every run and on every
//! device (Philox gives the same bits on the CPU and the GPU).
//!
//! Without `set_random_seed`, the global generator starts from a seed that differs per process
//! (as Keras's unseeded runs differ), and [`get_random_seed`] is `None`.
//!
//! `keras.config::clear_session` does what Keras's does to this state: Keras keeps the seed and
//! the global `SeedGenerator` in its global state, so `clear_session` forgets the seed
//! (`get_random_seed()` is `None` afterwards) and the next unseeded draw comes from a new global
//! generator, itself seeded from Python's `random` (which `clear_session` leaves alone). Here the
//! new generator is seeded from the root seed and the number of `clear_session` calls since it
//! was set: a seeded program stays reproducible across `clear_session` calls, and its draws
//! after one differ from those before it, as with Keras.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Mutex, MutexGuard};

use wgkeras_runtime::ops::random::{philox4x32, Generator};

struct GlobalRng {
    /// The seed given to `set_random_seed`, if any (forgotten by `clear_session`).
    explicit: Option<u64>,
    /// The seed given to `set_random_seed`, else the per-process seed: the root of every
    /// generator (the part of the state `clear_session` keeps, like Python's `random`).
    root: u64,
    /// `clear_session` calls since `root` was set.
    sessions: u64,
    generator: Generator,
}

impl GlobalRng {
    fn new(root: u64, explicit: Option<u64>) -> GlobalRng {
        GlobalRng { explicit, root, sessions: 0, generator: Generator::new(root) }
    }
}

static GLOBAL: Mutex<Option<GlobalRng>> = Mutex::new(None);

fn global() -> MutexGuard<'static, Option<GlobalRng>> {
    // The state is two integers, valid after any panic: recover from poisoning.
    GLOBAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn process_seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(std::process::id() as u64);
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

/// `keras.utils.set_random_seed(seed)`: resets the global generator to `seed` (counter 0).
/// Every seed wgkeras draws afterwards ([`random_seed`], [`next_seed`]) follows from it.
pub fn set_random_seed(seed: u64) {
    *global() = Some(GlobalRng::new(seed, Some(seed)));
}

/// `keras.utils.get_random_seed()`-like: the seed given to [`set_random_seed`], or `None`.
pub fn get_random_seed() -> Option<u64> {
    global().as_ref().and_then(|g| g.explicit)
}

/// A 64-bit seed drawn from the global generator (advances its counter by one): the seed to
/// use where Keras would call `random.randint` for a missing seed.
pub fn next_seed() -> u64 {
    let mut g = global();
    let state = g.get_or_insert_with(|| GlobalRng::new(process_seed(), None));
    let (seed, offset) = state.generator.next_stream();
    // One Philox block of the global stream: counter (0, sub = 0xFFFF_FFFF, offset), a sub
    // stream that no tensor draw of the runtime uses, keyed by the global seed.
    let w =
        philox4x32([0, u32::MAX, offset as u32, (offset >> 32) as u32], [seed as u32, (seed >> 32) as u32]);
    (w[0] as u64) | ((w[1] as u64) << 32)
}

/// A new counter-based stream for one consumer (a layer, an initializer, a shuffle), seeded
/// from the global generator: `Generator::new(next_seed())`. Its draws (`uniform`, `normal`,
/// `dropout`, ...) run on any device; successive calls give independent streams.
pub fn random_seed() -> Generator {
    Generator::new(next_seed())
}

/// The random-seed part of `clear_session` (see the module doc): forgets the seed given to
/// [`set_random_seed`] and moves the global generator to a new stream, derived from the root
/// seed and the number of `clear_session` calls.
pub(crate) fn reset_global_generator_for_clear_session() {
    if let Some(state) = global().as_mut() {
        state.explicit = None;
        state.sessions += 1;
        // Counter words 2 and 3 all ones: a block no `next_seed` draw uses (those have word 1
        // all ones and the stream offset in words 2, 3).
        let s = state.sessions;
        let w = philox4x32(
            [s as u32, (s >> 32) as u32, u32::MAX, u32::MAX],
            [state.root as u32, (state.root >> 32) as u32],
        );
        state.generator = Generator::new((w[0] as u64) | ((w[1] as u64) << 32));
    }
}
