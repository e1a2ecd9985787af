//! Random numbers (`keras.random`): one counter-based generator, Philox-4x32-10 (Salmon et al.,
//! "Parallel random numbers: as easy as 1, 2, 3", the Random123 generator), written here and in
//! `shaders/wgsl/random.wgsl`, so the same seed gives the same bits on the CPU and the GPU.
//!
//! Element `g` of an output uses the Philox block at counter `(g / 4, sub, offset_lo, offset_hi)`
//! under the key `(seed_lo, seed_hi)`, lane `g % 4`. `offset` is the [`Generator`]'s call counter
//! (0 for the free functions), and `sub` picks independent streams within one call: 0 for
//! one-draw outputs, 0 and 1 for the two uniforms of a normal, `2k` and `2k + 1` for the `k`-th
//! draw of a truncated normal. Results do not depend on how the work is split into dispatches.
//!
//! Floats: a uniform is the top 24 bits times 2^-24 (exact); a normal is Box-Muller's cosine
//! branch with `log`, `sin` and `cos` computed by the same short series on both sides (no
//! platform `ln`/`cos`), so CPU and GPU floats agree to the bit, or within an ulp or two where a
//! GPU compiler fuses a multiply and an add into one FMA (allowed by SPIR-V without
//! `NoContraction`). Raw bits, `randint` and dropout masks are integer math: always bit-identical.

use rayon::prelude::*;

use crate::device::{Device, GpuDevice, Kernel};
use crate::dtype::DType;
use crate::element::CpuStorage;
use crate::error::{Error, Result};
use crate::ops::cast::cast;
use crate::ops::chunks;
use crate::shape::numel;
use crate::tensor::{GpuStorage, Storage, Tensor};

const PHILOX_M0: u32 = 0xD251_1F53;
const PHILOX_M1: u32 = 0xCD9E_8D57;
const PHILOX_W0: u32 = 0x9E37_79B9;
const PHILOX_W1: u32 = 0xBB67_AE85;
/// Draws a truncated normal makes before giving up on an element (it is then `mean`); the chance
/// of that is 0.0455^16 per element.
const MAX_REDRAWS: u32 = 16;

