//! `keras.utils.Progbar`: the progress bar of `fit`, `evaluate` and `predict`.
//!
//! A line-for-line port of Keras 3.15.1 (`keras/src/utils/progbar.py`): the same text, the same
//! ANSI escapes, the same averaging of metrics and the same rounding, so its output is
//! byte-identical to Keras's for the same updates at the same times (`tests/progbar.rs` replays
//! golden output recorded from real Keras).
//!
//! ```
//! use wgkeras_frontend::utils::progbar::{ManualClock, Progbar};
//!
//! let clock = ManualClock::new(100.0);
//! let mut out = Vec::new();
//! let mut pb = Progbar::builder(Some(4))
//!     .dynamic_display(false)
//!     .clock(clock.clone())
//!     .writer(&mut out)
//!     .build()
//!     .unwrap();
//! for step in 1..=4 {
//!     clock.advance(0.25);
//!     pb.update(step, &[("loss", 1.0 / step as f64)], None).unwrap();
//! }
//! drop(pb);
//! let text = String::from_utf8(out).unwrap();
//! // Step 3 shows the running mean of the loss; the finalizing step shows the value given,
//! // as Keras does (at an epoch's end the logs already hold the epoch's mean).
//! assert!(text.contains(" 250ms/step - loss: 0.6111\n"));
//! assert!(text.ends_with("\x1b[1m1s\x1b[0m 250ms/step - loss: 0.2500\n"));
//! ```
//!
//! Where the output goes follows Keras's `print_msg`: stdout while interactive logging is on
//! (the default), else the `log` crate at info level; see [`enable_interactive_logging`] and
//! [`disable_interactive_logging`]. [`ProgbarBuilder::writer`] sends it to any `io::Write`
//! instead, and [`ProgbarBuilder::clock`] replaces the wall clock, which makes tests
//! deterministic.
//!
//! One deliberate difference: Keras decides on the dynamic display (redraw the line with `\b`
//! and `\r`) when stdout is a TTY, under IPython or PyCharm, or when the `posix` module is loaded,
//! which is always the case on Linux and macOS, so Keras redraws even into a pipe or file there.
//! Here the automatic choice is "stdout is a terminal, or `PYCHARM_HOSTED` is set"; a custom
//! writer is taken as not a terminal. [`ProgbarBuilder::dynamic_display`] forces either form.

use std::collections::{HashMap, HashSet};
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use wgkeras_runtime::{Error, Result};

// ---------------------------------------------------------------------------------------------
// Interactive logging (keras.config.{enable,disable,is}_interactive_logging, io_utils.print_msg)
// ---------------------------------------------------------------------------------------------

static INTERACTIVE_LOGGING: AtomicBool = AtomicBool::new(true);

/// Turns on interactive logging: messages (the progress bar included) go to stdout.
/// This is the default.
pub fn enable_interactive_logging() {
    INTERACTIVE_LOGGING.store(true, Ordering::Relaxed);
}

/// Turns off interactive logging: messages go to the `log` crate at info level, which suits
/// jobs run on a server (Keras sends them to `absl.logging`).
pub fn disable_interactive_logging() {
    INTERACTIVE_LOGGING.store(false, Ordering::Relaxed);
}

/// Whether interactive logging is on (messages to stdout) or off (to the `log` crate).
pub fn is_interactive_logging_enabled() -> bool {
    INTERACTIVE_LOGGING.load(Ordering::Relaxed)
}

/// Keras's `io_utils.print_msg`: writes `message` (plus a newline when `line_break`) to stdout
/// and flushes while interactive logging is on; otherwise logs it with `log::info!` (no newline
/// added, like `absl.logging.info`).
pub fn print_msg(message: &str, line_break: bool) -> io::Result<()> {
    if is_interactive_logging_enabled() {
        let mut out = io::stdout().lock();
        out.write_all(message.as_bytes())?;
        if line_break {
            out.write_all(b"\n")?;
        }
        out.flush()
    } else {
        log::info!("{message}");
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Clocks
// ---------------------------------------------------------------------------------------------

/// A source of the current time in seconds (Keras uses `time.time()`).
pub trait Clock: Send {
    fn now(&self) -> f64;
}

/// The wall clock: seconds since the Unix epoch, like Python's `time.time()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        }
    }
}

