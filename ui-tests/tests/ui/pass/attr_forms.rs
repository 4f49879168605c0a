// Every accepted spelling of the attributes.
use rcobj::{Obj, Object};

#[derive(Object)]
#[object()]
struct Empty;

#[derive(Object)]
#[object(key = r"pass.Raw",)]
struct RawKey;

// Keys may be split across several `#[object(...)]` attributes and mixed with others.
#[derive(Object, Debug, Clone, PartialEq)]
#[object(key = "pass.Split")]
#[repr(C)]
#[object(crate = "::rcobj", final)]
struct Split {
    #[parent]
    base: Base,
}

#[derive(Object, Debug, Clone, PartialEq, Default)]
#[object(key = "pass.Base")]
struct Base {
    value: i64,
}

fn main() {
    assert_eq!(RawKey::type_info().key(), "pass.Raw");
    assert!(Split::type_info().is_final());
    assert!(!Empty::type_info().is_final());
    let split = Obj::new(Split { base: Base { value: 1 } });
    assert_eq!(split.upcast::<Base>().value, 1);
}
