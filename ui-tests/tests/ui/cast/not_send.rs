use std::rc::Rc;

use rcobj::{AnyObj, Obj, Object};

#[derive(Object)]
struct Local {
    shared: Rc<u32>,
}

fn main() {
    let local = Obj::new(Local { shared: Rc::new(1) });
    let _: AnyObj = local.upcast();
}
