//! The behaviour table: which standard traits the concrete type implements, recorded
//! without requiring any of them (see `rcobj`'s `behaviour.rs`).
//!
//! For each trait the output has a constant on a local probe type: a local trait,
//! implemented for every `__RcobjBehaviourProbe<T>`, gives `None` (or `false`), and an
//! inherent impl bounded by the trait gives `Some(entry)`. At the concrete type,
//! `<__RcobjBehaviourProbe<Type>>::DEBUG` resolves to the inherent constant exactly when
//! `Type: Debug`. The entries are made by `rcobj::Behaviour`'s own generic functions (an
//! inherent path of the type `TypeInfo::__new` takes, so the crate path cannot substitute
//! other functions), typed by the concrete type, and combined by `Behaviour::__of::<Type>`.
//! No `unsafe` is emitted here.
//!
//! The bounds name `::core` traits; the serde ones go through the runtime's
//! `__private::MaybeSerialize`/`MaybeDeserialize`, which without rcobj's `serde` feature
//! no type implements, so the output is the same with or without it.

use proc_macro2::TokenStream;
use quote::quote;

use crate::validate::ObjectType;

/// The generated names (chosen by `expand` so that none is the user's).
pub struct BehaviourNames {
    /// The probe type (`__RcobjBehaviourProbe`).
    pub probe: syn::Ident,
    /// The trait of its fallback constants (`__RcobjBehaviourLacks`).
    pub lacks: syn::Ident,
    /// The table constant (`__RCOBJ_BEHAVIOUR`).
    pub table: syn::Ident,
}

/// The items: `const __RCOBJ_BEHAVIOUR: Behaviour` (passed to `TypeInfo::__new`), and the
/// `Final` marker impl of a final type. `krate` names the runtime (`__rcobj`).
pub fn behaviour(
    object: &ObjectType<'_>,
    krate: &TokenStream,
    names: &BehaviourNames,
) -> TokenStream {
    let ident = object.ident;
    let BehaviourNames {
        probe: probe_ty,
        lacks,
        table,
    } = names;
    let private = quote!(#krate::__private);
    let option = quote!(::core::option::Option);
    // (constant, entry type, bound, constructor)
    let entries = [
        ("DEBUG", "DebugEntry", quote!(::core::fmt::Debug), "__debug"),
        (
            "DISPLAY",
            "DisplayEntry",
            quote!(::core::fmt::Display),
            "__display",
        ),
        (
            "PARTIAL_EQ",
            "EqEntry",
            quote!(::core::cmp::PartialEq),
            "__eq",
        ),
        (
            "PARTIAL_ORD",
            "PartialCmpEntry",
            quote!(::core::cmp::PartialOrd),
            "__partial_cmp",
        ),
        ("ORD", "CmpEntry", quote!(::core::cmp::Ord), "__cmp"),
        ("HASH", "HashEntry", quote!(::core::hash::Hash), "__hash"),
        (
            "CLONE",
            "CloneEntry",
            quote!(::core::clone::Clone + #krate::Object),
            "__clone",
        ),
        (
            "SERIALIZE",
            "SerializeEntry",
            quote!(#private::MaybeSerialize + 'static),
            "__serialize",
        ),
        (
            "DESERIALIZE",
            "DeserializeEntry",
            quote!(#private::MaybeDeserialize + #krate::Object),
            "__deserialize",
        ),
    ];
    let mut defaults = TokenStream::new();
    let mut impls = TokenStream::new();
    for (name, entry, bound, ctor) in &entries {
        let name = syn::Ident::new(name, proc_macro2::Span::call_site());
        let entry = syn::Ident::new(entry, proc_macro2::Span::call_site());
        let ctor = syn::Ident::new(ctor, proc_macro2::Span::call_site());
        defaults.extend(quote! {
            const #name: #option<#private::#entry<T>> = #option::None;
        });
        impls.extend(quote! {
            impl<T: #bound> #probe_ty<T> {
                const #name: #option<#private::#entry<T>> =
                    #option::Some(#krate::Behaviour::#ctor::<T>());
            }
        });
    }
    let final_impl = if object.is_final {
        quote! {
            #[automatically_derived]
            impl #krate::Final for #ident {}
        }
    } else {
        quote!()
    };
    quote! {
        const #table: #krate::Behaviour = {
            struct #probe_ty<T>(::core::marker::PhantomData<T>);
            trait #lacks<T> {
                #defaults
                const EQ: bool = false;
            }
            impl<T> #lacks<T> for #probe_ty<T> {}
            #impls
            impl<T: ::core::cmp::Eq> #probe_ty<T> {
                const EQ: bool = true;
            }
            #krate::Behaviour::__of::<#ident>(
                <#probe_ty<#ident>>::DEBUG,
                <#probe_ty<#ident>>::DISPLAY,
                <#probe_ty<#ident>>::PARTIAL_EQ,
                <#probe_ty<#ident>>::EQ,
                <#probe_ty<#ident>>::PARTIAL_ORD,
                <#probe_ty<#ident>>::ORD,
                <#probe_ty<#ident>>::HASH,
                <#probe_ty<#ident>>::CLONE,
                <#probe_ty<#ident>>::SERIALIZE,
                <#probe_ty<#ident>>::DESERIALIZE,
            )
        };
        #final_impl
    }
}
