//! Conversions between Rust values and tvm-ffi values: [`IntoAny`], [`FromAny`] and the
//! type description both share, [`FfiType`].
//!
//! | Rust | tvm-ffi (Python) |
//! |---|---|
//! | `bool` | `bool` |
//! | `i8` … `i64`, `u8` … `u64`, `isize`, `usize` | `int` (range-checked both ways) |
//! | `f32`, `f64` | `float` (an `int` is accepted too) |
//! | `String`, `&str` (into only) | `str`: a small string or an `ffi.String` |
//! | `Obj<T>`, `AnyObj` | the object itself (no copy; `T: Send + Sync`) |
//! | `Option<T>` | `None` or `T` |
//! | `Vec<T>` | `ffi.Array` (elements converted one by one) |
//! | `()` | `None` |
//! | [`Any`] | any value |

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::any::{Any, AnyView};
use super::array;
use super::error::Error;
use super::string;
use super::sys::{self, AnyValue};
use crate::{AnyObject, Obj, Object};

/// A Rust type that has a tvm-ffi counterpart: how tvm-ffi describes it.
pub trait FfiType {
    /// The tvm-ffi type schema, a JSON object: `{"type":"int"}`,
    /// `{"type":"ffi.Array","args":[{"type":"float"}]}`, `{"type":"demo.Shape"}`, …
    /// (registered as a field's `type_schema` metadata; Python reads it for typing).
    fn type_schema() -> String;

    /// The short name used in messages: `int`, `str`, a type key, …
    fn type_str() -> String;

    /// The `field_static_type_index` of a field of this type: `kTVMFFIInt` (1), …,
    /// `kTVMFFIObject` (64) for an object, `kTVMFFIAny` (-1) when it can vary.
    fn static_type_index() -> i32;
}

/// A Rust value that converts into an owned tvm-ffi value.
///
/// ```
/// use rcobj::tvm_ffi::IntoAny;
///
/// assert_eq!(true.into_any().unwrap().to::<bool>().unwrap(), true);
/// assert!(u64::MAX.into_any().is_err()); // does not fit tvm-ffi's int64
/// let v = vec![1.5f64, 2.5].into_any().unwrap(); // an `ffi.Array`
/// assert_eq!(v.to::<Vec<f64>>().unwrap(), [1.5, 2.5]);
/// ```
pub trait IntoAny: FfiType {
    /// Converts; fails only when the value has no tvm-ffi form (an integer out of `i64`'s
    /// range) or tvm-ffi cannot allocate.
    fn into_any(self) -> Result<Any, Error>;
}

