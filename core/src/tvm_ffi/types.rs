//! One index space: every rcobj type index is allocated by libtvm_ffi
//! (`TVMFFITypeGetOrAllocIndex`), and libtvm_ffi's own types (`ffi.Array`, `ffi.Function`,
//! …) are mirrored as foreign types, so both type tables agree on every index, key, depth
//! and ancestor.
//!
//! libtvm_ffi's type table is not locked: every call rcobj makes into it (allocation,
//! reflection registration, reading entries) holds [`lock`]. Other users of the table in the
//! process (C++ static initialisers, Python registering its classes with the GIL held) do
//! not take it; they register at load time or from Python, and rcobj registers its linked
//! types all at once when its registry is first used.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::any::Any;
use super::function::Function;
use super::sys::{self, ByteArray};
use crate::{AnyObject, Object, TypeInfo};

/// Serialises rcobj's use of libtvm_ffi's type table.
static LOCK: Mutex<()> = Mutex::new(());

std::thread_local! {
    /// Whether this thread holds [`LOCK`]. Code under the lock must not wait for the
    /// registry (which may be waiting for the lock); lookups made while it is held (from a
    /// message, say) answer without it.
    static HELD: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// The type lock, held.
pub(crate) struct Held {
    _guard: MutexGuard<'static, ()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        HELD.with(|h| h.set(false));
    }
}

/// Takes the type lock (a poisoned lock is taken anyway: the table itself is consistent
/// after every call). Lock order: the registry lock, then this one.
pub(crate) fn lock() -> Held {
    let guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    HELD.with(|h| h.set(true));
    Held { _guard: guard }
}

/// Whether this thread holds the type lock.
pub(crate) fn held() -> bool {
    HELD.with(core::cell::Cell::get)
}

/// What rcobj allocated in tvm-ffi's table, by key: the index and what it was allocated
/// for, so a runtime type registered again under its key gets its index back only if it
/// describes the same type (tvm-ffi never frees an index, nor forgets reflection).
struct Allocated {
    index: i32,
    fingerprint: String,
}

struct State {
    allocated: BTreeMap<String, Allocated>,
    /// tvm-ffi's own types, mirrored: index → descriptor (leaked, like a static's).
    foreign: BTreeMap<i32, &'static TypeInfo>,
    foreign_by_key: BTreeMap<String, &'static TypeInfo>,
    /// How many keys tvm-ffi's table had at the last full scan.
    scanned_keys: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    allocated: BTreeMap::new(),
    foreign: BTreeMap::new(),
    foreign_by_key: BTreeMap::new(),
    scanned_keys: 0,
});

fn state() -> MutexGuard<'static, State> {
    STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The index tvm-ffi has for `key`, if any (a query: allocates nothing).
///
/// The caller holds [`lock`].
pub(crate) fn query_index(key: &str) -> Option<i32> {
    let k = ByteArray::of(key);
    // SAFETY: `k` borrows `key`; parent -2 only queries and never fails.
    let index = unsafe { sys::TVMFFITypeGetOrAllocIndex(&k, -1, 0, 0, 0, -2) };
    (index >= 0).then_some(index)
}

/// tvm-ffi's entry for an index known to be in its table.
///
/// # Safety
///
/// `index` is in the table (a missing one ends the process); the caller holds [`lock`].
unsafe fn entry(index: i32) -> &'static sys::TypeInfoC {
    // SAFETY: per the caller; entries are never freed.
    unsafe { &*sys::TVMFFIGetTypeInfo(index) }
}

/// The key of an entry.
///
/// # Safety
///
/// As for [`entry`].
unsafe fn key_of(e: &sys::TypeInfoC) -> String {
    // SAFETY: the entry's key bytes live as long as the entry.
    String::from_utf8_lossy(unsafe { e.type_key.bytes() }).into_owned()
}

/// The key of a parent as tvm-ffi knows it (`ffi.Object` for rcobj's root).
fn ffi_key(info: &TypeInfo) -> &str {
    super::convert::ffi_key(info)
}

