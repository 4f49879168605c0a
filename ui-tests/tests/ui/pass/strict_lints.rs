// The expansion raises no lint in a crate that denies many, for root and child types
// alike (a child's expansion carries the span of its parent field's type in places), and
// for types that are not `Send + Sync` (whose probe leaves a constant unused).
#![deny(
    warnings,
    future_incompatible,
    nonstandard_style,
    rust_2018_idioms,
    missing_debug_implementations,
    trivial_casts,
    trivial_numeric_casts,
    unreachable_pub,
    unused,
    unused_qualifications,
    unused_results,
    unsafe_op_in_unsafe_fn,
    variant_size_differences
)]

use rcobj::{Obj, Object};

#[derive(Object, Debug)]
#[object(key = "pass.Strict")]
struct Strict {
    value: u32,
}

#[derive(Object, Debug)]
#[repr(C)]
#[object(key = "pass.StrictChild", final)]
struct StrictChild {
    #[parent]
    strict: Strict,
}

#[derive(Object, Debug)]
#[repr(C)]
#[object(key = "pass.StrictLocal")]
struct StrictLocal {
    #[parent]
    strict: Strict,
    shared: std::rc::Rc<u32>,
}

#[derive(Object, Debug)]
#[repr(C)]
#[object(key = "pass.StrictLocalChild")]
struct StrictLocalChild {
    #[parent]
    local: StrictLocal,
}

fn main() {
    let local = Obj::new(StrictLocalChild {
        local: StrictLocal {
            strict: Strict { value: 2 },
            shared: std::rc::Rc::new(3),
        },
    });
    assert_eq!(*local.local.shared, 3);
    assert!(local.downcast::<Strict>().is_err());
    let child = Obj::new(StrictChild {
        strict: Strict { value: 1 },
    });
    assert_eq!(child.upcast::<Strict>().value, 1);
}
