//! [`Any`] (an owned tvm-ffi value) and [`AnyView`] (a borrowed one): the `TVMFFIAny` of
//! the C API with its ownership made explicit.

use alloc::format;
use alloc::string::String;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;

use super::error::Error;
use super::string;
use super::sys::{self, AnyValue, RawAny};
use crate::{registry, AnyObj, ObjectHeader};

/// An owned tvm-ffi value: a `TVMFFIAny` that owns the object reference it holds, if any
/// (dropping it releases that reference).
///
/// Values convert to and from Rust with [`IntoAny`](super::IntoAny) and
/// [`FromAny`](super::FromAny) (or [`Any::to`]).
///
/// ```
/// use rcobj::tvm_ffi::{Any, IntoAny};
///
/// let n: Any = 41i64.into_any().unwrap();
/// assert_eq!(n.to::<i64>().unwrap() + 1, 42);
/// assert_eq!(n.type_index(), 1); // kTVMFFIInt
/// let s = "a longer string than seven bytes".into_any().unwrap(); // an `ffi.String`
/// assert_eq!(s.to::<String>().unwrap(), "a longer string than seven bytes");
/// assert!(Any::none().is_none());
/// ```
#[repr(transparent)]
pub struct Any {
    raw: RawAny,
}

// SAFETY: an `Any` holds plain data or a strong reference to an object; objects that
// cross into tvm-ffi are `Send + Sync` (every conversion into an `Any` requires it, and
// tvm-ffi's own objects are thread-safe), so the value may move to and be shared with
// other threads.
unsafe impl Send for Any {}
// SAFETY: as above; `&Any` only reads.
unsafe impl Sync for Any {}

/// A borrowed tvm-ffi value (`AnyView` in C++): a `TVMFFIAny` that owns nothing, valid for
/// `'a` — e.g. an argument of a call.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct AnyView<'a> {
    raw: RawAny,
    _borrow: PhantomData<&'a ()>,
}

impl Any {
    /// `None`.
    pub fn none() -> Any {
        Any {
            raw: raw_pod(sys::K_NONE, AnyValue { v_int64: 0 }),
        }
    }

    /// Wraps a raw value whose reference (if any) the caller hands over.
    ///
    /// # Safety
    ///
    /// `raw` is a valid owned `TVMFFIAny`: an object index comes with a strong reference
    /// that now belongs to the result; it is never a raw C string or byte-array pointer
    /// (tvm-ffi's "owned Any" invariant).
    pub(crate) unsafe fn from_raw(raw: RawAny) -> Any {
        Any { raw }
    }

    /// Gives up ownership: the caller now owns the reference (if any).
    pub(crate) fn into_raw(self) -> RawAny {
        let this = ManuallyDrop::new(self);
        this.raw
    }

    /// A plain value (no object). `type_index` is below 64 and not a pointer kind.
    pub(crate) fn pod(type_index: i32, value: AnyValue) -> Any {
        debug_assert!(type_index < sys::K_STATIC_OBJECT_BEGIN);
        Any {
            raw: raw_pod(type_index, value),
        }
    }

    /// A value holding an object, taking over one strong reference.
    pub(crate) fn from_object(obj: AnyObj) -> Any {
        let header = AnyObj::into_raw(obj);
        // SAFETY: a live object: its header is readable.
        let type_index = unsafe { (*header).type_index() };
        Any {
            raw: RawAny {
                type_index,
                small_len: 0,
                value: AnyValue { v_obj: header },
            },
        }
    }

    /// A borrowed view of this value.
    pub fn view(&self) -> AnyView<'_> {
        AnyView {
            raw: self.raw,
            _borrow: PhantomData,
        }
    }

    /// The tvm-ffi type index (`kTVMFFIInt` = 1, `kTVMFFIStr` = 65, an object's index, …).
    pub fn type_index(&self) -> i32 {
        self.raw.type_index
    }

    /// Whether this is `None`.
    pub fn is_none(&self) -> bool {
        self.raw.type_index == sys::K_NONE
    }

    /// Converts to a Rust value (see [`FromAny`](super::FromAny)).
    pub fn to<T: super::FromAny>(&self) -> Result<T, Error> {
        T::from_any(self.view())
    }

    /// The object held, if any, as a new handle.
    pub fn as_object(&self) -> Option<AnyObj> {
        self.view().object()
    }
}

impl Drop for Any {
    fn drop(&mut self) {
        if self.raw.type_index >= sys::K_STATIC_OBJECT_BEGIN {
            // SAFETY: an owned object value holds one strong reference to a live object;
            // releasing it through rcobj runs the object's own deleter with the protocol's
            // flags (and lets a Rust destructor's panic propagate here, as `Arc` would).
            drop(unsafe { AnyObj::from_raw(self.raw.value.v_obj) });
        }
    }
}

impl Clone for Any {
    fn clone(&self) -> Any {
        if let Some(obj) = self.as_object() {
            return Any::from_object(obj);
        }
        Any { raw: self.raw }
    }
}

impl core::fmt::Debug for Any {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.view(), f)
    }
}

