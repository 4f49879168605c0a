//! The type registry: index allocation and lookup by key or index.
//!
//! Every type that `#[derive(Object)]` emits is submitted at link time (a constructor in the
//! platform's constructor section, `__private::ctor!`, the mechanism of the `inventory`
//! crate with one `static` per type), so [`by_key`] finds it before its first instance
//! exists. Indices are assigned on the first use of the registry, all at once, in key
//! order: [`AnyObject`] is 64, derived types get [`FIRST_DYNAMIC_INDEX`] (2^24), the next
//! one, … — a range that libtvm_ffi's own type table never reaches (it numbers its dynamic
//! types from 128). With the `tvm-ffi` feature libtvm_ffi allocates every index instead,
//! parents first, from its 128 (one index space, see `rcobj::tvm_ffi`).
//!
//! Keys:
//!
//! * A type with the default key (its Rust path) that shares it with another type — two
//!   function-local `struct Node`s in one module — is registered under its *site key*
//!   instead, the path with the definition site appended
//!   (`module::Node@src/file.rs:12:5`); [`TypeInfo::key`] then returns that.
//! * Two types with one explicit key (or one the root's, `"rcobj.Object"`) are a real
//!   duplicate: neither is registered, and each use of either of them, or of the key in
//!   [`by_key`], panics with a message naming both Rust paths. Every other type keeps
//!   working.
//!
//! Reading a type's index afterwards is one relaxed load ([`TypeInfo::index`]); looking a
//! type up by index for a cast is one acquire load from a fixed table, no lock.
//!
//! # Libraries loaded at run time
//!
//! A `cdylib` loaded with `dlopen` carries its own statically linked copy of this runtime,
//! and so its own registry: its types are numbered from [`FIRST_DYNAMIC_INDEX`] in its copy,
//! independently of the host's, and the host's registry does not see them. Objects still
//! cross the boundary safely as raw headers (each carries its own deleter), which is what
//! the C ABI is for; but `is`/`downcast` across the two registries compare unrelated
//! indices. Use one shared `rcobj` dynamic library, or the C ABI, for plugins.
//!
//! [`AnyObject`]: crate::AnyObject

// Lifetimes. Static descriptors live forever; a runtime type's descriptor lives until the
// type is released. So the tables hold raw pointers, never `&'static TypeInfo`: the key
// table's entries are valid while they are in it (a runtime type leaves it in `unregister`,
// before it can be freed), and an index-table entry is valid while it is non-null, read
// under the registry lock (a runtime type's entry is cleared under the lock before it is
// freed) or through a live instance of the type (which keeps the type alive, see
// `info_of`).
//
// Lock order: the registry lock, then the thread list of `counts` (`register` lists a new
// runtime type under the registry lock); nothing takes the registry lock while holding the
// thread list.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cmp::Ordering as CmpOrdering;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::counts::{self, MAX_TYPES};
use crate::header::ObjectHeader;
use crate::type_info::{AnyObject, Object, TypeInfo, ANY_OBJECT_INDEX, FIRST_DYNAMIC_INDEX};

/// A link-time registration through `inventory`, as the derive emitted before it
/// registered a constructor per type (`__private::ctor!`); still collected. Not part of
/// the public API.
#[doc(hidden)]
pub struct Registration(pub &'static TypeInfo);

inventory::collect!(Registration);

/// The descriptors of the derived types linked into the program, pushed by the constructor
/// the derive registers for each (`__private::ctor!`, run before `main` or when a library is
/// loaded), linked through `TypeInfo::next_submitted`. One `static` per type in the user's
/// crate and one generic function instance, where `inventory::submit!` made a node, a
/// function and a `static` per type (BENCHMARKS.md, "Compile time of the derive").
static SUBMITTED: AtomicPtr<TypeInfo> = AtomicPtr::new(ptr::null_mut());

/// Links a derived type's descriptor into [`SUBMITTED`]. Lock-free, allocation-free and
/// panic-free: it runs in a constructor, before `main`. A second call for one type (a
/// constructor run twice, as a WebAssembly host may do) does nothing.
pub(crate) fn submit(info: &'static TypeInfo) {
    // Relaxed: only this flag's own value matters (one winner).
    if info.submitted.swap(true, Ordering::Relaxed) {
        return;
    }
    let node = ptr::from_ref(info).cast_mut();
    // Relaxed: the value is only a guess for the CAS below.
    let mut head = SUBMITTED.load(Ordering::Relaxed);
    loop {
        // Relaxed: published by the Release CAS below.
        info.next_submitted.store(head, Ordering::Relaxed);
        // Release: pairs with the Acquire load in `submitted`, so a reader that sees this
        // node sees its link (and, through the chain of RMWs, every earlier node's).
        match SUBMITTED.compare_exchange_weak(head, node, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => head = now,
        }
    }
}

/// Every submitted descriptor.
fn submitted() -> impl Iterator<Item = &'static TypeInfo> {
    // Acquire: pairs with the Release CAS of every `submit` (see there).
    let mut next = SUBMITTED.load(Ordering::Acquire);
    core::iter::from_fn(move || {
        // SAFETY: only `&'static TypeInfo`s are ever linked.
        let info: &'static TypeInfo = unsafe { next.as_ref()? };
        // Relaxed: ordered by the Acquire load above.
        next = info.next_submitted.load(Ordering::Relaxed);
        Some(info)
    })
}

