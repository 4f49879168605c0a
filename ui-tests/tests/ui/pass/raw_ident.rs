// Raw identifiers and keywords as names.
use rcobj::{Obj, Object};

#[derive(Object)]
#[allow(non_camel_case_types)]
struct r#type {
    r#match: u8,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "pass.Ref")]
struct Ref {
    #[parent]
    r#ref: r#type,
}

fn main() {
    assert_eq!(r#type::type_info().key(), concat!(module_path!(), "::type"));
    let r = Obj::new(Ref { r#ref: r#type { r#match: 1 } });
    assert_eq!(r.upcast::<r#type>().r#match, 1);
}