impl<F: Fn() -> f64 + Send> Clock for F {
    fn now(&self) -> f64 {
        self()
    }
}

/// A clock that only moves when told to. Clones share the same time, so a test keeps one
/// handle and gives the other to the progress bar.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    pub fn new(t: f64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(t.to_bits())))
    }
    pub fn set(&self, t: f64) {
        self.0.store(t.to_bits(), Ordering::Relaxed);
    }
    pub fn advance(&self, dt: f64) {
        self.set(self.get() + dt);
    }
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> f64 {
        self.get()
    }
}

/// A writer that keeps what it gets in memory. Clones share the buffer, so a test keeps one
/// handle, gives the other to the progress bar and reads the output with [`take`](Self::take).
#[derive(Debug, Clone, Default)]
pub struct MemoryWriter(Arc<Mutex<Vec<u8>>>);

impl MemoryWriter {
    /// What was written since the last call (invalid UTF-8 is replaced), leaving the buffer empty.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for MemoryWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Progbar
// ---------------------------------------------------------------------------------------------

/// Where a progress bar writes.
enum Sink<'w> {
    /// Keras's `print_msg`: stdout or the `log` crate, by the interactive-logging switch.
    PrintMsg,
    Writer(Box<dyn Write + Send + 'w>),
}

/// Which metrics are averaged over the steps.
#[derive(Debug, Clone)]
enum Averaging {
    /// All metrics are averaged except these (`stateful_metrics`).
    AllBut(HashSet<String>),
    /// Only these metrics are averaged (`stateless_metrics`).
    Only(HashSet<String>),
}

/// Options of a [`Progbar`], with Keras's defaults; [`ProgbarBuilder::build`] makes the bar
/// (and reads the clock for the start time, as Keras's constructor does).
pub struct ProgbarBuilder<'w> {
    target: Option<u64>,
    width: usize,
    verbose: u8,
    interval: f64,
    stateful_metrics: Option<HashSet<String>>,
    stateless_metrics: Option<HashSet<String>>,
    unit_name: String,
    dynamic_display: Option<bool>,
    clock: Box<dyn Clock + 'w>,
    sink: Sink<'w>,
}