/// Lock-free index → descriptor table for casts. An entry is published (Release) before
/// its index is handed out; a static type's never changes, a runtime type's is cleared
/// (under the registry lock) before the type is freed.
#[cfg(not(loom))]
static TABLE: [AtomicPtr<TypeInfo>; MAX_TYPES] =
    [const { AtomicPtr::new(ptr::null_mut()) }; MAX_TYPES];
// Under loom, one per execution, like the tables (models run in parallel), starting with
// the static types' entries.
#[cfg(loom)]
loom::lazy_static! {
    static ref TABLE: [AtomicPtr<TypeInfo>; MAX_TYPES] = {
        let table = [const { AtomicPtr::new(ptr::null_mut()) }; MAX_TYPES];
        publish_static(&table, loom_layout());
        table
    };
}

/// The depth of the type last published in each slot of the index table, for O(1)
/// instance checks by index (`depth_hint`, used by the C API's `rcobj_is_instance_of`).
/// Written before the slot's descriptor is published and never cleared: a stale depth (the
/// slot's runtime type was released, or the slot is unused) is harmless, because every
/// reader checks that the ancestor at that depth has the index it asked about.
static DEPTHS: [AtomicU32; MAX_TYPES] = [const { AtomicU32::new(0) }; MAX_TYPES];

/// Records the depth of the type about to be published in `slot`.
fn set_depth(slot: usize, info: &TypeInfo) {
    // Relaxed: the publication of the slot's descriptor (a Release store right after)
    // orders it before every reader that found the type through the table, or through a
    // descendant registered later under the registry lock (see `depth_hint`).
    DEPTHS[slot].store(info.depth() as u32, Ordering::Relaxed);
}

/// The depth of the type with `index`, if `index` is in this registry's range: right
/// whenever that type is an ancestor of an object the caller holds (the ancestor was
/// published, with its depth, before the object's type was registered). Otherwise it may
/// be any number, which the caller's check of the ancestor at that depth rejects.
#[inline]
pub(crate) fn depth_hint(index: i32) -> Option<usize> {
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32 as usize;
    // Relaxed: see above.
    DEPTHS.get(slot).map(|d| d.load(Ordering::Relaxed) as usize)
}

/// A key of the key table. It borrows from the type it names — a static, or a runtime
/// type's key buffer — by raw pointer, as the borrow is not `'static`.
#[derive(Clone, Copy)]
struct Key(NonNull<str>);

impl Key {
    fn of(key: &str) -> Key {
        Key(NonNull::from(key))
    }

