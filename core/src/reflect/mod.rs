//! Reflection: `#[derive(Object)]` describes every field of a type, and generic services
//! run on that description, through any handle, on the object's real type.
//!
//! * [`TypeInfo::fields`](crate::TypeInfo::fields) lists a type's own fields as
//!   [`FieldInfo`]s (name, offset from the object header, size, alignment, type name, doc
//!   comment); [`TypeInfo::all_fields`](crate::TypeInfo::all_fields) adds the inherited
//!   ones, root first.
//! * A field's value is a [`Value`]: a field whose type implements [`Reflect`] shows its
//!   value (numbers, strings, bytes, objects, weak references, sequences); any other field
//!   is [`Value::Opaque`]. The derive never requires `Reflect`.
//! * Services: [`repr`], [`structural_eq`], [`structural_hash`], [`visit_children`] and
//!   [`walk`]. They accept every handle that lends an `AnyObj` ([`AsAnyObj`]: `Obj<T>`,
//!   `ObjBorrow`, references to them) and look the real type up by the object's type
//!   index, so an `Obj<Base>` or an `AnyObj` shows all of a descendant's fields. Like
//!   [`is`](crate::Obj::is) and [`downcast`](crate::Obj::downcast) they trust that index
//!   (see [`Obj::from_raw`](crate::Obj::from_raw): never hand them an object of a plugin's
//!   own copy of rcobj); a foreign object (an index no Rust type has) shows no fields.
//!
//! Field attributes: `#[object(skip)]` leaves a field out of reflection,
//! `#[object(rename = "...")]` gives it another name; doc comments become
//! [`FieldInfo::doc`].
//!
//! Cost: the field table is static data written by the derive; creating, cloning and
//! dropping objects does not change. Runtime-defined types declare fields with
//! [`RuntimeTypeBuilder::field`](crate::RuntimeTypeBuilder::field).
//!
//! ```
//! use rcobj::reflect::{repr, structural_eq, walk};
//! use rcobj::{AnyObj, Obj, Object};
//!
//! #[derive(Object)]
//! #[object(key = "demo.Expr")]
//! struct Expr;
//!
//! #[derive(Object)]
//! #[repr(C)]
//! #[object(key = "demo.Var", final)]
//! struct Var { #[parent] expr: Expr, name: String }
//!
//! #[derive(Object)]
//! #[repr(C)]
//! #[object(key = "demo.Add", final)]
//! struct Add { #[parent] expr: Expr, lhs: Obj<Expr>, rhs: Obj<Expr> }
//!
//! let var = |name: &str| -> Obj<Expr> { Obj::new(Var { expr: Expr, name: name.into() }).upcast() };
//! let e: AnyObj = Obj::new(Add { expr: Expr, lhs: var("x"), rhs: var("y") }).upcast();
//! assert_eq!(repr(&e), r#"demo.Add(lhs=demo.Var(name="x"), rhs=demo.Var(name="y"))"#);
//!
//! let again = Obj::new(Add { expr: Expr, lhs: var("x"), rhs: var("y") });
//! assert!(structural_eq(&e, &again));
//!
//! let mut keys = vec![];
//! walk(&e, |node: &AnyObj| keys.push(Obj::type_info(node).key().to_owned()));
//! assert_eq!(keys, ["demo.Add", "demo.Var", "demo.Var"]);
//! ```
//!
//! ## Structural equality and hashing
//!
//! [`structural_eq`] and [`structural_hash`] work on the tree that a depth-first walk over
//! the reflected fields unfolds from an object, following strong references, where a strong
//! reference to an object *on the current path* (a cycle) becomes a back-reference "so many
//! levels up". Two objects are structurally equal when these trees are equal, value for
//! value, with the rules below for weak references and opaque fields. The hash hashes the
//! same tree and sees of weak references and opaque fields only what every equal pair
//! shares, so `structural_eq(a, b)` implies `structural_hash(a) == structural_hash(b)`.
//!
//! * Objects: the same real type (by descriptor), then every reflected field in
//!   [`all_fields`](crate::TypeInfo::all_fields) order. Sharing is not significant: a DAG
//!   equals the tree it unfolds to (tvm-ffi's default, "tree node"), and a shared node is
//!   compared or hashed once per pair (memoized), not once per path. An object whose real
//!   type is the root [`AnyObject`](crate::AnyObject) (a foreign object) compares by
//!   identity.
//! * Strong references on the current path (a strong cycle) compare by how many levels up
//!   they point: a node pointing at itself differs from two nodes pointing at each other.
//! * Weak references are not followed. One whose target is part of the graph (reachable
//!   from the compared object through strong fields: a parent link, a link to a sibling)
//!   compares by where the target first occurs in it, that is by the fields (and positions
//!   in sequences) that lead from the root to its first occurrence in preorder. Any other
//!   weak reference compares by identity: the same object, or both empty. The hash sees
//!   only whether a weak reference is empty, dangling or alive.
//! * Opaque values (of fields whose type does not implement [`Reflect`]) compare by
//!   identity: equal only within one object, so two distinct objects with an opaque field
//!   are never equal. Leave such a field out with `#[object(skip)]`, or implement `Reflect`
//!   for its type. The hash does not see into them.
//! * Floats are equal when `==`, or both NaN (so `0.0` equals `-0.0`).
//! * Values of different kinds (`Int` and `UInt`, `None` and an object) differ.
//!
//! Both recurse along the graph's depth ([`walk`] and [`visit_children`] do not). The hash
//! is deterministic (no random seed) but not stable across versions of rcobj; a foreign
//! object hashes by address.

mod any;
pub(crate) mod field;
pub(crate) mod probe;
mod repr;
pub(crate) mod runtime;
mod seq;
mod structural;
mod value;
mod visit;

pub use self::any::AsAnyObj;
pub use self::field::{AllFields, FieldInfo, Instance};
pub use self::repr::repr;
pub use self::runtime::FieldKind;
pub use self::seq::{ReflectSeq, Seq};
pub use self::structural::{structural_eq, structural_hash};
pub use self::value::{Reflect, Value};
pub use self::visit::{visit_children, walk};
