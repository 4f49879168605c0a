use std::cell::Cell;

use rcobj::{AnyObject, Obj, Object};

#[derive(Object)]
struct Counter {
    count: Cell<u32>,
}

fn main() {
    let counter = Obj::new(Counter { count: Cell::new(0) });
    let _ = counter.upcast::<AnyObject>();
}
