use rcobj::{Obj, Object};

#[derive(Object)]
struct Point(i32, i32);

#[derive(Object)]
#[repr(C)]
struct Point3(#[parent] Point, i32);

fn main() {
    let p = Obj::new(Point3(Point(1, 2), 3));
    assert_eq!((p.0 .0, p.0 .1, p.1), (1, 2, 3));
    // The default key is the Rust path.
    assert_eq!(Point3::type_info().key(), concat!(module_path!(), "::Point3"));
    let base: Obj<Point> = p.upcast();
    assert_eq!(base.1, 2);
    assert!(base.downcast::<Point3>().is_ok());
}
