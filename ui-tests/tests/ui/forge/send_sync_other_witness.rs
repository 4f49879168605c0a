// `crate = "..."` names a module whose `__private::Probe` answers with rcobj's own witness
// for *another* type (`u8` is `Send + Sync`), for a type that is neither (it holds an
// `Rc`). The derive names the type it asks about (`__send_sync::<Local>`), so the witness
// of `u8` is refused and `SEND_SYNC` cannot become `true`.
mod hostile {
    pub use ::rcobj::*;

    pub mod __private {
        pub use ::rcobj::__private::*;

        pub struct Probe<T>(core::marker::PhantomData<T>);

        impl<T> Lacks<T> for Probe<T> {}

        impl<T> Probe<T> {
            pub const SEND_SYNC: Option<::rcobj::__private::SendSync<u8>> =
                <::rcobj::__private::Probe<u8>>::SEND_SYNC;
        }
    }
}

#[derive(rcobj::Object)]
#[object(crate = "crate::hostile")]
struct Local {
    shared: std::rc::Rc<u8>,
}

fn main() {}
