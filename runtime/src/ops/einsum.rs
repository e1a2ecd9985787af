//! `keras.ops.einsum`: any Einstein summation, composed from the batched product.
//!
//! Each operand first has its repeated labels reduced to diagonals (a strided view, `'ii->i'`).
//! Then operands are contracted left to right: labels both sides share and something later needs
//! are batch dims, shared labels nothing later needs are contracted, labels only one side has
//! and nothing later needs are summed out first. Every pairwise step is one batched matmul
//! (operands permuted only where they are not already in a layout the kernel reads). Finally the
//! result's labels are summed or permuted into the output order.

use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::ops::cast::cast;
use crate::ops::layout::{gather_view, transpose, View};
use crate::ops::matmul::{contract, sum_axes_by_product};
use crate::shape::strides;
use crate::tensor::{same_device, Tensor};

const OP: &str = "einsum";

/// Labels are letters (their char code) or ellipsis dims (`ELLIPSIS + i`, right-aligned).
type Label = u32;
const ELLIPSIS: Label = 1 << 16;

/// One term (`"b...ij"`): its letters before and after the ellipsis.
struct Term {
    before: Vec<Label>,
    after: Option<Vec<Label>>,
}

fn parse_term(s: &str, subscripts: &str) -> Result<Term> {
    let letters = |part: &str| -> Result<Vec<Label>> {
        part.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    Ok(c as Label)
                } else {
                    Err(Error::arg(OP, format!("invalid character {c:?} in subscripts {subscripts:?}")))
                }
            })
            .collect()
    };
    match s.find("...") {
        None => Ok(Term { before: letters(s)?, after: None }),
        Some(at) => {
            let rest = &s[at + 3..];
            if rest.contains('.') {
                return Err(Error::arg(OP, format!("more than one ellipsis in {s:?} of {subscripts:?}")));
            }
            Ok(Term { before: letters(&s[..at])?, after: Some(letters(rest)?) })
        }
    }
}

/// The labels of an operand of `rank` dims, with its ellipsis dims numbered so that
/// `ell_rank` (the widest ellipsis) lines them up from the right.
fn expand(term: &Term, rank: usize, ell_rank: usize) -> Vec<Label> {
    match &term.after {
        None => term.before.clone(),
        Some(after) => {
            let e = rank - term.before.len() - after.len();
            let mut v = term.before.clone();
            v.extend((0..e).map(|j| ELLIPSIS + (ell_rank - e + j) as Label));
            v.extend(after);
            v
        }
    }
}

/// An operand during the contraction: a tensor and one label per dim.
struct Labeled {
    t: Tensor,
    labels: Vec<Label>,
}

impl Labeled {
    fn size(&self, l: Label) -> usize {
        self.labels.iter().position(|&x| x == l).map(|i| self.t.dims()[i]).unwrap_or(1)
    }

    /// Replaces repeated labels by their diagonal (a strided view).
    fn diagonal(self, subscripts: &str) -> Result<Labeled> {
        let mut uniq: Vec<Label> = Vec::new();
        for &l in &self.labels {
            if !uniq.contains(&l) {
                uniq.push(l);
            }
        }
        if uniq.len() == self.labels.len() {
            return Ok(self);
        }
        let src = strides(self.t.dims());
        let mut dims = Vec::new();
        let mut view_strides = Vec::new();
        for &u in &uniq {
            let at: Vec<usize> = (0..self.labels.len()).filter(|&i| self.labels[i] == u).collect();
            let d = self.t.dims()[at[0]];
            if at.iter().any(|&i| self.t.dims()[i] != d) {
                return Err(Error::arg(
                    OP,
                    format!(
                        "a label repeated in one operand of {subscripts:?} has different sizes in shape {:?}",
                        self.t.dims()
                    ),
                ));
            }
            dims.push(d);
            view_strides.push(at.iter().map(|&i| src[i] as isize).sum());
        }
        let t = gather_view(&self.t, &View { dims, strides: view_strides, offset: 0 })?;
        Ok(Labeled { t, labels: uniq })
    }