impl<'w> ProgbarBuilder<'w> {
    /// Width of the bar in characters (default 20).
    pub fn width(mut self, width: usize) -> Self {
        self.width = width;
        self
    }
    /// 0: silent, 1: the bar, redrawn as it goes, 2: one line when the bar finalizes
    /// (default 1).
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }
    /// Minimum time between two redraws with `verbose == 1`, in seconds (default 0.05).
    pub fn interval(mut self, seconds: f64) -> Self {
        self.interval = seconds;
        self
    }
    /// Metrics shown as given rather than averaged over the steps.
    pub fn stateful_metrics<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.stateful_metrics = Some(names.into_iter().map(Into::into).collect());
        self
    }
    /// The only metrics that are averaged; all others are shown as given. Exclusive with
    /// [`stateful_metrics`](Self::stateful_metrics).
    pub fn stateless_metrics<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.stateless_metrics = Some(names.into_iter().map(Into::into).collect());
        self
    }
    /// The unit of the step counts in the time per unit, `"step"` by default.
    pub fn unit_name(mut self, name: impl Into<String>) -> Self {
        self.unit_name = name.into();
        self
    }
    /// Forces the dynamic display (`true`: redraw one line with backspaces and `\r`) or the
    /// newline form (`false`). Default: dynamic when stdout is a terminal (see the module docs).
    pub fn dynamic_display(mut self, dynamic: bool) -> Self {
        self.dynamic_display = Some(dynamic);
        self
    }
    /// Replaces the wall clock.
    pub fn clock(mut self, clock: impl Clock + 'w) -> Self {
        self.clock = Box::new(clock);
        self
    }
    /// Writes the bar to `writer` instead of stdout / the `log` crate.
    pub fn writer(mut self, writer: impl Write + Send + 'w) -> Self {
        self.sink = Sink::Writer(Box::new(writer));
        self
    }

    /// Makes the bar; an error if both `stateful_metrics` and `stateless_metrics` were given.
    pub fn build(self) -> Result<Progbar<'w>> {
        let averaging = match (self.stateful_metrics, self.stateless_metrics) {
            (Some(_), Some(_)) => {
                return Err(Error::arg(
                    "Progbar",
                    "only one of `stateful_metrics` or `stateless_metrics` can be provided. \
                     `stateful_metrics` is used to make metrics stateless by default (with an \
                     exclusion list), while `stateless_metrics` is used to make metrics stateful \
                     by default (with an exclusion list)",
                ))
            }
            (Some(stateful), None) => Averaging::AllBut(stateful),
            (None, Some(stateless)) => Averaging::Only(stateless),
            (None, None) => Averaging::AllBut(HashSet::new()),
        };
        let dynamic_display = self.dynamic_display.unwrap_or_else(|| match self.sink {
            Sink::PrintMsg => io::stdout().is_terminal() || std::env::var_os("PYCHARM_HOSTED").is_some(),
            Sink::Writer(_) => false,
        });
        let start = self.clock.now();
        Ok(Progbar {
            target: self.target,
            width: self.width,
            verbose: self.verbose,
            interval: self.interval,
            unit_name: self.unit_name,
            averaging,
            dynamic_display,
            seen_so_far: 0,
            values: HashMap::new(),
            values_order: Vec::new(),
            start,
            last_update: 0.0,
            time_after_first_step: None,
            prev_total_width: 0,
            clock: self.clock,
            sink: self.sink,
        })
    }
}

/// `keras.utils.Progbar`: displays a progress bar.
///
/// `'w` is the lifetime of a borrowed writer or clock; a bar on stdout is `Progbar<'static>`.
pub struct Progbar<'w> {
    target: Option<u64>,
    width: usize,
    verbose: u8,
    interval: f64,
    unit_name: String,
    averaging: Averaging,
    dynamic_display: bool,
    seen_so_far: u64,
    /// name -> (weighted sum, weight), Keras's `_values[k] = [v, count]`.
    values: HashMap<String, (f64, u64)>,
    values_order: Vec<String>,
    start: f64,
    last_update: f64,
    time_after_first_step: Option<f64>,
    prev_total_width: usize,
    clock: Box<dyn Clock + 'w>,
    sink: Sink<'w>,
}

impl std::fmt::Debug for Progbar<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progbar")
            .field("target", &self.target)
            .field("width", &self.width)
            .field("verbose", &self.verbose)
            .field("interval", &self.interval)
            .field("unit_name", &self.unit_name)
            .field("dynamic_display", &self.dynamic_display)
            .field("seen_so_far", &self.seen_so_far)
            .finish_non_exhaustive()
    }
}

impl Progbar<'static> {
    /// A bar with Keras's defaults (`width=20, verbose=1, interval=0.05, unit_name="step"`),
    /// on stdout (or the `log` crate when interactive logging is off), timed by the wall clock.
    pub fn new(target: Option<u64>) -> Self {
        Self::builder(target).build().expect("default Progbar options are valid")
    }
}

