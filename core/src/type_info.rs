//! [`TypeInfo`], the static descriptor of an object type, and the [`Object`] trait that
//! ties a Rust type to it. [`AnyObject`] is the root of every hierarchy.
//!
//! The methods that need the registry ([`TypeInfo::index`], [`TypeInfo::live_count`])
//! live in `registry.rs`, which sits above this file.

use core::cmp::Ordering as CmpOrdering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::ptr::NonNull;

use crate::behaviour::Behaviour;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr};

use crate::counts::TypeRc;

/// Index of the root type [`AnyObject`] (tvm-ffi's `kTVMFFIObject`).
///
/// ```
/// use rcobj::{AnyObject, Object, ANY_OBJECT_INDEX};
///
/// assert_eq!(ANY_OBJECT_INDEX, 64);
/// assert_eq!(AnyObject::type_info().index(), ANY_OBJECT_INDEX);
/// ```
pub const ANY_OBJECT_INDEX: i32 = 64;
/// rcobj's first type index: its registry gives derived and runtime-defined types the
/// indices `FIRST_DYNAMIC_INDEX .. FIRST_DYNAMIC_INDEX + MAX_TYPES` (2^24 and up).
///
/// The range is far above the indices libtvm_ffi hands out: tvm-ffi numbers its own
/// dynamic types from 128 upward at load time (`ffi.EnumState` 128, …,
/// `ffi.reflection.AccessStep` 132, …), so with the old base of 128 an rcobj object shown
/// to tvm-ffi was taken for one of tvm-ffi's types. Every index below this one (tvm-ffi's
/// static and dynamic types, [`ANY_OBJECT_INDEX`] for objects made in C) is foreign to the
/// registry: objects made outside rcobj must use one (see [`Obj::from_raw`]).
///
/// With the `tvm-ffi` feature there is one index space: libtvm_ffi allocates every rcobj
/// index (`TVMFFITypeGetOrAllocIndex`), so this is tvm-ffi's first dynamic index, 128, and
/// rcobj's types share the range with tvm-ffi's own dynamic types, which the registry knows
/// as foreign types (see `rcobj::tvm_ffi`).
///
/// [`Obj::from_raw`]: crate::Obj::from_raw
///
/// ```
/// use rcobj::{Object, FIRST_DYNAMIC_INDEX, MAX_TYPES};
///
/// #[derive(Object)]
/// #[object(key = "doc.type_info.FIRST_DYNAMIC_INDEX")]
/// struct Item;
///
/// assert_eq!(FIRST_DYNAMIC_INDEX, if cfg!(feature = "tvm-ffi") { 128 } else { 1 << 24 });
/// let index = Item::type_info().index();
/// assert!((FIRST_DYNAMIC_INDEX..FIRST_DYNAMIC_INDEX + MAX_TYPES as i32).contains(&index));
/// ```
pub const FIRST_DYNAMIC_INDEX: i32 = if cfg!(feature = "tvm-ffi") {
    128
} else {
    1 << 24
};
/// Marks a [`TypeInfo`] whose index has not been assigned yet.
pub(crate) const UNASSIGNED: i32 = -1;

