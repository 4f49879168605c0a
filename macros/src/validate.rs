//! Validation: every rule the derive enforces, all errors collected.
//!
//! What needs type information (the parent is an object, the parent is not final, value
//! offsets agree) is checked by the compiler through assertions the expansion emits.

use quote::quote;
use syn::{DeriveInput, Fields, GenericParam, Ident, LitStr, Member, Path, Type};

use crate::attr::Parsed;

/// The parent field of a child type.
pub struct Parent {
    /// The field (`shape` or `0`).
    pub member: Member,
    /// Its type.
    pub ty: Type,
}

/// A validated object type, ready to expand.
pub struct ObjectType<'a> {
    /// The struct's name.
    pub ident: &'a Ident,
    /// `key = "..."`, or `None` for the default.
    pub key: Option<LitStr>,
    /// Declared `final`.
    pub is_final: bool,
    /// `crate = "..."`, or `None` for `::rcobj`.
    pub krate: Option<Path>,
    /// The parent, if any.
    pub parent: Option<Parent>,
}

/// The outcome of validation.
pub struct Validated<'a> {
    /// Every error found, if any.
    pub errors: Option<syn::Error>,
    /// The type to expand. With errors, a stand-in that can still be expanded (when the
    /// input is a type without generic parameters): the errors are reported next to an
    /// expansion that makes it an object type anyway, so that its uses elsewhere do not
    /// fail in turn (the approach of `thiserror`). The stand-in keeps the parent only when
    /// `#[parent]` is on the first field alone; invalid attribute values fall back to
    /// their defaults.
    pub object: Option<ObjectType<'a>>,
}

/// Checks every rule.
pub fn validate(input: &DeriveInput, parsed: Parsed) -> Validated<'_> {
    let Parsed {
        mut errors,
        key,
        is_final,
        krate,
        repr_c,
        repr_packed,
        parents,
    } = parsed;
    let ident = &input.ident;

    let fields = match &input.data {
        syn::Data::Struct(s) => Some(&s.fields),
        syn::Data::Enum(e) => {
            let token = e.enum_token;
            errors.push_spanned(
                quote!(#token #ident),
                "`#[derive(Object)]` needs a struct, not an enum; \
                 wrap the enum in a struct, e.g. `struct Wrapper { value: MyEnum }`",
            );
            None
        }
        syn::Data::Union(u) => {
            let token = u.union_token;
            errors.push_spanned(
                quote!(#token #ident),
                "`#[derive(Object)]` needs a struct, not a union; \
                 wrap the union in a struct, e.g. `struct Wrapper { value: MyUnion }`",
            );
            None
        }
    };

    let generics = &input.generics;
    let lifetimes: Vec<&GenericParam> = generics
        .params
        .iter()
        .filter(|p| matches!(p, GenericParam::Lifetime(_)))
        .collect();
    let others: Vec<&GenericParam> = generics
        .params
        .iter()
        .filter(|p| !matches!(p, GenericParam::Lifetime(_)))
        .collect();
    if !lifetimes.is_empty() {
        errors.push_spanned(
            quote!(#(#lifetimes),*),
            "object types cannot have lifetime parameters: an object may outlive any borrow; \
             store owned data instead (e.g. `String`, `Box<T>`, `Obj<T>`)",
        );
    }
    if !others.is_empty() {
        errors.push_spanned(
            quote!(#(#others),*),
            "object types cannot be generic: each object type has one static type descriptor; \
             use concrete field types (e.g. `Box<dyn Trait>`), or one struct per type",
        );
    }
    if let Some(where_clause) = &generics.where_clause {
        if generics.params.is_empty() {
            errors.push_spanned(
                where_clause,
                "object types cannot have a `where` clause; remove it",
            );
        }
    }
    if let Some(packed) = repr_packed {
        errors.push_spanned(
            packed,
            "object types cannot be `repr(packed)`: the value must stay aligned after the \
             object header; remove `packed`",
        );
    }

    let mut parent_ok = true;
    if let Some(first) = parents.first() {
        if first.index != 0 {
            parent_ok = false;
            errors.push_spanned(
                &first.attr,
                format!(
                    "`#[parent]` must be on the first field, so that the parent sits at offset 0; \
                     move `{}` to the top of `{ident}`",
                    first.name
                ),
            );
        }
        if !repr_c {
            errors.push_spanned(
                &first.attr,
                format!(
                    "a struct with a `#[parent]` field must be `#[repr(C)]`, so that the parent \
                     stays at offset 0; add `#[repr(C)]` to `{ident}`"
                ),
            );
        }
        for extra in &parents[1..] {
            parent_ok = false;
            errors.push_spanned(
                &extra.attr,
                format!(
                    "an object has one parent, and `#[parent]` is already on `{}`; \
                     remove this `#[parent]`",
                    first.name
                ),
            );
        }
    }
    let parent = match fields {
        Some(fields) if parent_ok && !parents.is_empty() => first_field(fields),
        _ => None,
    };

    let errors = errors.finish();
    let object = if others.is_empty() && lifetimes.is_empty() {
        Some(ObjectType {
            ident,
            key,
            is_final: is_final.is_some(),
            krate,
            parent,
        })
    } else {
        None
    };
    Validated { errors, object }
}

fn first_field(fields: &Fields) -> Option<Parent> {
    let field = fields.iter().next()?;
    let member = match &field.ident {
        Some(ident) => Member::Named(ident.clone()),
        None => Member::Unnamed(syn::Index::from(0)),
    };
    Some(Parent {
        member,
        ty: field.ty.clone(),
    })
}
