//! The C API of libtvm_ffi (`tvm/ffi/c_api.h`, C ABI 0.1.16 as shipped in the
//! `apache-tvm-ffi` 0.1.15.post2 wheel): the few structs and functions this module uses.
//!
//! # Why not the `tvm-ffi-sys` crate
//!
//! crates.io has `tvm-ffi-sys` 0.1.15, the bindings of the tvm-ffi project itself. We read
//! it and chose to declare what we use here instead (13 functions and 10 types,
//! checked against `c_api.h` by the layout tests below):
//!
//! * It lacks three functions we need (`TVMFFITypeRegisterField`,
//!   `TVMFFITypeRegisterMetadata`, `TVMFFIObjectDecRef`), and declares two that the pinned
//!   library does not export (`TVMFFITraceback`, `TVMFFITestingDummyTarget`): its
//!   declarations follow the project's newer sources, not the wheel we pin.
//! * Its build script fails without `tvm-ffi-config` with a message that names no version,
//!   and links from the wheel's own directory, which Cargo leaves off the run-time library
//!   path of tests and doctests; ours names the pinned wheel and links through `OUT_DIR`
//!   (see `build.rs`), so `cargo test --features tvm-ffi` runs as is.
//! * Its `TVMFFIObject` is a second Rust type for our [`ObjectHeader`](crate::ObjectHeader)
//!   (every object pointer would need a cast between the two), its C enums are Rust enums
//!   (a value the library adds later would be undefined behaviour to read), and it has a
//!   safe `TVMFFIByteArray::as_str` that reads through a raw pointer — not a pattern to
//!   build a sound API on.
//!
//! Everything here is `pub(crate)`; the safe API is the rest of `rcobj::tvm_ffi`.

#![allow(non_snake_case)]

use core::ffi::{c_char, c_int, c_void};

use crate::ObjectHeader;

/// `TVMFFIObjectHandle`: a pointer to an object's header.
pub(crate) type Handle = *mut c_void;

/// `TVMFFIByteArray`: borrowed bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct ByteArray {
    pub(crate) data: *const u8,
    pub(crate) size: usize,
}

impl ByteArray {
    /// Borrows `s` (the caller keeps `s` alive while the result is used).
    pub(crate) fn of(s: &str) -> ByteArray {
        ByteArray {
            data: s.as_ptr(),
            size: s.len(),
        }
    }

    /// An empty array (tvm-ffi accepts a null pointer with size 0).
    pub(crate) const EMPTY: ByteArray = ByteArray {
        data: core::ptr::null(),
        size: 0,
    };

    /// The bytes.
    ///
    /// # Safety
    ///
    /// `data` points to `size` bytes that stay valid and unchanged for `'a`.
    pub(crate) unsafe fn bytes<'a>(self) -> &'a [u8] {
        if self.size == 0 {
            &[]
        } else {
            // SAFETY: guaranteed by the caller.
            unsafe { core::slice::from_raw_parts(self.data, self.size) }
        }
    }
}

/// The payload of a `TVMFFIAny`; which member is meant is told by the type index.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) union AnyValue {
    pub(crate) v_int64: i64,
    pub(crate) v_float64: f64,
    pub(crate) v_ptr: *mut c_void,
    pub(crate) v_obj: *mut ObjectHeader,
    pub(crate) v_bytes: [u8; 8],
    pub(crate) v_uint64: u64,
}

/// A raw `TVMFFIAny`, as it appears in C signatures: a type index, 4 bytes (zero, or a
/// small string's length), 8 bytes of value. It says nothing about ownership; use
/// [`Any`](super::Any) (owned) and [`AnyView`](super::AnyView) (borrowed) to work with one.
///
/// Public only so that a `safe_call` function exported to tvm-ffi can be written in Rust
/// (see [`call_exported`](super::call_exported)).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawAny {
    pub(crate) type_index: i32,
    /// `zero_padding`, or `small_str_len` for a small string.
    pub(crate) small_len: u32,
    pub(crate) value: AnyValue,
}

/// `TVMFFISafeCallType`.
pub(crate) type SafeCall = unsafe extern "C" fn(
    handle: *mut c_void,
    args: *const RawAny,
    num_args: i32,
    result: *mut RawAny,
) -> c_int;