/// One Philox-4x32-10 block: four 32-bit words from a 128-bit counter and a 64-bit key.
pub fn philox4x32(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for r in 0..10 {
        if r > 0 {
            k = [k[0].wrapping_add(PHILOX_W0), k[1].wrapping_add(PHILOX_W1)];
        }
        let p0 = PHILOX_M0 as u64 * c[0] as u64;
        let p1 = PHILOX_M1 as u64 * c[2] as u64;
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// `[0, 1)` from the top 24 bits (exact).
fn unit_open1(bits: u32) -> f32 {
    (bits >> 8) as f32 * 5.960_464_5e-8
}

/// `(0, 1]` from the top 24 bits (exact), safe for log.
fn unit_open0(bits: u32) -> f32 {
    ((bits >> 8) + 1) as f32 * 5.960_464_5e-8
}

/// Natural log of a normal positive float, the same operations as `rng_log` in random.wgsl.
fn rng_log(x: f32) -> f32 {
    let b = x.to_bits();
    let mut e = ((b >> 23) & 0xFF) as i32 - 127;
    let mut m = f32::from_bits((b & 0x007F_FFFF) | 0x3F80_0000);
    if m > std::f32::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let f = (m - 1.0) / (m + 1.0);
    let s = f * f;
    let p = 0.111_111_11 + s * 0.090_909_09;
    let q = 0.142_857_15 + s * p;
    let t = 0.2 + s * q;
    let u = 0.333_333_34 + s * t;
    let v = 1.0 + s * u;
    let lnm = 2.0 * f * v;
    e as f32 * std::f32::consts::LN_2 + lnm
}

#[allow(clippy::excessive_precision)]
fn rng_sin_q(phi: f32) -> f32 {
    let s = phi * phi;
    let mut p: f32 = -7.647_163_6e-13;
    p = 1.605_904_4e-10 + s * p;
    p = -2.505_210_8e-8 + s * p;
    p = 2.755_731_9e-6 + s * p;
    p = -1.984_127_0e-4 + s * p;
    p = 8.333_333_3e-3 + s * p;
    p = -0.166_666_67 + s * p;
    p = 1.0 + s * p;
    phi * p
}

#[allow(clippy::excessive_precision)]
fn rng_cos_q(phi: f32) -> f32 {
    let s = phi * phi;
    let mut p: f32 = 4.779_477_3e-14;
    p = -1.147_074_6e-11 + s * p;
    p = 2.087_675_7e-9 + s * p;
    p = -2.755_731_9e-7 + s * p;
    p = 2.480_158_7e-5 + s * p;
    p = -1.388_888_9e-3 + s * p;
    p = 4.166_666_8e-2 + s * p;
    p = -0.5 + s * p;
    1.0 + s * p
}

/// `cos(2 pi k / 2^24)` for the top 24 bits `k` of `bits`; the quadrant comes from the integer.
fn rng_cos_turn(bits: u32) -> f32 {
    let k = bits >> 8;
    let phi = (k & 0x3F_FFFF) as f32 * 3.745_070_2e-7;
    match k >> 22 {
        0 => rng_cos_q(phi),
        1 => -rng_sin_q(phi),
        2 => -rng_cos_q(phi),
        _ => rng_sin_q(phi),
    }
}

/// A standard normal from two 32-bit draws (Box-Muller, cosine branch).
fn box_muller(b1: u32, b2: u32) -> f32 {
    let r = (-2.0 * rng_log(unit_open0(b1))).sqrt();
    r * rng_cos_turn(b2)
}

/// What a random kernel computes; the discriminant is `KIND` in random.wgsl.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Draw {
    Bits,
    Uniform {
        lo: f32,
        hi: f32,
    },
    Normal {
        mean: f32,
        stddev: f32,
    },
    TruncatedNormal {
        mean: f32,
        stddev: f32,
    },
    /// `lo + mulhi(bits, range)`, wrapping (i32 or u32 bits); `range` 0 stands for 2^32.
    Int {
        lo: u32,
        range: u32,
    },
    /// 1 where the element is kept (`uniform < keep`).
    Keep {
        keep: f32,
    },
    /// The f32 bits of `scale` where the element is kept (the same test as `Keep`), else 0.
    KeepScaled {
        keep: f32,
        scale: f32,
    },
}

impl Draw {
    fn kind(self) -> u32 {
        match self {
            Draw::Bits => 0,
            Draw::Uniform { .. } => 1,
            Draw::Normal { .. } => 2,
            Draw::TruncatedNormal { .. } => 3,
            Draw::Int { .. } => 4,
            Draw::Keep { .. } => 5,
            Draw::KeepScaled { .. } => 6,
        }
    }

    /// The `a`, `b` params of the kernel.
    fn ab(self) -> [u32; 2] {
        match self {
            Draw::Bits => [0, 0],
            Draw::Uniform { lo, hi } => [lo.to_bits(), hi.to_bits()],
            Draw::Normal { mean, stddev } | Draw::TruncatedNormal { mean, stddev } => {
                [mean.to_bits(), stddev.to_bits()]
            }
            Draw::Int { lo, range } => [lo, range],
            Draw::Keep { keep } => [keep.to_bits(), 0],
            Draw::KeepScaled { keep, scale } => [keep.to_bits(), scale.to_bits()],
        }
    }

    /// The four output words of block `block`, as the kernel computes them.
    fn block(self, block: u32, key: [u32; 2], off: [u32; 2]) -> [u32; 4] {
        let ctr = |sub: u32| [block, sub, off[0], off[1]];
        let r0 = philox4x32(ctr(0), key);
        match self {
            Draw::Bits => r0,
            Draw::Uniform { lo, hi } => {
                let range = hi - lo;
                r0.map(|b| (lo + unit_open1(b) * range).to_bits())
            }
            Draw::Normal { mean, stddev } => {
                let r1 = philox4x32(ctr(1), key);
                std::array::from_fn(|j| (mean + stddev * box_muller(r0[j], r1[j])).to_bits())
            }
            Draw::TruncatedNormal { mean, stddev } => {
                let mut z = [0f32; 4];
                let mut done = [false; 4];
                for k in 0..MAX_REDRAWS {
                    let u = philox4x32(ctr(2 * k), key);
                    let v = philox4x32(ctr(2 * k + 1), key);
                    for j in 0..4 {
                        if !done[j] {
                            let c = box_muller(u[j], v[j]);
                            if c.abs() <= 2.0 {
                                z[j] = c;
                                done[j] = true;
                            }
                        }
                    }
                    if done.iter().all(|&d| d) {
                        break;
                    }
                }
                z.map(|z| (mean + stddev * z).to_bits())
            }
            Draw::Int { lo, range } => r0.map(|b| {
                lo.wrapping_add(if range == 0 { b } else { ((b as u64 * range as u64) >> 32) as u32 })
            }),
            Draw::Keep { keep } => r0.map(|b| (unit_open1(b) < keep) as u32),
            Draw::KeepScaled { keep, scale } => {
                r0.map(|b| if unit_open1(b) < keep { scale.to_bits() } else { 0 })
            }
        }
    }
}

/// The 64-bit key and call offset as Philox words.
fn split_words(seed: u64, offset: u64) -> ([u32; 2], [u32; 2]) {
    ([seed as u32, (seed >> 32) as u32], [offset as u32, (offset >> 32) as u32])
}

/// `n` output words on the CPU (blocks in parallel).
fn cpu_draw(draw: Draw, n: usize, seed: u64, offset: u64) -> Vec<u32> {
    let (key, off) = split_words(seed, offset);
    let mut out = vec![0u32; n];
    let fill = |(b, chunk): (usize, &mut [u32])| {
        let words = draw.block(b as u32, key, off);
        chunk.copy_from_slice(&words[..chunk.len()]);
    };
    if n >= 1 << 14 {
        out.par_chunks_mut(4).enumerate().for_each(fill);
    } else {
        out.chunks_mut(4).enumerate().for_each(fill);
    }
    out
}

/// Where a draw's Philox key comes from: a value, or a `[2]` uint32 seed tensor on the GPU
/// whose buffer the kernel reads (so a replayed plan sees the seed's current contents).
#[derive(Clone, Copy)]
enum Key<'a> {
    Host(u64),
    Buffer(&'a GpuStorage),
}

/// `n` output words on the GPU as a buffer of `dtype` (4-byte), split into dispatches that fit
/// the binding limit.
fn gpu_draw(
    g: &GpuDevice,
    op: &'static str,
    draw: Draw,
    dtype: DType,
    n: usize,
    seed: Key,
    offset: u64,
) -> Result<GpuStorage> {
    let out = GpuStorage::alloc(g, op, dtype, n)?;
    let (key, off) = split_words(if let Key::Host(s) = seed { s } else { 0 }, offset);
    let [a, b] = draw.ab();
    let constants = [("KIND", draw.kind() as f64), ("WG", 64.0)];
    let entry = if let Key::Buffer(_) = seed { "seeded" } else { "main" };
    let kernel = Kernel::new("random", &[]).entry(entry).constants(&constants).op(op);
    for (start, len) in chunks(n, 4, g.max_binding_bytes()) {
        let params = [len as u32, start as u32, key[0], key[1], off[0], off[1], a, b];
        let range = out.binding_range(start, len);
        match seed {
            Key::Host(_) => g.launch(&kernel, &params, &[range], len.div_ceil(4))?,
            Key::Buffer(s) => g.launch(&kernel, &params, &[range, s.binding()], len.div_ceil(4))?,
        }
    }
    Ok(out)
}

/// Runs `draw` for `dims` on `device`, giving a tensor of `dtype` (a 4-byte dtype whose bits the
/// draw writes: u32, i32, f32, or bool for 0/1 masks).
fn draw_tensor(
    op: &'static str,
    draw: Draw,
    dims: &[usize],
    dtype: DType,
    seed: Key,
    offset: u64,
    device: &Device,
) -> Result<Tensor> {
    let n = numel(dims);
    if n > u32::MAX as usize - 3 {
        return Err(Error::Limit {
            op,
            msg: format!("shape {dims:?} has {n} elements; random ops count elements in 32 bits"),
        });
    }
    let storage = match device {
        Device::Cpu => {
            let Key::Host(seed) = seed else { unreachable!("CPU seeds are read on the host") };
            let words = cpu_draw(draw, n, seed, offset);
            Storage::Cpu(match dtype {
                DType::U32 => CpuStorage::U32(words),
                DType::I32 => CpuStorage::I32(words.into_iter().map(|w| w as i32).collect()),
                DType::F32 => CpuStorage::F32(words.into_iter().map(f32::from_bits).collect()),
                DType::Bool => CpuStorage::Bool(words.into_iter().map(|w| w != 0).collect()),
                other => unreachable!("draw_tensor of {other}"),
            })
        }
        Device::Gpu(g) => Storage::Gpu(gpu_draw(g, op, draw, dtype, n, seed, offset)?),
    };
    Tensor::from_storage(storage, dims)
}

/// A float draw: checks the output dtype and the two float arguments, draws in f32 and casts.
#[allow(clippy::too_many_arguments)]
fn float_draw(
    op: &'static str,
    args: [(&str, f64); 2],
    draw: Draw,
    dims: &[usize],
    dtype: DType,
    seed: Key,
    offset: u64,
    device: &Device,
) -> Result<Tensor> {
    if !dtype.is_float() {
        return Err(Error::dtype(op, dtype, "a float dtype (float16, bfloat16, float32, float64)"));
    }
    if let Device::Gpu(g) = device {
        g.check_dtype(op, dtype)?;
    }
    for (what, v) in args {
        check_finite_arg(op, what, v)?;
    }
    cast(&draw_tensor(op, draw, dims, DType::F32, seed, offset, device)?, dtype)
}

fn check_finite_arg(op: &'static str, what: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::arg(op, format!("{what} must be finite, got {v}")))
    }
}

