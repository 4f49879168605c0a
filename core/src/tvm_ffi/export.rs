//! Registering a type's reflection with tvm-ffi: each own field (`TVMFFITypeRegisterField`),
//! the type's metadata (`TVMFFITypeRegisterMetadata`) and, for a type with a creator, the
//! keyword constructor (`ffi._RegisterFFIInit`). Done once per type, before any object of
//! it can reach foreign code, under the type lock.

use alloc::format;
use alloc::string::String;

use super::any::Any;
use super::error::Error;
use super::field::{make_setter, Access, SetterContext};
use super::function::Function;
use super::sys::{self, ByteArray};
use super::IntoAny;
use crate::reflect::field::Access as ReflectAccess;
use crate::reflect::{FieldInfo, FieldKind};
use crate::tvm_ffi_probe::Creator;
use crate::{AnyObj, TypeInfo};

/// How tvm-ffi reads and writes a field, from its reflection entry: a derived field's from
/// the derive's probe, a runtime type's from its kind (`Bytes` fields stay invisible).
fn access_of(field: &FieldInfo) -> Option<Access> {
    if let Some(a) = field.ffi {
        return Some(a.inner);
    }
    match field.access {
        ReflectAccess::Raw(kind) => Some(match kind {
            FieldKind::Bool => Access::of::<bool>(),
            FieldKind::I8 => Access::of::<i8>(),
            FieldKind::I16 => Access::of::<i16>(),
            FieldKind::I32 => Access::of::<i32>(),
            FieldKind::I64 => Access::of::<i64>(),
            FieldKind::U8 => Access::of::<u8>(),
            FieldKind::U16 => Access::of::<u16>(),
            FieldKind::U32 => Access::of::<u32>(),
            FieldKind::U64 => Access::of::<u64>(),
            FieldKind::F32 => Access::of::<f32>(),
            FieldKind::F64 => Access::of::<f64>(),
            FieldKind::Bytes(_) => return None,
        }),
        _ => None,
    }
}

/// The fingerprint of a type's reflection (its fields as tvm-ffi would see them), for
/// telling a runtime type registered again under its key from a different one.
pub(crate) fn fields_fingerprint(info: &TypeInfo) -> String {
    let mut out = String::new();
    for f in info.fields() {
        out.push_str(&format!(
            "{}@{}:{}/{};",
            f.name(),
            f.offset(),
            f.size(),
            f.type_name()
        ));
    }
    out
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

/// Registers the reflection of `info` (tvm-ffi index `index`) unless tvm-ffi already has
/// it: each own field it can read (getter, unshared-only setter, type schema and, for a
/// type with a creator, a default made by the creator on demand), the metadata (total
/// size, tree-node structural equality, the creator), and for a type with a creator the
/// keyword constructor `__ffi_init__` (`ffi._RegisterFFIInit`).
///
/// The caller holds the type lock and has allocated `index` in tvm-ffi's table, after
/// exporting every ancestor (the keyword constructor lists inherited fields too). Nothing
/// here waits for the registry (the caller may hold its lock) or makes an rcobj object.
pub(crate) fn export_type(
    info: &TypeInfo,
    index: i32,
    creator: Option<Creator>,
) -> Result<(), Error> {
    // SAFETY: the caller allocated the index in tvm-ffi's table.
    if unsafe { already_exported(index) } {
        return Ok(());
    }
    // `declared_by`: a table entry of another type (which the derive never writes) would
    // hand tvm-ffi an offset into a different layout.
    for field in info.fields().iter().filter(|f| f.declared_by(info)) {
        let Some(access) = access_of(field) else {
            continue;
        };
        let metadata = format!(r#"{{"type_schema":"{}"}}"#, json_escape(&(access.schema)()));
        let setter = make_setter(SetterContext {
            owner_index: index,
            owner_key: info.current_key().into(),
            name: field.name().into(),
            offset: field.offset(),
            access,
        });
        // A default, made on demand: a new default object's value of the field.
        let default = creator.map(|c| default_factory(info.current_key(), field, c, access));
        let mut flags = sys::FIELD_SETTER_IS_FUNCTION;
        if default.is_some() {
            flags |= sys::FIELD_HAS_DEFAULT | sys::FIELD_DEFAULT_FROM_FACTORY;
        }
        let record = sys::FieldInfo {
            name: ByteArray::of(field.name()),
            doc: ByteArray::of(field.doc()),
            metadata: ByteArray::of(&metadata),
            // Not writable from Python (`obj.field = v` is refused by tvm-ffi's property);
            // the setter is a function object that writes only to an unshared object.
            flags,
            size: field.size() as i64,
            alignment: field.align() as i64,
            offset: field.offset() as i64,
            getter: Some(access.getter),
            setter,
            default_value_or_factory: match &default {
                Some(f) => f.view_raw(),
                None => Any::none().into_raw(),
            },
            field_static_type_index: (access.static_index)(),
        };
        // SAFETY: a valid field description; tvm-ffi copies the strings and takes its own
        // references to the setter and the default factory.
        let rc = unsafe { sys::TVMFFITypeRegisterField(index, &record) };
        // SAFETY: our reference to the setter, which tvm-ffi now holds too (or not at all,
        // on failure, and then this frees it).
        unsafe { sys::TVMFFIObjectDecRef(setter) };
        drop(default);
        if rc != 0 {
            return Err(Error::take_raised());
        }
    }
    let metadata = sys::TypeMetadata {
        doc: ByteArray::EMPTY,
        creator,
        total_size: i32::try_from(total_size(info)).unwrap_or(0),
        structural_eq_hash_kind: sys::SEQ_HASH_TREE_NODE,
    };
    // SAFETY: a valid metadata record; tvm-ffi copies it.
    if unsafe { sys::TVMFFITypeRegisterMetadata(index, &metadata) } != 0 {
        return Err(Error::take_raised());
    }
    if creator.is_some() {
        let init = Function::get_global("ffi._RegisterFFIInit")
            .ok_or_else(|| Error::runtime("libtvm_ffi has no `ffi._RegisterFFIInit`"))?;
        init.call(&[index.into_any()?])?;
    }
    Ok(())
}

/// A function `() -> value` that makes a default object with `creator` and reads `field`
/// out of it: the default of a field for tvm-ffi's keyword constructor.
fn default_factory(key: &str, field: &FieldInfo, creator: Creator, access: Access) -> Function {
    let offset = field.offset();
    let getter = access.getter;
    let name = format!("{key}.{}:default", field.name());
    Function::from_fn(&name, &[], move || -> Result<Any, Error> {
        let mut handle: sys::Handle = core::ptr::null_mut();
        // SAFETY: a creator writes a new object (+1) to its out-parameter, or fails.
        if unsafe { creator(&mut handle) } != 0 || handle.is_null() {
            return Err(Error::take_raised());
        }
        // SAFETY: the new object, whose reference is now ours.
        let obj = unsafe { AnyObj::from_raw(handle.cast()) };
        let mut out = Any::none().into_raw();
        // SAFETY: the field's address in a live object of the type (the creator's), and a
        // result slot holding nothing.
        let rc = unsafe {
            getter(
                AnyObj::cell(&obj).as_ptr().cast::<u8>().add(offset).cast(),
                &mut out,
            )
        };
        if rc != 0 {
            return Err(Error::take_raised());
        }
        // SAFETY: the getter wrote an owned value.
        Ok(unsafe { Any::from_raw(out) })
    })
}
