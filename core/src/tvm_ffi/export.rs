//! Registering a type's reflection with tvm-ffi: each own field (`TVMFFITypeRegisterField`),
//! the type's metadata (`TVMFFITypeRegisterMetadata`) and, for a type with a creator, the
//! keyword constructor (`ffi._RegisterFFIInit`). Done once per type, before any object of
//! it can reach foreign code, under the type lock.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::any::Any;
use super::error::Error;
use super::field::{make_setter, Access, SetterContext};
use super::function::Function;
use super::sys::{self, ByteArray};
use super::IntoAny;
use crate::tvm_ffi_probe::Creator;
use crate::TypeInfo;

/// One own field of a type, as tvm-ffi will see it.
pub(crate) struct FieldDesc<'a> {
    pub(crate) name: &'a str,
    pub(crate) doc: &'a str,
    /// Bytes from the start of the object header.
    pub(crate) offset: usize,
    pub(crate) size: usize,
    pub(crate) align: usize,
    /// How tvm-ffi reads and writes it; `None`: the field stays invisible to tvm-ffi.
    pub(crate) access: Option<Access>,
}

/// What to register for one type.
pub(crate) struct TypeDesc<'a> {
    pub(crate) info: &'static TypeInfo,
    pub(crate) index: i32,
    pub(crate) doc: &'a str,
    pub(crate) fields: Vec<FieldDesc<'a>>,
    pub(crate) creator: Option<Creator>,
}

/// Whether tvm-ffi already has reflection for `index` (a second registry init, another copy
/// of rcobj in the process): then nothing is registered again, since tvm-ffi rejects a
/// second metadata and aborts on a second `__ffi_init__`.
///
/// # Safety
///
/// `index` is in tvm-ffi's type table (reading a missing entry ends the process).
unsafe fn already_exported(index: i32) -> bool {
    // SAFETY: per the caller; the entry lives as long as the process.
    let entry = unsafe { &*sys::TVMFFIGetTypeInfo(index) };
    !entry.metadata.is_null() || entry.num_fields != 0
}

/// JSON string escaping (for a schema nested as a string value).
fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The size of a whole object of the type (header and value).
fn total_size(info: &TypeInfo) -> usize {
    let align = info.align().max(8);
    let value_offset = 24usize.next_multiple_of(info.align().max(1));
    (value_offset + info.size()).next_multiple_of(align)
}

/// Registers `desc` with tvm-ffi unless it already has it. The caller holds the type lock
/// and has allocated `desc.index` in tvm-ffi's table (with every ancestor exported first:
/// the keyword constructor lists inherited fields too).
pub(crate) fn export_type(desc: &TypeDesc<'_>) -> Result<(), Error> {
    // SAFETY: the caller allocated the index in tvm-ffi's table.
    if unsafe { already_exported(desc.index) } {
        return Ok(());
    }
    for field in &desc.fields {
        let Some(access) = field.access else { continue };
        let metadata = format!(r#"{{"type_schema":"{}"}}"#, json_escape(&(access.schema)()));
        let setter = make_setter(SetterContext {
            owner: desc.info,
            name: field.name.into(),
            offset: field.offset,
            access,
        });
        let info = sys::FieldInfo {
            name: ByteArray::of(field.name),
            doc: ByteArray::of(field.doc),
            metadata: ByteArray::of(&metadata),
            // Not writable from Python (`obj.field = v` is refused by tvm-ffi's property);
            // the setter is a function object that writes only to an unshared object.
            flags: sys::FIELD_SETTER_IS_FUNCTION,
            size: field.size as i64,
            alignment: field.align as i64,
            offset: field.offset as i64,
            getter: Some(access.getter),
            setter,
            default_value_or_factory: Any::none().into_raw(),
            field_static_type_index: (access.static_index)(),
        };
        // SAFETY: a valid field description; tvm-ffi copies the strings and takes its own
        // reference to the setter function.
        let rc = unsafe { sys::TVMFFITypeRegisterField(desc.index, &info) };
        // SAFETY: our reference to the setter, which tvm-ffi now holds too (or not at all,
        // on failure, and then this frees it).
        unsafe { sys::TVMFFIObjectDecRef(setter) };
        if rc != 0 {
            return Err(Error::take_raised());
        }
    }
    let metadata = sys::TypeMetadata {
        doc: ByteArray::of(desc.doc),
        creator: desc.creator,
        total_size: i32::try_from(total_size(desc.info)).unwrap_or(0),
        structural_eq_hash_kind: sys::SEQ_HASH_TREE_NODE,
    };
    // SAFETY: a valid metadata record; tvm-ffi copies it.
    if unsafe { sys::TVMFFITypeRegisterMetadata(desc.index, &metadata) } != 0 {
        return Err(Error::take_raised());
    }
    if desc.creator.is_some() {
        let init = Function::get_global("ffi._RegisterFFIInit")
            .ok_or_else(|| Error::runtime("libtvm_ffi has no `ffi._RegisterFFIInit`"))?;
        init.call(&[desc.index.into_any()?])?;
    }
    Ok(())
}
