//! Behaviour through base handles: the per-type table of standard-trait implementations
//! ([`Behaviour`], one in every [`TypeInfo`]) and the dispatch that makes an `Obj<Base>`,
//! an `ObjBorrow<'_, Base>` or an [`AnyObj`](crate::AnyObj) compare, hash, order, print
//! and clone as the object's *real* type.
//!
//! # How the derive fills the table
//!
//! `#[derive(Object)]` requires none of the traits. At the concrete type it asks, for each
//! trait, whether the type implements it, with the inherent-constant form of autoref
//! specialisation (the same trick that computes `Object::SEND_SYNC`): a local
//! `struct Probe<T>`, a local trait implemented for every `Probe<T>` whose constants are
//! `None`, and one inherent `impl<T: Debug> Probe<T> { const DEBUG = Some(..) }` per
//! trait. `<Probe<Concrete>>::DEBUG` names the inherent constant when the bound holds and
//! the trait's otherwise. The `Some` holds an [`Entry`] made by one of `Behaviour`'s
//! inherent, generic `const fn`s (`Behaviour::__debug::<T>()`, …): the function pointers
//! in the table are always this crate's erasing functions, monomorphised for the
//! derive's type, whatever the `crate = "..."` path of the derive resolves to, and every
//! entry carries its type in its own type (`Entry<T, _>`), so a table can only be built
//! from entries for one type ([`Behaviour::__of::<T>`]). The generated code contains no
//! `unsafe`. The table is a constant: nothing happens at create, clone or drop.
//!
//! # Dispatch
//!
//! Every trait impl of a handle first asks whether the object's real type is the static
//! type `T` (for a final `T` the answer is known at compile time; otherwise one index
//! compare); if so it calls `T`'s impl directly, inline, exactly as before. Only the other
//! case (a base handle to a descendant, or an `AnyObj`) reads the real type's table, out
//! of line. The rules, for handles `a` and `b` whose static type implements the trait:
//!
//! | trait | real types differ | same real type `R`, `R` implements it | `R` lacks it |
//! |---|---|---|---|
//! | `PartialEq` | never equal | `R::eq` (same object and `R: Eq` or `T: Eq` — `AnyObj` counts as `Eq`: equal without calling it, as `Arc`) | identity |
//! | `Hash` | — | `R::hash`, with the caller's hasher (through `&mut dyn Hasher`) | `R: PartialEq`: the type index only; otherwise the address |
//! | `PartialOrd` | ordered by type index | `R::partial_cmp` | `Some(Equal)` when equal (above); identity: by address; otherwise `None` |
//! | `Ord` | ordered by type index | `R::cmp`, else `R::partial_cmp` when it answers | `Equal` when equal, otherwise by address |
//! | `Debug`, `Display` | — | `R`'s impl | `key@address` (the object's header address) |
//! | `Clone` (`make_mut`) | — | a new object of type `R` | `make_mut` panics rather than slice |
//!
//! Nothing is inherited silently from the static type: a `Var` without `Debug` held as an
//! `Obj<Expr>` prints `ir.Var@0x…`, not `Expr`'s part.
//!
//! # Runtime-defined types
//!
//! A runtime type's value is not a Rust type, so its table has no static entry; its
//! builder may instead supply closures over the object's bytes of its layout (what
//! `RuntimeType::bytes` shows): `RuntimeTypeBuilder::debug`, `display`, `eq` or
//! `total_eq`, `hash` and `cmp`. The slow paths above use them where a static entry would
//! be, under the same rules: the table records them ([`Behaviour::implements`]),
//! `total_eq` is the type's `Eq`, `cmp` is its `Ord` (and, as `Some`, its `PartialOrd`;
//! it needs `total_eq`), and `eq` without `hash` hashes the type index. They are per type,
//! as the derive's entries: a runtime child without its own gets the fallbacks whatever
//! its parent supplied, and a Rust parent's impls are not used for a runtime child. The
//! inline path of `==` through a base handle finds no static entry for a runtime type and
//! goes to `eq_slow`, which calls the closure; exact handles are not affected (no handle
//! is exactly a runtime type's). The closures are called only from the handles' trait
//! impls, never from an `extern "C"` function of this crate, so a panic in one propagates
//! to the Rust caller of `==`, `{:?}`, …. Rust code that foreign code runs (a `Drop` or a
//! runtime destructor under a deleter, a function registered with tvm-ffi) may use the
//! handles' traits; its panics are caught there as any other panic of that code. A
//! runtime type without them, and a foreign object (C, tvm-ffi), which reports the root
//! type, get the fallbacks: identity, `key@address`.
//!
//! One consequence is worth spelling out: for `Ord` the fallbacks cannot always be total
//! and consistent with `==` — a real type with `PartialEq` but neither `PartialOrd` nor
//! `Ord` under an `Ord` static type orders its unequal values by address, which need not
//! be transitive with its `==`. Implement `Ord` on every type you sort through a base
//! handle.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::ptr::{self, NonNull};

use ::alloc::boxed::Box;

use crate::cell::ObjCell;
use crate::header::ObjectHeader;
use crate::obj::Obj;
use crate::registry;
use crate::type_info::{AnyObject, Object, TypeInfo};

