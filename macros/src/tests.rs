//! Unit tests of the derive's error handling, run without a compiler in the loop: every
//! malformed input yields `compile_error!`s with the expected messages, never a panic.
//! What the errors look like to a user is covered by the trybuild cases in `ui-tests`.

use quote::quote;

use crate::attr::{closest_key, edit_distance};
use crate::derive;

/// The `compile_error!` messages the derive emits for `input` (also used by the reflection
/// tests in `reflect.rs`).
pub(crate) fn errors(input: proc_macro2::TokenStream) -> Vec<String> {
    let input: syn::DeriveInput = syn::parse2(input).expect("a valid item");
    let out = derive(&input);
    let mut messages = Vec::new();
    let mut tokens = out.into_iter().peekable();
    while let Some(token) = tokens.next() {
        let proc_macro2::TokenTree::Ident(ident) = &token else {
            continue;
        };
        if ident != "compile_error" {
            continue;
        }
        // `compile_error ! ( "message" )` (syn writes the path `::core::compile_error`).
        tokens.next();
        if let Some(proc_macro2::TokenTree::Group(group)) = tokens.next() {
            let lit: syn::LitStr = syn::parse2(group.stream()).expect("a message");
            messages.push(lit.value());
        }
    }
    messages
}

#[test]
fn valid_inputs_have_no_errors() {
    for input in [
        quote!(
            struct A;
        ),
        quote!(
            struct A(u8, String);
        ),
        quote!(
            struct A {
                x: u8,
            }
        ),
        quote!(
            #[object(key = "a.A", final, crate = "crate::rt")]
            struct A;
        ),
        quote!(
            #[object(key = r"a.A")]
            #[object()]
            struct A;
        ),
        quote!(
            #[repr(C)]
            struct A {
                #[parent]
                p: B,
                x: u8,
            }
        ),
        quote!(
            #[repr(C, align(64))]
            struct A(#[parent] B);
        ),
    ] {
        assert_eq!(errors(input.clone()), Vec::<String>::new(), "{input}");
    }
}

#[test]
fn every_error_is_reported_in_one_go() {
    let messages = errors(quote! {
        #[repr(packed)]
        #[object(key = "", finall, crate = "no such path", key = 3, final = 1)]
        struct Broken<'a, T> {
            value: &'a T,
            #[parent]
            base: Base,
            #[parent(yes)]
            other: Base,
        }
    });
    let expected = [
        "the type key must not be empty",
        "unknown key `finall` in `#[object(...)]`; did you mean `final`?",
        "`crate` must hold a path",
        "`key` must be a string literal",
        "`final` takes no value",
        "object types cannot be `repr(packed)`",
        "object types cannot have lifetime parameters",
        "object types cannot be generic",
        "`#[parent]` must be on the first field",
        "must be `#[repr(C)]`",
        "`#[parent]` takes no arguments",
        "an object has one parent",
    ];
    assert_eq!(messages.len(), expected.len(), "{messages:#?}");
    for (message, expected) in messages.iter().zip(expected) {
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    }
}

