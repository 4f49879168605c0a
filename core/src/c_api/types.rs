//! Type queries from C: index to key, key to index, the key of an object's type, and
//! instance tests. Declared in `rcobj.h`; see the [module docs](super) for the string
//! lifetimes and the failure values.

use core::ffi::c_char;

use super::guard::guarded;
use crate::header::ObjectHeader;
use crate::registry;
use crate::type_info::ANY_OBJECT_INDEX;
#[cfg(doc)]
use crate::type_info::FIRST_DYNAMIC_INDEX;

/// `RCOBJ_TYPE_INDEX_NONE`: the index [`rcobj_type_index`] returns for a key that no
/// registered type has. No type has a negative index.
///
/// ```
/// assert_eq!(rcobj::c_api::TYPE_INDEX_NONE, -1);
/// ```
pub const TYPE_INDEX_NONE: i32 = -1;

/// Stores `key`'s length in `out_len` (unless it is null) and returns its address, or
/// stores 0 and returns null for `None`.
///
/// # Safety
///
/// `out_len` is null or valid for a write of a `usize`.
unsafe fn key_out(key: Option<(*const u8, usize)>, out_len: *mut usize) -> *const c_char {
    let (ptr, len) = key.unwrap_or((core::ptr::null(), 0));
    if !out_len.is_null() {
        // SAFETY: non-null, so valid for a write per the caller.
        unsafe { out_len.write(len) };
    }
    ptr.cast()
}

/// `const char *rcobj_type_key(int32_t type_index, size_t *out_len)`: the key of the
/// registered type with index `type_index`.
///
/// Returns the key's bytes (UTF-8, **not** NUL-terminated) and stores their number in
/// `*out_len`; or returns null and stores 0 when no registered type has that index (a
/// negative index, one below [`FIRST_DYNAMIC_INDEX`] other than [`ANY_OBJECT_INDEX`], an
/// unused one, a runtime type that was unregistered) or the registry is unusable.
/// `out_len` may be null.
///
/// The bytes belong to rcobj. A Rust type's key is valid for the rest of the program; a
/// runtime type's while the type is alive (see the [module docs](super)).
///
/// Cost: like [`registry::by_index`], a read lock on the registry.
///
/// # Safety
///
/// `out_len` is null or valid for a write of a `usize`.
///
/// ```
/// use rcobj::c_api::rcobj_type_key;
/// use rcobj::{Object, ANY_OBJECT_INDEX};
///
/// #[derive(Object)]
/// #[object(key = "doc.c_api.type_key")]
/// struct Item;
///
/// let mut len = 0;
/// // SAFETY: `len` is a valid out-pointer.
/// let key = unsafe { rcobj_type_key(Item::type_info().index(), &mut len) };
/// // SAFETY: a static type's key: `len` bytes, valid forever.
/// let bytes = unsafe { std::slice::from_raw_parts(key.cast::<u8>(), len) };
/// assert_eq!(bytes, b"doc.c_api.type_key");
///
/// // SAFETY: as above.
/// assert!(unsafe { rcobj_type_key(-1, &mut len) }.is_null());
/// assert_eq!(len, 0);
/// // SAFETY: a null `out_len` is allowed.
/// assert!(!unsafe { rcobj_type_key(ANY_OBJECT_INDEX, std::ptr::null_mut()) }.is_null());
/// ```
#[no_mangle]
pub unsafe extern "C" fn rcobj_type_key(type_index: i32, out_len: *mut usize) -> *const c_char {
    let key = guarded(None, || {
        // The `TypeRef` keeps a runtime type alive during the call; afterwards its key
        // lives as long as the type (documented above).
        registry::by_index(type_index).map(|t| (t.key().as_ptr(), t.key().len()))
    });
    // SAFETY: `out_len` is null or valid, per our caller.
    unsafe { key_out(key, out_len) }
}

