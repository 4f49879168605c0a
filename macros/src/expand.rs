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
//! else, so the user sees one error instead of one per generated item. The assertions
//! also carry that span, so their failures point at the field.
//!
//! Everything else — above all every `unsafe` token and every item that contains one —
//! has the call site's span: the compiler then treats it as the derive's code, not the
//! user's, and `#![forbid(unsafe_code)]` in the user's crate accepts it.
//!
//! # Names
//!
//! The generated names (`__rcobj`, `__RcobjParent`, the generic parameters, ...) are items
//! and generic parameters in the same scope as the user's tokens (the struct's name, the
//! parent type, the crate path), so they get a suffix of `_`s long enough that none of
//! them is spelt like any identifier among those tokens.

use std::collections::HashSet;

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::validate::ObjectType;

/// The size of rcobj's object header; the value follows it, at this offset rounded up to
/// the value's alignment.
const HEADER_SIZE: usize = 24;

/// The names the expansion introduces, spelt unlike every identifier of the user's
/// tokens that appear next to them.
struct Names {
    /// `__rcobj`: the runtime crate.
    krate: String,
    /// `__RcobjParent`: the parent type.
    parent: String,
    /// `__RCOBJ_ANCESTORS`: the ancestors table.
    ancestors: String,
    /// `__RCOBJ_TYPE_INFO`: the descriptor.
    type_info: String,
    /// `__RcobjN`: the depth parameter of `Up<S<N>>`.
    depth: String,
    /// `__RcobjProbe`, `__RcobjNotSendSync`, `__RcobjT`: the `Send + Sync` probe.
    probe: String,
    not_send_sync: String,
    probe_param: String,
    /// `__RcobjParentField`: the trait of the parent-field check.
    parent_field: String,
    /// `__RcobjBehaviourProbe`, `__RcobjBehaviourLacks`, `__RCOBJ_BEHAVIOUR`: the behaviour
    /// table's probe, its fallback trait and the table.
    behaviour_probe: String,
    behaviour_lacks: String,
    behaviour_table: String,
}

impl Names {
    fn new(object: &ObjectType<'_>) -> Names {
        let mut taken = HashSet::new();
        collect_idents(object.ident.to_token_stream(), &mut taken);
        if let Some(parent) = &object.parent {
            collect_idents(parent.ty.to_token_stream(), &mut taken);
        }
        if let Some(path) = &object.krate {
            collect_idents(path.to_token_stream(), &mut taken);
        }
        let bases = [
            "__rcobj",
            "__RcobjParent",
            "__RCOBJ_ANCESTORS",
            "__RCOBJ_TYPE_INFO",
            "__RcobjN",
            "__RcobjProbe",
            "__RcobjNotSendSync",
            "__RcobjT",
            "__RcobjParentField",
            "__RcobjBehaviourProbe",
            "__RcobjBehaviourLacks",
            "__RCOBJ_BEHAVIOUR",
        ];
        // Ends: each added `_` makes every name longer, and `taken` is finite.
        let mut suffix = String::new();
        while bases
            .iter()
            .any(|base| taken.contains(&format!("{base}{suffix}")))
        {
            suffix.push('_');
        }
        let [krate, parent, ancestors, type_info, depth, probe, not_send_sync, probe_param, parent_field, behaviour_probe, behaviour_lacks, behaviour_table] =
            bases.map(|base| format!("{base}{suffix}"));
        Names {
            krate,
            parent,
            ancestors,
            type_info,
            depth,
            probe,
            not_send_sync,
            probe_param,
            parent_field,
            behaviour_probe,
            behaviour_lacks,
            behaviour_table,
        }
    }
}

/// Every identifier in `tokens`, as written without `r#`.
fn collect_idents(tokens: TokenStream, out: &mut HashSet<String>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                out.insert(ident.unraw().to_string());
            }
            TokenTree::Group(group) => collect_idents(group.stream(), out),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

