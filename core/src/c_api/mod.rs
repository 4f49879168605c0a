//! The C ABI's exported functions: type queries for C and C++ code.
//!
//! `rcobj.h` (shipped in this crate's `include/` directory, whose path dependent build
//! scripts read from `DEP_RCOBJ_INCLUDE`) has two parts. The count operations are
//! `static inline` in the header and need nothing from Rust. The type queries below are
//! defined here, as `#[no_mangle] extern "C"` functions, and declared in the header, so C or
//! C++ code linked into a program (or library) that links this crate can ask the registry
//! about types:
//!
//! | C | Rust equivalent | not found |
//! |---|---|---|
//! | [`rcobj_type_key`]`(index, &len)` | [`registry::by_index`]`(index)?.key()` | `NULL`, `len = 0` |
//! | [`rcobj_type_index`]`(key, len)` | [`registry::by_key`]`(key)?.index()` | [`TYPE_INDEX_NONE`] (-1) |
//! | [`rcobj_object_type_key`]`(obj, &len)` | [`Obj::type_info`]`(&obj).key()` | `NULL`, `len = 0` |
//! | [`rcobj_is_instance_of`]`(obj, index)` | [`AnyObj::is_instance_of`] | 0 |
//!
//! (`rcobj_type_index_cstr(key)`, for a NUL-terminated key, is an inline wrapper of
//! [`rcobj_type_index`] in the header.)
//!
//! # Strings
//!
//! A key is returned as a pointer to its UTF-8 bytes and a length; the bytes are **not**
//! NUL-terminated, belong to rcobj, and must be neither written nor freed. A Rust (derived)
//! type's key, and `"rcobj.Object"`, are valid for the rest of the program. A runtime
//! type's key is valid as long as the type is alive: while it is registered, and after
//! [`RuntimeType::unregister`] while an instance of it (or of a type derived from it) or a
//! handle to it exists. Keys passed in are only read during the call.
//!
//! # Failure
//!
//! None of these functions unwinds into C. Unknown indices and keys, null pointers and
//! keys that are not UTF-8 give the "not found" value. With the `std` feature a panic
//! inside (the registry's, when two Rust types claim one key: it prints a message naming
//! both) is caught and also gives "not found"; without `std` nothing can catch it, and
//! the `extern "C"` boundary aborts the process instead of unwinding.
//!
//! # Which registry answers
//!
//! The one of the copy of rcobj these functions are linked with. A `cdylib` plugin that
//! links its own copy exports its own copy of these symbols: ask the plugin about its
//! objects through it (see the crate docs on plugins). `links = "rcobj"` keeps a single
//! program (one cargo build) at one copy, so the symbols never clash at link time.
//!
//! [`registry::by_index`]: crate::registry::by_index
//! [`registry::by_key`]: crate::registry::by_key
//! [`Obj::type_info`]: crate::Obj::type_info
//! [`AnyObj::is_instance_of`]: crate::AnyObj::is_instance_of
//! [`RuntimeType::unregister`]: crate::RuntimeType::unregister

mod guard;
mod types;

pub use self::types::{
    rcobj_is_instance_of, rcobj_object_type_key, rcobj_type_index, rcobj_type_key, TYPE_INDEX_NONE,
};
