//! Keras's legacy image augmentation: `ImageDataGenerator` and `NumpyArrayIterator`
//! (`keras.preprocessing.image`, Keras 2.9 / `keras_preprocessing` semantics).
//!
//! Images are host `f32` data. A single image is rank 3, `(H, W, C)` for `channels_last` or
//! `(C, H, W)` for `channels_first`; a set of images is rank 4 with the sample axis first.
//!
//! What follows Keras exactly:
//! - the order of operations: `random_transform` = affine (rotation, shift, shear, zoom about
//!   the image centre, composed as `R . T . S . Z`), channel shift, horizontal flip, vertical
//!   flip;
//!   `standardize` = rescale, samplewise centre, samplewise std, featurewise centre, featurewise
//!   std (each std with `+ 1e-6`);
//! - the affine sampling: SciPy's `ndimage.affine_transform(order=1)`, bilinear, with its
//!   `fill_mode`s `nearest` (clamp), `constant` (`cval` outside `[0, n-1]`), `reflect`
//!   (half-sample symmetric) and `wrap` (SciPy's `wrap`: period `n - 1`);
//! - the draw order of `get_random_transform` (theta, tx, ty, shear, zoom x/y, flips,
//!   channel shift);
//! - the iterator: `len = ceil(n / batch_size)`, `get(i)` reseeds with `seed + batches seen`,
//!   `next` follows `_flow_index` (reshuffle when a pass starts), `reset`, `on_epoch_end`
//!   (reshuffle), the `subset` split rule `split = int(n * validation_split)` with the
//!   validation part first, and the class-split error.
//!
//! Random numbers come from NumPy's legacy Mersenne Twister ([`ImageRng`]), seeded and drawn as
//! Keras does, so a given `seed` gives Keras's permutations and transforms. Shift ranges take
//! Keras's float, int and list forms ([`ShiftRange`]). ZCA whitening, `brightness_range`, `preprocessing_function`,
//! `interpolation_order` other than 1 and the tuple form of `x` are not provided.
//! Targets (`y`) and sample weights are float32. With `subset`, the sample weights are split
//! with `x` and `y` (Keras leaves them unsplit and then indexes the whole array with the
//! subset's indices, which pairs weights with the wrong samples).

use std::path::{Path, PathBuf};

use wgkeras_runtime::{DType, Device};

use super::sequence::{index_error, Batch, Sequence};
use crate::{Error, Result};

/// Where the channels are in an image: Keras's `data_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataFormat {
    #[default]
    ChannelsLast,
    ChannelsFirst,
}

impl DataFormat {
    /// Parses `"channels_last"` / `"channels_first"`.
    pub fn parse(s: &str) -> Result<DataFormat> {
        match s {
            "channels_last" => Ok(DataFormat::ChannelsLast),
            "channels_first" => Ok(DataFormat::ChannelsFirst),
            _ => Err(Error::arg(
                "data_format",
                format!("expected \"channels_last\" or \"channels_first\", got {s:?}"),
            )),
        }
    }

    /// `(row, col, channel)` axes of a single (rank-3) image.
    fn image_axes(self) -> (usize, usize, usize) {
        match self {
            DataFormat::ChannelsLast => (0, 1, 2),
            DataFormat::ChannelsFirst => (1, 2, 0),
        }
    }
}

/// How points outside the image are filled by the affine transforms (Keras's `fill_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FillMode {
    #[default]
    Nearest,
    Constant,
    Reflect,
    Wrap,
}

impl FillMode {
    /// Parses `"nearest"`, `"constant"`, `"reflect"` or `"wrap"`.
    pub fn parse(s: &str) -> Result<FillMode> {
        match s {
            "nearest" => Ok(FillMode::Nearest),
            "constant" => Ok(FillMode::Constant),
            "reflect" => Ok(FillMode::Reflect),
            "wrap" => Ok(FillMode::Wrap),
            _ => Err(Error::arg(
                "ImageDataGenerator",
                format!(
                    "fill_mode must be one of \"nearest\", \"constant\", \"reflect\", \"wrap\"; \
                     got {s:?}"
                ),
            )),
        }
    }
}

/// Host array: f32 data, row-major, with its dims.
#[derive(Debug, Clone, PartialEq)]
pub struct HostArray {
    pub data: Vec<f32>,
    pub dims: Vec<usize>,
}

impl HostArray {
    /// Checks that `data.len()` is the product of `dims`.
    pub fn new(data: Vec<f32>, dims: &[usize]) -> Result<HostArray> {
        let n: usize = dims.iter().product();
        if n != data.len() {
            return Err(Error::arg(
                "HostArray",
                format!("shape {dims:?} holds {n} values but {} were given", data.len()),
            ));
        }
        Ok(HostArray { data, dims: dims.to_vec() })
    }

    /// The values of a runtime tensor (any dtype, any device), as f32.
    pub fn from_tensor(t: &wgkeras_runtime::Tensor) -> Result<HostArray> {
        Ok(HostArray { data: t.to_vec_f32()?, dims: t.shape().to_vec() })
    }

    /// Errs (naming `op`) when the public fields disagree: `data.len()` != product of `dims`.
    fn check(&self, op: &'static str, what: &str) -> Result<()> {
        let n: usize = self.dims.iter().product();
        if n != self.data.len() {
            return Err(Error::arg(
                op,
                format!(
                    "`{what}` has shape {:?} ({n} values) but holds {} values",
                    self.dims,
                    self.data.len()
                ),
            ));
        }
        Ok(())
    }

