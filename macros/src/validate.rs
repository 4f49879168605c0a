//! Validation: every rule the derive enforces, all errors collected.
//!
//! What needs type information (the parent is an object, the parent is not final, value
//! offsets agree) is checked by the compiler through assertions the expansion emits.

use quote::quote;
use syn::{DeriveInput, Fields, GenericParam, Ident, LitStr, Member, Path, Type};

use crate::attr::{ParentMark, Parsed};

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
    /// The reflected own fields.
    pub fields: Vec<crate::reflect::Field>,
}

/// The outcome of validation.
pub struct Validated<'a> {
    /// Every error found, if any.
    pub errors: Option<syn::Error>,
    /// The type to expand. With errors, a stand-in that can still be expanded (when the
    /// input is a type without generic parameters): the errors are reported next to an
    /// expansion that makes it an object type anyway, so that its uses elsewhere do not
    /// fail in turn (the approach of `thiserror`). The stand-in keeps the parent only when
    /// `#[parent]` is on the first field alone, and invalid attribute values fall back to
    /// their defaults; there is none when `crate = ...` is unusable.
    pub object: Option<ObjectType<'a>>,
}

/// Checks every rule.
pub fn validate(input: &DeriveInput, parsed: Parsed) -> Validated<'_> {
    let Parsed {
        mut errors,
        mut field_errors,
        crate_failed,
        key,
        is_final,
        krate,
        repr_c,
        repr_packed,
        parents,
        field_attrs,
    } = parsed;
    let ident = &input.ident;

    // Errors go out in source order: the struct's attributes (already in `errors`), the
    // item and its generics, then each field.
    let packed = repr_packed.is_some();
    if let Some(packed) = repr_packed {
        errors.push_spanned(
            packed,
            "object types cannot be `repr(packed)`: the value must stay aligned after the \
             object header; remove `packed`",
        );
    }

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
    let mut parent_ok = true;
    if let Some(first) = parents.first() {
        if first.index != 0 {
            parent_ok = false;
            field_error(
                &mut field_errors,
                first,
                format!(
                    "`#[parent]` must be on the first field, so that the parent sits at offset 0; \
                     move `{}` to the top of `{ident}`",
                    first.name
                ),
            );
        }
        if !repr_c {
            field_error(
                &mut field_errors,
                first,
                format!(
                    "a struct with a `#[parent]` field must be `#[repr(C)]`, so that the parent \
                     stays at offset 0; add `#[repr(C)]` to `{ident}`"
                ),
            );
        }
        for extra in &parents[1..] {
            parent_ok = false;
            field_error(
                &mut field_errors,
                extra,
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

    let mut reflected = crate::reflect::validate(fields, &field_attrs, &parents, &mut field_errors);
    if packed {
        // The fields of a packed struct cannot be borrowed (an error is reported above).
        reflected.clear();
    }

    // A stable sort keeps each field's errors in the order they were found.
    field_errors.sort_by_key(|&(index, _)| index);
    for (_, error) in field_errors {
        errors.push_error(error);
    }

    let errors = errors.finish();
    // No stand-in for generic types (it could not name them) or when the runtime's path is
    // unknown (its every path would fail to resolve).
    let object = if others.is_empty() && lifetimes.is_empty() && !crate_failed {
        Some(ObjectType {
            ident,
            key,
            is_final: is_final.is_some(),
            krate,
            parent,
            fields: reflected,
        })
    } else {
        None
    };
    Validated { errors, object }
}

/// Records an error on the `#[parent]` attribute `mark`, in its field's place.
fn field_error(field_errors: &mut Vec<(usize, syn::Error)>, mark: &ParentMark, message: String) {
    field_errors.push((mark.index, syn::Error::new_spanned(&mark.attr, message)));
}

/// The first field as the parent.
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