/// Allocates the tvm-ffi index of a type: `key` at `depth` (rcobj's root is 0), child of
/// `parent` (already allocated). `fingerprint` describes the type (layout and fields), so
/// that a runtime type registered again under a key rcobj allocated before gets its index
/// back only if it is the same type.
///
/// Errors, each naming the key: the key is already in tvm-ffi's table for a type rcobj did
/// not allocate (with its parent when that differs from `parent`: "another parent"), was
/// allocated by rcobj for a different type, or the parent is not where rcobj expects it.
///
/// The caller holds [`lock`].
fn alloc_index(
    key: &str,
    depth: usize,
    parent: &TypeInfo,
    parent_index: i32,
    fingerprint: String,
) -> Result<i32, String> {
    let mut st = state();
    if let Some(existing) = query_index(key) {
        if let Some(a) = st.allocated.get(key) {
            if a.index == existing && a.fingerprint == fingerprint {
                return Ok(existing);
            }
            return Err(format!(
                "rcobj: the type key `{key}` was registered with tvm-ffi earlier in this process \
                 for a different type (tvm-ffi keeps a key's index and fields for the life of \
                 the process); use another key"
            ));
        }
        // SAFETY: `existing` is in the table (the query found it).
        let e = unsafe { entry(existing) };
        let depth_there = usize::try_from(e.type_depth).unwrap_or(0);
        let parent_there = if depth_there == 0 {
            String::from("none (a root)")
        } else {
            // SAFETY: an entry's ancestors are entries, `type_depth` of them.
            unsafe { format!("`{}`", key_of(&**e.type_ancestors.add(depth_there - 1))) }
        };
        let wanted = format!("`{}`", ffi_key(parent));
        if parent_there != wanted {
            return Err(format!(
                "rcobj: the type key `{key}` is already registered in tvm-ffi (index {existing}) \
                 with another parent, {parent_there}, not {wanted}; give the rcobj type another key"
            ));
        }
        return Err(format!(
            "rcobj: the type key `{key}` is already registered in tvm-ffi (index {existing}) by \
             another runtime (tvm-ffi itself, Python, or another copy of rcobj); give the rcobj \
             type another key"
        ));
    }
    match query_index(ffi_key(parent)) {
        Some(i) if i == parent_index => {}
        found => {
            return Err(format!(
                "rcobj: cannot register `{key}` with tvm-ffi: its parent `{}` has index \
                 {parent_index} in rcobj but {found:?} in tvm-ffi",
                ffi_key(parent)
            ))
        }
    }
    // SAFETY: the parent is in the table (just queried).
    let parent_depth = unsafe { entry(parent_index) }.type_depth;
    let depth = i32::try_from(depth).map_err(|_| format!("rcobj: `{key}` is too deep"))?;
    if parent_depth + 1 != depth {
        return Err(format!(
            "rcobj: cannot register `{key}` with tvm-ffi: depth {depth}, but its parent has \
             depth {parent_depth} there"
        ));
    }
    let k = ByteArray::of(key);
    // SAFETY: a new key under an existing parent at the parent's depth + 1, which tvm-ffi's
    // checks accept (they end the process otherwise; everything was checked above). No
    // reserved child slots; children overflow into new indices.
    let index = unsafe { sys::TVMFFITypeGetOrAllocIndex(&k, -1, depth, 0, 1, parent_index) };
    if index < sys::K_STATIC_OBJECT_BEGIN {
        return Err(format!("rcobj: tvm-ffi returned index {index} for `{key}`"));
    }
    st.allocated
        .insert(key.into(), Allocated { index, fingerprint });
    Ok(index)
}

/// Allocates the tvm-ffi index of a type that the registry is about to register (its
/// parent registered before it). The caller holds the registry lock.
pub(crate) fn alloc_for(info: &TypeInfo) -> Result<i32, String> {
    let key = info.current_key();
    let parent = info
        .parent()
        .ok_or_else(|| format!("rcobj: `{key}` has no parent"))?;
    // Acquire: pairs with the registry's Release store of the parent's index. Read
    // directly: `index()` could re-enter the registry, whose lock the caller holds.
    let parent_index = parent.index.load(Ordering::Acquire);
    if parent_index < 0 {
        return Err(format!(
            "rcobj: `{key}` cannot be registered: its parent `{}` is not registered",
            parent.current_key()
        ));
    }
    let _lock = lock();
    let index = alloc_index(key, info.depth(), parent, parent_index, fingerprint(info))?;
    let creator = if info.is_runtime() {
        None
    } else {
        creator_of(info)
    };
    export(info, index, creator)?;
    Ok(index)
}

/// What a type is, for telling a runtime type registered again under its key from another.
fn fingerprint(info: &TypeInfo) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}",
        info.depth(),
        info.parent().map_or("", ffi_key),
        info.size(),
        info.align(),
        info.is_runtime(),
        super::export::fields_fingerprint(info)
    )
}

/// The creator the derive put in a static type's behaviour table, if it is
/// `Default + Send + Sync`.
fn creator_of(info: &TypeInfo) -> Option<crate::tvm_ffi_probe::Creator> {
    info.behaviour().creator()
}