    fn as_str(&self) -> &str {
        // SAFETY: a `Key` lives only in the key table, and an entry stays there only while
        // the type it borrows from is alive: static types forever, a runtime type until
        // `unregister_runtime` removes it, which happens before the type can be released.
        unsafe { self.0.as_ref() }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> CmpOrdering {
        self.as_str().cmp(other.as_str())
    }
}

impl Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// What the key table has under a key.
enum Entry {
    /// The registered type: a static, or a runtime type still registered (which still
    /// holds the registry's bias, so it is alive while it is here).
    Type(NonNull<TypeInfo>),
    /// Static types that claim one key. None of them is registered; each use panics.
    Clash(Vec<&'static TypeInfo>),
}

struct Tables {
    /// Every registered type by key, and every clash.
    by_key: BTreeMap<Key, Entry>,
    /// The next never-used slot.
    next: usize,
    /// Slots of released runtime types, reused last-in first-out.
    free: Vec<usize>,
}

// SAFETY: the tables hold pointers to `Sync` descriptors (and their keys), dereferenced
// only under the registry lock and within the lifetimes stated at each use.
unsafe impl Send for Tables {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for Tables {}

#[cfg(not(loom))]
static TABLES: crate::sync::Lock<Option<Tables>> = crate::sync::Lock::new(None);
#[cfg(not(loom))]
static INIT: crate::sync::Once<()> = crate::sync::Once::new();

/// Under loom the registry lock is loom's (so models may interleave registry calls) and
/// the tables are made afresh in every execution, from the static layout decided once per
/// process: whatever the static types need happens outside loom, in the first execution
/// that asks, so every execution runs the same loom operations.
#[cfg(loom)]
struct LoomLock(crate::sync::Mutex<Option<Tables>>);

#[cfg(loom)]
impl LoomLock {
    fn read(&self) -> crate::sync::MutexGuard<'_, Option<Tables>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> crate::sync::MutexGuard<'_, Option<Tables>> {
        self.read()
    }
}

#[cfg(loom)]
loom::lazy_static! {
    static ref TABLES: LoomLock = LoomLock(crate::sync::Mutex::new(None));
}

#[cfg(loom)]
static LAYOUT: std::sync::OnceLock<Result<StaticLayout, String>> = std::sync::OnceLock::new();

/// The static layout, decided (and the static types' indices assigned) once per process.
#[cfg(loom)]
fn loom_layout() -> &'static StaticLayout {
    let layout = LAYOUT.get_or_init(|| {
        let layout = static_layout();
        if let Ok(l) = &layout {
            assign_static_indices(l);
        }
        layout
    });
    match layout {
        Ok(l) => l,
        Err(message) => panic!("{message}"),
    }
}

/// Builds the registry on its first use: decides the static layout, publishes it, assigns
/// the indices. Panics (at every use) if more types are linked than the runtime supports.
#[cfg(not(loom))]
fn ensure_init() {
    INIT.get_or_init(|| {
        let layout = static_layout().unwrap_or_else(|message| panic!("{message}"));
        let mut guard = TABLES.write();
        publish_static(&TABLE, &layout);
        assign_static_indices(&layout);
        *guard = Some(tables_of(&layout));
    });
}

/// Makes sure every static type has its final key and index.
fn ensure_static() {
    #[cfg(not(loom))]
    ensure_init();
    #[cfg(loom)]
    loom_layout();
}

/// Runs `f` on the tables (read lock).
fn read_tables<R>(f: impl FnOnce(&Tables) -> R) -> R {
    #[cfg(not(loom))]
    ensure_init();
    #[allow(unused_mut)]
    let mut guard = TABLES.read();
    #[cfg(loom)]
    if guard.is_none() {
        *guard = Some(tables_of(loom_layout()));
    }
    f(guard.as_ref().expect("registry initialised"))
}

/// Runs `f` on the tables (write lock).
fn write_tables<R>(f: impl FnOnce(&mut Tables) -> R) -> R {
    #[cfg(not(loom))]
    ensure_init();
    let mut guard = TABLES.write();
    #[cfg(loom)]
    if guard.is_none() {
        *guard = Some(tables_of(loom_layout()));
    }
    f(guard.as_mut().expect("registry initialised"))
}

/// The message of a real duplicate: every Rust path that claims `key`.
fn clash_message(key: &str, names: &[&str]) -> String {
    let mut list = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            list.push_str(if i + 1 == names.len() { " and " } else { ", " });
        }
        list.push('`');
        list.push_str(name);
        list.push('`');
    }
    format!(
        "rcobj: the object types {list} all claim the type key `{key}`; none of them is \
         registered: give each its own `#[object(key = \"...\")]` (other types are not \
         affected)"
    )
}

