//! The field table the derive writes: `TypeInfo::fields`/`all_fields`/`field`, every
//! `FieldInfo` accessor, skip/rename/doc, tuple structs, opaque fields, reading values
//! through base handles, and that none of it costs anything on create/clone/drop.

use std::mem::{align_of, offset_of, size_of};

use rcobj::reflect::{FieldInfo, Instance, Reflect, Value};
use rcobj::{value_offset, AnyObj, AnyObject, Obj, Object, RuntimeTypeBuilder};
use rcobj_tests::reflect::{
    call, konst, sample, var, Add, Annotated, Block, Call, Expr, Node, Pair, Var,
};
use rcobj_tests::{alloc_stats, CountingAlloc};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn names(fields: &[FieldInfo]) -> Vec<&str> {
    fields.iter().map(FieldInfo::name).collect()
}

fn all_names(info: &rcobj::TypeInfo) -> Vec<&str> {
    info.all_fields().map(FieldInfo::name).collect()
}

#[test]
fn own_fields_in_declaration_order_without_the_parent() {
    assert_eq!(names(Node::type_info().fields()), ["span", "parent"]);
    assert_eq!(names(Expr::type_info().fields()), ["ty"]);
    assert_eq!(names(Var::type_info().fields()), ["name"]);
    assert_eq!(names(Add::type_info().fields()), ["lhs", "rhs"]);
    // Renamed, and the skipped `calls` is left out.
    assert_eq!(names(Call::type_info().fields()), ["callee", "args"]);
    assert!(AnyObject::type_info().fields().is_empty());
}

#[test]
fn all_fields_start_at_the_root() {
    assert_eq!(
        all_names(Var::type_info()),
        ["span", "parent", "ty", "name"]
    );
    assert_eq!(
        all_names(Call::type_info()),
        ["span", "parent", "ty", "callee", "args"]
    );
    assert_eq!(
        all_names(Block::type_info()),
        ["span", "parent", "stmts", "label"]
    );
    assert_eq!(all_names(AnyObject::type_info()), Vec::<&str>::new());
    let all = Add::type_info().all_fields();
    assert_eq!(all.clone().count(), 5);
    assert_eq!(format!("{all:?}").matches("FieldInfo").count(), 5);
}

#[test]
fn offsets_count_from_the_header() {
    let f = Node::type_info().fields();
    assert_eq!(
        f[0].offset(),
        value_offset::<Node>() + offset_of!(Node, span)
    );
    assert_eq!(
        f[1].offset(),
        value_offset::<Node>() + offset_of!(Node, parent)
    );
    assert_eq!(value_offset::<Node>(), 24);
    let add = Add::type_info().fields();
    assert_eq!(add[0].offset(), 24 + offset_of!(Add, lhs));
    assert_eq!(add[1].offset(), 24 + offset_of!(Add, rhs));
    // Inherited fields keep their offsets: the parent is at offset 0 of the child.
    let span = Var::type_info().all_fields().next().unwrap();
    assert!(std::ptr::eq(span, &Node::type_info().fields()[0]));
    // Every reflected field of a `Var` lies inside its value, disjoint from the others.
    let mut spans: Vec<(usize, usize)> = Var::type_info()
        .all_fields()
        .map(|f| (f.offset(), f.offset() + f.size()))
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "{spans:?}");
    }
    assert!(spans.last().unwrap().1 <= 24 + size_of::<Var>());
}

#[test]
fn sizes_alignments_types_and_docs() {
    let [span, parent] = Node::type_info().fields() else {
        panic!()
    };
    assert_eq!((span.size(), span.align()), (8, 4));
    assert_eq!(span.type_name(), "(u32, u32)");
    assert_eq!(span.doc(), "Source span (start, end).");
    assert_eq!(parent.type_name(), "OnceLock<WeakObj<Node>>");
    assert_eq!(
        (parent.size(), parent.align()),
        (
            size_of::<std::sync::OnceLock<rcobj::WeakObj<Node>>>(),
            align_of::<std::sync::OnceLock<rcobj::WeakObj<Node>>>()
        )
    );
    let args = &Call::type_info().fields()[1];
    assert_eq!(args.type_name(), "Vec<Obj<Expr>>");
    assert_eq!(args.size(), size_of::<Vec<Obj<Expr>>>());
    assert_eq!(args.doc(), "The arguments.");
    assert_eq!(Expr::type_info().fields()[0].type_name(), "&'static str");
}

