//! The type registry: index allocation and lookup by key or index.
//!
//! Every type that `#[derive(Object)]` emits is submitted at link time (through the
//! `inventory` crate), so [`by_key`] finds it before its first instance exists. Indices are
//! assigned on the first use of the registry, all at once, in key order: [`AnyObject`] is
//! 64, derived types get 128, 129, … Two types with one key make that first use panic with
//! a message naming both (and every later use panics with the same message).
//!
//! Reading a type's index afterwards is one relaxed load ([`TypeInfo::index`]); looking a
//! type up by index for a cast is one acquire load from a fixed table, no lock.
//!
//! # Libraries loaded at run time
//!
//! A `cdylib` loaded with `dlopen` carries its own statically linked copy of this runtime,
//! and so its own registry: its types are numbered from 128 in its copy, independently of
//! the host's, and the host's registry does not see them. Objects still cross the boundary
//! safely as raw headers (each carries its own deleter), which is what the C ABI is for; but
//! `is`/`downcast` across the two registries compare unrelated indices. Use one shared
//! `rcobj` dynamic library, or the C ABI, for plugins.
//!
//! [`AnyObject`]: crate::AnyObject

use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use crate::counts::{self, MAX_TYPES};
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
    by_key: HashMap<&'static str, &'static TypeInfo>,
    next: usize,
}

static TABLES: RwLock<Option<Tables>> = RwLock::new(None);
static INIT: OnceLock<Result<(), String>> = OnceLock::new();

fn read_tables<R>(f: impl FnOnce(&Tables) -> R) -> R {
    let guard = TABLES.read().unwrap_or_else(|e| e.into_inner());
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
        by_key: HashMap::with_capacity(infos.len()),
        next: 0,
    };
    for info in infos {
        publish(&mut tables, info);
    }
    *TABLES.write().unwrap_or_else(|e| e.into_inner()) = Some(tables);
    Ok(())
}

/// Gives `info` the next free index. Caller owns `tables` exclusively.
fn publish(tables: &mut Tables, info: &'static TypeInfo) -> i32 {
    let slot = tables.next;
    tables.next += 1;
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
    let mut guard = TABLES.write().unwrap_or_else(|e| e.into_inner());
    let tables = guard.as_mut().expect("registry initialised");
    // Re-check under the lock: another thread may have registered it meanwhile.
    let index = info.index.load(Ordering::Acquire);
    if index >= 0 {
        return index;
    }
    if let Some(other) = tables.by_key.get(info.key()) {
        panic!("{}", duplicate_message(info.key(), other, info));
    }
    assert!(
        tables.next < MAX_TYPES,
        "rcobj: more than {MAX_TYPES} object types"
    );
    publish(tables, info)
}

impl TypeInfo {
    /// The type's index: [`AnyObject`] is 64, derived types 128 and up.
    ///
    /// One relaxed load once the registry is initialised; the first call in the program
    /// assigns every linked type its index.
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
        let this = by_key(self.key()).filter(|t| ptr::eq(*t, self));
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
    pub fn live_count(&self) -> usize {
        usize::try_from(counts::live(self.index())).unwrap_or(0)
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

/// The type registered under `key`, if any type linked into the program has it.
pub fn by_key(key: &str) -> Option<&'static TypeInfo> {
    if key == AnyObject::KEY {
        return Some(AnyObject::type_info());
    }
    ensure_init();
    read_tables(|t| t.by_key.get(key).copied())
}

/// The type with index `index`, if any.
pub fn by_index(index: i32) -> Option<&'static TypeInfo> {
    ensure_init();
    info_of_index(index)
}

/// Every registered type, ordered by index ([`AnyObject`] first).
///
/// [`AnyObject`]: crate::AnyObject
pub fn all() -> Vec<&'static TypeInfo> {
    ensure_init();
    let mut out = vec![AnyObject::type_info()];
    let count = read_tables(|t| t.next);
    out.extend((0..count).filter_map(|slot| info_of_index(FIRST_DYNAMIC_INDEX + slot as i32)));
    out
}
