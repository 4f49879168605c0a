//! Keys that several types claim.
//!
//! * Two types with one explicit key are a real duplicate: every use of either of them
//!   (its index, `Obj::new`) and of the key (`by_key`, a runtime type's registration) fails
//!   with a message naming both Rust paths. Every other type keeps working.
//! * A default key (the Rust path, which does not name the enclosing function) shared by
//!   two function-local `struct Node`s, or with another type's explicit key: the types
//!   with the default switch to their site keys (`path::Name@file:line:column`), and all of
//!   them work.

use rcobj::{registry, Obj, Object, RuntimeTypeBuilder, RuntimeTypeError, TypeInfo};

mod first {
    #[derive(rcobj::Object)]
    #[object(key = "tests.dup.Same")]
    pub struct Thing;
}

mod second {
    #[derive(rcobj::Object)]
    #[object(key = "tests.dup.Same")]
    pub struct Thing(pub u8);
}

/// A type that has nothing to do with the duplicate.
#[derive(Object)]
#[object(key = "tests.dup.Unrelated")]
struct Unrelated(#[allow(dead_code)] u8);

mod defaulted {
    /// Default key `duplicate_key::defaulted::Clashing`, which `ExplicitClaim` claims too.
    #[derive(rcobj::Object)]
    pub struct Clashing;
}

#[derive(Object)]
#[object(key = "duplicate_key::defaulted::Clashing")]
struct ExplicitClaim;

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("must panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn duplicate_keys_panic_naming_both_types() {
    for message in [
        panic_message(|| {
            registry::by_key("tests.dup.Same");
        }),
        panic_message(|| {
            let _ = Obj::new(first::Thing);
        }),
        panic_message(|| {
            second::Thing::type_info().index();
        }),
    ] {
        assert!(message.contains("tests.dup.Same"), "{message}");
        assert!(message.contains("duplicate_key::first::Thing"), "{message}");
        assert!(
            message.contains("duplicate_key::second::Thing"),
            "{message}"
        );
    }
    let _ = second::Thing(1).0;
    // A runtime type cannot take the key either; the error names both.
    let err = RuntimeTypeBuilder::new("tests.dup.Same")
        .register()
        .unwrap_err();
    match err {
        RuntimeTypeError::DuplicateKey { key, existing } => {
            assert_eq!(key, "tests.dup.Same");
            assert!(
                existing.contains("duplicate_key::first::Thing"),
                "{existing}"
            );
            assert!(
                existing.contains("duplicate_key::second::Thing"),
                "{existing}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// The duplicate fails only the two types involved.
#[test]
fn other_types_keep_working() {
    let info = registry::by_key("tests.dup.Unrelated").expect("registered");
    assert!(info == *Unrelated::type_info());
    let o = Obj::new(Unrelated(1));
    assert!(registry::by_index(Unrelated::type_info().index()).unwrap() == *Unrelated::type_info());
    assert_eq!(Unrelated::type_info().live_count(), 1);
    drop(o);
    let all = registry::all();
    assert!(all.iter().any(|t| t.key() == "tests.dup.Unrelated"));
    assert!(all.iter().all(|t| t.key() != "tests.dup.Same"));
    // Runtime types too.
    let ty = RuntimeTypeBuilder::new("tests.dup.Runtime")
        .register()
        .unwrap();
    drop(ty.new_object(|_| {}).unwrap());
    assert!(ty.unregister());
}

/// Two function-local types of one name in one module: one default key, two site keys.
#[test]
fn function_local_default_keys_switch_to_site_keys() {
    fn a() -> &'static TypeInfo {
        #[derive(Object)]
        struct Node(#[allow(dead_code)] u8);
        let o = Obj::new(Node(1));
        assert_eq!(Node::type_info().live_count(), 1);
        drop(o);
        Node::type_info()
    }
    fn b() -> &'static TypeInfo {
        #[derive(Object)]
        struct Node(#[allow(dead_code)] u16);
        let o = Obj::new(Node(2));
        assert!(o.is::<Node>());
        drop(o);
        Node::type_info()
    }
    let (a, b) = (a(), b());
    assert_eq!(a.rust_name(), "duplicate_key::Node");
    assert_eq!(b.rust_name(), "duplicate_key::Node");
    assert_ne!(a.key(), b.key());
    assert_ne!(a.index(), b.index());
    for t in [a, b] {
        assert!(
            t.key().starts_with("duplicate_key::Node@") && t.key().contains("duplicate_key.rs:"),
            "{}",
            t.key()
        );
        assert!(registry::by_key(t.key()).unwrap() == *t);
        assert!(registry::by_index(t.index()).unwrap() == *t);
    }
    // Nobody is registered under the shared default.
    assert!(registry::by_key("duplicate_key::Node").is_none());
}

/// A default key that another type claims explicitly: the explicit claim keeps it, the
/// default-keyed type takes its site key.
#[test]
fn a_default_key_gives_way_to_an_explicit_one() {
    // The registry decides the keys when it is built (its first use); `key()` of a
    // default-keyed type read before that is still the default.
    let _ = registry::by_key("");
    let explicit = ExplicitClaim::type_info();
    assert_eq!(explicit.key(), "duplicate_key::defaulted::Clashing");
    let defaulted = defaulted::Clashing::type_info();
    assert!(
        defaulted
            .key()
            .starts_with("duplicate_key::defaulted::Clashing@"),
        "{}",
        defaulted.key()
    );
    assert!(registry::by_key("duplicate_key::defaulted::Clashing").unwrap() == *explicit);
    assert!(registry::by_key(defaulted.key()).unwrap() == *defaulted);
    drop((Obj::new(ExplicitClaim), Obj::new(defaulted::Clashing)));
}
