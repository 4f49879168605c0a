//! [`RuntimeType`]: the counted handle to a runtime type — lookups, counts, instances and
//! byte views.

use ::alloc::alloc;
use ::alloc::borrow::ToOwned;
use core::fmt;
use core::ptr::{self};

use crate::counts::{self, TypeRc};
use crate::deleter::resume_callback;
use crate::header::ObjectHeader;
use crate::obj::{AnyObj, Obj};
use crate::registry::{self, TypeRef};
use crate::type_info::{AnyObject, Object, TypeInfo};

use super::release::runtime_deleter;
use super::{inner_of, value_offset_for, Inner, RuntimeTypeError};

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
    pub(super) handle: TypeRef,
}

impl RuntimeType {
    pub(super) fn inner(&self) -> &Inner {
        // SAFETY: our counted handle keeps the `Inner` alive.
        unsafe { &*inner_of(&self.handle) }
    }

    /// The reference state, with the provenance of the whole `Inner` (the lists in
    /// `counts` keep such pointers and free the `Inner` through them). The first field of
    /// the `repr(C)` runtime state.
    pub(super) fn rc_ptr(&self) -> *const TypeRc {
        self.handle.rc.cast()
    }

    pub(super) fn rc(&self) -> &TypeRc {
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

    /// Live instances whose most-derived type is this one: created and not yet destroyed
    /// (the strong phase — destructors — has not run), the same meaning as
    /// [`TypeInfo::live_count`] has for Rust types. Exact when no instance is being created
    /// or destroyed concurrently. See [`allocated_count`](Self::allocated_count) for the
    /// instances that still keep the type alive.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.live_count").layout(4, 4).register().unwrap();
    /// let obj = ty.new_object(|_| {}).unwrap();
    /// let weak = rcobj::Obj::downgrade(&obj);
    /// assert_eq!(ty.live_count(), 1);
    /// drop(obj);
    /// assert_eq!(ty.live_count(), 0); // the value is destroyed…
    /// assert_eq!(ty.allocated_count(), 1); // …its memory is kept by `weak`
    /// ```
    pub fn live_count(&self) -> usize {
        self.info().live_count()
    }

    /// Allocated instances whose most-derived type is this one: created and whose memory
    /// is not yet freed. A destroyed instance stays allocated while a
    /// [`WeakObj`](crate::WeakObj) to it exists, and each allocated instance keeps the type
    /// alive (freeing the block needs its layout), so this is what delays the type's
    /// release after [`unregister`](Self::unregister). At least
    /// [`live_count`](Self::live_count); exact under the same condition.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.allocated_count").register().unwrap();
    /// let obj = ty.new_object(|_| {}).unwrap();
    /// let weak = rcobj::Obj::downgrade(&obj);
    /// drop(obj);
    /// assert_eq!((ty.live_count(), ty.allocated_count()), (0, 1));
    /// drop(weak);
    /// assert_eq!((ty.live_count(), ty.allocated_count()), (0, 0));
    /// ```
    pub fn allocated_count(&self) -> usize {
        usize::try_from(counts::allocated_runtime(self.rc())).unwrap_or(0)
    }

    /// Where the runtime bytes start in an instance's value: after the nearest Rust
    /// ancestor's value (its size), or 0 for a type with no Rust ancestor. `init`, the
    /// [`destructor`](crate::RuntimeTypeBuilder::destructor) and [`bytes`](Self::bytes) see the
    /// value from here on, so their byte `i` is the value's byte `bytes_offset() + i`.
    ///
    /// ```
    /// use rcobj::{Object, RuntimeTypeBuilder};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.runtime.bytes_offset.Base")]
    /// struct Base(u64);
    ///
    /// let plain = RuntimeTypeBuilder::new("doc.runtime.bytes_offset.Plain").register().unwrap();
    /// let ext = RuntimeTypeBuilder::new("doc.runtime.bytes_offset.Ext")
    ///     .parent::<Base>()
    ///     .layout(12, 8)
    ///     .register()
    ///     .unwrap();
    /// assert_eq!((plain.bytes_offset(), ext.bytes_offset()), (0, 8));
    /// ```
    pub fn bytes_offset(&self) -> usize {
        self.inner().bytes_start
    }

    /// Whether the object is an instance of this type or of a descendant, so that it has
    /// this type's layout. Works through any handle.
    fn has_layout_of<T: Object>(&self, obj: &Obj<T>) -> bool {
        registry::info_of(Obj::header(obj)).is_some_and(|real| real.is_a(self.info()))
    }

    /// The start of `obj`'s runtime bytes, for an instance of this type (or a descendant).
    fn bytes_ptr<T: Object>(&self, obj: &Obj<T>) -> *mut u8 {
        // Every descendant has this type's value offset (`register` checks it), and the
        // Rust base, if any, is the same type for the whole chain below it.
        let offset = value_offset_for(self.info().align()) + self.inner().bytes_start;
        // SAFETY: in bounds of the live block (its value is at least this type's size);
        // derived from the handle's pointer, which covers the whole block.
        unsafe { Obj::cell(obj).as_ptr().cast::<u8>().add(offset) }
    }

    /// The object's bytes of this type's layout (the value after the Rust base, if any;
    /// see [`bytes_offset`](Self::bytes_offset)), if it is an instance of this type or a
    /// descendant; `None` otherwise. Through any handle (`AnyObj`, or `Obj<P>` of the Rust
    /// base).
    ///
    /// A shared view is sound because nothing writes these bytes while the object is
    /// shared: `init` runs before the instance exists, [`bytes_mut`](Self::bytes_mut)
    /// needs the only reference, and the destructor runs after the last strong one. Runtime
    /// types offer no interior mutation (no cell, atomic or setter through a shared
    /// handle), and must not gain one without giving this view up. (Foreign code that
    /// writes an instance's bytes while Rust shares it breaks that contract, as it would
    /// for a Rust object's fields.)
    ///
    /// ```
    /// use rcobj::{AnyObj, Obj, Object, RuntimeTypeBuilder};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.runtime.bytes.Other")]
    /// struct Other;
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.bytes").layout(2, 1).register().unwrap();
    /// let obj = ty.new_object(|b| b.copy_from_slice(&[4, 2])).unwrap();
    /// let shared = obj.clone();
    /// assert_eq!(ty.bytes(&obj), Some(&[4u8, 2][..])); // shared or not
    /// assert_eq!(ty.bytes(&shared), Some(&[4u8, 2][..]));
    ///
    /// let other: AnyObj = Obj::new(Other).upcast();
    /// assert_eq!(ty.bytes(&other), None); // not an instance of `ty`
    /// ```
    pub fn bytes<'a, T: Object>(&self, obj: &'a Obj<T>) -> Option<&'a [u8]> {
        if !self.has_layout_of(obj) {
            return None;
        }
        let inner = self.inner();
        // SAFETY: an instance of this type (or a descendant) has this type's value size;
        // the bytes past the Rust base are initialised (zeroed, then written as `u8`s)
        // and nobody writes them while `obj` is borrowed (see above). The borrow of `obj`
        // keeps the block alive.
        Some(unsafe {
            core::slice::from_raw_parts(self.bytes_ptr(obj), inner.info.size() - inner.bytes_start)
        })
    }

    /// [`bytes`](Self::bytes), mutably, if `obj` is the only reference of any kind to the
    /// object (one strong reference, no weak one — as [`Obj::get_mut`]) and an instance of
    /// this type or a descendant; `None` otherwise (asking for a shared instance is
    /// refused).
    ///
    /// ```
    /// use rcobj::{Obj, RuntimeTypeBuilder};
    ///
    /// let ty = RuntimeTypeBuilder::new("doc.runtime.bytes_mut").layout(1, 1).register().unwrap();
    /// let mut obj = ty.new_object(|_| {}).unwrap();
    /// ty.bytes_mut(&mut obj).unwrap()[0] = 9;
    /// assert_eq!(ty.bytes(&obj).unwrap(), [9]);
    ///
    /// let weak = Obj::downgrade(&obj);
    /// assert!(ty.bytes_mut(&mut obj).is_none()); // a weak reference exists
    /// drop(weak);
    /// let shared = obj.clone();
    /// assert!(ty.bytes_mut(&mut obj).is_none()); // shared
    /// drop(shared);
    /// assert!(ty.bytes_mut(&mut obj).is_some());
    /// ```
    pub fn bytes_mut<'a, T: Object>(&self, obj: &'a mut Obj<T>) -> Option<&'a mut [u8]> {
        if !self.has_layout_of(obj) || !Obj::is_unique(obj) {
            return None;
        }
        let inner = self.inner();
        // SAFETY: as for `bytes`, and the only reference (see `Obj::is_unique`): `&mut obj`
        // excludes every other use for the borrow. No `&mut` to the Rust base is made
        // either (that would need `&mut obj` too), and the bytes do not overlap it.
        Some(unsafe {
            core::slice::from_raw_parts_mut(
                self.bytes_ptr(obj),
                inner.info.size() - inner.bytes_start,
            )
        })
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

    /// Creates an instance of a type with no Rust ancestor: the whole value is zeroed, then
    /// `init` fills it — all of it, the runtime parents' parts included (a constructor sets
    /// the inherited fields and its own). If `init` panics, nothing is counted, the block
    /// is freed and the panic propagates to the caller.
    ///
    /// ```
    /// use rcobj::RuntimeTypeBuilder;
    ///
    /// let point = RuntimeTypeBuilder::new("doc.runtime.new_object.Point")
    ///     .layout(8, 4) // x: u32, y: u32
    ///     .register()
    ///     .unwrap();
    /// let point3 = RuntimeTypeBuilder::new("doc.runtime.new_object.Point3")
    ///     .runtime_parent(&point)
    ///     .layout(12, 4) // the parent's x, y, then z: u32
    ///     .register()
    ///     .unwrap();
    /// let obj = point3
    ///     .new_object(|bytes| {
    ///         assert_eq!(bytes, [0; 12]); // zeroed first, the parent's part included
    ///         bytes[0..4].copy_from_slice(&1u32.to_ne_bytes()); // x
    ///         bytes[4..8].copy_from_slice(&2u32.to_ne_bytes()); // y
    ///         bytes[8..12].copy_from_slice(&3u32.to_ne_bytes()); // z
    ///     })
    ///     .unwrap();
    /// assert_eq!(point.bytes(&obj).unwrap()[4..8], 2u32.to_ne_bytes()); // seen as a `Point`
    /// assert_eq!(point3.bytes(&obj).unwrap()[8..12], 3u32.to_ne_bytes());
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
    /// with `base`; the rest (runtime parents' parts included) is zeroed, then `init` fills
    /// it. `init` sees the bytes after the base — value byte `size_of::<P>() + i` is its
    /// `bytes[i]` ([`bytes_offset`](Self::bytes_offset)). If `init` panics, `base` is
    /// dropped, nothing is counted, the block is freed and the panic propagates.
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
        debug_assert_eq!(base_size, inner.bytes_start);
        // SAFETY: the value's bytes past the base (runtime parents' parts and this type's
        // own) are initialised (zeroed) and ours.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(
                value.add(inner.bytes_start),
                inner.info.size() - inner.bytes_start,
            )
        };
        init(bytes);
        core::mem::forget(guard);
        // SAFETY: our handle keeps the type alive; the instance now holds its reference.
        let merged = unsafe { counts::add_runtime(self.rc_ptr(), 1) };
        // SAFETY: as above. Beside the instance's reference: its value is live now.
        unsafe { counts::add_runtime_value(self.rc_ptr(), 1) };
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
