//! serde that keeps types: an `Obj<Base>` is written as its real type, tagged with its
//! type key, and read back into the right descendant through the registry.
//!
//! The format is a map with one entry, the type key and the value (serde's "externally
//! tagged" shape, as typetag writes it): `{"ir.Const":{"value":1}}`. Reading it:
//!
//! 1. the key is looked up with [`registry::by_key`](crate::registry::by_key) while it is
//!    read (no `String` is allocated for it);
//! 2. the type must be the handle's static type `T` or a descendant, must have a
//!    `Deserialize` entry in its behaviour table, and, when `T` is `Send + Sync`, must be
//!    `Send + Sync` too (so the new handle keeps "a `Send + Sync` handle never points at an
//!    object whose real type is not");
//! 3. the value is deserialized as that type, then (only then) allocated as an object.
//!
//! Any failure is an `Err` that names the key and the expected base, before anything is
//! allocated; a value that fails half-way drops what it had built (nested objects
//! included), so nothing is leaked.
//!
//! # Why `erased-serde`
//!
//! The table stores one function per type for `Serialize` and one for `Deserialize`, and
//! they must work with every serde format, whose `Serializer`/`Deserializer` are generic
//! parameters: a function pointer cannot be generic, so both sides need type erasure
//! (object-safe versions of serde's traits, with every method of `Serializer`, its
//! compound serializers, `Deserializer`, `Visitor`, `MapAccess`, `SeqAccess`,
//! `EnumAccess`…). `erased-serde` (dtolnay, the shape typetag is built on) is exactly
//! that, `no_std` + `alloc`, and faithful to the formats' own behaviour (human-readable
//! flags, errors). Writing our own would be a few thousand lines of unsafe-adjacent code
//! to maintain for no gain, so we use it; only this feature pulls it in.

use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{self, SerializeMap, Serializer};

use crate::behaviour::DeserializeFn;
use crate::cell::ObjCell;
use crate::obj::Obj;
use crate::registry;
use crate::type_info::{AnyObject, Object, TypeInfo};

/// A value behind a `&dyn erased_serde::Serialize`, as a `serde::Serialize`.
struct Erased<'a>(&'a dyn erased_serde::Serialize);

impl serde::Serialize for Erased<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        erased_serde::serialize(self.0, serializer)
    }
}

/// Writes the object at `p` (a live block of a `T` or a descendant) as `{key: value}`.
pub(crate) fn serialize_tagged<T: Object, S: Serializer>(
    p: NonNull<ObjCell<T>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // SAFETY: the caller's handle keeps the block alive; the reference covers the header.
    let header = unsafe { &(*p.as_ptr()).header };
    let info = registry::info_of(header).unwrap_or_else(AnyObject::type_info);
    let Some(to_erased) = info.behaviour().serialize_fn() else {
        return Err(ser::Error::custom(format_args!(
            "rcobj: cannot serialize an `Obj<{}>` whose object is a `{}`: that type does \
             not implement `Serialize`",
            T::type_info().key(),
            info.key()
        )));
    };
    // SAFETY: in bounds of the live block; the value is of the real type, whose entry this
    // is, and lives as long as the caller's handle (longer than this call).
    let value = unsafe { &*to_erased(core::ptr::addr_of!((*p.as_ptr()).value).cast()) };
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(info.key(), &Erased(value))?;
    map.end()
}

/// Reads `{key: value}` into a new object whose real type is `key`'s, a `T` or a
/// descendant.
pub(crate) fn deserialize_tagged<'de, T: Object, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Obj<T>, D::Error> {
    deserializer.deserialize_map(TaggedVisitor::<T>(PhantomData))
}

struct TaggedVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Object> Visitor<'de> for TaggedVisitor<T> {
    type Value = Obj<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a map with one entry, from the type key of a `{}` (or of a descendant) to its value",
            T::type_info().key()
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Obj<T>, A::Error> {
        let Some(target) = map.next_key_seed(KeySeed::<T>(PhantomData))? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        let obj = map.next_value_seed(target)?;
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            // `obj` is dropped: nothing is leaked.
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(obj)
    }
}

/// Reads the key and checks it (above, step 2).
struct KeySeed<T>(PhantomData<fn() -> T>);

/// A type the value may be read as.
struct Target<T> {
    key: &'static str,
    deserialize: DeserializeFn,
    _base: PhantomData<fn() -> T>,
}

impl<'de, T: Object> DeserializeSeed<'de> for KeySeed<T> {
    type Value = Target<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Target<T>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<T: Object> Visitor<'_> for KeySeed<T> {
    type Value = Target<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the type key of a `{}` or of a descendant",
            T::type_info().key()
        )
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Target<T>, E> {
        let base = T::type_info();
        let Some(ty) = registry::by_key(key) else {
            return Err(E::custom(format_args!(
                "rcobj: unknown type key `{key}` (expected `{}` or a descendant)",
                base.key()
            )));
        };
        target_of::<T, E>(&ty, base)
    }
}

fn target_of<T: Object, E: de::Error>(ty: &TypeInfo, base: &TypeInfo) -> Result<Target<T>, E> {
    let key = ty.key();
    if !ty.is_a(base) {
        return Err(E::custom(format_args!(
            "rcobj: type `{key}` is not `{}` or a descendant of it",
            base.key()
        )));
    }
    let Some(deserialize) = ty.behaviour().deserialize_fn() else {
        return Err(E::custom(format_args!(
            "rcobj: type `{key}` (read as an `Obj<{}>`) does not implement `Deserialize`",
            base.key()
        )));
    };
    if T::SEND_SYNC && !ty.behaviour().send_sync() {
        return Err(E::custom(format_args!(
            "rcobj: type `{key}` is not `Send + Sync`, so it cannot be held as an `Obj<{}>`",
            base.key()
        )));
    }
    Ok(Target {
        key,
        deserialize,
        _base: PhantomData,
    })
}

impl<'de, T: Object> DeserializeSeed<'de> for Target<T> {
    type Value = Obj<T>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Obj<T>, D::Error> {
        let mut erased = <dyn erased_serde::Deserializer<'de>>::erase(deserializer);
        match (self.deserialize)(&mut erased) {
            // SAFETY: a new object of the type `key` names, which is `T` or a descendant,
            // and `Send + Sync` when `T` is (both checked in `target_of`); we take over its
            // one strong reference.
            Ok(header) => Ok(unsafe { Obj::from_raw(header.as_ptr()) }),
            Err(e) => Err(de::Error::custom(format_args!(
                "rcobj: the value of a `{}` (read as an `Obj<{}>`): {e}",
                self.key,
                T::type_info().key()
            ))),
        }
    }
}

/// Never used for an object: `AnyObject` is not final, so an `AnyObj` is always written
/// tagged with its real type. Exists so that `AnyObj: Serialize`.
impl serde::Serialize for AnyObject {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom(
            "rcobj: an `AnyObject` has no value of its own",
        ))
    }
}

/// Never used for an object (see `Serialize`). Exists so that `AnyObj: Deserialize`.
impl<'de> serde::Deserialize<'de> for AnyObject {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(de::Error::custom(
            "rcobj: an `AnyObject` has no value of its own; read an `AnyObj`",
        ))
    }
}
