//! `ffi.Array`: tvm-ffi's immutable sequence of values. Made through tvm-ffi's own global
//! function `ffi.Array`; read in place (`ArrayObj` is the header, then a `TVMFFISeqCell`
//! whose `data` points to `size` `TVMFFIAny`s).

use std::sync::OnceLock;

use super::any::{Any, AnyView};
use super::error::Error;
use super::function::Function;
use super::sys::{self, SeqCell};

/// A new `ffi.Array` holding (new references to) `items`.
pub(crate) fn new_array(items: &[Any]) -> Result<Any, Error> {
    static MAKE: OnceLock<Function> = OnceLock::new();
    let make = match MAKE.get() {
        Some(f) => f,
        None => {
            let f = Function::get_global("ffi.Array")
                .ok_or_else(|| Error::runtime("libtvm_ffi has no global function `ffi.Array`"))?;
            MAKE.get_or_init(|| f)
        }
    };
    make.call(items)
}

/// The elements of an `ffi.Array` value, borrowed from it; `None` if it is not one.
pub(crate) fn array_items<'b>(value: &'b AnyView<'_>) -> Option<&'b [AnyView<'b>]> {
    if value.type_index() != sys::K_ARRAY {
        return None;
    }
    let header = value.object_ptr()?;
    // SAFETY: an `ArrayObj`, alive while `value`'s borrow lasts: its 24-byte header, then the
    // sequence cell, whose `data` holds `size` initialised values that the array owns and
    // does not change (tvm-ffi arrays are immutable once shared). `AnyView` is a
    // transparent `TVMFFIAny`.
    unsafe {
        let cell = &*header.cast::<u8>().add(24).cast::<SeqCell>();
        let len = usize::try_from(cell.size).ok()?;
        if len == 0 {
            return Some(&[]);
        }
        Some(core::slice::from_raw_parts(
            cell.data.cast::<AnyView<'b>>(),
            len,
        ))
    }
}