/// The descriptor of an object type: key, index, place in the hierarchy, value layout.
///
/// One `static` per type, written by `#[derive(Object)]`; reach it with
/// [`Object::type_info`], [`Obj::type_info`](crate::Obj::type_info) or the
/// [`registry`](crate::registry).
///
/// ```
/// use rcobj::{AnyObject, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.type_info.TypeInfo.Shape")]
/// struct Shape { name: String }
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.type_info.TypeInfo.Circle", final)]
/// struct Circle { #[parent] shape: Shape, radius: f64 }
///
/// let info = Circle::type_info();
/// assert_eq!(info.key(), "doc.type_info.TypeInfo.Circle");
/// assert_eq!(info.depth(), 2);
/// assert!(info.is_final());
/// assert!(info.is_a(Shape::type_info()));
/// assert_eq!(info.size(), std::mem::size_of::<Circle>());
/// ```
pub struct TypeInfo {
    key: &'static str,
    /// The default key with the definition site appended (`path::Name@file:line:column`),
    /// for a type whose key the user did not give; `None` otherwise. The registry switches
    /// `key()` to it when two definitions share one default key.
    site_key: Option<&'static str>,
    /// Set (once, under the registry lock, before the type is published) when `key()` is
    /// `site_key`.
    pub(crate) uses_site_key: AtomicBool,
    /// Set by the first run of the constructor the derive registers for the type
    /// (`registry::submit`), which links the descriptor into the list of submitted types
    /// through `next_submitted`. Null and false for the root, runtime types and tvm-ffi's own
    /// types.
    pub(crate) submitted: AtomicBool,
    pub(crate) next_submitted: AtomicPtr<TypeInfo>,
    rust_name: &'static str,
    pub(crate) index: AtomicI32,
    depth: usize,
    parent: Option<&'static TypeInfo>,
    ancestors: &'static [&'static TypeInfo],
    is_final: bool,
    size: usize,
    align: usize,
    /// The reflected own fields, in declaration order (see `reflect::field`).
    pub(crate) fields: &'static [crate::reflect::FieldInfo],
    /// The runtime part of a runtime-defined type ([`RuntimeState`]); null for a static
    /// type. A runtime type's own `parent` and `ancestors` fields are `None` and empty: its
    /// hierarchy lives behind this pointer, as raw pointers, because it lives only as long
    /// as the type (never as a `'static` reference). Its `key` field borrows the type's
    /// key buffer; it is read only through [`key`](TypeInfo::key), which bounds it by the
    /// borrow of the descriptor.
    pub(crate) rc: *const RuntimeState,
    /// What the type does for the standard traits (filled by the derive; empty for the
    /// root; for a runtime type, which entries its builder supplied).
    behaviour: Behaviour,
}

/// What only a runtime type's descriptor has: its reference state and its place in the
/// hierarchy. It lives in the runtime type's allocation, beside the descriptor, and is
/// freed with it.
#[repr(C)]
pub(crate) struct RuntimeState {
    /// The reference state. First, so that a pointer to the state is also a pointer to it
    /// (`counts` is handed such pointers, with the provenance of the whole allocation).
    pub(crate) rc: TypeRc,
    /// The parent: a static type, or a runtime type that this one holds a counted handle
    /// to (so it outlives this type).
    pub(crate) parent: NonNull<TypeInfo>,
    /// Every ancestor, root first: a buffer this type owns, of static types and of runtime
    /// types that its parent chain keeps alive.
    pub(crate) ancestors: NonNull<[NonNull<TypeInfo>]>,
}

// SAFETY: every field is immutable after construction or atomic; `rc` points to atomics.
unsafe impl Sync for TypeInfo {}
// SAFETY: as above.
unsafe impl Send for TypeInfo {}