impl<'w> Progbar<'w> {
    /// Options for a bar of `target` steps (`None`: unknown).
    pub fn builder(target: Option<u64>) -> ProgbarBuilder<'w> {
        ProgbarBuilder {
            target,
            width: 20,
            verbose: 1,
            interval: 0.05,
            stateful_metrics: None,
            stateless_metrics: None,
            unit_name: "step".to_string(),
            dynamic_display: None,
            clock: Box::new(SystemClock),
            sink: Sink::PrintMsg,
        }
    }

    /// Total number of steps, `None` when unknown.
    pub fn target(&self) -> Option<u64> {
        self.target
    }
    /// Sets the target (Keras's `ProgbarLogger` does so once the first epoch has counted its
    /// steps).
    pub fn set_target(&mut self, target: Option<u64>) {
        self.target = target;
    }
    /// The last `current` given to [`update`](Self::update).
    pub fn seen_so_far(&self) -> u64 {
        self.seen_so_far
    }
    /// Whether the bar redraws one line (`\b`, `\r`) rather than printing a line per update.
    pub fn is_dynamic_display(&self) -> bool {
        self.dynamic_display
    }
    /// Forces the display form after construction (Keras's `_dynamic_display`).
    pub fn set_dynamic_display(&mut self, dynamic: bool) {
        self.dynamic_display = dynamic;
    }

    /// Updates the bar to step `current`.
    ///
    /// `values` are `(name, value_for_last_step)`: a stateful metric is shown as given, the
    /// others are averaged over the steps, weighted by how many steps each update covers.
    /// `finalize` says whether this is the last update; `None` means `current >= target`
    /// (never, with an unknown target). Errors are those of the writer.
    pub fn update(&mut self, current: u64, values: &[(&str, f64)], finalize: Option<bool>) -> io::Result<()> {
        let finalize = finalize.unwrap_or(match self.target {
            None => false,
            Some(target) => current >= target,
        });

        for &(k, v) in values {
            if !self.values_order.iter().any(|name| name == k) {
                self.values_order.push(k.to_string());
            }
            let stateless = match &self.averaging {
                Averaging::AllBut(stateful) => !stateful.contains(k),
                Averaging::Only(stateless) => stateless.contains(k),
            };
            if stateless && !finalize {
                // Weighted by the steps since the last update, at least 1.
                let value_base = if current > self.seen_so_far { current - self.seen_so_far } else { 1 };
                let entry = self.values.entry(k.to_string()).or_insert((0.0, 0));
                if entry.1 == 0 {
                    *entry = (v * value_base as f64, value_base);
                } else {
                    entry.0 += v * value_base as f64;
                    entry.1 += value_base;
                }
            } else {
                // Stateful metrics, and every metric on the finalizing update (the logs of
                // an epoch end already hold the epoch's value), are shown as given.
                self.values.insert(k.to_string(), (v, 1));
            }
        }
        self.seen_so_far = current;

        let now = self.clock.now();
        let time_per_unit = self.estimate_step_duration(current, now);
        let target = self.target.filter(|&t| t > 0);

        if self.verbose == 1 {
            if now - self.last_update < self.interval && !finalize {
                return Ok(());
            }
            let mut message = String::new();
            let mut special_char_len = 0usize;
            if self.dynamic_display {
                message.extend(std::iter::repeat_n('\u{8}', self.prev_total_width));
                message.push('\r');
            } else {
                message.push('\n');
            }

            let mut bar;
            if let Some(target) = target {
                let numdigits = num_digits(target);
                bar = format!("\x1b[1m{current:>numdigits$}/{target}\x1b[0m ");
                special_char_len += 8;
                let prog = current as f64 / target as f64;
                let prog_width = py_int(self.width as f64 * prog);
                if prog_width > 0 {
                    bar.push_str("\x1b[32m");
                    bar.extend(std::iter::repeat_n('━', prog_width as usize));
                    bar.push_str("\x1b[0m");
                    special_char_len += 9;
                }
                let rest = (self.width as i64).saturating_sub(prog_width).max(0) as usize;
                bar.push_str("\x1b[37m");
                bar.extend(std::iter::repeat_n('━', rest));
                bar.push_str("\x1b[0m");
                special_char_len += 9;
            } else {
                bar = format!("{current:>7}/Unknown");
            }
            message.push_str(&bar);

            let mut info = match target {
                Some(target) if !finalize => {
                    let eta = time_per_unit * (target as f64 - current as f64);
                    format!(" \x1b[1m{}\x1b[0m", format_eta(eta))
                }
                // Time elapsed since the start, in seconds.
                _ => format!(" \x1b[1m{}s\x1b[0m", py_fixed(now - self.start, 0)),
            };
            special_char_len += 8;

            info.push_str(&format_time(time_per_unit, &self.unit_name));

            for k in &self.values_order {
                let avg = self.average(k);
                info.push_str(" - ");
                info.push_str(k);
                info.push(':');
                if avg.abs() > 1e-3 {
                    info.push(' ');
                    info.push_str(&py_fixed(avg, 4));
                } else {
                    info.push(' ');
                    info.push_str(&py_exp(avg, 4));
                }
            }
            message.push_str(&info);

            let total_width = (bar.chars().count() + info.chars().count()).saturating_sub(special_char_len);
            if self.prev_total_width > total_width {
                message.extend(std::iter::repeat_n(' ', self.prev_total_width - total_width));
            }
            if finalize {
                message.push('\n');
            }
            self.prev_total_width = total_width;
            self.emit(&message)?;
        } else if self.verbose == 2 {
            if let (true, Some(target)) = (finalize, target) {
                let numdigits = num_digits(target);
                let mut info = format!("{current:>numdigits$}/{target} - {}s", py_fixed(now - self.start, 0));
                info.push_str(" -");
                info.push_str(&format_time(time_per_unit, &self.unit_name));
                for k in &self.values_order {
                    let avg = self.average(k);
                    info.push_str(" - ");
                    info.push_str(k);
                    info.push(':');
                    info.push(' ');
                    // Keras compares the signed value here (not its magnitude).
                    if avg > 1e-3 {
                        info.push_str(&py_fixed(avg, 4));
                    } else {
                        info.push_str(&py_exp(avg, 4));
                    }
                }
                info.push('\n');
                self.emit(&info)?;
            }
        }

        self.last_update = now;
        Ok(())
    }

    /// Advances the bar by `n` steps: `update(seen_so_far + n, values, None)`.
    pub fn add(&mut self, n: u64, values: &[(&str, f64)]) -> io::Result<()> {
        self.update(self.seen_so_far.saturating_add(n), values, None)
    }

    fn average(&self, k: &str) -> f64 {
        match self.values.get(k) {
            Some(&(sum, count)) => sum / count.max(1) as f64,
            None => f64::NAN,
        }
    }

    fn emit(&mut self, message: &str) -> io::Result<()> {
        match &mut self.sink {
            Sink::PrintMsg => print_msg(message, false),
            Sink::Writer(w) => {
                w.write_all(message.as_bytes())?;
                w.flush()
            }
        }
    }

    /// Seconds per step: 0 before any step; from step 2 on, the first step (often slow:
    /// compilation) is left out.
    fn estimate_step_duration(&mut self, current: u64, now: f64) -> f64 {
        if current == 0 {
            return 0.0;
        }
        let time_per_unit = match self.time_after_first_step {
            Some(t1) if current > 1 => (now - t1) / (current - 1) as f64,
            _ => (now - self.start) / current as f64,
        };
        if current == 1 {
            self.time_after_first_step = Some(now);
        }
        time_per_unit
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting, with Python's exact rules
// ---------------------------------------------------------------------------------------------

/// `int(math.log10(target)) + 1` for `target > 0`.
fn num_digits(target: u64) -> usize {
    ((target as f64).log10() as i64 + 1).max(1) as usize
}

/// Python's `int(x)` of a float (truncation; NaN and infinities saturate instead of raising).
fn py_int(x: f64) -> i64 {
    x as i64
}

/// Python's float `divmod(x, y)` (CPython's `_float_div_mod`): floor quotient and the
/// remainder with the sign of `y`, exact where `(x / y).floor()` can round up.
fn py_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0f64.copysign(y);
    }
    let floordiv = if div != 0.0 {
        let mut fd = div.floor();
        if div - fd > 0.5 {
            fd += 1.0;
        }
        fd
    } else {
        0f64.copysign(x / y)
    };
    (floordiv, m)
}