fn uniform_at(
    dims: &[usize],
    minval: f64,
    maxval: f64,
    dtype: DType,
    seed: u64,
    offset: u64,
    device: &Device,
) -> Result<Tensor> {
    let draw = Draw::Uniform { lo: minval as f32, hi: maxval as f32 };
    let args = [("minval", minval), ("maxval", maxval)];
    float_draw("random.uniform", args, draw, dims, dtype, Key::Host(seed), offset, device)
}

#[allow(clippy::too_many_arguments)]
fn normal_at(
    op: &'static str,
    truncated: bool,
    dims: &[usize],
    mean: f64,
    stddev: f64,
    dtype: DType,
    seed: u64,
    offset: u64,
    device: &Device,
) -> Result<Tensor> {
    let args = [("mean", mean), ("stddev", stddev)];
    let (mean, stddev) = (mean as f32, stddev as f32);
    let draw = if truncated { Draw::TruncatedNormal { mean, stddev } } else { Draw::Normal { mean, stddev } };
    float_draw(op, args, draw, dims, dtype, Key::Host(seed), offset, device)
}

fn randint_at(
    dims: &[usize],
    minval: i64,
    maxval: i64,
    dtype: DType,
    seed: u64,
    offset: u64,
    device: &Device,
) -> Result<Tensor> {
    let op = "random.randint";
    let (lo_ok, hi_ok) = match dtype {
        DType::I32 => (i32::MIN as i64, i32::MAX as i64 + 1),
        DType::U32 => (0, u32::MAX as i64 + 1),
        other => return Err(Error::dtype(op, other, "an integer dtype (int32, uint32)")),
    };
    if minval >= maxval || minval < lo_ok || maxval > hi_ok {
        return Err(Error::arg(
            op,
            format!("need minval < maxval within {dtype} ({lo_ok}..={hi_ok}), got minval={minval}, maxval={maxval}"),
        ));
    }
    // A range of 2^32 (every int32 or uint32) travels as 0: the raw bits shifted by minval.
    let draw = Draw::Int { lo: minval as u32, range: (maxval - minval) as u64 as u32 };
    draw_tensor(op, draw, dims, dtype, Key::Host(seed), offset, device)
}

