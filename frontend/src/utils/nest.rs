//! `tf.nest`: functions that work with nested structures (lists, tuples and dicts of atoms).
//!
//! A structure is either a collection holding nested structures ([`Nest::List`],
//! [`Nest::Tuple`], [`Nest::Dict`]) or an *atom* ([`Nest::Leaf`]): a tensor, a number, a string,
//! anything else. As in TensorFlow:
//! - dicts are visited in sorted key order ([`BTreeMap`] keeps them sorted), so
//!   `flatten({"b": 1, "a": 2})` is `[2, 1]`;
//! - empty collections are nested structures holding no atoms;
//! - Python's `None` is an atom (`tf.nest.flatten(None) == [None]`): write it as a leaf, e.g.
//!   `Nest::Leaf(None)` with `Option` atoms. Sets, strings, tensors and arrays are atoms too.
//!
//! Namedtuples, `attr.s` classes, mapping views and composite tensors (`expand_composites`) have
//! no counterpart here.
//!
//! Error messages follow TensorFlow's wording and draw structures the way TensorFlow's
//! "Entire first structure" lines do: each atom is a `.`, e.g. `[(., .), {'a': .}]`.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::error::{Error, Result};

/// A nested structure whose atoms are of type `T`.
#[derive(Debug, Clone, PartialEq)]
pub enum Nest<T> {
    /// An atom.
    Leaf(T),
    /// A Python `list`.
    List(Vec<Nest<T>>),
    /// A Python `tuple`.
    Tuple(Vec<Nest<T>>),
    /// A Python `dict` with string keys (visited in sorted key order).
    Dict(BTreeMap<String, Nest<T>>),
}

/// One step of the path to an atom in [`flatten_with_paths`]: a list/tuple index or a dict key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathKey {
    Index(usize),
    Key(String),
}

impl<T> Nest<T> {
    /// A list of the given items.
    pub fn list(items: impl IntoIterator<Item = Nest<T>>) -> Self {
        Nest::List(items.into_iter().collect())
    }

    /// A tuple of the given items.
    pub fn tuple(items: impl IntoIterator<Item = Nest<T>>) -> Self {
        Nest::Tuple(items.into_iter().collect())
    }

    /// A dict of the given `(key, item)` pairs (a repeated key keeps its last item, as in Python).
    pub fn dict<K: Into<String>>(items: impl IntoIterator<Item = (K, Nest<T>)>) -> Self {
        Nest::Dict(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// `tf.nest.is_nested`: true for a list, tuple or dict (even an empty one), false for an atom.
    pub fn is_nested(&self) -> bool {
        !matches!(self, Nest::Leaf(_))
    }

    /// The atoms in flattening order (depth first, dicts by sorted key).
    pub fn flatten(&self) -> Vec<&T> {
        let mut out = Vec::new();
        self.visit(&mut |atom| out.push(atom));
        out
    }

    /// The atoms in flattening order, taken out of the structure.
    pub fn into_flat(self) -> Vec<T> {
        let mut out = Vec::new();
        self.into_visit(&mut |atom| out.push(atom));
        out
    }

    /// How many atoms the structure holds.
    pub fn num_atoms(&self) -> usize {
        let mut n = 0;
        self.visit(&mut |_| n += 1);
        n
    }

    /// The same structure with `f` applied to each atom (this one structure cannot fail).
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> Nest<U> {
        self.map_ref(&mut f)
    }

    fn map_ref<U>(&self, f: &mut impl FnMut(&T) -> U) -> Nest<U> {
        match self {
            Nest::Leaf(x) => Nest::Leaf(f(x)),
            Nest::List(v) => Nest::List(v.iter().map(|c| c.map_ref(f)).collect()),
            Nest::Tuple(v) => Nest::Tuple(v.iter().map(|c| c.map_ref(f)).collect()),
            Nest::Dict(m) => Nest::Dict(m.iter().map(|(k, c)| (k.clone(), c.map_ref(f))).collect()),
        }
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a T)) {
        match self {
            Nest::Leaf(x) => f(x),
            Nest::List(v) | Nest::Tuple(v) => v.iter().for_each(|c| c.visit(f)),
            Nest::Dict(m) => m.values().for_each(|c| c.visit(f)),
        }
    }

    fn into_visit(self, f: &mut impl FnMut(T)) {
        match self {
            Nest::Leaf(x) => f(x),
            Nest::List(v) | Nest::Tuple(v) => v.into_iter().for_each(|c| c.into_visit(f)),
            Nest::Dict(m) => m.into_values().for_each(|c| c.into_visit(f)),
        }
    }

    /// The children of a collection, in flattening order; `None` for an atom.
    fn children(&self) -> Option<Vec<&Nest<T>>> {
        match self {
            Nest::Leaf(_) => None,
            Nest::List(v) | Nest::Tuple(v) => Some(v.iter().collect()),
            Nest::Dict(m) => Some(m.values().collect()),
        }
    }

    /// The Python type name of this node (`list`, `tuple`, `dict`) or the Rust type of an atom.
    fn type_name(&self) -> &'static str {
        match self {
            Nest::Leaf(_) => short_type_name::<T>(),
            Nest::List(_) => "list",
            Nest::Tuple(_) => "tuple",
            Nest::Dict(_) => "dict",
        }
    }

