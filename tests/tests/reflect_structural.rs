//! `structural_eq` and `structural_hash`: equal for separately built equal graphs, with
//! equal hashes; sharing not significant (and memoized); weak parent links by position and
//! other weak links by identity; strong cycles; opaque fields by identity; skipped fields
//! ignored; floats; real types through base handles; and, by property test, that equality
//! implies equal hashes.

use std::collections::HashMap;

use proptest::prelude::*;
use rcobj::reflect::{structural_eq, structural_hash, AsAnyObj};
use rcobj::{AnyObj, Obj, Object, WeakObj};
use rcobj_tests::reflect::{
    add, call, konst, sample, var, Annotated, Block, Call, Const, Expr, Loop, Node, Pair,
};

fn same(a: &AnyObj, b: &AnyObj) -> bool {
    let eq = structural_eq(a, b);
    assert_eq!(eq, structural_eq(b, a), "symmetric");
    if eq {
        assert_eq!(
            structural_hash(a),
            structural_hash(b),
            "equal means equal hashes"
        );
    }
    eq
}

fn any<T: Object + Send + Sync>(o: &Obj<T>) -> AnyObj {
    o.as_any_obj().clone()
}

#[test]
fn separately_built_trees_are_equal_with_equal_hashes() {
    let (a, b) = (sample(), sample());
    assert!(!Obj::ptr_eq(&a, &b));
    assert!(same(&any(&a), &any(&b)));
    assert!(structural_eq(&a, &b));
    assert!(structural_eq(&Obj::borrow(&a), &any(&b)));
    assert_eq!(structural_hash(&a), structural_hash(&any(&b)));
    // Reflexive.
    assert!(same(&any(&a), &any(&a)));
}

#[test]
fn any_difference_makes_them_unequal() {
    let base = call("f", vec![add(var("x"), konst(1))]);
    for other in [
        call("g", vec![add(var("x"), konst(1))]),
        call("f", vec![add(var("y"), konst(1))]),
        call("f", vec![add(var("x"), konst(2))]),
        call("f", vec![add(konst(1), var("x"))]),
        call("f", vec![add(var("x"), konst(1)), konst(0)]),
        call("f", vec![]),
        // A `Var` and a `Const` have different types even where their fields agree.
        call("f", vec![add(var("x"), var("1"))]),
    ] {
        assert!(!same(&any(&base), &any(&other)));
        assert_ne!(structural_hash(&base), structural_hash(&other));
    }
}

#[test]
fn sharing_is_not_significant() {
    let shared = konst(5);
    let dag = Obj::new(Pair(shared.clone().upcast(), Some(shared.upcast()), 0));
    let tree = Obj::new(Pair(konst(5).upcast(), Some(konst(5).upcast()), 0));
    assert!(same(&any(&dag), &any(&tree)));
}

/// `levels` blocks, each holding the next one twice: 2^levels paths, `levels` objects.
fn diamonds(levels: u32) -> Obj<Node> {
    let mut node: Obj<Node> = Obj::new(Node::default());
    for i in 0..levels {
        node = Obj::new(Block {
            node: Node::default(),
            stmts: vec![node.clone(), node],
            label: Some((i % 3).to_string()),
        })
        .upcast();
    }
    node
}

#[test]
fn exponentially_many_paths_are_compared_once_per_pair() {
    let (a, b) = (diamonds(80), diamonds(80));
    // Would not finish if every one of the 2^80 paths were walked.
    assert!(same(&any(&a), &any(&b)));
    assert!(!same(&any(&a), &any(&diamonds(79))));
}

#[test]
fn shared_nodes_are_hashed_once() {
    let a = diamonds(100);
    let h = structural_hash(&a);
    assert_eq!(h, structural_hash(&diamonds(100)));
    assert_ne!(h, structural_hash(&diamonds(99)));
}

#[test]
fn parent_links_compare_by_position() {
    // Every child's weak parent link points up the path: the two trees agree.
    let (a, b) = (add(var("x"), konst(1)), add(var("x"), konst(1)));
    assert!(same(&any(&a), &any(&b)));
    // The same child adopted by another parent sits at another position.
    let orphan = var("x");
    let adopted = var("x");
    let _holder = add(adopted.clone(), konst(0));
    assert!(!same(&any(&orphan), &any(&adopted)));
}

#[test]
fn weak_links_within_the_graph_compare_by_where_the_target_first_occurs() {
    // Two equal blocks side by side; the leaf of the first links to one of them.
    let make = |to_second: bool| {
        let leaf = var("leaf");
        let block = || {
            Obj::new(Block {
                node: Node::default(),
                stmts: vec![],
                label: None,
            })
        };
        let (first, second) = (block(), block());
        let first = Obj::new(Block {
            stmts: vec![leaf.clone().upcast()],
            ..Obj::into_inner(first).unwrap()
        });
        let target: Obj<Node> = if to_second {
            second.clone()
        } else {
            first.clone()
        }
        .upcast();
        leaf.node.parent.set(Obj::downgrade(&target)).unwrap();
        Obj::new(Pair(first.upcast(), Some(second.upcast()), 0))
    };
    let (a, b) = (make(false), make(false));
    assert!(same(&any(&a), &any(&b)));
    assert!(same(&any(&make(true)), &any(&make(true))));
    // The same shape, but the link leads to the other block.
    assert!(!same(&any(&a), &any(&make(true))));
    // The hash sees only that the link is alive.
    assert_eq!(structural_hash(&a), structural_hash(&make(true)));
}