/// `TVMFFIFieldGetter`.
pub(crate) type FieldGetter =
    unsafe extern "C" fn(field: *mut c_void, result: *mut RawAny) -> c_int;

/// `TVMFFIObjectCreator`.
pub(crate) type ObjectCreator = unsafe extern "C" fn(result: *mut Handle) -> c_int;

/// `TVMFFIFieldInfo`.
#[repr(C)]
pub(crate) struct FieldInfo {
    pub(crate) name: ByteArray,
    pub(crate) doc: ByteArray,
    pub(crate) metadata: ByteArray,
    pub(crate) flags: i64,
    pub(crate) size: i64,
    pub(crate) alignment: i64,
    pub(crate) offset: i64,
    pub(crate) getter: Option<FieldGetter>,
    /// A `TVMFFIFieldSetter`, or (with [`FIELD_SETTER_IS_FUNCTION`]) a function handle.
    pub(crate) setter: *mut c_void,
    pub(crate) default_value_or_factory: RawAny,
    pub(crate) field_static_type_index: i32,
}

/// `TVMFFIMethodInfo` (only its layout is used: it is part of `TVMFFITypeInfo`).
#[repr(C)]
pub(crate) struct MethodInfo {
    pub(crate) name: ByteArray,
    pub(crate) doc: ByteArray,
    pub(crate) metadata: ByteArray,
    pub(crate) flags: i64,
    pub(crate) method: RawAny,
}

/// `TVMFFITypeMetadata`.
#[repr(C)]
pub(crate) struct TypeMetadata {
    pub(crate) doc: ByteArray,
    pub(crate) creator: Option<ObjectCreator>,
    pub(crate) total_size: i32,
    pub(crate) structural_eq_hash_kind: i32,
}

/// `TVMFFITypeInfo`: one entry of libtvm_ffi's type table.
#[repr(C)]
pub(crate) struct TypeInfoC {
    pub(crate) type_index: i32,
    pub(crate) type_depth: i32,
    pub(crate) type_key: ByteArray,
    /// `type_ancestors[d]` is the ancestor at depth `d`, for `d < type_depth`.
    pub(crate) type_ancestors: *const *const TypeInfoC,
    pub(crate) type_key_hash: u64,
    pub(crate) num_fields: i32,
    pub(crate) num_methods: i32,
    pub(crate) fields: *const FieldInfo,
    pub(crate) methods: *const MethodInfo,
    pub(crate) metadata: *const TypeMetadata,
}

/// `TVMFFIVersion`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct Version {
    pub(crate) major: u32,
    pub(crate) minor: u32,
    pub(crate) patch: u32,
}

/// The `ErrorObj` payload after the header (`TVMFFIErrorCell`), first three members.
#[repr(C)]
pub(crate) struct ErrorCell {
    pub(crate) kind: ByteArray,
    pub(crate) message: ByteArray,
    pub(crate) backtrace: ByteArray,
}

/// `TVMFFISeqCell`: the `ArrayObj` payload after the header.
#[repr(C)]
pub(crate) struct SeqCell {
    pub(crate) data: *mut RawAny,
    pub(crate) size: i64,
    pub(crate) capacity: i64,
    pub(crate) data_deleter: Option<unsafe extern "C" fn(*mut c_void)>,
}

// ---- type indices (`TVMFFITypeIndex`) ---------------------------------------------------

pub(crate) const K_ANY: i32 = -1;
pub(crate) const K_NONE: i32 = 0;
pub(crate) const K_INT: i32 = 1;
pub(crate) const K_BOOL: i32 = 2;
pub(crate) const K_FLOAT: i32 = 3;
pub(crate) const K_OPAQUE_PTR: i32 = 4;
pub(crate) const K_RAW_STR: i32 = 8;
pub(crate) const K_BYTE_ARRAY_PTR: i32 = 9;
pub(crate) const K_OBJECT_RVALUE_REF: i32 = 10;
pub(crate) const K_SMALL_STR: i32 = 11;
pub(crate) const K_STATIC_OBJECT_BEGIN: i32 = 64;
pub(crate) const K_OBJECT: i32 = 64;
pub(crate) const K_STR: i32 = 65;
pub(crate) const K_FUNCTION: i32 = 68;
pub(crate) const K_ARRAY: i32 = 71;

