// Every trait an upcast trusts refuses impls from outside rcobj: `IsA` and `Up` are
// `unsafe` (a safe impl does not compile), `AncestorIs` and `DepthMinus` are also sealed
// (not even an `unsafe impl` compiles).
use rcobj::__private::{AncestorIs, DepthMinus, Up};
use rcobj::{IsA, Object};

#[derive(Object)]
struct Shape;

#[derive(Object)]
#[repr(C)]
struct Circle(#[parent] Shape, Box<f64>);

#[derive(Object)]
#[repr(C)]
struct Square(#[parent] Shape, u64);

struct Steps;

impl IsA<Circle> for Square {}

impl Up<Steps> for Square {
    type Out = Circle;
}

unsafe impl AncestorIs<Circle, Square> for Square {}

struct Minus;

unsafe impl DepthMinus<Minus> for Steps {
    type Out = Steps;
}

fn main() {}
