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
//!   index, so an `Obj<Base>` or an `AnyObj` shows all of a descendant's fields.
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

mod any;
mod field;
pub(crate) mod probe;
mod repr;
pub(crate) mod runtime;
mod structural;
mod value;
mod visit;

pub use self::any::AsAnyObj;
#[doc(hidden)]
pub use self::field::Getter;
pub use self::field::{AllFields, FieldInfo, Instance};
pub use self::repr::repr;
pub use self::runtime::FieldKind;
pub use self::structural::{structural_eq, structural_hash};
pub use self::value::{Reflect, ReflectSeq, Value};
pub use self::visit::{visit_children, walk};
