//! `rcobj::reflect::repr`: the text of an object graph, with shared nodes printed once,
//! cycles (weak and strong) ending, tuple structs, skipped and opaque fields, every value
//! kind, foreign objects and runtime types.

use core::ffi::c_void;
use std::collections::HashMap;

use rcobj::reflect::repr;
use rcobj::{
    AnyObj, Obj, ObjectHeader, RuntimeTypeBuilder, WeakObj, ANY_OBJECT_INDEX, DELETER_WEAK,
};
use rcobj_tests::reflect::{
    add, call, konst, sample, var, Annotated, Block, Call, Expr, Loop, Node, Pair,
};

#[test]
fn the_tvm_ffi_form() {
    let e = add(konst(1), var("x"));
    assert_eq!(
        repr(&e),
        concat!(
            r#"ir.Add#1(span=[2, 3], parent=None, ty="i64", "#,
            r#"lhs=ir.Const(span=[1, 2], parent=weak(ir.Add#1), ty="i64", value=1), "#,
            r#"rhs=ir.Var(span=[0, 1], parent=weak(ir.Add#1), ty="i64", name="x"))"#
        )
    );
}

/// `f(x + 1, x + (x + 1), y)`: `x` is reached three times and `x + 1` twice; every child
/// links back to the node that adopted it first.
#[test]
fn shared_subtrees_print_once_and_parent_links_end() {
    let e = sample();
    let expected = concat!(
        r#"ir.Call#1(span=[3, 4], parent=None, ty="i64", callee="f", args=["#,
        r#"ir.Add#2(span=[2, 3], parent=weak(ir.Add#3), ty="i64", "#,
        r#"lhs=ir.Var#4(span=[0, 1], parent=weak(ir.Add#2), ty="i64", name="x"), "#,
        r#"rhs=ir.Const(span=[1, 2], parent=weak(ir.Add#2), ty="i64", value=1)), "#,
        r#"ir.Add#3(span=[2, 3], parent=weak(ir.Call#1), ty="i64", lhs=ir.Var#4, rhs=ir.Add#2), "#,
        r#"ir.Var(span=[0, 1], parent=weak(ir.Call#1), ty="i64", name="y")])"#,
    );
    assert_eq!(repr(&e), expected);
    // Every handle shows the real type.
    let any: AnyObj = e.clone().upcast();
    let node: Obj<Node> = e.clone().upcast();
    assert_eq!(repr(&any), expected);
    assert_eq!(repr(&node), expected);
    assert_eq!(repr(&Obj::borrow(&e)), expected);
}

#[test]
fn weak_links_out_of_the_graph_and_dead_ones() {
    let outer = add(var("a"), var("b"));
    let Some(inner) = outer
        .downcast_ref::<rcobj_tests::reflect::Add>()
        .map(|a| a.lhs.clone())
    else {
        panic!()
    };
    // Printed alone, `a`'s parent is outside the graph: its key, no label.
    assert_eq!(
        repr(&inner),
        r#"ir.Var(span=[0, 1], parent=weak(ir.Add), ty="i64", name="a")"#
    );
    drop(outer);
    // Its parent is gone.
    assert_eq!(
        repr(&inner),
        r#"ir.Var(span=[0, 1], parent=weak(None), ty="i64", name="a")"#
    );
}

#[test]
fn strong_cycles_end_at_a_back_reference() {
    let a = Obj::new(Loop {
        tag: 1,
        ..Loop::default()
    });
    // SAFETY: nothing reads the link meanwhile.
    unsafe { a.next.set(a.clone().upcast()) };
    assert_eq!(repr(&a), "ir.Loop#1(tag=1, next=ir.Loop#1)");

    let b = Obj::new(Loop {
        tag: 2,
        ..Loop::default()
    });
    let c = Obj::new(Loop {
        tag: 3,
        ..Loop::default()
    });
    // SAFETY: as above.
    unsafe {
        b.next.set(c.clone().upcast());
        c.next.set(b.clone().upcast());
    }
    assert_eq!(
        repr(&b),
        "ir.Loop#1(tag=2, next=ir.Loop(tag=3, next=ir.Loop#1))"
    );
    // SAFETY: as above; breaks the cycles so that everything is freed.
    unsafe {
        a.next.clear();
        b.next.clear();
    }
}

