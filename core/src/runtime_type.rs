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
//! (its last weak reference goes), since freeing needs the type's layout; so
//! [`RuntimeType::live_count`] counts instances whose memory is still allocated.

use ::alloc::alloc;
use ::alloc::borrow::ToOwned;
use ::alloc::boxed::Box;
use ::alloc::string::String;
use ::alloc::vec::Vec;
use core::alloc::Layout;
use core::ffi::c_void;
use core::fmt;
use core::mem::offset_of;
use core::ptr::{self, NonNull};

use crate::counts::{self, TypeRc};
use crate::deleter::{
    catch, first_panic, park_callback_or_abort, park_or_abort, resume_callback, CallbackPanic,
};
use crate::header::{ObjectHeader, DELETER_STRONG, DELETER_WEAK};
use crate::obj::{AnyObj, Obj};
use crate::registry::{self, RegisterError, TypeRef};
use crate::type_info::{AnyObject, Object, RuntimeState, TypeInfo};

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

enum ParentSpec {
    Root,
    Static {
        info: &'static TypeInfo,
        base: StaticBase,
        offset: usize,
    },
    Runtime(RuntimeType),
}

/// Builds a runtime-defined type: key, parent, value layout, destructor.
///
/// ```
/// use rcobj::RuntimeTypeBuilder;
///
/// let ty = RuntimeTypeBuilder::new("doc.runtime.RuntimeTypeBuilder.Point")
///     .layout(16, 8) // two `f64`s, say
///     .final_type()
///     .register()
///     .unwrap();
/// let p = ty.new_object(|bytes| bytes[..8].copy_from_slice(&1.5f64.to_ne_bytes())).unwrap();
/// assert!(p.is_instance_of(ty.info()));
/// assert_eq!((ty.info().size(), ty.info().align()), (16, 8));
/// ```
pub struct RuntimeTypeBuilder {
    key: String,
    parent: ParentSpec,
    size: usize,
    align: usize,
    drop_fn: Option<unsafe extern "C" fn(*mut u8)>,
    is_final: bool,
    on_release: Option<Box<dyn FnOnce() + Send>>,
}

impl RuntimeTypeBuilder {
    /// A type with this key, parent [`AnyObject`], an empty value and no destructor.
    ///
    /// ```
    /// use rcobj::{AnyObject, Object, RuntimeTypeBuilder};
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.new").register().unwrap();
    /// assert_eq!(ty.key(), "doc.runtime.new");
    /// assert!(std::ptr::eq(ty.info().parent().unwrap(), AnyObject::type_info()));
    /// assert_eq!((ty.info().size(), ty.info().align()), (0, 1));
    /// ```
    pub fn new(key: impl Into<String>) -> RuntimeTypeBuilder {
        RuntimeTypeBuilder {
            key: key.into(),
            parent: ParentSpec::Root,
            size: 0,
            align: 1,
            drop_fn: None,
            is_final: false,
            on_release: None,
        }
    }

    /// Runs `f` once the type is released (unregistered, no handle, no instance left) and
    /// its descriptor freed — e.g. to unload the code its destructor lives in. It runs on
    /// whichever thread released the type, with no lock of rcobj held, before the type's
    /// handle to a runtime parent is dropped (so a child's callback runs before its
    /// parent's).
    ///
    /// A panic in `f` is treated like a panic in a `Drop`: the release completes first
    /// (nothing leaks), then the panic propagates to the Rust code that released the last
    /// reference (dropping a handle or an instance, `unregister`,
    /// [`merge_thread_counts`](crate::merge_thread_counts), …). If the last reference was
    /// released by foreign code (through the C deleter) or by a thread's exit merge, no
    /// Rust caller can receive it and the process aborts with a message naming the type.
    /// Without `std` a panic is not caught at all.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let released = Arc::new(AtomicBool::new(false));
    /// let flag = released.clone();
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.on_release")
    ///     .on_release(move || flag.store(true, Ordering::SeqCst))
    ///     .register()
    ///     .unwrap();
    /// let handle = ty.clone();
    /// ty.unregister();
    /// drop(ty);
    /// assert!(!released.load(Ordering::SeqCst)); // `handle` keeps the type
    /// drop(handle);
    /// assert!(released.load(Ordering::SeqCst));
    /// ```
    pub fn on_release(mut self, f: impl FnOnce() + Send + 'static) -> RuntimeTypeBuilder {
        self.on_release = Some(Box::new(f));
        self
    }