#[test]
fn malformed_attributes_never_panic() {
    let attrs = [
        quote!(#[object]),
        quote!(#[object = 1]),
        quote!(#[object[]]),
        quote!(#[object{key = "a"}]),
        quote!(#[object(,)]),
        quote!(#[object(,,,)]),
        quote!(#[object(=)]),
        quote!(#[object(= "a")]),
        quote!(#[object(key = = "a")]),
        quote!(#[object(key == "a")]),
        quote!(#[object(key = "a" "b")]),
        quote!(#[object(key = "a"suffix)]),
        quote!(#[object(key = 'c')]),
        quote!(#[object(key = (("a")))]),
        quote!(#[object(key: "a")]),
        quote!(#[object(a::b = "c")]),
        quote!(#[object(::key = "a")]),
        quote!(#[object(r#key = "a")]),
        quote!(#[object(final final)]),
        quote!(#[object(final, final, final)]),
        quote!(#[object(crate = "")]),
        quote!(#[object(crate = "::")]),
        quote!(#[object(crate = "a::")]),
        quote!(#[object(crate = "a<b>")]),
        quote!(#[object(crate = "1")]),
        quote!(#[object(crate = "a b")]),
        quote!(#[object(crate)]),
        quote!(#[object(crate())]),
        quote!(#[object(#)]),
        quote!(#[object('a)]),
        quote!(#[object("just a string")]),
        quote!(#[object(key = "a" final)]),
        quote!(#[parent]),
        quote!(#[parent(x)]),
        quote!(#[repr(packed(2), C)]),
        quote!(#[repr(packed = 2)]),
        quote!(#[repr()]),
    ];
    for attr in attrs {
        for item in [
            quote!(#attr struct A;),
            quote!(#attr struct A(#[parent] B);),
            quote!(#attr #[repr(C)] struct A { #[parent] #[parent] b: B }),
            quote!(#attr enum A { X(#[parent] B) }),
            quote!(#attr union A { x: u8 }),
            quote!(#attr struct A<T> where T: Copy { x: T }),
        ] {
            // Must not panic; whatever it reports is checked elsewhere.
            let _ = errors(item);
        }
    }
}

#[test]
fn typos_get_a_suggestion() {
    assert_eq!(closest_key("kye"), Some("key"));
    assert_eq!(closest_key("Key"), Some("key"));
    assert_eq!(closest_key("keys"), Some("key"));
    assert_eq!(closest_key("finale"), Some("final"));
    assert_eq!(closest_key("finall"), Some("final"));
    assert_eq!(closest_key("FINAL"), Some("final"));
    assert_eq!(closest_key("crates"), Some("crate"));
    assert_eq!(closest_key("krate"), Some("crate"));
    assert_eq!(closest_key("name"), None);
    assert_eq!(closest_key("type"), None);
    assert_eq!(closest_key("k"), None);
    assert_eq!(edit_distance("ab", "ba"), 1);
    assert_eq!(edit_distance("", "key"), 3);
}

/// Every identifier of the derive's output for `input`.
fn idents(input: proc_macro2::TokenStream) -> Vec<String> {
    fn walk(tokens: proc_macro2::TokenStream, out: &mut Vec<String>) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Ident(ident) => out.push(ident.to_string()),
                proc_macro2::TokenTree::Group(group) => walk(group.stream(), out),
                _ => {}
            }
        }
    }
    let input: syn::DeriveInput = syn::parse2(input).expect("a valid item");
    let mut out = Vec::new();
    walk(derive(&input), &mut out);
    out
}

#[test]
fn generated_names_are_spelt_unlike_the_users() {
    // The struct's name, the parent type and the crate path all count.
    for (input, taken) in [
        (
            quote!(
                struct __RcobjN;
            ),
            "__RcobjN",
        ),
        (
            quote!(
                struct __rcobj;
            ),
            "__rcobj",
        ),
        (
            quote!(
                #[repr(C)]
                struct A(#[parent] m::__RcobjParent);
            ),
            "__RcobjParent",
        ),
        (
            quote!(
                #[object(crate = "__RCOBJ_TYPE_INFO::rt")]
                struct A;
            ),
            "__RCOBJ_TYPE_INFO",
        ),
    ] {
        let out = idents(input.clone());
        let renamed = format!("{taken}_");
        assert!(out.contains(&renamed), "{input}: no `{renamed}`");
    }
    // Two steps: `__rcobj_` is taken too.
    let out = idents(quote!(
        #[repr(C)]
        struct __rcobj_(#[parent] __rcobj);
    ));
    assert!(out.iter().any(|i| i == "__rcobj__"));
    assert!(!out.iter().any(|i| i == "__RcobjN" || i == "__RcobjN_"));
    // No renaming without a clash.
    assert!(idents(quote!(
        struct N;
    ))
    .iter()
    .any(|i| i == "__RcobjN"));
}

/// The derive's output for `input`, formatted with `prettyplease`.
fn pretty(input: proc_macro2::TokenStream) -> String {
    let input: syn::DeriveInput = syn::parse2(input).expect("a valid item");
    let file: syn::File = syn::parse2(derive(&input)).expect("the expansion parses as items");
    prettyplease::unparse(&file)
}

/// How many lines `#[derive(Object)]` writes per type, formatted with `prettyplease` (the
/// figure `core/benches/derive_cost.sh` reports): a root, a child, and their mix in the
/// generated crate of that script (one root to four children). Macros in the output, such
/// as the registration, count as written, not as expanded. Run with
/// `cargo test -p rcobj-macros expansion_lines -- --ignored --nocapture`.
#[test]
#[ignore = "a report, run by core/benches/derive_cost.sh"]
fn expansion_lines() {
    let root = pretty(quote!(
        #[object(key = "gen.T0")]
        pub struct T0 {
            pub id: u32,
            pub name: String,
            pub kids: Vec<Obj<T0>>,
        }
    ));
    let child = pretty(quote!(
        #[repr(C)]
        #[object(key = "gen.T1")]
        pub struct T1 {
            #[parent]
            pub base: T0,
            pub value: i64,
            pub next: Option<Obj<T0>>,
        }
    ));
    let lines = |s: &str| s.lines().filter(|l| !l.trim().is_empty()).count();
    let (r, c) = (lines(&root), lines(&child));
    if std::env::var_os("RCOBJ_SHOW_EXPANSION").is_some() {
        println!("{root}\n{child}");
    }
    println!(
        "expansion lines: root {r}, child {c}, mix (1 root : 4 children) {:.1}",
        (r + 4 * c) as f64 / 5.0
    );
}
