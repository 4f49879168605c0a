//! Declared fields of runtime-defined types: [`FieldKind`], how a field's bytes are read,
//! and the checks [`RuntimeTypeBuilder::field`](crate::RuntimeTypeBuilder::field) runs
//! at registration.

use ::alloc::borrow::ToOwned;
use ::alloc::boxed::Box;
use ::alloc::string::String;
use ::alloc::vec::Vec;

use super::field::FieldInfo;
use super::value::Value;
use crate::obj::{AnyObj, Obj};
use crate::runtime_type::RuntimeTypeError;

/// The kind of plain data a runtime type's declared field holds (see
/// [`RuntimeTypeBuilder::field`](crate::RuntimeTypeBuilder::field)): what its bytes mean.
///
/// Every kind is valid for any bit pattern: a runtime type's value is bytes written by its
/// `init` closure, so nothing else can be read soundly. A `Bool` reads any nonzero byte as
/// `true`.
///
/// ```
/// use rcobj::reflect::FieldKind;
///
/// assert_eq!((FieldKind::I32.size(), FieldKind::I32.align()), (4, 4));
/// assert_eq!(FieldKind::Bytes(3).size(), 3);
/// assert_eq!(FieldKind::F64.type_name(), "f64");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldKind {
    /// One byte; nonzero is `true`.
    Bool,
    /// `i8`.
    I8,
    /// `i16`, native endian.
    I16,
    /// `i32`, native endian.
    I32,
    /// `i64`, native endian.
    I64,
    /// `u8`.
    U8,
    /// `u16`, native endian.
    U16,
    /// `u32`, native endian.
    U32,
    /// `u64`, native endian.
    U64,
    /// `f32`, native endian.
    F32,
    /// `f64`, native endian.
    F64,
    /// That many bytes, read as [`Value::Bytes`].
    Bytes(usize),
}

impl FieldKind {
    /// The field's size in bytes.
    ///
    /// ```
    /// use rcobj::reflect::FieldKind;
    ///
    /// assert_eq!(FieldKind::U16.size(), 2);
    /// ```
    pub const fn size(self) -> usize {
        match self {
            FieldKind::Bool | FieldKind::I8 | FieldKind::U8 => 1,
            FieldKind::I16 | FieldKind::U16 => 2,
            FieldKind::I32 | FieldKind::U32 | FieldKind::F32 => 4,
            FieldKind::I64 | FieldKind::U64 | FieldKind::F64 => 8,
            FieldKind::Bytes(n) => n,
        }
    }

    /// The alignment the field's offset must have.
    ///
    /// ```
    /// use rcobj::reflect::FieldKind;
    ///
    /// assert_eq!(FieldKind::U16.align(), 2);
    /// assert_eq!(FieldKind::Bytes(16).align(), 1);
    /// ```
    pub const fn align(self) -> usize {
        match self {
            FieldKind::Bytes(_) => 1,
            FieldKind::I64 | FieldKind::U64 => core::mem::align_of::<u64>(),
            FieldKind::F64 => core::mem::align_of::<f64>(),
            other => other.size(),
        }
    }