type FmtFn = unsafe fn(*const (), &mut fmt::Formatter<'_>) -> fmt::Result;
type EqFn = unsafe fn(*const (), *const ()) -> bool;
type PartialCmpFn = unsafe fn(*const (), *const ()) -> Option<Ordering>;
type CmpFn = unsafe fn(*const (), *const ()) -> Ordering;
type HashFn = unsafe fn(*const (), &mut dyn Hasher);
type CloneFn = unsafe fn(*const ()) -> NonNull<ObjectHeader>;
type RelocateFn = unsafe fn(NonNull<ObjectHeader>) -> NonNull<ObjectHeader>;
#[cfg(feature = "serde")]
pub(crate) type SerializeFn = fn(*const ()) -> *const dyn erased_serde::Serialize;
#[cfg(feature = "serde")]
pub(crate) type DeserializeFn =
    for<'a, 'de> fn(
        &'a mut (dyn erased_serde::Deserializer<'de> + 'a),
    ) -> Result<NonNull<ObjectHeader>, erased_serde::Error>;
#[cfg(not(feature = "serde"))]
type SerializeFn = ();
#[cfg(not(feature = "serde"))]
type DeserializeFn = ();
/// tvm-ffi's creator of default instances (see `tvm_ffi/probe.rs`).
type CreatorFn = crate::tvm_ffi_probe::Creator;

// A runtime type's entries: closures over its bytes (see `RuntimeEntries`). Any thread may
// call them, hence `Send + Sync`.
pub(crate) type RuntimeFmtFn =
    Box<dyn Fn(&[u8], &mut fmt::Formatter<'_>) -> fmt::Result + Send + Sync>;
pub(crate) type RuntimeEqFn = Box<dyn Fn(&[u8], &[u8]) -> bool + Send + Sync>;
pub(crate) type RuntimeCmpFn = Box<dyn Fn(&[u8], &[u8]) -> Ordering + Send + Sync>;
pub(crate) type RuntimeHashFn = Box<dyn Fn(&[u8], &mut dyn Hasher) + Send + Sync>;

/// The entries a runtime-defined type supplies through its builder
/// (`RuntimeTypeBuilder::debug`, `eq`, …): closures over the object's bytes of the type's
/// layout (what `RuntimeType::bytes` shows). They live in the type's allocation beside its
/// descriptor and are dropped when the type is released; its [`Behaviour`] records which
/// of them exist (`Behaviour::runtime`), so that [`Behaviour::implements`] answers for
/// them.
#[derive(Default)]
pub(crate) struct RuntimeEntries {
    pub(crate) debug: Option<RuntimeFmtFn>,
    pub(crate) display: Option<RuntimeFmtFn>,
    pub(crate) eq: Option<RuntimeEqFn>,
    /// `eq` is an equivalence (`Eq`): an object equals itself without calling it.
    pub(crate) eq_total: bool,
    pub(crate) cmp: Option<RuntimeCmpFn>,
    pub(crate) hash: Option<RuntimeHashFn>,
}

impl RuntimeEntries {
    /// Whether any closure was supplied (whose drop, at release, is user code).
    pub(crate) fn any(&self) -> bool {
        self.debug.is_some()
            || self.display.is_some()
            || self.eq.is_some()
            || self.cmp.is_some()
            || self.hash.is_some()
    }
}

// The bits of `Behaviour::runtime`: which `RuntimeEntries` a runtime type has.
const RT_DEBUG: u8 = 1 << 0;
const RT_DISPLAY: u8 = 1 << 1;
const RT_EQ: u8 = 1 << 2;
const RT_CMP: u8 = 1 << 3;
const RT_HASH: u8 = 1 << 4;

/// Which standard trait a [`Behaviour`] entry is about; see [`Behaviour::implements`].
///
/// ```
/// use rcobj::{Object, TraitKind};
///
/// #[derive(Object, Debug, Clone, PartialEq)]
/// #[object(key = "doc.behaviour.TraitKind")]
/// struct Meters(f64);
///
/// let b = Meters::type_info().behaviour();
/// assert!(b.implements(TraitKind::Debug) && b.implements(TraitKind::PartialEq));
/// assert!(!b.implements(TraitKind::Eq) && !b.implements(TraitKind::Hash));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TraitKind {
    /// `core::fmt::Debug`.
    Debug,
    /// `core::fmt::Display`.
    Display,
    /// `PartialEq<Self>`.
    PartialEq,
    /// `Eq`.
    Eq,
    /// `PartialOrd<Self>`.
    PartialOrd,
    /// `Ord`.
    Ord,
    /// `core::hash::Hash`.
    Hash,
    /// `Clone`.
    Clone,
    /// `serde::Serialize` (recorded only with the `serde` feature).
    Serialize,
    /// `serde::Deserialize` for every lifetime, i.e. `DeserializeOwned` (recorded only with
    /// the `serde` feature).
    Deserialize,
}

/// What a type does for the standard traits: one table per type, in its [`TypeInfo`]
/// ([`TypeInfo::behaviour`]), filled by `#[derive(Object)]` from what the concrete type
/// implements, or for a runtime-defined type from the closures its builder supplied
/// ([`RuntimeTypeBuilder::debug`](crate::RuntimeTypeBuilder::debug), …). The handles
/// dispatch on it when the static type is not the real one (see the crate docs, "Behaviour
/// through base handles").
///
/// ```
/// use rcobj::{AnyObj, Obj, Object, TraitKind};
///
/// #[derive(Object, Debug, PartialEq, Eq, Hash)]
/// #[object(key = "doc.behaviour.Behaviour.Tag")]
/// struct Tag(&'static str);
///
/// #[derive(Object)]
/// #[object(key = "doc.behaviour.Behaviour.Opaque")]
/// struct Opaque;
///
/// assert!(Tag::type_info().behaviour().implements(TraitKind::Hash));
/// assert!(!Opaque::type_info().behaviour().implements(TraitKind::Debug));
///
/// let a: AnyObj = Obj::new(Tag("x")).upcast();
/// let b: AnyObj = Obj::new(Tag("x")).upcast();
/// assert_eq!(a, b); // `Tag`'s `==`, through type-erased handles
/// assert_eq!(format!("{a:?}"), r#"Tag("x")"#);
/// ```
#[derive(Clone, Copy)]
pub struct Behaviour {
    debug: Option<FmtFn>,
    display: Option<FmtFn>,
    eq: Option<EqFn>,
    is_eq: bool,
    partial_cmp: Option<PartialCmpFn>,
    cmp: Option<CmpFn>,
    hash: Option<HashFn>,
    clone: Option<CloneFn>,
    /// Moves the value of an object whose strong count was just taken to 0 into a new
    /// object (`make_mut` with only weak references left). Every derived type has it.
    relocate: Option<RelocateFn>,
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    serialize: Option<SerializeFn>,
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    deserialize: Option<DeserializeFn>,
    /// `Object::SEND_SYNC` of the type: whether a new object of it may be reached through
    /// a `Send + Sync` handle (checked when deserializing into a descendant).
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    send_sync: bool,
    /// For a runtime type, which closures its builder supplied (`RT_*` bits); the
    /// closures themselves are in the type's allocation ([`RuntimeEntries`]). 0 for every
    /// static type.
    runtime: u8,
    /// With tvm-ffi, the creator of default instances of a `Default + Send + Sync` type
    /// (registered with tvm-ffi as the type's `TVMFFIObjectCreator`).
    #[cfg_attr(not(feature = "tvm-ffi"), allow(dead_code))]
    create: Option<CreatorFn>,
}

/// One entry of a [`Behaviour`] table for the type `T`, made by `Behaviour`'s `__debug`,
/// `__eq`, … functions. Used by the derive; not for direct use.
#[doc(hidden)]
pub struct Entry<T, F> {
    f: F,
    _type: PhantomData<fn(T) -> T>,
}

impl<T, F> Entry<T, F> {
    const fn new(f: F) -> Self {
        Entry {
            f,
            _type: PhantomData,
        }
    }
}

/// Entry types the derive names in its probe constants. Not for direct use.
#[doc(hidden)]
pub type DebugEntry<T> = Entry<T, FmtFn>;
#[doc(hidden)]
pub type DisplayEntry<T> = Entry<T, FmtFn>;
#[doc(hidden)]
pub type EqEntry<T> = Entry<T, EqFn>;
#[doc(hidden)]
pub type PartialCmpEntry<T> = Entry<T, PartialCmpFn>;
#[doc(hidden)]
pub type CmpEntry<T> = Entry<T, CmpFn>;
#[doc(hidden)]
pub type HashEntry<T> = Entry<T, HashFn>;
#[doc(hidden)]
pub type CloneEntry<T> = Entry<T, CloneFn>;
#[doc(hidden)]
pub type SerializeEntry<T> = Entry<T, SerializeFn>;
#[doc(hidden)]
pub type DeserializeEntry<T> = Entry<T, DeserializeFn>;
#[doc(hidden)]
pub type CreatorEntry<T> = Entry<T, CreatorFn>;

const fn take<T, F>(e: Option<Entry<T, F>>) -> Option<F>
where
    F: Copy,
{
    match e {
        Some(e) => Some(e.f),
        None => None,
    }
}

// The erasing functions. Each is only ever stored in the table of the `T` it is
// instantiated for, and called on values of that real type.

/// # Safety
/// `p` points to a live `T`.
unsafe fn debug_erased<T: fmt::Debug>(p: *const (), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // SAFETY: guaranteed by the caller.
    fmt::Debug::fmt(unsafe { &*p.cast::<T>() }, f)
}

/// # Safety
/// `p` points to a live `T`.
unsafe fn display_erased<T: fmt::Display>(p: *const (), f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // SAFETY: guaranteed by the caller.
    fmt::Display::fmt(unsafe { &*p.cast::<T>() }, f)
}

/// # Safety
/// `a` and `b` point to live `T`s.
unsafe fn eq_erased<T: PartialEq>(a: *const (), b: *const ()) -> bool {
    // SAFETY: guaranteed by the caller.
    unsafe { *a.cast::<T>() == *b.cast::<T>() }
}

/// # Safety
/// `a` and `b` point to live `T`s.
unsafe fn partial_cmp_erased<T: PartialOrd>(a: *const (), b: *const ()) -> Option<Ordering> {
    // SAFETY: guaranteed by the caller.
    unsafe { (*a.cast::<T>()).partial_cmp(&*b.cast::<T>()) }
}

/// # Safety
/// `a` and `b` point to live `T`s.
unsafe fn cmp_erased<T: Ord>(a: *const (), b: *const ()) -> Ordering {
    // SAFETY: guaranteed by the caller.
    unsafe { (*a.cast::<T>()).cmp(&*b.cast::<T>()) }
}

/// # Safety
/// `p` points to a live `T`.
unsafe fn hash_erased<T: Hash>(p: *const (), mut state: &mut dyn Hasher) {
    // `&mut dyn Hasher` is a `Hasher` that forwards every method (the length prefix and
    // `write_str` too) to the caller's hasher, so the bytes hashed are the ones `T::hash`
    // writes into that hasher directly.
    // SAFETY: guaranteed by the caller.
    unsafe { (*p.cast::<T>()).hash(&mut state) }
}

/// Clones the value into a new object of type `T`; returns its header, which owns the
/// new object's one strong reference.
///
/// # Safety
/// `p` points to a live `T`.
unsafe fn clone_erased<T: Object + Clone>(p: *const ()) -> NonNull<ObjectHeader> {
    // SAFETY: guaranteed by the caller.
    let copy = T::clone(unsafe { &*p.cast::<T>() });
    let raw = Obj::into_raw(Obj::new(copy));
    // SAFETY: `into_raw` returns the header of a live object, never null.
    unsafe { NonNull::new_unchecked(raw) }
}

/// The layout of `ObjCell<T>` (`repr(C)`) for a value of `size` and `align`, and the value's
/// offset: the 24-byte header, the value at the header's size rounded up to its alignment,
/// the whole rounded up to the larger alignment (tested against `Layout::new`).
fn cell_layout(size: usize, align: usize) -> (::alloc::alloc::Layout, usize) {
    let offset = usize::next_multiple_of(24, align);
    let layout = ::alloc::alloc::Layout::from_size_align(offset + size, align.max(8))
        .expect("the layout of a type that exists")
        .pad_to_align();
    (layout, offset)
}

/// Moves the value of an object whose strong count the caller just took to 0 into a new
/// object of the same real type; returns the new object's header (one strong reference).
///
/// A bitwise move, which is what `ptr::read` and `Obj::new` would do, made from the real
/// type's descriptor (size, alignment) and the old header (type index, deleter): one
/// function for every derived type, so the derive instantiates no code for it. (A generic
/// `relocate::<T>` in every type's table made each derived type compile all of `Obj::new`
/// and the release paths for `T`, whether the program moved one or not: most of the
/// derive's compile time.) The instance stays counted: its value lives on.
///
/// # Safety
/// `p` is an object of a derived (Rust) type whose strong count the caller just took to 0
/// with acquire ordering, and the caller hands over the implicit weak reference.
unsafe fn relocate_moved(p: NonNull<ObjectHeader>) -> NonNull<ObjectHeader> {
    use ::alloc::alloc::{alloc, handle_alloc_error};
    let old = p.as_ptr();
    // SAFETY: live: the caller holds the implicit weak reference.
    let h = unsafe { &*old };
    let (index, deleter) = (h.type_index(), h.deleter());
    let info = registry::info_of(h).expect("the object of a derived type");
    let (size, align) = (info.size(), info.align());
    let (layout, offset) = cell_layout(size, align);
    // SAFETY: never zero-sized (the header alone is 24 bytes).
    let new = unsafe { alloc(layout) }.cast::<ObjectHeader>();
    if new.is_null() {
        handle_alloc_error(layout);
    }
    // SAFETY: `new` is a fresh block of the real type's cell layout: write a fresh header
    // (the old object's index and deleter) and move the value's bytes over; the old value
    // is not dropped (it moved), and the old block is released through our implicit weak
    // reference (its deleter frees it once the last weak handle goes).
    unsafe {
        ObjectHeader::write_fresh(new, index, deleter);
        ptr::copy_nonoverlapping(
            old.cast::<u8>().add(offset),
            new.cast::<u8>().add(offset),
            size,
        );
        crate::deleter::release_weak(old);
        NonNull::new_unchecked(new)
    }
}

#[cfg(feature = "serde")]
fn serialize_erased<T: serde::Serialize + 'static>(
    p: *const (),
) -> *const dyn erased_serde::Serialize {
    p.cast::<T>() as *const dyn erased_serde::Serialize
}