/// `int32_t rcobj_type_index(const char *key, size_t len)`: the index of the registered
/// type whose key is the `len` bytes at `key`.
///
/// The bytes need not be NUL-terminated and are compared exactly (no prefix match, an
/// embedded NUL is part of the key). Returns [`TYPE_INDEX_NONE`] when no registered type
/// has that key, when the bytes are not UTF-8, when `key` is null, or when the registry is
/// unusable. The caller keeps ownership of `key`; it is only read during the call.
///
/// Cost: like [`registry::by_key`], a read lock and a search of the key table.
///
/// # Safety
///
/// `key` is null, or valid for reads of `len` bytes.
///
/// ```
/// use rcobj::c_api::{rcobj_type_index, TYPE_INDEX_NONE};
/// use rcobj::{Object, ANY_OBJECT_INDEX};
///
/// #[derive(Object)]
/// #[object(key = "doc.c_api.type_index")]
/// struct Item;
///
/// let key = "doc.c_api.type_index";
/// // SAFETY: `key` has `key.len()` readable bytes.
/// unsafe {
///     assert_eq!(rcobj_type_index(key.as_ptr().cast(), key.len()), Item::type_info().index());
///     assert_eq!(rcobj_type_index(key.as_ptr().cast(), 3), TYPE_INDEX_NONE);
///     assert_eq!(rcobj_type_index(c"rcobj.Object".as_ptr(), 12), ANY_OBJECT_INDEX);
///     assert_eq!(rcobj_type_index(std::ptr::null(), 0), TYPE_INDEX_NONE);
/// }
/// ```
#[no_mangle]
pub unsafe extern "C" fn rcobj_type_index(key: *const c_char, len: usize) -> i32 {
    if key.is_null() || len > isize::MAX as usize {
        return TYPE_INDEX_NONE;
    }
    // SAFETY: `key` is non-null and valid for reads of `len` (at most `isize::MAX`) bytes
    // per our caller; `u8` has no alignment requirement; nothing writes them meanwhile.
    let bytes = unsafe { core::slice::from_raw_parts(key.cast::<u8>(), len) };
    let Ok(key) = core::str::from_utf8(bytes) else {
        return TYPE_INDEX_NONE;
    };
    guarded(TYPE_INDEX_NONE, || {
        registry::by_key(key).map_or(TYPE_INDEX_NONE, |t| t.index())
    })
}

/// `const char *rcobj_object_type_key(const rcobj_object_header *obj, size_t *out_len)`:
/// the key of `obj`'s most-derived type.
///
/// Returns the key's bytes (not NUL-terminated) and stores their number in `*out_len`; or
/// returns null and stores 0 for a null `obj` or an object whose type index this
/// program's registry does not know (a foreign object, other than one with
/// [`ANY_OBJECT_INDEX`], which is `"rcobj.Object"`). `out_len` may be null. Unlike
/// [`rcobj_type_key`] this also finds the type of an instance of a runtime type that was
/// unregistered: the key is valid at least as long as the caller holds a reference (strong
/// or weak) to `obj`, since an instance keeps its type alive.
///
/// Cost: no lock: one acquire load from the registry's index table.
///
/// # Safety
///
/// `obj` is null or the header of an object the caller holds a strong or weak reference
/// to, made by this program's copy of rcobj or carrying an index below
/// [`FIRST_DYNAMIC_INDEX`] (see [`Obj::from_raw`](crate::Obj::from_raw)); `out_len` is
/// null or valid for a write.
///
/// ```
/// use rcobj::c_api::rcobj_object_type_key;
/// use rcobj::{AnyObject, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.c_api.object_type_key")]
/// struct Item;
///
/// let o = Obj::new(Item).upcast::<AnyObject>();
/// let mut len = 0;
/// // SAFETY: a live header (we hold `o`); `len` is a valid out-pointer.
/// let key = unsafe { rcobj_object_type_key(Obj::header(&o), &mut len) };
/// // SAFETY: `len` bytes, valid while we hold `o` (forever, for a Rust type).
/// let bytes = unsafe { std::slice::from_raw_parts(key.cast::<u8>(), len) };
/// assert_eq!(bytes, b"doc.c_api.object_type_key");
/// // SAFETY: null is allowed.
/// assert!(unsafe { rcobj_object_type_key(std::ptr::null(), &mut len) }.is_null());
/// ```
#[no_mangle]
pub unsafe extern "C" fn rcobj_object_type_key(
    obj: *const ObjectHeader,
    out_len: *mut usize,
) -> *const c_char {
    let key = guarded(None, || {
        // SAFETY: null or a live header, per our caller; its type index is never written
        // after initialisation.
        let obj = unsafe { obj.as_ref() }?;
        // The object keeps its type (and so the descriptor and its key) alive.
        let info = registry::info_of(obj)?;
        Some((info.key().as_ptr(), info.key().len()))
    });
    // SAFETY: `out_len` is null or valid, per our caller.
    unsafe { key_out(key, out_len) }
}

