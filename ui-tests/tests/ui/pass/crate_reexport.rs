// `crate = "..."` points the expansion at a re-export of the runtime, as a code generator
// or a crate wrapping rcobj would.
mod reexport {
    pub use ::rcobj;
}

mod deep {
    pub mod path {
        pub use ::rcobj as runtime;
    }
}

use crate::reexport::rcobj::{Obj, Object};

#[derive(Object)]
#[object(crate = "crate::reexport::rcobj", key = "pass.Exported")]
struct Exported {
    value: u32,
}

#[derive(crate::deep::path::runtime::Object)]
#[repr(C)]
#[object(crate = "crate::deep::path::runtime")]
struct Child {
    #[parent]
    parent: Exported,
}

fn main() {
    let child = Obj::new(Child {
        parent: Exported { value: 3 },
    });
    assert_eq!(child.upcast::<Exported>().value, 3);
    assert_eq!(Exported::type_info().key(), "pass.Exported");
}