impl TypeInfo {
    /// Builds the descriptor of the derived type `T`. Used by the derive; `ancestors` is
    /// the table [`__ancestors`](Self::__ancestors) built for `T`'s parent, `fields` the
    /// type's own reflected fields (its field table, or empty). Depth, parent, finality,
    /// size and alignment come from `T`'s and its parent's `Object` constants here, not
    /// from the expansion: fewer tokens per type, and nothing the derive could get wrong.
    ///
    /// # Safety
    ///
    /// The result must initialise a `static`: the registry keeps `&'static` references to
    /// every descriptor whose index it assigns.
    #[doc(hidden)]
    pub const unsafe fn __new<T: Object>(
        key: &'static str,
        site_key: Option<&'static str>,
        rust_name: &'static str,
        ancestors: &'static [&'static TypeInfo],
        behaviour: Behaviour,
        fields: &'static [crate::reflect::FieldInfo],
    ) -> TypeInfo {
        assert!(
            ancestors.len() == <T::Parent as Object>::DEPTH + 1,
            "ancestors must list every ancestor"
        );
        TypeInfo {
            key,
            site_key,
            uses_site_key: AtomicBool::new(false),
            submitted: AtomicBool::new(false),
            next_submitted: AtomicPtr::new(core::ptr::null_mut()),
            rust_name,
            index: AtomicI32::new(UNASSIGNED),
            depth: ancestors.len(),
            parent: Some(<T::Parent as Object>::TYPE_INFO),
            ancestors,
            is_final: T::IS_FINAL,
            size: core::mem::size_of::<T>(),
            align: core::mem::align_of::<T>(),
            fields,
            rc: core::ptr::null(),
            behaviour,
        }
    }

    /// Builds the ancestors table of a child of `P` at compile time: `P`'s ancestors
    /// followed by `P`. Used by the derive, as `TypeInfo::__ancestors`: an inherent
    /// function of this type, which no path given to `#[object(crate = ...)]` can replace
    /// (the `Object` impl's constants make that path's `TypeInfo` this one).
    #[doc(hidden)]
    pub const fn __ancestors<P: Object, const N: usize>() -> [&'static TypeInfo; N] {
        let parent_ancestors = P::ANCESTORS;
        assert!(parent_ancestors.len() + 1 == N);
        let mut out = [P::TYPE_INFO; N];
        let mut i = 0;
        while i < parent_ancestors.len() {
            out[i] = parent_ancestors[i];
            i += 1;
        }
        out
    }

    /// The derive's checks of a child `T` of `P`, at compile time (an inherent function of
    /// this type, like [`__ancestors`](Self::__ancestors), so no crate path can replace
    /// it; `#[track_caller]`, so a failure points at the `#[parent]` field):
    ///
    /// * `P` is not `final` (`parent_final`);
    /// * the values of `T` and `P` start at the same offset after the header (the 24-byte
    ///   header's size rounded up to each one's alignment);
    /// * the `#[parent]` field is at `offset` 0 (the derive passes 0 where `repr(C)` is
    ///   missing and that error is already reported);
    /// * `field`, a function from `&T` to the field's address, proves that the field's
    ///   type is `P` itself: a raw pointer to a sized type coerces to no other pointee.
    ///
    /// `P` has no `Object` bound, and its finality comes as `parent_final` (the derive
    /// passes `<P as Object>::IS_FINAL`): when the `#[parent]` field's type is not an
    /// object type, the one error the derive's `ParentType` alias reports is the only one.
    #[doc(hidden)]
    #[track_caller]
    pub const fn __check_child<T, P>(offset: usize, field: fn(&T) -> *const P, parent_final: bool) {
        let _ = field;
        assert!(
            !parent_final,
            "the `#[parent]` type is `final`: no object type may name it as `#[parent]`; \
             remove `final` from its `#[object(...)]`, or derive from one of its ancestors"
        );
        assert!(
            usize::next_multiple_of(24, core::mem::align_of::<T>())
                == usize::next_multiple_of(24, core::mem::align_of::<P>()),
            "this type is more aligned than its `#[parent]`, so their values would start at \
             different offsets after the object header; raise the parent's alignment to \
             this type's with `#[repr(align(N))]`"
        );
        assert!(offset == 0, "the `#[parent]` field must be at offset 0");
    }

    /// The derive's check of a root type: its parent `P`, the `AnyObject` of the crate
    /// path, is rcobj's root, the one object type of depth 0.
    #[doc(hidden)]
    #[track_caller]
    pub const fn __check_root<P: Object>() {
        assert!(
            P::DEPTH == 0,
            "the `AnyObject` of the `crate = \"...\"` path is not rcobj's root type"
        );
    }

    /// `Object::SEND_SYNC` of a derived type, from the answer of the derive's probe: only
    /// a `Send + Sync` type has a [`SendSync`] witness (it is made by a function that
    /// requires the bound), so no crate path can make this `true` for a type that is not.
    /// The derive names `T` (`__send_sync::<Type>`): inferred, it would accept the witness
    /// of any other type.
    #[doc(hidden)]
    pub const fn __send_sync<T>(witness: Option<SendSync<T>>) -> bool {
        witness.is_some()
    }

    /// A runtime type's descriptor, not yet registered (no index) and not yet linked to its
    /// [`RuntimeState`] (`rc` is null until the caller has placed both in the type's
    /// allocation and sets it).
    ///
    /// Its key is interned here (see [`key`](Self::key)); `behaviour` is the table of the
    /// entries its builder supplied (`Behaviour::runtime`).
    ///
    /// # Safety
    ///
    /// `key` lives as long as the descriptor (the runtime type owns the buffer) and is
    /// never read through this descriptor after the descriptor is freed; it is `'static`
    /// here only because the field is shared with static types.
    pub(crate) unsafe fn runtime(
        key: &'static str,
        depth: usize,
        is_final: bool,
        size: usize,
        align: usize,
        behaviour: Behaviour,
    ) -> TypeInfo {
        TypeInfo {
            key: crate::intern::intern(key),
            site_key: None,
            uses_site_key: AtomicBool::new(false),
            submitted: AtomicBool::new(false),
            next_submitted: AtomicPtr::new(core::ptr::null_mut()),
            rust_name: "<runtime type>",
            index: AtomicI32::new(UNASSIGNED),
            depth,
            parent: None,
            ancestors: &[],
            is_final,
            size,
            align,
            fields: &[],
            rc: core::ptr::null(),
            behaviour,
        }
    }

    /// The descriptor of one of libtvm_ffi's own types (`ffi.Array`, …), made when the
    /// registry first meets it: no reference state (it is never released), no value layout
    /// rcobj knows, an empty behaviour table.
    #[cfg(feature = "tvm-ffi")]
    pub(crate) fn foreign(
        key: &'static str,
        index: i32,
        ancestors: &'static [&'static TypeInfo],
    ) -> TypeInfo {
        TypeInfo {
            key,
            site_key: None,
            uses_site_key: AtomicBool::new(false),
            submitted: AtomicBool::new(false),
            next_submitted: AtomicPtr::new(core::ptr::null_mut()),
            rust_name: "<tvm-ffi type>",
            index: AtomicI32::new(index),
            depth: ancestors.len(),
            parent: ancestors.last().copied(),
            ancestors,
            is_final: false,
            size: 0,
            align: 1,
            fields: &[],
            rc: core::ptr::null(),
            behaviour: Behaviour::EMPTY,
        }
    }

    /// The runtime part of a runtime type, borrowed with the descriptor.
    #[inline]
    pub(crate) fn runtime_state(&self) -> Option<&RuntimeState> {
        // SAFETY: `rc` is null, or points to the `RuntimeState` that lives in the same
        // allocation as this descriptor and is freed with it, so it is valid while `self`
        // is borrowed.
        unsafe { self.rc.as_ref() }
    }

    /// The key as it stands, without building the registry first (for the registry itself,
    /// which builds under its own `Once` and lock): the site key once the registry switched
    /// to it, else the declared key.
    #[inline]
    pub(crate) fn current_key(&self) -> &'static str {
        // Relaxed: the flag is set under the registry lock, and the registry reads it under
        // that lock.
        match self.site_key {
            Some(site)
                if self
                    .uses_site_key
                    .load(core::sync::atomic::Ordering::Relaxed) =>
            {
                site
            }
            _ => self.key,
        }
    }

    /// The key as declared (the `#[object(key)]` or the Rust path), before the registry
    /// switched it to the site key; for grouping colliding default keys.
    #[inline]
    pub(crate) fn declared_key(&self) -> &'static str {
        self.key
    }

    const fn root() -> TypeInfo {
        TypeInfo {
            key: AnyObject::KEY,
            site_key: None,
            uses_site_key: AtomicBool::new(false),
            submitted: AtomicBool::new(false),
            next_submitted: AtomicPtr::new(core::ptr::null_mut()),
            rust_name: "rcobj::AnyObject",
            index: AtomicI32::new(ANY_OBJECT_INDEX),
            depth: 0,
            parent: None,
            ancestors: &[],
            is_final: false,
            size: 0,
            align: 1,
            fields: &[],
            rc: core::ptr::null(),
            behaviour: Behaviour::ROOT,
        }
    }

    /// The key with the definition site appended, for a type whose key is the default
    /// (the Rust path); `None` for a type whose key was given.
    #[inline]
    #[allow(dead_code)] // not read yet: `-D warnings` would fail the build
    pub(crate) fn site_key(&self) -> Option<&'static str> {
        self.site_key
    }

    /// The Rust path of the type, as the derive saw it (`module::Name`), or
    /// `"<runtime type>"`.
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.rust_name.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.rust_name.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// // `module_path!()` of the definition, then the name.
    /// assert!(Circle::type_info().rust_name().ends_with("::Circle"));
    /// ```
    #[inline]
    pub fn rust_name(&self) -> &str {
        self.rust_name
    }

    /// The depth in the hierarchy: [`AnyObject`] is 0, a root struct 1, its child 2.
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.depth.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.depth.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// assert_eq!(AnyObject::type_info().depth(), 0);
    /// assert_eq!(Shape::type_info().depth(), 1);
    /// assert_eq!(Circle::type_info().depth(), 2);
    /// ```
    #[inline]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The parent type; `None` only for [`AnyObject`].
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.parent.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.parent.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// let parent = Circle::type_info().parent().unwrap();
    /// assert!(std::ptr::eq(parent, Shape::type_info()));
    /// assert!(std::ptr::eq(Shape::type_info().parent().unwrap(), AnyObject::type_info()));
    /// assert!(AnyObject::type_info().parent().is_none());
    /// ```
    #[inline]
    pub fn parent(&self) -> Option<&TypeInfo> {
        match self.runtime_state() {
            None => self.parent,
            // SAFETY: a runtime type's parent outlives it (a static, or a runtime type it
            // holds a counted handle to until it is freed), so it is valid while `self` is
            // borrowed.
            Some(state) => Some(unsafe { state.parent.as_ref() }),
        }
    }

    /// Every ancestor, root first, excluding the type itself (`ancestors()[0]` is
    /// [`AnyObject`]'s, `ancestors()[depth - 1]` the parent's).
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.ancestors.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.ancestors.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// let keys: Vec<&str> = Circle::type_info().ancestors().iter().map(|t| t.key()).collect();
    /// assert_eq!(keys, ["rcobj.Object", "doc.type_info.ancestors.Shape"]);
    /// ```
    #[inline]
    pub fn ancestors(&self) -> &[&TypeInfo] {
        match self.runtime_state() {
            None => self.ancestors,
            // SAFETY: `NonNull<TypeInfo>` and `&TypeInfo` have the same layout, and every
            // entry is valid while `self` is borrowed: static types forever, runtime
            // ancestors kept alive by this type's counted handle to its parent (each runtime
            // type holds one to its own parent). The buffer is owned by this type.
            Some(state) => unsafe { &*(state.ancestors.as_ptr() as *const [&TypeInfo]) },
        }
    }

    /// Whether the type was defined at run time (see `RuntimeTypeBuilder`).
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.is_runtime.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.is_runtime.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// assert!(!Circle::type_info().is_runtime());
    /// let ty = rcobj::RuntimeTypeBuilder::new("doc.type_info.is_runtime.Dynamic")
    ///     .register()
    ///     .unwrap();
    /// assert!(ty.info().is_runtime());
    /// ```
    #[inline]
    pub fn is_runtime(&self) -> bool {
        !self.rc.is_null()
    }

    /// Whether the type was declared `#[object(final)]` (no type may derive from it).
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.is_final.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.is_final.Circle", final)]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// assert!(Circle::type_info().is_final());
    /// assert!(!Shape::type_info().is_final());
    /// ```
    #[inline]
    pub fn is_final(&self) -> bool {
        self.is_final
    }

    /// `size_of` the value (not of the object, which adds the 24-byte header).
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.size.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.size.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// assert_eq!(Shape::type_info().size(), std::mem::size_of::<String>());
    /// assert_eq!(Circle::type_info().size(), std::mem::size_of::<Circle>());
    /// assert_eq!(AnyObject::type_info().size(), 0);
    /// ```
    #[inline]
    pub fn size(&self) -> usize {
        self.size
    }

    /// `align_of` the value.
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.align.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.align.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// assert_eq!(Circle::type_info().align(), std::mem::align_of::<f64>());
    /// ```
    #[inline]
    pub fn align(&self) -> usize {
        self.align
    }

    /// Whether `self` is `other` or one of its descendants. O(1).
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.is_a.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.is_a.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// let (circle, shape) = (Circle::type_info(), Shape::type_info());
    /// assert!(circle.is_a(shape));
    /// assert!(circle.is_a(circle));
    /// assert!(circle.is_a(AnyObject::type_info()));
    /// assert!(!shape.is_a(circle));
    /// ```
    #[inline]
    pub fn is_a(&self, other: &TypeInfo) -> bool {
        core::ptr::eq(self, other)
            || (self.depth > other.depth && core::ptr::eq(self.ancestors()[other.depth], other))
    }

    /// What the type does for the standard traits: which of them it implements, as
    /// recorded by `#[derive(Object)]` at its definition. Empty for [`AnyObject`]; for a
    /// runtime-defined type, the entries its builder supplied
    /// ([`RuntimeTypeBuilder::debug`](crate::RuntimeTypeBuilder::debug), …). See
    /// [`Behaviour`].
    ///
    /// ```
    /// use rcobj::{Object, TraitKind};
    ///
    /// #[derive(Object, Debug, PartialEq)]
    /// #[object(key = "doc.type_info.behaviour")]
    /// struct Celsius(f64);
    ///
    /// let b = Celsius::type_info().behaviour();
    /// assert!(b.implements(TraitKind::PartialEq));
    /// assert!(!b.implements(TraitKind::Eq)); // `f64` is not `Eq`
    /// ```
    #[inline]
    pub fn behaviour(&self) -> &Behaviour {
        &self.behaviour
    }
}