/// `int rcobj_is_instance_of(const rcobj_object_header *obj, int32_t type_index)`: 1 if
/// `obj` is an instance of the type with index `type_index` or of one of its descendants,
/// else 0 — what [`AnyObj::is_instance_of`](crate::AnyObj::is_instance_of) answers.
///
/// Every object, foreign ones included, is an instance of [`ANY_OBJECT_INDEX`]. Otherwise
/// 0 for a null `obj`, for an index no type of the object's lineage has (unknown,
/// negative, a foreign index), and for a foreign object whose index the registry does not
/// know. An instance of a runtime type stays an instance of it (and of its ancestors) after
/// they are unregistered.
///
/// Cost: O(1), as `is::<U>()`: no lock, no hashing, no string compare, no allocation; one
/// acquire load from the registry's index table for the object's type, one relaxed load
/// of the target's depth from the registry's depth table, and one index compare against
/// the object's ancestor at that depth. (Reading the target's *descriptor* for its depth
/// would be unsound: a runtime type that is not the object's ancestor may be freed by
/// another thread meanwhile. The depth table is never freed, and a stale entry only names
/// an ancestor whose index differs.) For a foreign object of one of libtvm_ffi's types
/// (the `tvm-ffi` feature), its few ancestors are compared in turn.
///
/// # Safety
///
/// `obj` is null or the header of an object the caller holds a strong or weak reference
/// to, made by this program's copy of rcobj or carrying an index below
/// [`FIRST_DYNAMIC_INDEX`].
///
/// ```
/// use rcobj::c_api::rcobj_is_instance_of;
/// use rcobj::{AnyObject, Obj, Object, ANY_OBJECT_INDEX};
///
/// #[derive(Object)]
/// #[object(key = "doc.c_api.is_instance_of.Shape")]
/// struct Shape;
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.c_api.is_instance_of.Circle")]
/// struct Circle { #[parent] shape: Shape }
///
/// let c = Obj::new(Circle { shape: Shape }).upcast::<AnyObject>();
/// let s = Obj::new(Shape).upcast::<AnyObject>();
/// let (circle, shape) = (Circle::type_info().index(), Shape::type_info().index());
/// // SAFETY: live headers (we hold both objects).
/// unsafe {
///     assert_eq!(rcobj_is_instance_of(Obj::header(&c), shape), 1);
///     assert_eq!(rcobj_is_instance_of(Obj::header(&c), circle), 1);
///     assert_eq!(rcobj_is_instance_of(Obj::header(&s), circle), 0);
///     assert_eq!(rcobj_is_instance_of(Obj::header(&s), ANY_OBJECT_INDEX), 1);
///     assert_eq!(rcobj_is_instance_of(std::ptr::null(), ANY_OBJECT_INDEX), 0);
/// }
/// ```
#[no_mangle]
pub unsafe extern "C" fn rcobj_is_instance_of(obj: *const ObjectHeader, type_index: i32) -> i32 {
    guarded(0, || {
        // SAFETY: null or a live header, per our caller.
        let Some(obj) = (unsafe { obj.as_ref() }) else {
            return 0;
        };
        i32::from(is_instance_of_index(obj, type_index))
    })
}

/// Whether an object of type index `real` (alive: the caller holds the object) is an
/// instance of the type with index `target`.
fn is_instance_of_index(obj: &ObjectHeader, target: i32) -> bool {
    let real = obj.type_index();
    if target == ANY_OBJECT_INDEX {
        // Everything is an `AnyObject`, as `is::<AnyObject>()`.
        return true;
    }
    // The object keeps its type alive, and its type keeps its ancestors alive; no other
    // descriptor is read (the target's may be freed concurrently if it is an unrelated
    // runtime type).
    let Some(info) = registry::info_of(obj) else {
        return false;
    };
    // Indices of live types are unique, and every ancestor is live, so comparing indices
    // is comparing types.
    if real == target {
        return true;
    }
    if registry::own_info_of(obj).is_some() {
        // O(1): the only depth at which `target` can be an ancestor is its own. If it is
        // an ancestor, it is alive and the hint is its depth; if not, whatever the hint
        // says, the ancestor there has another index.
        return registry::depth_hint(target)
            .is_some_and(|d| d < info.depth() && info.ancestors()[d].index() == target);
    }
    // A foreign object's type (one of libtvm_ffi's, with the `tvm-ffi` feature): its
    // ancestors are few and not in this registry's depth table.
    info.ancestors().iter().any(|a| a.index() == target)
}