    /// The structure with each atom drawn as `.`: `[(., .), {'a': .}]`.
    pub fn skeleton(&self) -> String {
        let mut s = String::new();
        self.write_skeleton(&mut s);
        s
    }

    fn write_skeleton(&self, s: &mut String) {
        let items = |s: &mut String, v: &[Nest<T>]| {
            for (i, c) in v.iter().enumerate() {
                if i > 0 {
                    s.push_str(", ");
                }
                c.write_skeleton(s);
            }
        };
        match self {
            Nest::Leaf(_) => s.push('.'),
            Nest::List(v) => {
                s.push('[');
                items(s, v);
                s.push(']');
            }
            Nest::Tuple(v) => {
                s.push('(');
                items(s, v);
                if v.len() == 1 {
                    s.push(',');
                }
                s.push(')');
            }
            Nest::Dict(m) => {
                s.push('{');
                for (i, (k, c)) in m.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(s, "{k:?}: ");
                    c.write_skeleton(s);
                }
                s.push('}');
            }
        }
    }

    /// `type=list str=[., .]`, as TensorFlow describes a substructure.
    fn describe(&self) -> String {
        format!("type={} str={}", self.type_name(), self.skeleton())
    }
}

fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    // Keep generic arguments readable: strip the module path of the outer type only.
    let head = full.split('<').next().unwrap_or(full);
    match head.rfind("::") {
        Some(i) => &full[i + 2..],
        None => full,
    }
}

/// `tf.nest.is_nested`.
pub fn is_nested<T>(structure: &Nest<T>) -> bool {
    structure.is_nested()
}

/// `tf.nest.flatten`: the atoms of `structure` in order (dicts by sorted key). An atom flattens
/// to a one-item list, an empty collection to an empty list.
pub fn flatten<T>(structure: &Nest<T>) -> Vec<&T> {
    structure.flatten()
}