/// The Rust paths of a clash's (static) members.
fn names_of(members: &[&'static TypeInfo]) -> Vec<&'static str> {
    members.iter().map(|t| t.rust_name()).collect()
}

/// What the registry decides about the linked (static) types, once per process: they
/// never change.
struct StaticLayout {
    /// The registered static types; a type's slot is its position (see [`slot`]).
    ///
    /// [`slot`]: StaticLayout::slot
    types: Vec<&'static TypeInfo>,
    /// With tvm-ffi, each type's slot, from the index libtvm_ffi allocated for it.
    #[cfg(feature = "tvm-ffi")]
    slots: Vec<usize>,
    /// Static types that claim one key (none of them registered), by key.
    clashes: Vec<Vec<&'static TypeInfo>>,
}

/// Decides the static layout: colliding default keys switched to site keys (the only
/// effect on the types themselves), real duplicates recorded as clashes, slots in key
/// order.
fn static_layout() -> Result<StaticLayout, String> {
    // The derive's constructors submit to `SUBMITTED`; `inventory` still collects any
    // `Registration` submitted the old way.
    let mut infos: Vec<&'static TypeInfo> = inventory::iter::<Registration>
        .into_iter()
        .map(|r| r.0)
        .chain(submitted())
        .collect();
    infos.sort_by_key(|t| ptr::from_ref(*t) as usize);
    infos.dedup_by(|a, b| ptr::eq(*a, *b));

    // A default key shared with any other type (or equal to the root's): every type that
    // has it as its default switches to its site key, before anything is published.
    let mut declared: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &infos {
        *declared.entry(t.declared_key()).or_default() += 1;
    }
    for t in &infos {
        let key = t.declared_key();
        if (declared[key] > 1 || key == AnyObject::KEY) && t.site_key().is_some() {
            // Relaxed: the `Once` of the first registry use orders it before every later
            // registry use, and before the Release store of the type's index.
            t.uses_site_key.store(true, Ordering::Relaxed);
        }
    }

    infos.sort_by(|a, b| {
        a.current_key()
            .cmp(b.current_key())
            .then(a.rust_name().cmp(b.rust_name()))
    });
    let mut layout = StaticLayout {
        types: Vec::new(),
        #[cfg(feature = "tvm-ffi")]
        slots: Vec::new(),
        clashes: Vec::new(),
    };
    for group in infos.chunk_by(|a, b| a.current_key() == b.current_key()) {
        if group.len() == 1 && group[0].current_key() != AnyObject::KEY {
            layout.types.push(group[0]);
        } else {
            let mut members = group.to_vec();
            if group[0].current_key() == AnyObject::KEY {
                members.insert(0, AnyObject::type_info());
            }
            layout.clashes.push(members);
        }
    }
    if layout.types.len() > MAX_TYPES {
        return Err(format!(
            "rcobj: {} object types are linked, more than the {MAX_TYPES} supported",
            layout.types.len()
        ));
    }
    #[cfg(feature = "tvm-ffi")]
    tvm_ffi_slots(&mut layout);
    Ok(layout)
}

/// With tvm-ffi, the static types' indices come from libtvm_ffi (parents first). A type
/// it refuses (its key is taken there) is left unregistered, like a clash: each use of it
/// panics with the reason (`register_late` asks again); other types are not affected.
#[cfg(feature = "tvm-ffi")]
fn tvm_ffi_slots(layout: &mut StaticLayout) {
    let indices = crate::tvm_ffi::types::alloc_static(&layout.types);
    let mut types = Vec::with_capacity(layout.types.len());
    for (info, index) in layout.types.iter().zip(indices) {
        if let Some(slot) = index.ok().and_then(slot_of_index) {
            types.push(*info);
            layout.slots.push(slot);
        }
    }
    layout.types = types;
}

/// The slot of a tvm-ffi index, if the index table has room for it.
#[cfg(feature = "tvm-ffi")]
fn slot_of_index(index: i32) -> Option<usize> {
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32 as usize;
    (slot < MAX_TYPES).then_some(slot)
}

impl StaticLayout {
    /// The slot of `types[i]`.
    fn slot(&self, i: usize) -> usize {
        #[cfg(feature = "tvm-ffi")]
        return self.slots[i];
        #[cfg(not(feature = "tvm-ffi"))]
        i
    }
}

/// Enters the static types in an index table.
fn publish_static(table: &[AtomicPtr<TypeInfo>; MAX_TYPES], layout: &StaticLayout) {
    for (i, info) in layout.types.iter().enumerate() {
        let slot = layout.slot(i);
        set_depth(slot, info);
        // Release: pairs with the Acquire load in `info_ptr`.
        table[slot].store(ptr::from_ref(*info).cast_mut(), Ordering::Release);
    }
}

/// Gives the static types their indices (after `publish_static`).
fn assign_static_indices(layout: &StaticLayout) {
    for (i, info) in layout.types.iter().enumerate() {
        let slot = layout.slot(i);
        // Release: pairs with the Acquire re-load in `index_slow`; a reader that then looks
        // the index up finds the entry published before.
        info.index
            .store(FIRST_DYNAMIC_INDEX + slot as i32, Ordering::Release);
    }
}

/// The key table of the static layout.
fn tables_of(layout: &StaticLayout) -> Tables {
    let mut by_key = BTreeMap::new();
    for info in &layout.types {
        by_key.insert(
            Key::of(info.current_key()),
            Entry::Type(NonNull::from(*info)),
        );
    }
    for members in &layout.clashes {
        // Every member has the key (the root too, in a clash over its key).
        let key = members[0].current_key();
        by_key.insert(Key::of(key), Entry::Clash(members.clone()));
    }
    Tables {
        by_key,
        next: layout.types.len(),
        free: Vec::new(),
    }
}

/// Gives `info` the index of `slot` and enters it in both tables. Caller holds the tables
/// exclusively; `info` is complete and stays alive while it is in them (a static, or a
/// runtime type whose reference state already holds the registry's bias).
fn publish(tables: &mut Tables, slot: usize, info: NonNull<TypeInfo>) -> i32 {
    let index = FIRST_DYNAMIC_INDEX + slot as i32;
    // SAFETY: alive, per the caller.
    let info_ref = unsafe { info.as_ref() };
    set_depth(slot, info_ref);
    // Release: pairs with the Acquire load in `info_ptr`, so a reader that finds the
    // pointer sees the whole descriptor.
    TABLE[slot].store(info.as_ptr(), Ordering::Release);
    // Release: pairs with the Acquire re-load in `index_slow`.
    info_ref.index.store(index, Ordering::Release);
    tables
        .by_key
        .insert(Key::of(info_ref.current_key()), Entry::Type(info));
    index
}

/// Registers a static type that was not submitted at link time (a hand-written `Object`
/// impl, or a platform where link-time collection is unavailable), or explains why it
/// cannot be: it is one of a clash, or its key is taken.
fn register_late(tables: &mut Tables, info: &'static TypeInfo) -> Result<i32, String> {
    // Re-check under the lock: another thread may have registered it meanwhile.
    // Acquire: pairs with the Release store in `publish`.
    let index = info.index.load(Ordering::Acquire);
    if index >= 0 {
        return Ok(index);
    }
    loop {
        let key = info.current_key();
        let taken_by = match tables.by_key.get(key) {
            None if key != AnyObject::KEY => break,
            None => vec![AnyObject::type_info().rust_name().to_owned()],
            Some(Entry::Clash(members)) => {
                if members.iter().any(|m| ptr::eq(*m, info)) {
                    return Err(clash_message(key, &names_of(members)));
                }
                names_of(members)
                    .into_iter()
                    .map(ToOwned::to_owned)
                    .collect()
            }
            // SAFETY: registered, under the lock: alive (see `Entry::Type`). The name is
            // copied while we hold the lock.
            Some(Entry::Type(other)) => vec![unsafe { other.as_ref() }.rust_name().to_owned()],
        };
        // Taken. A default key gives way to the site key; an explicit key fails this type
        // only (the one already registered keeps working).
        // Relaxed: as in `build`.
        if info.site_key().is_some() && !info.uses_site_key.load(Ordering::Relaxed) {
            info.uses_site_key.store(true, Ordering::Relaxed);
            continue;
        }
        let mut names: Vec<&str> = taken_by.iter().map(String::as_str).collect();
        names.push(info.rust_name());
        return Err(clash_message(key, &names));
    }
    #[cfg(feature = "tvm-ffi")]
    let slot = tvm_ffi_slot(info)?;
    #[cfg(not(feature = "tvm-ffi"))]
    let slot =
        take_slot(tables).ok_or_else(|| format!("rcobj: more than {MAX_TYPES} object types"))?;
    Ok(publish(tables, slot, NonNull::from(info)))
}

/// With tvm-ffi, the slot of the index libtvm_ffi allocates for `info` (whose parent is
/// registered). Slots are never recycled then: tvm-ffi keeps a key's index for the life of
/// the process, and gives it back only to a type of that key — once its earlier type of
/// that key is released. Caller holds the tables exclusively.
#[cfg(feature = "tvm-ffi")]
fn tvm_ffi_slot(info: &TypeInfo) -> Result<usize, String> {
    let index = crate::tvm_ffi::types::alloc_for(info)?;
    let slot = slot_of_index(index).ok_or_else(|| {
        format!(
            "rcobj: libtvm_ffi gave `{}` the index {index}, past rcobj's {MAX_TYPES} indices \
             from {FIRST_DYNAMIC_INDEX}",
            info.key()
        )
    })?;
    // Acquire: pairs with the Release stores of the table.
    if !TABLE[slot].load(Ordering::Acquire).is_null() {
        return Err(format!(
            "rcobj: the type key `{}` belonged to a runtime type that is not released yet \
             (tvm-ffi gives a key's index back only to that key)",
            info.key()
        ));
    }
    Ok(slot)
}

/// A free slot: a recycled one first, else the next never-used one.
#[cfg_attr(feature = "tvm-ffi", allow(dead_code))]
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
    /// The key is taken: the Rust paths of the types that have it (`"<runtime type>"` for
    /// a runtime type), copied under the registry lock.
    Duplicate(String),
    /// No index is free.
    #[cfg_attr(feature = "tvm-ffi", allow(dead_code))]
    Full,
    /// libtvm_ffi refused the type (the reason).
    #[cfg(feature = "tvm-ffi")]
    TvmFfi(String),
}

/// Registers a runtime type, all under the registry lock: checks the key, reserves an
/// index and stores it in `info`, calls `complete(slot)` (which must make the type complete:
/// listed for the per-thread merges), then publishes it. No other thread can find the type
/// before `complete` returns. Nothing is registered on error.
///
/// # Safety
///
/// `info` is a runtime type's descriptor that no other thread can reach yet, alive until it
/// is released; its reference state already counts the registry's bias.
pub(crate) unsafe fn register_runtime(
    info: NonNull<TypeInfo>,
    complete: impl FnOnce(usize),
) -> Result<(), RegisterError> {
    write_tables(|tables| {
        // SAFETY: alive, per the caller.
        let key = unsafe { info.as_ref() }.current_key();
        if key == AnyObject::KEY {
            return Err(RegisterError::Duplicate(
                AnyObject::type_info().rust_name().to_owned(),
            ));
        }
        match tables.by_key.get(key) {
            None => {}
            Some(Entry::Type(other)) => {
                // SAFETY: registered, under the lock: alive (see `Entry::Type`). The name
                // is copied now, while the lock keeps the other type registered.
                let name = unsafe { other.as_ref() }.rust_name().to_owned();
                return Err(RegisterError::Duplicate(name));
            }
            Some(Entry::Clash(members)) => {
                return Err(RegisterError::Duplicate(names_of(members).join(" and ")));
            }
        }
        #[cfg(feature = "tvm-ffi")]
        // SAFETY: alive, per the caller.
        let slot = tvm_ffi_slot(unsafe { info.as_ref() }).map_err(RegisterError::TvmFfi)?;
        #[cfg(not(feature = "tvm-ffi"))]
        let slot = take_slot(tables).ok_or(RegisterError::Full)?;
        complete(slot);
        publish(tables, slot, info);
        Ok(())
    })
}

/// Removes a runtime type from the key table (it stays reachable by index for its live
/// instances until it is released). Returns whether it was registered.
pub(crate) fn unregister_runtime(info: &TypeInfo) -> bool {
    write_tables(|tables| match tables.by_key.get(info.current_key()) {
        Some(Entry::Type(t)) if ptr::eq(t.as_ptr(), info) => {
            tables.by_key.remove(info.current_key());
            true
        }
        _ => false,
    })
}

/// Recycles the slot of a released runtime type: no instance, handle or slot count of it
/// remains. Its index-table entry is cleared under the lock, before the caller frees it.
pub(crate) fn release_runtime(info: &TypeInfo) {
    let slot = (info.index() - FIRST_DYNAMIC_INDEX) as usize;
    write_tables(|tables| {
        debug_assert!(!tables
            .by_key
            .values()
            .any(|e| matches!(e, Entry::Type(t) if ptr::eq(t.as_ptr(), info))));
        // Release: pairs with the Acquire load in `info_ptr` (readers under the lock see
        // null from now on; no instance of the type is left to look it up without it).
        TABLE[slot].store(ptr::null_mut(), Ordering::Release);
        // With tvm-ffi the slot stays with the key (see `tvm_ffi_slot`).
        if cfg!(not(feature = "tvm-ffi")) {
            tables.free.push(slot);
        }
    });
}

impl TypeInfo {
    /// The type key, unique in the program (e.g. `"demo.Shape"`).
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.type_info.key.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.type_info.key.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// assert_eq!(Circle::type_info().key(), "doc.type_info.key.Circle");
    /// assert_eq!(AnyObject::type_info().key(), "rcobj.Object");
    /// ```
    ///
    /// The key is `&'static` for every type: a derived type's is a string literal, and a
    /// runtime type's is interned when the type is registered (kept for the rest of the
    /// program, once per distinct key, so registering and releasing types under the same
    /// keys again and again allocates nothing more). So it outlives the descriptor:
    ///
    /// ```
    /// use rcobj::{registry, RuntimeTypeBuilder};
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.type_info.key.Runtime").register().unwrap();
    /// let key: Option<&'static str> =
    ///     registry::by_key("doc.type_info.key.Runtime").map(|t| t.key());
    /// ty.unregister();
    /// drop(ty); // the type is released...
    /// assert_eq!(key, Some("doc.type_info.key.Runtime")); // ...its key is still valid
    /// ```
    #[inline]
    pub fn key(&self) -> &'static str {
        let Some(site) = self.site_key() else {
            return self.declared_key();
        };
        // A default key: the registry decides, when it is built, whether it collides with
        // another definition's and then switches it to the site key. Build it first, so
        // that a key read before the registry's first use is the key for good.
        ensure_static();
        // Relaxed: the flag was set under the registry lock before `ensure_static`
        // returned here (its `Once` orders the two), and never changes afterwards.
        if self.uses_site_key.load(Ordering::Relaxed) {
            site
        } else {
            self.declared_key()
        }
    }

    /// The type's index: [`AnyObject`] is 64, derived types
    /// [`FIRST_DYNAMIC_INDEX`](crate::FIRST_DYNAMIC_INDEX) and up.
    ///
    /// One relaxed load once the registry is initialised; the first call in the program
    /// assigns every linked type its index.
    ///
    /// # Panics
    ///
    /// If the type shares its key with another type (both declared it explicitly): the
    /// message names both Rust paths. Other types are not affected.
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
        // through `info_ptr`, which synchronises on its own.
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
        // A runtime type is built with its index (before it can be seen), so only static
        // types come here.
        assert!(!self.is_runtime(), "rcobj: a runtime type without an index");
        ensure_static();
        // Acquire: pairs with the Release store in `assign_static_indices` / `publish`.
        let index = self.index.load(Ordering::Acquire);
        if index >= 0 {
            return index;
        }
        let info = static_ref(self);
        match write_tables(|tables| register_late(tables, info)) {
            Ok(index) => index,
            // Panic after the lock is released.
            Err(message) => panic!("{message}"),
        }
    }

    /// The number of live instances whose most-derived type is this one (a `Circle` counts
    /// for `Circle`, not for its parent `Shape`).
    ///
    /// The sum of the shared count and every live thread's slot; exact when no instance
    /// of this type is being created or destroyed concurrently.
    ///
    /// An instance is counted from its creation until its value is dropped (its strong
    /// phase), for Rust and runtime-defined types alike: a [`WeakObj`](crate::WeakObj)
    /// keeps the memory, not the count. (A runtime type's instances keep the type alive
    /// until their memory is freed: see
    /// [`RuntimeType::allocated_count`](crate::RuntimeType::allocated_count).)
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
        let live = match self.runtime_state() {
            None => counts::live(self.index()),
            Some(state) => counts::live_runtime(&state.rc),
        };
        usize::try_from(live).unwrap_or(0)
    }
}

