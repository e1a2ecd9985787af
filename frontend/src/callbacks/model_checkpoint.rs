//! `keras.callbacks.ModelCheckpoint`: saves the model (or its weights) during `fit`, to a
//! path that is a Python format template (`"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`). The
//! template is filled as Python's `str.format` does, for the field specs Keras users write
//! (fill, alignment, sign, zero-padding, width, precision and the `d`, `f`, `e`, `g`, `%`
//! types, and Python's `repr` of a float for a bare `{val_loss}`).

use std::path::Path;

use super::early_stopping::Monitor;
use super::{Callback, Logs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::progbar::print_msg;

const CLASS: &str = "ModelCheckpoint";

/// When a callback saves: at the end of every epoch, or every `n` batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveFreq {
    Epoch,
    Batches(usize),
}

/// `ModelCheckpoint`'s arguments after `filepath`, with Keras's defaults.
#[derive(Clone, Debug)]
pub struct ModelCheckpointArgs {
    pub monitor: String,
    pub verbose: u8,
    pub save_best_only: bool,
    pub save_weights_only: bool,
    /// `"auto"`, `"min"` or `"max"` (anything else warns and is `"auto"`, as Keras does).
    pub mode: String,
    pub save_freq: SaveFreq,
    pub initial_value_threshold: Option<f64>,
}

impl Default for ModelCheckpointArgs {
    fn default() -> Self {
        ModelCheckpointArgs {
            monitor: "val_loss".into(),
            verbose: 0,
            save_best_only: false,
            save_weights_only: false,
            mode: "auto".into(),
            save_freq: SaveFreq::Epoch,
            initial_value_threshold: None,
        }
    }
}

/// `keras.callbacks.ModelCheckpoint(filepath, ...)`.
pub struct ModelCheckpoint {
    filepath: String,
    monitor: Monitor,
    verbose: u8,
    save_best_only: bool,
    save_weights_only: bool,
    save_freq: SaveFreq,
    /// The best monitored value so far (starts at `initial_value_threshold`).
    pub best: Option<f64>,
    batches_seen_since_last_saving: usize,
    last_batch_seen: Option<usize>,
    current_epoch: usize,
    warned_missing: bool,
}

impl ModelCheckpoint {
    pub fn new(filepath: impl AsRef<Path>, args: ModelCheckpointArgs) -> Result<ModelCheckpoint> {
        let filepath = filepath.as_ref().to_string_lossy().into_owned();
        // Keras asks for `.weights.h5` / `.keras` (or legacy `.h5`); wgkeras writes weights as
        // `.safetensors` (`Model::save_weights`) and models as `.keras` bundles.
        if args.save_weights_only {
            if !filepath.ends_with(".safetensors") {
                return Err(Error::arg(
                    CLASS,
                    format!(
                        "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided \
                         must end in `.safetensors` (e.g. `.weights.safetensors`, the wgkeras weights format). \
                         Received: filepath={filepath}"
                    ),
                ));
            }
        } else if !filepath.ends_with(".keras") {
            return Err(Error::arg(
                CLASS,
                format!(
                    "The filepath provided must end in `.keras` (Keras model format). Received: \
                     filepath={filepath}"
                ),
            ));
        }
        Ok(ModelCheckpoint {
            filepath,
            monitor: Monitor::new(CLASS, &args.monitor, &args.mode, 0.0),
            verbose: args.verbose,
            save_best_only: args.save_best_only,
            save_weights_only: args.save_weights_only,
            save_freq: args.save_freq,
            best: args.initial_value_threshold,
            batches_seen_since_last_saving: 0,
            last_batch_seen: None,
            current_epoch: 0,
            warned_missing: false,
        })
    }

    fn should_save_on_batch(&mut self, batch: usize) -> bool {
        let SaveFreq::Batches(freq) = self.save_freq else { return false };
        let add = match self.last_batch_seen {
            Some(last) if batch > last => batch - last,
            // A new epoch (batches are zero-indexed).
            _ => batch + 1,
        };
        self.batches_seen_since_last_saving += add;
        self.last_batch_seen = Some(batch);
        if self.batches_seen_since_last_saving >= freq {
            self.batches_seen_since_last_saving = 0;
            return true;
        }
        false
    }