#[cfg(feature = "serde")]
fn deserialize_erased<'de, T>(
    de: &mut (dyn erased_serde::Deserializer<'de> + '_),
) -> Result<NonNull<ObjectHeader>, erased_serde::Error>
where
    T: Object + serde::de::DeserializeOwned,
{
    // The value first, then the object: a payload that does not deserialize allocates no
    // object (and whatever the value's own fields allocated is dropped by serde).
    let value: T = erased_serde::deserialize(de)?;
    let raw = Obj::into_raw(Obj::new(value));
    // SAFETY: `into_raw` returns the header of a live object, never null.
    Ok(unsafe { NonNull::new_unchecked(raw) })
}

/// The traits the derive probes for with the `serde` feature; without it, traits that no
/// type implements, so that the derive's output is the same in both configurations.
#[doc(hidden)]
#[cfg(feature = "serde")]
pub use serde::{de::DeserializeOwned as MaybeDeserialize, Serialize as MaybeSerialize};

#[cfg(not(feature = "serde"))]
mod no_serde {
    pub trait Sealed {}
}

/// Never implemented without the `serde` feature.
#[doc(hidden)]
#[cfg(not(feature = "serde"))]
pub trait MaybeSerialize: no_serde::Sealed {}
/// Never implemented without the `serde` feature.
#[doc(hidden)]
#[cfg(not(feature = "serde"))]
pub trait MaybeDeserialize: no_serde::Sealed {}