    /// Sums out every label not in `keep`.
    fn sum_except(self, keep: &[Label]) -> Result<Labeled> {
        let axes: Vec<usize> = (0..self.labels.len()).filter(|&i| !keep.contains(&self.labels[i])).collect();
        if axes.is_empty() {
            return Ok(self);
        }
        let t = sum_axes_by_product(OP, &self.t, &axes)?;
        let labels = self.labels.iter().copied().filter(|l| keep.contains(l)).collect();
        Ok(Labeled { t, labels })
    }

    /// Drops the size-1 dims whose label the other operand has with a larger size
    /// (broadcasting).
    fn squeeze_against(self, other: &Labeled) -> Result<Labeled> {
        let drop: Vec<usize> = (0..self.labels.len())
            .filter(|&i| {
                self.t.dims()[i] == 1
                    && other.labels.contains(&self.labels[i])
                    && other.size(self.labels[i]) != 1
            })
            .collect();
        if drop.is_empty() {
            return Ok(self);
        }
        let dims: Vec<usize> =
            (0..self.labels.len()).filter(|i| !drop.contains(i)).map(|i| self.t.dims()[i]).collect();
        let labels = (0..self.labels.len()).filter(|i| !drop.contains(i)).map(|i| self.labels[i]).collect();
        Ok(Labeled { t: self.t.with_dims(&dims)?, labels })
    }
}

/// Contracts two operands, keeping the labels in `keep` (the output's and later operands').
fn contract_pair(a: Labeled, b: Labeled, keep: &[Label], subscripts: &str) -> Result<Labeled> {
    let a = a.squeeze_against(&b)?;
    let b = b.squeeze_against(&a)?;
    // Labels only one side has and nothing later needs are summed out first.
    let keep_a: Vec<Label> =
        a.labels.iter().copied().filter(|l| keep.contains(l) || b.labels.contains(l)).collect();
    let keep_b: Vec<Label> =
        b.labels.iter().copied().filter(|l| keep.contains(l) || a.labels.contains(l)).collect();
    let a = a.sum_except(&keep_a)?;
    let b = b.sum_except(&keep_b)?;
    for &l in &a.labels {
        if b.labels.contains(&l) && a.size(l) != b.size(l) {
            return Err(Error::shapes(
                OP,
                a.t.dims(),
                b.t.dims(),
                format!(
                    "label {} of {subscripts:?} has sizes {} and {}",
                    label_name(l),
                    a.size(l),
                    b.size(l)
                ),
            ));
        }
    }
    let pos = |v: &[Label], l: Label| v.iter().position(|&x| x == l).expect("label present");
    let shared: Vec<Label> = a.labels.iter().copied().filter(|l| b.labels.contains(l)).collect();
    let batch: Vec<Label> = shared.iter().copied().filter(|l| keep.contains(l)).collect();
    let con: Vec<Label> = shared.iter().copied().filter(|l| !keep.contains(l)).collect();
    let bat_a: Vec<usize> = batch.iter().map(|&l| pos(&a.labels, l)).collect();
    let bat_b: Vec<usize> = batch.iter().map(|&l| pos(&b.labels, l)).collect();
    let con_a: Vec<usize> = con.iter().map(|&l| pos(&a.labels, l)).collect();
    let con_b: Vec<usize> = con.iter().map(|&l| pos(&b.labels, l)).collect();
    let t = contract(OP, &a.t, &b.t, &bat_a, &bat_b, &con_a, &con_b)?;
    let mut labels = batch.clone();
    labels.extend(a.labels.iter().copied().filter(|l| !shared.contains(l)));
    labels.extend(b.labels.iter().copied().filter(|l| !shared.contains(l)));
    Ok(Labeled { t, labels })
}

fn label_name(l: Label) -> String {
    if l >= ELLIPSIS {
        format!("'...'[{}]", l - ELLIPSIS)
    } else {
        format!("{:?}", char::from_u32(l).unwrap_or('?'))
    }
}