    /// Number of samples (first dimension; 0 for a scalar).
    pub fn len(&self) -> usize {
        self.dims.first().copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Values per sample.
    fn row(&self) -> usize {
        self.dims.iter().skip(1).product()
    }

    /// Samples `start..end` (first axis).
    fn slice_rows(&self, start: usize, end: usize) -> HostArray {
        let r = self.row();
        let mut dims = self.dims.clone();
        if let Some(d) = dims.first_mut() {
            *d = end - start;
        }
        HostArray { data: self.data[start * r..end * r].to_vec(), dims }
    }

    /// Samples at `index` (first axis), in that order.
    fn take_rows(&self, index: &[usize]) -> HostArray {
        let r = self.row();
        let mut data = Vec::with_capacity(index.len() * r);
        for &i in index {
            data.extend_from_slice(&self.data[i * r..(i + 1) * r]);
        }
        let mut dims = self.dims.clone();
        if let Some(d) = dims.first_mut() {
            *d = index.len();
        }
        HostArray { data, dims }
    }
}

/// NumPy's legacy `RandomState` (MT19937) as `np.random.seed(int)` sets it, with the draws
/// Keras's image code uses: `random_sample`, `uniform`, `randint(0, n)` / `choice(n)` and
/// `permutation`. With the same seed it gives the same numbers as NumPy, so shuffles and random
/// transforms match Keras's for a given `seed`.
#[derive(Clone)]
pub struct ImageRng {
    mt: Box<[u32; 624]>,
    pos: usize,
}

impl std::fmt::Debug for ImageRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImageRng(MT19937, pos {})", self.pos)
    }
}

impl ImageRng {
    /// `np.random.seed(seed)` (NumPy takes `0 <= seed < 2**32`; higher bits are dropped here).
    pub fn new(seed: u64) -> ImageRng {
        let mut mt = Box::new([0u32; 624]);
        let mut s = seed as u32;
        for (i, m) in mt.iter_mut().enumerate() {
            *m = s;
            s = 1_812_433_253u32.wrapping_mul(s ^ (s >> 30)).wrapping_add(i as u32 + 1);
        }
        ImageRng { mt, pos: 624 }
    }

    /// A generator seeded from the process's hash randomness (for `seed = None`).
    pub fn from_entropy() -> ImageRng {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x9e37_79b9);
        ImageRng::new(h.finish())
    }

    fn regenerate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        let mt = &mut self.mt;
        for i in 0..624 {
            let y = (mt[i] & UPPER) | (mt[(i + 1) % 624] & LOWER);
            let mut v = mt[(i + 397) % 624] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            mt[i] = v;
        }
        self.pos = 0;
    }

    /// The next 32-bit output.
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= 624 {
            self.regenerate();
        }
        let mut y = self.mt[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// Uniform in `[0, 1)`: `np.random.random()` (53 bits from two outputs).
    pub fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `np.random.uniform(low, high)`.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.random()
    }

    /// `np.random.randint(0, n)` (`n > 0`), NumPy's masked rejection sampling.
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let max = n - 1;
        let mut mask = max;
        for s in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> s;
        }
        if max <= u32::MAX as u64 {
            loop {
                let v = (self.next_u32() as u64) & mask;
                if v <= max {
                    return v;
                }
            }
        }
        loop {
            let v = (((self.next_u32() as u64) << 32) | self.next_u32() as u64) & mask;
            if v <= max {
                return v;
            }
        }
    }

    /// `np.random.permutation(n)` (NumPy's legacy shuffle of `arange(n)`).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
        v
    }
}

/// The parameters of one transform (Keras's `transform_parameters` dict). Angles in degrees;
/// `tx` is the shift along the rows (height), `ty` along the columns (width), in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransformParams {
    pub theta: f64,
    pub tx: f64,
    pub ty: f64,
    pub shear: f64,
    pub zx: f64,
    pub zy: f64,
    pub flip_horizontal: bool,
    pub flip_vertical: bool,
    /// Added to every value, then clipped to the image's min/max (`None`: no shift).
    pub channel_shift_intensity: Option<f64>,
}

impl Default for TransformParams {
    fn default() -> Self {
        TransformParams {
            theta: 0.0,
            tx: 0.0,
            ty: 0.0,
            shear: 0.0,
            zx: 1.0,
            zy: 1.0,
            flip_horizontal: false,
            flip_vertical: false,
            channel_shift_intensity: None,
        }
    }
}

/// Keras's `ImageDataGenerator` (the options it has here; see the module notes). Build it with
/// struct update syntax from `Default`, then call [`ImageDataGenerator::validate`] (done by
/// `flow` and the iterator) — it applies Keras's implications (`featurewise_std_normalization`
/// turns on `featurewise_center`, `samplewise_std_normalization` turns on `samplewise_center`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDataGenerator {
    pub featurewise_center: bool,
    pub samplewise_center: bool,
    pub featurewise_std_normalization: bool,
    pub samplewise_std_normalization: bool,
    /// Degrees; a rotation angle is drawn from `[-r, r)`.
    pub rotation_range: f64,
    /// Horizontal shift (see [`ShiftRange`]).
    pub width_shift_range: ShiftRange,
    /// Vertical shift (see [`ShiftRange`]).
    pub height_shift_range: ShiftRange,
    /// Shear angle in degrees, drawn from `[-r, r)`.
    pub shear_range: f64,
    /// A channel shift intensity is drawn from `[-r, r)` (0: none).
    pub channel_shift_range: f64,
    /// `[lower, upper]`; Keras's float `z` is `[1 - z, 1 + z]` (see [`zoom_range`]).
    pub zoom_range: [f64; 2],
    pub fill_mode: FillMode,
    pub cval: f64,
    pub horizontal_flip: bool,
    pub vertical_flip: bool,
    /// Multiplies the data (Keras: `None` or 0 means no rescaling).
    pub rescale: Option<f32>,
    pub data_format: DataFormat,
    /// Fraction of the data reserved for validation, in `(0, 1)`; 0 = none.
    pub validation_split: f64,
    /// The dtype of the batches the iterators give.
    pub dtype: DType,
    /// Per-channel mean, set by [`fit`](ImageDataGenerator::fit).
    pub mean: Option<Vec<f32>>,
    /// Per-channel std, set by [`fit`](ImageDataGenerator::fit).
    pub std: Option<Vec<f32>>,
}

