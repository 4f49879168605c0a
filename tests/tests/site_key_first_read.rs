//! A default key that collides with another definition's is switched to its site key by the
//! registry. Read before the registry's first use, the key must already be the one it keeps:
//! this file's only test reads it first thing in the process.

use rcobj::Object;

#[test]
fn a_colliding_default_key_read_first_is_already_the_site_key() {
    // Two function-local `Node`s in one module share the default key `path::Node`.
    #[derive(Object)]
    struct Node;
    let first = Node::type_info().key();
    let second = {
        #[derive(Object)]
        struct Node;
        Node::type_info().key()
    };
    assert_ne!(first, second, "each definition has a key of its own");
    assert!(first.contains("::Node@") && first.contains("site_key_first_read.rs:"));
    assert_eq!(
        Node::type_info().key(),
        first,
        "a key never changes once read"
    );
    assert!(rcobj::registry::by_key(first).is_some_and(|t| t == *Node::type_info()));
}
