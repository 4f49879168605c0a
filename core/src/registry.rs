//! The type registry: index allocation and lookup by key or index.
//!
//! Every type that `#[derive(Object)]` emits is submitted at link time (through the
//! `inventory` crate), so [`by_key`] finds it before its first instance exists. Indices are
//! assigned on the first use of the registry, all at once, in key order: [`AnyObject`] is
//! 64, derived types get [`FIRST_DYNAMIC_INDEX`] (2^24), the next one, … — a range that
//! libtvm_ffi's own type table never reaches (it numbers its dynamic types from 128). Two
//! types with one key make that first use panic with
//! a message naming both (and every later use panics with the same message).
//!
//! Reading a type's index afterwards is one relaxed load ([`TypeInfo::index`]); looking a
//! type up by index for a cast is one acquire load from a fixed table, no lock.
//!
//! # Libraries loaded at run time
//!
//! A `cdylib` loaded with `dlopen` carries its own statically linked copy of this runtime,
//! and so its own registry: its types are numbered from [`FIRST_DYNAMIC_INDEX`] in its
//! copy, independently of the host's, and the host's registry does not see them. Objects still cross the boundary
//! safely as raw headers (each carries its own deleter), which is what the C ABI is for; but
//! `is`/`downcast` across the two registries compare unrelated indices. Use one shared
//! `rcobj` dynamic library, or the C ABI, for plugins.
//!
//! [`AnyObject`]: crate::AnyObject

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::counts::{self, MAX_TYPES};
use crate::sync::{Lock, Once};
use crate::type_info::{AnyObject, Object, TypeInfo, ANY_OBJECT_INDEX, FIRST_DYNAMIC_INDEX};