impl Default for ImageDataGenerator {
    fn default() -> Self {
        ImageDataGenerator {
            featurewise_center: false,
            samplewise_center: false,
            featurewise_std_normalization: false,
            samplewise_std_normalization: false,
            rotation_range: 0.0,
            width_shift_range: ShiftRange::Float(0.0),
            height_shift_range: ShiftRange::Float(0.0),
            shear_range: 0.0,
            channel_shift_range: 0.0,
            zoom_range: [1.0, 1.0],
            fill_mode: FillMode::Nearest,
            cval: 0.0,
            horizontal_flip: false,
            vertical_flip: false,
            rescale: None,
            data_format: DataFormat::ChannelsLast,
            validation_split: 0.0,
            dtype: DType::F32,
            mean: None,
            std: None,
        }
    }
}

/// Keras's `width_shift_range` / `height_shift_range` forms.
///
/// - `Float(r)`: a shift drawn from `[-r, r)`;
/// - `Int(n)`: an integer from `0..n` times a random sign (NumPy's `choice(n) * choice([-1, 1])`);
/// - `Values(v)`: one of `v` times a random sign.
///
/// When the largest value is `< 1` the shift is a fraction of the side (multiplied by the
/// height/width), otherwise pixels. A zero / empty range means no shift (no draw).
#[derive(Debug, Clone, PartialEq)]
pub enum ShiftRange {
    Float(f64),
    Int(u64),
    Values(Vec<f64>),
}

impl From<f64> for ShiftRange {
    fn from(r: f64) -> Self {
        ShiftRange::Float(r)
    }
}

impl ShiftRange {
    fn is_off(&self) -> bool {
        match self {
            ShiftRange::Float(r) => *r == 0.0,
            ShiftRange::Int(n) => *n == 0,
            ShiftRange::Values(v) => v.is_empty(),
        }
    }