/// The ETA text: `h:mm:ss` above an hour, `m:ss` above a minute, else `Ns`.
fn format_eta(eta: f64) -> String {
    if eta > 3600.0 {
        let (h, rem) = py_divmod(eta, 3600.0);
        let (m, _) = py_divmod(rem, 60.0);
        let (_, s) = py_divmod(eta, 60.0);
        format!("{}:{:02}:{:02}", py_int(h), py_int(m), py_int(s))
    } else if eta > 60.0 {
        let (m, s) = py_divmod(eta, 60.0);
        format!("{}:{:02}", py_int(m), py_int(s))
    } else {
        format!("{}s", py_int(eta))
    }
}

/// Keras's `_format_time`: ` 2s/step`, ` 35ms/step` or ` 120us/step`.
fn format_time(time_per_unit: f64, unit_name: &str) -> String {
    if time_per_unit >= 1.0 || time_per_unit == 0.0 {
        format!(" {}s/{unit_name}", py_fixed(time_per_unit, 0))
    } else if time_per_unit >= 1e-3 {
        format!(" {}ms/{unit_name}", py_fixed(time_per_unit * 1000.0, 0))
    } else {
        format!(" {}us/{unit_name}", py_fixed(time_per_unit * 1_000_000.0, 0))
    }
}