impl Behaviour {
    /// The table of a type that implements none of the traits (a runtime-defined type
    /// given no entries, the root [`AnyObject`]).
    ///
    /// ```
    /// use rcobj::{Behaviour, TraitKind};
    ///
    /// assert!(!Behaviour::EMPTY.implements(TraitKind::PartialEq));
    /// ```
    pub const EMPTY: Behaviour = Behaviour {
        debug: None,
        display: None,
        eq: None,
        is_eq: false,
        partial_cmp: None,
        cmp: None,
        hash: None,
        clone: None,
        relocate: None,
        serialize: None,
        deserialize: None,
        send_sync: false,
        runtime: 0,
        create: None,
    };

    /// The root [`AnyObject`]'s table: no entries (its impls are identities, never run on
    /// an object), but `Eq`, so that an `AnyObj` equals itself whatever the real type (the
    /// reflexivity `AnyObj: Eq` promises, also for a NaN-like real type). It is also the
    /// table of foreign objects, for which `==` is identity anyway.
    pub(crate) const ROOT: Behaviour = Behaviour {
        is_eq: true,
        ..Behaviour::EMPTY
    };

    /// Whether the type implements `t`.
    ///
    /// ```
    /// use rcobj::{AnyObject, Object, TraitKind};
    ///
    /// #[derive(Object, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
    /// #[object(key = "doc.behaviour.implements")]
    /// struct Id(u32);
    ///
    /// let b = Id::type_info().behaviour();
    /// for t in [TraitKind::Clone, TraitKind::Eq, TraitKind::Ord, TraitKind::Hash] {
    ///     assert!(b.implements(t));
    /// }
    /// assert!(!b.implements(TraitKind::Debug));
    /// assert!(!AnyObject::type_info().behaviour().implements(TraitKind::PartialEq));
    /// assert!(AnyObject::type_info().behaviour().implements(TraitKind::Eq)); // see `AnyObj`'s `==`
    /// ```
    pub fn implements(&self, t: TraitKind) -> bool {
        match t {
            TraitKind::Debug => self.debug.is_some() || self.runtime & RT_DEBUG != 0,
            TraitKind::Display => self.display.is_some() || self.runtime & RT_DISPLAY != 0,
            TraitKind::PartialEq => self.eq.is_some() || self.runtime & RT_EQ != 0,
            TraitKind::Eq => self.is_eq,
            TraitKind::PartialOrd => self.partial_cmp.is_some() || self.runtime & RT_CMP != 0,
            TraitKind::Ord => self.cmp.is_some() || self.runtime & RT_CMP != 0,
            TraitKind::Hash => self.hash.is_some() || self.runtime & RT_HASH != 0,
            TraitKind::Clone => self.clone.is_some(),
            TraitKind::Serialize => self.serialize.is_some(),
            TraitKind::Deserialize => self.deserialize.is_some(),
        }
    }

