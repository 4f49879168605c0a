//! One type system with Apache tvm-ffi (feature `tvm-ffi`).
//!
//! rcobj's object header is tvm-ffi's `TVMFFIObject`, so objects already cross both ways.
//! This module makes the rest agree:
//!
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