/// A static descriptor with its real lifetime.
///
/// Only for static types (`!info.is_runtime()`, checked by the callers): they are built by
/// `unsafe fn TypeInfo::__new`, whose contract is that the result initialises a `static`
/// (the root is one too), and `TypeInfo` is neither `Clone` nor `Default`; so they live
/// for the rest of the program. A runtime type's descriptor is never widened.
fn static_ref(info: &TypeInfo) -> &'static TypeInfo {
    debug_assert!(!info.is_runtime());
    // SAFETY: see above.
    unsafe { &*ptr::from_ref(info) }
}

/// The descriptor for a type index, or `None` for an index no type of this registry has
/// (a foreign object's, or a released runtime type's). Lock-free.
///
/// A raw pointer: a runtime type's descriptor is valid only while the type is alive. Use
/// [`info_of`] for an object's type.
#[inline]
pub(crate) fn info_ptr(index: i32) -> Option<NonNull<TypeInfo>> {
    if index == ANY_OBJECT_INDEX {
        return Some(NonNull::from(AnyObject::type_info()));
    }
    let own = own_ptr(index);
    #[cfg(feature = "tvm-ffi")]
    if own.is_none() {
        // One of libtvm_ffi's own types (lock-free once it has been looked up).
        return crate::tvm_ffi::types::foreign_by_index(index).map(NonNull::from);
    }
    own
}

