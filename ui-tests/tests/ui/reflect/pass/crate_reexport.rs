// `crate = "..."`: the field table goes through the re-export too.
mod reexport {
    pub use ::rcobj;
}

mod deep {
    pub mod path {
        pub use ::rcobj as runtime;
    }
}

use crate::reexport::rcobj::reflect::{repr, structural_eq};
use crate::reexport::rcobj::{Obj, Object};

#[derive(Object)]
#[object(crate = "crate::reexport::rcobj", key = "pass.reflect.Exported")]
struct Exported {
    value: u32,
    #[object(rename = "label")]
    name: String,
}

#[derive(crate::deep::path::runtime::Object)]
#[repr(C)]
#[object(crate = "crate::deep::path::runtime", key = "pass.reflect.ExportedChild")]
struct Child {
    #[parent]
    parent: Exported,
    next: Option<Obj<Exported>>,
}

fn main() {
    let make = || {
        Obj::new(Child {
            parent: Exported { value: 3, name: "n".into() },
            next: None,
        })
    };
    let child = make();
    assert_eq!(
        repr(&child),
        r#"pass.reflect.ExportedChild(value=3, label="n", next=None)"#
    );
    assert!(structural_eq(&child, &make()));
}