/// A link-time registration, emitted by the derive. Not part of the public API.
#[doc(hidden)]
pub struct Registration(pub &'static TypeInfo);

inventory::collect!(Registration);

/// Lock-free index → descriptor table for casts; entries are published once (Release)
/// before the index is handed out and never change afterwards.
static TABLE: [AtomicPtr<TypeInfo>; MAX_TYPES] =
    [const { AtomicPtr::new(ptr::null_mut()) }; MAX_TYPES];

struct Tables {
    /// Every registered type by key. A runtime type's key borrows from the type itself
    /// and is removed when it is unregistered, before it can be freed.
    by_key: BTreeMap<&'static str, &'static TypeInfo>,
    /// The next never-used slot.
    next: usize,
    /// Slots of released runtime types, reused last-in first-out.
    free: Vec<usize>,
}

static TABLES: Lock<Option<Tables>> = Lock::new(None);
static INIT: Once<Result<(), String>> = Once::new();

fn read_tables<R>(f: impl FnOnce(&Tables) -> R) -> R {
    let guard = TABLES.read();
    f(guard.as_ref().expect("registry initialised"))
}

/// Assigns indices to every linked type, once. Panics (every time) on a duplicate key.
fn ensure_init() {
    if let Err(message) = INIT.get_or_init(init_static) {
        panic!("{message}");
    }
}

fn duplicate_message(key: &str, a: &TypeInfo, b: &TypeInfo) -> String {
    format!(
        "rcobj: two object types claim the type key `{key}`: `{}` and `{}`; \
         give one of them another `#[object(key = \"...\")]`",
        a.rust_name(),
        b.rust_name()
    )
}

fn init_static() -> Result<(), String> {
    let mut infos: Vec<&'static TypeInfo> = inventory::iter::<Registration>
        .into_iter()
        .map(|r| r.0)
        .collect();
    infos.sort_by(|a, b| a.key().cmp(b.key()).then(a.rust_name().cmp(b.rust_name())));
    infos.dedup_by(|a, b| ptr::eq(*a, *b));
    for pair in infos.windows(2) {
        if pair[0].key() == pair[1].key() {
            return Err(duplicate_message(pair[0].key(), pair[0], pair[1]));
        }
    }
    if let Some(t) = infos.iter().find(|t| t.key() == AnyObject::KEY) {
        return Err(duplicate_message(AnyObject::KEY, AnyObject::type_info(), t));
    }
    if infos.len() > MAX_TYPES {
        return Err(format!(
            "rcobj: {} object types are linked, more than the {MAX_TYPES} supported",
            infos.len()
        ));
    }
    let mut tables = Tables {
        by_key: BTreeMap::new(),
        next: 0,
        free: Vec::new(),
    };
    for info in infos {
        let slot = tables.next;
        tables.next += 1;
        publish(&mut tables, slot, info);
    }
    *TABLES.write() = Some(tables);
    Ok(())
}

/// Gives `info` the index of `slot`. Caller owns `tables` exclusively.
fn publish(tables: &mut Tables, slot: usize, info: &'static TypeInfo) -> i32 {
    let index = FIRST_DYNAMIC_INDEX + slot as i32;
    // Release: pairs with the Acquire load in `info_of_index`, so a reader that finds the
    // pointer sees the whole descriptor.
    TABLE[slot].store(ptr::from_ref(info).cast_mut(), Ordering::Release);
    // Release: pairs with the Acquire re-load in `index_slow`.
    info.index.store(index, Ordering::Release);
    tables.by_key.insert(info.key(), info);
    index
}

/// Registers a type that was not submitted at link time (a hand-written `Object` impl,
/// or a platform where link-time collection is unavailable).
#[cold]
fn register_late(info: &'static TypeInfo) -> i32 {
    let mut guard = TABLES.write();
    let tables = guard.as_mut().expect("registry initialised");
    // Re-check under the lock: another thread may have registered it meanwhile.
    let index = info.index.load(Ordering::Acquire);
    if index >= 0 {
        return index;
    }
    if let Some(other) = tables.by_key.get(info.key()) {
        panic!("{}", duplicate_message(info.key(), other, info));
    }
    let slot =
        take_slot(tables).unwrap_or_else(|| panic!("rcobj: more than {MAX_TYPES} object types"));
    publish(tables, slot, info)
}

/// A free slot: a recycled one first, else the next never-used one.
fn take_slot(tables: &mut Tables) -> Option<usize> {
    if let Some(slot) = tables.free.pop() {
        return Some(slot);
    }
    if tables.next < MAX_TYPES {
        tables.next += 1;
        Some(tables.next - 1)
    } else {
        None
    }
}

/// Why a runtime type could not be registered.
pub(crate) enum RegisterError {
    /// The key is taken by this type.
    Duplicate(&'static TypeInfo),
    /// No index is free.
    Full,
}

/// Registers a runtime type: reserves a slot and calls `build` with its index to make the
/// descriptor, then publishes it. Nothing is registered if `build` is not reached.
pub(crate) fn register_runtime(
    key: &str,
    build: impl FnOnce(i32) -> &'static TypeInfo,
) -> Result<&'static TypeInfo, RegisterError> {
    ensure_init();
    if key == AnyObject::KEY {
        return Err(RegisterError::Duplicate(AnyObject::type_info()));
    }
    let mut guard = TABLES.write();
    let tables = guard.as_mut().expect("registry initialised");
    if let Some(other) = tables.by_key.get(key) {
        return Err(RegisterError::Duplicate(other));
    }
    let slot = take_slot(tables).ok_or(RegisterError::Full)?;
    let info = build(FIRST_DYNAMIC_INDEX + slot as i32);
    publish(tables, slot, info);
    Ok(info)
}

/// Removes a runtime type from the key table (it stays reachable by index for its live
/// instances until it is released). Returns whether it was registered.
pub(crate) fn unregister_runtime(info: &TypeInfo) -> bool {
    let mut guard = TABLES.write();
    let tables = guard.as_mut().expect("registry initialised");
    match tables.by_key.get(info.key()) {
        Some(t) if ptr::eq(*t, info) => {
            tables.by_key.remove(info.key());
            true
        }
        _ => false,
    }
}

/// Recycles the slot of a released runtime type: no instance, handle or slot count of it
/// remains.
pub(crate) fn release_runtime(info: &TypeInfo) {
    let slot = (info.index() - FIRST_DYNAMIC_INDEX) as usize;
    let mut guard = TABLES.write();
    let tables = guard.as_mut().expect("registry initialised");
    debug_assert!(!tables.by_key.values().any(|t| ptr::eq(*t, info)));
    TABLE[slot].store(ptr::null_mut(), Ordering::Release);
    tables.free.push(slot);
}

impl TypeInfo {
    /// The type's index: [`AnyObject`] is 64, derived types
    /// [`FIRST_DYNAMIC_INDEX`](crate::FIRST_DYNAMIC_INDEX) and up.
    ///
    /// One relaxed load once the registry is initialised; the first call in the program
    /// assigns every linked type its index.
    ///
    /// ```
    /// use rcobj::{registry, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.registry.index")]
    /// struct Item;
    ///
    /// let index = Item::type_info().index();
    /// assert!(index >= rcobj::FIRST_DYNAMIC_INDEX);
    /// assert_eq!(registry::by_index(index).unwrap().key(), "doc.registry.index");
    /// ```
    #[inline(always)]
    pub fn index(&self) -> i32 {
        // Relaxed: the index is a plain number; whoever needs the descriptor behind it goes
        // through `info_of_index`, which synchronises on its own.
        let index = self.index.load(Ordering::Relaxed);
        if index >= 0 {
            index
        } else {
            self.index_slow()
        }
    }

    #[cold]
    #[inline(never)]
    fn index_slow(&self) -> i32 {
        ensure_init();
        // Acquire: pairs with the Release store in `publish`.
        let index = self.index.load(Ordering::Acquire);
        if index >= 0 {
            return index;
        }
        let this = by_key(self.key()).filter(|t| ptr::eq(&**t, self));
        match this {
            Some(t) => t.index.load(Ordering::Acquire),
            None => register_late(static_ref(self)),
        }
    }

    /// The number of live instances whose most-derived type is this one (a `Circle` counts
    /// for `Circle`, not for its parent `Shape`).
    ///
    /// The sum of the shared count and every live thread's slot; exact when no instance
    /// of this type is being created or destroyed concurrently.
    ///
    /// An instance of a Rust type is counted until its value is dropped; an instance of a
    /// runtime-defined type until its memory is freed (a [`WeakObj`](crate::WeakObj) keeps
    /// it counted), since freeing needs the type.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.registry.live_count.Shape")]
    /// struct Shape;
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.registry.live_count.Circle")]
    /// struct Circle { #[parent] shape: Shape }
    ///
    /// let c = Obj::new(Circle { shape: Shape });
    /// let s = Obj::new(Shape);
    /// let t = std::thread::spawn(|| Obj::new(Shape)).join().unwrap();
    /// assert_eq!(Circle::type_info().live_count(), 1);
    /// assert_eq!(Shape::type_info().live_count(), 2); // the `Circle` counts for `Circle` only
    /// drop((c, s, t));
    /// assert_eq!(Shape::type_info().live_count(), 0);
    /// ```
    pub fn live_count(&self) -> usize {
        let live = if self.rc.is_null() {
            counts::live(self.index())
        } else {
            // SAFETY: a runtime type's `rc` points to its live reference state; `&self`
            // keeps the type alive.
            counts::live_runtime(unsafe { &*self.rc.cast::<counts::TypeRc>() })
        };
        usize::try_from(live).unwrap_or(0)
    }
}

/// Every `TypeInfo` is a `static` (the derive emits one per type; the root is one too),
/// so a shared reference to one can be widened to `'static`.
fn static_ref(info: &TypeInfo) -> &'static TypeInfo {
    // SAFETY: `TypeInfo` has no public constructor but `unsafe fn __new`, whose contract is
    // that the result initialises a `static`, and it is neither `Clone` nor `Default`; so
    // every `TypeInfo` lives for the rest of the program.
    unsafe { &*ptr::from_ref(info) }
}

