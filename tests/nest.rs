//! `tf.nest` (frontend/src/utils/nest.rs): the examples of the TensorFlow `tf.nest` pages, Python
//! values written as `Nest` values, plus mismatch errors and tensor atoms on every backend.

mod common;

use std::collections::BTreeSet;

use wgkeras::frontend::utils::nest::{
    assert_same_structure, flatten, flatten_with_paths, is_nested, map_structure, map_structure2,
    map_structures, pack_sequence_as, Nest, PathKey,
};
use wgkeras::runtime::{ops, DType, Tensor};

fn a<T>(x: T) -> Nest<T> {
    Nest::Leaf(x)
}

fn err_text<T: std::fmt::Debug>(r: wgkeras::frontend::error::Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

// ---- the tf.nest module page: is_nested ----

#[test]
fn is_nested_module_page_examples() {
    // tf.nest.is_nested("1234") -> False
    assert!(!is_nested(&a("1234")));
    // tf.nest.is_nested([1, 3, [4, 5]]) -> True
    assert!(is_nested(&Nest::list([a(1), a(3), Nest::list([a(4), a(5)])])));
    // tf.nest.is_nested(((7, 8), (5, 6))) -> True
    assert!(is_nested(&Nest::tuple([Nest::tuple([a(7), a(8)]), Nest::tuple([a(5), a(6)])])));
    // tf.nest.is_nested([]) -> True
    assert!(is_nested(&Nest::<i32>::list([])));
    // tf.nest.is_nested({"a": 1, "b": 2}) -> True
    assert!(is_nested(&Nest::dict([("a", a(1)), ("b", a(2))])));
    // .keys() / .values() / .items() views are nested: a view is the sequence it yields.
    assert!(is_nested(&Nest::list([a("a"), a("b")])));
    assert!(is_nested(&Nest::list([a(1), a(2)])));
    assert!(is_nested(&Nest::list([Nest::tuple([a("a".to_string()), a("1".to_string())])])));
    // tf.nest.is_nested(set([1, 2])) -> False: a set is an atom.
    assert!(!is_nested(&a(BTreeSet::from([1, 2]))));
    // ones = tf.ones([2, 3]); tf.nest.is_nested(ones) -> False
    let ones = ops::ones(&[2, 3], DType::F32, &wgkeras::runtime::Device::cpu()).unwrap();
    assert!(!is_nested(&a(ones)));
}

// ---- flatten ----

#[test]
fn flatten_examples() {
    // dict = {"key3": "value3", "key1": "value1", "key2": "value2"}; flatten -> sorted by key
    let d = Nest::dict([("key3", a("value3")), ("key1", a("value1")), ("key2", a("value2"))]);
    assert_eq!(flatten(&d), [&"value1", &"value2", &"value3"]);
    // tf.nest.flatten(None) -> [None]: None is an atom.
    assert_eq!(flatten(&a(None::<i32>)), [&None]);
    // tf.nest.flatten("hello") -> ["hello"]
    assert_eq!(flatten(&a("hello")), [&"hello"]);
    // tf.nest.flatten([[1, 2], [3, 4]]) -> [1, 2, 3, 4]
    let l = Nest::list([Nest::list([a(1), a(2)]), Nest::list([a(3), a(4)])]);
    assert_eq!(flatten(&l), [&1, &2, &3, &4]);
    // empty collections hold no atoms; [None, []] flattens to [None]
    assert!(flatten(&Nest::<i32>::tuple([])).is_empty());
    let n = Nest::list([a(None::<i32>), Nest::list([])]);
    assert_eq!(flatten(&n), [&None]);
    // nested mix, depth first: (1, {"b": [2, 3], "a": 4}, [5]) -> [1, 4, 2, 3, 5]
    let m =
        Nest::tuple([a(1), Nest::dict([("b", Nest::list([a(2), a(3)])), ("a", a(4))]), Nest::list([a(5)])]);
    assert_eq!(m.clone().into_flat(), [1, 4, 2, 3, 5]);
    assert_eq!(m.num_atoms(), 5);
}

#[test]
fn flatten_with_paths_gives_indices_and_keys() {
    let m = Nest::tuple([a(1), Nest::dict([("b", Nest::list([a(2)])), ("a", a(4))])]);
    let got = flatten_with_paths(&m);
    use PathKey::{Index as I, Key as K};
    assert_eq!(
        got,
        vec![(vec![I(0)], &1), (vec![I(1), K("a".into())], &4), (vec![I(1), K("b".into()), I(0)], &2),]
    );
    assert_eq!(flatten_with_paths(&a(7)), vec![(vec![], &7)]);
}

// ---- pack_sequence_as ----

#[test]
fn pack_sequence_as_examples() {
    // structure = {"key3": "", "key1": "", "key2": ""}; flat = ["value1", "value2", "value3"]
    // -> {'key3': 'value3', 'key1': 'value1', 'key2': 'value2'}
    let s = Nest::dict([("key3", a("")), ("key1", a("")), ("key2", a(""))]);
    let got = pack_sequence_as(&s, vec!["value1", "value2", "value3"]).unwrap();
    assert_eq!(got, Nest::dict([("key3", a("value3")), ("key1", a("value1")), ("key2", a("value2"))]));

    // structure = (('a','b'), ('c','d','e'), 'f'); flat = [1.0 .. 6.0]
    // -> ((1.0, 2.0), (3.0, 4.0, 5.0), 6.0)
    let s = Nest::tuple([Nest::tuple([a("a"), a("b")]), Nest::tuple([a("c"), a("d"), a("e")]), a("f")]);
    let got = pack_sequence_as(&s, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    assert_eq!(
        got,
        Nest::tuple([Nest::tuple([a(1.0), a(2.0)]), Nest::tuple([a(3.0), a(4.0), a(5.0)]), a(6.0)])
    );

    // structure = {"key3": {"c": ('alpha', 'beta'), "a": ('gamma')}, "key1": {"e": "val1", "d": "val2"}}
    // flat = ['val2', 'val1', 3.0, 1.0, 2.0]
    // -> {'key3': {'c': (1.0, 2.0), 'a': 3.0}, 'key1': {'e': 'val1', 'd': 'val2'}}
    // (('gamma') is the string 'gamma', not a tuple.) Atoms of mixed Python types: an enum here.
    #[derive(Debug, Clone, PartialEq)]
    enum V {
        S(&'static str),
        F(f64),
    }
    let s = Nest::dict([
        ("key3", Nest::dict([("c", Nest::tuple([a("alpha"), a("beta")])), ("a", a("gamma"))])),
        ("key1", Nest::dict([("e", a("val1")), ("d", a("val2"))])),
    ]);
    let flat = vec![V::S("val2"), V::S("val1"), V::F(3.0), V::F(1.0), V::F(2.0)];
    let got = pack_sequence_as(&s, flat).unwrap();
    assert_eq!(
        got,
        Nest::dict([
            ("key3", Nest::dict([("c", Nest::tuple([a(V::F(1.0)), a(V::F(2.0))])), ("a", a(V::F(3.0)))])),
            ("key1", Nest::dict([("e", a(V::S("val1"))), ("d", a(V::S("val2")))])),
        ])
    );

    // structure = ['a']; flat = [np.array([[1, 2], [3, 4]])] -> [array([[1, 2], [3, 4]])]
    let got = pack_sequence_as(&Nest::list([a("a")]), vec![vec![vec![1, 2], vec![3, 4]]]).unwrap();
    assert_eq!(got, Nest::list([a(vec![vec![1, 2], vec![3, 4]])]));

    // structure = ['a']; flat = [tf.ones([2, 2])] -> [<tf.Tensor ... ones>]
    let ones = ops::ones(&[2, 2], DType::F32, &wgkeras::runtime::Device::cpu()).unwrap();
    let got = pack_sequence_as(&Nest::list([a("a")]), vec![ones]).unwrap();
    let Nest::List(items) = &got else { panic!("expected a list, got {got:?}") };
    let Nest::Leaf(t) = &items[0] else { panic!("expected an atom") };
    assert_eq!(t.shape(), [2, 2]);
    assert_eq!(t.to_vec_f32().unwrap(), [1.0; 4]);

    // structure = ['a']; flat = ['a', 'b'] -> ValueError (counts differ)
    let e = err_text(pack_sequence_as(&Nest::list([a("a")]), vec!["a", "b"]));
    assert!(e.contains("pack_sequence_as"), "{e}");
    assert!(e.contains("Structure had 1 atoms, but flat_sequence had 2 items"), "{e}");
    assert!(e.contains("['.']") || e.contains("[.]"), "{e}");
}

#[test]
fn pack_sequence_as_edge_cases() {
    // An atom structure takes exactly one item; empty structures take none.
    assert_eq!(pack_sequence_as(&a(()), vec![5]).unwrap(), a(5));
    assert_eq!(pack_sequence_as(&Nest::<()>::list([]), Vec::<i32>::new()).unwrap(), Nest::list([]));
    let e = err_text(pack_sequence_as(&a(()), Vec::<i32>::new()));
    assert!(e.contains("Structure had 1 atoms, but flat_sequence had 0 items"), "{e}");
    let e = err_text(pack_sequence_as(&Nest::<()>::tuple([]), vec![1]));
    assert!(e.contains("Structure had 0 atoms, but flat_sequence had 1 items"), "{e}");
    // Round trip: pack(s, flatten(s)) == s.
    let s = Nest::tuple([a(1), Nest::dict([("z", Nest::list([a(2), a(3)])), ("y", Nest::tuple([]))]), a(4)]);
    assert_eq!(pack_sequence_as(&s, s.clone().into_flat()).unwrap(), s);
}

// ---- map_structure ----

#[test]
fn map_structure_examples() {
    // a = {"hello": 24, "world": 76}; map_structure(lambda p: p * 2, a) -> {'hello': 48, 'world': 152}
    let d = Nest::dict([("hello", a(24)), ("world", a(76))]);
    assert_eq!(map_structure(|p| p * 2, &d), Nest::dict([("hello", a(48)), ("world", a(152))]));

    // d1 = {"hello": 24, "world": 76}; d2 = {"hello": 36, "world": 14}
    // map_structure(lambda p1, p2: p1 + p2, d1, d2) -> {'hello': 60, 'world': 90}
    let d1 = Nest::dict([("hello", a(24)), ("world", a(76))]);
    let d2 = Nest::dict([("hello", a(36)), ("world", a(14))]);
    let want = Nest::dict([("hello", a(60)), ("world", a(90))]);
    assert_eq!(map_structures(|p| p[0] + p[1], &[&d1, &d2], true).unwrap(), want);
    assert_eq!(map_structure2(|p1, p2| p1 + p2, &d1, &d2, true).unwrap(), want);

    // Nested lists and tuples keep their shape: map_structure(lambda x: x + 1, [1, (2, [3])])
    let s = Nest::list([a(1), Nest::tuple([a(2), Nest::list([a(3)])])]);
    assert_eq!(map_structure(|x| x + 1, &s), Nest::list([a(2), Nest::tuple([a(3), Nest::list([a(4)])])]));

    // Three structures; atoms of different types with map_structure2.
    let x = Nest::tuple([a(1), a(2)]);
    let got = map_structures(|p| p.iter().copied().sum::<i32>(), &[&x, &x, &x], true).unwrap();
    assert_eq!(got, Nest::tuple([a(3), a(6)]));
    let names = Nest::tuple([a("one"), a("two")]);
    let got = map_structure2(|n, s| format!("{n}={s}"), &x, &names, true).unwrap();
    assert_eq!(got, Nest::tuple([a("1=one".to_string()), a("2=two".to_string())]));
}

#[test]
fn map_structure_errors() {
    // No structure at all: ValueError "Must provide at least one structure".
    let e = err_text(map_structures(|_: &[&i32]| 0, &[], true));
    assert!(e.contains("map_structure") && e.contains("at least one structure"), "{e}");

    // [1, 2] and [3]: different number of elements.
    let e = err_text(map_structure2(
        |x: &i32, y: &i32| x + y,
        &Nest::list([a(1), a(2)]),
        &Nest::list([a(3)]),
        true,
    ));
    assert!(e.contains("map_structure"), "{e}");
    assert!(e.contains("don't have the same nested structure"), "{e}");
    assert!(e.contains("same number of elements"), "{e}");

    // [1] and (1,): list vs tuple is a type difference with check_types, fine without it; the
    // result has the first structure's types.
    let l = Nest::list([a(1)]);
    let t = Nest::tuple([a(1)]);
    let e = err_text(map_structures(|_| (), &[&l, &t], true));
    assert!(e.contains("don't have the same sequence type"), "{e}");
    assert!(e.contains("list") && e.contains("tuple"), "{e}");
    assert_eq!(map_structures(|_| (), &[&l, &t], false).unwrap(), Nest::list([a(())]));
    assert_eq!(map_structures(|_| (), &[&t, &l], false).unwrap(), Nest::tuple([a(())]));

    // Dicts with other keys.
    let d1 = Nest::dict([("a", a(1))]);
    let d2 = Nest::dict([("b", a(1))]);
    let e = err_text(map_structure2(|x: &i32, y: &i32| x + y, &d1, &d2, false));
    assert!(e.contains("don't have the same set of keys"), "{e}");
    assert!(e.contains("[\"a\"]") && e.contains("[\"b\"]"), "{e}");

    // The third structure differs: atom where the first has a list.
    let s1 = Nest::list([a(1), Nest::list([a(2)])]);
    let s3 = Nest::list([a(1), a(2)]);
    let e = err_text(map_structures(|_| 0, &[&s1, &s1, &s3], true));
    assert!(e.contains("is a sequence, while substructure"), "{e}");
    assert!(e.contains("[., [.]]") && e.contains("[., .]"), "{e}");
}

// ---- assert_same_structure ----

#[test]
fn assert_same_structure_examples() {
    // Valid:
    // structure1 = (((1, 2), 3), 4, (5, 6))
    // structure2 = ((("foo1", "foo2"), "foo3"), "foo4", ("foo5", "foo6"))
    // structure3 = [(("a", "b"), "c"), "d", ["e", "f"]]
    let s1 = Nest::tuple([Nest::tuple([Nest::tuple([a(1), a(2)]), a(3)]), a(4), Nest::tuple([a(5), a(6)])]);
    let s2 = Nest::tuple([
        Nest::tuple([Nest::tuple([a("foo1"), a("foo2")]), a("foo3")]),
        a("foo4"),
        Nest::tuple([a("foo5"), a("foo6")]),
    ]);
    let s3 = Nest::list([
        Nest::tuple([Nest::tuple([a("a"), a("b")]), a("c")]),
        a("d"),
        Nest::list([a("e"), a("f")]),
    ]);
    assert_same_structure(&s1, &s2, true).unwrap();
    assert_same_structure(&s1, &s3, false).unwrap();
    // ... but with check_types=True, s1 (tuple) and s3 (list) differ in type.
    let e = err_text(assert_same_structure(&s1, &s3, true));
    assert!(e.contains("assert_same_structure"), "{e}");
    assert!(e.contains("don't have the same sequence type"), "{e}");
    // Dicts compare by key, whatever the order they were written in:
    // assert_same_structure({"a": 1, "b": 2, "c": 3}, {"c": 6, "b": 5, "a": 4})
    let d1 = Nest::dict([("a", a(1)), ("b", a(2)), ("c", a(3))]);
    let d2 = Nest::dict([("c", a(6)), ("b", a(5)), ("a", a(4))]);
    assert_same_structure(&d1, &d2, true).unwrap();

    // Invalid: structure1 = (1, 2); structure2 = [(1, 2), 3] -> ValueError
    let s1 = Nest::tuple([a(1), a(2)]);
    let s2 = Nest::list([Nest::tuple([a(1), a(2)]), a(3)]);
    let e = err_text(assert_same_structure(&s1, &s2, false));
    assert!(e.contains("don't have the same nested structure"), "{e}");
    assert!(e.contains("First structure: type=tuple str=(., .)"), "{e}");
    assert!(e.contains("Second structure: type=list str=[(., .), .]"), "{e}");
    assert!(e.contains("Substructure \"type=tuple str=(., .)\" is a sequence, while substructure \"type=i32 str=.\" is not"), "{e}");
    // With check_types=True the first difference found is the type (tuple vs list).
    let e = err_text(assert_same_structure(&s1, &s2, true));
    assert!(e.contains("First structure has type tuple, while second structure has type list"), "{e}");
}

#[test]
fn assert_same_structure_atoms_and_empties() {
    // Atoms of any types are the same structure; an atom is not an empty list.
    assert_same_structure(&a(1), &a("x"), true).unwrap();
    assert_same_structure(&Nest::<i32>::list([]), &Nest::<u8>::list([]), true).unwrap();
    let e = err_text(assert_same_structure(&a(1), &Nest::<i32>::list([]), true));
    assert!(
        e.contains(
            "Substructure \"type=list str=[]\" is a sequence, while substructure \"type=i32 str=.\" is not"
        ),
        "{e}"
    );
    // One-element tuple drawn the Python way.
    let e = err_text(assert_same_structure(&Nest::tuple([a(1)]), &Nest::tuple([a(1), a(2)]), true));
    assert!(e.contains("(.,)") && e.contains("same number of elements"), "{e}");
    // list vs dict of the same length: only the collection type differs.
    let l = Nest::list([a(1), a(2)]);
    let d = Nest::dict([("a", a(1)), ("b", a(2))]);
    assert_same_structure(&l, &d, false).unwrap();
    let e = err_text(assert_same_structure(&l, &d, true));
    assert!(e.contains("type list, while second structure has type dict"), "{e}");
}

// ---- tensors as atoms ----

#[test]
fn tensor_atoms_on_every_backend() {
    for dev in common::devices() {
        let t = |v: Vec<f32>, dims: &[usize]| Tensor::from_vec(v, dims, &dev).unwrap();
        // {"w": [w0, w1], "b": b}, e.g. the weights of a layer
        let params = Nest::dict([
            ("w", Nest::list([a(t(vec![1.0, 2.0, 3.0], &[3])), a(t(vec![4.0, 5.0], &[2, 1]))])),
            ("b", a(t(vec![], &[0]))),
        ]);
        let grads = params.map(|x| ops::ones_like(x).unwrap());
        let updated = map_structure2(|p, g| ops::add(p, g).unwrap(), &params, &grads, true).unwrap();
        let flat = flatten(&updated);
        assert_eq!(flat.len(), 3);
        // sorted keys: "b" first, then w0, w1
        assert_eq!(flat[0].shape(), [0]);
        assert_eq!(flat[1].to_vec_f32().unwrap(), [2.0, 3.0, 4.0]);
        assert_eq!(flat[2].shape(), [2, 1]);
        assert_eq!(flat[2].to_vec_f32().unwrap(), [5.0, 6.0]);
        // flatten / pack_sequence_as round trip keeps the tensors where they were.
        let shapes = map_structure(|x: &Tensor| x.shape().to_vec(), &updated);
        let repacked = pack_sequence_as(&params, updated.clone().into_flat()).unwrap();
        assert_eq!(map_structure(|x: &Tensor| x.shape().to_vec(), &repacked), shapes);
        // A structure of tensors against one of shapes, several at once.
        let sums = map_structures(|ts| ops::add(ts[0], ts[1]).unwrap(), &[&params, &updated], true).unwrap();
        assert_eq!(flatten(&sums)[1].to_vec_f32().unwrap(), [3.0, 5.0, 7.0]);
        // Mismatch: a missing tensor.
        let short = Nest::dict([("w", Nest::list([a(t(vec![1.0], &[1]))])), ("b", a(t(vec![], &[0])))]);
        let e = err_text(assert_same_structure(&params, &short, true));
        assert!(e.contains("same number of elements") && e.contains("[., .]"), "{dev:?}: {e}");
    }
}