#[test]
fn tuple_fields_are_numbered() {
    let f = Pair::type_info().fields();
    assert_eq!(names(f), ["0", "1", "2"]);
    assert_eq!(f[2].offset(), 24 + offset_of!(Pair, 2));
    assert_eq!(f[1].type_name(), "Option<Obj<Node>>");
    let node: Obj<Node> = Obj::new(Node::default());
    let p = Obj::new(Pair(node.clone(), None, 9));
    assert!(
        matches!(f[0].get(&p), Some(Value::Object(o)) if Obj::ptr_eq(o, &node.clone().upcast()))
    );
    assert!(matches!(f[1].get(&p), Some(Value::None)));
    assert!(matches!(f[2].get(&p), Some(Value::UInt(9))));
}

#[test]
fn opaque_fields_are_listed_and_read_as_opaque() {
    let notes = &Annotated::type_info().fields()[0];
    assert!(notes.is_opaque());
    assert_eq!(notes.type_name(), "HashMap<String, String>");
    let a = Obj::new(Annotated {
        expr: Expr::default(),
        notes: [("k".to_owned(), "v".to_owned())].into(),
    });
    assert!(matches!(
        notes.get(&a),
        Some(Value::Opaque("HashMap<String, String>"))
    ));
    let opaque: Vec<&FieldInfo> = Annotated::type_info()
        .all_fields()
        .filter(|f| f.is_opaque())
        .collect();
    assert!(opaque.len() == 1 && std::ptr::eq(opaque[0], notes));
}

#[test]
fn values_through_every_handle_and_the_real_type() {
    let e = sample();
    let any: AnyObj = e.clone().upcast();
    let info = Obj::type_info(&any);
    assert_eq!(info.key(), "ir.Call");
    let callee = info.field("callee").unwrap();
    for v in [
        callee.get(&e),
        callee.get(&any),
        callee.get(&Obj::borrow(&e)),
        callee.get(&&any),
    ] {
        assert!(matches!(v, Some(Value::Str("f"))));
    }
    let Some(Value::Seq(args)) = info.field("args").unwrap().get(&any) else {
        panic!()
    };
    assert_eq!(args.len(), 3);
    assert!(matches!(args.get(2), Some(Value::Object(o)) if o.is::<Var>()));
    // A field of another type: no value.
    assert!(Var::type_info().fields()[0].get(&any).is_none());
    assert!(info.field("calls").is_none()); // skipped
    assert!(info.field("func").is_none()); // renamed
}

#[test]
fn instance_checks_the_real_type() {
    let v = var("x");
    let any: AnyObj = v.clone().upcast();
    let inst = Instance::new(&any);
    assert!(std::ptr::eq(inst.type_info(), Var::type_info()));
    assert_eq!(inst.value::<Var>().map(|v| v.name.as_str()), Some("x"));
    assert!(inst.value::<Expr>().is_some());
    assert!(inst.value::<Node>().is_some());
    assert!(inst.value::<AnyObject>().is_some());
    assert!(inst.value::<Const>().is_none());
    assert!(inst.value::<Block>().is_none());
    assert!(format!("{inst:?}").contains("ir.Var"));
}

use rcobj_tests::reflect::Const;

#[test]
fn field_lookup_prefers_the_most_derived() {
    #[derive(Object)]
    #[object(key = "tests.reflect_fields.Base")]
    struct Base {
        name: u8,
    }
    #[derive(Object)]
    #[repr(C)]
    #[object(key = "tests.reflect_fields.Shadow")]
    struct Shadow {
        #[parent]
        base: Base,
        name: String,
    }
    let s = Obj::new(Shadow {
        base: Base { name: 1 },
        name: "child".into(),
    });
    assert!(matches!(
        Shadow::type_info().field("name").unwrap().get(&s),
        Some(Value::Str("child"))
    ));
    let all: Vec<Value<'_>> = Shadow::type_info()
        .all_fields()
        .filter_map(|f| f.get(&s))
        .collect();
    assert!(matches!(all[..], [Value::UInt(1), Value::Str("child")]));
}