/// The atoms of `structure` with their paths (list/tuple indices and dict keys from the root),
/// in [`flatten`] order, like `keras.tree.flatten_with_path`. An atom at the root has the
/// empty path.
pub fn flatten_with_paths<T>(structure: &Nest<T>) -> Vec<(Vec<PathKey>, &T)> {
    fn walk<'a, T>(n: &'a Nest<T>, path: &mut Vec<PathKey>, out: &mut Vec<(Vec<PathKey>, &'a T)>) {
        match n {
            Nest::Leaf(x) => out.push((path.clone(), x)),
            Nest::List(v) | Nest::Tuple(v) => {
                for (i, c) in v.iter().enumerate() {
                    path.push(PathKey::Index(i));
                    walk(c, path, out);
                    path.pop();
                }
            }
            Nest::Dict(m) => {
                for (k, c) in m {
                    path.push(PathKey::Key(k.clone()));
                    walk(c, path, out);
                    path.pop();
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(structure, &mut Vec::new(), &mut out);
    out
}

/// `tf.nest.pack_sequence_as`: the atoms of `flat_sequence`, in order, put in the places of the
/// atoms of `structure` (whose atoms are ignored). Err when the counts differ.
pub fn pack_sequence_as<S, T>(structure: &Nest<S>, flat_sequence: Vec<T>) -> Result<Nest<T>> {
    let want = structure.num_atoms();
    if want != flat_sequence.len() {
        return Err(Error::arg(
            "pack_sequence_as",
            format!(
                "Could not pack sequence. Structure had {want} atoms, but flat_sequence had {} \
                 items. Structure: {}",
                flat_sequence.len(),
                structure.skeleton()
            ),
        ));
    }
    let mut it = flat_sequence.into_iter();
    Ok(pack_from(structure, &mut it))
}

/// Rebuilds `structure` taking atoms from `it`, which holds exactly enough of them.
fn pack_from<S, T>(structure: &Nest<S>, it: &mut std::vec::IntoIter<T>) -> Nest<T> {
    match structure {
        // The caller checked the count, so the iterator never runs dry here.
        Nest::Leaf(_) => Nest::Leaf(it.next().expect("pack_sequence_as: atom count checked")),
        Nest::List(v) => Nest::List(v.iter().map(|c| pack_from(c, it)).collect()),
        Nest::Tuple(v) => Nest::Tuple(v.iter().map(|c| pack_from(c, it)).collect()),
        Nest::Dict(m) => Nest::Dict(m.iter().map(|(k, c)| (k.clone(), pack_from(c, it))).collect()),
    }
}

/// `tf.nest.assert_same_structure`: Ok when `a` and `b` are nested the same way: same
/// collections at the same places with the same lengths, atoms at the same places (the atoms
/// themselves may be of any value and type). With `check_types`, the collection types must match
/// too (a list is not a tuple); dicts must always have the same keys.
pub fn assert_same_structure<A, B>(a: &Nest<A>, b: &Nest<B>, check_types: bool) -> Result<()> {
    same_structure("assert_same_structure", a, b, check_types)
}

fn same_structure<A, B>(op: &'static str, a: &Nest<A>, b: &Nest<B>, check_types: bool) -> Result<()> {
    match first_difference(a, b, check_types) {
        None => Ok(()),
        Some(Difference::Type(detail)) => Err(Error::arg(
            op,
            format!(
                "The two structures don't have the same sequence type. {detail}\n\
                 Entire first structure:\n{}\nEntire second structure:\n{}",
                a.skeleton(),
                b.skeleton()
            ),
        )),
        Some(Difference::Nesting(detail)) => Err(Error::arg(
            op,
            format!(
                "The two structures don't have the same nested structure.\n\n\
                 First structure: {}\n\nSecond structure: {}\n\nMore specifically: {detail}\n\
                 Entire first structure:\n{}\nEntire second structure:\n{}",
                a.describe(),
                b.describe(),
                a.skeleton(),
                b.skeleton()
            ),
        )),
    }
}

enum Difference {
    /// TensorFlow raises `TypeError` for these.
    Type(String),
    /// TensorFlow raises `ValueError` for these.
    Nesting(String),
}

/// The first place (depth first) where `a` and `b` are not nested the same way.
fn first_difference<A, B>(a: &Nest<A>, b: &Nest<B>, check_types: bool) -> Option<Difference> {
    let (ca, cb) = match (a.children(), b.children()) {
        (None, None) => return None,
        (Some(ca), Some(cb)) => (ca, cb),
        (sa, _) => {
            let (seq, atom) =
                if sa.is_some() { (a.describe(), b.describe()) } else { (b.describe(), a.describe()) };
            return Some(Difference::Nesting(format!(
                "Substructure \"{seq}\" is a sequence, while substructure \"{atom}\" is not"
            )));
        }
    };
    if check_types && a.type_name() != b.type_name() {
        return Some(Difference::Type(format!(
            "First structure has type {}, while second structure has type {}.",
            a.type_name(),
            b.type_name()
        )));
    }
    if let (Nest::Dict(ma), Nest::Dict(mb)) = (a, b) {
        if !ma.keys().eq(mb.keys()) {
            return Some(Difference::Nesting(format!(
                "The two dictionaries don't have the same set of keys. First structure has keys \
                 {:?}, while second structure has keys {:?}.",
                ma.keys().collect::<Vec<_>>(),
                mb.keys().collect::<Vec<_>>()
            )));
        }
    }
    if ca.len() != cb.len() {
        return Some(Difference::Nesting(format!(
            "The two structures don't have the same number of elements. First structure: {} ({} \
             elements), second structure: {} ({} elements).",
            a.describe(),
            ca.len(),
            b.describe(),
            cb.len()
        )));
    }
    ca.into_iter().zip(cb).find_map(|(x, y)| first_difference(x, y, check_types))
}

/// `tf.nest.map_structure` over one structure: `f` applied to each atom, in the same structure.
pub fn map_structure<T, U>(f: impl FnMut(&T) -> U, structure: &Nest<T>) -> Nest<U> {
    structure.map(f)
}

/// `tf.nest.map_structure` over two structures with possibly different atom types: `f` gets the
/// atoms at the same place in `a` and `b`; the result has the structure of `a`. Err (as
/// [`assert_same_structure`]) when `a` and `b` are not nested the same way.
pub fn map_structure2<A, B, U>(
    mut f: impl FnMut(&A, &B) -> U,
    a: &Nest<A>,
    b: &Nest<B>,
    check_types: bool,
) -> Result<Nest<U>> {
    same_structure("map_structure", a, b, check_types)?;
    let out: Vec<U> = a.flatten().into_iter().zip(b.flatten()).map(|(x, y)| f(x, y)).collect();
    pack_sequence_as(a, out)
}

/// `tf.nest.map_structure(func, *structures, check_types=...)` over any number of structures
/// with the same atom type: `f` gets the atoms at the same place in every structure, in order;
/// the result has the structure of the first. Err when no structure is given or when one is
/// not nested as the first.
pub fn map_structures<T, U>(
    mut f: impl FnMut(&[&T]) -> U,
    structures: &[&Nest<T>],
    check_types: bool,
) -> Result<Nest<U>> {
    let Some((first, rest)) = structures.split_first() else {
        return Err(Error::arg("map_structure", "Must provide at least one structure"));
    };
    for other in rest {
        same_structure("map_structure", first, other, check_types)?;
    }
    let flats: Vec<Vec<&T>> = structures.iter().map(|s| s.flatten()).collect();
    let mut args = Vec::with_capacity(flats.len());
    let out: Vec<U> = (0..flats[0].len())
        .map(|i| {
            args.clear();
            args.extend(flats.iter().map(|fl| fl[i]));
            f(&args)
        })
        .collect();
    pack_sequence_as(first, out)
}
