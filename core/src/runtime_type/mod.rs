//! Runtime-defined types: object types built at run time (by a language binding, a JIT or
//! generated code loaded later), kept alive by per-thread reference counts.
//!
//! ```
//! use rcobj::{registry, RuntimeTypeBuilder};
//!
//! // A type with an 8-byte value and no destructor.
//! let ty = RuntimeTypeBuilder::new("doc.runtime.Pair").layout(8, 4).register().unwrap();
//! let obj = ty.new_object(|bytes| bytes.copy_from_slice(&[1, 0, 0, 0, 2, 0, 0, 0])).unwrap();
//! assert!(obj.is_instance_of(ty.info()));
//! assert_eq!(ty.live_count(), 1);
//! assert!(registry::by_key("doc.runtime.Pair").is_some());
//!
//! ty.unregister();
//! assert!(registry::by_key("doc.runtime.Pair").is_none());
//! drop(obj); // the type itself goes when its last handle and instance are gone
//! ```
//!
//! Every instance holds a reference to its type, counted in the creating and in the
//! destroying thread's slot: creating and destroying instances writes no shared cache line.
//! A type is released — descriptor freed, index recycled — exactly when it has been
//! unregistered, its handles dropped and its last instance freed; the merge protocol that
//! makes this exact without stopping the world is described in `counts.rs` and
//! `DESIGN.md`. Threads that sleep delay the release (never make it early) until they next
//! count anything, exit, or call [`merge_thread_counts`](crate::merge_thread_counts).
//!
//! An instance's reference to its type is released when the instance's memory is freed
//! (its last weak reference goes), since freeing needs the type's layout:
//! [`RuntimeType::allocated_count`] counts those instances. [`RuntimeType::live_count`]
//! counts live values (created, not yet destroyed), as for Rust types; it is counted
//! beside the release protocol, in per-thread slots of its own, and never decides a
//! release.

//!
//! The code is in three parts: [`builder`] (the builder and its validation), [`handle`]
//! (the counted type handle: lookups, counts, instances, byte views) and [`release`] (how
//! an instance's phases and a released type are torn down — the runtime-type side of the
//! epoch/pending release protocol, whose per-thread arithmetic is in `counts.rs`,
//! "Runtime types", and is model-checked by `core/tests/loom_runtime_types.rs`). This file
//! holds what all three share: the error type and the type's allocation, [`Inner`].

use ::alloc::boxed::Box;
use ::alloc::string::String;
use core::alloc::Layout;
use core::fmt;
use core::mem::offset_of;
use core::ptr::{self, NonNull};

use crate::header::ObjectHeader;
use crate::type_info::{RuntimeState, TypeInfo};

mod builder;
mod handle;
mod release;

pub use builder::RuntimeTypeBuilder;
pub use handle::RuntimeType;

/// The value offset after the 24-byte header for a value of alignment `align`.
const fn value_offset_for(align: usize) -> usize {
    let header = core::mem::size_of::<ObjectHeader>();
    header.div_ceil(align) * align
}

