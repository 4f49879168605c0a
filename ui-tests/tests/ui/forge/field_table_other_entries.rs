// `crate = "..."` names a module whose `reflect::FieldInfo` is its own type, with a safe
// `__derived` that could put any offset and reader in an entry. The descriptor takes only
// rcobj's `FieldInfo` (`TypeInfo::__new`), whose one constructor is `unsafe`, so the
// replacement's table is refused.
mod hostile {
    pub use ::rcobj::*;

    pub mod reflect {

        pub struct FieldInfo;

        impl FieldInfo {
            pub const fn __derived<T, F>(
                _offset: usize,
                _name: &'static str,
                _type_name: &'static str,
                _doc: &'static str,
                _value: Option<::rcobj::__private::ValueFn<F>>,
                _ffi: Option<::rcobj::__private::FfiField<F>>,
            ) -> FieldInfo {
                FieldInfo
            }
        }
    }
}

#[derive(rcobj::Object)]
#[object(crate = "crate::hostile")]
struct Local {
    id: u64,
}

fn main() {}