impl Default for Any {
    fn default() -> Any {
        Any::none()
    }
}

fn raw_pod(type_index: i32, value: AnyValue) -> RawAny {
    RawAny {
        type_index,
        small_len: 0,
        value,
    }
}

impl<'a> AnyView<'a> {
    /// The raw value.
    pub(crate) fn raw(&self) -> RawAny {
        self.raw
    }

    /// The raw value, borrowed (a small string's bytes live inside it).
    pub(crate) fn raw_ref(&self) -> &RawAny {
        &self.raw
    }

    /// The tvm-ffi type index.
    pub fn type_index(&self) -> i32 {
        self.raw.type_index
    }

    /// Whether this is `None`.
    pub fn is_none(&self) -> bool {
        self.raw.type_index == sys::K_NONE
    }

    /// Converts to a Rust value (see [`FromAny`](super::FromAny)).
    pub fn to<T: super::FromAny>(&self) -> Result<T, Error> {
        T::from_any(*self)
    }

    /// The object's header, if this is an object (or an r-value reference to one).
    pub(crate) fn object_ptr(&self) -> Option<*mut ObjectHeader> {
        let index = self.raw.type_index;
        if index >= sys::K_STATIC_OBJECT_BEGIN {
            // SAFETY: an object value: `v_obj` is its header.
            let p = unsafe { self.raw.value.v_obj };
            return (!p.is_null()).then_some(p);
        }
        if index == sys::K_OBJECT_RVALUE_REF {
            // SAFETY: an r-value reference points to a live `TVMFFIObject*` slot.
            let p = unsafe { *self.raw.value.v_ptr.cast::<*mut ObjectHeader>() };
            return (!p.is_null()).then_some(p);
        }
        None
    }

    /// The object held, if any, as a new strong handle.
    pub fn object(&self) -> Option<AnyObj> {
        let p = self.object_ptr()?;
        // SAFETY: a live object for `'a`, borrowed (not dropped) to clone a new reference.
        let borrowed = ManuallyDrop::new(unsafe { AnyObj::from_raw(p) });
        Some(AnyObj::clone(&borrowed))
    }

    /// An owned copy: takes a new reference to an object, copies a borrowed string.
    pub fn to_owned(&self) -> Result<Any, Error> {
        match self.raw.type_index {
            sys::K_RAW_STR | sys::K_BYTE_ARRAY_PTR => string::new_string(string::view_str(self)?),
            sys::K_OBJECT_RVALUE_REF => Ok(Any::from_object(self.object().expect("an object"))),
            i if i >= sys::K_STATIC_OBJECT_BEGIN => {
                Ok(Any::from_object(self.object().expect("an object")))
            }
            _ => Ok(Any { raw: self.raw }),
        }
    }

    /// What this value is, for messages: `int`, `str`, a type key, …
    pub fn type_name(&self) -> String {
        type_name_of_index(self.raw.type_index)
    }
}

/// The name of a type index, for messages.
pub(crate) fn type_name_of_index(index: i32) -> String {
    match index {
        sys::K_NONE => "None".into(),
        sys::K_INT => "int".into(),
        sys::K_BOOL => "bool".into(),
        sys::K_FLOAT => "float".into(),
        sys::K_OPAQUE_PTR => "void*".into(),
        sys::K_RAW_STR | sys::K_SMALL_STR | sys::K_STR => "str".into(),
        sys::K_BYTE_ARRAY_PTR => "bytes".into(),
        sys::K_OBJECT_RVALUE_REF => "object (r-value reference)".into(),
        sys::K_OBJECT => "ffi.Object".into(),
        // Under the type lock the registry may be waiting for us: do not ask it.
        i if i >= sys::K_STATIC_OBJECT_BEGIN && super::types::held() => {
            format!("object of type index {i}")
        }
        i if i >= sys::K_STATIC_OBJECT_BEGIN => match registry::by_index(i) {
            Some(t) => t.key().into(),
            None => format!("object of unknown type index {i}"),
        },
        i => format!("value of type index {i}"),
    }
}

impl core::fmt::Debug for AnyView<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let raw = self.raw;
        // SAFETY: each arm reads the union member the type index selects.
        unsafe {
            match raw.type_index {
                sys::K_NONE => f.write_str("None"),
                sys::K_INT => write!(f, "{}", raw.value.v_int64),
                sys::K_BOOL => write!(f, "{}", raw.value.v_int64 != 0),
                sys::K_FLOAT => write!(f, "{:?}", raw.value.v_float64),
                sys::K_RAW_STR | sys::K_SMALL_STR | sys::K_STR | sys::K_BYTE_ARRAY_PTR => {
                    match string::view_str(self) {
                        Ok(s) => write!(f, "{s:?}"),
                        Err(_) => f.write_str("<bytes>"),
                    }
                }
                _ => match self.object_ptr() {
                    Some(p) => write!(f, "<{} at {:p}>", self.type_name(), p),
                    None => write!(f, "<{}>", self.type_name()),
                },
            }
        }
    }
}