    /// Derives from the Rust type `P`: instances start with a `P` value (see
    /// [`RuntimeType::new_object_with_base`]), so `is::<P>()` and `downcast::<P>()` work.
    ///
    /// ```
    /// use rcobj::{Object, RuntimeTypeBuilder};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.runtime.parent.Base")]
    /// struct Base { id: u32 }
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.parent.Ext")
    ///     .parent::<Base>()
    ///     .layout(std::mem::size_of::<Base>() + 8, 8) // the `Base`, then 8 bytes of its own
    ///     .register()
    ///     .unwrap();
    /// let obj = ty.new_object_with_base(Base { id: 3 }, |own| own[0] = 1).unwrap();
    /// assert!(obj.is::<Base>());
    /// assert_eq!(obj.downcast_ref::<Base>().map(|b| b.id), Some(3));
    /// assert_eq!(Base::type_info().live_count(), 0); // counted for the runtime type
    /// assert_eq!(ty.live_count(), 1);
    ///
    /// // `parent::<AnyObject>()` is the root, as with no parent at all.
    /// let root = RuntimeTypeBuilder::new("doc.runtime.parent.Root")
    ///     .parent::<rcobj::AnyObject>()
    ///     .register()
    ///     .unwrap();
    /// assert!(root.new_object(|_| {}).is_ok());
    /// ```
    pub fn parent<P: Object + Send + Sync>(mut self) -> RuntimeTypeBuilder {
        if P::DEPTH == 0 {
            // `AnyObject`, the root: the same as no parent (it has no value, so instances
            // need no base).
            self.parent = ParentSpec::Root;
            return self;
        }
        self.parent = ParentSpec::Static {
            info: P::type_info(),
            base: StaticBase {
                info: P::type_info(),
                drop: drop_as::<P>,
            },
            offset: crate::cell::value_offset::<P>(),
        };
        self
    }

    /// Derives from another runtime type.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let base = RuntimeTypeBuilder::new("doc.runtime.runtime_parent.Base")
    ///     .layout(4, 4)
    ///     .register()
    ///     .unwrap();
    /// let child = RuntimeTypeBuilder::new("doc.runtime.runtime_parent.Child")
    ///     .runtime_parent(&base)
    ///     .layout(8, 4) // the parent's 4 bytes, then 4 of its own
    ///     .register()
    ///     .unwrap();
    /// let obj = child.new_object(|own| own.copy_from_slice(&[1, 2, 3, 4])).unwrap();
    /// assert!(obj.is_instance_of(base.info()));
    /// assert_eq!(child.info().parent().unwrap().key(), base.key());
    /// assert_eq!(child.info().depth(), 2);
    /// ```
    pub fn runtime_parent(mut self, parent: &RuntimeType) -> RuntimeTypeBuilder {
        self.parent = ParentSpec::Runtime(parent.clone());
        self
    }

    /// The value's size and alignment (including the parent's part, which comes first).
    ///
    /// ```
    /// use rcobj::{RuntimeTypeBuilder, RuntimeTypeError};
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.layout").layout(24, 8).register().unwrap();
    /// assert_eq!((ty.info().size(), ty.info().align()), (24, 8));
    ///
    /// let err = RuntimeTypeBuilder::new("doc.runtime.layout.bad").layout(8, 3).register();
    /// assert_eq!(err.unwrap_err(), RuntimeTypeError::AlignNotPowerOfTwo { align: 3 });
    /// ```
    pub fn layout(mut self, size: usize, align: usize) -> RuntimeTypeBuilder {
        self.size = size;
        self.align = align;
        self
    }

    /// Declares the type `final`: no type may derive from it.
    ///
    /// ```
    /// use rcobj::{RuntimeTypeBuilder, RuntimeTypeError};
    ///
    /// let leaf = RuntimeTypeBuilder::new("doc.runtime.final_type")
    ///     .final_type()
    ///     .register()
    ///     .unwrap();
    /// assert!(leaf.info().is_final());
    /// let err = RuntimeTypeBuilder::new("doc.runtime.final_type.Child")
    ///     .runtime_parent(&leaf)
    ///     .register();
    /// assert!(matches!(err, Err(RuntimeTypeError::FinalParent { .. })));
    /// ```
    pub fn final_type(mut self) -> RuntimeTypeBuilder {
        self.is_final = true;
        self
    }

