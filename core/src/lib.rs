//! # rcobj
//!
//! Intrusively reference-counted objects that can cross language boundaries.
//!
//! Put `#[derive(Object)]` on a plain struct and it becomes a managed object type:
//!
//! ```
//! use rcobj::{Obj, Object};
//!
//! #[derive(Object)]
//! #[object(key = "demo.Shape")]
//! struct Shape { name: String }
//!
//! #[derive(Object)]
//! #[repr(C)]
//! #[object(key = "demo.Circle", final)]
//! struct Circle { #[parent] shape: Shape, radius: f64 }
//!
//! let c = Obj::new(Circle { shape: Shape { name: "c".into() }, radius: 1.0 });
//! let s: Obj<Shape> = c.clone().upcast::<Shape>();
//! let w = Obj::downgrade(&s);
//! assert!(s.is::<Circle>());
//! assert_eq!(s.name, "c");
//! assert_eq!(Circle::type_info().live_count(), 1);
//! drop((c, s));
//! assert!(w.upgrade().is_none());
//! assert_eq!(Circle::type_info().live_count(), 0);
//! ```
//!
//! ## The object
//!
//! Every object is one allocation: a 24-byte C-ABI [`ObjectHeader`] (bit-compatible with
//! Apache tvm-ffi's `TVMFFIObject`) followed by the value.
//!
//! ```text
//!  offset 0        8            12         16              24
//!  ┌───────────────┬────────────┬──────────┬───────────────┬──────────────┐
//!  │ strong │ weak │ type_index │ padding  │ deleter       │ value: T ... │
//!  │  u32   │ u32  │    i32     │  u32 = 0 │ fn(*obj, int) │              │
//!  └───────────────┴────────────┴──────────┴───────────────┴──────────────┘
//! ```
//!
//! The strong and weak counts share one 64-bit word, so a single atomic operation decides
//! the common release. All strong references together hold one implicit weak reference.
//!
//! ## The two-phase deleter
//!
//! When the strong count reaches zero the deleter is called with [`DELETER_STRONG`] (drop
//! the value); when the weak count reaches zero, with [`DELETER_WEAK`] (free the memory);
//! when both reach zero in one step — the common case — once with [`DELETER_BOTH`]. Each
//! object carries its own deleter, so objects made by C, C++ or tvm-ffi live side by side
//! with Rust objects behind an [`AnyObj`].
//!
//! ## Handles
//!
//! [`Obj<T>`] (strong), [`WeakObj<T>`] (weak), [`UniqueObj<T>`] (not yet shared, mutable
//! without atomics) and [`ObjBorrow<'a, T>`] (borrowed, no count traffic). They mirror
//! `Arc`, `Weak`, triomphe's `UniqueArc` and `ArcBorrow`, with `Arc`'s orderings and
//! `Send`/`Sync` rules.
//!
//! ## Types and casts
//!
//! Each derived type has a static [`TypeInfo`]: key, index, depth, ancestors. A child names
//! its parent as its first field with `#[parent]`; [`Obj::upcast`] to any ancestor is a
//! pointer cast checked at compile time, [`Obj::is`] and [`Obj::downcast`] are O(1) checks
//! at run time. Every linked type is in the [`registry`] before its first instance exists.
//!
//! ## Per-thread instance counts
//!
//! Creating an object adds 1, and destroying it subtracts 1, in the current thread's slot
//! for its type — a plain load and store, never a shared cache line (the trick CPython's
//! free-threaded build uses for heap types). [`TypeInfo::live_count`] sums the slots; a
//! thread's slots are merged into the shared count when it exits.
//!
//! ## Orderings, in brief
//!
//! Increments are relaxed (a new reference is made from an existing one). Decrements are
//! Release, and whoever takes a count to zero issues an Acquire fence before the deleter
//! runs, so every use through another handle happens before destruction. A handle that
//! finds the word at strong 1 + weak 1 with an Acquire load holds the only reference of
//! any kind, and releases the object without any read-modify-write. `upgrade` is a
//! CAS loop that never resurrects a zero strong count.

#![warn(missing_docs)]

mod borrow;
mod cast;
mod cell;
mod counts;
mod deleter;
mod header;
mod obj;
pub mod registry;
mod sync;
mod type_info;
mod unique;
mod weak;

pub use crate::borrow::ObjBorrow;
pub use crate::cast::IsA;
pub use crate::cell::{value_offset, ObjCell};
pub use crate::counts::{merge_thread_counts, registered_threads, MAX_TYPES, THREAD_SLOTS};
pub use crate::deleter::deleter;
pub use crate::header::{
    Deleter, ObjectHeader, BOTH_ONE, DELETER_BOTH, DELETER_STRONG, DELETER_WEAK, MAX_COUNT,
    STRONG_ONE, WEAK_ONE,
};
pub use crate::obj::{AnyObj, Obj};
pub use crate::type_info::{AnyObject, Object, TypeInfo, ANY_OBJECT_INDEX, FIRST_DYNAMIC_INDEX};
pub use crate::unique::UniqueObj;
pub use crate::weak::WeakObj;

/// The derive: `#[derive(Object)]` with `#[object(key = "...", final, crate = "...")]` and
/// `#[parent]` on the first field.
pub use rcobj_macros::Object;

/// Items the derive's output refers to. Not public API: may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::cast::{AncestorIs, DepthMinus, Up};
    pub use crate::cell::value_offset;
    pub use crate::registry::Registration;
    pub use crate::type_info::{__ancestors as ancestors, S, Z};
    pub use crate::TypeInfo;
    pub use core::mem::{align_of, offset_of, size_of};
    pub use inventory;

    /// Implemented by the derive for every type not declared `final`.
    ///
    /// # Safety
    ///
    /// Only the derive implements it, for non-final types.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is `final`: no object type may name it as `#[parent]`",
        label = "final parent",
        note = "remove `final` from `{Self}`'s `#[object(...)]`, or derive from one of its ancestors"
    )]
    pub unsafe trait Inheritable: crate::Object {}

    /// Compile-time check used by the derive: `P` may be a parent.
    pub const fn require_inheritable<P: Inheritable>() {}

    /// Compile-time check used by the derive: `P` is an object type.
    pub const fn require_object<P: crate::Object>() {}

    // SAFETY: the root is not final.
    unsafe impl Inheritable for crate::AnyObject {}
}
