//! The README example, printing what happens at each step.
//!
//! Run with `cargo run -p rcobj-examples --example quickstart`.

use rcobj::{registry, AnyObj, Obj, Object};

#[derive(Object, Debug)]
#[object(key = "demo.Shape")]
struct Shape {
    name: String,
}

#[derive(Object, Debug)]
#[repr(C)]
#[object(key = "demo.Circle", final)]
struct Circle {
    #[parent]
    shape: Shape,
    radius: f64,
}

impl Drop for Circle {
    fn drop(&mut self) {
        println!("  (Circle {:?} dropped)", self.shape.name);
    }
}

fn main() {
    let shape = registry::by_key("demo.Shape").expect("registered at link time");
    println!(
        "before any instance: `{}` has index {} and depth {}",
        shape.key(),
        shape.index(),
        shape.depth()
    );

    let c = Obj::new(Circle {
        shape: Shape { name: "c".into() },
        radius: 1.0,
    });
    println!(
        "created a circle of radius {}: strong {}, live Circles {}",
        c.radius,
        Obj::strong_count(&c),
        Circle::type_info().live_count()
    );

    let s: Obj<Shape> = c.clone().upcast::<Shape>();
    println!(
        "upcast to Shape (a pointer cast): name {:?}, real type `{}`, strong {}",
        s.name,
        Obj::type_info(&s).key(),
        Obj::strong_count(&c)
    );

    let w = Obj::downgrade(&s);
    println!("downgraded: weak {}", Obj::weak_count(&s));
    assert!(s.is::<Circle>());
    println!("s.is::<Circle>() = {}", s.is::<Circle>());
    assert_eq!(Circle::type_info().live_count(), 1);

    let any: AnyObj = s.upcast();
    let back = any.downcast::<Circle>().expect("it is a Circle");
    println!("erased to AnyObj and downcast back: radius {}", back.radius);

    println!("dropping every strong handle...");
    drop((c, back));
    println!(
        "weak upgrade now: {:?}; live Circles {}",
        w.upgrade().map(|_| "alive"),
        Circle::type_info().live_count()
    );
    drop(w);
    println!("the memory was freed with the last weak handle");
}