    fn max(&self) -> f64 {
        match self {
            ShiftRange::Float(r) => *r,
            ShiftRange::Int(n) => *n as f64,
            ShiftRange::Values(v) => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// The shift in pixels for a side of `side` pixels, `None` when off.
    fn draw(&self, rng: &mut ImageRng, side: f64) -> Option<f64> {
        if self.is_off() {
            return None;
        }
        let sign = |rng: &mut ImageRng| if rng.below(2) == 0 { -1.0 } else { 1.0 };
        let mut t = match self {
            ShiftRange::Float(r) => rng.uniform(-r, *r),
            ShiftRange::Int(n) => rng.below(*n) as f64 * sign(rng),
            ShiftRange::Values(v) => v[rng.below(v.len() as u64) as usize] * sign(rng),
        };
        if self.max() < 1.0 {
            t *= side;
        }
        Some(t)
    }
}

/// Keras's float `zoom_range`: `[1 - z, 1 + z]`.
pub fn zoom_range(z: f64) -> [f64; 2] {
    [1.0 - z, 1.0 + z]
}

const OP_GEN: &str = "ImageDataGenerator";
const OP_ITER: &str = "NumpyArrayIterator";

impl ImageDataGenerator {
    /// Checks the options as Keras's constructor does and applies its implications.
    pub fn validate(mut self) -> Result<ImageDataGenerator> {
        let vs = self.validation_split;
        if vs != 0.0 && !(vs > 0.0 && vs < 1.0) {
            return Err(Error::arg(
                OP_GEN,
                format!("`validation_split` must be strictly between 0 and 1. Received: {vs}"),
            ));
        }
        if !self.zoom_range.iter().all(|z| z.is_finite()) {
            return Err(Error::arg(
                OP_GEN,
                format!("`zoom_range` must be two finite floats, got {:?}", self.zoom_range),
            ));
        }
        if self.featurewise_std_normalization {
            self.featurewise_center = true;
        }
        if self.samplewise_std_normalization {
            self.samplewise_center = true;
        }
        Ok(self)
    }

    fn check_image(&self, op: &'static str, shape: &[usize], len: usize) -> Result<()> {
        if shape.len() != 3 {
            return Err(Error::arg(op, format!("expected a single image of rank 3, got shape {shape:?}")));
        }
        if shape.iter().product::<usize>() != len {
            return Err(Error::arg(op, format!("shape {shape:?} does not match {len} values")));
        }
        Ok(())
    }

    /// Draws transform parameters as Keras's `get_random_transform` (same draw order).
    /// `img_shape` is the shape of one image.
    pub fn get_random_transform(&self, img_shape: &[usize], rng: &mut ImageRng) -> TransformParams {
        let (ra, ca, _) = self.data_format.image_axes();
        let rows = img_shape.get(ra).copied().unwrap_or(1) as f64;
        let cols = img_shape.get(ca).copied().unwrap_or(1) as f64;
        let mut p = TransformParams::default();
        if self.rotation_range != 0.0 {
            p.theta = rng.uniform(-self.rotation_range, self.rotation_range);
        }
        if let Some(tx) = self.height_shift_range.draw(rng, rows) {
            p.tx = tx;
        }
        if let Some(ty) = self.width_shift_range.draw(rng, cols) {
            p.ty = ty;
        }
        if self.shear_range != 0.0 {
            p.shear = rng.uniform(-self.shear_range, self.shear_range);
        }
        if !(self.zoom_range[0] == 1.0 && self.zoom_range[1] == 1.0) {
            p.zx = rng.uniform(self.zoom_range[0], self.zoom_range[1]);
            p.zy = rng.uniform(self.zoom_range[0], self.zoom_range[1]);
        }
        // Keras draws both flips' numbers whether the flips are on or not.
        p.flip_horizontal = (rng.random() < 0.5) && self.horizontal_flip;
        p.flip_vertical = (rng.random() < 0.5) && self.vertical_flip;
        if self.channel_shift_range != 0.0 {
            let r = self.channel_shift_range;
            p.channel_shift_intensity = Some(rng.uniform(-r, r));
        }
        p
    }

    /// Applies `params` to one image of `shape` (rank 3, in `data_format`): Keras's
    /// `apply_transform` (affine, channel shift, horizontal flip, vertical flip).
    pub fn apply_transform(&self, x: &[f32], shape: &[usize], params: &TransformParams) -> Result<Vec<f32>> {
        self.check_image("apply_transform", shape, x.len())?;
        let (ra, ca, cha) = self.data_format.image_axes();
        let dims = [shape[0], shape[1], shape[2]];
        let mut out = apply_affine_transform(x, dims, (ra, ca, cha), params, self.fill_mode, self.cval);
        if let Some(c) = params.channel_shift_intensity {
            // Keras's apply_channel_shift: the bounds are the whole image's min and max.
            let lo = out.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            out.iter_mut().for_each(|v| *v = (*v + c as f32).clamp(lo, hi));
        }
        if params.flip_horizontal {
            out = flip_axis(&out, dims, ca);
        }
        if params.flip_vertical {
            out = flip_axis(&out, dims, ra);
        }
        Ok(out)
    }

    /// Keras's `random_transform(x, seed)`: draws parameters (from `seed`, or fresh randomness
    /// when `None`) and applies them.
    pub fn random_transform(&self, x: &[f32], shape: &[usize], seed: Option<u64>) -> Result<Vec<f32>> {
        let mut rng = match seed {
            Some(s) => ImageRng::new(s),
            None => ImageRng::from_entropy(),
        };
        self.check_image("random_transform", shape, x.len())?;
        let p = self.get_random_transform(shape, &mut rng);
        self.apply_transform(x, shape, &p)
    }

    /// Keras's `standardize` on one image of `shape` (rank 3), or on a batch (rank 4) for the
    /// rescale/featurewise steps; the samplewise statistics are over the whole array given, as
    /// Keras's (it is called per image by the iterators). Featurewise steps without a `fit` are
    /// skipped with a warning, as Keras.
    pub fn standardize(&self, x: &mut [f32], shape: &[usize]) -> Result<()> {
        if shape.iter().product::<usize>() != x.len() || !(shape.len() == 3 || shape.len() == 4) {
            return Err(Error::arg(
                "standardize",
                format!(
                    "expected an image (rank 3) or images (rank 4) matching {} values, got shape {shape:?}",
                    x.len()
                ),
            ));
        }
        if let Some(r) = self.rescale {
            if r != 0.0 {
                x.iter_mut().for_each(|v| *v *= r);
            }
        }
        if self.samplewise_center && !x.is_empty() {
            let mean = (x.iter().map(|&v| v as f64).sum::<f64>() / x.len() as f64) as f32;
            x.iter_mut().for_each(|v| *v -= mean);
        }
        if self.samplewise_std_normalization && !x.is_empty() {
            let n = x.len() as f64;
            let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
            let d = (var.sqrt() as f32) + 1e-6;
            x.iter_mut().for_each(|v| *v /= d);
        }
        let rank = shape.len();
        let cha = match self.data_format {
            DataFormat::ChannelsLast => rank - 1,
            DataFormat::ChannelsFirst => rank - 3,
        };
        let c = shape[cha];
        let inner: usize = shape[cha + 1..].iter().product();
        let per_channel = |x: &mut [f32], stat: &[f32], f: &dyn Fn(f32, f32) -> f32| {
            for (i, v) in x.iter_mut().enumerate() {
                let ch = (i / inner.max(1)) % c.max(1);
                *v = f(*v, stat[ch]);
            }
        };
        if self.featurewise_center {
            match &self.mean {
                Some(m) if m.len() == c => per_channel(x, m, &|v, m| v - m),
                Some(m) => {
                    return Err(Error::arg(
                        "standardize",
                        format!(
                            "the fitted mean has {} channels but the input shape {shape:?} has {c}",
                            m.len()
                        ),
                    ))
                }
                None => log::warn!(
                    "This ImageDataGenerator specifies `featurewise_center`, but it hasn't been \
                     fit on any training data. Fit it first by calling `.fit(numpy_data)`."
                ),
            }
        }
        if self.featurewise_std_normalization {
            match &self.std {
                Some(s) if s.len() == c => per_channel(x, s, &|v, s| v / (s + 1e-6)),
                Some(s) => {
                    return Err(Error::arg(
                        "standardize",
                        format!(
                            "the fitted std has {} channels but the input shape {shape:?} has {c}",
                            s.len()
                        ),
                    ))
                }
                None => log::warn!(
                    "This ImageDataGenerator specifies `featurewise_std_normalization`, but it \
                     hasn't been fit on any training data. Fit it first by calling \
                     `.fit(numpy_data)`."
                ),
            }
        }
        Ok(())
    }

    /// Keras's `fit`: computes the per-channel mean (when `featurewise_center`) and std (when
    /// `featurewise_std_normalization`) of `x` (rank 4), after `rescale` and, with `augment`,
    /// over `rounds` randomly transformed copies.
    pub fn fit(&mut self, x: &HostArray, augment: bool, rounds: usize, seed: Option<u64>) -> Result<()> {
        x.check("ImageDataGenerator.fit", "x")?;
        if x.dims.len() != 4 {
            return Err(Error::arg(
                "ImageDataGenerator.fit",
                format!("Input to `.fit()` should have rank 4. Got array with shape: {:?}", x.dims),
            ));
        }
        let cha = match self.data_format {
            DataFormat::ChannelsLast => 3,
            DataFormat::ChannelsFirst => 1,
        };
        let c = x.dims[cha];
        if ![1, 3, 4].contains(&c) {
            log::warn!(
                "ImageDataGenerator.fit: expected 1, 3 or 4 channels on axis {cha}, got shape {:?}",
                x.dims
            );
        }
        let mut data = x.data.clone();
        if let Some(r) = self.rescale {
            if r != 0.0 {
                data.iter_mut().for_each(|v| *v *= r);
            }
        }
        let img_shape = &x.dims[1..];
        let img = x.row();
        if augment {
            let mut rng = match seed {
                Some(s) => ImageRng::new(s),
                None => ImageRng::from_entropy(),
            };
            let mut ax = Vec::with_capacity(data.len() * rounds);
            for _ in 0..rounds {
                for i in 0..x.len() {
                    let p = self.get_random_transform(img_shape, &mut rng);
                    ax.extend(self.apply_transform(&data[i * img..(i + 1) * img], img_shape, &p)?);
                }
            }
            data = ax;
        }
        let inner: usize = x.dims[cha + 1..].iter().product();
        let count = data.len() / c.max(1);
        let chan_of = |i: usize| (i / inner.max(1)) % c.max(1);
        if self.featurewise_center {
            let mut sums = vec![0f64; c];
            for (i, &v) in data.iter().enumerate() {
                sums[chan_of(i)] += v as f64;
            }
            let mean: Vec<f32> = sums.iter().map(|s| (s / count.max(1) as f64) as f32).collect();
            for (i, v) in data.iter_mut().enumerate() {
                *v -= mean[chan_of(i)];
            }
            self.mean = Some(mean);
        }
        if self.featurewise_std_normalization {
            let mut sums = vec![0f64; c];
            for (i, &v) in data.iter().enumerate() {
                sums[chan_of(i)] += v as f64;
            }
            let means: Vec<f64> = sums.iter().map(|s| s / count.max(1) as f64).collect();
            let mut sq = vec![0f64; c];
            for (i, &v) in data.iter().enumerate() {
                let ch = chan_of(i);
                sq[ch] += (v as f64 - means[ch]).powi(2);
            }
            self.std = Some(sq.iter().map(|s| (s / count.max(1) as f64).sqrt() as f32).collect());
        }
        Ok(())
    }

    /// Keras's `flow`: a [`NumpyArrayIterator`] over `x` (rank 4) with this generator, its
    /// `data_format` and `dtype`. `options.data_format`/`dtype` are overridden by the
    /// generator's (as Keras's `flow` passes its own); Keras's `flow` defaults to
    /// `shuffle = true` — use [`FlowOptions::for_flow`].
    pub fn flow(
        &self,
        x: HostArray,
        y: Option<HostArray>,
        mut options: FlowOptions,
    ) -> Result<NumpyArrayIterator> {
        options.data_format = self.data_format;
        options.dtype = self.dtype;
        NumpyArrayIterator::new(x, y, self.clone(), options)
    }
}

/// Reverses axis `axis` of a rank-3 array.
fn flip_axis(x: &[f32], dims: [usize; 3], axis: usize) -> Vec<f32> {
    let mut out = vec![0f32; x.len()];
    let strides = [dims[1] * dims[2], dims[2], 1];
    for (i, o) in out.iter_mut().enumerate() {
        let mut idx = [i / strides[0], (i / strides[1]) % dims[1].max(1), i % dims[2].max(1)];
        idx[axis] = dims[axis] - 1 - idx[axis];
        *o = x[idx[0] * strides[0] + idx[1] * strides[1] + idx[2]];
    }
    out
}

fn mat3(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut c = [[0f64; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            c[i][j] = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    c
}

/// The sample of the 1-D index `k` (any integer) for `fill_mode`, or `None` for the constant.
fn tap_index(k: i64, n: usize, mode: FillMode) -> Option<usize> {
    let n = n as i64;
    if (0..n).contains(&k) {
        return Some(k as usize);
    }
    match mode {
        FillMode::Constant => None,
        FillMode::Nearest | FillMode::Wrap => Some(k.clamp(0, n - 1) as usize),
        FillMode::Reflect => {
            let p = 2 * n;
            let mut m = k.rem_euclid(p);
            if m >= n {
                m = p - 1 - m;
            }
            Some(m as usize)
        }
    }
}

/// SciPy's `wrap` coordinate mapping (period `n - 1`), applied before interpolation.
fn wrap_coord(c: f64, n: usize) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    let sz = (n - 1) as f64;
    if c < 0.0 {
        c + sz * ((-c / sz).trunc() + 1.0)
    } else if c > sz {
        c - sz * (c / sz).trunc()
    } else {
        c
    }
}

/// Keras's `apply_affine_transform` with `order=1` on a rank-3 image.
fn apply_affine_transform(
    x: &[f32],
    dims: [usize; 3],
    (ra, ca, cha): (usize, usize, usize),
    p: &TransformParams,
    mode: FillMode,
    cval: f64,
) -> Vec<f32> {
    let mut m: Option<[[f64; 3]; 3]> = None;
    let compose = |m: Option<[[f64; 3]; 3]>, b: [[f64; 3]; 3]| match m {
        None => Some(b),
        Some(a) => Some(mat3(&a, &b)),
    };
    if p.theta != 0.0 {
        let t = p.theta.to_radians();
        m = compose(m, [[t.cos(), -t.sin(), 0.0], [t.sin(), t.cos(), 0.0], [0.0, 0.0, 1.0]]);
    }
    if p.tx != 0.0 || p.ty != 0.0 {
        m = compose(m, [[1.0, 0.0, p.tx], [0.0, 1.0, p.ty], [0.0, 0.0, 1.0]]);
    }
    if p.shear != 0.0 {
        let s = p.shear.to_radians();
        m = compose(m, [[1.0, -s.sin(), 0.0], [0.0, s.cos(), 0.0], [0.0, 0.0, 1.0]]);
    }
    if p.zx != 1.0 || p.zy != 1.0 {
        m = compose(m, [[p.zx, 0.0, 0.0], [0.0, p.zy, 0.0], [0.0, 0.0, 1.0]]);
    }
    let Some(m) = m else {
        return x.to_vec();
    };
    let (h, w) = (dims[ra], dims[ca]);
    let ox = h as f64 / 2.0 - 0.5;
    let oy = w as f64 / 2.0 - 0.5;
    let offset = [[1.0, 0.0, ox], [0.0, 1.0, oy], [0.0, 0.0, 1.0]];
    let reset = [[1.0, 0.0, -ox], [0.0, 1.0, -oy], [0.0, 0.0, 1.0]];
    let mut t = mat3(&mat3(&offset, &m), &reset);
    // Keras swaps the x/y roles (columns then rows) since the column axis follows the row axis.
    for row in t.iter_mut() {
        row.swap(0, 1);
    }
    t.swap(0, 1);
    let (a, off) = ([[t[0][0], t[0][1]], [t[1][0], t[1][1]]], [t[0][2], t[1][2]]);

    let strides = [dims[1] * dims[2], dims[2], 1];
    let (sr, sc, sch) = (strides[ra], strides[ca], strides[cha]);
    let nch = dims[cha];
    let mut out = vec![0f32; x.len()];
    for i in 0..h {
        for j in 0..w {
            let mut ci = a[0][0] * i as f64 + a[0][1] * j as f64 + off[0];
            let mut cj = a[1][0] * i as f64 + a[1][1] * j as f64 + off[1];
            let dst = i * sr + j * sc;
            if mode == FillMode::Constant {
                // SciPy's `constant`: no interpolation beyond the edges.
                if !(ci >= 0.0 && ci <= (h - 1) as f64 && cj >= 0.0 && cj <= (w - 1) as f64) {
                    for ch in 0..nch {
                        out[dst + ch * sch] = cval as f32;
                    }
                    continue;
                }
            }
            if mode == FillMode::Wrap {
                ci = wrap_coord(ci, h);
                cj = wrap_coord(cj, w);
            }
            let (fi, fj) = (ci.floor(), cj.floor());
            let (wi, wj) = (ci - fi, cj - fj);
            let (i0, j0) = (fi as i64, fj as i64);
            let taps = [
                (i0, j0, (1.0 - wi) * (1.0 - wj)),
                (i0, j0 + 1, (1.0 - wi) * wj),
                (i0 + 1, j0, wi * (1.0 - wj)),
                (i0 + 1, j0 + 1, wi * wj),
            ];
            for ch in 0..nch {
                let mut v = 0f64;
                for &(ti, tj, wt) in &taps {
                    if wt == 0.0 {
                        continue;
                    }
                    let s = match (tap_index(ti, h, mode), tap_index(tj, w, mode)) {
                        (Some(a), Some(b)) => x[a * sr + b * sc + ch * sch] as f64,
                        _ => cval,
                    };
                    v += wt * s;
                }
                out[dst + ch * sch] = v as f32;
            }
        }
    }
    out
}

/// Which part of the data an iterator reads when the generator has a `validation_split`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subset {
    Training,
    Validation,
}

impl Subset {
    /// Parses `"training"` / `"validation"` (Keras's error otherwise).
    pub fn parse(s: &str) -> Result<Subset> {
        match s {
            "training" => Ok(Subset::Training),
            "validation" => Ok(Subset::Validation),
            _ => Err(Error::arg(
                OP_ITER,
                format!("Invalid subset name: {s}; expected \"training\" or \"validation\"."),
            )),
        }
    }
}

/// The keyword arguments of `NumpyArrayIterator` (besides `x`, `y`, `image_data_generator`),
/// with Keras's defaults, plus the device the batches go to.
#[derive(Debug, Clone)]
pub struct FlowOptions {
    pub batch_size: usize,
    pub shuffle: bool,
    pub sample_weight: Option<Vec<f32>>,
    pub seed: Option<u64>,
    pub data_format: DataFormat,
    pub save_to_dir: Option<PathBuf>,
    pub save_prefix: String,
    /// Only `"png"` is written here.
    pub save_format: String,
    pub subset: Option<Subset>,
    pub ignore_class_split: bool,
    pub dtype: DType,
    pub device: Device,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions {
            batch_size: 32,
            shuffle: false,
            sample_weight: None,
            seed: None,
            data_format: DataFormat::ChannelsLast,
            save_to_dir: None,
            save_prefix: String::new(),
            save_format: "png".into(),
            subset: None,
            ignore_class_split: false,
            dtype: DType::F32,
            device: Device::Cpu,
        }
    }
}

impl FlowOptions {
    /// The defaults of `ImageDataGenerator.flow` (`shuffle = true`).
    pub fn for_flow() -> FlowOptions {
        FlowOptions { shuffle: true, ..Default::default() }
    }
}

/// Keras's `NumpyArrayIterator`: batches of (transformed, standardized) images from host data.
/// Implements [`Sequence`] (`len`, `get`, `on_epoch_end`) and `Iterator` (Keras's `next`: an
/// endless stream of batches, reshuffled at the start of each pass).
#[derive(Debug)]
pub struct NumpyArrayIterator {
    x: HostArray,
    y: Option<HostArray>,
    sample_weight: Option<HostArray>,
    generator: ImageDataGenerator,
    opts: FlowOptions,
    n: usize,
    batch_index: usize,
    total_batches_seen: u64,
    index_array: Option<Vec<usize>>,
    rng: ImageRng,
}

fn unique_sorted(v: &[f32]) -> Vec<f32> {
    let mut u = v.to_vec();
    u.sort_by(|a, b| a.total_cmp(b));
    u.dedup_by(|a, b| a.total_cmp(b).is_eq());
    u
}

impl NumpyArrayIterator {
    /// Keras's constructor. `x` must be rank 4; `y` and `sample_weight` (if any) must have as
    /// many samples as `x`. A channel count other than 1, 3 or 4 is only a warning, as Keras's.
    pub fn new(
        x: HostArray,
        y: Option<HostArray>,
        image_data_generator: ImageDataGenerator,
        options: FlowOptions,
    ) -> Result<NumpyArrayIterator> {
        let generator = image_data_generator.validate()?;
        x.check(OP_ITER, "x")?;
        if let Some(y) = &y {
            y.check(OP_ITER, "y")?;
        }
        if options.batch_size == 0 {
            return Err(Error::arg(OP_ITER, "batch_size must be at least 1, got 0"));
        }
        if options.save_to_dir.is_some() && !options.save_format.eq_ignore_ascii_case("png") {
            return Err(Error::arg(
                OP_ITER,
                format!("save_format {:?} is not supported; only \"png\"", options.save_format),
            ));
        }
        if let Some(y) = &y {
            if y.len() != x.len() || y.dims.is_empty() {
                return Err(Error::arg(
                    OP_ITER,
                    format!(
                        "`x` (images tensor) and `y` (labels) should have the same length. \
                         Found: x.shape = {:?}, y.shape = {:?}",
                        x.dims, y.dims
                    ),
                ));
            }
        }
        let sample_weight = match options.sample_weight.clone() {
            None => None,
            Some(sw) => {
                if sw.len() != x.len() {
                    return Err(Error::arg(
                        OP_ITER,
                        format!(
                            "`x` (images tensor) and `sample_weight` should have the same \
                             length. Found: x.shape = {:?}, sample_weight.shape = [{}]",
                            x.dims,
                            sw.len()
                        ),
                    ));
                }
                let n = sw.len();
                Some(HostArray { data: sw, dims: vec![n] })
            }
        };
        let (mut x, mut y, mut sample_weight) = (x, y, sample_weight);
        if let Some(subset) = options.subset {
            let split = (x.len() as f64 * generator.validation_split) as usize;
            if let Some(yy) = &y {
                if !options.ignore_class_split {
                    let r = yy.row();
                    let head = unique_sorted(&yy.data[..split * r]);
                    let tail = unique_sorted(&yy.data[split * r..]);
                    if head != tail {
                        return Err(Error::arg(
                            OP_ITER,
                            "Training and validation subsets have different number of classes \
                             after the split. If your numpy arrays are sorted by the label, you \
                             might want to shuffle them.",
                        ));
                    }
                }
            }
            let (s, e) = match subset {
                Subset::Validation => (0, split),
                Subset::Training => (split, x.len()),
            };
            x = x.slice_rows(s, e);
            y = y.map(|a| a.slice_rows(s, e));
            sample_weight = sample_weight.map(|a| a.slice_rows(s, e));
        }
        if x.dims.len() != 4 {
            return Err(Error::arg(
                OP_ITER,
                format!(
                    "Input data in `NumpyArrayIterator` should have rank 4. You passed an array \
                     with shape {:?}",
                    x.dims
                ),
            ));
        }
        let cha = match options.data_format {
            DataFormat::ChannelsLast => 3,
            DataFormat::ChannelsFirst => 1,
        };
        if ![1, 3, 4].contains(&x.dims[cha]) {
            // Keras only warns here; nothing else changes.
            log::warn!(
                "NumpyArrayIterator is set to use the data format convention {:?} (channels on \
                 axis {cha}), i.e. expected either 1, 3, or 4 channels on axis {cha}. However, \
                 it was passed an array with shape {:?} ({} channels).",
                options.data_format,
                x.dims,
                x.dims[cha]
            );
        }
        // `np.asarray(x, dtype)`: integer dtypes truncate the values.
        if matches!(options.dtype, DType::I32 | DType::U32 | DType::Bool) {
            x.data.iter_mut().for_each(|v| *v = v.trunc());
        }
        let n = x.len();
        let rng = match options.seed {
            Some(s) => ImageRng::new(s),
            None => ImageRng::from_entropy(),
        };
        let generator = ImageDataGenerator { data_format: options.data_format, ..generator };
        Ok(NumpyArrayIterator {
            x,
            y,
            sample_weight,
            generator,
            opts: options,
            n,
            batch_index: 0,
            total_batches_seen: 0,
            index_array: None,
            rng,
        })
    }