fn dropout_mask_at(dims: &[usize], rate: f64, seed: u64, offset: u64, device: &Device) -> Result<Tensor> {
    let op = "random.dropout";
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::arg(op, format!("rate must be in [0, 1), got {rate}")));
    }
    let draw = Draw::Keep { keep: (1.0 - rate) as f32 };
    draw_tensor(op, draw, dims, DType::Bool, Key::Host(seed), offset, device)
}

fn dropout_at(
    x: &Tensor,
    rate: f64,
    noise_shape: Option<&[usize]>,
    seed: u64,
    offset: u64,
) -> Result<Tensor> {
    let op = "random.dropout";
    let dims = noise_shape.unwrap_or(x.dims());
    if crate::shape::broadcast_shapes(op, x.dims(), dims)? != x.dims() {
        return Err(Error::shapes(op, x.dims(), dims, "noise_shape must broadcast to the input's shape"));
    }
    let mask = dropout_mask_at(dims, rate, seed, offset, &x.device())?;
    let dtype = if x.dtype().is_float() { x.dtype() } else { DType::F32 };
    let scale = crate::ops::creation::full(&[], 1.0 / (1.0 - rate), dtype, &x.device())?;
    let zero = crate::ops::creation::zeros(&[], dtype, &x.device())?;
    let scaled = crate::ops::binary::multiply(&cast(x, dtype)?, &scale)?;
    crate::ops::binary::where_(&mask, &scaled, &zero)
}