    /// Builds the table of `T` from its entries. Used by the derive.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __of<T: Object>(
        debug: Option<DebugEntry<T>>,
        display: Option<DisplayEntry<T>>,
        eq: Option<EqEntry<T>>,
        is_eq: bool,
        partial_cmp: Option<PartialCmpEntry<T>>,
        cmp: Option<CmpEntry<T>>,
        hash: Option<HashEntry<T>>,
        clone: Option<CloneEntry<T>>,
        serialize: Option<SerializeEntry<T>>,
        deserialize: Option<DeserializeEntry<T>>,
        create: Option<CreatorEntry<T>>,
    ) -> Behaviour {
        Behaviour {
            debug: take(debug),
            display: take(display),
            eq: take(eq),
            is_eq,
            partial_cmp: take(partial_cmp),
            cmp: take(cmp),
            hash: take(hash),
            clone: take(clone),
            relocate: Some(relocate_moved as RelocateFn),
            serialize: take(serialize),
            deserialize: take(deserialize),
            send_sync: T::SEND_SYNC,
            runtime: 0,
            create: take(create),
        }
    }

    /// [`__of`](Self::__of) without the entries of rcobj's optional features (`serde`'s
    /// and `tvm-ffi`'s, all `None`): what the derive writes when it is built without them
    /// (see `rcobj-macros`' features), three probes fewer per type. Used by the derive.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __of_std<T: Object>(
        debug: Option<DebugEntry<T>>,
        display: Option<DisplayEntry<T>>,
        eq: Option<EqEntry<T>>,
        is_eq: bool,
        partial_cmp: Option<PartialCmpEntry<T>>,
        cmp: Option<CmpEntry<T>>,
        hash: Option<HashEntry<T>>,
        clone: Option<CloneEntry<T>>,
    ) -> Behaviour {
        Self::__of::<T>(
            debug,
            display,
            eq,
            is_eq,
            partial_cmp,
            cmp,
            hash,
            clone,
            None,
            None,
            None,
        )
    }

    /// The table of a runtime type with these entries: no static entry (the value is not
    /// a Rust type), `Eq` if its `eq` is declared total, and the record of which closures
    /// exist.
    pub(crate) fn runtime(entries: &RuntimeEntries) -> Behaviour {
        let bit = |present: bool, bit: u8| if present { bit } else { 0 };
        Behaviour {
            is_eq: entries.eq.is_some() && entries.eq_total,
            runtime: bit(entries.debug.is_some(), RT_DEBUG)
                | bit(entries.display.is_some(), RT_DISPLAY)
                | bit(entries.eq.is_some(), RT_EQ)
                | bit(entries.cmp.is_some(), RT_CMP)
                | bit(entries.hash.is_some(), RT_HASH),
            ..Behaviour::EMPTY
        }
    }

    /// The `Debug` entry of `T`. Used by the derive.
    #[doc(hidden)]
    pub const fn __debug<T: fmt::Debug>() -> DebugEntry<T> {
        Entry::new(debug_erased::<T> as FmtFn)
    }

    /// The `Display` entry of `T`. Used by the derive.
    #[doc(hidden)]
    pub const fn __display<T: fmt::Display>() -> DisplayEntry<T> {
        Entry::new(display_erased::<T> as FmtFn)
    }

    /// The `PartialEq` entry of `T`. Used by the derive.
    #[doc(hidden)]
    pub const fn __eq<T: PartialEq>() -> EqEntry<T> {
        Entry::new(eq_erased::<T> as EqFn)
    }

    /// The `PartialOrd` entry of `T`. Used by the derive.
    #[doc(hidden)]
    pub const fn __partial_cmp<T: PartialOrd>() -> PartialCmpEntry<T> {
        Entry::new(partial_cmp_erased::<T> as PartialCmpFn)
    }

    /// The `Ord` entry of `T`. Used by the derive.
    #[doc(hidden)]
    pub const fn __cmp<T: Ord>() -> CmpEntry<T> {
        Entry::new(cmp_erased::<T> as CmpFn)
    }

    /// The `Hash` entry of `T`. Used by the derive.
    #[doc(hidden)]
    pub const fn __hash<T: Hash>() -> HashEntry<T> {
        Entry::new(hash_erased::<T> as HashFn)
    }

    /// The `Clone` entry of `T`. Used by the derive.
    #[doc(hidden)]
    pub const fn __clone<T: Object + Clone>() -> CloneEntry<T> {
        Entry::new(clone_erased::<T> as CloneFn)
    }

    /// The `Serialize` entry of `T`. Used by the derive.
    #[doc(hidden)]
    #[cfg(feature = "serde")]
    pub const fn __serialize<T: MaybeSerialize + 'static>() -> SerializeEntry<T> {
        Entry::new(serialize_erased::<T> as SerializeFn)
    }

    /// The `Deserialize` entry of `T`. Used by the derive.
    #[doc(hidden)]
    #[cfg(feature = "serde")]
    pub const fn __deserialize<T: Object + MaybeDeserialize>() -> DeserializeEntry<T> {
        Entry::new(deserialize_erased::<T> as DeserializeFn)
    }

    /// Without the `serde` feature no type implements the bound, so this is never used.
    #[doc(hidden)]
    #[cfg(not(feature = "serde"))]
    pub const fn __serialize<T: MaybeSerialize + 'static>() -> SerializeEntry<T> {
        Entry::new(())
    }

    /// Without the `serde` feature no type implements the bound, so this is never used.
    #[doc(hidden)]
    #[cfg(not(feature = "serde"))]
    pub const fn __deserialize<T: Object + MaybeDeserialize>() -> DeserializeEntry<T> {
        Entry::new(())
    }

    #[cfg(feature = "serde")]
    pub(crate) fn serialize_fn(&self) -> Option<SerializeFn> {
        self.serialize
    }

    #[cfg(feature = "serde")]
    pub(crate) fn deserialize_fn(&self) -> Option<DeserializeFn> {
        self.deserialize
    }

    #[cfg(feature = "serde")]
    pub(crate) fn send_sync(&self) -> bool {
        self.send_sync
    }

    /// The creator entry of `T` (tvm-ffi's `Obj::new(T::default())`). Used by the derive.
    #[doc(hidden)]
    #[cfg(feature = "tvm-ffi")]
    pub const fn __create<T: Object + Default + Send + Sync>() -> CreatorEntry<T> {
        Entry::new(crate::tvm_ffi::field::create::<T> as CreatorFn)
    }

    /// The type's creator of default instances, if it has one.
    #[cfg(feature = "tvm-ffi")]
    pub(crate) fn creator(&self) -> Option<CreatorFn> {
        self.create
    }
}

/// The probe the derive resolves at each concrete type: `<Probe<T>>::DEBUG` is the inherent
/// constant below (`Some(entry)`) exactly when `T: Debug`, and [`Lacks`]'s default (`None`)
/// otherwise; likewise for every other trait, `EQ`, `SEND_SYNC` and `CREATE` (with the
/// `tvm-ffi` feature, tvm-ffi's creator of a `Default + Send + Sync` type). Defined once here
/// rather than in every expansion (a struct, a trait and a dozen impls per type, most of
/// the derive's compile time); the answer is still decided at the concrete type, where
/// the derive names it. Used by the derive; not for direct use.
///
/// The derive reaches it through the user's crate path, which may replace it: a
/// replacement can still only answer "no" for an entry (every entry, and the `Send + Sync`
/// witness, is made by a function that requires the trait), or claim `Eq` for a type that
/// is not, which no safety argument rests on.
#[doc(hidden)]
pub struct Probe<T>(PhantomData<fn(T) -> T>);

/// The fallbacks of [`Probe`]: every trait not implemented. The derive imports it
/// (`use ... as _`) next to the uses. Not for direct use.
#[doc(hidden)]
pub trait Lacks<T> {
    /// Not `Debug`.
    const DEBUG: Option<DebugEntry<T>> = None;
    /// Not `Display`.
    const DISPLAY: Option<DisplayEntry<T>> = None;
    /// Not `PartialEq`.
    const PARTIAL_EQ: Option<EqEntry<T>> = None;
    /// Not `Eq`.
    const EQ: bool = false;
    /// Not `PartialOrd`.
    const PARTIAL_ORD: Option<PartialCmpEntry<T>> = None;
    /// Not `Ord`.
    const ORD: Option<CmpEntry<T>> = None;
    /// Not `Hash`.
    const HASH: Option<HashEntry<T>> = None;
    /// Not `Clone`.
    const CLONE: Option<CloneEntry<T>> = None;
    /// Not `Serialize` (or no `serde` feature).
    const SERIALIZE: Option<SerializeEntry<T>> = None;
    /// Not `DeserializeOwned` (or no `serde` feature).
    const DESERIALIZE: Option<DeserializeEntry<T>> = None;
    /// Not `Send + Sync`.
    const SEND_SYNC: Option<crate::type_info::SendSync<T>> = None;
    /// No creator for tvm-ffi: not `Default + Send + Sync`, or no `tvm-ffi` feature.
    const CREATE: Option<CreatorEntry<T>> = None;
}