    /// Sets the destructor of this type's own part of the value (after the parent's part);
    /// called with a pointer to the start of the value, before the parents' destructors.
    ///
    /// # Safety
    ///
    /// `drop_fn` must be sound to call, from any thread, once on the value of any instance
    /// created by [`RuntimeType::new_object`] or [`RuntimeType::new_object_with_base`] and
    /// whatever their `init` wrote; it must not unwind, and must stay callable (its code
    /// loaded) until the type is released.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU8, Ordering};
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// static DROPPED: AtomicU8 = AtomicU8::new(0);
    /// unsafe extern "C" fn drop_value(value: *mut u8) {
    ///     // SAFETY: every instance has a 1-byte value.
    ///     DROPPED.store(unsafe { *value }, Ordering::SeqCst);
    /// }
    ///
    /// let builder = RuntimeTypeBuilder::new("doc.runtime.drop_fn").layout(1, 1);
    /// // SAFETY: `drop_value` only reads the first byte, which every instance has.
    /// let builder = unsafe { builder.drop_fn(drop_value) };
    /// let ty = builder.register().unwrap();
    /// let obj = ty.new_object(|bytes| bytes[0] = 42).unwrap();
    /// drop(obj);
    /// assert_eq!(DROPPED.load(Ordering::SeqCst), 42);
    /// ```
    pub unsafe fn drop_fn(mut self, drop_fn: unsafe extern "C" fn(*mut u8)) -> RuntimeTypeBuilder {
        self.drop_fn = Some(drop_fn);
        self
    }

    fn check(&self) -> Result<(), RuntimeTypeError> {
        if self.key.is_empty() {
            return Err(RuntimeTypeError::EmptyKey);
        }
        if self.align == 0 {
            return Err(RuntimeTypeError::ZeroAlign);
        }
        if !self.align.is_power_of_two() {
            return Err(RuntimeTypeError::AlignNotPowerOfTwo { align: self.align });
        }
        let parent: Option<(&TypeInfo, usize)> = match &self.parent {
            ParentSpec::Root => None,
            ParentSpec::Static { info, offset, .. } => Some((info, *offset)),
            ParentSpec::Runtime(rt) => {
                if rt.rc().is_dying() {
                    return Err(RuntimeTypeError::ParentUnregistered {
                        parent: rt.key().to_owned(),
                    });
                }
                Some((rt.info(), value_offset_for(rt.info().align())))
            }
        };
        if let Some((p, parent_offset)) = parent {
            if p.is_final() {
                return Err(RuntimeTypeError::FinalParent {
                    parent: p.key().to_owned(),
                });
            }
            if self.align < p.align() {
                return Err(RuntimeTypeError::AlignBelowParent {
                    align: self.align,
                    parent_align: p.align(),
                });
            }
            let offset = value_offset_for(self.align);
            if offset != parent_offset {
                return Err(RuntimeTypeError::AlignBreaksParentOffset {
                    align: self.align,
                    offset,
                    parent_offset,
                });
            }
            if self.size < p.size() {
                return Err(RuntimeTypeError::SmallerThanParent {
                    size: self.size,
                    parent_size: p.size(),
                });
            }
        }
        Ok(())
    }