#[test]
fn tuple_structs_number_their_fields() {
    let n: Obj<Node> = Obj::new(Node::default());
    let p = Obj::new(Pair(n.clone(), Some(n), 7));
    assert_eq!(
        repr(&p),
        "ir.Pair(0=ir.Node#1(span=[0, 0], parent=None), 1=ir.Node#1, 2=7)"
    );
}

#[test]
fn skipped_fields_are_left_out_and_opaque_ones_shown_by_type() {
    let c = call("g", vec![]);
    let mut c = c.downcast::<Call>().ok().unwrap();
    Obj::get_mut(&mut c).unwrap().calls = 99;
    assert_eq!(
        repr(&c),
        r#"ir.Call(span=[3, 4], parent=None, ty="i64", callee="g", args=[])"#
    );
    let a = Obj::new(Annotated {
        expr: Expr::default(),
        notes: HashMap::from([("k".to_owned(), "v".to_owned())]),
    });
    assert_eq!(
        repr(&a),
        r#"ir.Annotated(span=[0, 0], parent=None, ty="", notes=<HashMap<String, String>>)"#
    );
}

#[test]
fn every_value_kind() {
    #[derive(rcobj::Object)]
    #[object(key = "tests.reflect_repr.Kinds")]
    struct Kinds {
        yes: bool,
        no: bool,
        neg: i32,
        big: u64,
        float: f64,
        nan: f32,
        c: char,
        text: &'static str,
        bytes: Vec<u8>,
        none: Option<Obj<Node>>,
        empty_weak: WeakObj<Node>,
        nested: Vec<(u8, Option<String>)>,
    }
    let k = Obj::new(Kinds {
        yes: true,
        no: false,
        neg: -5,
        big: u64::MAX,
        float: 1.0,
        nan: f32::NAN,
        c: '\'',
        text: "a \"q\"\n",
        bytes: b"ok\x00\"\\\xff".to_vec(),
        none: None,
        empty_weak: WeakObj::new(),
        nested: vec![(1, None), (2, Some("s".into()))],
    });
    assert_eq!(
        repr(&k),
        concat!(
            r#"tests.reflect_repr.Kinds(yes=True, no=False, neg=-5, big=18446744073709551615, "#,
            r#"float=1.0, nan=NaN, c='\'', text="a \"q\"\n", bytes=b"ok\x00\x22\x5c\xff", "#,
            r#"none=None, empty_weak=weak(None), nested=[[1, None], [2, "s"]])"#
        )
    );
}

#[test]
fn types_without_fields_print_their_key() {
    #[derive(rcobj::Object)]
    #[object(key = "tests.reflect_repr.Unit")]
    struct Unit;
    assert_eq!(repr(&Obj::new(Unit)), "tests.reflect_repr.Unit");

    let ty = RuntimeTypeBuilder::new("tests.reflect_repr.Dynamic")
        .layout(8, 8)
        .register()
        .unwrap();
    let dynamic = ty.new_object(|_| {}).unwrap();
    assert_eq!(repr(&dynamic), "tests.reflect_repr.Dynamic");

    // A runtime type with a Rust parent shows the parent's fields.
    let ext = RuntimeTypeBuilder::new("tests.reflect_repr.Ext")
        .parent::<Block>()
        .layout(std::mem::size_of::<Block>() + 8, 8)
        .register()
        .unwrap();
    let block = Block {
        node: Node::default(),
        stmts: vec![],
        label: Some("l".into()),
    };
    let obj = ext.new_object_with_base(block, |_| {}).unwrap();
    assert_eq!(
        repr(&obj),
        r#"tests.reflect_repr.Ext(span=[0, 0], parent=None, stmts=[], label="l")"#
    );
}

#[test]
fn foreign_objects_print_the_root_key() {
    #[repr(C)]
    struct Foreign {
        header: ObjectHeader,
    }
    unsafe extern "C" fn deleter(obj: *mut c_void, flags: i32) {
        if flags & DELETER_WEAK != 0 {
            // SAFETY: made by `Box::into_raw` below; the weak phase runs once.
            drop(unsafe { Box::from_raw(obj.cast::<Foreign>()) });
        }
    }
    let raw = Box::into_raw(Box::new(Foreign {
        header: ObjectHeader::new(ANY_OBJECT_INDEX, Some(deleter)),
    }));
    // SAFETY: a live object with one strong reference, which we hand over.
    let any = unsafe { AnyObj::from_raw(raw.cast()) };
    assert_eq!(repr(&any), "rcobj.Object");
}