impl<T> Lacks<T> for Probe<T> {}

macro_rules! probe {
    ($($name:ident: $entry:ty, [$($bound:tt)*], $ctor:expr;)*) => {$(
        impl<T: $($bound)*> Probe<T> {
            #[doc(hidden)]
            pub const $name: Option<$entry> = Some($ctor);
        }
    )*};
}

probe! {
    DEBUG: DebugEntry<T>, [fmt::Debug], Behaviour::__debug::<T>();
    DISPLAY: DisplayEntry<T>, [fmt::Display], Behaviour::__display::<T>();
    PARTIAL_EQ: EqEntry<T>, [PartialEq], Behaviour::__eq::<T>();
    PARTIAL_ORD: PartialCmpEntry<T>, [PartialOrd], Behaviour::__partial_cmp::<T>();
    ORD: CmpEntry<T>, [Ord], Behaviour::__cmp::<T>();
    HASH: HashEntry<T>, [Hash], Behaviour::__hash::<T>();
    CLONE: CloneEntry<T>, [Object + Clone], Behaviour::__clone::<T>();
    SERIALIZE: SerializeEntry<T>, [MaybeSerialize + 'static], Behaviour::__serialize::<T>();
    DESERIALIZE: DeserializeEntry<T>, [Object + MaybeDeserialize], Behaviour::__deserialize::<T>();
    SEND_SYNC: crate::type_info::SendSync<T>, [Send + Sync], crate::type_info::SendSync::new();
}

impl<T: Eq> Probe<T> {
    #[doc(hidden)]
    pub const EQ: bool = true;
}

#[cfg(feature = "tvm-ffi")]
impl<T: Object + Default + Send + Sync> Probe<T> {
    #[doc(hidden)]
    pub const CREATE: Option<CreatorEntry<T>> = Some(Behaviour::__create::<T>());
}

impl fmt::Debug for Behaviour {
    /// The traits the type implements.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = [
            TraitKind::Debug,
            TraitKind::Display,
            TraitKind::PartialEq,
            TraitKind::Eq,
            TraitKind::PartialOrd,
            TraitKind::Ord,
            TraitKind::Hash,
            TraitKind::Clone,
            TraitKind::Serialize,
            TraitKind::Deserialize,
        ];
        f.debug_set()
            .entries(all.iter().filter(|t| self.implements(**t)))
            .finish()
    }
}

/// Implemented by `#[derive(Object)]` for every `#[object(final)]` type: no type derives
/// from it, so an `Obj<T>` always points at exactly a `T`.
///
/// `Obj<T>: Borrow<T>` is implemented only for these types. `Borrow` promises that `Eq`,
/// `Ord` and `Hash` of the handle agree with `T`'s, so that a `HashMap<Obj<T>, V>` can be
/// looked up with a `&T`; through a handle whose object may be a descendant, `==`, `cmp`
/// and `hash` are the descendant's (see "Behaviour through base handles" in the crate
/// docs) and that promise cannot hold.
///
/// Implementing it by hand for a type that is not `final` makes that `Borrow` impl lie: a
/// logic error (like an inconsistent `Hash`), never undefined behaviour.
///
/// ```
/// use std::collections::HashSet;
/// use rcobj::{Final, Obj, Object};
///
/// #[derive(Object, PartialEq, Eq, Hash)]
/// #[object(key = "doc.behaviour.Final.Name", final)]
/// struct Name(String);
///
/// fn is_final<T: Final>() {}
/// is_final::<Name>();
///
/// let set: HashSet<Obj<Name>> = [Obj::new(Name("a".into()))].into_iter().collect();
/// assert!(set.contains(&Name("a".into()))); // through `Borrow<Name>`
/// ```
pub trait Final: Object {}

// ---------------------------------------------------------------------------------------
// Dispatch, on the block pointers of handles (`Obj` and `ObjBorrow` share it).

/// The header of a live block.
#[inline(always)]
fn header<'a, T>(p: NonNull<ObjCell<T>>) -> &'a ObjectHeader {
    // SAFETY: every caller holds a handle that keeps the block alive for the call; the
    // reference covers the header only.
    unsafe { &(*p.as_ptr()).header }
}

/// A pointer to the value of a live block, with the provenance of the whole block.
#[inline(always)]
fn value<T>(p: NonNull<ObjCell<T>>) -> *const () {
    // SAFETY: in bounds of the live block; no reference is made.
    unsafe { ptr::addr_of!((*p.as_ptr()).value).cast() }
}

/// Whether the object's real type is `T`. For a final `T` always (nothing derives from
/// it, and a runtime type cannot name a final parent), decided at compile time; never for
/// the root (an object whose index is the root's is foreign, see `Obj::is_exactly_t`).
#[inline(always)]
pub(crate) fn is_exact<T: Object>(p: NonNull<ObjCell<T>>) -> bool {
    if T::IS_FINAL {
        return true;
    }
    T::DEPTH != 0 && header(p).type_index() == T::type_info().index()
}

/// The descriptor of the object's real type; the root's for a foreign object. Borrowed
/// from the caller's handle (a runtime type lives as long as its instances).
#[inline]
fn real_info<'a, T>(p: NonNull<ObjCell<T>>) -> &'a TypeInfo {
    registry::info_of(header(p)).unwrap_or_else(AnyObject::type_info)
}

/// The entries a runtime type's builder supplied; `None` for a static or foreign type.
#[inline]
fn runtime_entries(info: &TypeInfo) -> Option<&RuntimeEntries> {
    crate::runtime_type::entries(info)
}

/// The object's bytes of its real type's layout: what `RuntimeType::bytes` shows for that
/// type (the value after the Rust base, if any).
///
/// # Safety
///
/// `info` is the real type of the object `p` (a runtime type), and the caller holds a
/// handle to the object for `'a` (which keeps it alive, and keeps anyone from writing its
/// bytes: see `RuntimeType::bytes`).
#[inline]
unsafe fn runtime_bytes<'a>(info: &TypeInfo, p: NonNull<ObjCell<()>>) -> &'a [u8] {
    // SAFETY: the caller's contract; a handle's pointer has the provenance of the whole
    // block.
    unsafe { crate::runtime_type::instance_bytes(info, p.cast()) }
}