/// `keras.ops.einsum(subscripts, *operands)`: explicit (`"ij,jk->ik"`) or implicit (`"ij,jk"`,
/// output labels in alphabetical order) form, with `...` for broadcast dims, repeated labels
/// for diagonals and labels absent from the output summed.
pub fn einsum(subscripts: &str, operands: &[&Tensor]) -> Result<Tensor> {
    if operands.is_empty() {
        return Err(Error::arg(OP, "at least one operand is required"));
    }
    same_device(OP, operands)?;
    let spec: String = subscripts.chars().filter(|c| !c.is_whitespace()).collect();
    let (inputs, output) = match spec.split_once("->") {
        Some((i, o)) => (i, Some(o)),
        None => (spec.as_str(), None),
    };
    let terms: Vec<Term> = inputs.split(',').map(|s| parse_term(s, subscripts)).collect::<Result<_>>()?;
    if terms.len() != operands.len() {
        return Err(Error::arg(
            OP,
            format!(
                "subscripts {subscripts:?} name {} operands but {} were given",
                terms.len(),
                operands.len()
            ),
        ));
    }
    let mut ell_rank = 0;
    for (term, t) in terms.iter().zip(operands) {
        let letters = term.before.len() + term.after.as_ref().map_or(0, |a| a.len());
        let ok = if term.after.is_some() { t.rank() >= letters } else { t.rank() == letters };
        if !ok {
            return Err(Error::arg(
                OP,
                format!(
                    "subscripts {subscripts:?} give {letters} labels for an operand of shape {:?}",
                    t.dims()
                ),
            ));
        }
        if term.after.is_some() {
            ell_rank = ell_rank.max(t.rank() - letters);
        }
    }
    let labels: Vec<Vec<Label>> =
        terms.iter().zip(operands).map(|(term, t)| expand(term, t.rank(), ell_rank)).collect();
    let ell: Vec<Label> = (0..ell_rank).map(|j| ELLIPSIS + j as Label).collect();
    let out_labels: Vec<Label> = match output {
        Some(o) => {
            let term = parse_term(o, subscripts)?;
            let mut v = term.before.clone();
            if let Some(after) = &term.after {
                v.extend(&ell);
                v.extend(after);
            }
            for (i, l) in v.iter().enumerate() {
                if v[..i].contains(l) {
                    return Err(Error::arg(
                        OP,
                        format!("output label {} repeats in {subscripts:?}", label_name(*l)),
                    ));
                }
                if !labels.iter().any(|ls| ls.contains(l)) {
                    return Err(Error::arg(
                        OP,
                        format!("output label {} of {subscripts:?} is in no operand", label_name(*l)),
                    ));
                }
            }
            v
        }
        None => {
            let mut once: Vec<Label> = labels
                .iter()
                .flatten()
                .copied()
                .filter(|l| *l < ELLIPSIS && labels.iter().flatten().filter(|x| *x == l).count() == 1)
                .collect();
            once.sort_unstable();
            let mut v = ell.clone();
            v.extend(once);
            v
        }
    };

    let mut dtype = operands[0].dtype();
    for t in &operands[1..] {
        dtype = DType::promote(dtype, t.dtype());
    }
    let mut items: Vec<Labeled> = Vec::with_capacity(operands.len());
    for (t, ls) in operands.iter().zip(labels) {
        items.push(Labeled { t: cast(t, dtype)?, labels: ls }.diagonal(subscripts)?);
    }
    let mut items = items.into_iter();
    let mut acc = items.next().expect("one operand at least");
    let rest: Vec<Labeled> = items.collect();
    for (i, b) in rest.iter().enumerate() {
        let mut keep = out_labels.clone();
        for later in &rest[i + 1..] {
            keep.extend(&later.labels);
        }
        let b = Labeled { t: b.t.clone(), labels: b.labels.clone() };
        acc = contract_pair(acc, b, &keep, subscripts)?;
    }
    let acc = acc.sum_except(&out_labels)?;
    // Output labels the result lacks can only be broadcast size-1 dims squeezed away.
    let mut dims = Vec::new();
    let mut perm = Vec::new();
    for &l in &out_labels {
        match acc.labels.iter().position(|&x| x == l) {
            Some(p) => {
                perm.push(p as i64);
                dims.push(acc.t.dims()[p]);
            }
            None => dims.push(1),
        }
    }
    let is_identity = perm.iter().enumerate().all(|(i, &p)| i as i64 == p);
    let t = if is_identity { acc.t } else { transpose(&acc.t, Some(&perm))? };
    t.with_dims(&dims)
}