/// Why a runtime type could not be registered or instantiated. Nothing is registered when
/// `register` fails.
///
/// ```
/// use rcobj::{Object, RuntimeTypeBuilder, RuntimeTypeError};
///
/// #[derive(Object)]
/// #[object(key = "doc.runtime.RuntimeTypeError.Base")]
/// struct Base(u64);
///
/// let err = RuntimeTypeBuilder::new("").register().unwrap_err();
/// assert_eq!(err, RuntimeTypeError::EmptyKey);
///
/// let err = RuntimeTypeBuilder::new("doc.runtime.RuntimeTypeError.Small")
///     .parent::<Base>()
///     .layout(4, 8)
///     .register()
///     .unwrap_err();
/// assert_eq!(err, RuntimeTypeError::SmallerThanParent { size: 4, parent_size: 8 });
/// assert_eq!(err.to_string(), "the value size 4 is smaller than the parent's value size 8");
///
/// // A type with a Rust ancestor needs a value of that ancestor for each instance.
/// let ty = RuntimeTypeBuilder::new("doc.runtime.RuntimeTypeError.Ext")
///     .parent::<Base>()
///     .layout(16, 8)
///     .register()
///     .unwrap();
/// assert!(matches!(ty.new_object(|_| {}), Err(RuntimeTypeError::NeedsBase { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeTypeError {
    /// The key is empty.
    EmptyKey,
    /// Another type (static or runtime) already has this key.
    DuplicateKey {
        /// The key.
        key: String,
        /// The Rust path of the type that has it, or `"<runtime type>"`.
        existing: String,
    },
    /// The parent is `final`.
    FinalParent {
        /// The parent's key.
        parent: String,
    },
    /// The parent runtime type was unregistered.
    ParentUnregistered {
        /// The parent's key.
        parent: String,
    },
    /// The alignment is zero.
    ZeroAlign,
    /// The alignment is not a power of two.
    AlignNotPowerOfTwo {
        /// The alignment given.
        align: usize,
    },
    /// The alignment is below the parent's.
    AlignBelowParent {
        /// The alignment given.
        align: usize,
        /// The parent's alignment.
        parent_align: usize,
    },
    /// The alignment moves the value to another offset after the header than the parent's.
    AlignBreaksParentOffset {
        /// The alignment given.
        align: usize,
        /// The value offset that alignment gives.
        offset: usize,
        /// The parent's value offset.
        parent_offset: usize,
    },
    /// The value is smaller than the parent's, which it must contain.
    SmallerThanParent {
        /// The size given.
        size: usize,
        /// The parent's size.
        parent_size: usize,
    },
    /// The size is too large for a valid layout.
    SizeTooLarge {
        /// The size given.
        size: usize,
    },
    /// Every type index is taken.
    NoFreeIndex,
    /// The type has a static (Rust) ancestor, so its instances must be built with
    /// [`RuntimeType::new_object_with_base`] and that ancestor's value.
    NeedsBase {
        /// The static ancestor's key.
        base: String,
    },
    /// The base value passed is not the type's nearest static ancestor.
    WrongBase {
        /// The nearest static ancestor's key.
        expected: String,
        /// The key of the type passed.
        given: String,
    },
    /// A declared field (see [`RuntimeTypeBuilder::field`]) has an empty name.
    EmptyFieldName,
    /// Two declared fields have one name.
    DuplicateFieldName {
        /// The name.
        name: String,
    },
    /// A declared field does not lie in the type's own part of the value (after the
    /// parent's part, before the end).
    FieldOutsideValue {
        /// The field.
        name: String,
        /// Its offset from the object header.
        offset: usize,
        /// Its size.
        size: usize,
        /// Where the type's own part starts, from the object header.
        start: usize,
        /// Where the value ends, from the object header.
        end: usize,
    },
    /// A declared field's offset is not a multiple of its kind's alignment.
    FieldMisaligned {
        /// The field.
        name: String,
        /// Its offset from the object header.
        offset: usize,
        /// The alignment its kind needs.
        align: usize,
    },
    /// Two declared fields overlap.
    FieldsOverlap {
        /// The field that starts first.
        first: String,
        /// The field that starts inside it.
        second: String,
    },
    /// libtvm_ffi, which allocates every index with the `tvm-ffi` feature, refused the
    /// type: its key is one of tvm-ffi's own, or another runtime's, or was used in this
    /// process for a different type.
    #[cfg(feature = "tvm-ffi")]
    TvmFfi {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for RuntimeTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyKey => write!(f, "the type key is empty"),
            Self::DuplicateKey { key, existing } => {
                write!(
                    f,
                    "the type key `{key}` is already registered by `{existing}`"
                )
            }
            Self::FinalParent { parent } => {
                write!(
                    f,
                    "the parent `{parent}` is final: no type may derive from it"
                )
            }
            Self::ParentUnregistered { parent } => {
                write!(f, "the parent `{parent}` has been unregistered")
            }
            Self::ZeroAlign => write!(f, "the alignment is zero"),
            Self::AlignNotPowerOfTwo { align } => {
                write!(f, "the alignment {align} is not a power of two")
            }
            Self::AlignBelowParent {
                align,
                parent_align,
            } => write!(
                f,
                "the alignment {align} is below the parent's alignment {parent_align}"
            ),
            Self::AlignBreaksParentOffset {
                align,
                offset,
                parent_offset,
            } => write!(
                f,
                "the alignment {align} puts the value at offset {offset} after the header, \
                 but the parent's value is at offset {parent_offset}"
            ),
            Self::SmallerThanParent { size, parent_size } => write!(
                f,
                "the value size {size} is smaller than the parent's value size {parent_size}"
            ),
            Self::SizeTooLarge { size } => write!(f, "the value size {size} is too large"),
            Self::NoFreeIndex => write!(f, "every type index is taken"),
            Self::NeedsBase { base } => write!(
                f,
                "the type derives from the Rust type `{base}`: build instances with \
                 `new_object_with_base` and a `{base}` value"
            ),
            Self::WrongBase { expected, given } => write!(
                f,
                "the base value must be a `{expected}` (the type's nearest Rust ancestor), \
                 not a `{given}`"
            ),
            Self::EmptyFieldName => write!(f, "a declared field has an empty name"),
            Self::DuplicateFieldName { name } => {
                write!(f, "two declared fields are named `{name}`")
            }
            Self::FieldOutsideValue {
                name,
                offset,
                size,
                start,
                end,
            } => write!(
                f,
                "the field `{name}` (offset {offset}, size {size}) does not lie in the type's \
                 own part of the value, offsets {start}..{end} from the object header"
            ),
            Self::FieldMisaligned {
                name,
                offset,
                align,
            } => write!(
                f,
                "the field `{name}` at offset {offset} is not aligned to {align}"
            ),
            Self::FieldsOverlap { first, second } => {
                write!(f, "the fields `{first}` and `{second}` overlap")
            }
            #[cfg(feature = "tvm-ffi")]
            Self::TvmFfi { key, reason } => {
                write!(f, "tvm-ffi refused the type key `{key}`: {reason}")
            }
        }
    }
}

