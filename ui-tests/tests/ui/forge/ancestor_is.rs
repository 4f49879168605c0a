// The soundness issue's example: a safe impl of the helper trait behind `IsA` made
// `Obj<Square>` upcast to its sibling `Circle`, reading a `u64` as a `Box<f64>`. The trait
// is `unsafe` and sealed now: the impl does not compile (and neither would an
// `unsafe impl`).
use rcobj::{Obj, Object};

#[derive(Object)]
struct Shape;

#[derive(Object)]
#[repr(C)]
struct Circle {
    #[parent]
    shape: Shape,
    radius: Box<f64>,
}

#[derive(Object)]
#[repr(C)]
struct Square {
    #[parent]
    shape: Shape,
    side: u64,
}

impl rcobj::__private::AncestorIs<Circle, Square> for Square {}

fn main() {
    let square = Obj::new(Square { shape: Shape, side: 0x1234 });
    let circle: Obj<Circle> = square.upcast::<Circle>();
    println!("{}", circle.radius);
}
