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
use std::sync::{Mutex, MutexGuard};

use super::any::Any;
use super::function::Function;
use super::sys::{self, ByteArray};
use crate::{AnyObject, Object, TypeInfo};

/// Serialises rcobj's use of libtvm_ffi's type table.
static LOCK: Mutex<()> = Mutex::new(());

/// Takes the type lock (a poisoned lock is taken anyway: the table itself is consistent
/// after every call).
pub(crate) fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
pub(crate) fn alloc_index(
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

/// A descriptor for one of tvm-ffi's own types, by index (`None`: tvm-ffi has no such type,
/// or rcobj allocated it — the registry knows those).
pub(crate) fn foreign_by_index(index: i32) -> Option<&'static TypeInfo> {
    if index == sys::K_OBJECT {
        return Some(AnyObject::type_info());
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
    let parent = ancestors[depth - 1];
    // A foreign type: no reference state (never released), no value layout rcobj knows.
    let info: &'static TypeInfo = Box::leak(Box::new(TypeInfo::runtime(
        key,
        index,
        parent,
        ancestors,
        false,
        0,
        1,
        core::ptr::null(),
    )));
    let mut st = state();
    st.foreign.insert(index, info);
    st.foreign_by_key.insert(key.into(), info);
    Some(info)
}
