// `crate = "..."` names a module whose `AnyObject` is an ordinary object type with a
// field. A root struct derived through it would have that type as its parent without
// containing it; the derive asserts that the root's parent is rcobj's root (depth 0).
mod hostile {
    pub use ::rcobj::{reflect, Behaviour, Object, TypeInfo};

    pub mod __private {
        pub use ::rcobj::__private::*;
    }

    #[derive(::rcobj::Object)]
    pub struct AnyObject {
        pub text: String,
    }
}

#[derive(rcobj::Object)]
#[object(crate = "crate::hostile")]
struct Number {
    value: u64,
}

fn main() {
    let n = rcobj::Obj::new(Number { value: 0x1234 });
    println!("{}", n.upcast::<hostile::AnyObject>().text);
}