/// Registers the type's reflection with tvm-ffi (once); a failure refuses the type.
fn export(
    info: &TypeInfo,
    index: i32,
    creator: Option<crate::tvm_ffi_probe::Creator>,
) -> Result<(), String> {
    super::export::export_type(info, index, creator).map_err(|e| {
        format!(
            "rcobj: tvm-ffi did not take the reflection of `{}`: {e}",
            info.current_key()
        )
    })
}

/// Allocates the tvm-ffi indices of the linked (static) types, parents first; one result
/// per type, in the order given. A type whose parent was refused (or is not among them and
/// not the root) is refused too. The caller holds the registry lock.
pub(crate) fn alloc_static(types: &[&'static TypeInfo]) -> Vec<Result<i32, String>> {
    let mut order: Vec<usize> = (0..types.len()).collect();
    order.sort_by_key(|&i| types[i].depth());
    let mut results: Vec<Option<Result<i32, String>>> = types.iter().map(|_| None).collect();
    let mut index_of: BTreeMap<usize, i32> = BTreeMap::new();
    index_of.insert(
        core::ptr::from_ref(AnyObject::type_info()) as usize,
        sys::K_OBJECT,
    );
    let _lock = lock();
    for i in order {
        let info = types[i];
        let key = info.current_key();
        let result = match info.parent() {
            None => Err(format!("rcobj: `{key}` has no parent")),
            Some(parent) => match index_of.get(&(core::ptr::from_ref(parent) as usize)) {
                None => Err(format!(
                    "rcobj: `{key}` cannot be registered: its parent `{}` is not registered",
                    parent.current_key()
                )),
                Some(&parent_index) => {
                    alloc_index(key, info.depth(), parent, parent_index, fingerprint(info))
                        .and_then(|index| export(info, index, creator_of(info)).map(|()| index))
                }
            },
        };
        if let Ok(index) = result {
            index_of.insert(core::ptr::from_ref(info) as usize, index);
        }
        results[i] = Some(result);
    }
    results
        .into_iter()
        .map(|r| r.expect("every type visited"))
        .collect()
}

/// Mirrored foreign types by index, for lock-free lookups once mirrored: each entry is set
/// once (Release) to a leaked descriptor and never changes.
static FOREIGN: [AtomicPtr<TypeInfo>; FOREIGN_CACHE] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; FOREIGN_CACHE];
const FOREIGN_CACHE: usize = crate::FIRST_DYNAMIC_INDEX as usize + crate::MAX_TYPES;

/// A descriptor for one of tvm-ffi's own types, by index (`None`: tvm-ffi has no such type,
/// or rcobj allocated it — the registry knows those). Lock-free once the type is mirrored.
pub(crate) fn foreign_by_index(index: i32) -> Option<&'static TypeInfo> {
    if index == sys::K_OBJECT {
        return Some(AnyObject::type_info());
    }
    let cached = usize::try_from(index).ok().and_then(|i| FOREIGN.get(i));
    // Acquire: pairs with the Release store in `mirror`.
    if let Some(p) = cached
        .map(|c| c.load(Ordering::Acquire))
        .filter(|p| !p.is_null())
    {
        // SAFETY: entries are leaked descriptors, never freed.
        return Some(unsafe { &*p });
    }
    if index < sys::K_STATIC_OBJECT_BEGIN || held() {
        return None;
    }
    let _lock = lock();
    if let Some(t) = state().foreign.get(&index).copied() {
        return Some(t);
    }
    scan();
    state().foreign.get(&index).copied()
}

/// A descriptor for one of tvm-ffi's own types, by key.
pub(crate) fn foreign_by_key(key: &str) -> Option<&'static TypeInfo> {
    if key == "ffi.Object" {
        return Some(AnyObject::type_info());
    }
    if held() {
        return None;
    }
    let _lock = lock();
    if let Some(t) = state().foreign_by_key.get(key).copied() {
        return Some(t);
    }
    let index = query_index(key)?;
    mirror(index)
}

/// Mirrors every type tvm-ffi has that is not mirrored yet, if its table grew since the
/// last scan. The caller holds [`lock`].
fn scan() {
    static KEYS: std::sync::OnceLock<Option<Function>> = std::sync::OnceLock::new();
    let Some(keys_fn) = KEYS.get_or_init(|| Function::get_global("ffi.GetRegisteredTypeKeys"))
    else {
        return;
    };
    let Ok(keys) = keys_fn.call(&[]).and_then(|a: Any| a.to::<Vec<String>>()) else {
        return;
    };
    if keys.len() == state().scanned_keys {
        return;
    }
    for key in &keys {
        if let Some(index) = query_index(key) {
            mirror(index);
        }
    }
    state().scanned_keys = keys.len();
}

