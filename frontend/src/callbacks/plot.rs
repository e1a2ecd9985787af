//! `History::plot(path)`: the loss and metric curves of a `fit`, as a PNG or SVG file.
//!
//! One panel per key that is not a `val_` key (the loss first, then the metrics in the order
//! they were logged), each with the training curve and, when present, the `val_` curve, a
//! legend, a title and axis labels (`epoch`, 1-based, and the key). Panels are laid out two
//! per row, each [`PANEL_WIDTH`] x [`PANEL_HEIGHT`] pixels. Non-finite values are left out of
//! the curves.
//!
//! Text is drawn with DejaVu Sans (a free, permissively licensed font) embedded in the binary
//! by the `dejavu` crate and registered with plotters under the name `"DejaVu Sans"`, so no
//! system font is needed: a fresh machine without fonts renders the PNG the same, and the SVG
//! names that family in its `<text>` elements (viewers without it fall back to another sans
//! serif font). The image is drawn in memory (PNG encoded with the `png` crate), written to a
//! temporary name beside `path` and renamed into place.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::History;
use crate::error::{Error, Result};
use crate::utils::files::write_bytes_atomically;

const OP: &str = "History.plot";
/// The width of one panel in pixels.
pub const PANEL_WIDTH: u32 = 560;
/// The height of one panel in pixels.
pub const PANEL_HEIGHT: u32 = 400;
const FONT: &str = "DejaVu Sans";
const TRAIN_COLOR: RGBColor = RGBColor(31, 119, 180);
const VAL_COLOR: RGBColor = RGBColor(255, 127, 14);

fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::arg(OP, "the embedded DejaVu Sans font could not be loaded"))
    }
}

fn draw_err(e: impl std::fmt::Display) -> Error {
    Error::arg(OP, format!("drawing failed: {e}"))
}

impl History {
    /// The panels' keys: every key without the `val_` prefix, plus `val_` keys whose training
    /// key is absent.
    fn plot_keys(&self) -> Vec<&str> {
        let keys = self.keys();
        let mut out: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| match k.strip_prefix("val_") {
                Some(base) => !keys.contains(&base),
                None => true,
            })
            .collect();
        // The loss first (the logs are sorted by name, so it may come after a metric).
        if let Some(i) = out.iter().position(|k| *k == "loss") {
            let loss = out.remove(i);
            out.insert(0, loss);
        }
        out
    }

    /// The size in pixels of the image [`History::plot`] writes.
    pub fn plot_size(&self) -> (u32, u32) {
        let n = self.plot_keys().len().max(1) as u32;
        let cols = n.min(2);
        (cols * PANEL_WIDTH, n.div_ceil(cols) * PANEL_HEIGHT)
    }

    /// Plots the loss and metrics to `path`: a `.png` or `.svg` file (by the extension, any
    /// case); see the module docs.
    pub fn plot(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let ext = path.extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
        if self.plot_keys().is_empty() {
            return Err(Error::arg(OP, "the history is empty: there is nothing to plot"));
        }
        register_font()?;
        let (w, h) = self.plot_size();
        let bytes = match ext.as_deref() {
            Some("png") => {
                let mut rgb = vec![0u8; w as usize * h as usize * 3];
                {
                    let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                    self.draw(&root)?;
                    root.present().map_err(draw_err)?;
                }
                encode_png(&rgb, w, h)?
            }
            Some("svg") => {
                let mut svg = String::new();
                {
                    let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                    self.draw(&root)?;
                    root.present().map_err(draw_err)?;
                }
                svg.into_bytes()
            }
            _ => {
                return Err(Error::arg(OP, format!("{}: the file must end in .png or .svg", path.display())))
            }
        };
        write_bytes_atomically(OP, path, &bytes)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        root.fill(&WHITE).map_err(draw_err)?;
        let keys = self.plot_keys();
        let cols = keys.len().min(2);
        let rows = keys.len().div_ceil(cols);
        let panels = root.split_evenly((rows, cols));
        let epochs: Vec<f64> = self.epoch.iter().map(|&e| e as f64 + 1.0).collect();
        for (panel, key) in panels.iter().zip(&keys) {
            let base = key.strip_prefix("val_").filter(|b| self.get(b).is_none()).unwrap_or(key);
            let mut curves: Vec<(String, Vec<(f64, f64)>, RGBColor)> = vec![];
            for (name, color) in [(base.to_string(), TRAIN_COLOR), (format!("val_{base}"), VAL_COLOR)] {
                if let Some(vals) = self.get(&name) {
                    let pts =
                        epochs.iter().zip(vals).map(|(&x, &y)| (x, y)).filter(|p| p.1.is_finite()).collect();
                    curves.push((name, pts, color));
                }
            }
            let (x0, x1) = padded(epochs.iter().copied());
            let (y0, y1) = padded(curves.iter().flat_map(|c| c.1.iter().map(|p| p.1)));
            let mut chart = ChartBuilder::on(panel)
                .caption(base, (FONT, 20))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .y_desc(base)
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 15))
                .draw()
                .map_err(draw_err)?;
            for (name, pts, color) in curves {
                let style = color.stroke_width(2);
                chart
                    .draw_series(LineSeries::new(pts.clone(), style))
                    .map_err(draw_err)?
                    .label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
                // Markers, so a one-epoch history shows its point.
                chart
                    .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                    .map_err(draw_err)?;
            }
            chart
                .configure_series_labels()
                .label_font((FONT, 13))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(draw_err)?;
        }
        Ok(())
    }
}

/// The range of the values with a margin of 5% (or +-0.5 around a single value, 0..1 for no
/// values).
fn padded(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 * hi.abs().max(1.0) {
        let d = 0.5f64.max(hi.abs() * 0.05);
        return (lo - d, hi + d);
    }
    let d = (hi - lo) * 0.05;
    (lo - d, hi + d)
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let err = |e: png::EncodingError| Error::arg(OP, format!("PNG encoding failed: {e}"));
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(rgb).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}
