// The expansion's own names (`o`, `i`, `v`, `Value`, `Instance`, `FieldInfo`) do not clash
// with the user's, and raw identifiers keep their names.
use rcobj::reflect::repr;
use rcobj::{Obj, Object};

#[allow(dead_code)]
struct Value;
#[allow(dead_code)]
struct Instance;
#[allow(dead_code)]
struct FieldInfo;
#[allow(dead_code)]
struct Option;

#[derive(Object)]
#[object(key = "pass.reflect.Names")]
struct Names {
    o: u8,
    i: u8,
    v: u8,
    r#type: u8,
    __rcobj_field: u8,
    #[object(rename = "r#raw")]
    raw: u8,
}

fn main() {
    let n = Obj::new(Names { o: 1, i: 2, v: 3, r#type: 4, __rcobj_field: 5, raw: 6 });
    assert_eq!(
        repr(&n),
        "pass.reflect.Names(o=1, i=2, v=3, type=4, __rcobj_field=5, r#raw=6)"
    );
}