/// `key@address`, what a handle prints for a type without the trait.
pub(crate) struct KeyAndAddress<'a> {
    pub(crate) key: &'a str,
    pub(crate) addr: *const ObjectHeader,
}

impl fmt::Debug for KeyAndAddress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{:p}", self.key, self.addr)
    }
}

#[inline]
pub(crate) fn debug<T: Object + fmt::Debug>(
    p: NonNull<ObjCell<T>>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    if is_exact::<T>(p) {
        // SAFETY: a live `T`.
        return fmt::Debug::fmt(unsafe { &(*p.as_ptr()).value }, f);
    }
    fmt_slow(p.cast::<ObjCell<()>>(), value(p), f, false)
}

#[inline]
pub(crate) fn display<T: Object + fmt::Display>(
    p: NonNull<ObjCell<T>>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    if is_exact::<T>(p) {
        // SAFETY: a live `T`.
        return fmt::Display::fmt(unsafe { &(*p.as_ptr()).value }, f);
    }
    fmt_slow(p.cast::<ObjCell<()>>(), value(p), f, true)
}

#[inline(never)]
fn fmt_slow(
    p: NonNull<ObjCell<()>>,
    v: *const (),
    f: &mut fmt::Formatter<'_>,
    display: bool,
) -> fmt::Result {
    let info = real_info(p);
    let b = info.behaviour();
    if let Some(run) = if display { b.display } else { b.debug } {
        // SAFETY: the entry is the real type's, and `v` points to its live value.
        return unsafe { run(v, f) };
    }
    let entries = runtime_entries(info);
    if let Some(run) = entries.and_then(|e| if display { &e.display } else { &e.debug }.as_ref()) {
        // SAFETY: `info` is the object's real type, a runtime one; our caller's handle
        // keeps the object alive for the call.
        let bytes = unsafe { runtime_bytes(info, p) };
        return run(bytes, f);
    }
    fmt::Debug::fmt(
        &KeyAndAddress {
            key: info.key(),
            addr: p.as_ptr().cast(),
        },
        f,
    )
}

#[inline]
pub(crate) fn eq<T: Object + PartialEq>(a: NonNull<ObjCell<T>>, b: NonNull<ObjCell<T>>) -> bool {
    if T::IS_FINAL {
        return eq_exact(a, b);
    }
    // Objects of different real types are never equal. Deciding that first also serves
    // both other cases: one index compare tells whether both objects are exactly `T`.
    let index = header(a).type_index();
    if index != header(b).type_index() {
        return false;
    }
    if T::DEPTH != 0 && index == T::type_info().index() {
        return eq_exact(a, b);
    }
    // Through a base handle, the common case inline: two distinct objects of one real type
    // of this registry with an `==` entry. One acquire load from the index table, the
    // entry, one indirect call; no call of `eq_slow` (its frame and argument shuffling
    // would cost as much as the rest).
    if a != b {
        if let Some(eq) = registry::own_info_of(header(a)).and_then(|info| info.behaviour().eq) {
            // SAFETY: the entry is the real type's (both objects have its index), and both
            // values are live values of it.
            return unsafe { eq(value(a), value(b)) };
        }
    }
    eq_slow(a.cast(), value(a), b.cast(), value(b), T::type_info())
}

/// `==` of two objects that are exactly `T`s.
#[inline(always)]
fn eq_exact<T: Object + PartialEq>(a: NonNull<ObjCell<T>>, b: NonNull<ObjCell<T>>) -> bool {
    // As `Arc`: the same object equals itself without calling `eq` when `T: Eq`.
    if a == b && T::type_info().behaviour().is_eq {
        return true;
    }
    // SAFETY: two live `T`s.
    unsafe { (*a.as_ptr()).value == (*b.as_ptr()).value }
}

/// `==` on the real types. `static_info` is the static type's, whose `Eq` also makes an
/// object equal to itself.
#[inline(never)]
fn eq_slow(
    a: NonNull<ObjCell<()>>,
    va: *const (),
    b: NonNull<ObjCell<()>>,
    vb: *const (),
    static_info: &TypeInfo,
) -> bool {
    if header(a).type_index() != header(b).type_index() {
        return false;
    }
    eq_same_type(real_info(a), a, va, b, vb, static_info)
}

/// `==` of two objects of one real type, `info`.
fn eq_same_type(
    info: &TypeInfo,
    a: NonNull<ObjCell<()>>,
    va: *const (),
    b: NonNull<ObjCell<()>>,
    vb: *const (),
    static_info: &TypeInfo,
) -> bool {
    let beh = info.behaviour();
    if a == b && (beh.is_eq || static_info.behaviour().is_eq) {
        return true;
    }
    if let Some(eq) = beh.eq {
        // SAFETY: the entry is the real type's; both values are live values of it.
        return unsafe { eq(va, vb) };
    }
    match runtime_entries(info).and_then(|e| e.eq.as_ref()) {
        Some(eq) => {
            // SAFETY: `info` is the real type of both objects, a runtime one; our caller's
            // handles keep them alive for the call.
            let (x, y) = unsafe { (runtime_bytes(info, a), runtime_bytes(info, b)) };
            eq(x, y)
        }
        None => a == b,
    }
}

#[inline]
pub(crate) fn hash<T: Object + Hash, H: Hasher>(p: NonNull<ObjCell<T>>, state: &mut H) {
    if is_exact::<T>(p) {
        // SAFETY: a live `T`.
        unsafe { (*p.as_ptr()).value.hash(state) };
        return;
    }
    hash_slow(p.cast(), value(p), state);
}

#[inline(never)]
fn hash_slow(p: NonNull<ObjCell<()>>, v: *const (), state: &mut dyn Hasher) {
    let info = real_info(p);
    let beh = info.behaviour();
    if let Some(hash) = beh.hash {
        // SAFETY: the entry is the real type's; `v` is its live value.
        return unsafe { hash(v, state) };
    }
    if let Some(hash) = runtime_entries(info).and_then(|e| e.hash.as_ref()) {
        // SAFETY: `info` is the object's real type, a runtime one; our caller's handle
        // keeps the object alive for the call.
        let bytes = unsafe { runtime_bytes(info, p) };
        return hash(bytes, state);
    }
    if beh.implements(TraitKind::PartialEq) {
        // Equal objects (by the real type's `==`) must hash alike: its index is all we
        // can hash for them.
        state.write_i32(header(p).type_index());
    } else {
        // `==` is identity: the address.
        state.write_usize(p.as_ptr().addr());
    }
}