    fn should_save_model(&mut self, epoch: usize, logs: &Logs, filepath: &str) -> Result<bool> {
        if !self.save_best_only {
            if self.verbose > 0 {
                msg(&format!("\nEpoch {}: saving model to {filepath}", epoch + 1))?;
            }
            return Ok(true);
        }
        let Some(current) = logs.get(&self.monitor.monitor) else {
            if !self.warned_missing {
                self.warned_missing = true;
                eprintln!("UserWarning: Can save best model only with {} available.", self.monitor.monitor);
            }
            return Ok(true);
        };
        let best_str = self.best.map_or_else(|| "None".to_string(), |b| format!("{b:.5}"));
        if self.monitor.is_improvement(current, self.best) {
            if self.verbose > 0 {
                msg(&format!(
                    "\nEpoch {}: {} improved from {best_str} to {current:.5}, saving model to {filepath}",
                    epoch + 1,
                    self.monitor.monitor
                ))?;
            }
            self.best = Some(current);
            Ok(true)
        } else {
            if self.verbose > 0 {
                msg(&format!(
                    "\nEpoch {}: {} did not improve from {best_str}",
                    epoch + 1,
                    self.monitor.monitor
                ))?;
            }
            Ok(false)
        }
    }

    fn save_model(
        &mut self,
        model: &mut Model,
        epoch: usize,
        batch: Option<usize>,
        logs: &Logs,
    ) -> Result<()> {
        let filepath = self.file_path(epoch, batch, logs)?;
        if !self.should_save_model(epoch, logs, &filepath)? {
            return Ok(());
        }
        let path = Path::new(&filepath);
        if path.is_dir() {
            return Err(Error::arg(
                CLASS,
                format!(
                    "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an \
                     existing directory: {filepath}"
                ),
            ));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(CLASS, dir, e))?;
        }
        if self.save_weights_only {
            model.save_weights(path)?;
        } else {
            model.save(path)?;
        }
        if self.verbose > 0 {
            msg(&format!("\nEpoch {}: finished saving model to {filepath}", epoch + 1))?;
        }
        Ok(())
    }

    /// Keras's `_get_file_path`: `epoch` is 1-based, `batch` too when saving by batches.
    fn file_path(&self, epoch: usize, batch: Option<usize>, logs: &Logs) -> Result<String> {
        let mut values: Vec<(&str, FormatValue)> = vec![("epoch", FormatValue::Int(epoch as i64 + 1))];
        if let (Some(b), None) = (batch, logs.get("batch")) {
            values.push(("batch", FormatValue::Int(b as i64 + 1)));
        }
        values.extend(logs.iter().map(|(k, v)| (k, FormatValue::Float(v))));
        format_template(&self.filepath, &values).map_err(|e| match e {
            FormatError::MissingKey(k) => Error::arg(
                CLASS,
                format!("Failed to format this callback filepath: \"{}\". Reason: '{k}'", self.filepath),
            ),
            FormatError::Invalid(m) => Error::arg(
                CLASS,
                format!("Failed to format this callback filepath: \"{}\". {m}", self.filepath),
            ),
        })
    }
}

fn msg(s: &str) -> Result<()> {
    print_msg(s, true).map_err(|e| Error::arg(CLASS, format!("writing a message: {e}")))
}

impl Callback for ModelCheckpoint {
    fn on_train_batch_end(&mut self, model: &mut Model, batch: usize, logs: Option<&Logs>) -> Result<()> {
        if self.should_save_on_batch(batch) {
            let empty = Logs::default();
            self.save_model(model, self.current_epoch, Some(batch), logs.unwrap_or(&empty))?;
        }
        Ok(())
    }

