//! Reflection: the field attributes `#[object(skip)]` and `#[object(rename = "...")]`,
//! their rules, and the field table the expansion writes.
//!
//! Hooks: `attr.rs` hands every `#[object(...)]` on a field to [`FieldAttrs::parse`] and
//! every `skip`/`rename` in the struct's `#[object(...)]` to [`misplaced`];
//! `validate.rs` calls [`validate`]; `expand.rs` calls [`expand`].
//!
//! Per type with reflected fields the expansion writes one `static [FieldInfo; N]`, whose
//! entries `FieldInfo::__derived` makes from each field's offset and
//! `<ReflectProbe<FieldType>>::VALUE` (an inherent constant, the field type's reader, where
//! it implements `Reflect`; else the default constant of the `NotReflect` trait: the derive
//! never requires `Reflect`). No code is generated per type to read the fields.
//!
//! The output is kept small on purpose: `core/benches/derive_compile.sh` measures it.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Fields, Ident, Lit, LitStr, Member, Meta, Token};

use crate::attr::{string_value, Errors, Item, ParentMark};

/// The keys a field's `#[object(...)]` accepts, as shown in messages.
const FIELD_KEYS: &str = "`skip` or `rename = \"...\"`";

/// What one field's `#[object(...)]` attributes say.
#[derive(Default)]
pub struct FieldOptions {
    /// `skip` (its span).
    skip: Option<Span>,
    /// `rename = "..."`.
    rename: Option<LitStr>,
}

/// The options of every field, by position.
#[derive(Default)]
pub struct FieldAttrs {
    options: Vec<FieldOptions>,
}

impl FieldAttrs {
    /// Parses one `#[object(...)]` on the field at `index`; problems go to `errors` with
    /// the field's position.
    pub fn parse(&mut self, index: usize, attr: &Attribute, errors: &mut Vec<(usize, syn::Error)>) {
        if self.options.len() <= index {
            self.options.resize_with(index + 1, FieldOptions::default);
        }
        let options = &mut self.options[index];
        let mut push = |err: syn::Error| errors.push((index, err));
        let list = match &attr.meta {
            Meta::List(list) if matches!(list.delimiter, syn::MacroDelimiter::Paren(_)) => list,
            _ => {
                push(syn::Error::new_spanned(
                    attr,
                    format!("expected `#[object(...)]` with {FIELD_KEYS}, e.g. `#[object(skip)]`"),
                ));
                return;
            }
        };
        let items = match split_items(list.tokens.clone()) {
            Ok(items) => items,
            Err(err) => {
                push(err);
                return;
            }
        };
        for item in items {
            match item {
                Err(comma) => push(syn::Error::new(
                    comma,
                    format!("expected {FIELD_KEYS} before this comma"),
                )),
                Ok(item) => parse_item(item, options, &mut push),
            }
        }
    }

    fn get(&self, index: usize) -> Option<&FieldOptions> {
        self.options.get(index)
    }
}

/// Splits `a, b = c, d(e)` into its comma-separated items; an empty item is `Err` with
/// the span of the comma after it.
fn split_items(tokens: TokenStream) -> syn::Result<Vec<Result<TokenStream, Span>>> {
    let parser = |input: ParseStream<'_>| {
        let mut items = Vec::new();
        while !input.is_empty() {
            let mut item = TokenStream::new();
            while !input.is_empty() && !input.peek(Token![,]) {
                item.extend([input.parse::<TokenTree>()?]);
            }
            let comma = if input.is_empty() {
                None
            } else {
                Some(input.parse::<Token![,]>()?)
            };
            match (item.is_empty(), comma) {
                (true, Some(comma)) => items.push(Err(comma.span)),
                (true, None) => {}
                (false, _) => items.push(Ok(item)),
            }
        }
        Ok(items)
    };
    parser.parse2(tokens)
}

