//! Code generation: the `Object` impl, the static descriptor and ancestors table,
//! link-time registration, the `Up` impls for upcasts, and compile-time assertions.
//!
//! Everything is wrapped in `const _: () = { ... };`, which starts with
//! `use <runtime path> as __rcobj;` (`::rcobj`, or the `crate = "..."` path). Every other
//! path is absolute (`::core`) or goes through `__rcobj`, so the output compiles under
//! `#![no_implicit_prelude]` and is not confused by the user's names.
//!
//! The parent type is written once, as `<Field as ParentType>::This` behind a local type
//! alias, and every token that mentions it carries the span of the `#[parent]` field's
//! type. If that type is not an object type, the compiler reports the one failed
//! `ParentType` obligation on the field and treats the parent as an error type everywhere
//! else, so the user sees one error instead of one per generated item.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::validate::ObjectType;

/// Expands a validated object type.
///
/// `checks` is false for the stand-in expansion emitted next to errors (see
/// [`crate::validate::Validated`]): it makes the type an object so that the rest of the
/// program does not fail on every use, and leaves out the assertion whose premise
/// (`repr(C)`) the reported errors may deny. The checks on the parent type stay, so that
/// they are reported in the same round.
pub fn expand(object: &ObjectType<'_>, checks: bool) -> TokenStream {
    let ident = object.ident;
    let span = match &object.parent {
        Some(p) => p.ty.span(),
        None => Span::call_site(),
    };
    // The runtime's path is written once, in `use <path> as __rcobj;`: a user's
    // `crate = "..."` keeps the string's span there, so that a path that does not resolve
    // is reported on it, once. Everything else names `__rcobj`, with `span`.
    // The default `::rcobj` gets the call site's span: if it does not resolve, the error
    // points at the derive.
    let use_krate = match &object.krate {
        Some(path) => {
            let at = path
                .segments
                .first()
                .map_or_else(Span::call_site, |s| s.ident.span());
            quote_spanned!(at=> use #path as __rcobj;)
        }
        None => quote!(
            use ::rcobj as __rcobj;
        ),
    };
    let krate = quote_spanned!(span=> __rcobj);
    let private = quote_spanned!(span=> #krate::__private);
    let name = ident.unraw().to_string();
    let rust_name = quote!(::core::concat!(::core::module_path!(), "::", #name));
    let key = match &object.key {
        Some(key) => quote!(#key),
        None => rust_name.clone(),
    };
    // A default key is unique per definition once the definition site is appended; the
    // registry uses that form only for default keys that collide.
    let site_key = match &object.key {
        Some(_) => quote!(::core::option::Option::None),
        None => quote!(::core::option::Option::Some(::core::concat!(
            ::core::module_path!(), "::", #name, "@",
            ::core::file!(), ":", ::core::line!(), ":", ::core::column!()
        ))),
    };
    let is_final = object.is_final;

    let parent_alias = match &object.parent {
        Some(p) => {
            let ty = &p.ty;
            quote_spanned! {span=>
                type __RcobjParent = <#ty as #private::ParentType>::This;
            }
        }
        None => quote! {
            type __RcobjParent = #krate::AnyObject;
        },
    };
    let parent = quote_spanned!(span=> __RcobjParent);
    let parent_obj = quote_spanned!(span=> <__RcobjParent as #krate::Object>);

    let assertions = match &object.parent {
        Some(p) => {
            let member = &p.member;
            let child = name.as_str();
            let parent = type_name(&p.ty);
            // Only `repr(C)` puts the first field at offset 0: without it (an error already
            // reported) the stand-in expansion leaves this assertion out.
            let at_zero = if checks {
                let message = format!("the `#[parent]` field of `{child}` must be at offset 0");
                quote_spanned! {span=>
                    const _: () = ::core::assert!(
                        #private::offset_of!(#ident, #member) == 0,
                        #message,
                    );
                }
            } else {
                quote!()
            };
            let message = format!(
                "`{child}` is more aligned than its parent `{parent}`, so their values would \
                 start at different offsets after the object header; raise `{parent}`'s \
                 alignment to `{child}`'s with `#[repr(align(N))]`"
            );
            quote_spanned! {span=>
                const _: () = #private::require_inheritable::<__RcobjParent>();
                #at_zero
                const _: () = ::core::assert!(
                    #private::value_offset::<#ident>()
                        == #private::value_offset::<__RcobjParent>(),
                    #message,
                );
            }
        }
        None => quote!(),
    };

    // The marker impls do not mention the parent, so they keep the call site's span:
    // a list of implementors in an error then points at the derives.
    let call_site_private = quote!(__rcobj::__private);
    let mut markers = quote! {
        #[automatically_derived]
        // SAFETY: `This` is `Self`.
        unsafe impl #call_site_private::ParentType for #ident {
            type This = #ident;
        }
    };
    if !is_final {
        markers.extend(quote! {
            #[automatically_derived]
            // SAFETY: the type is not declared `final`.
            unsafe impl #call_site_private::Inheritable for #ident {}
        });
    }

    let ancestors_len = quote_spanned!(span=> #parent_obj::DEPTH + 1);

    let (reflect_items, reflect_fields) = crate::reflect::expand(ident, &object.fields);

    // Spanned as a whole (see the module docs): no token of the expansion may mention the
    // parent with another span, or the compiler reports a failure there too.
    quote_spanned! {span=>
        #[allow(
            non_upper_case_globals,
            non_camel_case_types,
            unused_qualifications,
            clippy::all
        )]
        const _: () = {
            #use_krate
            #parent_alias

            static __RCOBJ_ANCESTORS: [&'static #krate::TypeInfo; #ancestors_len] =
                #private::ancestors::<{ #ancestors_len }>(
                    #parent_obj::ANCESTORS,
                    #parent_obj::TYPE_INFO,
                );

            // SAFETY: initialises a `static`.
            static __RCOBJ_TYPE_INFO: #krate::TypeInfo = unsafe {
                #krate::TypeInfo::__new(
                    #key,
                    #site_key,
                    #rust_name,
                    #ancestors_len,
                    ::core::option::Option::Some(#parent_obj::TYPE_INFO),
                    &__RCOBJ_ANCESTORS,
                    #is_final,
                    #private::size_of::<#ident>(),
                    #private::align_of::<#ident>(),
                    #reflect_fields,
                )
            };

            #reflect_items

            // SAFETY: generated by the derive: the parent is the first field of a
            // `repr(C)` struct (checked below) or `AnyObject`, and the descriptor
            // describes this type.
            #[automatically_derived]
            unsafe impl #krate::Object for #ident {
                type Parent = #parent;
                type Depth = #private::S<#parent_obj::Depth>;
                const TYPE_INFO: &'static #krate::TypeInfo = &__RCOBJ_TYPE_INFO;
                const DEPTH: usize = #ancestors_len;
                const ANCESTORS: &'static [&'static #krate::TypeInfo] = &__RCOBJ_ANCESTORS;
                const IS_FINAL: bool = #is_final;
                // `Send + Sync`, decided at this concrete type: the inherent constant of
                // `__RcobjProbe<T>` exists only where `T: Send + Sync`, and otherwise
                // the trait's constant answers. Only `::core` paths: the crate path
                // cannot change the answer.
                const SEND_SYNC: bool = {
                    trait __RcobjNotSendSync {
                        const SEND_SYNC: bool = false;
                    }
                    struct __RcobjProbe<T: ?::core::marker::Sized>(
                        ::core::marker::PhantomData<T>,
                    );
                    impl<T: ?::core::marker::Sized> __RcobjNotSendSync for __RcobjProbe<T> {}
                    impl<T: ?::core::marker::Sized + ::core::marker::Send + ::core::marker::Sync>
                        __RcobjProbe<T>
                    {
                        const SEND_SYNC: bool = true;
                    }
                    <__RcobjProbe<#ident>>::SEND_SYNC
                };
            }

            #[automatically_derived]
            impl #private::Up<#private::Z> for #ident {
                type Out = #ident;
            }

            #[automatically_derived]
            impl<N> #private::Up<#private::S<N>> for #ident
            where
                #parent: #private::Up<N>,
            {
                type Out = <#parent as #private::Up<N>>::Out;
            }

            #markers

            #private::inventory::submit! {
                #private::Registration(&__RCOBJ_TYPE_INFO)
            }

            #assertions
        };
    }
}

/// A type as the user wrote it, for messages: `inner::Base`, not `inner :: Base`. Braces
/// are doubled, since the message is a format string.
pub(crate) fn type_name(ty: &syn::Type) -> String {
    let mut name = ty.to_token_stream().to_string();
    for (spaced, tight) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" < ", "<"),
        (" <", "<"),
        (" >", ">"),
    ] {
        name = name.replace(spaced, tight);
    }
    name.replace('{', "{{").replace('}', "}}")
}