    /// Registers the type and returns a counted handle to it. On error nothing is
    /// registered.
    ///
    /// ```
    /// use rcobj::{registry, Object, RuntimeTypeBuilder, RuntimeTypeError};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.runtime.register.Taken")]
    /// struct Taken;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.register.New").register().unwrap();
    /// assert!(ty.index() >= rcobj::FIRST_DYNAMIC_INDEX);
    /// assert_eq!(registry::by_index(ty.index()).unwrap().key(), "doc.runtime.register.New");
    ///
    /// // Keys are unique among Rust and runtime types alike.
    /// let err = RuntimeTypeBuilder::new("doc.runtime.register.Taken").register().unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     RuntimeTypeError::DuplicateKey { existing, .. } if existing.ends_with("::Taken")
    /// ));
    /// ```
    pub fn register(self) -> Result<RuntimeType, RuntimeTypeError> {
        self.check()?;
        let value_offset = value_offset_for(self.align);
        let cell = Layout::from_size_align(
            value_offset
                .checked_add(self.size)
                .ok_or(RuntimeTypeError::SizeTooLarge { size: self.size })?,
            self.align.max(core::mem::align_of::<ObjectHeader>()),
        )
        .map_err(|_| RuntimeTypeError::SizeTooLarge { size: self.size })?;
        // The parent and the ancestors as raw pointers: a runtime parent (and its runtime
        // ancestors) lives only as long as the child's handle to it, never `'static`.
        let (parent_info, ancestors, static_base, parent_size, parent_rt) = match self.parent {
            ParentSpec::Root => {
                let root = NonNull::from(AnyObject::type_info());
                (root, Vec::new(), None, 0, None)
            }
            ParentSpec::Static { info, base, .. } => {
                let ancestors = info.ancestors().iter().map(|a| NonNull::from(*a)).collect();
                (
                    NonNull::from(info),
                    ancestors,
                    Some(base),
                    info.size(),
                    None,
                )
            }
            ParentSpec::Runtime(rt) => {
                let p = rt.info();
                let ancestors = p.ancestors().iter().map(|a| NonNull::from(*a)).collect();
                let base = rt.inner().static_base;
                (NonNull::from(p), ancestors, base, p.size(), Some(rt))
            }
        };
        let mut ancestors: Vec<NonNull<TypeInfo>> = ancestors;
        ancestors.push(parent_info);
        let depth = ancestors.len();
        // The key and the ancestors live in their own heap buffers, owned (as raw pointers,
        // which moving does not invalidate) by the `Inner` built below and freed with it.
        let key: *mut str = Box::into_raw(self.key.into_boxed_str());
        let ancestors: *mut [NonNull<TypeInfo>] = Box::into_raw(ancestors.into_boxed_slice());
        let owned = OwnedParts { key, ancestors };
        // SAFETY: the buffer lives as long as the descriptor (both are freed together, by
        // `release_inner` or the error path below), and only `TypeInfo::key` reads it.
        let info = unsafe { TypeInfo::runtime(&*key, depth, self.is_final, self.size, self.align) };
        let inner = Box::into_raw(Box::new(Inner {
            info,
            state: RuntimeState {
                // The registry's bias and the handle returned below, counted already.
                rc: TypeRc::new(release_inner),
                parent: parent_info,
                // SAFETY: from `Box::into_raw` just above.
                ancestors: unsafe { NonNull::new_unchecked(ancestors) },
            },
            owned,
            parent: parent_rt,
            static_base,
            own_start: parent_size,
            drop_fn: self.drop_fn,
            cell,
            on_release: self.on_release,
        }));
        // SAFETY: a fresh allocation that only we can reach; the descriptor points to the
        // runtime state beside it, with the provenance of the whole `Inner` (derived from
        // the raw pointer).
        let info = unsafe {
            (*inner).info.rc = ptr::addr_of!((*inner).state);
            NonNull::new_unchecked(ptr::addr_of_mut!((*inner).info))
        };
        // Everything the type needs happens under the registry lock, before any other
        // thread can find it: the index (in `register_runtime`), the slot, the listing for
        // the per-thread merges (here), then the publication. Its count already holds our
        // handle, so no lookup-and-`unregister` racing with us can release it.
        // SAFETY: `info` is reachable by no other thread yet; its state counts the bias.
        let result = unsafe {
            registry::register_runtime(info, |slot| {
                // SAFETY: still ours alone (the registry publishes only after we return).
                (*ptr::addr_of_mut!((*inner).state.rc)).assign_slot(slot);
                // Under the registry lock, then the thread-list lock (the lock order).
                counts::add_runtime_type(ptr::addr_of!((*inner).state.rc));
            })
        };
        match result {
            Ok(()) => Ok(RuntimeType {
                // SAFETY: registered and alive; we take over the handle its count started
                // with.
                handle: unsafe { TypeRef::adopt(info) },
            }),
            Err(e) => {
                // SAFETY: from `Box::into_raw` above, never published, reached by no one
                // else.
                let inner = unsafe { Box::from_raw(inner) };
                let error = match e {
                    RegisterError::Duplicate(existing) => RuntimeTypeError::DuplicateKey {
                        key: inner.info.key().to_owned(),
                        existing,
                    },
                    RegisterError::Full => RuntimeTypeError::NoFreeIndex,
                };
                // Free it. Dropping a runtime parent's handle may release the parent, whose
                // callback may panic; the other fields are freed all the same.
                drop(inner);
                Err(error)
            }
        }
    }
}