    /// The name [`FieldInfo::type_name`](super::FieldInfo::type_name) reports: the Rust
    /// type of the data (`"[u8]"` for bytes).
    ///
    /// ```
    /// use rcobj::reflect::FieldKind;
    ///
    /// assert_eq!(FieldKind::Bool.type_name(), "bool");
    /// assert_eq!(FieldKind::Bytes(4).type_name(), "[u8]");
    /// ```
    pub const fn type_name(self) -> &'static str {
        match self {
            FieldKind::Bool => "bool",
            FieldKind::I8 => "i8",
            FieldKind::I16 => "i16",
            FieldKind::I32 => "i32",
            FieldKind::I64 => "i64",
            FieldKind::U8 => "u8",
            FieldKind::U16 => "u16",
            FieldKind::U32 => "u32",
            FieldKind::U64 => "u64",
            FieldKind::F32 => "f32",
            FieldKind::F64 => "f64",
            FieldKind::Bytes(_) => "[u8]",
        }
    }

    /// Reads the field at `offset` bytes from the header of `obj`.
    ///
    /// # Safety
    ///
    /// `obj` is an instance of a runtime type that declares (or inherits) this field at
    /// `offset`: registration checked that it lies in initialised bytes of the value and is
    /// aligned.
    pub(crate) unsafe fn read<'a>(self, obj: &'a AnyObj, offset: usize) -> Value<'a> {
        // SAFETY: in bounds of the live block (the caller's guarantee); the pointer keeps the
        // provenance of the whole block.
        let p = unsafe { Obj::cell(obj).as_ptr().cast::<u8>().add(offset) };
        macro_rules! read {
            ($t:ty) => {
                // SAFETY: aligned, initialised, and every bit pattern is a valid `$t`.
                unsafe { p.cast::<$t>().read() }
            };
        }
        match self {
            FieldKind::Bool => Value::Bool(read!(u8) != 0),
            FieldKind::I8 => Value::Int(read!(i8).into()),
            FieldKind::I16 => Value::Int(read!(i16).into()),
            FieldKind::I32 => Value::Int(read!(i32).into()),
            FieldKind::I64 => Value::Int(read!(i64)),
            FieldKind::U8 => Value::UInt(read!(u8).into()),
            FieldKind::U16 => Value::UInt(read!(u16).into()),
            FieldKind::U32 => Value::UInt(read!(u32).into()),
            FieldKind::U64 => Value::UInt(read!(u64)),
            FieldKind::F32 => Value::Float(read!(f32).into()),
            FieldKind::F64 => Value::Float(read!(f64)),
            // SAFETY: `n` initialised bytes of the value, borrowed for as long as `obj`.
            FieldKind::Bytes(n) => Value::Bytes(unsafe { core::slice::from_raw_parts(p, n) }),
        }
    }
}

/// A field a runtime type declares, as given to
/// [`RuntimeTypeBuilder::field`](crate::RuntimeTypeBuilder::field).
pub(crate) struct DeclaredField {
    pub(crate) name: String,
    pub(crate) offset: usize,
    pub(crate) kind: FieldKind,
}

/// Checks declared fields against the type's own part of the value, `start..end` bytes
/// from the header: each named, once, inside, aligned, and disjoint from the others.
pub(crate) fn check_fields(
    fields: &[DeclaredField],
    start: usize,
    end: usize,
) -> Result<(), RuntimeTypeError> {
    let mut spans: Vec<(usize, usize, &str)> = Vec::with_capacity(fields.len());
    for (i, f) in fields.iter().enumerate() {
        if f.name.is_empty() {
            return Err(RuntimeTypeError::EmptyFieldName);
        }
        if fields[..i].iter().any(|g| g.name == f.name) {
            return Err(RuntimeTypeError::DuplicateFieldName {
                name: f.name.clone(),
            });
        }
        let size = f.kind.size();
        let inside = f.offset >= start && f.offset.checked_add(size).is_some_and(|e| e <= end);
        if !inside {
            return Err(RuntimeTypeError::FieldOutsideValue {
                name: f.name.clone(),
                offset: f.offset,
                size,
                start,
                end,
            });
        }
        if f.offset % f.kind.align() != 0 {
            return Err(RuntimeTypeError::FieldMisaligned {
                name: f.name.clone(),
                offset: f.offset,
                align: f.kind.align(),
            });
        }
        if size != 0 {
            spans.push((f.offset, f.offset + size, &f.name));
        }
    }
    spans.sort_unstable();
    for pair in spans.windows(2) {
        let [(_, end_a, a), (start_b, _, b)] = pair else {
            continue;
        };
        if start_b < end_a {
            return Err(RuntimeTypeError::FieldsOverlap {
                first: (*a).to_owned(),
                second: (*b).to_owned(),
            });
        }
    }
    Ok(())
}

/// The table of checked declared fields, and the buffer their names live in: heap
/// buffers for the runtime type to own (freed with it), as raw pointers, since the table
/// borrows the names.
pub(crate) fn field_table(fields: Vec<DeclaredField>) -> (*mut [FieldInfo], *mut str) {
    let mut buffer = String::new();
    for f in &fields {
        buffer.push_str(&f.name);
    }
    let names: *mut str = Box::into_raw(buffer.into_boxed_str());
    // SAFETY: the buffer lives until the runtime type frees it, after its descriptor (which
    // alone hands the names out, with the descriptor's lifetime) is gone.
    let all: &'static str = unsafe { &*names };
    let mut at = 0;
    let table: Vec<FieldInfo> = fields
        .iter()
        .map(|f| {
            let name = &all[at..at + f.name.len()];
            at += f.name.len();
            FieldInfo::runtime(name, f.offset, f.kind)
        })
        .collect();
    (Box::into_raw(table.into_boxed_slice()), names)
}
