//! Strings across the boundary: tvm-ffi passes a string of at most 7 bytes inline
//! (`kTVMFFISmallStr`), a longer one as an `ffi.String` object, and accepts borrowed C
//! strings and byte arrays as arguments.

use core::ffi::CStr;

use super::any::{Any, AnyView};
use super::error::Error;
use super::sys::{self, ByteArray, RawAny};

/// A new owned tvm-ffi string: a small string inline, or an `ffi.String` object.
pub(crate) fn new_string(s: &str) -> Result<Any, Error> {
    let bytes = ByteArray::of(s);
    let mut out = RawAny {
        type_index: sys::K_NONE,
        small_len: 0,
        value: sys::AnyValue { v_int64: 0 },
    };
    // SAFETY: `bytes` borrows `s` for the call; `out` is a valid out-parameter that
    // receives an owned string value.
    let rc = unsafe { sys::TVMFFIStringFromByteArray(&bytes, &mut out) };
    if rc != 0 {
        return Err(Error::take_raised());
    }
    // SAFETY: an owned string value, now ours.
    Ok(unsafe { Any::from_raw(out) })
}

/// The text of a string value (small string, `ffi.String`, raw C string or byte array),
/// borrowed from the view: a small string's bytes live inside the view itself.
pub(crate) fn view_str<'b>(v: &'b AnyView<'_>) -> Result<&'b str, Error> {
    let bytes = view_bytes(v)
        .ok_or_else(|| Error::type_error(alloc::format!("expected str, got {}", v.type_name())))?;
    core::str::from_utf8(bytes)
        .map_err(|e| Error::value_error(alloc::format!("a string that is not UTF-8: {e}")))
}

/// The bytes of a string-like value, or `None` for another kind of value.
fn view_bytes<'b>(v: &'b AnyView<'_>) -> Option<&'b [u8]> {
    let raw: &'b RawAny = v.raw_ref();
    // SAFETY: each arm reads what the type index says the value is; the data a view points
    // to stays alive while the view's borrow does, which outlives `'b`.
    unsafe {
        match raw.type_index {
            sys::K_SMALL_STR => {
                let len = (raw.small_len as usize).min(8);
                Some(&raw.value.v_bytes[..len])
            }
            sys::K_STR => {
                // `StringObj`: the 24-byte header, then a `TVMFFIByteArray`.
                let cell = raw.value.v_obj.cast::<u8>().add(24).cast::<ByteArray>();
                Some((*cell).bytes())
            }
            sys::K_RAW_STR => {
                let p = raw.value.v_ptr.cast::<core::ffi::c_char>();
                (!p.is_null()).then(|| CStr::from_ptr(p).to_bytes())
            }
            sys::K_BYTE_ARRAY_PTR => {
                let p = raw.value.v_ptr.cast::<ByteArray>();
                (!p.is_null()).then(|| (*p).bytes())
            }
            _ => None,
        }
    }
}