/// The heap buffers a runtime type's descriptor borrows. Raw pointers, so that moving
/// them (into the `Inner`) does not invalidate the borrows; freed on drop.
struct OwnedParts {
    key: *mut str,
    ancestors: *mut [NonNull<TypeInfo>],
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
        // SAFETY: both came from `Box::into_raw` and are freed once, here; the descriptor
        // that borrowed them is being freed too (or was never published).
        unsafe {
            drop(Box::from_raw(self.key));
            drop(Box::from_raw(self.ancestors));
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
    /// Where this type's own part of the value starts (the parent's value size).
    own_start: usize,
    drop_fn: Option<unsafe extern "C" fn(*mut u8)>,
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

/// Frees a released runtime type, then runs its `on_release` callback, then drops its
/// handle to a runtime parent (which may release the parent in turn). Returns the first
/// panic of those callbacks, caught after everything is freed.
unsafe fn release_inner(rc: *const TypeRc) -> Option<CallbackPanic> {
    // SAFETY: `rc` is the first field of the `state` field of a boxed `Inner` (both
    // `repr(C)`), with the provenance of the whole `Inner`; released exactly once.
    let mut inner = unsafe {
        let inner = rc
            .byte_sub(offset_of!(Inner, state))
            .cast::<Inner>()
            .cast_mut();
        // Clears the index entry under the registry lock; the key left the table at
        // `unregister`, so nothing can reach the type once this returns.
        registry::release_runtime(&(*inner).info);
        Box::from_raw(inner)
    };
    let on_release = inner.on_release.take();
    let parent = inner.parent.take();
    // Kept for a panic message; the rest of the type goes now (no user code runs in its
    // drop: the parent handle was taken out).
    let key = on_release.as_ref().map(|_| inner.owned.take_key());
    drop(inner);
    let mut panicked = None;
    if let (Some(f), Some(key)) = (on_release, key) {
        if let Err(payload) = catch(f) {
            panicked = Some(CallbackPanic { payload, key });
        }
    }
    // After our callback, so a child's runs before its parent's.
    let parent_panicked = parent.and_then(RuntimeType::release_quietly);
    first_panic(panicked, parent_panicked)
}

/// A counted handle to a runtime-defined type: the type lives while any handle or
/// instance does. Cloning and dropping handles updates the type's shared count.
///
/// ```
/// use rcobj::{registry, RuntimeTypeBuilder};
///
/// let ty = RuntimeTypeBuilder::new("doc.runtime.RuntimeType").layout(8, 8).register().unwrap();
/// let again = ty.clone(); // another counted handle
/// let obj = again.new_object(|_| {}).unwrap();
/// assert!(registry::by_key("doc.runtime.RuntimeType").is_some());
/// assert_eq!(ty.live_count(), 1);
/// drop(obj);
/// assert_eq!(again.live_count(), 0);
/// ```
#[derive(Clone)]
pub struct RuntimeType {
    handle: TypeRef,
}

impl RuntimeType {
    fn inner(&self) -> &Inner {
        // SAFETY: our counted handle keeps the `Inner` alive.
        unsafe { &*inner_of(&self.handle) }
    }

    /// The reference state, with the provenance of the whole `Inner` (the lists in
    /// `counts` keep such pointers and free the `Inner` through them). The first field of
    /// the `repr(C)` runtime state.
    fn rc_ptr(&self) -> *const TypeRc {
        self.handle.rc.cast()
    }

    /// Drops the handle, returning a callback panic instead of resuming it (for
    /// `release_inner`, which must finish before any panic propagates).
    fn release_quietly(self) -> Option<CallbackPanic> {
        let rc = self.rc_ptr();
        // The handle's count is given up below instead of in `TypeRef::drop`.
        core::mem::forget(self);
        // SAFETY: we owned a counted handle (forgotten above) and touch the type no more.
        unsafe { counts::type_handle_release(rc) }
    }

    fn rc(&self) -> &TypeRc {
        // SAFETY: kept alive by our handle.
        unsafe { &*self.rc_ptr() }
    }

    /// The runtime type registered under `key`, if any.
    ///
    /// ```
    /// use rcobj::{Object, RuntimeType, RuntimeTypeBuilder};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.runtime.lookup.Static")]
    /// struct Static;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.lookup").register().unwrap();
    /// assert_eq!(RuntimeType::lookup("doc.runtime.lookup").unwrap().index(), ty.index());
    /// assert!(RuntimeType::lookup("doc.runtime.lookup.Static").is_none()); // not a runtime type
    /// ty.unregister();
    /// assert!(RuntimeType::lookup("doc.runtime.lookup").is_none());
    /// ```
    pub fn lookup(key: &str) -> Option<RuntimeType> {
        let handle = registry::by_key(key)?;
        handle.is_runtime().then_some(RuntimeType { handle })
    }

    /// The descriptor: an ordinary [`TypeInfo`].
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.info").layout(4, 4).register().unwrap();
    /// let info = ty.info();
    /// assert!(info.is_runtime());
    /// assert_eq!(info.rust_name(), "<runtime type>");
    /// assert_eq!((info.key(), info.size(), info.depth()), ("doc.runtime.info", 4, 1));
    /// ```
    pub fn info(&self) -> &TypeInfo {
        &self.handle
    }

    /// The type key.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.key").layout(4, 4).register().unwrap();
    /// assert_eq!(ty.key(), "doc.runtime.key");
    /// ```
    pub fn key(&self) -> &str {
        self.info().key()
    }

    /// The type index.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.index").layout(4, 4).register().unwrap();
    /// let obj = ty.new_object(|_| {}).unwrap();
    /// assert_eq!(rcobj::Obj::header(&obj).type_index(), ty.index());
    /// ```
    pub fn index(&self) -> i32 {
        self.info().index()
    }

    /// Live instances (whose memory is still allocated); exact when no instance is being
    /// created or freed concurrently.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.live_count").layout(4, 4).register().unwrap();
    /// let obj = ty.new_object(|_| {}).unwrap();
    /// let weak = rcobj::Obj::downgrade(&obj);
    /// assert_eq!(ty.live_count(), 1);
    /// drop(obj);
    /// assert_eq!(ty.live_count(), 1); // the value is gone, the memory is kept by `weak`
    /// drop(weak);
    /// assert_eq!(ty.live_count(), 0);
    /// ```
    pub fn live_count(&self) -> usize {
        self.info().live_count()
    }

    /// Whether the type is still registered.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.is_registered")
    ///     .layout(4, 4)
    ///     .register()
    ///     .unwrap();
    /// assert!(ty.is_registered());
    /// ty.unregister();
    /// assert!(!ty.is_registered());
    /// ```
    pub fn is_registered(&self) -> bool {
        !self.rc().is_dying()
    }

    /// Unregisters the type: `by_key`/`by_index` stop finding it and no new child may name
    /// it. Existing handles and instances keep it alive (and handles may still create
    /// instances); it is released when the last of them goes. Returns `false` if it was
    /// already unregistered.
    ///
    /// ```
    /// use rcobj::{registry, RuntimeTypeBuilder};
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.unregister").layout(4, 4).register().unwrap();
    /// let index = ty.index();
    /// assert!(ty.unregister());
    /// assert!(!ty.unregister()); // already done
    /// assert!(registry::by_key("doc.runtime.unregister").is_none());
    /// assert!(registry::by_index(index).is_none());
    /// // The handle still creates instances.
    /// let obj = ty.new_object(|_| {}).unwrap();
    /// assert!(obj.is_instance_of(ty.info()));
    /// ```
    pub fn unregister(&self) -> bool {
        if !registry::unregister_runtime(self.info()) {
            return false;
        }
        // SAFETY: our handle keeps the type alive; it left the key table above.
        unsafe { counts::unregister_runtime(self.rc_ptr()) }
    }

    /// Creates an instance of a type with no Rust ancestor: the value is zeroed, then
    /// `init` fills it.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.new_object").layout(4, 4).register().unwrap();
    /// let obj = ty
    ///     .new_object(|bytes| {
    ///         assert_eq!(bytes, [0, 0, 0, 0]); // zeroed first
    ///         bytes[0] = 7;
    ///     })
    ///     .unwrap();
    /// // SAFETY: the value is the 4 bytes `init` filled in, right after the header.
    /// let value = unsafe { std::slice::from_raw_parts(rcobj::Obj::as_ptr(&obj).cast::<u8>(), 4) };
    /// assert_eq!(value, [7, 0, 0, 0]);
    /// ```
    pub fn new_object(&self, init: impl FnOnce(&mut [u8])) -> Result<AnyObj, RuntimeTypeError> {
        if let Some(base) = self.inner().static_base {
            return Err(RuntimeTypeError::NeedsBase {
                base: base.info.key().to_owned(),
            });
        }
        // SAFETY: no static base: plain zeroed bytes are the whole value.
        Ok(unsafe { self.instantiate(|_| {}, 0, init) })
    }

    /// Creates an instance of a type whose nearest Rust ancestor is `P`: the value starts
    /// with `base`; the rest is zeroed, then `init` fills it.
    ///
    /// ```
    /// use rcobj::{Object, RuntimeTypeBuilder, RuntimeTypeError};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.runtime.new_object_with_base.Named")]
    /// struct Named { name: String }
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.runtime.new_object_with_base.Other")]
    /// struct Other;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.new_object_with_base.Ext")
    ///     .parent::<Named>()
    ///     .layout(std::mem::size_of::<Named>() + 8, 8)
    ///     .register()
    ///     .unwrap();
    /// let obj = ty.new_object_with_base(Named { name: "n".into() }, |own| own[0] = 1).unwrap();
    /// assert_eq!(obj.downcast_ref::<Named>().map(|n| n.name.as_str()), Some("n"));
    ///
    /// let err = ty.new_object_with_base(Other, |_| {});
    /// assert!(matches!(err, Err(RuntimeTypeError::WrongBase { .. })));
    /// ```
    pub fn new_object_with_base<P: Object + Send + Sync>(
        &self,
        base: P,
        init: impl FnOnce(&mut [u8]),
    ) -> Result<AnyObj, RuntimeTypeError> {
        let expected = self.inner().static_base;
        match expected {
            Some(b) if ptr::eq(b.info, P::type_info()) => {}
            _ => {
                return Err(RuntimeTypeError::WrongBase {
                    expected: expected.map_or(AnyObject::KEY, |b| b.info.key()).to_owned(),
                    given: P::type_info().key().to_owned(),
                })
            }
        }
        let size = core::mem::size_of::<P>();
        // SAFETY: the value starts with a `P` (checked above), written here.
        Ok(unsafe { self.instantiate(move |v| v.cast::<P>().write(base), size, init) })
    }

    /// Allocates, writes the header, zeroes the value, writes the base, runs `init`.
    ///
    /// # Safety
    ///
    /// `write_base` initialises exactly the type's static base (`base_size` bytes), if any.
    unsafe fn instantiate(
        &self,
        write_base: impl FnOnce(*mut u8),
        base_size: usize,
        init: impl FnOnce(&mut [u8]),
    ) -> AnyObj {
        let inner = self.inner();
        let value_offset = value_offset_for(inner.info.align());
        // SAFETY: the layout is non-zero-sized (the header).
        let block = unsafe { alloc::alloc(inner.cell) };
        if block.is_null() {
            alloc::handle_alloc_error(inner.cell);
        }
        // SAFETY: fresh block of the instance layout: header at 0, value after it.
        let value = unsafe {
            block
                .cast::<ObjectHeader>()
                .write(ObjectHeader::new(inner.info.index(), Some(runtime_deleter)));
            let value = block.add(value_offset);
            ptr::write_bytes(value, 0, inner.info.size());
            write_base(value);
            value
        };
        struct Guard<'a> {
            block: *mut u8,
            value: *mut u8,
            inner: &'a Inner,
        }
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                // `init` panicked: drop the base and free the block; nothing was counted.
                // SAFETY: the base was written; the block has the instance layout.
                unsafe {
                    if let Some(b) = self.inner.static_base {
                        (b.drop)(self.value);
                    }
                    alloc::dealloc(self.block, self.inner.cell);
                }
            }
        }
        let guard = Guard {
            block,
            value,
            inner,
        };
        let own_start = inner.own_start.max(base_size);
        // SAFETY: the value's bytes past the base are initialised (zeroed) and ours.
        let own = unsafe {
            core::slice::from_raw_parts_mut(value.add(own_start), inner.info.size() - own_start)
        };
        init(own);
        core::mem::forget(guard);
        // SAFETY: our handle keeps the type alive; the instance now holds its reference.
        let merged = unsafe { counts::add_runtime(self.rc_ptr(), 1) };
        // SAFETY: a live object with one strong reference; every runtime type is `Send +
        // Sync` by the contract of `drop_fn` and the `Send + Sync` bound on bases.
        let obj = unsafe { Obj::from_raw(block.cast()) };
        if let Some(p) = merged {
            // Counting merged this thread's counts and released another type whose
            // callback panicked: the instance is complete, and is released by unwinding.
            resume_callback(p);
        }
        obj
    }
}