impl core::error::Error for RuntimeTypeError {}

/// The nearest static (Rust) ancestor of a runtime type, if it is not `AnyObject`.
#[derive(Clone, Copy)]
struct StaticBase {
    info: &'static TypeInfo,
    drop: unsafe fn(*mut u8),
}

/// Drops a `P` in place; stored type-erased for runtime types with a Rust ancestor.
unsafe fn drop_as<P>(value: *mut u8) {
    // SAFETY: the caller passes the value of an instance whose base is a live `P`.
    unsafe { ptr::drop_in_place(value.cast::<P>()) }
}

/// A runtime type's destructor of its own part of the value.
enum Destructor {
    /// From [`RuntimeTypeBuilder::drop_fn`]: given the start of the value; must not unwind.
    C(unsafe extern "C" fn(*mut u8)),
    /// From [`RuntimeTypeBuilder::destructor`]: given the type's bytes; may panic.
    Rust(DestructorFn),
}

/// A destructor closure with its context; called from any thread, so `Send + Sync`.
type DestructorFn = Box<dyn Fn(&mut [u8]) + Send + Sync>;

/// The heap buffers a runtime type's descriptor borrows. Raw pointers, so that moving
/// them (into the `Inner`) does not invalidate the borrows; freed on drop.
struct OwnedParts {
    key: *mut str,
    ancestors: *mut [NonNull<TypeInfo>],
    /// The declared fields, and the buffer of their names.
    fields: *mut [crate::reflect::FieldInfo],
    names: *mut str,
}

impl OwnedParts {
    /// Takes the key buffer out (leaving an empty one), to outlive the descriptor.
    fn take_key(&mut self) -> Box<str> {
        let empty: *mut str = Box::into_raw(Box::<str>::default());
        // SAFETY: from `Box::into_raw`, owned by us; replaced, so freed once.
        unsafe { Box::from_raw(core::mem::replace(&mut self.key, empty)) }
    }
}

impl Drop for OwnedParts {
    fn drop(&mut self) {
        // SAFETY: all four came from `Box::into_raw` and are freed once, here; the
        // descriptor that borrowed them is being freed too (or was never published).
        unsafe {
            drop(Box::from_raw(self.key));
            drop(Box::from_raw(self.ancestors));
            drop(Box::from_raw(self.fields));
            drop(Box::from_raw(self.names));
        }
    }
}

// SAFETY: plain owned buffers of `Sync` data.
unsafe impl Send for OwnedParts {}
// SAFETY: as above.
unsafe impl Sync for OwnedParts {}

/// A runtime type: its descriptor first, so `&TypeInfo` and `&Inner` convert.
#[repr(C)]
struct Inner {
    info: TypeInfo,
    /// The reference state and the hierarchy; `info.rc` points here.
    state: RuntimeState,
    owned: OwnedParts,
    /// Keeps a runtime parent (and its ancestors) alive.
    parent: Option<RuntimeType>,
    static_base: Option<StaticBase>,
    /// Where the runtime bytes start in the value: after the Rust base (its size), or 0.
    /// `init`, the destructor and the byte views see `value[bytes_start..size]`.
    bytes_start: usize,
    destructor: Option<Destructor>,
    /// The layout of a whole instance (header and value).
    cell: Layout,
    /// Run after the type is freed.
    on_release: Option<Box<dyn FnOnce() + Send>>,
}

/// The `Inner` of a runtime type's descriptor, reached through the descriptor's `rc`
/// pointer, which was made from the raw `Inner` pointer and so covers all of it.
fn inner_of(info: &TypeInfo) -> *const Inner {
    debug_assert!(info.is_runtime());
    // SAFETY: `rc` points to the `state` field of a live `Inner` (repr(C)).
    unsafe {
        info.rc
            .cast::<u8>()
            .sub(offset_of!(Inner, state))
            .cast::<Inner>()
    }
}