    /// Number of samples (after the subset split).
    pub fn n(&self) -> usize {
        self.n
    }

    pub fn batch_size(&self) -> usize {
        self.opts.batch_size
    }

    /// The current order of the samples (set lazily, reshuffled by `on_epoch_end`).
    pub fn index_array(&self) -> Option<&[usize]> {
        self.index_array.as_deref()
    }

    /// Keras's `reset`: the next `next()` starts a new pass (and reshuffles).
    pub fn reset(&mut self) {
        self.batch_index = 0;
    }

    fn reseed(&mut self) {
        if let Some(s) = self.opts.seed {
            self.rng = ImageRng::new(s.wrapping_add(self.total_batches_seen));
        }
    }

    fn set_index_array(&mut self) {
        self.index_array =
            Some(if self.opts.shuffle { self.rng.permutation(self.n) } else { (0..self.n).collect() });
    }

    /// Keras's `next()`: the next batch of the endless stream (`_flow_index`).
    pub fn next_batch(&mut self) -> Result<Batch> {
        self.reseed();
        if self.batch_index == 0 || self.index_array.is_none() {
            self.set_index_array();
        }
        let bs = self.opts.batch_size;
        let current = if self.n == 0 { 0 } else { (self.batch_index * bs) % self.n };
        if self.n > current + bs {
            self.batch_index += 1;
        } else {
            self.batch_index = 0;
        }
        self.total_batches_seen += 1;
        let idx = self.index_array.as_deref().unwrap_or(&[]);
        let idx = idx[current.min(idx.len())..(current + bs).min(idx.len())].to_vec();
        self.batch_of(&idx)
    }