    fn on_epoch_begin(&mut self, _model: &mut Model, epoch: usize, _logs: &Logs) -> Result<()> {
        self.current_epoch = epoch;
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        self.monitor.resolve(model)?;
        if self.save_freq == SaveFreq::Epoch {
            self.save_model(model, epoch, None, logs)?;
        }
        Ok(())
    }

    fn wants_batch_logs(&self) -> bool {
        matches!(self.save_freq, SaveFreq::Batches(_))
    }
}

/// A value of a Python format template: an `int` or a `float`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FormatValue {
    Int(i64),
    Float(f64),
}

#[derive(Debug)]
pub(crate) enum FormatError {
    MissingKey(String),
    Invalid(String),
}

/// Fills a Python `str.format` template with named values (`{epoch:02d}`, `{loss:.3f}`,
/// `{{` and `}}` for braces). An unknown name or a spec Python would reject is an `Err`.
pub fn format_filepath(
    template: &str,
    values: &[(&str, FormatValue)],
) -> std::result::Result<String, String> {
    format_template(template, values).map_err(|e| match e {
        FormatError::MissingKey(k) => format!("KeyError: '{k}'"),
        FormatError::Invalid(m) => m,
    })
}

pub(crate) fn format_template(
    template: &str,
    values: &[(&str, FormatValue)],
) -> std::result::Result<String, FormatError> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(FormatError::Invalid("Single '}' encountered in format string".into())),
            '{' => {
                let mut field = String::new();
                let mut depth = 0;
                loop {
                    match chars.next() {
                        None => return Err(FormatError::Invalid("expected '}' before end of string".into())),
                        Some('{') => {
                            depth += 1;
                            field.push('{');
                        }
                        Some('}') if depth == 0 => break,
                        Some('}') => {
                            depth -= 1;
                            field.push('}');
                        }
                        Some(ch) => field.push(ch),
                    }
                }
                out.push_str(&format_field(&field, values)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn format_field(field: &str, values: &[(&str, FormatValue)]) -> std::result::Result<String, FormatError> {
    let (head, spec) = match field.find(':') {
        Some(i) => (&field[..i], &field[i + 1..]),
        None => (field, ""),
    };
    let (name, conversion) = match head.find('!') {
        Some(i) => (&head[..i], Some(&head[i + 1..])),
        None => (head, None),
    };
    if spec.contains('{') {
        return Err(FormatError::Invalid(format!(
            "nested replacement fields are not supported: {{{field}}}"
        )));
    }
    if name.is_empty() || name.chars().all(|c| c.is_ascii_digit()) {
        return Err(FormatError::Invalid(format!(
            "positional fields are not supported in a filepath template: {{{field}}}"
        )));
    }
    if name.contains(['.', '[']) {
        return Err(FormatError::Invalid(format!(
            "attribute and index access are not supported: {{{field}}}"
        )));
    }
    let value = values
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| FormatError::MissingKey(name.to_string()))?;
    let spec = Spec::parse(spec)?;
    match conversion {
        None => format_value(value, &spec),
        Some("r") | Some("s") => {
            let s = match value {
                FormatValue::Int(i) => i.to_string(),
                FormatValue::Float(f) => py_repr(f),
            };
            if spec.ty.is_some_and(|t| t != 's') || spec.precision.is_some() && spec.ty.is_none() {
                // `str` with precision truncates; with a numeric type Python rejects it.
                if let Some(t) = spec.ty.filter(|&t| t != 's') {
                    return Err(FormatError::Invalid(format!(
                        "Unknown format code '{t}' for object of type 'str'"
                    )));
                }
            }
            let s = match spec.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            };
            Ok(spec.pad(String::new(), s, '<'))
        }
        Some(c) => Err(FormatError::Invalid(format!("Unknown conversion specifier {c}"))),
    }
}

/// A parsed Python format spec: `[[fill]align][sign][#][0][width][,|_][.precision][type]`.
#[derive(Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: char,
    alternate: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