/// The descriptor for an object's type index, or `None` for an index no Rust type has
/// (a foreign object). Lock-free.
#[inline]
pub(crate) fn info_of_index(index: i32) -> Option<&'static TypeInfo> {
    if index == ANY_OBJECT_INDEX {
        return Some(AnyObject::type_info());
    }
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32 as usize;
    let entry = TABLE.get(slot)?;
    // Acquire: pairs with the Release store in `publish`.
    let p = entry.load(Ordering::Acquire);
    if p.is_null() {
        return None;
    }
    // SAFETY: entries are only ever set to `&'static TypeInfo` addresses.
    Some(unsafe { &*p })
}

/// A registered type: a static type's `&'static TypeInfo`, or a counted reference to a
/// runtime-defined type that keeps it alive. Derefs to [`TypeInfo`].
///
/// ```
/// use rcobj::{registry, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.registry.TypeRef")]
/// struct Item;
///
/// let t: rcobj::TypeRef = registry::by_key("doc.registry.TypeRef").unwrap();
/// assert_eq!(t.depth(), 1); // derefs to `TypeInfo`
/// assert!(t == *Item::type_info());
///
/// // A runtime type lives while a `TypeRef` to it does.
/// let ty = rcobj::RuntimeTypeBuilder::new("doc.registry.TypeRef.Dynamic").register().unwrap();
/// let r = registry::by_key("doc.registry.TypeRef.Dynamic").unwrap();
/// assert!(ty.unregister());
/// drop(ty);
/// assert_eq!(r.key(), "doc.registry.TypeRef.Dynamic"); // still alive through `r`
/// ```
pub struct TypeRef {
    info: ptr::NonNull<TypeInfo>,
}

