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

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Mutex, MutexGuard};

use wgkeras_runtime::ops::random::{philox4x32, Generator};

struct GlobalRng {
    /// The seed given to `set_random_seed`, if any.
    explicit: Option<u64>,
    generator: Generator,
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
    *global() = Some(GlobalRng { explicit: Some(seed), generator: Generator::new(seed) });
}

/// `keras.utils.get_random_seed()`-like: the seed given to [`set_random_seed`], or `None`.
pub fn get_random_seed() -> Option<u64> {
    global().as_ref().and_then(|g| g.explicit)
}

/// A 64-bit seed drawn from the global generator (advances its counter by one): the seed to
/// use where Keras would call `random.randint` for a missing seed.
pub fn next_seed() -> u64 {
    let mut g = global();
    let state =
        g.get_or_insert_with(|| GlobalRng { explicit: None, generator: Generator::new(process_seed()) });
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
