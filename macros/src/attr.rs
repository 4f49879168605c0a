//! Parsing: `#[object(...)]`, `#[repr(...)]` and `#[parent]`, into [`Parsed`]. Problems
//! are recorded in [`Errors`] and parsing goes on — past a bad key, to the next comma — so
//! every mistake is reported at once.

use proc_macro2::{Delimiter, Ident, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, DeriveInput, Fields, LitStr, Meta, Path, Token};

/// The keys `#[object(...)]` accepts, as shown in messages.
const EXPECTED_KEYS: &str = "`key = \"...\"`, `final` or `crate = \"...\"`";

/// The key of the root type, `rcobj::AnyObject::KEY`: no derived type may take it.
const ROOT_KEY: &str = "rcobj.Object";

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

    /// Records an error covering all of `tokens` (from the first to the last).
    pub fn push_spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push_error(syn::Error::new_spanned(tokens, message));
    }

    /// Records an already built error.
    pub fn push_error(&mut self, err: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(err),
            None => self.errors = Some(err),
        }
    }

    /// Every recorded error, if any.
    pub fn finish(self) -> Option<syn::Error> {
        self.errors
    }
}

/// A `#[parent]` marker found on a field.
pub struct ParentMark {
    /// Position of the field.
    pub index: usize,
    /// The field's name, for messages (`shape`, or `0` for a tuple field).
    pub name: String,
    /// The whole `#[parent]` attribute, for spans.
    pub attr: TokenStream,
}

/// What parsing found.
pub struct Parsed {
    /// Errors in the struct's attributes, in source order.
    pub errors: Errors,
    /// Errors in field attributes, with the field's position, in source order.
    pub field_errors: Vec<(usize, syn::Error)>,
    /// `crate = ...` was given but is unusable: the runtime's path is unknown.
    pub crate_failed: bool,
    /// `key = "..."`.
    pub key: Option<LitStr>,
    /// `final` (its span).
    pub is_final: Option<Span>,
    /// `crate = "..."`.
    pub krate: Option<Path>,
    /// `#[repr(C)]` present.
    pub repr_c: bool,
    /// `#[repr(packed)]` or `packed(N)` (its tokens).
    pub repr_packed: Option<TokenStream>,
    /// Every `#[parent]`.
    pub parents: Vec<ParentMark>,
    /// The fields' `#[object(...)]` (reflection).
    pub field_attrs: crate::reflect::FieldAttrs,
}

/// Parses the attributes of the struct and its fields.
pub fn parse(input: &DeriveInput) -> Parsed {
    let mut parsed = Parsed {
        errors: Errors::default(),
        field_errors: Vec::new(),
        crate_failed: false,
        key: None,
        is_final: None,
        krate: None,
        repr_c: false,
        repr_packed: None,
        parents: Vec::new(),
        field_attrs: crate::reflect::FieldAttrs::default(),
    };
    for attr in &input.attrs {
        if attr.path().is_ident("object") {
            parse_object_attr(attr, &mut parsed);
        } else if attr.path().is_ident("repr") {
            parse_repr(attr, &mut parsed);
        } else if attr.path().is_ident("parent") {
            parsed.errors.push_spanned(
                attr,
                "`#[parent]` goes on the parent field (the struct's first field), not on the struct",
            );
        }
    }
    let fields: Vec<&syn::Field> = match &input.data {
        syn::Data::Struct(s) => match &s.fields {
            Fields::Named(f) => f.named.iter().collect(),
            Fields::Unnamed(f) => f.unnamed.iter().collect(),
            Fields::Unit => Vec::new(),
        },
        syn::Data::Enum(e) => e.variants.iter().flat_map(|v| v.fields.iter()).collect(),
        syn::Data::Union(u) => u.fields.named.iter().collect(),
    };
    let is_struct = matches!(input.data, syn::Data::Struct(_));
    for (index, field) in fields.iter().enumerate() {
        for attr in &field.attrs {
            if attr.path().is_ident("parent") {
                if !is_struct {
                    // The enum or union itself is reported; this would only add noise.
                    continue;
                }
                if !matches!(attr.meta, Meta::Path(_)) {
                    parsed.field_errors.push((
                        index,
                        syn::Error::new_spanned(
                            attr,
                            "`#[parent]` takes no arguments: the parent is the field's type; write `#[parent]`",
                        ),
                    ));
                }
                let name = match &field.ident {
                    Some(ident) => ident.unraw().to_string(),
                    None => index.to_string(),
                };
                parsed.parents.push(ParentMark {
                    index,
                    name,
                    attr: attr.to_token_stream(),
                });
            } else if attr.path().is_ident("object") {
                if is_struct {
                    let errors = &mut parsed.field_errors;
                    parsed.field_attrs.parse(index, attr, errors);
                } else {
                    parsed
                        .errors
                        .push_spanned(attr, "`#[object(...)]` goes on the struct, not on a field");
                }
            }
        }
    }
    parsed
}

