//! `model.summary()`: Keras 3's table of layers, output shapes and parameter counts, drawn with
//! the same box characters and column widths (Sequential: 3 columns; Functional: 4, with
//! "Connected to"). Long cell text wraps at spaces; a word longer than its column ends in "…".

use crate::graph::shape_str;
use crate::models::{Model, Origin};

/// Keras's size string: bytes in B, KB, MB or GB with two decimals.
fn readable_bytes(n: usize) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.2} {}", units[u])
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Splits `text` into lines of at most `width` characters at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![];
    let mut cur = String::new();
    for word in text.split(' ') {
        let word: String = if word.chars().count() > width {
            word.chars().take(width - 1).chain(std::iter::once('…')).collect()
        } else {
            word.to_string()
        };
        if cur.is_empty() {
            cur = word;
        } else if cur.chars().count() + 1 + word.chars().count() <= width {
            cur.push(' ');
            cur.push_str(&word);
        } else {
            lines.push(std::mem::take(&mut cur));
            cur = word;
        }
    }
    lines.push(cur);
    lines
}

struct Table {
    widths: Vec<usize>,
    right: Vec<bool>,
    out: String,
}

impl Table {
    fn rule(&mut self, l: char, fill: char, mid: char, r: char) {
        self.out.push(l);
        for (i, w) in self.widths.iter().enumerate() {
            self.out.extend(std::iter::repeat_n(fill, w + 2));
            self.out.push(if i + 1 == self.widths.len() { r } else { mid });
        }
        self.out.push('\n');
    }

    fn row(&mut self, cells: &[String], sep: char) {
        let wrapped: Vec<Vec<String>> = cells.iter().zip(&self.widths).map(|(c, &w)| wrap(c, w)).collect();
        let height = wrapped.iter().map(|w| w.len()).max().unwrap_or(1);
        for line in 0..height {
            self.out.push(sep);
            for (k, w) in self.widths.clone().iter().enumerate() {
                let text = wrapped[k].get(line).cloned().unwrap_or_default();
                let pad = w.saturating_sub(text.chars().count());
                self.out.push(' ');
                if self.right[k] {
                    self.out.extend(std::iter::repeat_n(' ', pad));
                    self.out.push_str(&text);
                } else {
                    self.out.push_str(&text);
                    self.out.extend(std::iter::repeat_n(' ', pad));
                }
                self.out.push(' ');
                self.out.push(sep);
            }
            self.out.push('\n');
        }
    }
}

impl Model {
    /// The summary text, as Keras prints it.
    pub fn summary_string(&self) -> String {
        let functional = !self.is_sequential();
        let (widths, right) = if functional {
            (vec![19, 17, 10, 17], vec![false, false, true, false])
        } else {
            (vec![31, 22, 13], vec![false, false, true])
        };
        let mut t = Table { widths, right, out: format!("Model: \"{}\"\n", self.name) };
        t.rule('┏', '━', '┳', '┓');
        let mut head = vec!["Layer (type)".to_string(), "Output Shape".to_string(), "Param #".to_string()];
        if functional {
            head.push("Connected to".to_string());
        }
        t.row(&head, '┃');
        t.rule('┡', '━', '╇', '┩');
        let mut rows: Vec<Vec<String>> = vec![];
        if functional {
            for x in &self.inputs {
                if let Origin::Input { name } = &x.origin {
                    rows.push(vec![
                        format!("{name} (InputLayer)"),
                        shape_str(&x.shape),
                        "0".into(),
                        "-".into(),
                    ]);
                }
            }
        }
        for layer in self.layers() {
            let calls: Vec<_> = self.calls.iter().filter(|c| c.layer.same(&layer)).collect();
            let shapes: Vec<String> = calls
                .iter()
                .flat_map(|c| {
                    c.outputs.iter().filter_map(|id| {
                        self.calls
                            .iter()
                            .flat_map(|cc| cc.inputs.iter())
                            .chain(self.outputs.iter())
                            .find(|t| t.id == *id)
                            .map(|t| shape_str(&t.shape))
                    })
                })
                .collect();
            let shape = shapes.first().cloned().unwrap_or_else(|| "?".into());
            let params: usize = layer.weights().iter().map(|w| w.dims().iter().product::<usize>()).sum();
            let mut row =
                vec![format!("{} ({})", layer.name(), layer.class_name()), shape, thousands(params)];
            if functional {
                let mut sources: Vec<String> = vec![];
                for c in &calls {
                    for x in &c.inputs {
                        sources.push(match &x.origin {
                            Origin::Input { name } => format!("{name}[0][0]"),
                            Origin::Call { call, index } => {
                                let node = self
                                    .calls
                                    .iter()
                                    .filter(|cc| cc.layer.same(&call.layer))
                                    .position(|cc| std::sync::Arc::ptr_eq(cc, call))
                                    .unwrap_or(0);
                                format!("{}[{node}][{index}]", call.layer.name())
                            }
                        });
                    }
                }
                let n = sources.len();
                let joined: Vec<String> = sources
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| if i + 1 < n { format!("{s},") } else { s })
                    .collect();
                row.push(joined.join(" "));
            }
            rows.push(row);
        }
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                t.rule('├', '─', '┼', '┤');
            }
            t.row(r, '│');
        }
        t.rule('└', '─', '┴', '┘');
        let total = self.count_params();
        let trainable: usize =
            self.trainable_weights().iter().map(|w| w.dims().iter().product::<usize>()).sum();
        let line =
            |label: &str, n: usize| format!(" {label}: {} ({})\n", thousands(n), readable_bytes(n * 4));
        t.out.push_str(&line("Total params", total));
        t.out.push_str(&line("Trainable params", trainable));
        t.out.push_str(&line("Non-trainable params", total - trainable));
        t.out
    }

    /// `model.summary()`: prints the table.
    pub fn summary(&self) {
        print!("{}", self.summary_string());
    }
}
