// Every reflection mistake in one input is reported in one go, beside the derive's other
// errors, and the type stays usable (no cascade at its uses).
use rcobj::{Obj, Object};

#[derive(Object)]
#[object(key = "demo.Base")]
struct Base;

#[derive(Object)]
#[repr(C)]
#[object(kee = "demo.Broken", skip)]
struct Broken {
    #[parent]
    #[object(rename = "p")]
    base: Base,
    #[object(rename = "")]
    a: u8,
    #[object(rename = "c")]
    b: u8,
    c: u8,
    #[object(skip, rename = "d")]
    d: u8,
}

fn main() {
    let b = Obj::new(Broken { base: Base, a: 0, b: 0, c: 0, d: 0 });
    let _ = b.upcast::<Base>();
    let _ = Broken::type_info().fields();
}
