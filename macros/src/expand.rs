//! Code generation: the `Object` impl, the static descriptor and ancestors table, the
//! field table (written by `reflect.rs`), link-time registration, the `unsafe` `Up` impls
//! for upcasts, and compile-time checks.
//!
//! Everything is wrapped in `const _: () = { ... };`, which starts with
//! `use <runtime path> as __rcobj;` (`::rcobj`, or the `crate = "..."` path). Every other
//! path is absolute (`::core`) or goes through `__rcobj`, so the output compiles under
//! `#![no_implicit_prelude]` and is not confused by the user's names.
//!
//! # Little per type
//!
//! Whatever can be computed from the `Object` constants of the type and its parent is
//! computed by generic `const fn`s of rcobj (`TypeInfo::__new`, `__ancestors`,
//! `__check_child`), and the probe that records which standard traits the type implements
//! is defined once in rcobj (`__private::Probe`) and only *resolved* here, at the concrete
//! type. So the expansion is a handful of items per type: it is what a user's build pays
//! for every derived type (compile time and expanded lines: `core/benches/derive_cost.sh`).
//!
//! # What the output trusts
//!
//! The `crate = "..."` path may name a module that re-exports rcobj but replaces any item
//! of its `__private` module, so no check that soundness rests on goes through it:
//!
//! * the descriptor, the ancestors table and the checks are inherent functions of
//!   `__rcobj::TypeInfo` (which the `Object` impl's constants force to be rcobj's), fed
//!   with the `Object` constants of the type and its parent: finality (the parent's
//!   `IS_FINAL`), the root (`DEPTH == 0`), equal value offsets (the 24-byte header's size
//!   rounded up to each alignment; rcobj asserts that this is `value_offset`'s answer);
//!   the parent field at offset 0 is measured with `::core::mem::offset_of!`;
//! * that the parent field's type *is* the parent: a function from `&Child` to a raw
//!   pointer to the parent, whose body takes the field's address (`::core::ptr::addr_of!`);
//!   a raw pointer to a sized type coerces to no other pointee, where a `&Parent` made from
//!   `&self.field` would deref-coerce, e.g. from a `Box<Parent>`;
//! * `Send + Sync`: the probe's answer is a witness that only a function bounded by
//!   `Send + Sync` makes, turned into `SEND_SYNC` by `TypeInfo::__send_sync::<Type>`,
//!   whose type argument is written out: a replaced probe can only say "no", not hand over
//!   the witness of another type (`SendSync<u8>`). Likewise every behaviour entry is made
//!   by a function bounded by its trait and typed with the type (`Entry<Type, _>`, taken by
//!   `Behaviour::__of::<Type>`), among them tvm-ffi's creator of default instances;
//! * each field table entry is made by `FieldInfo::__derived::<Type, FieldType>`, inherent
//!   to `__rcobj::reflect::FieldInfo` (which `TypeInfo::__new`'s parameter forces to be
//!   rcobj's) and `unsafe`, with both type arguments written out and the offset measured
//!   with `::core::mem::offset_of!`; the probes' answers are typed by the field type
//!   (`ValueFn<FieldType>`, `FfiField<FieldType>`), so a replaced probe can only hand over
//!   safe code reading that type, or nothing;
//! * the upcast traits (`Up`) are `unsafe`: a replacement could only make the derive's
//!   `unsafe impl` implement another trait, and the type would not upcast at all.
//!
//! # Spans
//!
//! The parent type is written once, as `<Field as ParentType>::This` behind a local type
//! alias, and every token that mentions it carries the span of the `#[parent]` field's
//! type. If that type is not an object type, the compiler reports the one failed
//! `ParentType` obligation on the field and treats the parent as an error type everywhere
//! else, so the user sees one error instead of one per generated item. The checks also
//! carry that span (and are `#[track_caller]`), so their failures point at the field.
//!
//! Everything else — above all every `unsafe` token and every item that contains one —
//! has the call site's span: the compiler then treats it as the derive's code, not the
//! user's, and `#![forbid(unsafe_code)]` in the user's crate accepts it.
//!
//! # Names
//!
//! The generated names (`__rcobj`, `__RcobjParent`, the generic parameters, ...) are items,
//! generic parameters and one closure parameter in the same scope as the user's tokens
//! (the struct's name, the parent type, the crate path), so they get a suffix of `_`s long
//! enough that none of them is spelt like any identifier among those tokens.