/// One `name`, `name = value` or `name(...)` item of `#[object(...)]`.
pub(crate) enum Item {
    /// `name` alone.
    Flag,
    /// `name = value`: the `=` (its span) and the tokens after it, up to the next comma.
    Value(Span, TokenStream),
    /// `name(...)` or anything else after the name.
    Other(TokenStream),
}

impl Item {
    /// What follows an option's name: nothing, `= value`, or anything else.
    pub(crate) fn of(rest: TokenStream) -> Item {
        match rest.clone().into_iter().next() {
            None => Item::Flag,
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {
                let mut rest = rest.into_iter();
                rest.next();
                Item::Value(p.span(), rest.collect())
            }
            Some(_) => Item::Other(rest),
        }
    }
}

/// Parses one `#[object(...)]`: its items, separated by commas, each on its own, so that
/// a bad item does not hide the ones after it.
fn parse_object_attr(attr: &Attribute, parsed: &mut Parsed) {
    let list = match &attr.meta {
        Meta::List(list) if matches!(list.delimiter, syn::MacroDelimiter::Paren(_)) => list,
        _ => {
            parsed.errors.push_spanned(
                attr,
                format!("expected `#[object(...)]` with {EXPECTED_KEYS}, e.g. `#[object(key = \"my.Type\")]`"),
            );
            return;
        }
    };
    let parser = |input: ParseStream<'_>| {
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
            if item.is_empty() {
                // `,,` or a leading comma; a trailing comma ends the loop instead.
                if let Some(comma) = comma {
                    parsed.errors.push(
                        comma.span,
                        format!("expected {EXPECTED_KEYS} before this comma"),
                    );
                }
                continue;
            }
            parse_object_item(item, parsed);
        }
        Ok(())
    };
    // The parser consumes every token and never fails on its own.
    if let Err(err) = parser.parse2(list.tokens.clone()) {
        parsed.errors.push_error(err);
    }
}

/// Parses one item of `#[object(...)]`: `key = "..."`, `final` or `crate = "..."`.
fn parse_object_item(item: TokenStream, parsed: &mut Parsed) {
    let mut tokens = item.clone().into_iter();
    let name = match tokens.next() {
        Some(TokenTree::Ident(ident)) => ident,
        _ => {
            let message = match syn::parse2::<LitStr>(item.clone()) {
                Ok(lit) => format!(
                    "the type key needs its name: write `key = {}`",
                    lit.to_token_stream()
                ),
                Err(_) => format!("expected {EXPECTED_KEYS}"),
            };
            parsed.errors.push_spanned(&item, message);
            return;
        }
    };
    let value = Item::of(tokens.collect());
    match name.unraw().to_string().as_str() {
        "key" => parse_key(&name, value, parsed),
        "final" => match value {
            Item::Flag if parsed.is_final.is_some() => parsed
                .errors
                .push(name.span(), "`final` is given twice; remove one"),
            Item::Flag => parsed.is_final = Some(name.span()),
            _ => parsed
                .errors
                .push_spanned(&item, "`final` takes no value: write `#[object(final)]`"),
        },
        "crate" => parse_crate(&name, value, parsed),
        "skip" | "rename" => crate::reflect::misplaced(&name, &mut parsed.errors),
        other => {
            let message = match closest_key(other) {
                Some(key) => {
                    format!("unknown key `{other}` in `#[object(...)]`; did you mean `{key}`?")
                }
                None => {
                    format!("unknown key `{other}` in `#[object(...)]`; expected {EXPECTED_KEYS}")
                }
            };
            parsed.errors.push(name.span(), message);
        }
    }
}

