//! The UCI "Optical Recognition of Handwritten Digits" test set (E. Alpaydin, C. Kaynak, 1998;
//! UCI Machine Learning Repository, CC BY 4.0): 1797 images of 8x8 pixels with values 0..16,
//! and their labels 0..9. Shipped gzip-compressed inside the crate.

use std::io::Read;

use wgkeras_runtime::{Device, Tensor};

use crate::error::{Error, Result};

const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../data/digits.csv.gz");

/// Rows in the set, pixels per image, classes.
pub const SAMPLES: usize = 1797;
pub const PIXELS: usize = 64;
pub const CLASSES: usize = 10;

/// The whole set in host memory: `pixels` is `SAMPLES x PIXELS` row-major (0..16), `labels`
/// has one class per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Digits {
    pub pixels: Vec<f32>,
    pub labels: Vec<i32>,
}

impl Digits {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Images as a float32 tensor `[n, 64]`, scaled by `scale` (e.g. 1/16 for values in 0..1),
    /// and labels as an int32 tensor `[n]`, on `device`.
    pub fn tensors(&self, scale: f32, device: &Device) -> Result<(Tensor, Tensor)> {
        let x: Vec<f32> = self.pixels.iter().map(|p| p * scale).collect();
        let x = Tensor::from_vec(x, &[self.len(), PIXELS], device)?;
        let y = Tensor::from_vec(self.labels.clone(), &[self.len()], device)?;
        Ok((x, y))
    }

    /// Splits off the last `test_fraction` of the rows (after a seeded shuffle when `seed` is
    /// given) as `(train, test)`, like the 80/20 split the examples use.
    pub fn split(&self, test_fraction: f64, seed: Option<u64>) -> Result<(Digits, Digits)> {
        if !(0.0..=1.0).contains(&test_fraction) {
            return Err(Error::arg(
                "digits.split",
                format!("test_fraction must be in [0, 1], got {test_fraction}"),
            ));
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        if let Some(seed) = seed {
            // Fisher-Yates with SplitMix64: a fixed permutation per seed on every platform.
            let mut state = seed;
            let mut next = || {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            };
            for i in (1..order.len()).rev() {
                order.swap(i, (next() % (i as u64 + 1)) as usize);
            }
        }
        let n_test = (self.len() as f64 * test_fraction).round() as usize;
        let pick = |rows: &[usize]| Digits {
            pixels: rows
                .iter()
                .flat_map(|&r| self.pixels[r * PIXELS..(r + 1) * PIXELS].iter().copied())
                .collect(),
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
        };
        let (train, test) = order.split_at(self.len() - n_test);
        Ok((pick(train), pick(test)))
    }
}

/// Decompresses and parses the shipped set.
pub fn load_data() -> Result<Digits> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .map_err(|e| Error::format("digits.load_data", "digits.csv.gz", format!("cannot decompress: {e}")))?;
    let mut pixels = Vec::with_capacity(SAMPLES * PIXELS);
    let mut labels = Vec::with_capacity(SAMPLES);
    for (line_no, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let bad = |msg: String| {
            Error::format("digits.load_data", "digits.csv.gz", format!("line {}: {msg}", line_no + 1))
        };
        if fields.len() != PIXELS + 1 {
            return Err(bad(format!("{} fields, expected {}", fields.len(), PIXELS + 1)));
        }
        for f in &fields[..PIXELS] {
            pixels.push(f.trim().parse::<f32>().map_err(|e| bad(format!("pixel {f:?}: {e}")))?);
        }
        let label = fields[PIXELS].trim();
        labels.push(label.parse::<i32>().map_err(|e| bad(format!("label {label:?}: {e}")))?);
    }
    Ok(Digits { pixels, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_matches_its_description() {
        let d = load_data().unwrap();
        assert_eq!(d.len(), SAMPLES);
        assert_eq!(d.pixels.len(), SAMPLES * PIXELS);
        assert!(d.pixels.iter().all(|&p| (0.0..=16.0).contains(&p) && p.fract() == 0.0));
        let mut counts = [0usize; CLASSES];
        for &l in &d.labels {
            counts[l as usize] += 1;
        }
        assert!(counts.iter().all(|&c| (174..=183).contains(&c)), "{counts:?}");
    }

    #[test]
    fn split_is_seeded_and_complete() {
        let d = load_data().unwrap();
        let (train, test) = d.split(0.2, Some(7)).unwrap();
        assert_eq!((train.len(), test.len()), (1438, 359));
        assert_eq!(d.split(0.2, Some(7)).unwrap().1, test);
        assert_ne!(d.split(0.2, Some(8)).unwrap().1, test);
        let mut all: Vec<i32> = train.labels.iter().chain(&test.labels).copied().collect();
        let mut orig = d.labels.clone();
        all.sort();
        orig.sort();
        assert_eq!(all, orig);
        assert!(d.split(1.5, None).is_err());
    }
}
