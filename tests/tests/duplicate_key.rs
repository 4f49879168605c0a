//! Two types with one key: every registry use panics with a message naming both.

use rcobj::{registry, Obj, Object};

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
}