#[inline]
pub(crate) fn partial_cmp<T: Object + PartialOrd>(
    a: NonNull<ObjCell<T>>,
    b: NonNull<ObjCell<T>>,
) -> Option<Ordering> {
    if is_exact::<T>(a) && is_exact::<T>(b) {
        // SAFETY: two live `T`s.
        return unsafe { (*a.as_ptr()).value.partial_cmp(&(*b.as_ptr()).value) };
    }
    partial_cmp_slow(a.cast(), value(a), b.cast(), value(b), T::type_info())
}

#[inline(never)]
fn partial_cmp_slow(
    a: NonNull<ObjCell<()>>,
    va: *const (),
    b: NonNull<ObjCell<()>>,
    vb: *const (),
    static_info: &TypeInfo,
) -> Option<Ordering> {
    let (ia, ib) = (header(a).type_index(), header(b).type_index());
    if ia != ib {
        return Some(ia.cmp(&ib));
    }
    let info = real_info(a);
    let beh = info.behaviour();
    if let Some(partial_cmp) = beh.partial_cmp {
        // SAFETY: the entry is the real type's; both values are live values of it.
        return unsafe { partial_cmp(va, vb) };
    }
    if let Some(cmp) = runtime_entries(info).and_then(|e| e.cmp.as_ref()) {
        // SAFETY: `info` is the real type of both objects, a runtime one; our caller's
        // handles keep them alive for the call.
        let (x, y) = unsafe { (runtime_bytes(info, a), runtime_bytes(info, b)) };
        return Some(cmp(x, y));
    }
    if eq_same_type(info, a, va, b, vb, static_info) {
        Some(Ordering::Equal)
    } else if !beh.implements(TraitKind::PartialEq) {
        // Identity: a total order by address.
        Some(a.as_ptr().addr().cmp(&b.as_ptr().addr()))
    } else {
        None
    }
}

#[inline]
pub(crate) fn cmp<T: Object + Ord>(a: NonNull<ObjCell<T>>, b: NonNull<ObjCell<T>>) -> Ordering {
    if is_exact::<T>(a) && is_exact::<T>(b) {
        // SAFETY: two live `T`s.
        return unsafe { (*a.as_ptr()).value.cmp(&(*b.as_ptr()).value) };
    }
    cmp_slow(a.cast(), value(a), b.cast(), value(b), T::type_info())
}

#[inline(never)]
fn cmp_slow(
    a: NonNull<ObjCell<()>>,
    va: *const (),
    b: NonNull<ObjCell<()>>,
    vb: *const (),
    static_info: &TypeInfo,
) -> Ordering {
    let (ia, ib) = (header(a).type_index(), header(b).type_index());
    if ia != ib {
        return ia.cmp(&ib);
    }
    let info = real_info(a);
    let beh = info.behaviour();
    if let Some(cmp) = beh.cmp {
        // SAFETY: the entry is the real type's; both values are live values of it.
        return unsafe { cmp(va, vb) };
    }
    if let Some(cmp) = runtime_entries(info).and_then(|e| e.cmp.as_ref()) {
        // SAFETY: `info` is the real type of both objects, a runtime one; our caller's
        // handles keep them alive for the call.
        let (x, y) = unsafe { (runtime_bytes(info, a), runtime_bytes(info, b)) };
        return cmp(x, y);
    }
    if let Some(partial_cmp) = beh.partial_cmp {
        // SAFETY: the entry is the real type's; both values are live values of it.
        if let Some(o) = unsafe { partial_cmp(va, vb) } {
            return o;
        }
    }
    if eq_same_type(info, a, va, b, vb, static_info) {
        Ordering::Equal
    } else {
        a.as_ptr().addr().cmp(&b.as_ptr().addr())
    }
}

/// Whether the object's real type can move its value into a new object ([`relocate`]).
pub(crate) fn can_relocate<T: Object>(p: NonNull<ObjCell<T>>) -> bool {
    real_info(p).behaviour().relocate.is_some()
}

/// Moves the value into a new object of the real type (see `Obj::make_mut`).
///
/// # Safety
///
/// [`can_relocate`] said yes, the caller took the strong count to 0 with acquire ordering
/// (so the value is ours alone), and hands over the handle's implicit weak reference:
/// `this` is consumed and must not be dropped by the caller.
pub(crate) unsafe fn relocate<T: Object>(this: Obj<T>) -> Obj<T> {
    let p = Obj::cell(&this);
    let relocate = real_info(p)
        .behaviour()
        .relocate
        .expect("checked by can_relocate");
    let header = NonNull::new(Obj::into_raw(this)).expect("a live object");
    // SAFETY: the entry is the real type's; the caller's contract is the entry's.
    let moved = unsafe { relocate(header) };
    // SAFETY: a new object of the same real type (a `T` or a descendant), one strong
    // reference handed over; the handle's `Send`/`Sync` promise is unchanged.
    unsafe { Obj::from_raw(moved.as_ptr()) }
}

/// A copy of the object as a new object of its real type, through the real type's
/// `Clone`; `None` if the real type has none. The result owns one strong reference.
pub(crate) fn clone_real<T: Object>(p: NonNull<ObjCell<T>>) -> Option<Obj<T>> {
    let clone = real_info(p).behaviour().clone?;
    // SAFETY: the entry is the real type's and `value(p)` its live value.
    let raw = unsafe { clone(value(p)) };
    // SAFETY: a new object of the same real type as `p`'s (a `T` or a descendant), whose
    // one strong reference we take over. Its real type is the one `p`'s handle already
    // pointed at, so the handle's `Send`/`Sync` promise is unchanged.
    Some(unsafe { Obj::from_raw(raw.as_ptr()) })
}

#[cfg(test)]
mod tests {
    use ::alloc::alloc::Layout;

    use crate::cell::{value_offset, ObjCell};

    /// `relocate_moved` allocates what `deleter::<T>` frees: `ObjCell<T>`'s layout.
    #[test]
    fn cell_layout_is_objcells() {
        #[repr(align(16))]
        struct A16(#[allow(dead_code)] u8);
        #[repr(align(64))]
        struct A64(#[allow(dead_code)] [u8; 65]);
        fn check<T>() {
            let (layout, offset) =
                super::cell_layout(core::mem::size_of::<T>(), core::mem::align_of::<T>());
            assert_eq!(layout, Layout::new::<ObjCell<T>>());
            assert_eq!(offset, value_offset::<T>());
        }
        check::<()>();
        check::<u8>();
        check::<[u8; 3]>();
        check::<u32>();
        check::<u64>();
        check::<(u64, u8)>();
        check::<u128>();
        check::<A16>();
        check::<A64>();
        check::<[u64; 5]>();
    }
}