/// The descriptor of a type of this registry (not a foreign one) for `index`. Lock-free.
#[inline(always)]
fn own_ptr(index: i32) -> Option<NonNull<TypeInfo>> {
    let slot = index.wrapping_sub(FIRST_DYNAMIC_INDEX) as u32 as usize;
    let entry = TABLE.get(slot)?;
    // Acquire: pairs with the Release store in `publish`.
    NonNull::new(entry.load(Ordering::Acquire))
}

/// The descriptor of an object's real type, borrowed for as long as its header is, or
/// `None` for a foreign object (an index this registry did not hand out). Lock-free.
///
/// The borrow is what makes it valid: the header is that of a live block (every
/// `&ObjectHeader` the crate makes comes from a handle or the block itself), whose type
/// index this registry gave the object's real type (the contract of `Obj::from_raw` for
/// objects that come back from foreign code). A static type lives forever; a runtime type
/// lives at least until its instance's memory is freed (the instance holds a reference to
/// it until then), which cannot happen while the header is borrowed.
#[inline]
pub(crate) fn info_of(header: &ObjectHeader) -> Option<&TypeInfo> {
    // SAFETY: see above.
    info_ptr(header.type_index()).map(|p| unsafe { p.as_ref() })
}

/// [`info_of`] for the types of this registry only (`None` for a foreign object, the
/// root's index included): one bounds check and one acquire load, for the inline paths
/// of `behaviour`.
#[inline(always)]
pub(crate) fn own_info_of(header: &ObjectHeader) -> Option<&TypeInfo> {
    // SAFETY: as for `info_of`.
    own_ptr(header.type_index()).map(|p| unsafe { p.as_ref() })
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
    info: NonNull<TypeInfo>,
}