// ---- field flags (`TVMFFIFieldFlagBitMask`) ---------------------------------------------

pub(crate) const FIELD_HAS_DEFAULT: i64 = 1 << 1;
pub(crate) const FIELD_DEFAULT_FROM_FACTORY: i64 = 1 << 5;
pub(crate) const FIELD_SETTER_IS_FUNCTION: i64 = 1 << 11;

/// `kTVMFFISEqHashKindTreeNode`.
pub(crate) const SEQ_HASH_TREE_NODE: i32 = 1;

extern "C" {
    pub(crate) fn TVMFFIGetVersion(out: *mut Version);
    pub(crate) fn TVMFFIObjectDecRef(obj: Handle) -> c_int;
    pub(crate) fn TVMFFITypeGetOrAllocIndex(
        type_key: *const ByteArray,
        static_type_index: i32,
        type_depth: i32,
        num_child_slots: i32,
        child_slots_can_overflow: i32,
        parent_type_index: i32,
    ) -> i32;
    pub(crate) fn TVMFFIGetTypeInfo(type_index: i32) -> *const TypeInfoC;
    pub(crate) fn TVMFFITypeRegisterField(type_index: i32, info: *const FieldInfo) -> c_int;
    pub(crate) fn TVMFFITypeRegisterMetadata(
        type_index: i32,
        metadata: *const TypeMetadata,
    ) -> c_int;
    pub(crate) fn TVMFFIFunctionCreate(
        self_: *mut c_void,
        safe_call: SafeCall,
        deleter: Option<unsafe extern "C" fn(*mut c_void)>,
        out: *mut Handle,
    ) -> c_int;
    pub(crate) fn TVMFFIFunctionSetGlobal(
        name: *const ByteArray,
        f: Handle,
        allow_override: c_int,
    ) -> c_int;
    pub(crate) fn TVMFFIFunctionGetGlobal(name: *const ByteArray, out: *mut Handle) -> c_int;
    pub(crate) fn TVMFFIFunctionCall(
        func: Handle,
        args: *mut RawAny,
        num_args: i32,
        result: *mut RawAny,
    ) -> c_int;
    pub(crate) fn TVMFFIErrorMoveFromRaised(result: *mut Handle);
    pub(crate) fn TVMFFIErrorSetRaisedFromCStr(kind: *const c_char, message: *const c_char);
    pub(crate) fn TVMFFIStringFromByteArray(input: *const ByteArray, out: *mut RawAny) -> c_int;
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    /// Sizes and offsets as `c_api.h` defines them on a 64-bit target.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn layouts_match_c_api_h() {
        assert_eq!(size_of::<ByteArray>(), 16);
        assert_eq!(size_of::<RawAny>(), 16);
        assert_eq!(align_of::<RawAny>(), 8);
        assert_eq!(offset_of!(RawAny, value), 8);
        assert_eq!(offset_of!(FieldInfo, flags), 48);
        assert_eq!(offset_of!(FieldInfo, offset), 72);
        assert_eq!(offset_of!(FieldInfo, getter), 80);
        assert_eq!(offset_of!(FieldInfo, setter), 88);
        assert_eq!(offset_of!(FieldInfo, default_value_or_factory), 96);
        assert_eq!(offset_of!(FieldInfo, field_static_type_index), 112);
        assert_eq!(size_of::<FieldInfo>(), 120);
        assert_eq!(size_of::<MethodInfo>(), 72);
        assert_eq!(size_of::<TypeMetadata>(), 32);
        assert_eq!(offset_of!(TypeInfoC, type_ancestors), 24);
        assert_eq!(offset_of!(TypeInfoC, num_fields), 40);
        assert_eq!(offset_of!(TypeInfoC, metadata), 64);
        assert_eq!(size_of::<SeqCell>(), 32);
        assert_eq!(size_of::<ErrorCell>(), 48);
    }
}