/// 32 random bits per element (`uint32`), the generator's raw output.
pub fn random_bits(dims: &[usize], seed: u64, device: &Device) -> Result<Tensor> {
    draw_tensor("random_bits", Draw::Bits, dims, DType::U32, Key::Host(seed), 0, device)
}

/// `keras.random.uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed)`: values in
/// `[minval, maxval)`.
pub fn uniform(
    dims: &[usize],
    minval: f64,
    maxval: f64,
    dtype: DType,
    seed: u64,
    device: &Device,
) -> Result<Tensor> {
    uniform_at(dims, minval, maxval, dtype, seed, 0, device)
}

/// `keras.random.normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed)` (Box-Muller).
pub fn normal(
    dims: &[usize],
    mean: f64,
    stddev: f64,
    dtype: DType,
    seed: u64,
    device: &Device,
) -> Result<Tensor> {
    normal_at("random.normal", false, dims, mean, stddev, dtype, seed, 0, device)
}

/// `keras.random.truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed)`: a normal
/// whose draws beyond two standard deviations are drawn again (from further Philox streams).
pub fn truncated_normal(
    dims: &[usize],
    mean: f64,
    stddev: f64,
    dtype: DType,
    seed: u64,
    device: &Device,
) -> Result<Tensor> {
    normal_at("random.truncated_normal", true, dims, mean, stddev, dtype, seed, 0, device)
}

/// `keras.random.randint(shape, minval, maxval, dtype="int32", seed)`: integers in
/// `[minval, maxval)` (`int32` or `uint32`).
pub fn randint(
    dims: &[usize],
    minval: i64,
    maxval: i64,
    dtype: DType,
    seed: u64,
    device: &Device,
) -> Result<Tensor> {
    randint_at(dims, minval, maxval, dtype, seed, 0, device)
}

/// A bool mask of `dims`, true where an element is kept (probability `1 - rate`).
pub fn dropout_mask(dims: &[usize], rate: f64, seed: u64, device: &Device) -> Result<Tensor> {
    dropout_mask_at(dims, rate, seed, 0, device)
}

/// `keras.random.dropout(inputs, rate, noise_shape=None, seed)`: kept elements are scaled by
/// `1 / (1 - rate)`, the others are 0. `noise_shape` must broadcast to the input's shape.
pub fn random_dropout(x: &Tensor, rate: f64, noise_shape: Option<&[usize]>, seed: u64) -> Result<Tensor> {
    dropout_at(x, rate, noise_shape, seed, 0)
}

// ---------------------------------------------------------------------------------------------
// Device-seeded draws: the key lives in a tensor, for plans replayed step after step

/// What [`seed_advance`] adds to a seed (as one 64-bit number): the odd golden-ratio constant,
/// so the sequence of seeds has period 2^64 and seed `s` advanced once is not seed `s + 1`.
pub const SEED_STEP: u64 = 0x9E37_79B9_7F4A_7C15;

