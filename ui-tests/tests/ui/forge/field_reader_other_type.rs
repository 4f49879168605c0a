// `crate = "..."` names a module whose `__private::ReflectProbe` answers, for every field,
// with rcobj's reader of *another* type (`String`). The field table's entries are made by
// `FieldInfo::__derived::<Type, FieldType>`, which takes only a reader of the field type it
// is told, so reading the `u64` field as a `String` is refused.
mod hostile {
    pub use ::rcobj::*;

    pub mod __private {
        pub use ::rcobj::__private::*;

        pub struct ReflectProbe<T>(core::marker::PhantomData<T>);

        impl<T> ReflectProbe<T> {
            pub const VALUE: Option<::rcobj::__private::ValueFn<String>> =
                <::rcobj::__private::ReflectProbe<String>>::VALUE;
        }
    }
}

#[derive(rcobj::Object)]
#[object(crate = "crate::hostile")]
struct Local {
    id: u64,
}

fn main() {}
