//! [`RuntimeTypeBuilder`]: a runtime type's key, parent, layout and destructor, their
//! validation, and registration (the type is complete before any other thread can see it).

use ::alloc::borrow::ToOwned;
use ::alloc::boxed::Box;
use ::alloc::string::String;
use ::alloc::vec::Vec;
use core::alloc::Layout;
use core::ptr::{self, NonNull};

use crate::counts::{self, TypeRc};
use crate::header::ObjectHeader;
use crate::registry::{self, RegisterError, TypeRef};
use crate::type_info::{AnyObject, Object, RuntimeState, TypeInfo};

use super::handle::RuntimeType;
use super::release::release_inner;
use super::{
    drop_as, value_offset_for, Destructor, Inner, OwnedParts, RuntimeTypeError, StaticBase,
};

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
    destructor: Option<Destructor>,
    is_final: bool,
    on_release: Option<Box<dyn FnOnce() + Send>>,
    fields: Vec<crate::reflect::runtime::DeclaredField>,
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
            destructor: None,
            is_final: false,
            on_release: None,
            fields: Vec::new(),
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
    /// // `init` sets the whole value: the parent's part too.
    /// let obj = child.new_object(|all| all.copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8])).unwrap();
    /// assert!(obj.is_instance_of(base.info()));
    /// assert_eq!(base.bytes(&obj).unwrap(), [1, 2, 3, 4]);
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

    /// Sets the destructor of this type's own part of the value (after the parent's part)
    /// to a C function, called with a pointer to the start of the value, before the
    /// parents' destructors. Replaces a [`destructor`](Self::destructor) set before; a Rust
    /// binding usually wants that one (safe, with a context, may panic).
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
        self.destructor = Some(Destructor::C(drop_fn));
        self
    }

    /// Declares a field of this type's own part of the value, for reflection
    /// ([`TypeInfo::fields`], [`repr`](crate::reflect::repr),
    /// [`structural_eq`](crate::reflect::structural_eq)…): its name, its offset **from the
    /// start of the object header** (tvm-ffi's convention; the value starts at 24 for an
    /// alignment up to 8), and what its bytes hold. Fields are listed in the order declared.
    ///
    /// [`register`](RuntimeTypeBuilder::register) checks every field: a name, given once;
    /// inside the type's own part (after the parent's value, before the end of the value);
    /// aligned to its kind; no overlap with another declared field. It fails with
    /// [`RuntimeTypeError::FieldOutsideValue`] and its siblings otherwise.
    ///
    /// ```
    /// use rcobj::reflect::{repr, FieldKind};
    /// use rcobj::{RuntimeTypeBuilder, RuntimeTypeError};
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.field.Point")
    ///     .layout(16, 8)
    ///     .field("x", 24, FieldKind::I32)
    ///     .field("y", 28, FieldKind::I32)
    ///     .field("tag", 32, FieldKind::Bytes(2))
    ///     .register()
    ///     .unwrap();
    /// let p = ty
    ///     .new_object(|v| {
    ///         v[0..4].copy_from_slice(&3i32.to_ne_bytes());
    ///         v[4..8].copy_from_slice(&(-4i32).to_ne_bytes());
    ///         v[8..10].copy_from_slice(b"ok");
    ///     })
    ///     .unwrap();
    /// assert_eq!(repr(&p), r#"doc.runtime.field.Point(x=3, y=-4, tag=b"ok")"#);
    ///
    /// let err = RuntimeTypeBuilder::new("doc.runtime.field.Bad")
    ///     .layout(8, 8)
    ///     .field("a", 24, FieldKind::U64)
    ///     .field("b", 28, FieldKind::U32)
    ///     .register()
    ///     .unwrap_err();
    /// assert_eq!(err, RuntimeTypeError::FieldsOverlap { first: "a".into(), second: "b".into() });
    /// ```
    pub fn field(
        mut self,
        name: impl Into<String>,
        offset: usize,
        kind: crate::reflect::FieldKind,
    ) -> RuntimeTypeBuilder {
        self.fields.push(crate::reflect::runtime::DeclaredField {
            name: name.into(),
            offset,
            kind,
        });
        self
    }

    /// Sets the destructor of this type's part of the value: a closure, which may own a
    /// context (a binding's class object, a log, …) that lives as long as the type. It is
    /// called once per instance, in the instance's strong phase (when its last strong
    /// reference goes), on whichever thread that happens, before the parents' destructors,
    /// with the instance's bytes of this type's layout — the same bytes
    /// [`RuntimeType::bytes`] shows: the whole value after the Rust base, if any (so the
    /// parents' parts too). Replaces a [`drop_fn`](Self::drop_fn) set before.
    ///
    /// A panic in it is treated like a panic in a `Drop`: the other destructors and the
    /// Rust base's `Drop` still run, the value is counted out and the memory is freed as
    /// usual, then the panic propagates to the Rust code that released the last strong
    /// reference. If that was foreign code (through the C deleter), no Rust caller can
    /// receive it and the process aborts with a message naming the type. Without `std` a
    /// panic is not caught at all.
    ///
    /// The closure (and its context) is dropped when the type is released, before
    /// [`on_release`](Self::on_release) runs; a panic in that drop is treated like one in
    /// `on_release`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let context = log.clone();
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.destructor")
    ///     .layout(1, 1)
    ///     .destructor(move |bytes| context.lock().unwrap().push(bytes[0]))
    ///     .register()
    ///     .unwrap();
    /// drop(ty.new_object(|bytes| bytes[0] = 42).unwrap());
    /// assert_eq!(*log.lock().unwrap(), [42]);
    /// ```
    ///
    /// (A panicking destructor is shown in `tests/tests/runtime_types_bindings.rs`: without
    /// `std` it would abort this example.)
    pub fn destructor(
        mut self,
        f: impl Fn(&mut [u8]) + Send + Sync + 'static,
    ) -> RuntimeTypeBuilder {
        self.destructor = Some(Destructor::Rust(Box::new(f)));
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
        // Saturating: a size too large for any layout is reported by `register`.
        let offset = value_offset_for(self.align);
        let own_start = offset.saturating_add(parent.map_or(0, |(p, _)| p.size()));
        let end = offset.saturating_add(self.size);
        crate::reflect::runtime::check_fields(&self.fields, own_start, end)
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
        let (parent_info, ancestors, static_base, parent_rt) = match self.parent {
            ParentSpec::Root => {
                let root = NonNull::from(AnyObject::type_info());
                (root, Vec::new(), None, None)
            }
            ParentSpec::Static { info, base, .. } => {
                let ancestors = info.ancestors().iter().map(|a| NonNull::from(*a)).collect();
                (NonNull::from(info), ancestors, Some(base), None)
            }
            ParentSpec::Runtime(rt) => {
                let p = rt.info();
                let ancestors = p.ancestors().iter().map(|a| NonNull::from(*a)).collect();
                let base = rt.inner().static_base;
                (NonNull::from(p), ancestors, base, Some(rt))
            }
        };
        let mut ancestors: Vec<NonNull<TypeInfo>> = ancestors;
        ancestors.push(parent_info);
        let depth = ancestors.len();
        // The key and the ancestors live in their own heap buffers, owned (as raw pointers,
        // which moving does not invalidate) by the `Inner` built below and freed with it.
        let key: *mut str = Box::into_raw(self.key.into_boxed_str());
        let ancestors: *mut [NonNull<TypeInfo>] = Box::into_raw(ancestors.into_boxed_slice());
        // The declared fields, likewise: their names and the table borrow buffers the
        // `Inner` owns.
        let (fields, names) = crate::reflect::runtime::field_table(self.fields);
        let owned = OwnedParts {
            key,
            ancestors,
            fields,
            names,
        };
        // SAFETY: the buffer lives as long as the descriptor (both are freed together, by
        // `release_inner` or the error path below), and only `TypeInfo::key` reads it.
        let mut info =
            unsafe { TypeInfo::runtime(&*key, depth, self.is_final, self.size, self.align) };
        // SAFETY: the table lives as long as the descriptor (owned by the `Inner`, freed
        // with it); `FieldInfo` is neither `Clone` nor `Copy`, so nothing borrowed from it
        // outlives the descriptor's borrow.
        info.fields = unsafe { &*fields };
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
            bytes_start: static_base.map_or(0, |b| b.info.size()),
            destructor: self.destructor,
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
                    #[cfg(feature = "tvm-ffi")]
                    RegisterError::TvmFfi(reason) => RuntimeTypeError::TvmFfi {
                        key: inner.info.key().to_owned(),
                        reason,
                    },
                };
                // Free it. Dropping a runtime parent's handle may release the parent, whose
                // callback may panic; the other fields are freed all the same.
                drop(inner);
                Err(error)
            }
        }
    }
}
