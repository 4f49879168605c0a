//! The optional `serde` feature: handles serialize as the value they point to.
//!
//! * [`Obj<T>`], [`UniqueObj<T>`] and [`ObjBorrow<'_, T>`] serialize as `T`.
//! * [`Obj<T>`] and [`UniqueObj<T>`] deserialize a `T` and allocate a new object for it
//!   (`Obj::new(T::deserialize(..)?)`).
//! * [`WeakObj<T>`] serializes as `Option<T>` (`None` once the value is gone) and
//!   deserializes to a handle that upgrades to nothing, as serde's `rc` feature does for
//!   `std::sync::Weak`.
//!
//! As with serde's `rc` feature for `Arc`, sharing is not preserved: an object reachable
//! through two handles is written twice and read back as two objects.
//!
//! The value is serialized through the handle's static type: an `Obj<Shape>` whose object
//! is a `Circle` writes the `Shape` part only. Downcast first (or serialize the child
//! handle) to write the whole object.
//!
//! ```
//! use rcobj::{Obj, Object};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Object, Serialize, Deserialize, Debug, PartialEq)]
//! #[object(key = "doc.serde.Point")]
//! struct Point { x: i32, y: i32 }
//!
//! let p = Obj::new(Point { x: 1, y: 2 });
//! let json = serde_json::to_string(&p).unwrap();
//! assert_eq!(json, r#"{"x":1,"y":2}"#);
//! let q: Obj<Point> = serde_json::from_str(&json).unwrap();
//! assert_eq!(p, q);
//! assert!(!Obj::ptr_eq(&p, &q));
//! ```

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};

use crate::{Obj, ObjBorrow, Object, UniqueObj, WeakObj};

impl<T: Object + Serialize> Serialize for Obj<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        T::serialize(self, serializer)
    }
}

impl<'de, T: Object + Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Obj::new)
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
        T::serialize(self, serializer)
    }
}

impl<T: Object + Serialize> Serialize for WeakObj<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.upgrade() {
            Some(obj) => serializer.serialize_some(&*obj),
            None => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Object + Deserialize<'de>> Deserialize<'de> for WeakObj<T> {
    /// Reads (and drops) an `Option<T>`; the handle upgrades to nothing, since no strong
    /// reference to a new object would survive the call.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|_| WeakObj::new())
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
    #[object(crate = "rcobj", key = "serde_test.Scene")]
    struct Scene {
        shapes: Vec<Obj<Shape>>,
        main: Option<Obj<Circle>>,
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
    #[object(crate = "rcobj", key = "serde_test.Lone")]
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
        // An ancestor-typed handle writes its static type's part; sharing is not kept.
        assert_eq!(
            json,
            r#"{"shapes":[{"name":"s"},{"name":"s"},{"name":"c"}],"main":{"shape":{"name":"m"},"radius":4.0}}"#
        );
        let back: Obj<Scene> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.shapes.len(), 3);
        assert!(!Obj::ptr_eq(&back.shapes[0], &back.shapes[1]));
        assert!(back
            .shapes
            .iter()
            .all(|s| s.is::<Shape>() && !s.is::<Circle>()));
        assert_eq!(back.main.as_ref().unwrap().radius, 4.0);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }

    #[test]
    fn deserialize_errors_allocate_nothing() {
        let before = Circle::type_info().live_count();
        let err = serde_json::from_str::<Obj<Circle>>(r#"{"shape":{"name":"e"}}"#);
        assert!(err.is_err());
        assert_eq!(Circle::type_info().live_count(), before);
    }

    #[test]
    fn unique_obj_round_trip() {
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
            serde_json::json!({"name": "b"})
        );
    }
}
