//! The optional `serde` feature: handles serialize as the object they point to, keeping
//! its real type.
//!
//! * An [`Obj<T>`] (and an [`ObjBorrow<'_, T>`]) whose static type `T` is not final may
//!   point at a descendant, so it is written **tagged** with the real type's key, as a map
//!   with one entry — `{"ir.Const":{"value":1}}` — and read back into a new object of the
//!   type the key names, through the registry and the type's behaviour table (see
//!   `serde_tagged.rs`). An unknown key, a key outside `T`'s hierarchy, a type without
//!   `Deserialize`, a type that is not `Send + Sync` read as a `Send + Sync` `T`, or a
//!   payload that does not fit is an `Err` that names the key and `T`; nothing is
//!   allocated for it.
//! * An `Obj<T>` of a **final** `T` can only point at a `T`, so it keeps the untagged form:
//!   it serializes as `T` and deserializes a `T` into a new object. That is the format of
//!   every handle before this feature kept types, for the types where it cannot lose one.
//! * [`UniqueObj<T>`] always holds exactly a `T` (it is made only by `UniqueObj::new`),
//!   so it is untagged too, whatever `T`.
//! * [`WeakObj<T>`] is written as `Option<Obj<T>>` (`None` once the value is gone) and
//!   read back as a handle that upgrades to nothing, as serde's `rc` feature does for
//!   `std::sync::Weak` (what it read is dropped).
//!
//! As with serde's `rc` feature for `Arc`, sharing is not preserved: an object reachable
//! through two handles is written twice and read back as two objects.
//!
//! ```
//! use rcobj::{Obj, Object};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Object, Serialize, Deserialize, Debug, PartialEq)]
//! #[object(key = "doc.serde.Shape")]
//! struct Shape { name: String }
//!
//! #[derive(Object, Serialize, Deserialize, Debug, PartialEq)]
//! #[repr(C)]
//! #[object(key = "doc.serde.Circle", final)]
//! struct Circle { #[parent] shape: Shape, r: f64 }
//!
//! let c = Obj::new(Circle { shape: Shape { name: "c".into() }, r: 1.0 });
//! // A final type: untagged.
//! assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"shape":{"name":"c"},"r":1.0}"#);
//! // Through the base: tagged with the real type, and read back as one.
//! let s: Obj<Shape> = c.upcast();
//! let json = serde_json::to_string(&s).unwrap();
//! assert_eq!(json, r#"{"doc.serde.Circle":{"shape":{"name":"c"},"r":1.0}}"#);
//! let back: Obj<Shape> = serde_json::from_str(&json).unwrap();
//! assert_eq!(back.downcast_ref::<Circle>().map(|c| c.r), Some(1.0));
//! assert!(back == s); // `Circle`'s `==`
//!
//! let err = serde_json::from_str::<Obj<Shape>>(r#"{"doc.serde.Nope":{}}"#).unwrap_err();
//! assert!(err.to_string().contains("unknown type key `doc.serde.Nope`"));
//! ```

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};

use crate::serde_tagged::{deserialize_tagged, serialize_tagged};
use crate::{Obj, ObjBorrow, Object, UniqueObj, WeakObj};

impl<T: Object + Serialize> Serialize for Obj<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if T::IS_FINAL {
            T::serialize(self, serializer)
        } else {
            serialize_tagged(Obj::cell(self), serializer)
        }
    }
}

impl<'de, T: Object + Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if T::IS_FINAL {
            T::deserialize(deserializer).map(Obj::new)
        } else {
            deserialize_tagged(deserializer)
        }
    }
}

impl<T: Object + Serialize> Serialize for UniqueObj<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        T::serialize(self, serializer)
    }
}

impl<'de, T: Object + Deserialize<'de>> Deserialize<'de> for UniqueObj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(UniqueObj::new)
    }
}

impl<T: Object + Serialize> Serialize for ObjBorrow<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if T::IS_FINAL {
            T::serialize(self, serializer)
        } else {
            serialize_tagged(self.cell(), serializer)
        }
    }
}

impl<T: Object + Serialize> Serialize for WeakObj<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.upgrade() {
            Some(obj) => serializer.serialize_some(&obj),
            None => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Object + Deserialize<'de>> Deserialize<'de> for WeakObj<T> {
    /// Reads (and drops) an `Option<Obj<T>>`; the handle upgrades to nothing, since no
    /// strong reference to a new object would survive the call.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<Obj<T>>::deserialize(deserializer).map(|_| WeakObj::new())
    }
}

#[cfg(test)]
mod tests {
    use std::string::String;
    use std::vec;
    use std::vec::Vec;

    use crate::{self as rcobj, Obj, ObjBorrow, Object, UniqueObj, WeakObj};
    use serde::{Deserialize, Serialize};

    #[derive(Object, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[object(crate = "rcobj", key = "serde_test.Shape")]
    struct Shape {
        name: String,
    }

    #[derive(Object, Serialize, Deserialize, Debug, Clone, PartialEq)]
    #[repr(C)]
    #[object(crate = "rcobj", key = "serde_test.Circle", final)]
    struct Circle {
        #[parent]
        shape: Shape,
        radius: f64,
    }

    #[derive(Object, Serialize, Deserialize, Debug, PartialEq)]
    #[object(crate = "rcobj", key = "serde_test.Scene", final)]
    struct Scene {
        shapes: Vec<Obj<Shape>>,
        main: Option<Obj<Circle>>,
    }