// SAFETY: a shared reference to a `Sync` descriptor plus, for a runtime type, a count that
// any thread may drop.
unsafe impl Send for TypeRef {}
// SAFETY: as above.
unsafe impl Sync for TypeRef {}

impl TypeRef {
    fn from_static(info: &'static TypeInfo) -> TypeRef {
        TypeRef {
            info: ptr::NonNull::from(info),
        }
    }

    /// Wraps a descriptor, taking a counted reference if it is a runtime type.
    ///
    /// # Safety
    ///
    /// The type is alive during the call (still registered under the registry lock, or
    /// referenced by the caller).
    pub(crate) unsafe fn new_counted(info: &TypeInfo) -> TypeRef {
        if !info.rc.is_null() {
            // SAFETY: alive per the caller.
            unsafe { counts::type_handle_inc(&*info.rc.cast::<counts::TypeRc>()) };
        }
        TypeRef {
            info: ptr::NonNull::from(info),
        }
    }

    /// The descriptor with a `'static` lifetime, if this is a static (derived) type.
    ///
    /// ```
    /// use rcobj::{registry, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.registry.as_static")]
    /// struct Item;
    ///
    /// let t = registry::by_key("doc.registry.as_static").unwrap();
    /// assert!(std::ptr::eq(t.as_static().unwrap(), Item::type_info()));
    ///
    /// let ty = rcobj::RuntimeTypeBuilder::new("doc.registry.as_static.Dynamic")
    ///     .register()
    ///     .unwrap();
    /// assert!(registry::by_key(ty.key()).unwrap().as_static().is_none());
    /// ```
    pub fn as_static(&self) -> Option<&'static TypeInfo> {
        if self.is_runtime() {
            None
        } else {
            // SAFETY: static descriptors are `static`s.
            Some(unsafe { &*self.info.as_ptr() })
        }
    }
}

impl core::ops::Deref for TypeRef {
    type Target = TypeInfo;

    fn deref(&self) -> &TypeInfo {
        // SAFETY: static, or kept alive by our counted reference.
        unsafe { self.info.as_ref() }
    }
}