impl fmt::Debug for RuntimeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeType")
            .field("key", &self.key())
            .field("index", &self.index())
            .field("registered", &self.is_registered())
            .finish()
    }
}

/// The deleter of every runtime type's instances.
unsafe extern "C" fn runtime_deleter(obj: *mut c_void, flags: i32) {
    // SAFETY: `obj` is a live instance, whose index is its type's; the type is alive until
    // the weak phase below releases the instance's reference.
    let inner: *const Inner = unsafe {
        let index = (*obj.cast::<ObjectHeader>()).type_index();
        let info = registry::info_ptr(index).expect("a live runtime type");
        inner_of(info.as_ref())
    };
    // SAFETY: as above.
    let inner_ref = unsafe { &*inner };
    if flags & DELETER_STRONG != 0 {
        // SAFETY: the value is live and its strong phase runs once.
        let value = unsafe {
            obj.cast::<u8>()
                .add(value_offset_for(inner_ref.info.align()))
        };
        let mut t = Some(inner_ref);
        let mut base = None;
        while let Some(ty) = t {
            if let Some(d) = ty.drop_fn {
                // SAFETY: the contract of `RuntimeTypeBuilder::drop_fn`.
                unsafe { d(value) };
            }
            base = ty.static_base;
            t = ty.parent.as_ref().map(RuntimeType::inner);
        }
        if let Some(b) = base {
            // SAFETY: the value starts with a live base of that type.
            let r = catch(|| unsafe { (b.drop)(value) });
            if let Err(p) = r {
                park_or_abort(p, b.info.key());
            }
        }
    }
    if flags & DELETER_WEAK != 0 {
        // SAFETY: the last reference of any kind is gone; the block has this layout.
        unsafe { alloc::dealloc(obj.cast(), inner_ref.cell) };
        // SAFETY: the instance's reference to its type is released last; we touch the type
        // no more.
        let released = unsafe { counts::add_runtime(ptr::addr_of!((*inner).state.rc), -1) };
        if let Some(p) = released {
            // The type (or another one our merge released) is freed; its callback
            // panicked. We are inside the `extern "C"` deleter: park it for the Rust
            // release in progress, or abort if foreign code released the object.
            park_callback_or_abort(p);
        }
    }
}