    fn batch_of(&mut self, index: &[usize]) -> Result<Batch> {
        let img_shape = self.x.dims[1..].to_vec();
        let img = self.x.row();
        let mut bx = Vec::with_capacity(index.len() * img);
        for &j in index {
            let xi = &self.x.data[j * img..(j + 1) * img];
            let p = self.generator.get_random_transform(&img_shape, &mut self.rng);
            let mut t = self.generator.apply_transform(xi, &img_shape, &p)?;
            self.generator.standardize(&mut t, &img_shape)?;
            bx.extend(t);
        }
        if matches!(self.opts.dtype, DType::I32 | DType::U32 | DType::Bool) {
            bx.iter_mut().for_each(|v| *v = v.trunc());
        }
        if let Some(dir) = self.opts.save_to_dir.clone() {
            for (i, &j) in index.iter().enumerate() {
                let hash = self.rng.below(10_000);
                let name = format!("{}_{}_{}.{}", self.opts.save_prefix, j, hash, self.opts.save_format);
                save_png(&dir.join(name), &bx[i * img..(i + 1) * img], &img_shape, self.opts.data_format)?;
            }
        }
        let mut xdims = self.x.dims.clone();
        xdims[0] = index.len();
        let y = self.y.as_ref().map(|y| y.take_rows(index));
        let sw = self.sample_weight.as_ref().map(|s| s.take_rows(index));
        Batch::from_host(
            (bx, &xdims),
            y.as_ref().map(|a| (a.data.clone(), a.dims.as_slice())),
            sw.as_ref().map(|a| (a.data.clone(), a.dims.as_slice())),
            self.opts.dtype,
            &self.opts.device,
        )
    }
}

impl Sequence for NumpyArrayIterator {
    fn len(&self) -> usize {
        self.n.div_ceil(self.opts.batch_size)
    }

