// Deriving from, and upcasting to, object types of another crate.
use rcobj::{AnyObj, Obj, Object};
use rcobj_ui_tests::{Polygon, Shape};

#[derive(Object)]
#[repr(C)]
#[object(key = "pass.Square", final)]
struct Square {
    #[parent]
    polygon: Polygon,
    side: f64,
}

fn main() {
    let square = Obj::new(Square {
        polygon: Polygon {
            shape: Shape { name: "square".into() },
            corners: 4,
        },
        side: 2.0,
    });
    assert_eq!(square.side, 2.0);
    let polygon: Obj<Polygon> = square.clone().upcast();
    let shape: Obj<Shape> = square.clone().upcast();
    let any: AnyObj = square.upcast();
    assert_eq!(polygon.corners, 4);
    assert_eq!(shape.name, "square");
    assert!(any.is::<Square>());
    assert_eq!(Square::type_info().depth(), 3);
}
