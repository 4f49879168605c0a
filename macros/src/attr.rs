//! Parsing: `#[object(...)]`, `#[repr(...)]` and `#[parent]`, into [`Parsed`]. Problems
//! are recorded in [`Errors`] and parsing goes on, so every mistake is reported at once.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, DeriveInput, Fields, LitStr, Path, Token};

/// Collects errors; combines them into one `syn::Error` at the end.
#[derive(Default)]
pub struct Errors {
    errors: Option<syn::Error>,
}

impl Errors {
    /// Records an error at `span`.
    pub fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push_error(syn::Error::new(span, message));
    }

    /// Records an already built error.
    pub fn push_error(&mut self, err: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(err),
            None => self.errors = Some(err),
        }
    }

    /// `Err` with every recorded error, or `Ok`.
    pub fn finish(self) -> syn::Result<()> {
        match self.errors {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

/// A `#[parent]` marker found on a field.
pub struct ParentMark {
    /// Position of the field.
    pub index: usize,
    /// The `#[parent]` attribute, for spans.
    pub attr_span: Span,
}

/// What parsing found.
pub struct Parsed {
    /// All errors so far.
    pub errors: Errors,
    /// `key = "..."`.
    pub key: Option<LitStr>,
    /// `final` (its span).
    pub is_final: Option<Span>,
    /// `crate = "..."`.
    pub krate: Option<Path>,
    /// `#[repr(C)]` present.
    pub repr_c: bool,
    /// `#[repr(packed)]` or `packed(N)` (its span).
    pub repr_packed: Option<Span>,
    /// Every `#[parent]`.
    pub parents: Vec<ParentMark>,
}

/// Parses the attributes of the struct and its fields.
pub fn parse(input: &DeriveInput) -> Parsed {
    let mut parsed = Parsed {
        errors: Errors::default(),
        key: None,
        is_final: None,
        krate: None,
        repr_c: false,
        repr_packed: None,
        parents: Vec::new(),
    };
    for attr in &input.attrs {
        if attr.path().is_ident("object") {
            parse_object_attr(attr, &mut parsed);
        } else if attr.path().is_ident("repr") {
            parse_repr(attr, &mut parsed);
        } else if attr.path().is_ident("parent") {
            parsed.errors.push(
                attr.span(),
                "`#[parent]` goes on the first field, not on the struct",
            );
        }
    }
    let fields: Vec<&syn::Field> = match &input.data {
        syn::Data::Struct(s) => match &s.fields {
            Fields::Named(f) => f.named.iter().collect(),
            Fields::Unnamed(f) => f.unnamed.iter().collect(),
            Fields::Unit => Vec::new(),
        },
        _ => Vec::new(),
    };
    for (index, field) in fields.iter().enumerate() {
        for attr in &field.attrs {
            if attr.path().is_ident("parent") {
                if !matches!(attr.meta, syn::Meta::Path(_)) {
                    parsed
                        .errors
                        .push(attr.span(), "`#[parent]` takes no arguments");
                }
                parsed.parents.push(ParentMark {
                    index,
                    attr_span: attr.span(),
                });
            } else if attr.path().is_ident("object") {
                parsed.errors.push(
                    attr.span(),
                    "`#[object(...)]` goes on the struct, not on a field",
                );
            }
        }
    }
    parsed
}

fn parse_object_attr(attr: &Attribute, parsed: &mut Parsed) {
    if !matches!(attr.meta, syn::Meta::List(_)) {
        parsed.errors.push(
            attr.span(),
            "expected `#[object(key = \"...\", final, crate = \"...\")]`",
        );
        return;
    }
    let mut local = Errors::default();
    let result = attr.parse_nested_meta(|meta| {
        let path = &meta.path;
        if path.is_ident("key") {
            let value = meta.value()?;
            let expr: syn::Expr = value.parse()?;
            match ungroup(&expr) {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => {
                    if s.value().is_empty() {
                        local.push(s.span(), "the type key must not be empty");
                    } else if parsed.key.is_some() {
                        local.push(path.span(), "duplicate `key` in `#[object(...)]`");
                    } else {
                        parsed.key = Some(s.clone());
                    }
                }
                other => local.push(
                    other.span(),
                    "the type key must be a string literal, e.g. `key = \"my.Type\"`",
                ),
            }
        } else if path.is_ident("final") {
            if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
                local.push(path.span(), "`final` takes no value");
                skip_value(&meta)?;
            } else if parsed.is_final.is_some() {
                local.push(path.span(), "duplicate `final` in `#[object(...)]`");
            } else {
                parsed.is_final = Some(path.span());
            }
        } else if path.is_ident("crate") {
            let value = meta.value()?;
            let expr: syn::Expr = value.parse()?;
            match ungroup(&expr) {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => match s.parse::<Path>() {
                    Ok(p) if parsed.krate.is_none() => parsed.krate = Some(p),
                    Ok(_) => local.push(path.span(), "duplicate `crate` in `#[object(...)]`"),
                    Err(_) => local.push(
                        s.span(),
                        "`crate` must be a path in a string, e.g. `crate = \"::my_crate::rcobj\"`",
                    ),
                },
                other => local.push(
                    other.span(),
                    "`crate` must be a path in a string, e.g. `crate = \"::my_crate::rcobj\"`",
                ),
            }
        } else {
            let name = path
                .get_ident()
                .map_or_else(|| quote::quote!(#path).to_string(), |i| i.to_string());
            local.push(
                path.span(),
                format!(
                    "unknown attribute `{name}` in `#[object(...)]`; expected `key`, `final` or `crate`"
                ),
            );
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(err) = result {
        local.push_error(err);
    }
    if let Err(err) = local.finish() {
        parsed.errors.push_error(err);
    }
}

/// Looks through the invisible groups `macro_rules!` wraps around a `$key:literal` or
/// `$key:expr` fragment, so keys passed through a declarative macro are accepted.
fn ungroup(mut expr: &syn::Expr) -> &syn::Expr {
    while let syn::Expr::Group(g) = expr {
        expr = &g.expr;
    }
    expr
}

/// Consumes `= value` or `(...)` after an unknown or malformed key, so parsing continues.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

fn parse_repr(attr: &Attribute, parsed: &mut Parsed) {
    // `repr` contents we do not understand are the compiler's business, not ours.
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("C") {
            parsed.repr_c = true;
        } else if meta.path.is_ident("packed") {
            parsed.repr_packed = Some(meta.path.span());
        }
        if meta.input.peek(syn::token::Paren) {
            let _content;
            syn::parenthesized!(_content in meta.input);
        }
        Ok(())
    });
}