/// The descriptor of tvm-ffi type `index` (in its table), made and recorded on first use,
/// with its ancestors; `None` for a type rcobj allocated. The caller holds [`lock`].
fn mirror(index: i32) -> Option<&'static TypeInfo> {
    if index == sys::K_OBJECT {
        return Some(AnyObject::type_info());
    }
    if let Some(t) = state().foreign.get(&index).copied() {
        return Some(t);
    }
    // SAFETY: `index` is in the table (the callers found it by key).
    let e = unsafe { entry(index) };
    // SAFETY: as above.
    let key = unsafe { key_of(e) };
    if state().allocated.contains_key(&key) {
        return None; // rcobj's own: the registry has the descriptor
    }
    let depth = usize::try_from(e.type_depth).ok()?;
    if depth == 0 {
        return None; // another root than `ffi.Object`: nothing rcobj can relate to
    }
    let mut ancestors: Vec<&'static TypeInfo> = Vec::with_capacity(depth);
    for d in 0..depth {
        // SAFETY: an entry's ancestors are entries, `type_depth` of them.
        let a = unsafe { &**e.type_ancestors.add(d) };
        ancestors.push(mirror(a.type_index)?);
    }
    let key: &'static str = Box::leak(key.into_boxed_str());
    let ancestors: &'static [&'static TypeInfo] = Box::leak(ancestors.into_boxed_slice());
    let info: &'static TypeInfo = Box::leak(Box::new(TypeInfo::foreign(key, index, ancestors)));
    let mut st = state();
    st.foreign.insert(index, info);
    st.foreign_by_key.insert(key.into(), info);
    if let Some(slot) = usize::try_from(index).ok().and_then(|i| FOREIGN.get(i)) {
        // Release: pairs with the Acquire load in `foreign_by_index`.
        slot.store(core::ptr::from_ref(info).cast_mut(), Ordering::Release);
    }
    Some(info)
}

/// What libtvm_ffi's type table says about one type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeEntry {
    /// The type index.
    pub index: i32,
    /// The type key.
    pub key: String,
    /// The depth (`ffi.Object` is 0).
    pub depth: usize,
    /// The ancestors' keys, root (`ffi.Object`) first.
    pub ancestors: Vec<String>,
    /// The names of the reflected fields tvm-ffi has for the type itself (not inherited).
    pub fields: Vec<String>,
}

/// libtvm_ffi's own record of the type `key`, if its table has it: the other half of the
/// "both tables agree" promise, for checking it. Builds the registry first, so every linked
/// type is there.
///
/// ```
/// use rcobj::{registry, tvm_ffi, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.tvm_ffi.type_entry.Item")]
/// struct Item;
///
/// let mine = Item::type_info();
/// let theirs = tvm_ffi::type_entry(mine.key()).unwrap();
/// assert_eq!((theirs.index, theirs.depth), (mine.index(), mine.depth()));
/// assert_eq!(theirs.ancestors, ["ffi.Object"]);
/// assert_eq!(tvm_ffi::type_entry("ffi.Array").unwrap().index, 71);
/// assert!(tvm_ffi::type_entry("doc.no.such.Type").is_none());
/// ```
pub fn type_entry(key: &str) -> Option<TypeEntry> {
    // Every linked type is in tvm-ffi's table once the registry is built.
    let _ = crate::registry::by_key("");
    let _lock = lock();
    let index = query_index(key)?;
    // SAFETY: in the table (just found by key).
    let e = unsafe { entry(index) };
    let depth = usize::try_from(e.type_depth).unwrap_or(0);
    let ancestors = (0..depth)
        // SAFETY: an entry's ancestors are entries, `type_depth` of them.
        .map(|d| unsafe { key_of(&**e.type_ancestors.add(d)) })
        .collect();
    let fields = (0..usize::try_from(e.num_fields).unwrap_or(0))
        // SAFETY: `fields` holds `num_fields` entries whose names live with the table.
        .map(|i| unsafe { String::from_utf8_lossy((*e.fields.add(i)).name.bytes()).into_owned() })
        .collect();
    Some(TypeEntry {
        index,
        // SAFETY: as above.
        key: unsafe { key_of(e) },
        depth,
        ancestors,
        fields,
    })
}
