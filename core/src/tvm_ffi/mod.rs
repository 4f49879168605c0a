//! One type system with Apache tvm-ffi (feature `tvm-ffi`).
//!
//! rcobj's object header is tvm-ffi's `TVMFFIObject`, so objects already cross both ways.
//! This module makes the rest agree:
//!
//! * **One index space** — libtvm_ffi allocates every rcobj type index
//!   (`TVMFFITypeGetOrAllocIndex`, under a lock, since its table has none): the linked
//!   types when the registry is first used (parents first), late and runtime types as they
//!   register. Both tables agree on index, key, depth and ancestors ([`type_entry`] shows
//!   tvm-ffi's side); rcobj's root is tvm-ffi's `ffi.Object` (64). tvm-ffi's own types
//!   (`ffi.Array`, `ffi.Function`, …) are foreign types of the registry, so
//!   `registry::by_key`, `registry::by_index`, `Obj::type_info` and `is_instance_of` know
//!   objects tvm-ffi made. A key tvm-ffi already has (one of its own, another runtime's, or
//!   with another parent) is refused with a message that says which: for a derived type,
//!   each use of that type panics with it (other types are unaffected); a runtime type gets
//!   `RuntimeTypeError::TvmFfi`. tvm-ffi never frees an index: a runtime type's key keeps
//!   its index for the life of the process, so registering the key again needs the earlier
//!   type released and the same description, and indices are not recycled across keys.
//! * **Fields and metadata** — before a type's index is published, each own reflected
//!   field whose type converts both ways ([`ToAny`] + [`FromAny`]; a runtime type's
//!   numeric fields) is registered (`TVMFFITypeRegisterField`: name, doc, offset, size,
//!   alignment, a getter that writes an owned value, the static type index, the
//!   `type_schema`), then the type's metadata (`TVMFFITypeRegisterMetadata`: total size,
//!   tree-node structural equality, and for a `Default + Send + Sync` type a creator), and
//!   for a type with a creator the keyword constructor (`ffi._RegisterFFIInit`), whose
//!   unset fields default to the `Default` value's. Once per type: a second registration
//!   of a key tvm-ffi already has reflection for registers nothing (tvm-ffi aborts on a
//!   duplicate attribute). Fields are read-only for foreign code: the setter (which
//!   keyword construction and JSON loading use) writes only to an object whose only
//!   reference its caller holds (strong 1, no weak — the rule of `Obj::get_mut`), such as
//!   the new object a creator made, and raises `AttributeError` otherwise.
//! * **Values** — [`Any`] (owned) and [`AnyView`] (borrowed) are tvm-ffi's `TVMFFIAny`;
//!   [`IntoAny`] and [`FromAny`] convert `bool`, integers, floats, strings, `Obj<T>`,
//!   `Option<T>`, `AnyObj` and `Vec<T>` (as `ffi.Array`).
//! * **Functions** — [`register_global`] makes a `Send + Sync` Rust closure a tvm-ffi
//!   global function, [`Function::get_global`] and [`Function::call`] call any tvm-ffi
//!   function, and [`call_exported`] is the body of a `__tvm_ffi_NAME` symbol for
//!   `tvm_ffi.load_module`. Errors cross as tvm-ffi errors ([`Error`]), never as unwinding.
//!
//! libtvm_ffi is linked at build time (see `build.rs`: `pip install
//! apache-tvm-ffi==0.1.15.post2` provides it).

mod any;
mod array;
mod convert;
mod error;
mod export;
pub(crate) mod field;
mod function;
mod string;
pub(crate) mod sys;
pub(crate) mod types;

pub use self::any::{Any, AnyView};
pub use self::convert::{FfiType, FromAny, IntoAny, ToAny};
pub use self::error::Error;
pub use self::function::{
    call_exported, register_global, Function, IntoFunction, IntoResult, Signature,
};
pub use self::sys::RawAny;
pub use self::types::{type_entry, TypeEntry};

/// The version of tvm-ffi's C ABI that libtvm_ffi reports (`TVMFFIGetVersion`):
/// `(major, minor, patch)`. The pinned wheel (0.1.15.post2) reports `(0, 1, 16)`.
///
/// ```
/// let (major, minor, _) = rcobj::tvm_ffi::c_abi_version();
/// assert_eq!((major, minor), (0, 1));
/// ```
pub fn c_abi_version() -> (u32, u32, u32) {
    let mut v = sys::Version::default();
    // SAFETY: a valid out-parameter.
    unsafe { sys::TVMFFIGetVersion(&mut v) };
    (v.major, v.minor, v.patch)
}