impl fmt::Debug for TypeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypeInfo")
            .field("key", &self.key)
            .field("rust_name", &self.rust_name)
            .field(
                "index",
                &self.index.load(core::sync::atomic::Ordering::Relaxed),
            )
            .field("depth", &self.depth)
            .field("is_final", &self.is_final)
            .field("size", &self.size)
            .field("align", &self.align)
            .finish()
    }
}

/// A witness that `T: Send + Sync`, made only under that bound (see
/// [`TypeInfo::__send_sync`]). Not for direct use.
#[doc(hidden)]
pub struct SendSync<T>(PhantomData<fn(T) -> T>);

impl<T: Send + Sync> SendSync<T> {
    pub(crate) const fn new() -> Self {
        SendSync(PhantomData)
    }
}

/// Type-level depth zero (the depth of [`AnyObject`]).
pub struct Z;
/// Type-level successor: the depth of a type whose parent has depth `N`.
pub struct S<N>(PhantomData<N>);

/// A Rust type that is a managed object: implemented by `#[derive(Object)]`.
///
/// # Safety
///
/// The implementation must describe the type truthfully: `Parent` is the type of the
/// struct's first field (at offset 0 of a `#[repr(C)]` struct), with the same value offset
/// in `ObjCell` as `Self`, or [`AnyObject`] for a root struct; `TYPE_INFO` describes `Self`
/// (depth, ancestors, size, align, finality) and is used by no other type; `DEPTH`,
/// `ANCESTORS` and `IS_FINAL` equal its fields; `Depth` is `S<<Self::Parent as
/// Object>::Depth>`; `SEND_SYNC` is true only if `Self: Send + Sync`. Casts rely on all of
/// it. Write `#[derive(Object)]` instead.
///
/// # Examples
///
/// ```
/// use rcobj::{AnyObject, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.type_info.Object.Shape")]
/// struct Shape;
///
/// fn key_of<T: Object>(_: &Obj<T>) -> &'static str {
///     T::type_info().key()
/// }
///
/// assert_eq!(key_of(&Obj::new(Shape)), "doc.type_info.Object.Shape");
/// assert_eq!(Shape::DEPTH, 1);
/// assert!(std::ptr::eq(Shape::ANCESTORS[0], AnyObject::type_info()));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an rcobj object",
    label = "not an object type",
    note = "add `#[derive(rcobj::Object)]` to the definition of `{Self}`"
)]
pub unsafe trait Object: Sized + 'static {
    /// The parent type ([`AnyObject`] for a root struct; `AnyObject` names itself).
    type Parent: Object;
    /// The depth as a type ([`Z`] for [`AnyObject`], `S<Parent::Depth>` otherwise).
    type Depth;
    /// The descriptor of this type.
    const TYPE_INFO: &'static TypeInfo;
    /// The depth as a number (equal to `TYPE_INFO.depth()`): the parent's plus one.
    const DEPTH: usize = <Self::Parent as Object>::DEPTH + 1;
    /// The ancestors, root first, excluding `Self` (equal to `TYPE_INFO.ancestors()`).
    const ANCESTORS: &'static [&'static TypeInfo];
    /// Whether no type may derive from this one.
    const IS_FINAL: bool = false;
    /// Whether `Self: Send + Sync`. The derive computes it at the (concrete) definition
    /// site; casts use it to keep a `Send + Sync` handle from pointing at an object whose
    /// real type is not.
    #[doc(hidden)]
    const SEND_SYNC: bool;

    /// The descriptor of this type.
    ///
    /// ```
    /// use rcobj::Object;
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.type_info")]
    /// struct Item;
    ///
    /// assert_eq!(Item::type_info().key(), "doc.type_info.type_info");
    /// assert!(std::ptr::eq(Item::type_info(), Item::TYPE_INFO));
    /// ```
    #[inline(always)]
    fn type_info() -> &'static TypeInfo {
        Self::TYPE_INFO
    }
}