/// Checks a seed tensor (uint32, shape `[2]`) and gives its key: the value when it is on the
/// CPU (read on the host), the buffer when it is on the GPU.
fn seed_key<'a>(op: &'static str, seed: &'a Tensor) -> Result<Key<'a>> {
    if seed.dtype() != DType::U32 {
        return Err(Error::dtype(op, seed.dtype(), "uint32 for the seed tensor ([lo, hi] words)"));
    }
    if seed.dims() != [2] {
        return Err(Error::arg(op, format!("the seed tensor must have shape [2], got {:?}", seed.dims())));
    }
    Ok(match seed.storage() {
        Storage::Gpu(g) => Key::Buffer(g),
        Storage::Cpu(CpuStorage::U32(w)) => Key::Host(w[0] as u64 | (w[1] as u64) << 32),
        Storage::Cpu(_) => unreachable!("dtype checked"),
    })
}

/// `uniform` with the seed in a tensor: `seed` is uint32 `[lo, hi]` on the device the result
/// goes to, and the result has exactly the bits of [`uniform`] with the seed `lo | hi << 32`.
/// On the GPU the kernel reads the key from the seed's buffer, so a captured plan that rewrites
/// the seed between runs draws new numbers each run.
pub fn uniform_seeded(
    dims: &[usize],
    seed: &Tensor,
    minval: f64,
    maxval: f64,
    dtype: DType,
) -> Result<Tensor> {
    const OP: &str = "random.uniform_seeded";
    let key = seed_key(OP, seed)?;
    let draw = Draw::Uniform { lo: minval as f32, hi: maxval as f32 };
    let args = [("minval", minval), ("maxval", maxval)];
    float_draw(OP, args, draw, dims, dtype, key, 0, &seed.device())
}

/// `normal` with the seed in a tensor (see [`uniform_seeded`]): exactly the draws of [`normal`]
/// with the seed `lo | hi << 32`.
pub fn normal_seeded(dims: &[usize], seed: &Tensor, mean: f64, stddev: f64, dtype: DType) -> Result<Tensor> {
    const OP: &str = "random.normal_seeded";
    let key = seed_key(OP, seed)?;
    let draw = Draw::Normal { mean: mean as f32, stddev: stddev as f32 };
    let args = [("mean", mean), ("stddev", stddev)];
    float_draw(OP, args, draw, dims, dtype, key, 0, &seed.device())
}

/// A float32 dropout mask with the seed in a tensor (see [`uniform_seeded`]): `1 / (1 - rate)`
/// where an element is kept, 0 elsewhere. The kept elements are exactly those of
/// [`dropout_mask`] with the seed `lo | hi << 32`.
pub fn dropout_mask_seeded(dims: &[usize], rate: f64, seed: &Tensor) -> Result<Tensor> {
    const OP: &str = "random.dropout_mask_seeded";
    if !(0.0..1.0).contains(&rate) {
        return Err(Error::arg(OP, format!("rate must be in [0, 1), got {rate}")));
    }
    let key = seed_key(OP, seed)?;
    let draw = Draw::KeepScaled { keep: (1.0 - rate) as f32, scale: (1.0 / (1.0 - rate)) as f32 };
    draw_tensor(OP, draw, dims, DType::F32, key, 0, &seed.device())
}

/// The next seed after `seed` (uint32 `[lo, hi]`), computed on the seed's device without a
/// readback: `(lo | hi << 32) + SEED_STEP` modulo 2^64, as `[lo, hi]` again. Same result on
/// every backend. A plan advances its seed each step with this and a copy into the seed's
/// buffer.
pub fn seed_advance(seed: &Tensor) -> Result<Tensor> {
    const OP: &str = "random.seed_advance";
    match seed_key(OP, seed)? {
        Key::Host(s) => {
            let next = s.wrapping_add(SEED_STEP);
            Tensor::from_vec(vec![next as u32, (next >> 32) as u32], &[2], &Device::Cpu)
        }
        Key::Buffer(g) => {
            let out = GpuStorage::alloc(&g.device, OP, DType::U32, 2)?;
            let kernel = Kernel::new("random", &[]).entry("advance").op(OP);
            let params = [SEED_STEP as u32, (SEED_STEP >> 32) as u32];
            g.device.launch_groups(&kernel, &params, &[out.binding(), g.binding()], [1, 1, 1])?;
            Tensor::from_storage(Storage::Gpu(out), &[2])
        }
    }
}