/// Expands a validated object type.
///
/// `checks` is false for the stand-in expansion emitted next to errors (see
/// [`crate::validate::Validated`]): it makes the type an object so that the rest of the
/// program does not fail on every use, and leaves out the assertion whose premise
/// (`repr(C)`) the reported errors may deny. The checks on the parent type stay, so that
/// they are reported in the same round.
pub fn expand(object: &ObjectType<'_>, checks: bool) -> TokenStream {
    let ident = object.ident;
    let names = Names::new(object);
    let call_site = Span::call_site();
    // The span of everything that mentions the parent (see the module docs).
    let span = match &object.parent {
        Some(p) => p.ty.span(),
        None => call_site,
    };
    let krate = Ident::new(&names.krate, call_site);
    // `__rcobj` in tokens that mention the parent.
    let krate_p = Ident::new(&names.krate, span);
    let parent = Ident::new(&names.parent, span);
    let ancestors = Ident::new(&names.ancestors, call_site);
    let type_info = Ident::new(&names.type_info, call_site);
    let depth = Ident::new(&names.depth, call_site);
    let probe = Ident::new(&names.probe, call_site);
    let not_send_sync = Ident::new(&names.not_send_sync, call_site);
    let probe_param = Ident::new(&names.probe_param, call_site);
    let parent_field = Ident::new(&names.parent_field, span);
    let behaviour_table = Ident::new(&names.behaviour_table, call_site);

    // The runtime's path is written once, in `use <path> as __rcobj;`: a user's
    // `crate = "..."` keeps the string's span there, so that a path that does not resolve
    // is reported on it, once. The default `::rcobj` gets the call site's span: if it does
    // not resolve, the error points at the derive.
    let use_krate = match &object.krate {
        Some(path) => {
            let at = path.segments.first().map_or(call_site, |s| s.ident.span());
            // The alias too: a span mixing the user's and the derive's would put the error
            // on the derive.
            let alias = Ident::new(&names.krate, at);
            quote_spanned!(at=> use #path as #alias;)
        }
        None => quote!(
            use ::rcobj as #krate;
        ),
    };
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
                type #parent = <#ty as #krate_p::__private::ParentType>::This;
            }
        }
        None => quote! {
            type #parent = #krate::AnyObject;
        },
    };
    let parent_obj = quote_spanned!(span=> <#parent as #krate_p::Object>);
    let ancestors_len = quote_spanned!(span=> #parent_obj::DEPTH + 1);

    let assertions = match &object.parent {
        Some(p) => {
            let member = &p.member;
            let child_name = name.as_str();
            let parent_name = type_name(&p.ty);
            // Only `repr(C)` puts the first field at offset 0: without it (an error already
            // reported) the stand-in expansion leaves this assertion out.
            let at_zero = if checks {
                let message =
                    format!("the `#[parent]` field of `{child_name}` must be at offset 0");
                quote_spanned! {span=>
                    const _: () = ::core::assert!(
                        ::core::mem::offset_of!(#ident, #member) == 0,
                        #message,
                    );
                }
            } else {
                quote!()
            };
            let aligned = format!(
                "`{child_name}` is more aligned than its parent `{parent_name}`, so their values \
                 would start at different offsets after the object header; raise \
                 `{parent_name}`'s alignment to `{child_name}`'s with `#[repr(align(N))]`"
            );
            let not_final =
                format!("`{parent_name}` is `final`: no object type may name it as `#[parent]`");
            quote_spanned! {span=>
                // Not final. The trait bound gives the error message; the assertion is
                // what holds whatever `__private` is. One item: when the bound fails, the
                // assertion is not evaluated, and the user sees one error.
                const _: () = {
                    #krate_p::__private::require_inheritable::<#parent>();
                    ::core::assert!(!#parent_obj::IS_FINAL, #not_final);
                };
                // The parent is the `#[parent]` field's type itself (see the module docs).
                // A method of a local trait, so that its argument is `self` (a binding of
                // another name could clash with a unit or tuple struct of that name).
                trait #parent_field {
                    fn parent_field(&self) -> *const #parent;
                }
                impl #parent_field for #ident {
                    fn parent_field(&self) -> *const #parent {
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
                        ::core::mem::align_of::<#parent>(),
                    ),
                    #aligned,
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
                .map_or(call_site, |s| s.ident.span());
            quote_spanned! {at=>
                const _: () = ::core::assert!(<#parent as #krate::Object>::DEPTH == 0, #message);
            }
        }
    };

    // Items with `unsafe` have the call site's span (see the module docs); what they
    // contain keeps the parent's span where it mentions the parent.
    let private = quote!(#krate::__private);
    let private_p = quote_spanned!(span=> #krate_p::__private);
    let mut markers = quote! {
        #[automatically_derived]
        // SAFETY: `This` is `Self`.
        unsafe impl #private::ParentType for #ident {
            type This = #ident;
        }
    };
    if !is_final {
        markers.extend(quote! {
            #[automatically_derived]
            // SAFETY: the type is not declared `final`.
            unsafe impl #private::Inheritable for #ident {}
        });
    }

    let new_args = quote_spanned! {span=>
        #key,
        #site_key,
        #rust_name,
        #ancestors_len,
        ::core::option::Option::Some(#parent_obj::TYPE_INFO),
        &#ancestors,
        #is_final,
        ::core::mem::size_of::<#ident>(),
        ::core::mem::align_of::<#ident>(),
        #behaviour_table,
    };
    let type_info_static = quote! {
        // SAFETY: initialises a `static`.
        static #type_info: #krate::TypeInfo = unsafe { #krate::TypeInfo::__new(#new_args) };
    };

    // `Send + Sync`, decided at this concrete type: the inherent constant of the probe
    // exists only where its parameter is `Send + Sync`, and otherwise the trait's constant
    // answers. Only `::core` paths: the crate path cannot change the answer. The call
    // site's span: for a type that is not `Send + Sync` the inherent constant is unused,
    // and with the user's span `dead_code` would say so.
    let send_sync = quote! {
        {
            trait #not_send_sync {
                const SEND_SYNC: bool = false;
            }
            struct #probe<#probe_param: ?::core::marker::Sized>(
                ::core::marker::PhantomData<#probe_param>,
            );
            impl<#probe_param: ?::core::marker::Sized> #not_send_sync for #probe<#probe_param> {}
            impl<#probe_param: ?::core::marker::Sized + ::core::marker::Send + ::core::marker::Sync>
                #probe<#probe_param>
            {
                const SEND_SYNC: bool = true;
            }
            <#probe<#ident>>::SEND_SYNC
        }
    };
    let object_items = quote_spanned! {span=>
        type Parent = #parent;
        type Depth = #private_p::S<#parent_obj::Depth>;
        const TYPE_INFO: &'static #krate_p::TypeInfo = &#type_info;
        const DEPTH: usize = #ancestors_len;
        const ANCESTORS: &'static [&'static #krate_p::TypeInfo] = &#ancestors;
        const IS_FINAL: bool = #is_final;
        const SEND_SYNC: bool = #send_sync;
    };
    let object_impl = quote! {
        // SAFETY: generated by the derive: the parent is the first field of the struct, at
        // offset 0 and at the same value offset, or `AnyObject`; the descriptor describes
        // this type (all asserted below, with `::core` only).
        #[automatically_derived]
        unsafe impl #krate::Object for #ident {
            #object_items
        }
    };

    // The `Up` impl names the parent as the field's type itself, not through the alias:
    // an impl's where clauses are normalized with the impl's own span, which is the call
    // site's (the impl is `unsafe`), so a failed `ParentType` there would be reported a
    // second time, on the derive. A bound that merely does not hold is no error. It is the
    // same type: the assertions prove the alias is the field's type.
    let up_parent = match &object.parent {
        Some(p) => p.ty.to_token_stream(),
        None => parent.to_token_stream(),
    };
    let up_impls = quote! {
        // SAFETY: `Out` is `Self`.
        #[automatically_derived]
        unsafe impl #private::Up<#private::Z> for #ident {
            type Out = #ident;
        }

        // SAFETY: `Out` is an `Up` output of the parent: the parent or an ancestor of it.
        #[automatically_derived]
        unsafe impl<#depth> #private::Up<#private::S<#depth>> for #ident
        where
            #up_parent: #private::Up<#depth>,
        {
            type Out = <#up_parent as #private::Up<#depth>>::Out;
        }
    };

    // The behaviour table (a constant passed to `TypeInfo::__new`).
    let behaviour = crate::behaviour::behaviour(
        object,
        &krate.to_token_stream(),
        &crate::behaviour::BehaviourNames {
            probe: Ident::new(&names.behaviour_probe, call_site),
            lacks: Ident::new(&names.behaviour_lacks, call_site),
            table: behaviour_table.clone(),
        },
    );

    // What is not spanned already has the parent's span (see the module docs): no token of
    // the expansion may mention the parent with another span, or the compiler reports a
    // failure there too.
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

            static #ancestors: [&'static #krate_p::TypeInfo; #ancestors_len] =
                #krate_p::TypeInfo::__ancestors::<{ #ancestors_len }>(
                    #parent_obj::ANCESTORS,
                    #parent_obj::TYPE_INFO,
                );

            #behaviour
            #type_info_static
            #object_impl
            #up_impls
            #markers

            #private::inventory::submit! {
                #private::Registration(&#type_info)
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