/// A Rust value that can be read from a tvm-ffi value.
///
/// A mismatch is a `TypeError` ("expected int, got str"); a value out of range a
/// `ValueError`.
///
/// ```
/// use rcobj::tvm_ffi::{FromAny, IntoAny};
///
/// let s = "hi".into_any().unwrap(); // a small string, inline
/// assert_eq!(String::from_any(s.view()).unwrap(), "hi");
/// let err = i64::from_any(s.view()).unwrap_err();
/// assert_eq!((err.kind(), err.message()), ("TypeError", "expected int, got str"));
/// assert!(u8::from_any(300i64.into_any().unwrap().view()).is_err());
/// ```
pub trait FromAny: FfiType + Sized {
    /// Reads `value` (objects are shared, strings and sequences copied).
    fn from_any(value: AnyView<'_>) -> Result<Self, Error>;
}

/// The `TypeError` of a mismatch.
pub(crate) fn mismatch<T: FfiType>(got: AnyView<'_>) -> Error {
    Error::type_error(format!(
        "expected {}, got {}",
        T::type_str(),
        got.type_name()
    ))
}

fn simple_schema(name: &str) -> String {
    format!(r#"{{"type":"{name}"}}"#)
}

// ---- None -----------------------------------------------------------------------------

impl FfiType for () {
    fn type_schema() -> String {
        simple_schema("None")
    }
    fn type_str() -> String {
        "None".into()
    }
    fn static_type_index() -> i32 {
        sys::K_NONE
    }
}

impl IntoAny for () {
    fn into_any(self) -> Result<Any, Error> {
        Ok(Any::none())
    }
}

impl FromAny for () {
    fn from_any(value: AnyView<'_>) -> Result<(), Error> {
        if value.is_none() {
            Ok(())
        } else {
            Err(mismatch::<()>(value))
        }
    }
}

// ---- bool -----------------------------------------------------------------------------

impl FfiType for bool {
    fn type_schema() -> String {
        simple_schema("bool")
    }
    fn type_str() -> String {
        "bool".into()
    }
    fn static_type_index() -> i32 {
        sys::K_BOOL
    }
}

impl IntoAny for bool {
    fn into_any(self) -> Result<Any, Error> {
        Ok(Any::pod(
            sys::K_BOOL,
            AnyValue {
                v_int64: i64::from(self),
            },
        ))
    }
}

impl FromAny for bool {
    /// A `bool`, or an `int` (nonzero is `true`), as tvm-ffi converts.
    fn from_any(value: AnyView<'_>) -> Result<bool, Error> {
        match value.type_index() {
            // SAFETY: a bool or an int is an `int64` payload.
            sys::K_BOOL | sys::K_INT => Ok(unsafe { value.raw().value.v_int64 } != 0),
            _ => Err(mismatch::<bool>(value)),
        }
    }
}

// ---- integers -------------------------------------------------------------------------

macro_rules! integer {
    ($($t:ty)*) => {$(
        impl FfiType for $t {
            fn type_schema() -> String {
                simple_schema("int")
            }
            fn type_str() -> String {
                "int".into()
            }
            fn static_type_index() -> i32 {
                sys::K_INT
            }
        }

        impl IntoAny for $t {
            fn into_any(self) -> Result<Any, Error> {
                let v = i64::try_from(self).map_err(|_| {
                    Error::value_error(format!(
                        "{self} does not fit tvm-ffi's int (a 64-bit signed integer)"
                    ))
                })?;
                Ok(Any::pod(sys::K_INT, AnyValue { v_int64: v }))
            }
        }

        impl FromAny for $t {
            /// An `int` (or a `bool`) within the type's range.
            fn from_any(value: AnyView<'_>) -> Result<$t, Error> {
                match value.type_index() {
                    sys::K_INT | sys::K_BOOL => {
                        // SAFETY: an int or bool is an `int64` payload.
                        let v = unsafe { value.raw().value.v_int64 };
                        <$t>::try_from(v).map_err(|_| {
                            Error::value_error(format!(
                                "{v} is out of range for {}",
                                stringify!($t)
                            ))
                        })
                    }
                    _ => Err(mismatch::<$t>(value)),
                }
            }
        }
    )*};
}

integer!(i8 i16 i32 i64 isize u8 u16 u32 u64 usize);

// ---- floats ---------------------------------------------------------------------------

macro_rules! float {
    ($($t:ty)*) => {$(
        impl FfiType for $t {
            fn type_schema() -> String {
                simple_schema("float")
            }
            fn type_str() -> String {
                "float".into()
            }
            fn static_type_index() -> i32 {
                sys::K_FLOAT
            }
        }

        impl IntoAny for $t {
            fn into_any(self) -> Result<Any, Error> {
                Ok(Any::pod(sys::K_FLOAT, AnyValue { v_float64: f64::from(self) }))
            }
        }

        impl FromAny for $t {
            /// A `float`, or an `int` (converted, as tvm-ffi does).
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            fn from_any(value: AnyView<'_>) -> Result<$t, Error> {
                match value.type_index() {
                    // SAFETY: a float payload.
                    sys::K_FLOAT => Ok(unsafe { value.raw().value.v_float64 } as $t),
                    // SAFETY: an int payload.
                    sys::K_INT => Ok(unsafe { value.raw().value.v_int64 } as $t),
                    _ => Err(mismatch::<$t>(value)),
                }
            }
        }
    )*};
}

float!(f32 f64);

// ---- strings --------------------------------------------------------------------------

impl FfiType for String {
    fn type_schema() -> String {
        simple_schema("ffi.String")
    }
    fn type_str() -> String {
        "str".into()
    }
    fn static_type_index() -> i32 {
        sys::K_STR
    }
}

impl IntoAny for String {
    fn into_any(self) -> Result<Any, Error> {
        string::new_string(&self)
    }
}

impl FromAny for String {
    /// A small string, an `ffi.String`, or a borrowed C string / byte array, if UTF-8.
    fn from_any(value: AnyView<'_>) -> Result<String, Error> {
        string::view_str(&value).map(ToString::to_string)
    }
}

impl FfiType for &str {
    fn type_schema() -> String {
        String::type_schema()
    }
    fn type_str() -> String {
        String::type_str()
    }
    fn static_type_index() -> i32 {
        String::static_type_index()
    }
}

impl IntoAny for &str {
    fn into_any(self) -> Result<Any, Error> {
        string::new_string(self)
    }
}

// ---- objects --------------------------------------------------------------------------

/// The key tvm-ffi knows a type by: the root is `ffi.Object` there.
pub(crate) fn ffi_key(info: &crate::TypeInfo) -> &str {
    if info.depth() == 0 {
        "ffi.Object"
    } else {
        info.current_key()
    }
}

impl<T: Object + Send + Sync> FfiType for Obj<T> {
    fn type_schema() -> String {
        simple_schema(ffi_key(T::type_info()))
    }
    fn type_str() -> String {
        ffi_key(T::type_info()).into()
    }
    fn static_type_index() -> i32 {
        sys::K_OBJECT
    }
}

impl<T: Object + Send + Sync> IntoAny for Obj<T> {
    /// The object itself: the value takes over this handle's strong reference.
    fn into_any(self) -> Result<Any, Error> {
        let raw = Obj::into_raw(self);
        // SAFETY: every object is an `AnyObject`; the strong reference moves; `T: Send +
        // Sync`, so the erased handle keeps the rule that a `Send + Sync` handle never points
        // at an object whose real type is not (a `T`'s real type is `T` or a descendant,
        // which the derive makes `Send + Sync` whenever it may be viewed as a `T` here).
        Ok(Any::from_object(unsafe { Obj::<AnyObject>::from_raw(raw) }))
    }
}

impl<T: Object + Send + Sync> FromAny for Obj<T> {
    /// An object whose real type is `T` or a descendant (a new strong reference to it).
    fn from_any(value: AnyView<'_>) -> Result<Obj<T>, Error> {
        let obj = value.object().ok_or_else(|| mismatch::<Obj<T>>(value))?;
        obj.downcast::<T>().map_err(|_| mismatch::<Obj<T>>(value))
    }
}

// ---- Option ---------------------------------------------------------------------------

impl<T: FfiType> FfiType for Option<T> {
    fn type_schema() -> String {
        format!(r#"{{"type":"Optional","args":[{}]}}"#, T::type_schema())
    }
    fn type_str() -> String {
        format!("Optional[{}]", T::type_str())
    }
    fn static_type_index() -> i32 {
        sys::K_ANY
    }
}

impl<T: IntoAny> IntoAny for Option<T> {
    fn into_any(self) -> Result<Any, Error> {
        match self {
            Some(v) => v.into_any(),
            None => Ok(Any::none()),
        }
    }
}

impl<T: FromAny> FromAny for Option<T> {
    /// `None`, or a `T`.
    fn from_any(value: AnyView<'_>) -> Result<Option<T>, Error> {
        if value.is_none() {
            return Ok(None);
        }
        T::from_any(value).map(Some).map_err(|e| {
            if e.kind() == "TypeError" {
                mismatch::<Option<T>>(value)
            } else {
                e
            }
        })
    }
}

// ---- sequences ------------------------------------------------------------------------

impl<T: FfiType> FfiType for Vec<T> {
    fn type_schema() -> String {
        format!(r#"{{"type":"ffi.Array","args":[{}]}}"#, T::type_schema())
    }
    fn type_str() -> String {
        format!("ffi.Array[{}]", T::type_str())
    }
    fn static_type_index() -> i32 {
        sys::K_ARRAY
    }
}

impl<T: IntoAny> IntoAny for Vec<T> {
    /// A new `ffi.Array` of the converted elements.
    fn into_any(self) -> Result<Any, Error> {
        let items = self
            .into_iter()
            .map(IntoAny::into_any)
            .collect::<Result<Vec<Any>, Error>>()?;
        array::new_array(&items)
    }
}

impl<T: FromAny> FromAny for Vec<T> {
    /// The elements of an `ffi.Array`, each converted (an error names the element).
    fn from_any(value: AnyView<'_>) -> Result<Vec<T>, Error> {
        let items = array::array_items(&value).ok_or_else(|| mismatch::<Vec<T>>(value))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| T::from_any(*item).map_err(|e| e.context(&format!("element {i}: "))))
            .collect()
    }
}

// ---- Any ------------------------------------------------------------------------------

impl FfiType for Any {
    fn type_schema() -> String {
        simple_schema("Any")
    }
    fn type_str() -> String {
        "Any".into()
    }
    fn static_type_index() -> i32 {
        sys::K_ANY
    }
}

impl IntoAny for Any {
    fn into_any(self) -> Result<Any, Error> {
        Ok(self)
    }
}

impl FromAny for Any {
    /// Any value, owned (a new reference to an object, a copy of a borrowed string).
    fn from_any(value: AnyView<'_>) -> Result<Any, Error> {
        value.to_owned()
    }
}

// ---- by reference (field getters) -----------------------------------------------------

/// A Rust value that can be copied out as a tvm-ffi value without being consumed: what a
/// reflected field's getter needs (tvm-ffi reads a field into an owned value). Objects are
/// shared (a new reference), strings and sequences copied.
///
/// ```
/// use rcobj::tvm_ffi::ToAny;
///
/// let names = vec!["a".to_string(), "b".to_string()];
/// let v = names.to_any().unwrap(); // `names` is still ours
/// assert_eq!(v.to::<Vec<String>>().unwrap(), names);
/// ```
pub trait ToAny: FfiType {
    /// Copies the value out.
    fn to_any(&self) -> Result<Any, Error>;
}

macro_rules! to_any_by_copy {
    ($($t:ty)*) => {$(
        impl ToAny for $t {
            fn to_any(&self) -> Result<Any, Error> {
                (*self).into_any()
            }
        }
    )*};
}

to_any_by_copy!(() bool i8 i16 i32 i64 isize u8 u16 u32 u64 usize f32 f64);

impl ToAny for String {
    fn to_any(&self) -> Result<Any, Error> {
        string::new_string(self)
    }
}

impl<T: Object + Send + Sync> ToAny for Obj<T> {
    fn to_any(&self) -> Result<Any, Error> {
        self.clone().into_any()
    }
}

impl<T: ToAny> ToAny for Option<T> {
    fn to_any(&self) -> Result<Any, Error> {
        match self {
            Some(v) => v.to_any(),
            None => Ok(Any::none()),
        }
    }
}

impl<T: ToAny> ToAny for Vec<T> {
    fn to_any(&self) -> Result<Any, Error> {
        let items = self
            .iter()
            .map(ToAny::to_any)
            .collect::<Result<Vec<Any>, Error>>()?;
        array::new_array(&items)
    }
}

impl ToAny for Any {
    fn to_any(&self) -> Result<Any, Error> {
        Ok(self.clone())
    }
}
