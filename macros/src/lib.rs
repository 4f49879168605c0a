//! The `#[derive(Object)]` macro of [rcobj](https://docs.rs/rcobj). Use it through
//! `rcobj::Object`; this crate is an implementation detail.
//!
//! The derive goes parse (`attr.rs`) → validate (`validate.rs`) → expand (`expand.rs`).
//! Every error is collected with its span and reported at once; user input never makes it
//! panic. Next to errors the derive still emits a stand-in expansion where it can, so that
//! a type whose derive failed does not also fail at each of its uses.

mod attr;
mod behaviour;
mod expand;
mod reflect;
mod validate;

use proc_macro::TokenStream;

/// Makes a struct a managed object type. See the `rcobj` crate for the attributes:
/// `#[object(key = "...", final, crate = "path")]` and `#[parent]` on the first field.
#[proc_macro_derive(Object, attributes(object, parent))]
pub fn derive_object(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    derive(&input).into()
}

/// The derive on a parsed input: every error (as `compile_error!`s), then the expansion —
/// or, next to errors, the stand-in expansion when there is one.
fn derive(input: &syn::DeriveInput) -> proc_macro2::TokenStream {
    let parsed = attr::parse(input);
    let validate::Validated { errors, object } = validate::validate(input, parsed);
    let checks = errors.is_none();
    let mut out = errors.map_or_else(proc_macro2::TokenStream::new, |e| e.to_compile_error());
    if let Some(object) = object {
        out.extend(expand::expand(&object, checks));
    }
    out
}

#[cfg(test)]
mod tests;
