//! `visit_children` and `walk`: strong object fields in field order (sequences and options
//! included, weak and skipped fields not), preorder, each node of a DAG once, strong cycles
//! ending, deep graphs without deep recursion.

use rcobj::reflect::{visit_children, walk};
use rcobj::{AnyObj, Obj, Object};
use rcobj_tests::reflect::{add, call, konst, sample, var, Block, Const, Loop, Node, Pair, Var};

/// A label per node: a `Var`'s name, a `Const`'s value, else the type key.
fn label(o: &AnyObj) -> String {
    if let Some(v) = o.downcast_ref::<Var>() {
        v.name.clone()
    } else if let Some(c) = o.downcast_ref::<Const>() {
        c.value.to_string()
    } else {
        Obj::type_info(o).key().to_owned()
    }
}

fn children(o: &AnyObj) -> Vec<String> {
    let mut out = vec![];
    visit_children(o, |c| out.push(label(c)));
    out
}

fn preorder(o: &AnyObj) -> Vec<String> {
    let mut out = vec![];
    walk(o, |n| out.push(label(n)));
    out
}

fn any<T: Object + Send + Sync>(o: &Obj<T>) -> AnyObj {
    rcobj::reflect::AsAnyObj::as_any_obj(o).clone()
}

#[test]
fn children_in_field_order() {
    let e = call("f", vec![var("a"), konst(1), var("b")]);
    assert_eq!(children(&any(&e)), ["a", "1", "b"]);
    // Weak parent links are not followed.
    assert_eq!(children(&any(&var("a"))), Vec::<String>::new());
    let sum = add(konst(2), var("c"));
    assert_eq!(children(&any(&sum)), ["2", "c"]);
}

#[test]
fn options_tuples_and_nested_sequences() {
    #[derive(Object)]
    #[object(key = "tests.reflect_visit.Mixed")]
    struct Mixed {
        first: Option<Obj<Node>>,
        nested: Vec<Vec<AnyObj>>,
        tuple: (u8, Obj<Node>),
        none: Option<AnyObj>,
        #[object(skip)]
        skipped: Option<AnyObj>,
        text: String,
    }
    let n = |c: i64| -> Obj<Node> { konst(c).upcast() };
    let m = Obj::new(Mixed {
        first: Some(n(1)),
        nested: vec![vec![any(&n(2)), any(&n(3))], vec![], vec![any(&n(4))]],
        tuple: (0, n(5)),
        none: None,
        skipped: Some(any(&n(6))),
        text: "not an object".into(),
    });
    assert_eq!(children(&any(&m)), ["1", "2", "3", "4", "5"]);
    assert!(m.skipped.is_some());
}

#[test]
fn children_through_every_handle() {
    let e = sample();
    let expected = children(&any(&e));
    let mut through_borrow = vec![];
    visit_children(&Obj::borrow(&e), |c| through_borrow.push(label(c)));
    let mut through_base = vec![];
    let node: Obj<Node> = e.clone().upcast();
    visit_children(&node, |c| through_base.push(label(c)));
    assert_eq!(through_borrow, expected);
    assert_eq!(through_base, expected);
    assert_eq!(expected, ["ir.Add", "ir.Add", "y"]);
}

#[test]
fn walk_is_preorder_and_visits_shared_nodes_once() {
    // f(x + 1, x + (x + 1), y)
    let e = sample();
    assert_eq!(
        preorder(&any(&e)),
        ["ir.Call", "ir.Add", "x", "1", "ir.Add", "y"]
    );
    let tuple = Obj::new(Pair(konst(1).upcast(), Some(konst(2).upcast()), 0));
    assert_eq!(preorder(&any(&tuple)), ["ir.Pair", "1", "2"]);
}

#[test]
fn walk_lends_references_for_the_whole_borrow() {
    let e = sample();
    let mut nodes: Vec<&AnyObj> = vec![];
    walk(&e, |n| nodes.push(n));
    assert_eq!(nodes.len(), 6);
    assert!(nodes.iter().all(|n| n.is::<Node>()));
    assert_eq!(Obj::strong_count(&e), 1, "no handle was cloned");
}

#[test]
fn walk_ends_on_strong_cycles() {
    let a = Obj::new(Loop {
        tag: 1,
        ..Loop::default()
    });
    let b = Obj::new(Loop {
        tag: 2,
        ..Loop::default()
    });
    // SAFETY: nothing reads the links while they are set or cleared.
    unsafe {
        a.next.set(any(&b));
        b.next.set(any(&a));
    }
    let mut tags = vec![];
    walk(&a, |n| tags.push(n.downcast_ref::<Loop>().unwrap().tag));
    assert_eq!(tags, [1, 2]);
    // SAFETY: as above.
    unsafe {
        a.next.clear();
        b.next.clear();
    }
}

#[test]
fn walk_over_a_dag_with_exponentially_many_paths() {
    let mut node: Obj<Node> = Obj::new(Node::default());
    for _ in 0..64 {
        node = Obj::new(Block {
            node: Node::default(),
            stmts: vec![node.clone(), node],
            label: None,
        })
        .upcast();
    }
    let mut n = 0;
    walk(&node, |_| n += 1);
    assert_eq!(n, 65);
}

#[test]
fn walk_does_not_recurse() {
    let depth = if cfg!(miri) { 500 } else { 100_000 };
    let mut node: Obj<Node> = Obj::new(Node::default());
    for _ in 0..depth {
        node = Obj::new(Block {
            node: Node::default(),
            stmts: vec![node],
            label: None,
        })
        .upcast();
    }
    let mut n = 0;
    walk(&node, |_| n += 1);
    assert_eq!(n, depth + 1);
    // Take the chain apart from the top: dropping it whole would recurse as deep.
    let mut next = Some(node);
    while let Some(node) = next.take() {
        if let Ok(mut block) = node.downcast::<Block>() {
            next = Obj::get_mut(&mut block).and_then(|b| b.stmts.pop());
        }
    }
}
