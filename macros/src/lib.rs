//! The `#[derive(Object)]` macro of [rcobj](https://docs.rs/rcobj). Use it through
//! `rcobj::Object`; this crate is an implementation detail.
//!
//! The derive goes parse (`attr.rs`) → validate (`validate.rs`) → expand (`expand.rs`).
//! Every error is collected with its span and reported at once; user input never makes it
//! panic.

mod attr;
mod expand;
mod validate;

use proc_macro::TokenStream;

/// Makes a struct a managed object type. See the `rcobj` crate for the attributes:
/// `#[object(key = "...", final, crate = "path")]` and `#[parent]` on the first field.
#[proc_macro_derive(Object, attributes(object, parent))]
pub fn derive_object(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    let parsed = attr::parse(&input);
    match validate::validate(&input, parsed) {
        Ok(object) => expand::expand(&object).into(),
        Err(err) => err.to_compile_error().into(),
    }
}