impl Obj<AnyObject> {
    /// Whether the object's real type is `ty` or one of its descendants (for runtime
    /// types and static types alike). O(1).
    ///
    /// Every object is an instance of [`AnyObject`], as [`is::<AnyObject>()`](Obj::is)
    /// says; an object whose type index the registry does not know (a foreign object) is
    /// an instance of nothing else.
    ///
    /// ```
    /// use rcobj::{AnyObj, AnyObject, Obj, Object, RuntimeTypeBuilder};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.runtime.is_instance_of.Static")]
    /// struct Static;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.is_instance_of").register().unwrap();
    /// let dynamic = ty.new_object(|_| {}).unwrap();
    /// let stat: AnyObj = Obj::new(Static).upcast();
    /// assert!(dynamic.is_instance_of(ty.info()));
    /// assert!(dynamic.is_instance_of(AnyObject::type_info()));
    /// assert!(!stat.is_instance_of(ty.info()));
    /// assert!(stat.is_instance_of(Static::type_info()));
    /// ```
    pub fn is_instance_of(&self, ty: &TypeInfo) -> bool {
        // Every object, foreign ones included, is an `AnyObject` (as `is::<AnyObject>()`).
        ty.depth() == 0 || registry::info_of(Obj::header(self)).is_some_and(|real| real.is_a(ty))
    }
}
