// The field table and its getter are safe code: a crate that forbids `unsafe` compiles
// with reflected fields of every kind.
#![forbid(unsafe_code)]

use std::collections::HashMap;

use rcobj::reflect::{repr, Value};
use rcobj::{Obj, Object, WeakObj};

#[derive(Object)]
#[object(key = "pass.reflect.Safe")]
struct Safe {
    /// A number.
    n: i32,
    name: String,
    bytes: Vec<u8>,
    child: Option<Obj<Safe>>,
    up: WeakObj<Safe>,
    cache: HashMap<u8, u8>,
    #[object(skip)]
    hidden: u8,
    #[object(rename = "renamed")]
    original: bool,
}

#[derive(Object)]
#[object(key = "pass.reflect.SafeTuple")]
struct SafeTuple(u8, Vec<Obj<Safe>>);

fn main() {
    let s = Obj::new(Safe {
        n: -1,
        name: "s".into(),
        bytes: vec![1],
        child: None,
        up: WeakObj::new(),
        cache: HashMap::new(),
        hidden: 0,
        original: true,
    });
    assert_eq!(s.hidden, 0);
    assert_eq!(
        repr(&s),
        r#"pass.reflect.Safe(n=-1, name="s", bytes=b"\x01", child=None, up=weak(None), cache=<HashMap<u8, u8>>, renamed=True)"#
    );
    let t = Obj::new(SafeTuple(1, vec![s]));
    assert!(matches!(SafeTuple::type_info().fields()[0].get(&t), Some(Value::UInt(1))));
}
