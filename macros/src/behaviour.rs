//! The behaviour table: which standard traits the concrete type implements, recorded
//! without requiring any of them (see `rcobj`'s `behaviour.rs`).
//!
//! rcobj defines the probe once (`__private::Probe<T>`: for each trait an inherent
//! constant bounded by the trait, `Some(entry)`, and a fallback in the trait
//! `__private::Lacks`, `None`). The expansion only resolves `<Probe<Type>>::DEBUG` and the
//! others at the concrete type, where the inherent constant applies exactly when `Type`
//! implements the trait, and hands the answers to `Behaviour::__of::<Type>` (an inherent
//! path of the type `TypeInfo::__new` takes, so the crate path cannot substitute another
//! function). Every entry is made by a generic function of `Behaviour` bounded by its
//! trait, so a crate path that replaced the probe could only answer "no". The last entry,
//! `CREATE`, is tvm-ffi's creator of default instances (`Default + Send + Sync` types, with
//! the `tvm-ffi` feature only). An entry whose rcobj feature is off (`serde` for
//! `SERIALIZE` and `DESERIALIZE`, `tvm-ffi` for `CREATE`) would answer `None` for every
//! type, so the derive writes `None` and saves the probe, unless its own feature of that
//! name (which rcobj's turns on) is on; with neither feature it calls `Behaviour::__of_std`,
//! which takes only the first eight entries. No `unsafe` is emitted here.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::validate::ObjectType;

/// The table: `Behaviour::__of::<Type>(<probe>::DEBUG, ...)`, an expression passed to
/// `TypeInfo::__new`. `krate` names the runtime (`__rcobj`), `probe` the local alias of
/// `__private::Probe<Type>`.
pub fn behaviour(object: &ObjectType<'_>, krate: &Ident, probe: &Ident) -> TokenStream {
    let ident = object.ident;
    // Whether each entry is probed: those of an optional feature only with it.
    const SERDE: bool = cfg!(feature = "serde");
    const TVM_FFI: bool = cfg!(feature = "tvm-ffi");
    let entries = [
        ("DEBUG", true),
        ("DISPLAY", true),
        ("PARTIAL_EQ", true),
        ("EQ", true),
        ("PARTIAL_ORD", true),
        ("ORD", true),
        ("HASH", true),
        ("CLONE", true),
        ("SERIALIZE", SERDE),
        ("DESERIALIZE", SERDE),
        ("CREATE", TVM_FFI),
    ]
    .map(|(name, probed)| {
        if probed {
            let name = Ident::new(name, proc_macro2::Span::call_site());
            quote!(<#probe>::#name,)
        } else {
            quote!(::core::option::Option::None,)
        }
    });
    if cfg!(any(feature = "serde", feature = "tvm-ffi")) {
        quote!(#krate::Behaviour::__of::<#ident>(#(#entries)*))
    } else {
        // The table without the optional features' entries, which would all be `None`.
        let entries = &entries[..8];
        quote!(#krate::Behaviour::__of_std::<#ident>(#(#entries)*))
    }
}