use std::collections::HashSet;

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::validate::ObjectType;

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
    /// `__RcobjProbe`: `__private::Probe<Self>`, the behaviour and `Send + Sync` probe.
    probe: String,
    /// `__rcobj_this`: the parameter of the parent-field check's closure.
    this: String,
    /// The field table (`__RCOBJ_FIELDS`).
    reflect: crate::reflect::Names,
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
        // The field table's items mention every reflected field's type.
        for field in &object.fields {
            collect_idents(field.ty().clone(), &mut taken);
        }
        let bases = [
            "__rcobj",
            "__RcobjParent",
            "__RCOBJ_ANCESTORS",
            "__RCOBJ_TYPE_INFO",
            "__RcobjN",
            "__RcobjProbe",
            "__rcobj_this",
            "__RCOBJ_FIELDS",
        ];
        // Ends: each added `_` makes every name longer, and `taken` is finite.
        let mut suffix = String::new();
        while bases
            .iter()
            .any(|base| taken.contains(&format!("{base}{suffix}")))
        {
            suffix.push('_');
        }
        let [krate, parent, ancestors, type_info, depth, probe, this, fields] =
            bases.map(|base| format!("{base}{suffix}"));
        Names {
            krate,
            parent,
            ancestors,
            type_info,
            depth,
            probe,
            this,
            reflect: crate::reflect::Names { fields },
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
/// program does not fail on every use, and leaves out the offset check whose premise
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
    let this = Ident::new(&names.this, span);

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

    let check = match &object.parent {
        Some(p) => {
            let member = &p.member;
            // Only `repr(C)` puts the first field at offset 0: without it (an error already
            // reported) the stand-in expansion leaves the offset out.
            let offset = if checks {
                quote_spanned!(span=> ::core::mem::offset_of!(#ident, #member))
            } else {
                quote_spanned!(span=> 0)
            };
            quote_spanned! {span=>
                const _: () = #krate_p::TypeInfo::__check_child::<#ident, #parent>(
                    #offset,
                    |#this| ::core::ptr::addr_of!(#this.#member),
                    #parent_obj::IS_FINAL,
                );
            }
        }
        // A root's parent must be rcobj's root, the one object type of depth 0. On the
        // crate path, if there is one: the error is about that path.
        None => {
            let at = object
                .krate
                .as_ref()
                .and_then(|p| p.segments.first())
                .map_or(call_site, |s| s.ident.span());
            // `__rcobj` with that span too: the call's first token locates the failure.
            let krate_at = Ident::new(&names.krate, at);
            quote_spanned! {at=>
                const _: () = #krate_at::TypeInfo::__check_root::<#parent>();
            }
        }
    };

    // Items with `unsafe` have the call site's span (see the module docs); what they
    // contain keeps the parent's span where it mentions the parent.
    let private = quote!(#krate::__private);
    let private_p = quote_spanned!(span=> #krate_p::__private);
    let is_final = if object.is_final {
        quote! {
            const IS_FINAL: bool = true;
        }
    } else {
        quote!()
    };
    let final_impl = if object.is_final {
        quote! {
            #[automatically_derived]
            impl #krate::Final for #ident {}
        }
    } else {
        quote!()
    };
    let behaviour = crate::behaviour::behaviour(object, &krate, &probe);
    // The field table (a static passed to `TypeInfo::__new`) and what it needs.
    let (reflect_items, reflect_fields) = crate::reflect::expand(
        ident,
        &object.fields,
        &krate.to_token_stream(),
        &names.reflect,
    );

    let object_items = quote_spanned! {span=>
        type Parent = #parent;
        type Depth = #private_p::S<#parent_obj::Depth>;
        const TYPE_INFO: &'static #krate_p::TypeInfo = &#type_info;
        const ANCESTORS: &'static [&'static #krate_p::TypeInfo] = &#ancestors;
    };
    // The `Up` impl names the parent as the field's type itself, not through the alias:
    // an impl's where clauses are normalized with the impl's own span, which is the call
    // site's (the impl is `unsafe`), so a failed `ParentType` there would be reported a
    // second time, on the derive. A bound that merely does not hold is no error. It is the
    // same type: the checks prove the alias is the field's type.
    let up_parent = match &object.parent {
        Some(p) => p.ty.to_token_stream(),
        None => parent.to_token_stream(),
    };

    // SAFETY comments are in the quoted code as plain comments, which the token stream
    // drops; they are here for the reader.
    let type_info_static = quote! {
        // SAFETY: initialises a `static`.
        static #type_info: #krate::TypeInfo = unsafe {
            #krate::TypeInfo::__new::<#ident>(
                #key,
                #site_key,
                #rust_name,
                &#ancestors,
                #behaviour,
                #reflect_fields,
            )
        };
    };
    let unsafe_impls = quote! {
        // SAFETY: the parent is the first field of the struct, at offset 0 and at the same
        // value offset, or `AnyObject`; the descriptor describes this type; `SEND_SYNC`
        // comes from a witness of `Self: Send + Sync` (all checked without trusting the
        // crate path).
        #[automatically_derived]
        unsafe impl #krate::Object for #ident {
            #object_items
            #is_final
            const SEND_SYNC: bool = #krate::TypeInfo::__send_sync::<#ident>(<#probe>::SEND_SYNC);
        }
        // SAFETY: `Out` is `Self`.
        unsafe impl #private::Up<#private::Z> for #ident {
            type Out = #ident;
        }
        // SAFETY: `Out` is an `Up` output of the parent: the parent or an ancestor of it.
        unsafe impl<#depth> #private::Up<#private::S<#depth>> for #ident
        where
            #up_parent: #private::Up<#depth>,
        {
            type Out = <#up_parent as #private::Up<#depth>>::Out;
        }
        // SAFETY: `This` is `Self`.
        unsafe impl #private::ParentType for #ident {
            type This = #ident;
        }
    };

    // What is not spanned already has the parent's span (see the module docs): no token of
    // the expansion may mention the parent with another span, or the compiler reports a
    // failure there too. Every `unsafe` is in the call-site fragments above.
    quote_spanned! {span=>
        #[allow(
            non_upper_case_globals,
            non_camel_case_types,
            unused_qualifications,
            clippy::all
        )]
        const _: () = {
            #use_krate
            use #private::Lacks as _;
            #parent_alias
            type #probe = #private::Probe<#ident>;
            static #ancestors: [&'static #krate_p::TypeInfo; #ancestors_len] =
                #krate_p::TypeInfo::__ancestors::<#parent, { #ancestors_len }>();
            #type_info_static
            #reflect_items
            #unsafe_impls
            #final_impl
            #private::ctor!(#krate, #ident);
            #check
        };
    }
}
