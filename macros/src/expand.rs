//! Code generation: the `Object` impl, the static descriptor and ancestors table,
//! link-time registration, the `unsafe` `Up` impls for upcasts, and compile-time
//! assertions.
//!
//! Everything is wrapped in `const _: () = { ... };`, which starts with
//! `use <runtime path> as __rcobj;` (`::rcobj`, or the `crate = "..."` path). Every other
//! path is absolute (`::core`) or goes through `__rcobj`, so the output compiles under
//! `#![no_implicit_prelude]` and is not confused by the user's names.
//!
//! # What the output trusts
//!
//! The `crate = "..."` path may name a module that re-exports rcobj but replaces any item
//! of its `__private` module, so no check that soundness rests on goes through it:
//!
//! * layout (the parent field at offset 0, equal value offsets, size and alignment in the
//!   descriptor): `::core::mem` only. The value offset in `ObjCell<T>` is the 24-byte
//!   header's size rounded up to `align_of::<T>()` (rcobj asserts that this is
//!   `value_offset`'s answer);
//! * that the parent field's type *is* the parent: a method from `&Child` to a raw pointer
//!   to the parent, whose body takes the field's address (`::core::ptr::addr_of!`); a raw
//!   pointer to a sized type coerces to no other pointee, where a `&Parent` made from
//!   `&self.field` would deref-coerce, e.g. from a `Box<Parent>`;
//! * the descriptor and ancestors table: inherent functions of `__rcobj::TypeInfo` (which
//!   the `Object` impl's constants force to be rcobj's) fed with the parent's `Object`
//!   constants; finality: the parent's `IS_FINAL`; the root: `DEPTH == 0`;
//! * `Send + Sync`: a probe that uses `::core` only;
//! * the upcast traits (`Up`) are `unsafe`: a replacement could only make the derive's
//!   `unsafe impl` implement another trait, and the type would not upcast at all.
//!
//! # Spans
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

/// The size of rcobj's object header; the value follows it, at this offset rounded up to
/// the value's alignment.
const HEADER_SIZE: usize = 24;

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
                        ::core::mem::offset_of!(#ident, #member) == 0,
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
            let not_final =
                format!("`{parent}` is `final`: no object type may name it as `#[parent]`");
            quote_spanned! {span=>
                // Not final. The trait bound gives the error message; the assertion is
                // what holds whatever `__private` is. One item: when the bound fails, the
                // assertion is not evaluated, and the user sees one error.
                const _: () = {
                    #private::require_inheritable::<__RcobjParent>();
                    ::core::assert!(!#parent_obj::IS_FINAL, #not_final);
                };
                // The parent is the `#[parent]` field's type itself (see the module docs).
                // A method of a local trait, so that its argument is `self` (a binding of
                // another name could clash with a unit or tuple struct of that name).
                trait __RcobjParentField {
                    fn parent_field(&self) -> *const __RcobjParent;
                }
                impl __RcobjParentField for #ident {
                    fn parent_field(&self) -> *const __RcobjParent {
                        ::core::ptr::addr_of!(self.#member)
                    }
                }
                #at_zero
                const _: () = ::core::assert!(
                    ::core::primitive::usize::next_multiple_of(
                        #HEADER_SIZE,
                        ::core::mem::align_of::<#ident>(),
                    ) == ::core::primitive::usize::next_multiple_of(
                        #HEADER_SIZE,
                        ::core::mem::align_of::<__RcobjParent>(),
                    ),
                    #message,
                );
            }
        }
        // A root's parent must be rcobj's root, the one object type of depth 0.
        None => {
            let message = format!(
                "the `AnyObject` of `{}` is not rcobj's root type",
                object
                    .krate
                    .as_ref()
                    .map_or_else(|| "::rcobj".to_owned(), type_name_of)
            );
            // On the crate path, if there is one: the error is about that path.
            let at = object
                .krate
                .as_ref()
                .and_then(|p| p.segments.first())
                .map_or_else(Span::call_site, |s| s.ident.span());
            quote_spanned! {at=>
                const _: () = ::core::assert!(
                    <__RcobjParent as __rcobj::Object>::DEPTH == 0,
                    #message,
                );
            }
        }
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

    // `Send + Sync`, decided at this concrete type: the inherent constant of
    // `__RcobjProbe<T>` exists only where `T: Send + Sync`, and otherwise the trait's
    // constant answers. Only `::core` paths: the crate path cannot change the answer. The
    // call site's span: for a type that is not `Send + Sync` the inherent constant is
    // unused, and with the user's span `dead_code` would say so.
    let send_sync = quote! {
        {
            trait __RcobjNotSendSync {
                const SEND_SYNC: bool = false;
            }
            struct __RcobjProbe<T: ?::core::marker::Sized>(::core::marker::PhantomData<T>);
            impl<T: ?::core::marker::Sized> __RcobjNotSendSync for __RcobjProbe<T> {}
            impl<T: ?::core::marker::Sized + ::core::marker::Send + ::core::marker::Sync>
                __RcobjProbe<T>
            {
                const SEND_SYNC: bool = true;
            }
            <__RcobjProbe<#ident>>::SEND_SYNC
        }
    };

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
                #krate::TypeInfo::__ancestors::<{ #ancestors_len }>(
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
                    ::core::mem::size_of::<#ident>(),
                    ::core::mem::align_of::<#ident>(),
                )
            };

            // SAFETY: generated by the derive: the parent is the first field of the
            // struct, at offset 0 and at the same value offset, or `AnyObject`; the
            // descriptor describes this type (all asserted below, with `::core` only).
            #[automatically_derived]
            unsafe impl #krate::Object for #ident {
                type Parent = #parent;
                type Depth = #private::S<#parent_obj::Depth>;
                const TYPE_INFO: &'static #krate::TypeInfo = &__RCOBJ_TYPE_INFO;
                const DEPTH: usize = #ancestors_len;
                const ANCESTORS: &'static [&'static #krate::TypeInfo] = &__RCOBJ_ANCESTORS;
                const IS_FINAL: bool = #is_final;
                const SEND_SYNC: bool = #send_sync;
            }

            // SAFETY: `Out` is `Self`.
            #[automatically_derived]
            unsafe impl #private::Up<#private::Z> for #ident {
                type Out = #ident;
            }

            // SAFETY: `Out` is an `Up` output of the parent: the parent or an ancestor of it.
            #[automatically_derived]
            unsafe impl<N> #private::Up<#private::S<N>> for #ident
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
    type_name_of(ty)
}

/// [`type_name`] of any tokens (a type or a path).
fn type_name_of(tokens: &impl ToTokens) -> String {
    let mut name = tokens.to_token_stream().to_string();
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