#[test]
fn user_types_implement_reflect() {
    struct Celsius(f64);
    impl Reflect for Celsius {
        fn reflect(&self) -> Value<'_> {
            Value::Float(self.0)
        }
    }
    struct Private(#[allow(dead_code)] u8);

    #[derive(Object)]
    #[object(key = "tests.reflect_fields.Reading")]
    struct Reading {
        temp: Celsius,
        raw: Private,
        maybe: Option<Celsius>,
        many: Vec<Celsius>,
    }
    let r = Obj::new(Reading {
        temp: Celsius(21.5),
        raw: Private(0),
        maybe: Some(Celsius(1.0)),
        many: vec![Celsius(2.0)],
    });
    let f = Reading::type_info().fields();
    assert!(matches!(f[0].get(&r), Some(Value::Float(x)) if x == 21.5));
    assert!(f[1].is_opaque());
    assert!(!f[2].is_opaque() && !f[3].is_opaque());
    assert!(matches!(f[2].get(&r), Some(Value::Float(x)) if x == 1.0));
}

#[test]
fn value_kinds_of_the_std_impls() {
    use std::collections::VecDeque;
    use std::sync::Arc;
    #[derive(Object)]
    #[object(key = "tests.reflect_fields.Kinds")]
    struct Kinds {
        b: bool,
        i: i8,
        u: usize,
        f: f32,
        c: char,
        s: Box<str>,
        a: Arc<str>,
        bytes: [u8; 2],
        deque: VecDeque<u16>,
        tuple: (u8, &'static str),
        nested: Vec<Vec<u8>>,
        boxed: Box<i64>,
        non_send: std::rc::Rc<u8>,
        cell: std::cell::OnceCell<u8>,
    }
    // `Rc` is not `Send`, so `Kinds` is not either: that is allowed, but reflection services
    // need `Send + Sync`, so read the fields through `Instance`-free `Reflect` calls.
    let k = Kinds {
        b: true,
        i: -3,
        u: 4,
        f: 0.5,
        c: 'z',
        s: "s".into(),
        a: "a".into(),
        bytes: [1, 2],
        deque: [7].into(),
        tuple: (1, "t"),
        nested: vec![vec![3]],
        boxed: Box::new(-9),
        non_send: std::rc::Rc::new(1),
        cell: std::cell::OnceCell::new(),
    };
    assert!(matches!(k.b.reflect(), Value::Bool(true)));
    assert!(matches!(k.i.reflect(), Value::Int(-3)));
    assert!(matches!(k.u.reflect(), Value::UInt(4)));
    assert!(matches!(k.f.reflect(), Value::Float(x) if x == 0.5));
    assert!(matches!(k.c.reflect(), Value::Char('z')));
    assert!(matches!(k.s.reflect(), Value::Str("s")));
    assert!(matches!(k.a.reflect(), Value::Str("a")));
    assert!(matches!(k.bytes.reflect(), Value::Bytes([1, 2])));
    assert!(matches!(k.deque.reflect(), Value::Seq(s) if matches!(s.get(0), Some(Value::UInt(7)))));
    assert!(
        matches!(k.tuple.reflect(), Value::Seq(s) if matches!(s.get(1), Some(Value::Str("t"))))
    );
    assert!(
        matches!(k.nested.reflect(), Value::Seq(s) if matches!(s.get(0), Some(Value::Bytes([3]))))
    );
    assert!(matches!(k.boxed.reflect(), Value::Int(-9)));
    assert!(matches!(k.non_send.reflect(), Value::UInt(1)));
    assert!(matches!(k.cell.reflect(), Value::None));
    assert!(Kinds::type_info().fields().iter().all(|f| !f.is_opaque()));
}

#[test]
fn handles_to_non_send_objects_are_opaque() {
    #[derive(Object)]
    #[object(key = "tests.reflect_fields.Local")]
    struct Local(std::rc::Rc<u8>);
    #[derive(Object)]
    #[object(key = "tests.reflect_fields.HoldsLocal")]
    struct HoldsLocal(Obj<Local>, rcobj::WeakObj<Local>);
    // An `AnyObj` is `Send + Sync`: lending a `!Send` object as one would let it cross
    // threads, so such handles are not reflected.
    assert!(HoldsLocal::type_info()
        .fields()
        .iter()
        .all(FieldInfo::is_opaque));
}

#[test]
fn runtime_types_without_declared_fields_have_none() {
    let ty = RuntimeTypeBuilder::new("tests.reflect_fields.Dynamic")
        .parent::<Node>()
        .layout(size_of::<Node>() + 8, 8)
        .register()
        .unwrap();
    assert!(ty.info().fields().is_empty());
    assert_eq!(all_names(ty.info()), ["span", "parent"]);
    let obj = ty.new_object_with_base(Node::default(), |_| {}).unwrap();
    assert!(matches!(
        Node::type_info().fields()[0].get(&obj),
        Some(Value::Seq(_))
    ));
}

#[test]
fn debug_shows_the_layout() {
    let text = format!("{:?}", Var::type_info().fields()[0]);
    assert!(
        text.contains("name: \"name\"") && text.contains("type_name: \"String\""),
        "{text}"
    );
}

#[test]
fn nothing_is_allocated_to_read_fields_or_on_create_clone_drop() {
    let e = call("g", vec![konst(1), var("v")]);
    let any: AnyObj = e.clone().upcast();
    let (before, _, _) = alloc_stats();
    let n = Obj::type_info(&any).all_fields().count();
    let callee = Call::type_info().fields()[0].get(&any);
    assert_eq!(
        alloc_stats().0,
        before,
        "reading the field table allocates nothing"
    );
    assert_eq!(n, 5);
    assert!(matches!(callee, Some(Value::Str("g"))));
    // Creating, cloning and dropping a reflected type: one allocation, as before.
    let (before, _, _) = alloc_stats();
    let v = var("w");
    let w = v.clone();
    drop((v, w));
    assert_eq!(
        alloc_stats().0 - before,
        2,
        "one for the value, one for the `String`"
    );
}

/// Fields of every handle shape read through `AnyObj`'s readers (the handles' erased
/// `Reflect::__READER` and `__IN_OPTION`): each value is the object itself, or none.
#[test]
fn handle_fields_read_as_the_object_they_hold() {
    use rcobj::WeakObj;

    #[derive(Object)]
    #[object(key = "reflect_fields.Handles")]
    struct Handles {
        strong: Obj<Expr>,
        weak: WeakObj<Expr>,
        some: Option<Obj<Expr>>,
        none: Option<Obj<Expr>>,
        some_weak: Option<WeakObj<Expr>>,
        none_weak: Option<WeakObj<Expr>>,
        many: Vec<Obj<Expr>>,
    }

    let target = var("t");
    let h = Obj::new(Handles {
        strong: target.clone(),
        weak: Obj::downgrade(&target),
        some: Some(target.clone()),
        none: None,
        some_weak: Some(Obj::downgrade(&target)),
        none_weak: None,
        many: vec![target.clone(), target.clone()],
    });
    let any: AnyObj = target.clone().upcast();
    let is_target = |v: Value<'_>| match v {
        Value::Object(o) => Obj::ptr_eq(o, &any),
        Value::Weak(w) => w.upgrade().is_some_and(|o| Obj::ptr_eq(&o, &any)),
        _ => false,
    };
    let field = |name: &str| Handles::type_info().field(name).unwrap().get(&h).unwrap();
    for name in ["strong", "weak", "some", "some_weak"] {
        assert!(is_target(field(name)), "{name}");
    }
    for name in ["none", "none_weak"] {
        assert!(matches!(field(name), Value::None), "{name}");
    }
    match field("many") {
        Value::Seq(s) => {
            assert_eq!(s.len(), 2);
            assert!(s.iter().all(is_target));
        }
        other => panic!("{other:?}"),
    }
}
