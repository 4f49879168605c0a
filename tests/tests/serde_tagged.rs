//! serde that keeps types: a tree of `Obj<Expr>` round-trips with every node's real type
//! and value; bad input is an `Err` naming the key and the expected base, and allocates
//! nothing that outlives the call.

// The derive's `SEND_SYNC` probe of a child that is not `Send + Sync` (`NotSync`) reports
// its unused inherent constant at the `#[parent]` field's span (reported to the derive's
// owner).
#![allow(dead_code)]

use std::cell::Cell;
use std::sync::{Mutex, MutexGuard};

use rcobj::{AnyObj, Obj, Object, RuntimeTypeBuilder, TraitKind, WeakObj};
use serde::{Deserialize, Serialize};

#[derive(Object, Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[object(key = "st.Expr")]
struct Expr {
    span: u32,
}

#[derive(Object, Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(C)]
#[object(key = "st.Const", final)]
struct Const {
    #[parent]
    expr: Expr,
    value: i64,
}

#[derive(Object, Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(C)]
#[object(key = "st.Var", final)]
struct Var {
    #[parent]
    expr: Expr,
    name: String,
}

#[derive(Object, Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(C)]
#[object(key = "st.Add", final)]
struct Add {
    #[parent]
    expr: Expr,
    a: Obj<Expr>,
    b: Obj<Expr>,
}

/// Outside `Expr`'s hierarchy.
#[derive(Object, Debug, PartialEq, Serialize, Deserialize)]
#[object(key = "st.Function")]
struct Function {
    name: String,
    body: Obj<Expr>,
}

/// A descendant that cannot be serialized.
#[derive(Object, Debug, PartialEq)]
#[repr(C)]
#[object(key = "st.Hidden", final)]
struct Hidden {
    #[parent]
    expr: Expr,
}

/// A descendant that is not `Sync` (so not `Send + Sync`).
#[derive(Object, Debug, Serialize, Deserialize)]
#[repr(C)]
#[object(key = "st.NotSync", final)]
struct NotSync {
    #[parent]
    expr: Expr,
    cell: Cell<u8>,
}

/// The tests count live instances: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn konst(span: u32, value: i64) -> Obj<Expr> {
    Obj::new(Const {
        expr: Expr { span },
        value,
    })
    .upcast()
}

fn var(name: &str) -> Obj<Expr> {
    Obj::new(Var {
        expr: Expr { span: 9 },
        name: name.into(),
    })
    .upcast()
}

fn add(a: Obj<Expr>, b: Obj<Expr>) -> Obj<Expr> {
    Obj::new(Add {
        expr: Expr { span: 1 },
        a,
        b,
    })
    .upcast()
}

fn live() -> [usize; 4] {
    [
        Expr::type_info().live_count(),
        Const::type_info().live_count(),
        Var::type_info().live_count(),
        Add::type_info().live_count(),
    ]
}