    fn get(&mut self, index: usize) -> Result<Batch> {
        if index >= self.len() {
            return Err(index_error(OP_ITER, index, self.len()));
        }
        self.reseed();
        self.total_batches_seen += 1;
        if self.index_array.is_none() {
            self.set_index_array();
        }
        let bs = self.opts.batch_size;
        let idx = self.index_array.as_deref().unwrap_or(&[]);
        let idx = idx[(bs * index).min(idx.len())..(bs * (index + 1)).min(idx.len())].to_vec();
        self.batch_of(&idx)
    }

    fn on_epoch_end(&mut self) {
        self.set_index_array();
    }
}

impl Iterator for NumpyArrayIterator {
    type Item = Result<Batch>;

    /// Endless, as Keras's `__next__`.
    fn next(&mut self) -> Option<Result<Batch>> {
        Some(self.next_batch())
    }
}

/// Keras's `array_to_img(x, data_format, scale=True)` then a PNG save: shifted to min 0,
/// scaled to max 255, truncated to u8; 1 channel = grayscale, 3 = RGB, 4 = RGBA. Written to a
/// temporary name in the same folder, then renamed.
fn save_png(path: &Path, x: &[f32], shape: &[usize], fmt: DataFormat) -> Result<()> {
    const OP: &str = "NumpyArrayIterator.save_to_dir";
    let (h, w, c) = match fmt {
        DataFormat::ChannelsLast => (shape[0], shape[1], shape[2]),
        DataFormat::ChannelsFirst => (shape[1], shape[2], shape[0]),
    };
    let color = match c {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        4 => png::ColorType::Rgba,
        _ => return Err(Error::arg(OP, format!("Unsupported channel number: {c} (shape {shape:?})"))),
    };
    let min = x.iter().copied().fold(f32::INFINITY, f32::min);
    let mut v: Vec<f32> = x.iter().map(|&a| a - min).collect();
    let max = v.iter().copied().fold(0f32, f32::max);
    if max != 0.0 {
        v.iter_mut().for_each(|a| *a /= max);
    }
    let mut bytes = vec![0u8; h * w * c];
    for i in 0..h {
        for j in 0..w {
            for ch in 0..c {
                let src = match fmt {
                    DataFormat::ChannelsLast => (i * w + j) * c + ch,
                    DataFormat::ChannelsFirst => ch * h * w + i * w + j,
                };
                bytes[(i * w + j) * c + ch] = (v[src] * 255.0).clamp(0.0, 255.0) as u8;
            }
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id()
    ));
    let write = || -> std::result::Result<(), String> {
        let file = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&bytes).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
        Ok(())
    };
    if let Err(msg) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::format(OP, path, format!("cannot write PNG: {msg}")));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(OP, path, e)
    })
}