/// One item of a field's `#[object(...)]`.
fn parse_item(item: TokenStream, options: &mut FieldOptions, push: &mut impl FnMut(syn::Error)) {
    let mut tokens = item.clone().into_iter();
    let Some(TokenTree::Ident(name)) = tokens.next() else {
        push(syn::Error::new_spanned(
            &item,
            format!("expected {FIELD_KEYS}"),
        ));
        return;
    };
    let value = Item::of(tokens.collect());
    match name.unraw().to_string().as_str() {
        "skip" => match value {
            Item::Flag if options.skip.is_some() => {
                push(syn::Error::new(
                    name.span(),
                    "`skip` is given twice; remove one",
                ));
            }
            Item::Flag => options.skip = Some(name.span()),
            _ => push(syn::Error::new_spanned(
                &item,
                "`skip` takes no value: write `#[object(skip)]`",
            )),
        },
        "rename" => {
            let mut errors = Errors::default();
            let lit = string_value(&name, value, "rename = \"new_name\"", &mut errors);
            if let Some(err) = errors.finish() {
                push(err);
            }
            let Some(lit) = lit else { return };
            if lit.value().is_empty() {
                push(syn::Error::new(
                    lit.span(),
                    "a field's name must not be empty: write a name, e.g. `rename = \"value\"`, \
                     or remove `rename` to keep the field's own",
                ));
            } else if options.rename.is_some() {
                push(syn::Error::new(
                    name.span(),
                    "`rename` is given twice; remove one",
                ));
            } else {
                options.rename = Some(lit);
            }
        }
        key @ ("key" | "final" | "crate") => push(syn::Error::new(
            name.span(),
            format!(
                "`{key}` goes in the struct's `#[object(...)]`, not on a field; \
                 a field accepts {FIELD_KEYS}"
            ),
        )),
        other => {
            let message = match closest_field_key(other) {
                Some(key) => format!(
                    "unknown field attribute `{other}` in `#[object(...)]`; did you mean `{key}`?"
                ),
                None => format!(
                    "unknown field attribute `{other}` in `#[object(...)]`; expected {FIELD_KEYS}"
                ),
            };
            push(syn::Error::new(name.span(), message));
        }
    }
}

/// The field key closest to a misspelt one.
fn closest_field_key(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_lowercase();
    ["skip", "rename"]
        .into_iter()
        .map(|key| (crate::attr::edit_distance(&unknown, key), key))
        .filter(|&(distance, key)| distance <= key.len() / 2)
        .min()
        .map(|(_, key)| key)
}

/// `skip` or `rename` in the struct's `#[object(...)]`: field attributes on no field.
pub fn misplaced(name: &Ident, errors: &mut Errors) {
    errors.push(
        name.span(),
        format!(
            "`{}` is a field attribute: it goes in an `#[object(...)]` on a field, \
             not on the struct",
            name.unraw()
        ),
    );
}

/// The names of the field table's items in one expansion: chosen by the derive so that
/// none is an identifier of the input (see `expand::Names`).
pub struct Names {
    /// `__RCOBJ_FIELDS`: the table.
    pub fields: String,
}

/// A field in the table.
pub struct Field {
    member: Member,
    /// The field's type, as tokens: turned into tokens once, since the table and the
    /// names check use it several times.
    ty: TokenStream,
    /// The reflected name.
    name: String,
    /// The doc comment, as an expression of type `&'static str`.
    doc: TokenStream,
}

impl Field {
    /// The field's type, as tokens.
    pub fn ty(&self) -> &TokenStream {
        &self.ty
    }
}