impl Clone for TypeRef {
    fn clone(&self) -> TypeRef {
        // SAFETY: our own reference keeps the type alive.
        unsafe { TypeRef::new_counted(self) }
    }
}

impl Drop for TypeRef {
    fn drop(&mut self) {
        let rc = self.rc;
        if !rc.is_null() {
            // SAFETY: we own a counted reference and touch the type no more.
            unsafe { counts::type_handle_dec(rc.cast::<counts::TypeRc>()) };
        }
    }
}

impl core::fmt::Debug for TypeRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&**self, f)
    }
}

impl PartialEq<TypeInfo> for TypeRef {
    /// Identity: the same type.
    fn eq(&self, other: &TypeInfo) -> bool {
        ptr::eq(&**self, other)
    }
}

/// The type registered under `key`, if any: every derived type linked into the program,
/// and every runtime-defined type not yet unregistered.
///
/// ```
/// use rcobj::{registry, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.registry.by_key")]
/// struct Item;
///
/// // Found before its first instance exists.
/// let t = registry::by_key("doc.registry.by_key").unwrap();
/// assert!(t == *Item::type_info());
/// assert!(registry::by_key("doc.registry.by_key.missing").is_none());
/// ```
pub fn by_key(key: &str) -> Option<TypeRef> {
    if key == AnyObject::KEY {
        return Some(TypeRef::from_static(AnyObject::type_info()));
    }
    ensure_init();
    read_tables(|t| {
        t.by_key.get(key).map(|info| {
            // SAFETY: registered, under the lock: a runtime type still holds the registry's
            // bias, which `unregister` drops only after removing it here.
            unsafe { TypeRef::new_counted(info) }
        })
    })
}

/// The registered type with index `index`, if any.
///
/// ```
/// use rcobj::{registry, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.registry.by_index")]
/// struct Item;
///
/// let t = registry::by_index(Item::type_info().index()).unwrap();
/// assert_eq!(t.key(), "doc.registry.by_index");
/// assert_eq!(registry::by_index(rcobj::ANY_OBJECT_INDEX).unwrap().key(), "rcobj.Object");
/// assert!(registry::by_index(0).is_none());
/// assert!(registry::by_index(128).is_none()); // libtvm_ffi's first dynamic index, not ours
/// ```
pub fn by_index(index: i32) -> Option<TypeRef> {
    ensure_init();
    if index == ANY_OBJECT_INDEX {
        return Some(TypeRef::from_static(AnyObject::type_info()));
    }
    read_tables(|t| {
        let info = info_of_index(index)?;
        // A runtime type that was unregistered may still be in the index table (for its
        // live instances); it is handed out only while registered, like `by_key`.
        let registered = t.by_key.get(info.key()).is_some_and(|r| ptr::eq(*r, info));
        // SAFETY: registered, under the lock (see `by_key`).
        registered.then(|| unsafe { TypeRef::new_counted(info) })
    })
}

/// Every registered type, ordered by index ([`AnyObject`] first).
///
/// [`AnyObject`]: crate::AnyObject
///
/// ```
/// use rcobj::{registry, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.registry.all")]
/// struct Item;
///
/// let types = registry::all();
/// assert_eq!(types[0].key(), "rcobj.Object");
/// assert!(types.iter().any(|t| t.key() == "doc.registry.all"));
/// assert!(types.windows(2).all(|w| w[0].index() < w[1].index()));
/// ```
pub fn all() -> Vec<TypeRef> {
    ensure_init();
    let mut out = vec![TypeRef::from_static(AnyObject::type_info())];
    read_tables(|t| {
        let mut infos: Vec<&&'static TypeInfo> = t.by_key.values().collect();
        infos.sort_by_key(|i| i.index.load(Ordering::Relaxed));
        // SAFETY: registered, under the lock (see `by_key`).
        out.extend(
            infos
                .into_iter()
                .map(|i| unsafe { TypeRef::new_counted(i) }),
        );
    });
    out
}