#[test]
fn a_tree_round_trips_with_its_real_types() {
    let _serial = serial();
    let tree = add(konst(2, 40), add(var("x"), konst(3, 2)));
    let json = serde_json::to_string(&tree).unwrap();
    assert_eq!(
        json,
        r#"{"st.Add":{"expr":{"span":1},"a":{"st.Const":{"expr":{"span":2},"value":40}},"b":{"st.Add":{"expr":{"span":1},"a":{"st.Var":{"expr":{"span":9},"name":"x"}},"b":{"st.Const":{"expr":{"span":3},"value":2}}}}}}"#
    );
    let back: Obj<Expr> = serde_json::from_str(&json).unwrap();
    assert!(back == tree, "every node compares as its real type");
    assert!(!Obj::ptr_eq(&back, &tree));
    let top = back.downcast_ref::<Add>().expect("an Add");
    assert_eq!(top.a.downcast_ref::<Const>().map(|c| c.value), Some(40));
    let inner = top.b.downcast_ref::<Add>().expect("an Add");
    assert_eq!(
        inner.a.downcast_ref::<Var>().map(|v| v.name.as_str()),
        Some("x")
    );
    assert_eq!(
        inner
            .b
            .downcast_ref::<Const>()
            .map(|c| (c.expr.span, c.value)),
        Some((3, 2))
    );
    // Written again, the same bytes.
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    // As `AnyObj`, through a type outside the hierarchy, and as a final exact handle.
    let any: AnyObj = back.clone().upcast();
    let any_json = serde_json::to_string(&any).unwrap();
    assert_eq!(any_json, json);
    let any_back: AnyObj = serde_json::from_str(&any_json).unwrap();
    assert!(any_back == any);
    let f = Obj::new(Function {
        name: "f".into(),
        body: back,
    });
    let f_json = serde_json::to_string(&f).unwrap();
    assert!(f_json.starts_with(r#"{"st.Function":{"name":"f","body":{"st.Add""#));
    let f_back: Obj<Function> = serde_json::from_str(&f_json).unwrap();
    assert!(f_back == f);
    let exact = Obj::new(Const {
        expr: Expr { span: 0 },
        value: 1,
    });
    assert_eq!(
        serde_json::to_string(&exact).unwrap(),
        r#"{"expr":{"span":0},"value":1}"#,
        "a final type's own handle stays untagged"
    );
}

#[test]
fn weak_handles_write_what_they_point_at() {
    let _serial = serial();
    let c = konst(0, 5);
    let w = Obj::downgrade(&c);
    assert_eq!(
        serde_json::to_string(&w).unwrap(),
        r#"{"st.Const":{"expr":{"span":0},"value":5}}"#
    );
    drop(c);
    assert_eq!(serde_json::to_string(&w).unwrap(), "null");
    let back: WeakObj<Expr> =
        serde_json::from_str(r#"{"st.Const":{"expr":{"span":0},"value":5}}"#).unwrap();
    assert!(back.upgrade().is_none());
}

fn error_of(json: &str) -> String {
    let before = live();
    let err = serde_json::from_str::<Obj<Expr>>(json)
        .unwrap_err()
        .to_string();
    assert_eq!(live(), before, "nothing left allocated for {json}");
    err
}

#[test]
fn bad_input_names_the_key_and_the_base() {
    let _serial = serial();
    let err = error_of(r#"{"st.Nope":{"span":1}}"#);
    assert!(
        err.contains("unknown type key `st.Nope` (expected `st.Expr` or a descendant)"),
        "{err}"
    );
    let err = error_of(
        r#"{"st.Function":{"name":"f","body":{"st.Var":{"expr":{"span":0},"name":"x"}}}}"#,
    );
    assert!(
        err.contains("type `st.Function` is not `st.Expr` or a descendant of it"),
        "{err}"
    );
    let err = error_of(r#"{"st.Const":{"expr":{"span":1},"value":"not a number"}}"#);
    assert!(err.contains("the value of a `st.Const`"), "{err}");
    assert!(err.contains("`Obj<st.Expr>`"), "{err}");
    let err = error_of(r#"{"st.Hidden":{"expr":{"span":1}}}"#);
    assert!(
        err.contains("`st.Hidden`") && err.contains("does not implement `Deserialize`"),
        "{err}"
    );
    let err = error_of(r#"{"st.NotSync":{"expr":{"span":1},"cell":3}}"#);
    assert!(
        err.contains(
            "type `st.NotSync` is not `Send + Sync`, so it cannot be held as an `Obj<st.Expr>`"
        ),
        "{err}"
    );
    let err = error_of(r#"{"span":1}"#);
    assert!(err.contains("unknown type key `span`"), "{err}");
    let err = error_of(r#"[1]"#);
    assert!(err.contains("a map with one entry"), "{err}");
    let err = error_of(r#"{}"#);
    assert!(err.contains("invalid length 0"), "{err}");
    // Two entries: the first object was built, then dropped.
    let err = error_of(r#"{"st.Const":{"expr":{"span":1},"value":1},"st.Var":{}}"#);
    assert!(err.contains("invalid length 2"), "{err}");
    // A bad leaf deep in a tree: the nodes already built are dropped.
    let err = error_of(
        r#"{"st.Add":{"expr":{"span":1},"a":{"st.Const":{"expr":{"span":2},"value":40}},"b":{"st.Nope":{}}}}"#,
    );
    assert!(err.contains("unknown type key `st.Nope`"), "{err}");
}

#[test]
fn a_type_without_serialize_is_an_error() {
    let _serial = serial();
    let h: Obj<Expr> = Obj::new(Hidden {
        expr: Expr::default(),
    })
    .upcast();
    assert!(!Hidden::type_info()
        .behaviour()
        .implements(TraitKind::Serialize));
    assert!(Const::type_info()
        .behaviour()
        .implements(TraitKind::Deserialize));
    let err = serde_json::to_string(&h).unwrap_err().to_string();
    assert!(
        err.contains("`Obj<st.Expr>` whose object is a `st.Hidden`"),
        "{err}"
    );
}

#[test]
fn runtime_types_do_not_serialize() {
    let _serial = serial();
    let ty = RuntimeTypeBuilder::new("st.Runtime").register().unwrap();
    let obj = ty.new_object(|_| {}).unwrap();
    let err = serde_json::to_string(&obj).unwrap_err().to_string();
    assert!(err.contains("`st.Runtime`"), "{err}");
    let err = serde_json::from_str::<AnyObj>(r#"{"st.Runtime":null}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not implement `Deserialize`"), "{err}");
    drop(obj);
    ty.unregister();
}
