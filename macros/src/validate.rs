//! Validation: every rule the derive enforces, all errors collected.
//!
//! What needs type information (the parent is an object, the parent is not final, value
//! offsets agree) is checked by the compiler through assertions the expansion emits.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{DeriveInput, Fields, Ident, LitStr, Member, Path, Type};

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
    /// The runtime crate path.
    pub krate: Path,
    /// The parent, if any.
    pub parent: Option<Parent>,
}

/// Checks every rule; returns the type to expand or all the errors.
pub fn validate(input: &DeriveInput, parsed: Parsed) -> syn::Result<ObjectType<'_>> {
    let Parsed {
        mut errors,
        key,
        is_final,
        krate,
        repr_c,
        repr_packed,
        parents,
    } = parsed;

    let fields = match &input.data {
        syn::Data::Struct(s) => Some(&s.fields),
        syn::Data::Enum(e) => {
            errors.push(
                e.enum_token.span(),
                "`#[derive(Object)]` supports structs only, not enums; wrap the enum in a struct",
            );
            None
        }
        syn::Data::Union(u) => {
            errors.push(
                u.union_token.span(),
                "`#[derive(Object)]` supports structs only, not unions",
            );
            None
        }
    };

    if let Some(lifetime) = input.generics.lifetimes().next() {
        errors.push(
            lifetime.span(),
            "object types cannot have lifetime parameters: an object may outlive any borrow",
        );
    }
    if let Some(param) = input
        .generics
        .params
        .iter()
        .find(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
    {
        errors.push(
            param.span(),
            "object types cannot be generic: each object type has one static type descriptor",
        );
    }
    if let Some(where_clause) = &input.generics.where_clause {
        if input.generics.params.is_empty() {
            errors.push(
                where_clause.span(),
                "object types cannot have a `where` clause",
            );
        }
    }
    if let Some(span) = repr_packed {
        errors.push(
            span,
            "object types cannot be `repr(packed)`: the value must be aligned after the header",
        );
    }

    let mut parent = None;
    for (n, mark) in parents.iter().enumerate() {
        if n > 0 {
            errors.push(
                mark.attr_span,
                "`#[parent]` may appear on one field only: an object has a single parent",
            );
        } else if mark.index != 0 {
            errors.push(
                mark.attr_span,
                "`#[parent]` must be on the first field, so the parent sits at offset 0",
            );
        } else if !repr_c {
            errors.push(
                mark.attr_span,
                "a struct with a `#[parent]` field must be `#[repr(C)]`, so the parent stays at offset 0",
            );
        } else if let Some(fields) = fields {
            parent = first_field(fields);
        }
    }

    errors.finish()?;
    Ok(ObjectType {
        ident: &input.ident,
        key,
        is_final: is_final.is_some(),
        krate: krate.unwrap_or_else(|| syn::parse_quote_spanned!(Span::call_site()=> ::rcobj)),
        parent,
    })
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