impl Spec {
    fn parse(spec: &str) -> std::result::Result<Spec, FormatError> {
        let bad = || FormatError::Invalid(format!("Invalid format specifier '{spec}'"));
        let c: Vec<char> = spec.chars().collect();
        let mut s = Spec { sign: '-', ..Default::default() };
        let mut i = 0;
        let is_align = |ch: char| matches!(ch, '<' | '>' | '^' | '=');
        if c.len() >= 2 && is_align(c[1]) {
            s.fill = Some(c[0]);
            s.align = Some(c[1]);
            i = 2;
        } else if !c.is_empty() && is_align(c[0]) {
            s.align = Some(c[0]);
            i = 1;
        }
        if i < c.len() && matches!(c[i], '+' | '-' | ' ') {
            s.sign = c[i];
            i += 1;
        }
        if i < c.len() && c[i] == '#' {
            s.alternate = true;
            i += 1;
        }
        if i < c.len() && c[i] == '0' {
            if s.fill.is_none() {
                s.fill = Some('0');
            }
            if s.align.is_none() {
                s.align = Some('=');
            }
            i += 1;
        }
        let start = i;
        while i < c.len() && c[i].is_ascii_digit() {
            i += 1;
        }
        if i > start {
            s.width = c[start..i].iter().collect::<String>().parse().map_err(|_| bad())?;
        }
        if i < c.len() && matches!(c[i], ',' | '_') {
            s.grouping = Some(c[i]);
            i += 1;
        }
        if i < c.len() && c[i] == '.' {
            i += 1;
            let start = i;
            while i < c.len() && c[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return Err(FormatError::Invalid("Format specifier missing precision".into()));
            }
            s.precision = Some(c[start..i].iter().collect::<String>().parse().map_err(|_| bad())?);
        }
        if i < c.len() {
            s.ty = Some(c[i]);
            i += 1;
        }
        if i != c.len() {
            return Err(bad());
        }
        Ok(s)
    }

    /// Lays out `sign` and `body` in the field width.
    fn pad(&self, sign: String, body: String, default_align: char) -> String {
        let len = sign.chars().count() + body.chars().count();
        if len >= self.width {
            return sign + &body;
        }
        let fill: String = std::iter::repeat_n(self.fill.unwrap_or(' '), self.width - len).collect();
        match self.align.unwrap_or(default_align) {
            '<' => sign + &body + &fill,
            '^' => {
                let n = fill.chars().count();
                let left: String = fill.chars().take(n / 2).collect();
                let right: String = fill.chars().skip(n / 2).collect();
                left + &sign + &body + &right
            }
            '=' => sign + &fill + &body,
            _ => fill + &sign + &body,
        }
    }
}

fn format_value(value: FormatValue, spec: &Spec) -> std::result::Result<String, FormatError> {
    let invalid = |m: String| FormatError::Invalid(m);
    let (negative, body) = match value {
        FormatValue::Int(i) => match spec.ty {
            None | Some('d') | Some('n') => {
                if spec.precision.is_some() {
                    return Err(invalid("Precision not allowed in integer format specifier".into()));
                }
                (i < 0, group(&i.unsigned_abs().to_string(), spec.grouping))
            }
            Some('b') | Some('o') | Some('x') | Some('X') => {
                if spec.precision.is_some() {
                    return Err(invalid("Precision not allowed in integer format specifier".into()));
                }
                let a = i.unsigned_abs();
                let (digits, prefix) = match spec.ty {
                    Some('b') => (format!("{a:b}"), "0b"),
                    Some('o') => (format!("{a:o}"), "0o"),
                    Some('x') => (format!("{a:x}"), "0x"),
                    _ => (format!("{a:X}"), "0X"),
                };
                (i < 0, if spec.alternate { format!("{prefix}{digits}") } else { digits })
            }
            Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') => {
                let f = i as f64;
                (f.is_sign_negative() && i < 0, float_body(f.abs(), spec)?)
            }
            Some(t) => return Err(invalid(format!("Unknown format code '{t}' for object of type 'int'"))),
        },
        FormatValue::Float(f) => match spec.ty {
            None | Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' | 'n') => {
                (f.is_sign_negative() && !f.is_nan(), float_body(f.abs(), spec)?)
            }
            Some(t) => return Err(invalid(format!("Unknown format code '{t}' for object of type 'float'"))),
        },
    };
    let sign = match (negative, spec.sign) {
        (true, _) => "-",
        (false, '+') => "+",
        (false, ' ') => " ",
        _ => "",
    };
    Ok(spec.pad(sign.to_string(), body, '>'))
}