/// Applies the rules to the options of every field and lists the reflected ones. The
/// `#[parent]` field is not an own field: `skip` or `rename` on it is an error.
pub fn validate(
    fields: Option<&Fields>,
    attrs: &FieldAttrs,
    parents: &[ParentMark],
    field_errors: &mut Vec<(usize, syn::Error)>,
) -> Vec<Field> {
    let Some(fields) = fields else {
        return Vec::new();
    };
    let mut out: Vec<Field> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (position, field) in fields.iter().enumerate() {
        let none = FieldOptions::default();
        let options = attrs.get(position).unwrap_or(&none);
        let is_parent = parents.iter().any(|p| p.index == position);
        if is_parent {
            for (span, what) in [
                (options.skip, "`skip`"),
                (options.rename.as_ref().map(LitStr::span), "`rename`"),
            ] {
                if let Some(span) = span {
                    field_errors.push((
                        position,
                        syn::Error::new(
                            span,
                            format!(
                                "{what} cannot apply to the `#[parent]` field: it is not one of \
                                 this type's own fields (its fields are the parent's, listed \
                                 in `all_fields()`); remove it"
                            ),
                        ),
                    ));
                }
            }
            continue;
        }
        if let (Some(_), Some(rename)) = (options.skip, &options.rename) {
            field_errors.push((
                position,
                syn::Error::new(
                    rename.span(),
                    "a skipped field is not reflected, so it has no name to rename; \
                     remove `rename` or `skip`",
                ),
            ));
        }
        if options.skip.is_some() {
            continue;
        }
        let (name, span) = match (&options.rename, &field.ident) {
            (Some(lit), _) => (lit.value(), lit.span()),
            (None, Some(ident)) => (ident.unraw().to_string(), ident.span()),
            (None, None) => (position.to_string(), field.ty.span()),
        };
        if names.contains(&name) {
            field_errors.push((
                position,
                syn::Error::new(
                    span,
                    format!(
                        "two reflected fields are named `{name}` (an earlier field has this \
                         name); give one another name with `#[object(rename = \"...\")]`"
                    ),
                ),
            ));
        } else {
            names.push(name.clone());
        }
        let member = match &field.ident {
            Some(ident) => Member::Named(ident.clone()),
            None => Member::Unnamed(syn::Index::from(position)),
        };
        out.push(Field {
            member,
            ty: field.ty.to_token_stream(),
            name,
            doc: doc_of(&field.attrs),
        });
    }
    out
}