/// One Philox block computed by the GPU kernel (`block` entry of random.wgsl), for known-answer
/// tests of the WGSL generator against [`philox4x32`].
pub fn philox4x32_on_gpu(g: &GpuDevice, counter: [u32; 4], key: [u32; 2]) -> Result<[u32; 4]> {
    let out = GpuStorage::alloc(g, "philox4x32_on_gpu", DType::U32, 4)?;
    let kernel = Kernel::new("random", &[]).entry("block");
    let params = [counter[0], counter[1], counter[2], counter[3], key[0], key[1]];
    g.launch_groups(&kernel, &params, &[out.binding()], [1, 1, 1])?;
    let words = out.read()?;
    let CpuStorage::U32(w) = words else { unreachable!("u32 storage") };
    Ok([w[0], w[1], w[2], w[3]])
}

/// A seed and a call counter, like `keras.random.SeedGenerator`: each draw uses the next counter
/// value, so successive draws differ, and two generators with the same seed give the same
/// sequence on any device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generator {
    pub seed: u64,
    pub counter: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator { seed, counter: 0 }
    }

    /// The `(seed, offset)` of the next draw; advances the counter.
    pub fn next_stream(&mut self) -> (u64, u64) {
        let c = self.counter;
        self.counter = self.counter.wrapping_add(1);
        (self.seed, c)
    }

    pub fn random_bits(&mut self, dims: &[usize], device: &Device) -> Result<Tensor> {
        let (s, o) = self.next_stream();
        draw_tensor("random_bits", Draw::Bits, dims, DType::U32, Key::Host(s), o, device)
    }

    pub fn uniform(
        &mut self,
        dims: &[usize],
        minval: f64,
        maxval: f64,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        let (s, o) = self.next_stream();
        uniform_at(dims, minval, maxval, dtype, s, o, device)
    }

    pub fn normal(
        &mut self,
        dims: &[usize],
        mean: f64,
        stddev: f64,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        let (s, o) = self.next_stream();
        normal_at("random.normal", false, dims, mean, stddev, dtype, s, o, device)
    }

    pub fn truncated_normal(
        &mut self,
        dims: &[usize],
        mean: f64,
        stddev: f64,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        let (s, o) = self.next_stream();
        normal_at("random.truncated_normal", true, dims, mean, stddev, dtype, s, o, device)
    }

    pub fn randint(
        &mut self,
        dims: &[usize],
        minval: i64,
        maxval: i64,
        dtype: DType,
        device: &Device,
    ) -> Result<Tensor> {
        let (s, o) = self.next_stream();
        randint_at(dims, minval, maxval, dtype, s, o, device)
    }

    pub fn dropout_mask(&mut self, dims: &[usize], rate: f64, device: &Device) -> Result<Tensor> {
        let (s, o) = self.next_stream();
        dropout_mask_at(dims, rate, s, o, device)
    }

    pub fn dropout(&mut self, x: &Tensor, rate: f64, noise_shape: Option<&[usize]>) -> Result<Tensor> {
        let (s, o) = self.next_stream();
        dropout_at(x, rate, noise_shape, s, o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_known_answers() {
        // Random123 kat_vectors, philox4x32_10.
        assert_eq!(philox4x32([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn log_and_cos_are_accurate() {
        for i in 1..=1000u32 {
            let x = i as f32 / 1000.0;
            assert!((rng_log(x) - x.ln()).abs() <= 2e-7 * x.ln().abs().max(1.0), "log({x})");
        }
        for k in (0..(1u32 << 24)).step_by(4099) {
            let want = (2.0 * std::f64::consts::PI * k as f64 / (1u64 << 24) as f64).cos();
            let got = rng_cos_turn(k << 8) as f64;
            assert!((got - want).abs() < 3e-7, "cos turn {k}: {got} vs {want}");
        }
    }
}