/// The root of every object hierarchy (key `"rcobj.Object"`, index 64). `AnyObj` is
/// `Obj<AnyObject>`: a handle to any object, Rust's or a foreign one.
///
/// It has no public constructor: an `AnyObject` exists only as the head of a real object.
///
/// ```
/// use rcobj::{AnyObj, AnyObject, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.type_info.AnyObject")]
/// struct Item(u8);
///
/// let info = AnyObject::type_info();
/// assert_eq!((info.key(), info.index(), info.depth()), ("rcobj.Object", 64, 0));
/// let any: AnyObj = Obj::new(Item(1)).upcast();
/// assert!(any.is::<AnyObject>());
/// ```
pub struct AnyObject {
    _private: (),
}

impl AnyObject {
    /// The type key of the root type.
    ///
    /// ```
    /// use rcobj::{registry, AnyObject};
    ///
    /// assert_eq!(AnyObject::KEY, "rcobj.Object");
    /// assert!(registry::by_key(AnyObject::KEY).is_some());
    /// ```
    pub const KEY: &'static str = "rcobj.Object";
}

// `AnyObject`'s trait impls exist so that `AnyObj` has `Debug`, `Display`, `==`, `Hash`
// and the orders (a `HashSet<AnyObj>` works). They are never reached for an object: an
// `AnyObj` always dispatches on the real type (the root is never "exactly" the real type,
// see `Obj::is_exactly_t`), and a foreign object reports the root's empty table. Were they
// reached, they would be the identity, which is lawful.

impl fmt::Debug for AnyObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{:p}", AnyObject::KEY, self)
    }
}

impl fmt::Display for AnyObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl PartialEq for AnyObject {
    /// Identity.
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for AnyObject {}

impl PartialOrd for AnyObject {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for AnyObject {
    /// By address.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        core::ptr::from_ref(self)
            .addr()
            .cmp(&core::ptr::from_ref(other).addr())
    }
}

impl Hash for AnyObject {
    /// The address.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(core::ptr::from_ref(self).addr());
    }
}

static ANY_OBJECT_INFO: TypeInfo = TypeInfo::root();

// SAFETY: `AnyObject` is the root: it is its own parent, has depth 0 and no ancestors,
// and is a zero-sized prefix of every object's value.
unsafe impl Object for AnyObject {
    type Parent = AnyObject;
    type Depth = Z;
    const TYPE_INFO: &'static TypeInfo = &ANY_OBJECT_INFO;
    const DEPTH: usize = 0;
    const ANCESTORS: &'static [&'static TypeInfo] = &[];
    const IS_FINAL: bool = false;
    const SEND_SYNC: bool = true;
}