/// The digits of a non-negative float for a spec (no sign).
fn float_body(a: f64, spec: &Spec) -> std::result::Result<String, FormatError> {
    let upper = matches!(spec.ty, Some('E' | 'F' | 'G'));
    if !a.is_finite() {
        let s = if a.is_nan() { "nan" } else { "inf" };
        let s = if upper { s.to_uppercase() } else { s.to_string() };
        return Ok(if spec.ty == Some('%') { s + "%" } else { s });
    }
    let body = match spec.ty {
        Some('f' | 'F') => group_fixed(format!("{:.*}", spec.precision.unwrap_or(6), a), spec.grouping),
        Some('%') => {
            group_fixed(format!("{:.*}", spec.precision.unwrap_or(6), a * 100.0), spec.grouping) + "%"
        }
        Some('e' | 'E') => sci(a, spec.precision.unwrap_or(6), spec.alternate),
        Some('g' | 'G' | 'n') => general(a, spec.precision.unwrap_or(6), spec.alternate, false),
        None => match spec.precision {
            Some(p) => general(a, p, spec.alternate, true),
            None => py_repr(a),
        },
        _ => unreachable!("checked by format_value"),
    };
    Ok(if upper { body.to_uppercase() } else { body })
}

/// `{:.pe}` as Python writes it: the exponent signed and of at least two digits.
fn sci(a: f64, p: usize, alternate: bool) -> String {
    let s = format!("{a:.p$e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let m = if alternate && !m.contains('.') { format!("{m}.") } else { m.to_string() };
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

/// Python's `g` (and, with `repr_style`, the type-less spec with a precision: at least one
/// digit after the point in fixed notation, and scientific from exponent `p - 1` up).
fn general(a: f64, p: usize, alternate: bool, repr_style: bool) -> String {
    let p = p.max(1);
    if a == 0.0 {
        return if repr_style {
            "0.0".into()
        } else if alternate {
            format!("{:.*}", p - 1, 0.0)
        } else {
            "0".into()
        };
    }
    let e_str = format!("{a:.prec$e}", prec = p - 1);
    let exp: i32 = e_str.split_once('e').map_or(0, |(_, e)| e.parse().unwrap_or(0));
    let fixed_limit = if repr_style { p as i32 - 1 } else { p as i32 };
    if (-4..fixed_limit).contains(&exp) {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        let mut s = format!("{a:.decimals$}");
        if !alternate {
            s = strip_zeros(s);
        }
        if repr_style && !s.contains('.') {
            s.push_str(".0");
        }
        s
    } else {
        let s = sci(a, p - 1, alternate);
        if alternate {
            s
        } else {
            let (m, e) = s.split_once('e').unwrap_or((&s, ""));
            format!("{}e{e}", strip_zeros(m.to_string()))
        }
    }
}

fn strip_zeros(s: String) -> String {
    if !s.contains('.') {
        return s;
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation for
/// exponents -4..16 (with `.0` when integral) and `1.5e-05` style otherwise.
pub(crate) fn py_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let s = format!("{:e}", v.abs());
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let digits: String = m.chars().filter(|c| *c != '.').collect();
    let body = if (-4..16).contains(&exp) {
        if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                format!("{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{}.{}", &digits[..int_len], &digits[int_len..])
            }
        }
    } else {
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    };
    format!("{sign}{body}")
}

fn group(digits: &str, sep: Option<char>) -> String {
    let Some(sep) = sep else { return digits.to_string() };
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

fn group_fixed(s: String, sep: Option<char>) -> String {
    match s.split_once('.') {
        Some((i, f)) => format!("{}.{f}", group(i, sep)),
        None => group(&s, sep),
    }
}
