// The field table raises no lint in a crate that denies many.
#![deny(
    warnings,
    future_incompatible,
    nonstandard_style,
    rust_2018_idioms,
    missing_debug_implementations,
    trivial_casts,
    trivial_numeric_casts,
    unreachable_pub,
    unused,
    unused_qualifications,
    unused_results,
    unsafe_op_in_unsafe_fn,
    variant_size_differences
)]

use rcobj::{Obj, Object};

#[derive(Object, Debug)]
#[object(key = "pass.reflect.Strict")]
struct Strict {
    value: u32,
    #[object(skip)]
    skipped: u8,
    #[object(rename = "other")]
    named: String,
}

#[derive(Object, Debug)]
#[object(key = "pass.reflect.StrictTuple")]
struct StrictTuple(u8, Vec<Obj<Strict>>);

fn main() {
    let s = Obj::new(Strict { value: 1, skipped: 0, named: String::new() });
    assert_eq!(s.value + u32::from(s.skipped), 1);
    assert!(s.named.is_empty());
    let t = Obj::new(StrictTuple(0, vec![s]));
    assert_eq!(t.0, 0);
    assert_eq!(t.1.len(), 1);
    assert_eq!(
        rcobj::reflect::repr(&t),
        r#"pass.reflect.StrictTuple(0=0, 1=[pass.reflect.Strict(value=1, other="")])"#
    );
}
