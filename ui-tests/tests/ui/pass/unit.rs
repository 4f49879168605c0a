use rcobj::{AnyObj, Obj, Object};

#[derive(Object)]
#[object(key = "pass.Unit")]
struct Unit;

#[derive(Object)]
#[repr(C)]
#[object(key = "pass.UnitChild", final)]
struct UnitChild(#[parent] Unit);

fn main() {
    let unit = Obj::new(Unit);
    assert_eq!(Obj::type_info(&unit).key(), "pass.Unit");
    assert_eq!(Unit::type_info().size(), 0);
    let any: AnyObj = Obj::new(UnitChild(Unit)).upcast();
    assert!(any.is::<Unit>());
    assert!(any.is::<UnitChild>());
}
