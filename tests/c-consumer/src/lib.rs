//! A crate that uses rcobj from C and C++, as a binding crate would.
//!
//! Its build script compiles `c/consumer.c` (C11) and `cpp/consumer.cpp` (C++11 and C++17)
//! against the `rcobj.h` that the `rcobj` crate ships, found through `DEP_RCOBJ_INCLUDE`
//! (set for direct dependents because rcobj declares `links = "rcobj"`), warning-free under
//! `-Wall -Wextra -pedantic -Werror`. This library declares what that C and C++ export and
//! three Rust object types for the tests (`tests/consumer.rs`; `.ci/cabi.sh` also runs them
//! under valgrind).

use std::ffi::{c_char, c_int, c_long};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rcobj::{Object, ObjectHeader};

/// The include directory the C and C++ were compiled against: `DEP_RCOBJ_INCLUDE`.
pub const INCLUDE_DIR: &str = env!("RCOBJ_CONSUMER_INCLUDE");

/// A root type, counting its drops.
#[derive(Object)]
#[object(key = "consumer.Widget")]
pub struct Widget {
    /// Payload.
    pub id: u64,
    /// Drops so far, shared with the test.
    pub drops: Arc<AtomicUsize>,
}

impl Drop for Widget {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A child of [`Widget`].
#[derive(Object)]
#[repr(C)]
#[object(key = "consumer.Knob", final)]
pub struct Knob {
    /// The parent.
    #[parent]
    pub widget: Widget,
    /// Another field.
    pub turns: u32,
}

/// Another root type, unrelated to the others.
#[derive(Object)]
#[object(key = "consumer.Gauge")]
pub struct Gauge(pub f64);

// ---- c/consumer.c -------------------------------------------------------------------------

extern "C" {
    /// `rcobj_inc_ref`, from C.
    pub fn consumer_c_retain(h: *mut ObjectHeader);
    /// `rcobj_dec_ref`, from C.
    pub fn consumer_c_release(h: *mut ObjectHeader);
    /// `rcobj_inc_weak_ref`, from C.
    pub fn consumer_c_retain_weak(h: *mut ObjectHeader);
    /// `rcobj_dec_weak_ref`, from C.
    pub fn consumer_c_release_weak(h: *mut ObjectHeader);
    /// `rcobj_try_promote`, from C.
    pub fn consumer_c_promote(h: *mut ObjectHeader) -> c_int;
    /// `rcobj_strong_count`, from C.
    pub fn consumer_c_strong_count(h: *const ObjectHeader) -> u32;
    /// `rcobj_weak_count`, from C.
    pub fn consumer_c_weak_count(h: *const ObjectHeader) -> u32;
    /// Copies the key of `h`'s type (`rcobj_object_type_key`) into `buf`, NUL-terminated;
    /// returns its length, or 0 if not found.
    pub fn consumer_c_type_key(h: *const ObjectHeader, buf: *mut c_char, cap: usize) -> usize;
    /// As [`consumer_c_type_key`], for a type index (`rcobj_type_key`).
    pub fn consumer_c_key_of_index(type_index: i32, buf: *mut c_char, cap: usize) -> usize;
    /// `rcobj_type_index_cstr`, from C.
    pub fn consumer_c_index_of(key: *const c_char) -> i32;
    /// 1 if `h` is an instance of the type keyed `key`, 0 if not, -1 for an unknown key.
    pub fn consumer_c_is(h: *const ObjectHeader, key: *const c_char) -> c_int;
}

/// The key C reports for the type of `h` (through `rcobj_object_type_key`), if any.
///
/// # Safety
///
/// `h` is null or a live object's header.
pub unsafe fn c_type_key(h: *const ObjectHeader) -> Option<String> {
    let mut buf = [0 as c_char; 128];
    // SAFETY: `h` per our caller; `buf` has `buf.len()` writable bytes.
    let len = unsafe { consumer_c_type_key(h, buf.as_mut_ptr(), buf.len()) };
    c_string(&buf, len)
}

/// The key C reports for a type index (through `rcobj_type_key`), if any.
pub fn c_key_of_index(type_index: i32) -> Option<String> {
    let mut buf = [0 as c_char; 128];
    // SAFETY: `buf` has `buf.len()` writable bytes.
    let len = unsafe { consumer_c_key_of_index(type_index, buf.as_mut_ptr(), buf.len()) };
    c_string(&buf, len)
}

fn c_string(buf: &[c_char], len: usize) -> Option<String> {
    if len == 0 {
        return None;
    }
    assert!(len < buf.len(), "key longer than the test's buffer");
    let bytes: Vec<u8> = buf[..len].iter().map(|&c| c as u8).collect();
    Some(String::from_utf8(bytes).expect("UTF-8"))
}

// ---- cpp/consumer.cpp ---------------------------------------------------------------------

/// `rcobj_cpp_counters`: what the deleter of C++ widgets saw.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CppCounters {
    /// Widgets created.
    pub created: i64,
    /// Strong phases run.
    pub destroyed: i64,
    /// Weak phases run (widgets deleted).
    pub freed: i64,
    /// Protocol violations the deleter noticed.
    pub violations: i64,
    /// The flags of the last deleter call.
    pub last_flags: i32,
    /// Deleter calls.
    pub n_calls: i32,
}

/// `rcobj_cpp_api`: the entry points of one C++ build. Functions returning `c_int` return
/// 0, or the line of the first failed check.
#[repr(C)]
pub struct CppApi {
    /// `__cplusplus` of the build.
    pub standard: c_long,
    /// Takes over one strong reference to a Rust object (Rust keeps exactly one more and no
    /// weak one), uses it through RAII references and the type queries (its type's key is
    /// `key`, `ancestor` an ancestor's index, `unrelated` a non-ancestor's), and releases it.
    pub use_rust_object: unsafe extern "C" fn(
        h: *mut ObjectHeader,
        key: *const c_char,
        ancestor: i32,
        unrelated: i32,
    ) -> c_int,
    /// A new C++ widget (index `RCOBJ_ANY_OBJECT_INDEX`, its own deleter); the caller owns
    /// its strong reference.
    pub widget_new: unsafe extern "C" fn(
        value: i64,
        name: *const c_char,
        counters: *mut CppCounters,
    ) -> *mut ObjectHeader,
    /// A live widget's value.
    pub widget_value: unsafe extern "C" fn(h: *const ObjectHeader) -> i64,
    /// 1 if a live widget's name is `name`.
    pub widget_name_is: unsafe extern "C" fn(h: *const ObjectHeader, name: *const c_char) -> c_int,
    /// Every header function with `nullptr`.
    pub null_handles: unsafe extern "C" fn() -> c_int,
    /// `threads` `std::thread`s clone, weak-reference, promote and drop `h` `rounds` times
    /// each; the caller keeps its reference.
    pub share_across_threads:
        unsafe extern "C" fn(h: *mut ObjectHeader, threads: c_int, rounds: c_int) -> c_int,
}

extern "C" {
    fn rcobj_cpp11_api() -> *const CppApi;
    fn rcobj_cpp17_api() -> *const CppApi;
}

/// The C++11 and C++17 builds, with the standard each was compiled as.
pub fn cpp_builds() -> [(&'static str, &'static CppApi); 2] {
    // SAFETY: each returns the address of a constant table that lives as long as the
    // program.
    unsafe {
        [
            ("C++11", &*rcobj_cpp11_api()),
            ("C++17", &*rcobj_cpp17_api()),
        ]
    }
}