/// A field's doc comment as a `&'static str` expression: the `///` lines joined by
/// newlines, each without the one space `///` leaves; a `#[doc = expr]` that is not a
/// literal (`include_str!`) goes in as it is, through `concat!`.
fn doc_of(attrs: &[Attribute]) -> TokenStream {
    let mut pieces: Vec<TokenStream> = Vec::new();
    let mut literal = String::new();
    let mut all_literal = true;
    for attr in attrs {
        let Meta::NameValue(nv) = &attr.meta else {
            continue;
        };
        if !nv.path.is_ident("doc") {
            continue;
        }
        if !pieces.is_empty() {
            pieces.push(quote!("\n"));
            literal.push('\n');
        }
        match &nv.value {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(s), ..
            }) => {
                let text = s.value();
                let text = text.strip_prefix(' ').unwrap_or(&text).to_owned();
                literal.push_str(&text);
                pieces.push(quote!(#text));
            }
            other => {
                all_literal = false;
                pieces.push(other.to_token_stream());
            }
        }
    }
    if all_literal {
        quote!(#literal)
    } else {
        quote!(::core::concat!(#(#pieces),*))
    }
}

/// The field's type as written, tidied: `Vec<Obj<Expr>>`, `&'static str`, `[u8; 4]`.
pub(crate) fn written_type(ty: &TokenStream) -> String {
    let mut name = ty.to_string();
    for (spaced, tight) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" > ", ">"),
        (" >", ">"),
        (" ,", ","),
        (" ;", ";"),
        ("& '", "&'"),
        ("[ ", "["),
        (" ]", "]"),
        ("( ", "("),
        (" )", ")"),
        ("& ", "&"),
        ("* const ", "*const "),
        ("* mut ", "*mut "),
        ("fn (", "fn("),
        ("Fn (", "Fn("),
        ("FnMut (", "FnMut("),
        ("FnOnce (", "FnOnce("),
    ] {
        name = name.replace(spaced, tight);
    }
    name
}

/// The reflection items of the expansion (the table, or nothing) and the expression for
/// `TypeInfo::__new`'s `fields` argument. Every token has the call site's span but the
/// user's own (field types and names).
///
/// The one `unsafe` block makes the entries with `FieldInfo::__derived::<Type, FieldType>`,
/// whose contract is that the offset is the field's: `::core::mem::offset_of!` of the same
/// field, whose type is the one named. The user's tokens inside are the type's name, field
/// names and field types; the only code a type can hold, a const argument or array length,
/// is a separate body that does not inherit the block's `unsafe`.
pub fn expand(
    ident: &Ident,
    fields: &[Field],
    krate: &TokenStream,
    names: &Names,
) -> (TokenStream, TokenStream) {
    if fields.is_empty() {
        return (quote!(), quote!(&[]));
    }
    let private = quote!(#krate::__private);
    let info = quote!(#krate::reflect::FieldInfo);
    let table = Ident::new(&names.fields, proc_macro2::Span::call_site());
    // Kept short: this is what the derive adds per field, and the compile time of a crate
    // of many types follows it.
    let infos = fields.iter().map(|f| {
        let Field {
            member,
            ty,
            name,
            doc,
        } = f;
        let type_name = written_type(ty);
        // Without rcobj's `tvm-ffi` feature (which turns this one on) the probe answers
        // `None` for every type.
        let ffi = if cfg!(feature = "tvm-ffi") {
            quote!(<#private::FfiProbe<#ty>>::FIELD)
        } else {
            quote!(::core::option::Option::None)
        };
        quote! {
            #info::__derived::<#ident, #ty>(
                ::core::mem::offset_of!(#ident, #member),
                #name,
                #type_name,
                #doc,
                <#private::ReflectProbe<#ty>>::VALUE,
                #ffi,
            ),
        }
    });
    let len = fields.len();
    let ffi_probe = if cfg!(feature = "tvm-ffi") {
        quote!(NoFfiField as _,)
    } else {
        quote!()
    };
    let items = quote! {
        #[allow(unused_imports)]
        use #private::{#ffi_probe NotReflect as _};

        // SAFETY: each offset is `offset_of!` of the field whose type is named beside it.
        static #table: [#info; #len] = unsafe { [#(#infos)*] };
    };
    (items, quote!(&#table))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::written_type;

    use crate::tests::errors;

    #[test]
    fn valid_field_attributes() {
        for input in [
            quote!(
                struct A {
                    #[object(skip)]
                    x: u8,
                    #[object(rename = "y")]
                    z: u8,
                }
            ),
            quote!(
                struct A(#[object(skip)] u8, #[object(rename = "b")] u8);
            ),
            quote!(
                #[repr(C)]
                struct A {
                    #[parent]
                    p: B,
                    #[object(rename = "p")]
                    x: u8,
                }
            ),
            quote!(
                struct A {
                    #[object(rename = "b")]
                    a: u8,
                    #[object(rename = "a")]
                    b: u8,
                }
            ),
            quote!(
                struct A {
                    #[object()]
                    a: u8,
                    #[object(skip)]
                    b: u8,
                }
            ),
        ] {
            assert_eq!(errors(input.clone()), Vec::<String>::new(), "{input}");
        }
    }

    #[test]
    fn every_field_error_is_reported() {
        let messages = errors(quote! {
            #[repr(C)]
            #[object(skip, rename = "x")]
            struct A {
                #[parent]
                #[object(skip, rename = "p")]
                p: B,
                #[object(rename = "")]
                a: u8,
                #[object(rename = "c")]
                b: u8,
                c: u8,
                #[object(skp, key = "k", skip = 1, rename, rename = "d", rename = "e")]
                d: u8,
                #[object = 1]
                e: u8,
                #[object(skip, rename = "f")]
                f: u8,
            }
        });
        let expected = [
            "`skip` is a field attribute",
            "`rename` is a field attribute",
            "`skip` cannot apply to the `#[parent]` field",
            "`rename` cannot apply to the `#[parent]` field",
            "a field's name must not be empty",
            "two reflected fields are named `c`",
            "unknown field attribute `skp` in `#[object(...)]`; did you mean `skip`?",
            "`key` goes in the struct's `#[object(...)]`, not on a field",
            "`skip` takes no value",
            "`rename` needs a value",
            "`rename` is given twice",
            "expected `#[object(...)]` with `skip` or `rename",
            "a skipped field is not reflected",
        ];
        assert_eq!(messages.len(), expected.len(), "{messages:#?}");
        for (message, expected) in messages.iter().zip(expected) {
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
    }

    #[test]
    fn malformed_field_attributes_never_panic() {
        let attrs = [
            quote!(#[object]),
            quote!(#[object = "skip"]),
            quote!(#[object[skip]]),
            quote!(#[object{skip}]),
            quote!(#[object(,)]),
            quote!(#[object(, skip ,, rename = "a",)]),
            quote!(#[object(=)]),
            quote!(#[object(= "a")]),
            quote!(#[object(rename = = "a")]),
            quote!(#[object(rename == "a")]),
            quote!(#[object(rename = "a" "b")]),
            quote!(#[object(rename = "a"suffix)]),
            quote!(#[object(rename = 'c')]),
            quote!(#[object(rename = b"a")]),
            quote!(#[object(rename: "a")]),
            quote!(#[object(rename("a"))]),
            quote!(#[object(skip(true))]),
            quote!(#[object(skip skip)]),
            quote!(#[object(a::b)]),
            quote!(#[object(r#skip)]),
            quote!(#[object(#)]),
            quote!(#[object('a)]),
            quote!(#[object("skip")]),
            quote!(#[object(1)]),
        ];
        for attr in attrs {
            for item in [
                quote!(struct A { #attr a: u8 }),
                quote!(struct A(#attr u8, #attr u8);),
                quote!(#[repr(C)] struct A { #[parent] #attr p: B, #attr a: u8 }),
                quote!(enum A { X { #attr a: u8 } }),
                quote!(union A { #attr a: u8 }),
                quote!(#[repr(packed)] struct A { #attr a: u8 }),
            ] {
                // Must not panic; whatever it reports is checked elsewhere.
                let _ = errors(item);
            }
        }
    }

    #[test]
    fn the_field_table_has_one_unsafe_block_with_each_type_written_out() {
        let input: syn::DeriveInput = syn::parse2(quote! {
            struct A { a: u8, #[object(rename = "bee")] b: String }
        })
        .unwrap();
        let parsed = crate::attr::parse(&input);
        let validated = crate::validate::validate(&input, parsed);
        let object = validated.object.unwrap();
        let names = super::Names {
            fields: "__RCOBJ_FIELDS".into(),
        };
        let (items, fields) = super::expand(object.ident, &object.fields, &quote!(__rcobj), &names);
        let text = format!("{items} {fields}");
        assert!(text.contains("__RCOBJ_FIELDS"));
        assert_eq!(text.matches("unsafe").count(), 1, "{text}");
        // `FieldInfo::__derived` is told both types, and measures with `core`'s `offset_of!`.
        assert!(text.contains("__derived :: < A , u8 >"), "{text}");
        assert!(text.contains("__derived :: < A , String >"), "{text}");
        assert!(
            text.contains(":: core :: mem :: offset_of ! (A , b)"),
            "{text}"
        );
        assert_eq!(
            text.contains("FfiProbe"),
            cfg!(feature = "tvm-ffi"),
            "{text}"
        );
    }

    #[test]
    fn written_types_read_as_written() {
        let name = |ty: syn::Type| written_type(&quote::ToTokens::to_token_stream(&ty));
        assert_eq!(name(syn::parse_quote!(Vec<Obj<Expr>>)), "Vec<Obj<Expr>>");
        assert_eq!(name(syn::parse_quote!(&'static str)), "&'static str");
        assert_eq!(name(syn::parse_quote!([u8; 4])), "[u8; 4]");
        assert_eq!(name(syn::parse_quote!((u32, u32))), "(u32, u32)");
        assert_eq!(
            name(syn::parse_quote!(std::collections::HashMap<String, i64>)),
            "std::collections::HashMap<String, i64>"
        );
        assert_eq!(
            name(syn::parse_quote!(Option<Box<dyn Fn(u8) -> u8>>)),
            "Option<Box<dyn Fn(u8) -> u8>>"
        );
    }
}
