//! [`Error`]: a tvm-ffi error (`ffi.Error`: kind, message, backtrace) on the Rust side.
//!
//! A Rust function registered with tvm-ffi reports an `Err` (or a panic) by setting the
//! thread's raised error and returning nonzero — never by unwinding. The kind selects the
//! Python exception class (`TypeError`, `ValueError`, `RuntimeError`, …).

use alloc::borrow::ToOwned;
use alloc::ffi::CString;
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;
use core::ptr;

use super::sys;
use crate::AnyObj;

/// A tvm-ffi error: a kind (the name of the Python exception class it becomes, e.g.
/// `"TypeError"`), a message and a backtrace (possibly empty).
///
/// ```
/// use rcobj::tvm_ffi::Error;
///
/// let e = Error::type_error("expected int");
/// assert_eq!((e.kind(), e.message()), ("TypeError", "expected int"));
/// assert_eq!(e.to_string(), "TypeError: expected int");
/// let e: Error = "no such node".into(); // any message: a RuntimeError
/// assert_eq!(e.kind(), "RuntimeError");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: String,
    message: String,
    backtrace: String,
}

impl Error {
    /// An error of the given kind.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Error {
        Error {
            kind: kind.into(),
            message: message.into(),
            backtrace: String::new(),
        }
    }

    /// A `RuntimeError`.
    pub fn runtime(message: impl Into<String>) -> Error {
        Error::new("RuntimeError", message)
    }

    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Error {
        Error::new("TypeError", message)
    }

    /// A `ValueError`.
    pub fn value_error(message: impl Into<String>) -> Error {
        Error::new("ValueError", message)
    }

    /// The kind: the name of the exception class (`"TypeError"`, …).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The backtrace tvm-ffi recorded (empty for an error made in Rust).
    pub fn backtrace(&self) -> &str {
        &self.backtrace
    }

    /// The same error with `prefix` before its message.
    pub(crate) fn context(mut self, prefix: &str) -> Error {
        self.message = format!("{prefix}{}", self.message);
        self
    }

    /// Sets this error as the current thread's raised tvm-ffi error (what a `safe_call`
    /// does before returning nonzero).
    pub(crate) fn set_raised(&self) {
        let kind = c_string(&self.kind);
        let message = c_string(&self.message);
        // SAFETY: two NUL-terminated strings, read during the call.
        unsafe { sys::TVMFFIErrorSetRaisedFromCStr(kind.as_ptr(), message.as_ptr()) };
    }

    /// Takes the current thread's raised error (after a call returned nonzero).
    pub(crate) fn take_raised() -> Error {
        let mut handle: sys::Handle = ptr::null_mut();
        // SAFETY: `handle` is a valid out-pointer; we own what it receives.
        unsafe { sys::TVMFFIErrorMoveFromRaised(&mut handle) };
        if handle.is_null() {
            return Error::runtime("a tvm-ffi call failed without raising an error");
        }
        // SAFETY: a live `ffi.Error` object with one strong reference, now ours.
        let err = unsafe { AnyObj::from_raw(handle.cast()) };
        // SAFETY: an `ffi.Error` object is its header followed by a `TVMFFIErrorCell`, whose
        // byte arrays live as long as the object.
        unsafe { Error::from_error_object(&err) }
    }

    /// Reads an `ffi.Error` object.
    ///
    /// # Safety
    ///
    /// `err` is an `ffi.Error` (type index 67).
    pub(crate) unsafe fn from_error_object(err: &AnyObj) -> Error {
        // The cell's address keeps the provenance of the whole object.
        let header = AnyObj::cell(err).as_ptr().cast::<u8>();
        // SAFETY: per the caller, the object is an `ErrorObj`: a 24-byte header, then the
        // cell; the strings it points to belong to the object, alive through `err`.
        unsafe {
            let cell = &*header.add(24).cast::<sys::ErrorCell>();
            Error {
                kind: String::from_utf8_lossy(cell.kind.bytes()).into_owned(),
                message: String::from_utf8_lossy(cell.message.bytes()).into_owned(),
                backtrace: String::from_utf8_lossy(cell.backtrace.bytes()).into_owned(),
            }
        }
    }
}

/// A C string of `s`, with any NUL byte shown as `\0` (a message must not end early).
fn c_string(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).expect("no NUL byte is left")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    /// A `RuntimeError` with this message.
    fn from(message: String) -> Error {
        Error::runtime(message)
    }
}

impl From<&str> for Error {
    /// A `RuntimeError` with this message.
    fn from(message: &str) -> Error {
        Error::runtime(message.to_owned())
    }
}

impl From<alloc::boxed::Box<dyn std::error::Error + Send + Sync>> for Error {
    /// A `RuntimeError` with the error's message.
    fn from(e: alloc::boxed::Box<dyn std::error::Error + Send + Sync>) -> Error {
        Error::runtime(e.to_string())
    }
}

impl From<core::fmt::Error> for Error {
    /// A `RuntimeError`.
    fn from(e: core::fmt::Error) -> Error {
        Error::runtime(e.to_string())
    }
}