/// Python's `f"{x:.{prec}f}"` (Rust rounds the exact binary value half-to-even too; only the
/// spelling of NaN differs).
fn py_fixed(x: f64, prec: usize) -> String {
    if x.is_nan() {
        "nan".to_string()
    } else {
        format!("{x:.prec$}")
    }
}

/// Python's `f"{x:.{prec}e}"`: `1.2340e-05`, with a signed exponent of at least two digits.
fn py_exp(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".to_string() } else { "-inf".to_string() };
    }
    let s = format!("{x:.prec$e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_number_formats() {
        assert_eq!(py_exp(1e-5, 4), "1.0000e-05");
        assert_eq!(py_exp(0.0, 4), "0.0000e+00");
        assert_eq!(py_exp(-0.0, 4), "-0.0000e+00");
        assert_eq!(py_exp(1.23456e123, 4), "1.2346e+123");
        assert_eq!(py_exp(-2.5e-300, 4), "-2.5000e-300");
        assert_eq!(py_exp(f64::NAN, 4), "nan");
        assert_eq!(py_exp(f64::NEG_INFINITY, 4), "-inf");
        assert_eq!(py_fixed(f64::NAN, 4), "nan");
        assert_eq!(py_fixed(f64::INFINITY, 4), "inf");
        assert_eq!(py_fixed(2.5, 0), "2");
        assert_eq!(py_fixed(3.5, 0), "4");
        assert_eq!(py_fixed(0.00015, 4), "0.0001");
        assert_eq!(format_time(0.0, "step"), " 0s/step");
        assert_eq!(format_time(1.5, "step"), " 2s/step");
        assert_eq!(format_time(0.0345, "sample"), " 34ms/sample");
        assert_eq!(format_time(0.0000125, "step"), " 12us/step");
        assert_eq!(format_eta(3723.9), "1:02:03");
        assert_eq!(format_eta(3600.0), "60:00");
        assert_eq!(format_eta(61.0), "1:01");
        assert_eq!(format_eta(60.0), "60s");
        assert_eq!(format_eta(12.99), "12s");
        assert_eq!(format_eta(-0.5), "0s");
        assert_eq!(num_digits(1), 1);
        assert_eq!(num_digits(9), 1);
        assert_eq!(num_digits(10), 2);
        assert_eq!(num_digits(1000), 4);
    }

    #[test]
    fn divmod_matches_python() {
        // divmod(1.0, 0.1) == (9.0, 0.09999999999999995) in Python, while (1.0 / 0.1).floor()
        // is 10.
        assert_eq!((1.0f64 / 0.1).floor(), 10.0);
        assert_eq!(py_divmod(1.0, 0.1), (9.0, 0.09999999999999995));
        assert_eq!(py_divmod(-7.0, 2.0), (-4.0, 1.0));
        assert_eq!(py_divmod(7.0, 3.5), (2.0, 0.0));
    }

    #[test]
    fn stateful_and_stateless_together_is_an_error() {
        let err =
            Progbar::builder(Some(3)).stateful_metrics(["a"]).stateless_metrics(["b"]).build().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("Progbar") && msg.contains("stateless_metrics"), "{msg}");
    }

    #[test]
    fn newline_form_averages_and_pads() {
        let clock = ManualClock::new(10.0);
        let out = MemoryWriter::default();
        let mut pb = Progbar::builder(Some(3))
            .dynamic_display(false)
            .clock(clock.clone())
            .writer(out.clone())
            .build()
            .unwrap();
        clock.set(11.0);
        pb.update(1, &[("loss", 3.0)], None).unwrap();
        assert_eq!(
            out.take(),
            "\n\x1b[1m1/3\x1b[0m \x1b[32m━━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━\x1b[0m \x1b[1m2s\x1b[0m 1s/step - loss: 3.0000"
        );
        clock.set(11.5);
        // Throttled: within the 0.05 s interval of the last draw.
        clock.set(11.01);
        pb.update(2, &[("loss", 1.0)], None).unwrap();
        assert_eq!(out.take(), "");
        // Weighted average: (3*1 + 1*1 + 0.5*1) / 3.
        clock.set(12.0);
        pb.update(3, &[("loss", 0.5)], Some(false)).unwrap();
        assert_eq!(
            out.take(),
            "\n\x1b[1m3/3\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 500ms/step - loss: 1.5000"
        );
        assert_eq!(pb.seen_so_far(), 3);
    }

    #[test]
    fn verbose_two_prints_once_at_the_end() {
        let clock = ManualClock::new(0.0);
        let out = MemoryWriter::default();
        let mut pb =
            Progbar::builder(Some(2)).verbose(2).clock(clock.clone()).writer(out.clone()).build().unwrap();
        clock.set(1.0);
        pb.update(1, &[("loss", 4.0), ("neg", -2.0)], None).unwrap();
        assert_eq!(out.take(), "");
        clock.set(3.0);
        pb.add(1, &[("loss", 2.0), ("neg", -2.0)]).unwrap();
        assert_eq!(out.take(), "2/2 - 3s - 2s/step - loss: 2.0000 - neg: -2.0000e+00\n");
    }

    #[test]
    fn print_msg_follows_the_interactive_logging_switch() {
        struct Capture(Mutex<Vec<String>>);
        impl log::Log for Capture {
            fn enabled(&self, m: &log::Metadata) -> bool {
                m.level() <= log::Level::Info
            }
            fn log(&self, r: &log::Record) {
                self.0.lock().unwrap().push(format!("{}|{}", r.level(), r.args()));
            }
            fn flush(&self) {}
        }
        static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));
        log::set_logger(&CAPTURE).unwrap();
        log::set_max_level(log::LevelFilter::Info);

        assert!(is_interactive_logging_enabled());
        disable_interactive_logging();
        let clock = ManualClock::new(0.0);
        let mut pb = Progbar::builder(Some(1)).verbose(2).clock(clock.clone()).build().unwrap();
        assert!(!pb.is_dynamic_display() || io::stdout().is_terminal());
        clock.set(0.5);
        pb.update(1, &[("acc", 0.75)], None).unwrap();
        enable_interactive_logging();
        assert_eq!(
            *CAPTURE.0.lock().unwrap(),
            vec!["INFO|1/1 - 0s - 500ms/step - acc: 0.7500\n".to_string()]
        );
    }
}
