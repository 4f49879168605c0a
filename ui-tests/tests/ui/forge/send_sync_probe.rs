// `crate = "..."` names a module whose `__private::Probe` would answer "Send + Sync" for a
// type that is neither (it holds an `Rc`): the answer must be a `SendSync` witness, which
// only rcobj makes, under the bound. So the lie cannot be written.
mod hostile {
    pub use ::rcobj::*;

    pub mod __private {
        pub use ::rcobj::__private::*;

        pub struct Probe<T>(core::marker::PhantomData<T>);

        impl<T> Lacks<T> for Probe<T> {}

        impl<T> Probe<T> {
            pub const SEND_SYNC: Option<::rcobj::__private::SendSync<T>> =
                Some(::rcobj::__private::SendSync::new());
        }
    }
}

#[derive(rcobj::Object)]
#[object(crate = "crate::hostile")]
struct Local {
    shared: std::rc::Rc<u8>,
}

fn main() {}
