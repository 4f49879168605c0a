// Types emitted by `macro_rules!`, fields and docs passed through as fragments.
use rcobj::reflect::{repr, structural_eq};
use rcobj::{Obj, Object};

macro_rules! node {
    ($name:ident, $key:literal { $($(#[$meta:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        #[derive(Object)]
        #[object(key = $key)]
        struct $name {
            $($(#[$meta])* $field: $ty,)*
        }
    };
}

macro_rules! tuple {
    ($name:ident($($ty:ty),*)) => {
        #[derive(Object)]
        struct $name($($ty),*);
    };
}

node!(Leaf, "pass.reflect.Leaf" {
    /// The value.
    value: i64,
    #[object(rename = "tag")]
    label: &'static str,
});
node!(Pair, "pass.reflect.Pair" { left: Obj<Leaf>, right: Obj<Leaf>, #[object(skip)] cache: Vec<u8> });
tuple!(Wrapped(u8, Option<Obj<Pair>>));

fn main() {
    let leaf = |value| Obj::new(Leaf { value, label: "l" });
    let pair = || Obj::new(Pair { left: leaf(1), right: leaf(2), cache: vec![] });
    assert_eq!(
        repr(&pair()),
        r#"pass.reflect.Pair(left=pass.reflect.Leaf(value=1, tag="l"), right=pass.reflect.Leaf(value=2, tag="l"))"#
    );
    assert!(structural_eq(&pair(), &pair()));
    assert_eq!(Leaf::type_info().fields()[0].doc(), "The value.");
    assert_eq!(Leaf::type_info().fields()[1].type_name(), "&'static str");
    let w = Obj::new(Wrapped(1, Some(pair())));
    assert!(repr(&w).ends_with("Wrapped(0=1, 1=pass.reflect.Pair(left=pass.reflect.Leaf(value=1, tag=\"l\"), right=pass.reflect.Leaf(value=2, tag=\"l\")))"));
    assert_eq!(pair().cache.len(), 0);
}