    /// Created by no test but the one that counts its instances (counts are per type, and
    /// tests run on parallel threads).
    #[derive(Object, Serialize, Deserialize, Debug)]
    #[object(crate = "rcobj", key = "serde_test.Counted", final)]
    struct Counted {
        shape: Obj<Shape>,
        radius: f64,
    }

    fn circle(name: &str, radius: f64) -> Obj<Circle> {
        Obj::new(Circle {
            shape: Shape { name: name.into() },
            radius,
        })
    }

    #[test]
    fn obj_serializes_as_its_value() {
        let c = circle("c", 1.5);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"shape":{"name":"c"},"radius":1.5}"#);
        assert_eq!(json, serde_json::to_string(&*c).unwrap());
        assert_eq!(
            serde_json::to_string(&Obj::borrow(&c)).unwrap(),
            json,
            "ObjBorrow too"
        );
    }

    /// Deserialized by one test only, so tests running in parallel do not disturb its
    /// live count.
    #[derive(Object, Serialize, Deserialize, Debug, PartialEq)]
    #[object(crate = "rcobj", key = "serde_test.Lone", final)]
    struct Lone {
        radius: f64,
    }

    #[test]
    fn obj_deserializes_into_a_new_object() {
        let c: Obj<Circle> = serde_json::from_str(r#"{"shape":{"name":"d"},"radius":2}"#).unwrap();
        assert_eq!(c.shape.name, "d");
        assert_eq!(c.radius, 2.0);
        assert_eq!(Obj::strong_count(&c), 1);
        assert_eq!(Obj::type_info(&c).key(), "serde_test.Circle");
        assert_eq!(Lone::type_info().live_count(), 0);
        let l: Obj<Lone> = serde_json::from_str(r#"{"radius":3}"#).unwrap();
        assert_eq!(l.radius, 3.0);
        assert_eq!(Lone::type_info().live_count(), 1);
        drop(l);
        assert_eq!(Lone::type_info().live_count(), 0);
    }

    #[test]
    fn round_trip_of_nested_handles() {
        let shared = Obj::new(Shape { name: "s".into() });
        let scene = Obj::new(Scene {
            shapes: vec![shared.clone(), shared, circle("c", 3.0).upcast()],
            main: Some(circle("m", 4.0)),
        });
        let json = serde_json::to_string(&scene).unwrap();
        // A handle of a non-final type is tagged with the real type (a `Circle` stays one);
        // a final one is not. Sharing is not kept.
        assert_eq!(
            json,
            r#"{"shapes":[{"serde_test.Shape":{"name":"s"}},{"serde_test.Shape":{"name":"s"}},{"serde_test.Circle":{"shape":{"name":"c"},"radius":3.0}}],"main":{"shape":{"name":"m"},"radius":4.0}}"#
        );
        let back: Obj<Scene> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.shapes.len(), 3);
        assert!(!Obj::ptr_eq(&back.shapes[0], &back.shapes[1]));
        assert!(back.shapes[..2]
            .iter()
            .all(|s| s.is::<Shape>() && !s.is::<Circle>()));
        assert_eq!(
            back.shapes[2].downcast_ref::<Circle>().map(|c| c.radius),
            Some(3.0)
        );
        assert_eq!(back.main.as_ref().unwrap().radius, 4.0);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    #[test]
    fn deserialize_errors_allocate_nothing() {
        // The nested `shape` is read (and made) before the missing `radius` is noticed:
        // it must be released again, and no `Counted` is made.
        let err =
            serde_json::from_str::<Obj<Counted>>(r#"{"shape":{"serde_test.Shape":{"name":"e"}}}"#);
        assert!(err.is_err());
        assert_eq!(Counted::type_info().live_count(), 0);
    }

    #[test]
    fn unique_obj_round_trip() {
        // Untagged: a `UniqueObj<Shape>` is always exactly a `Shape`.
        let mut u: UniqueObj<Shape> = serde_json::from_str(r#"{"name":"u"}"#).unwrap();
        u.name.push('!');
        assert_eq!(serde_json::to_string(&u).unwrap(), r#"{"name":"u!"}"#);
        let shared = UniqueObj::share(u);
        assert_eq!(shared.name, "u!");
    }

    #[test]
    fn weak_obj_serializes_as_option() {
        let c = circle("w", 1.0);
        let w = Obj::downgrade(&c);
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"shape":{"name":"w"},"radius":1.0}"#
        );
        drop(c);
        assert_eq!(serde_json::to_string(&w).unwrap(), "null");
        let back: WeakObj<Circle> =
            serde_json::from_str(r#"{"shape":{"name":"w"},"radius":1.0}"#).unwrap();
        assert!(back.upgrade().is_none());
        let none: WeakObj<Circle> = serde_json::from_str("null").unwrap();
        assert!(none.upgrade().is_none());
    }

    #[test]
    fn borrow_serializes_like_the_handle() {
        let s = Obj::new(Shape { name: "b".into() });
        let b: ObjBorrow<'_, Shape> = Obj::borrow(&s);
        assert_eq!(
            serde_json::to_value(b).unwrap(),
            serde_json::json!({"serde_test.Shape": {"name": "b"}})
        );
    }
}
