//! Upcasts (compile-time checked), `is` / `downcast` / `downcast_ref` (run time, O(1)) over
//! three-level hierarchies, some of whose levels are defined in another crate.

use rcobj::{AnyObj, Obj, Object};
use rcobj_tests::{Polygon, Shape, Square};

/// A fourth level, defined in this crate below a final-free chain from the other crate.
#[derive(Object, Debug, Clone)]
#[repr(C)]
#[object(key = "tests.casts.Hexagon")]
struct Hexagon {
    #[parent]
    polygon: Polygon,
    regular: bool,
}

#[derive(Object, Debug, Clone)]
#[repr(C)]
#[object(key = "tests.casts.Tile", final)]
struct Tile {
    #[parent]
    hex: Hexagon,
    colour: u8,
}

#[derive(Object)]
#[object(key = "tests.casts.Unrelated")]
struct Unrelated;

fn hexagon() -> Hexagon {
    Hexagon {
        polygon: Polygon {
            shape: Shape { name: "hex".into() },
            sides: 6,
        },
        regular: true,
    }
}

#[test]
fn type_infos_describe_the_hierarchy() {
    let t = Tile::type_info();
    assert_eq!(t.depth(), 4);
    assert_eq!(Tile::DEPTH, 4);
    let keys: Vec<&str> = t.ancestors().iter().map(|a| a.key()).collect();
    assert_eq!(
        keys,
        [
            "rcobj.Object",
            "tests.Shape",
            "tests.Polygon",
            "tests.casts.Hexagon"
        ]
    );
    assert!(std::ptr::eq(t.parent().unwrap(), Hexagon::type_info()));
    assert!(t.is_final() && !Hexagon::type_info().is_final());
    assert_eq!(t.size(), std::mem::size_of::<Tile>());
    assert_eq!(t.align(), std::mem::align_of::<Tile>());
    assert_eq!(rcobj::AnyObject::type_info().depth(), 0);
    assert!(rcobj::AnyObject::type_info().parent().is_none());
    assert!(t.is_a(Shape::type_info()) && !Shape::type_info().is_a(t));
}

#[test]
fn upcast_to_every_ancestor() {
    let tile = Obj::new(Tile {
        hex: hexagon(),
        colour: 3,
    });
    let hex: Obj<Hexagon> = tile.clone().upcast();
    let poly: Obj<Polygon> = tile.clone().upcast();
    let shape: Obj<Shape> = tile.clone().upcast();
    let any: AnyObj = tile.clone().upcast();
    let same: Obj<Tile> = tile.clone().upcast();
    assert!(hex.regular);
    assert_eq!(poly.sides, 6);
    assert_eq!(shape.name, "hex");
    assert_eq!(
        Obj::strong_count(&tile),
        6,
        "upcasts move the reference, no count traffic"
    );
    for info in [
        Obj::type_info(&hex),
        Obj::type_info(&poly),
        Obj::type_info(&shape),
        Obj::type_info(&any),
        Obj::type_info(&same),
    ] {
        assert_eq!(
            info.key(),
            "tests.casts.Tile",
            "type_info is the most-derived type"
        );
    }
}

#[test]
fn is_checks_real_type_against_every_level() {
    let sq: AnyObj = Obj::new(Square::new("s", 1.0)).upcast();
    assert!(sq.is::<rcobj::AnyObject>());
    assert!(sq.is::<Shape>());
    assert!(sq.is::<Polygon>());
    assert!(sq.is::<Square>());
    assert!(!sq.is::<Hexagon>());
    assert!(!sq.is::<Tile>());
    assert!(!sq.is::<Unrelated>());

    let shape: AnyObj = Obj::new(Shape::default()).upcast();
    assert!(shape.is::<Shape>());
    assert!(!shape.is::<Polygon>());
    assert!(!shape.is::<Square>());
}

#[test]
fn downcast_returns_the_handle_on_failure() {
    let poly: Obj<Polygon> = Obj::new(hexagon()).upcast();
    let poly = poly.downcast::<Square>().unwrap_err();
    let poly = poly.downcast::<Tile>().unwrap_err();
    let hex = poly.downcast::<Hexagon>().unwrap();
    assert_eq!(hex.polygon.sides, 6);
    assert_eq!(Obj::strong_count(&hex), 1);
    let any: AnyObj = hex.upcast();
    let shape = any.downcast::<Shape>().unwrap();
    assert_eq!(shape.name, "hex");
}

#[test]
fn downcast_ref_borrows() {
    let any: AnyObj = Obj::new(Square::new("r", 2.5)).upcast();
    assert_eq!(any.downcast_ref::<Square>().unwrap().side, 2.5);
    assert_eq!(any.downcast_ref::<Polygon>().unwrap().sides, 4);
    assert!(any.downcast_ref::<Hexagon>().is_none());
    assert_eq!(Obj::strong_count(&any), 1);
}

#[repr(align(32))]
#[derive(Object, Debug)]
#[object(key = "tests.casts.Wide")]
struct Wide([u8; 32]);

#[test]
fn over_aligned_root_type_round_trips_through_any() {
    let w = Obj::new(Wide([7; 32]));
    assert_eq!(Obj::as_ptr(&w) as usize % 32, 0);
    assert_eq!(rcobj::value_offset::<Wide>(), 32);
    let any: AnyObj = w.upcast();
    assert_eq!(any.downcast_ref::<Wide>().unwrap().0[31], 7);
    assert_eq!(any.downcast::<Wide>().unwrap().0[0], 7);
}

#[test]
fn unit_and_tuple_structs() {
    let u = Obj::new(Unrelated);
    assert_eq!(Obj::type_info(&u).size(), 0);
    let any: AnyObj = u.upcast();
    assert!(any.is::<Unrelated>());
}

#[test]
fn casts_across_threads() {
    let any: AnyObj = Obj::new(Square::new("t", 1.0)).upcast();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let a = any.clone();
            std::thread::spawn(move || a.downcast::<Polygon>().map(|p| p.sides).ok())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Some(4));
    }
}
