//! `keras.callbacks.CSVLogger`: each epoch's logs as a row of a CSV file.
//!
//! The file is Keras's byte for byte: Python's `csv` module with the `excel` dialect (`\r\n`
//! line ends, fields quoted only when they hold the separator, a quote or a line break), a
//! header `epoch,<keys sorted>` (with `val_<key>` columns added when the first epoch has no
//! validation keys), the epoch as an integer, values as Python's `repr(float)` and `NA` for a
//! key missing from an epoch's logs.
//!
//! Keras streams rows into an open file; here the file is rewritten at every epoch end to a
//! temporary name beside it and renamed into place, so a crash mid-write leaves the file as it
//! was after the last complete epoch. With `append`, the rows go after the file's previous
//! content (and the header is left out when that content is not empty, as Keras does).

use std::fs;
use std::path::{Path, PathBuf};

use super::{Callback, Logs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::files::write_bytes_atomically;

const OP: &str = "CSVLogger";

/// `keras.callbacks.CSVLogger(filename, separator=",", append=False)`.
#[derive(Clone, Debug)]
pub struct CSVLogger {
    filename: PathBuf,
    sep: char,
    append: bool,
    keys: Option<Vec<String>>,
    /// The file's text so far (what was there with `append`, then this run's rows).
    content: String,
    append_header: bool,
}

impl CSVLogger {
    /// A logger writing to `filename`, with `separator=","` and `append=False`.
    pub fn new(filename: impl AsRef<Path>) -> CSVLogger {
        CSVLogger {
            filename: filename.as_ref().to_path_buf(),
            sep: ',',
            append: false,
            keys: None,
            content: String::new(),
            append_header: true,
        }
    }

    /// The field separator: one character, as Python's `csv` requires.
    pub fn separator(mut self, separator: &str) -> Result<Self> {
        let mut chars = separator.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c != '\r' && c != '\n' => {
                self.sep = c;
                Ok(self)
            }
            _ => Err(Error::arg(
                OP,
                format!("\"delimiter\" must be a 1-character string, got separator={separator:?}"),
            )),
        }
    }

    /// Append to an existing file (to continue training) instead of overwriting it.
    pub fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }

    /// The CSV file.
    pub fn filename(&self) -> &Path {
        &self.filename
    }

    fn write_row(&mut self, fields: &[String]) {
        let row: Vec<String> = fields.iter().map(|f| quote_field(f, self.sep)).collect();
        self.content.push_str(&row.join(&self.sep.to_string()));
        self.content.push_str("\r\n");
    }

    fn save(&self) -> Result<()> {
        write_bytes_atomically(OP, &self.filename, self.content.as_bytes())
    }
}

impl Callback for CSVLogger {
    fn on_train_begin(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        self.content.clear();
        self.append_header = true;
        if self.append {
            match fs::read(&self.filename) {
                Ok(bytes) => {
                    let text = String::from_utf8(bytes).map_err(|_| {
                        Error::format(OP, &self.filename, "the file to append to is not UTF-8 text")
                    })?;
                    // Keras: `append_header = not bool(len(f.readline()))`.
                    self.append_header = text.is_empty();
                    self.content = text;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(OP, &self.filename, e)),
            }
        }
        // Keras opens the file here ("w" truncates it).
        self.save()?;
        self.keys = None;
        Ok(())
    }

    fn on_epoch_end(&mut self, _model: &mut Model, epoch: usize, logs: &mut Logs) -> Result<()> {
        let keys = match &self.keys {
            Some(k) => k.clone(),
            None => {
                let mut keys: Vec<String> = logs.iter().map(|(k, _)| k.to_string()).collect();
                keys.sort();
                if !keys.is_empty() && !keys.iter().any(|k| k.starts_with("val_")) {
                    let val: Vec<String> = keys.iter().map(|k| format!("val_{k}")).collect();
                    keys.extend(val);
                }
                let mut header = vec!["epoch".to_string()];
                header.extend(keys.iter().cloned());
                if self.append_header {
                    self.write_row(&header);
                }
                self.keys = Some(keys.clone());
                keys
            }
        };
        let mut row = vec![epoch.to_string()];
        row.extend(keys.iter().map(|k| logs.get(k).map_or_else(|| "NA".to_string(), py_float_repr)));
        self.write_row(&row);
        self.save()
    }

    fn on_train_end(&mut self, _model: &mut Model, _logs: &Logs) -> Result<()> {
        self.keys = None;
        Ok(())
    }
}

/// Python `csv`'s `QUOTE_MINIMAL` with the excel dialect: quote a field holding the
/// separator, a quote or a line break, doubling its quotes.
fn quote_field(f: &str, sep: char) -> String {
    if f.contains(|c| c == sep || c == '"' || c == '\r' || c == '\n') {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

/// Python's `repr(float)`: the shortest digits that read back to the same double, in fixed
/// notation for decimal exponents -4 <= e < 16 (with `.0` added to integers), otherwise as
/// `d.ddde+XX`; `nan`, `inf`, `-inf`.
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-5".
    let s = format!("{x:e}");
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let n = digits.len() as i32;
    // The value is 0.<digits> * 10^decpt.
    let decpt = exp + 1;
    if (-4 < decpt) && (decpt <= 16) {
        let body = if decpt <= 0 {
            format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
        } else if decpt >= n {
            format!("{}{}.0", digits, "0".repeat((decpt - n) as usize))
        } else {
            format!("{}.{}", &digits[..decpt as usize], &digits[decpt as usize..])
        };
        format!("{sign}{body}")
    } else {
        let m = if n > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits.clone() };
        let e = decpt - 1;
        format!("{sign}{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_repr() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.8761588335037231, "0.8761588335037231"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (1.5e-7, "1.5e-07"),
            (1e16, "1e+16"),
            (1234567890123456.0, "1234567890123456.0"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (-2.5, "-2.5"),
            (123.0, "123.0"),
            (1e300, "1e+300"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
            (0.1f32 as f64, "0.10000000149011612"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(x), want, "{x:e}");
        }
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_field("a,b", ','), "\"a,b\"");
        assert_eq!(quote_field("a\"b", ';'), "\"a\"\"b\"");
        assert_eq!(quote_field("a,b", ';'), "a,b");
    }
}