// SAFETY: a shared reference to a `Sync` descriptor plus, for a runtime type, a count that
// any thread may drop.
unsafe impl Send for TypeRef {}
// SAFETY: as above.
unsafe impl Sync for TypeRef {}

impl TypeRef {
    fn from_static(info: &'static TypeInfo) -> TypeRef {
        TypeRef {
            info: NonNull::from(info),
        }
    }

    /// Wraps a descriptor, taking a counted reference if it is a runtime type.
    ///
    /// # Safety
    ///
    /// The type is alive during the call (still registered under the registry lock, or
    /// referenced by the caller).
    pub(crate) unsafe fn new_counted(info: &TypeInfo) -> TypeRef {
        if let Some(state) = info.runtime_state() {
            // SAFETY: alive per the caller.
            unsafe { counts::type_handle_inc(&state.rc) };
        }
        TypeRef {
            info: NonNull::from(info),
        }
    }

    /// Wraps a runtime type's descriptor, taking over a counted reference the caller owns
    /// (the one a new type's reference state starts with for `register`).
    ///
    /// # Safety
    ///
    /// `info` is a live runtime type's descriptor and the caller hands over one counted
    /// handle reference to it.
    pub(crate) unsafe fn adopt(info: NonNull<TypeInfo>) -> TypeRef {
        TypeRef { info }
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
        // The state pointer is copied out of the descriptor first: the release may free it.
        let state = self.rc;
        if !state.is_null() {
            // SAFETY: we own a counted reference and touch the type no more; the state's
            // first field is the reference state (`RuntimeState` is `repr(C)`).
            unsafe { counts::type_handle_dec(state.cast::<counts::TypeRc>()) };
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
/// # Panics
///
/// If `key` is claimed by two types that both declared it explicitly (a real duplicate):
/// the message names both Rust paths.
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
    let found = read_tables(|t| match t.by_key.get(key) {
        None => Ok(None),
        // SAFETY: registered, under the lock: alive (see `Entry::Type`).
        Some(Entry::Type(info)) => Ok(Some(unsafe { TypeRef::new_counted(info.as_ref()) })),
        Some(Entry::Clash(members)) => Err(clash_message(key, &names_of(members))),
    });
    // Panic after the lock is released.
    let found = found.unwrap_or_else(|message| panic!("{message}"));
    #[cfg(feature = "tvm-ffi")]
    if found.is_none() {
        // One of libtvm_ffi's own types, or `ffi.Object` (the root).
        return crate::tvm_ffi::types::foreign_by_key(key).map(TypeRef::from_static);
    }
    found
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
/// if !cfg!(feature = "tvm-ffi") {
///     assert!(registry::by_index(128).is_none()); // libtvm_ffi's first dynamic index, not ours
/// }
/// ```
pub fn by_index(index: i32) -> Option<TypeRef> {
    if index == ANY_OBJECT_INDEX {
        return Some(TypeRef::from_static(AnyObject::type_info()));
    }
    let own = read_tables(|t| {
        let p = own_ptr(index)?;
        // SAFETY: non-null in the index table while we hold the registry lock: a runtime
        // type's entry is cleared under the lock before the type is freed.
        let info = unsafe { p.as_ref() };
        // A runtime type that was unregistered may still be in the index table (for its
        // live instances); it is handed out only while registered, like `by_key`.
        let registered =
            matches!(t.by_key.get(info.current_key()), Some(Entry::Type(r)) if *r == p);
        // SAFETY: registered, under the lock (see `by_key`).
        registered.then(|| unsafe { TypeRef::new_counted(info) })
    });
    #[cfg(feature = "tvm-ffi")]
    if own.is_none() && own_ptr(index).is_none() {
        // One of libtvm_ffi's own types.
        return crate::tvm_ffi::types::foreign_by_index(index).map(TypeRef::from_static);
    }
    own
}

/// Every registered type, ordered by index ([`AnyObject`] first). Types of a key clash are
/// not registered, so not listed.
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
    let mut out = vec![TypeRef::from_static(AnyObject::type_info())];
    read_tables(|t| {
        let mut infos: Vec<&TypeInfo> = t
            .by_key
            .values()
            .filter_map(|e| match e {
                // SAFETY: registered, under the lock: alive (see `Entry::Type`).
                Entry::Type(info) => Some(unsafe { info.as_ref() }),
                Entry::Clash(_) => None,
            })
            .collect();
        // Relaxed: published under the lock we hold.
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