/// A string-literal value: exactly one token, a plain string literal.
pub(crate) fn string_value(
    name: &Ident,
    value: Item,
    example: &str,
    errors: &mut Errors,
) -> Option<LitStr> {
    match value {
        Item::Flag => {
            errors.push(name.span(), format!("`{name}` needs a value: `{example}`"));
            None
        }
        Item::Other(tokens) => {
            errors.push_spanned(
                quote::quote!(#name #tokens),
                format!("`{name}` takes its value after `=`: `{example}`"),
            );
            None
        }
        Item::Value(eq, tokens) if tokens.is_empty() => {
            errors.push(
                eq,
                format!("`{name} =` needs a value after `=`: `{example}`"),
            );
            None
        }
        Item::Value(_, tokens) => {
            let mut iter = tokens.clone().into_iter();
            let first = iter.next().map(TokenStream::from);
            let rest: TokenStream = iter.collect();
            let lit = match first.map(syn::parse2::<syn::Lit>) {
                Some(Ok(syn::Lit::Str(lit))) if lit.suffix().is_empty() => Some(lit),
                _ => None,
            };
            match lit {
                // `key = "a" final`: a forgotten comma, most likely.
                Some(_) if !rest.is_empty() => {
                    errors.push_spanned(rest, "expected `,` before this");
                    None
                }
                Some(lit) => Some(lit),
                None => {
                    errors.push_spanned(
                        tokens,
                        format!("`{name}` must be a string literal, e.g. `{example}`"),
                    );
                    None
                }
            }
        }
    }
}

/// `key = "..."`: a non-empty string literal, given once.
fn parse_key(name: &Ident, value: Item, parsed: &mut Parsed) {
    let example = "key = \"my_crate.Shape\"";
    let Some(lit) = string_value(name, value, example, &mut parsed.errors) else {
        return;
    };
    if lit.value().is_empty() {
        parsed.errors.push(
            lit.span(),
            format!("the type key must not be empty: write a unique name, e.g. `{example}`, or remove `key` to use the Rust path"),
        );
    } else if lit.value() == ROOT_KEY {
        parsed.errors.push(
            lit.span(),
            format!("`{ROOT_KEY}` is the key of the root type `AnyObject`; choose another, e.g. `{example}`"),
        );
    } else if parsed.key.is_some() {
        parsed
            .errors
            .push(name.span(), "`key` is given twice; remove one");
    } else {
        parsed.key = Some(lit);
    }
}

/// `crate = "..."`: a string literal holding a module path, given once.
fn parse_crate(name: &Ident, value: Item, parsed: &mut Parsed) {
    let example = "crate = \"::my_crate::rcobj\"";
    let Some(lit) = string_value(name, value, example, &mut parsed.errors) else {
        parsed.crate_failed = true;
        return;
    };
    match lit.parse_with(Path::parse_mod_style) {
        Ok(_) if parsed.krate.is_some() => parsed
            .errors
            .push(name.span(), "`crate` is given twice; remove one"),
        Ok(path) => parsed.krate = Some(path),
        Err(_) => {
            parsed.crate_failed = true;
            parsed.errors.push(
            lit.span(),
            format!("`crate` must hold a path to the rcobj crate or to a re-export of it, e.g. `{example}`"),
            );
        }
    }
}

/// The known key closest to a misspelt one, if it is close enough to be a likely typo.
pub(crate) fn closest_key(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_lowercase();
    ["key", "final", "crate"]
        .into_iter()
        .map(|key| (edit_distance(&unknown, key), key))
        .filter(|&(distance, key)| distance <= key.len() / 2)
        .min()
        .map(|(_, key)| key)
}

/// Levenshtein distance, with a swap of two neighbours counting as one edit.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Notes `repr(C)` and `repr(packed)` / `repr(packed(N))`.
fn parse_repr(attr: &Attribute, parsed: &mut Parsed) {
    // `repr` contents we do not understand are the compiler's business, not ours.
    let _ = attr.parse_nested_meta(|meta| {
        let path = meta.path.clone();
        if path.is_ident("C") {
            parsed.repr_c = true;
        }
        let mut tokens = path.to_token_stream();
        if meta.input.peek(syn::token::Paren) {
            let content;
            let paren = syn::parenthesized!(content in meta.input);
            let inner: TokenStream = content.parse()?;
            let mut group = proc_macro2::Group::new(Delimiter::Parenthesis, inner);
            group.set_span(paren.span.join());
            tokens.extend([TokenTree::Group(group)]);
        }
        if path.is_ident("packed") {
            parsed.repr_packed = Some(tokens);
        }
        Ok(())
    });
}