#[test]
fn other_weak_links_compare_by_identity() {
    #[derive(Object)]
    #[object(key = "tests.reflect_structural.Ref")]
    struct Ref(WeakObj<Expr>, u8);
    let target = var("t");
    let other = var("t");
    let a = Obj::new(Ref(Obj::downgrade(&target), 1));
    let b = Obj::new(Ref(Obj::downgrade(&target), 1));
    let c = Obj::new(Ref(Obj::downgrade(&other), 1));
    assert!(same(&any(&a), &any(&b)));
    assert!(!same(&any(&a), &any(&c)));
    let (e1, e2) = (
        Obj::new(Ref(WeakObj::new(), 1)),
        Obj::new(Ref(WeakObj::new(), 1)),
    );
    assert!(same(&any(&e1), &any(&e2)));
    assert!(!same(&any(&e1), &any(&a)));
}

fn ring(tags: &[u8]) -> Vec<Obj<Loop>> {
    let nodes: Vec<Obj<Loop>> = tags
        .iter()
        .map(|&tag| {
            Obj::new(Loop {
                tag,
                ..Loop::default()
            })
        })
        .collect();
    for (i, n) in nodes.iter().enumerate() {
        // SAFETY: nothing reads the links while they are set.
        unsafe { n.next.set(nodes[(i + 1) % nodes.len()].clone().upcast()) };
    }
    nodes
}

fn unring(nodes: &[Obj<Loop>]) {
    for n in nodes {
        // SAFETY: nothing reads the links meanwhile.
        unsafe { n.next.clear() };
    }
}

#[test]
fn strong_cycles_compare_by_their_shape() {
    let (a, b) = (ring(&[1]), ring(&[1]));
    let (c, d) = (ring(&[1, 2]), ring(&[1, 2]));
    let e = ring(&[1, 1]);
    assert!(same(&any(&a[0]), &any(&b[0])));
    assert!(same(&any(&c[0]), &any(&d[0])));
    assert!(same(&any(&c[1]), &any(&d[1])));
    assert!(!same(&any(&c[0]), &any(&d[1])));
    // One node pointing at itself is not two nodes pointing at each other, even with the
    // same tags: the back-reference goes one level up in one and two in the other.
    assert!(!same(&any(&a[0]), &any(&e[0])));
    // Entering the same ring at another node.
    assert!(same(&any(&e[0]), &any(&e[1])));
    for r in [a, b, c, d, e] {
        unring(&r);
    }
}

#[test]
fn opaque_fields_are_equal_only_within_one_object() {
    let annotated = || {
        Obj::new(Annotated {
            expr: Expr::default(),
            notes: HashMap::from([("k".to_owned(), "v".to_owned())]),
        })
    };
    let (a, b) = (annotated(), annotated());
    assert!(same(&any(&a), &any(&a)));
    assert!(!same(&any(&a), &any(&b)));
    // The hash does not look into them either: consistent, if not discriminating.
    assert_eq!(structural_hash(&a), structural_hash(&b));
}

#[test]
fn skipped_fields_are_left_out() {
    // (No arguments: their parent links would keep `get_mut` from succeeding.)
    let a = call("f", vec![]).downcast::<Call>().ok().unwrap();
    let mut b = call("f", vec![]).downcast::<Call>().ok().unwrap();
    Obj::get_mut(&mut b).unwrap().calls = 42;
    assert!(same(&any(&a), &any(&b)));
}

#[test]
fn floats_equal_by_value_and_nan() {
    #[derive(Object)]
    #[object(key = "tests.reflect_structural.Float")]
    struct Float(f64);
    let f = |x| any(&Obj::new(Float(x)));
    assert!(same(&f(f64::NAN), &f(-f64::NAN)));
    assert!(same(&f(0.0), &f(-0.0)));
    assert!(same(&f(1.5), &f(1.5)));
    assert!(!same(&f(1.5), &f(2.5)));
    assert!(!same(&f(f64::NAN), &f(0.0)));
}

#[test]
fn real_types_compare_through_base_handles() {
    let x: Obj<Expr> = var("x");
    let k: Obj<Expr> = konst(0);
    let as_node: Obj<Node> = x.clone().upcast();
    assert!(structural_eq(&x, &as_node));
    assert!(!structural_eq(&x, &k));
    assert!(structural_eq(
        &x.clone()
            .downcast::<rcobj_tests::reflect::Var>()
            .ok()
            .unwrap(),
        &as_node
    ));
    let c: Obj<Const> = konst(3).downcast().ok().unwrap();
    assert!(structural_eq(&c, &konst(3)));
}

// ---- property test: a tiny IR from a tiny alphabet, so that equal trees come up.

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Var(u8),
    Const(i8),
    Add(Box<Shape>, Box<Shape>),
    Call(u8, Vec<Shape>),
}

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        (0u8..2).prop_map(Shape::Var),
        (0i8..2).prop_map(Shape::Const),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Shape::Add(Box::new(a), Box::new(b))),
            (0u8..2, prop::collection::vec(inner, 0..3)).prop_map(|(f, args)| Shape::Call(f, args)),
        ]
    })
}

fn build(s: &Shape) -> Obj<Expr> {
    match s {
        Shape::Var(n) => var(&format!("v{n}")),
        Shape::Const(c) => konst(i64::from(*c)),
        Shape::Add(a, b) => add(build(a), build(b)),
        Shape::Call(f, args) => call(&format!("f{f}"), args.iter().map(build).collect()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // No regression files: Miri's isolation forbids the file system.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn equality_matches_the_shapes_and_implies_equal_hashes(a in shape(), b in shape()) {
        let (x, x2, y) = (build(&a), build(&a), build(&b));
        prop_assert!(structural_eq(&x, &x2));
        prop_assert_eq!(structural_hash(&x), structural_hash(&x2));
        prop_assert_eq!(structural_eq(&x, &y), a == b);
        if structural_eq(&x, &y) {
            prop_assert_eq!(structural_hash(&x), structural_hash(&y));
        }
    }
}
