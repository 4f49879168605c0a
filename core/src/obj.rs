//! [`Obj<T>`]: the strong handle.

use ::alloc::boxed::Box;
use core::borrow::Borrow;
use core::cmp::Ordering as CmpOrdering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::Deref;
use core::pin::Pin;
use core::ptr::{self, NonNull};

use crate::behaviour::{self, Final};
use crate::borrow::ObjBorrow;
use crate::cell::ObjCell;
use crate::counts;
use crate::deleter::{count_overflow, release_both, release_last_strong, release_weak};
use crate::header::{strong_of, weak_of, ObjectHeader, BOTH_ONE, MAX_COUNT, STRONG_ONE};
use crate::registry;
use crate::sync::{acquire, Ordering};
use crate::type_info::{AnyObject, Object, TypeInfo};
use crate::unique::UniqueObj;
use crate::weak::WeakObj;

/// A strong, intrusively counted handle to an object, like `Arc<T>`.
///
/// One pointer wide. The object lives in one allocation: a 24-byte [`ObjectHeader`] and
/// then the value. The static type `T` may be an ancestor of the object's real type (see
/// [`upcast`](Obj::upcast)); [`Obj::type_info`] tells the real one.
///
/// ```
/// use rcobj::{Obj, Object};
///
/// #[derive(Object, Debug, PartialEq)]
/// #[object(key = "doc.Point")]
/// struct Point { x: i32, y: i32 }
///
/// let a = Obj::new(Point { x: 1, y: 2 });
/// let b = a.clone();
/// assert_eq!(Obj::strong_count(&a), 2);
/// assert!(Obj::ptr_eq(&a, &b));
/// assert_eq!(b.x, 1);
/// assert_eq!(Obj::type_info(&a).key(), "doc.Point");
/// ```
// `repr(transparent)`: an `Obj<T>` is exactly its block pointer, whatever `T`, so a
// `&Obj<T>` can be read as a `&AnyObj` (see `reflect::any`).
#[repr(transparent)]
pub struct Obj<T: Object> {
    ptr: NonNull<ObjCell<T>>,
    _marker: PhantomData<ObjCell<T>>,
}

/// A handle to any object: the type-erased form of every [`Obj<T>`].
///
/// ```
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.obj.AnyObj.Num")]
/// struct Num(i64);
///
/// #[derive(Object)]
/// #[object(key = "doc.obj.AnyObj.Text")]
/// struct Text(String);
///
/// let items: Vec<AnyObj> = vec![
///     Obj::new(Num(1)).upcast(),
///     Obj::new(Text("a".into())).upcast(),
/// ];
/// let nums: i64 = items.iter().filter_map(|o| o.downcast_ref::<Num>()).map(|n| n.0).sum();
/// assert_eq!(nums, 1);
/// assert_eq!(Obj::type_info(&items[1]).key(), "doc.obj.AnyObj.Text");
/// ```
pub type AnyObj = Obj<AnyObject>;

// SAFETY: as `Arc<T>`: the value is shared between threads (needs `Sync`) and may be
// dropped on any thread (needs `Send`).
unsafe impl<T: Object + Send + Sync> Send for Obj<T> {}
// SAFETY: as above.
unsafe impl<T: Object + Send + Sync> Sync for Obj<T> {}

impl<T: Object> core::panic::UnwindSafe for Obj<T> where T: core::panic::RefUnwindSafe {}

impl<T: Object> Obj<T> {
    /// Allocates an object holding `value`: one allocation, the header written with plain
    /// stores, and one count in this thread's slot for `T`.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.new")]
    /// struct Counter(u32);
    ///
    /// let o = Obj::new(Counter(5));
    /// assert_eq!(o.0, 5);
    /// assert_eq!(Obj::strong_count(&o), 1);
    /// assert_eq!(Counter::type_info().live_count(), 1);
    /// drop(o);
    /// assert_eq!(Counter::type_info().live_count(), 0);
    /// ```
    #[inline]
    pub fn new(value: T) -> Obj<T> {
        UniqueObj::share(UniqueObj::new(value))
    }

    /// A pinned object, as `Arc::pin`: the value never moves until it is dropped.
    ///
    /// Sound for the same reasons as `Arc::pin`. A `Pin<Obj<T>>` gives out only
    /// `Pin<&T>` (`Obj` has no `DerefMut`) and pinned clones; every way to move a value
    /// out of an object (`try_unwrap`, `into_inner`, `unwrap_or_clone`, `make_mut`,
    /// `get_mut`, `downcast_mut`) needs the unpinned `Obj<T>` or `&mut Obj<T>`, which a
    /// `Pin<Obj<T>>` hands out only for `T: Unpin` (`Pin::into_inner`) or through
    /// `unsafe`; `downgrade`/`borrow` need `&Obj<T>`, which it does not give out either. The
    /// value is dropped in place by the deleter's strong phase before its memory is freed
    /// (so `Pin`'s drop guarantee holds), and `Obj: Deref` only hands out a reference.
    /// Foreign code holding the object (through `into_raw`) can only get there with
    /// `unsafe`.
    ///
    /// ```
    /// use std::pin::Pin;
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.pin")]
    /// struct Node { value: u32, _pinned: std::marker::PhantomPinned }
    ///
    /// let p: Pin<Obj<Node>> = Obj::pin(Node { value: 1, _pinned: std::marker::PhantomPinned });
    /// let q = p.clone();
    /// assert_eq!(q.as_ref().get_ref().value, 1);
    /// ```
    pub fn pin(value: T) -> Pin<Obj<T>> {
        // SAFETY: see above: nothing reachable from a `Pin<Obj<T>>` without `unsafe` can
        // move the value, and it is dropped in place.
        unsafe { Pin::new_unchecked(Obj::new(value)) }
    }

    /// Wraps a block whose strong reference the caller hands over.
    ///
    /// # Safety
    ///
    /// `ptr` is a live object whose real type is `T` or a descendant, and the caller owns
    /// one strong reference to it.
    #[inline(always)]
    pub(crate) unsafe fn from_cell(ptr: NonNull<ObjCell<T>>) -> Obj<T> {
        Obj {
            ptr,
            _marker: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn cell(this: &Self) -> NonNull<ObjCell<T>> {
        this.ptr
    }

    /// The object's header.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.header")]
    /// struct Item(u8);
    ///
    /// let o = Obj::new(Item(1));
    /// let _o2 = o.clone();
    /// let h = Obj::header(&o);
    /// assert_eq!(h.strong_count(), 2);
    /// assert_eq!(h.type_index(), Item::type_info().index());
    /// ```
    #[inline(always)]
    pub fn header(this: &Self) -> &ObjectHeader {
        // SAFETY: the handle keeps the object alive; the reference covers the header only.
        unsafe { &(*this.ptr.as_ptr()).header }
    }

    /// The descriptor of the object's most-derived type.
    ///
    /// For a foreign object (made by C code, tvm-ffi…) whose index no Rust type has, the
    /// descriptor of [`AnyObject`].
    ///
    /// The descriptor lives at least as long as the handle's borrow (a runtime-defined type
    /// is kept alive by its instances, and freed once the last one goes); for a derived type
    /// it is `T::type_info()`'s `'static` one.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.type_info.Base")]
    /// struct Base;
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.obj.type_info.Derived")]
    /// struct Derived { #[parent] base: Base }
    ///
    /// let b: Obj<Base> = Obj::new(Derived { base: Base }).upcast();
    /// assert_eq!(Obj::type_info(&b).key(), "doc.obj.type_info.Derived");
    /// assert!(core::ptr::eq(Obj::type_info(&b), Derived::type_info()));
    /// ```
    #[inline]
    pub fn type_info(this: &Self) -> &TypeInfo {
        registry::info_of(Obj::header(this)).unwrap_or_else(|| AnyObject::type_info())
    }

    /// The number of strong references.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.strong_count")]
    /// struct Item;
    ///
    /// let a = Obj::new(Item);
    /// let b = a.clone();
    /// let _w = Obj::downgrade(&a); // weak handles are not counted here
    /// assert_eq!(Obj::strong_count(&a), 2);
    /// drop(b);
    /// assert_eq!(Obj::strong_count(&a), 1);
    /// ```
    #[inline]
    pub fn strong_count(this: &Self) -> u32 {
        Obj::header(this).strong_count()
    }

    /// The number of [`WeakObj`]s (the implicit weak reference is not counted).
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.weak_count")]
    /// struct Item;
    ///
    /// let a = Obj::new(Item);
    /// assert_eq!(Obj::weak_count(&a), 0);
    /// let w = Obj::downgrade(&a);
    /// let _w2 = w.clone();
    /// assert_eq!(Obj::weak_count(&a), 2);
    /// ```
    #[inline]
    pub fn weak_count(this: &Self) -> u32 {
        Obj::header(this).weak_count()
    }

    /// Whether two handles point to the same object.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object, PartialEq)]
    /// #[object(key = "doc.obj.ptr_eq")]
    /// struct Item(u8);
    ///
    /// let a = Obj::new(Item(1));
    /// let b = a.clone();
    /// let c = Obj::new(Item(1));
    /// assert!(Obj::ptr_eq(&a, &b));
    /// assert!(!Obj::ptr_eq(&a, &c));
    /// assert!(a == c); // `==` compares the values
    /// ```
    #[inline]
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.ptr == other.ptr
    }

    /// A pointer to the value.
    ///
    /// ```
    /// use rcobj::{value_offset, Obj, ObjectHeader, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.as_ptr")]
    /// struct Item(u64);
    ///
    /// let a = Obj::new(Item(7));
    /// let p = Obj::as_ptr(&a);
    /// assert_eq!(p, &*a as *const Item);
    /// // The value follows the header.
    /// let header: *const ObjectHeader = Obj::header(&a);
    /// assert_eq!(p as usize, header as usize + value_offset::<Item>());
    /// ```
    #[inline]
    pub fn as_ptr(this: &Self) -> *const T {
        // SAFETY: in bounds of the live block; no reference is made.
        unsafe { ptr::addr_of!((*this.ptr.as_ptr()).value) }
    }

    /// Makes a [`WeakObj`] to this object.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.downgrade")]
    /// struct Item(u8);
    ///
    /// let a = Obj::new(Item(3));
    /// let w = Obj::downgrade(&a);
    /// assert_eq!(w.upgrade().map(|o| o.0), Some(3));
    /// drop(a);
    /// assert!(w.upgrade().is_none());
    /// ```
    #[inline]
    pub fn downgrade(this: &Self) -> WeakObj<T> {
        let header = Obj::header(this);
        let old = header.inc_weak();
        if weak_of(old) >= MAX_COUNT {
            count_overflow(header, "weak");
        }
        // SAFETY: we just added the weak reference the new handle owns.
        unsafe { WeakObj::from_cell(this.ptr) }
    }

    /// A borrowed handle: `Copy`, no count traffic.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.borrow")]
    /// struct Item(u8);
    ///
    /// let a = Obj::new(Item(3));
    /// let b = Obj::borrow(&a);
    /// let c = b; // `Copy`
    /// assert_eq!(b.0 + c.0, 6);
    /// assert_eq!(Obj::strong_count(&a), 1); // no count traffic
    /// ```
    #[inline]
    pub fn borrow(this: &Self) -> ObjBorrow<'_, T> {
        ObjBorrow::from_obj(this)
    }

    /// Whether the object's most-derived type is `T` itself (not a descendant), so that
    /// its value may be moved out or cloned as a `T`.
    ///
    /// Never for `T = AnyObject`: no Rust value of the root type exists (it has no
    /// constructor), so an object whose index is the root's is a foreign one (made by C or
    /// tvm-ffi with its own deleter), and moving "an `AnyObject`" out of it would skip its
    /// strong phase and free foreign memory as rcobj's. `T::DEPTH` is a constant, so for
    /// every other `T` this costs nothing.
    #[inline]
    fn is_exactly_t(this: &Self) -> bool {
        T::DEPTH != 0 && Obj::header(this).type_index() == T::type_info().index()
    }

    /// Whether this is the only reference of any kind (strong 1, no weak).
    ///
    /// Acquire: pairs with the Release decrements of every handle that went away, so their
    /// uses of the value happen before ours. One word holds both counts, so unlike `Arc`
    /// no weak "lock" is needed: a new weak or strong reference could only be made from one
    /// we would have seen.
    #[inline]
    pub(crate) fn is_unique(this: &Self) -> bool {
        Obj::header(this).word().load(Ordering::Acquire) == BOTH_ONE
    }

    /// A mutable reference to the value, if this is the only reference (strong or weak).
    ///
    /// Through an ancestor-typed handle this hands out only `T`'s part of the value.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.get_mut")]
    /// struct Counter(u32);
    ///
    /// let mut a = Obj::new(Counter(1));
    /// Obj::get_mut(&mut a).unwrap().0 += 1;
    /// assert_eq!(a.0, 2);
    ///
    /// let b = a.clone();
    /// assert!(Obj::get_mut(&mut a).is_none());
    /// drop(b);
    /// let w = Obj::downgrade(&a);
    /// assert!(Obj::get_mut(&mut a).is_none()); // a weak reference counts too
    /// drop(w);
    /// assert!(Obj::get_mut(&mut a).is_some());
    /// ```
    #[inline]
    pub fn get_mut(this: &mut Self) -> Option<&mut T> {
        if Obj::is_unique(this) {
            // SAFETY: unique (see `is_unique`), and `&mut self` excludes other uses.
            Some(unsafe { &mut (*this.ptr.as_ptr()).value })
        } else {
            None
        }
    }

    /// Moves the value out if this is the only strong reference; otherwise gives the
    /// handle back. Weak references are left dangling, as with `Arc::try_unwrap`.
    ///
    /// Returns `Err` when the object's real type is a descendant of `T`: moving out only
    /// the `T` part would leak the rest.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.try_unwrap.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.obj.try_unwrap.Square")]
    /// struct Square { #[parent] shape: Shape, side: f64 }
    ///
    /// let a = Obj::new(Shape { name: "a".into() });
    /// let b = a.clone();
    /// let a = Obj::try_unwrap(a).err().unwrap(); // `b` still holds it
    /// drop(b);
    /// assert_eq!(Obj::try_unwrap(a).ok().map(|s| s.name), Some("a".to_string()));
    ///
    /// // Through an ancestor-typed handle: the value stays in its object.
    /// let sq = Square { shape: Shape { name: "s".into() }, side: 1.0 };
    /// let s: Obj<Shape> = Obj::new(sq).upcast();
    /// assert!(Obj::try_unwrap(s).is_err());
    /// ```
    pub fn try_unwrap(this: Self) -> Result<T, Self> {
        if !Obj::is_exactly_t(&this) {
            return Err(this);
        }
        let word = Obj::header(&this).word();
        let mut cur = word.load(Ordering::Relaxed);
        loop {
            if strong_of(cur) != 1 {
                return Err(this);
            }
            // Acquire on success: pairs with the Release decrements of the handles that
            // went away, before we read the value. Relaxed on failure: we look again.
            match word.compare_exchange_weak(
                cur,
                cur - STRONG_ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => cur = actual,
            }
        }
        // SAFETY: strong is now 0 and we own the last strong reference's implicit weak.
        Ok(unsafe { Obj::take_value(this) })
    }

    /// Moves the value out if this was the last strong reference; otherwise drops the
    /// handle and returns `None` (as `Arc::into_inner`: of racing callers exactly one gets
    /// the value).
    ///
    /// Returns `None` (dropping the handle) when the object's real type is a descendant of
    /// `T`.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.into_inner")]
    /// struct Value(u32);
    ///
    /// let a = Obj::new(Value(3));
    /// let b = a.clone();
    /// assert!(Obj::into_inner(a).is_none()); // `b` is still alive
    /// assert_eq!(Obj::into_inner(b).map(|v| v.0), Some(3));
    /// assert_eq!(Value::type_info().live_count(), 0); // the instance is counted out
    /// ```
    pub fn into_inner(this: Self) -> Option<T> {
        if !Obj::is_exactly_t(&this) {
            drop(this);
            return None;
        }
        let this = ManuallyDrop::new(this);
        let h = Obj::header(&this);
        let old = h.dec_strong();
        if strong_of(old) != 1 {
            return None;
        }
        // Acquire: pairs with the Release decrements of the other strong handles.
        acquire!(h.word());
        // SAFETY: strong is now 0; we own the implicit weak reference.
        Some(unsafe { Obj::take_value(ManuallyDrop::into_inner(this)) })
    }

    /// Moves the value out of an object whose strong count this thread just took to zero,
    /// counts the instance out and drops the implicit weak reference.
    ///
    /// # Safety
    ///
    /// Strong is 0 (by this thread, with acquire ordering), the real type is `T`, and the
    /// handle's implicit weak reference is still held.
    pub(crate) unsafe fn take_value(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        let cell = this.ptr.as_ptr();
        // SAFETY: the value is live and no one else can reach it (strong is 0).
        let value = unsafe { ptr::read(ptr::addr_of!((*cell).value)) };
        counts::add(Obj::header(&this).type_index(), -1);
        // SAFETY: we hold the implicit weak reference.
        unsafe { release_weak(ptr::addr_of!((*cell).header)) };
        value
    }

    /// Gives up the handle without releasing it; returns the object's header address.
    ///
    /// ```
    /// use rcobj::{Obj, ObjectHeader, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.into_raw")]
    /// struct Item(u8);
    ///
    /// let raw: *mut ObjectHeader = Obj::into_raw(Obj::new(Item(9)));
    /// // SAFETY: the raw pointer still owns the object's one strong reference.
    /// assert_eq!(unsafe { (*raw).strong_count() }, 1);
    /// // SAFETY: made by `into_raw` above from an `Obj<Item>`; we take its reference back.
    /// let back: Obj<Item> = unsafe { Obj::from_raw(raw) };
    /// assert_eq!(back.0, 9);
    /// ```
    #[inline]
    pub fn into_raw(this: Self) -> *mut ObjectHeader {
        let this = ManuallyDrop::new(this);
        this.ptr.as_ptr().cast()
    }

    /// Takes back a handle made by [`into_raw`](Obj::into_raw), or a strong reference that
    /// foreign code owns.
    ///
    /// # Safety
    ///
    /// `ptr` is the header of a live object whose real type is `T` or a descendant of it
    /// (any object, for `T = AnyObject`), laid out as `ObjCell<T>` would be, and the caller
    /// hands over one strong reference to it. If `T` is not `Send + Sync`, the object must
    /// have been created on this thread's side of that bound; if `T` is `Send + Sync`, so
    /// must the real type be (a `Send + Sync` handle, such as an [`AnyObj`], never points
    /// at an object that is not).
    ///
    /// The header's type index is trusted by [`is`](Obj::is), [`downcast`](Obj::downcast),
    /// [`downcast_ref`](Obj::downcast_ref) and [`type_info`](Obj::type_info): it must be
    /// the index this program's registry gave the object's real type, or, for an object
    /// made outside rcobj, an index below [`FIRST_DYNAMIC_INDEX`](crate::FIRST_DYNAMIC_INDEX)
    /// (such as [`ANY_OBJECT_INDEX`](crate::ANY_OBJECT_INDEX)). An object from a plugin's
    /// own copy of rcobj carries an index of that plugin's registry: its handle may be
    /// cloned, sent and dropped, but must never be asked about its type (see the crate
    /// docs, "Plugins loaded with `dlopen`").
    ///
    /// # Examples
    ///
    /// ```
    /// use rcobj::{AnyObj, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.obj.from_raw")]
    /// struct Item(u8);
    ///
    /// let any: AnyObj = Obj::new(Item(4)).upcast();
    /// let raw = Obj::into_raw(any); // e.g. handed to C and back
    /// // SAFETY: a live object (any object is an `AnyObject`); we take over its one reference.
    /// let any = unsafe { AnyObj::from_raw(raw) };
    /// assert_eq!(any.downcast_ref::<Item>().map(|i| i.0), Some(4));
    /// ```
    #[inline]
    pub unsafe fn from_raw(ptr: *mut ObjectHeader) -> Obj<T> {
        // SAFETY: guaranteed non-null by the caller.
        unsafe { Obj::from_cell(NonNull::new_unchecked(ptr.cast())) }
    }
}

impl<T: Object + Clone> Obj<T> {
    /// A mutable reference to the value, cloning it first into a new object if other
    /// strong references exist (copy-on-write). If only weak references share it, the value
    /// is moved into a new object and the weak references are disassociated, as
    /// `Arc::make_mut` does.
    ///
    /// Through a handle whose static type is an ancestor of the object's real type `R`
    /// (an `Obj<Expr>` to a `Const`), the copy is a new object of type `R`, made by `R`'s
    /// `Clone` (the real type's behaviour table, see [`Behaviour`](crate::Behaviour)); with
    /// only weak references left it is cloned too (then the old object is released, so the
    /// weak references are disassociated all the same). The only reference of any kind is
    /// changed in place, whatever its real type.
    ///
    /// # Panics
    ///
    /// If the object is shared and its real type is a descendant of `T` without `Clone`:
    /// copying only the `T` part would silently slice the object.
    ///
    /// # Examples
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object, Clone)]
    /// #[object(key = "doc.obj.make_mut")]
    /// struct Doc { text: String }
    ///
    /// let mut a = Obj::new(Doc { text: "a".into() });
    /// let b = a.clone();
    /// Obj::make_mut(&mut a).text.push('!'); // shared: cloned into a new object
    /// assert_eq!((a.text.as_str(), b.text.as_str()), ("a!", "a"));
    /// assert!(!Obj::ptr_eq(&a, &b));
    ///
    /// let before = Obj::as_ptr(&a);
    /// Obj::make_mut(&mut a).text.push('?'); // unique: changed in place
    /// assert_eq!(Obj::as_ptr(&a), before);
    /// assert_eq!(a.text, "a!?");
    /// ```
    ///
    /// Through an ancestor-typed handle, the real type is cloned:
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object, Clone)]
    /// #[object(key = "doc.obj.make_mut.real.Base")]
    /// struct Base(u8);
    ///
    /// #[derive(Object, Clone)]
    /// #[repr(C)]
    /// #[object(key = "doc.obj.make_mut.real.Child")]
    /// struct Child { #[parent] base: Base, extra: u8 }
    ///
    /// let mut b: Obj<Base> = Obj::new(Child { base: Base(1), extra: 2 }).upcast();
    /// let old = b.clone();
    /// Obj::make_mut(&mut b).0 = 5;
    /// let child = b.downcast_ref::<Child>().unwrap(); // still a `Child`
    /// assert_eq!((child.base.0, child.extra), (5, 2));
    /// assert_eq!(old.0, 1);
    /// ```
    ///
    /// A shared object whose real type has no `Clone`:
    ///
    /// ```should_panic
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object, Clone)]
    /// #[object(key = "doc.obj.make_mut.Base")]
    /// struct Base(u8);
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.obj.make_mut.Child")]
    /// struct Child { #[parent] base: Base, extra: u8 }
    ///
    /// let mut b: Obj<Base> = Obj::new(Child { base: Base(1), extra: 2 }).upcast();
    /// let _other = b.clone();
    /// Obj::make_mut(&mut b); // panics: would copy only the `Base` part
    /// ```
    #[inline]
    pub fn make_mut(this: &mut Self) -> &mut T {
        // Branch: the common case — the real type is `T` and ours is the only reference —
        // costs an index compare and one acquire load (see `is_unique`), inline; the
        // copy, the move out of a weakly shared object and the slicing panic stay out of
        // line.
        if Obj::is_exactly_t(this) && Obj::is_unique(this) {
            // SAFETY: unique (see `is_unique`), and `&mut self` excludes other uses.
            return unsafe { &mut (*this.ptr.as_ptr()).value };
        }
        Obj::make_mut_slow(this)
    }

    /// Returns the value if this is the only strong reference (weak references are left
    /// dangling), otherwise a clone of it, as `Arc::unwrap_or_clone`.
    ///
    /// Through an ancestor-typed handle the result is a `T`, so it is a clone of the `T`
    /// part of the object (as `T::clone(&*this)`); the object itself is released as any
    /// handle is, never sliced.
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object, Clone)]
    /// #[object(key = "doc.obj.unwrap_or_clone")]
    /// struct Text(String);
    ///
    /// let a = Obj::new(Text("a".into()));
    /// let b = a.clone();
    /// let cloned: Text = Obj::unwrap_or_clone(a); // `b` still holds it: cloned
    /// let moved: Text = Obj::unwrap_or_clone(b); // the last reference: moved out
    /// assert_eq!((cloned.0, moved.0), ("a".to_string(), "a".to_string()));
    /// assert_eq!(Text::type_info().live_count(), 0);
    /// ```
    pub fn unwrap_or_clone(this: Self) -> T {
        Obj::try_unwrap(this).unwrap_or_else(|obj| T::clone(&obj))
    }

    #[inline(never)]
    fn make_mut_slow(this: &mut Self) -> &mut T {
        // `false` for a descendant (or a foreign object): then the copy is of the real
        // type, through its behaviour table.
        let exact = Obj::is_exactly_t(this);
        let word = Obj::header(this).word();
        let mut cur = word.load(Ordering::Acquire);
        loop {
            if cur == BOTH_ONE {
                break;
            }
            if strong_of(cur) != 1 {
                // Other strong references: clone into a fresh object.
                *this = if exact {
                    Obj::new(T::clone(this))
                } else {
                    behaviour::clone_real(this.ptr)
                        .unwrap_or_else(|| make_mut_slicing(T::type_info(), Obj::type_info(this)))
                };
                break;
            }
            if !exact && !behaviour::can_relocate(this.ptr) {
                // Only weak references, and a real type we cannot move (a runtime type):
                // a clone releases the old object just as well, if there is a `Clone`.
                *this = behaviour::clone_real(this.ptr)
                    .unwrap_or_else(|| make_mut_slicing(T::type_info(), Obj::type_info(this)));
                break;
            }
            // Only weak references besides us: take strong to 0 so no upgrade can succeed,
            // then move the value into a fresh object. Acquire on success for the same
            // reason as in `try_unwrap`. Acquire on failure too: the word we get back may
            // say we are now alone (the weak handles went away meanwhile), and then we
            // write in place, so their holders' last uses must happen before.
            match word.compare_exchange_weak(
                cur,
                cur - STRONG_ONE,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if exact {
                        // SAFETY: strong is 0, the real type is `T`, and the handle read
                        // out of `this` holds the implicit weak reference; `this` is
                        // overwritten without being dropped.
                        unsafe {
                            let value = Obj::take_value(ptr::read(this));
                            ptr::write(this, Obj::new(value));
                        }
                    } else {
                        // SAFETY: as above, with the real type's own move (checked by
                        // `can_relocate`); the result is an object of the same real type.
                        unsafe {
                            let moved = behaviour::relocate(ptr::read(this));
                            ptr::write(this, moved);
                        }
                    }
                    break;
                }
                Err(actual) => cur = actual,
            }
        }
        // SAFETY: `this` is now unique: a fresh object, or one we saw at BOTH_ONE under
        // `&mut`, which no other handle can change.
        unsafe { &mut (*this.ptr.as_ptr()).value }
    }
}

#[cold]
#[inline(never)]
fn make_mut_slicing(static_type: &TypeInfo, real: &TypeInfo) -> ! {
    panic!(
        "Obj::make_mut on a shared `Obj<{}>` whose object is a `{}`, which has no `Clone`: \
         cloning only the `{}` part would slice it; implement `Clone` for `{}`",
        static_type.key(),
        real.key(),
        static_type.key(),
        real.key()
    )
}

impl<T: Object> Clone for Obj<T> {
    /// Adds a strong reference (one relaxed RMW).
    #[inline]
    fn clone(&self) -> Self {
        let header = Obj::header(self);
        let old = header.inc_strong();
        if strong_of(old) >= MAX_COUNT {
            count_overflow(header, "strong");
        }
        // SAFETY: we just added the strong reference the new handle owns.
        unsafe { Obj::from_cell(self.ptr) }
    }
}

impl<T: Object> Drop for Obj<T> {
    /// Drops a strong reference: one Release RMW; on the last one the deleter runs, once
    /// with `DELETER_BOTH` when no weak reference is left.
    #[inline]
    fn drop(&mut self) {
        let header = Obj::header(self);
        // Fast path 2: an unshared object (strong 1, weak 1: ours is the only reference of
        // any kind) is released with no RMW at all. Saves the `lock xadd` of create+drop;
        // costs one plain load on every shared release (see BENCHMARKS.md).
        // Acquire: pairs with the Release decrements of every handle that went away, so
        // their uses of the value happen before the destructor. No one can change the word
        // after we read BOTH_ONE: every other reference would have to be made from ours.
        if header.word().load(Ordering::Acquire) == BOTH_ONE {
            // Out of line (as `Arc::drop_slow`), so that `drop` stays a load, an RMW and
            // two branches wherever it is inlined.
            // SAFETY: ours is the only reference (see above); the real type is `T` or
            // a descendant.
            unsafe { release_both::<T>(self.ptr.as_ptr()) };
            return;
        }
        let old = header.dec_strong();
        if strong_of(old) != 1 {
            return;
        }
        // SAFETY: we took strong from 1 to 0 with a Release RMW that returned `old`.
        unsafe { release_last_strong::<T>(self.ptr.as_ptr(), old) };
    }
}

impl<T: Object> Deref for Obj<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the strong reference keeps the value alive; the reference covers the
        // value only, never the header.
        unsafe { &(*self.ptr.as_ptr()).value }
    }
}

impl<T: Object> AsRef<T> for Obj<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

/// Only for a [`Final`] `T`: through a handle whose object may be a descendant, `==`,
/// `cmp` and `hash` are the descendant's (see "Behaviour through base handles" in the crate
/// docs), so they could disagree with `T`'s, which `Borrow` forbids. For a final `T` the
/// object is always exactly a `T`, and the handle's traits are `T`'s.
///
/// ```
/// use std::collections::BTreeMap;
/// use rcobj::{Obj, Object};
///
/// #[derive(Object, PartialEq, Eq, PartialOrd, Ord)]
/// #[object(key = "doc.obj.Borrow.Word", final)]
/// struct Word(String);
///
/// let mut counts = BTreeMap::new();
/// counts.insert(Obj::new(Word("a".into())), 1);
/// assert_eq!(counts.get(&Word("a".into())), Some(&1)); // looked up by `&Word`
/// ```
impl<T: Object + Final> Borrow<T> for Obj<T> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<T: Object> From<T> for Obj<T> {
    fn from(value: T) -> Self {
        Obj::new(value)
    }
}

/// Moves the value out of the box into a new object (one allocation, as `Obj::new`; the
/// box is freed), as `Arc::from(Box<T>)`.
///
/// ```
/// use rcobj::{Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.obj.from_box")]
/// struct Item(u32);
///
/// let o: Obj<Item> = Obj::from(Box::new(Item(3)));
/// assert_eq!(o.0, 3);
/// ```
impl<T: Object> From<Box<T>> for Obj<T> {
    fn from(value: Box<T>) -> Self {
        Obj::new(*value)
    }
}

impl<T: Object + Default> Default for Obj<T> {
    fn default() -> Self {
        Obj::new(T::default())
    }
}

/// The real type's `Debug`. Through a base handle or an [`AnyObj`] to an object whose real
/// type has no `Debug`, its key and address (`ir.Var@0x…`, see [`Behaviour`](crate::Behaviour)).
///
/// ```
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object, Debug)]
/// #[object(key = "doc.obj.Debug.Expr")]
/// struct Expr;
///
/// #[derive(Object, Debug)]
/// #[repr(C)]
/// #[object(key = "doc.obj.Debug.Const")]
/// struct Const { #[parent] expr: Expr, value: i64 }
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.obj.Debug.Hidden")]
/// struct Hidden { #[parent] expr: Expr }
///
/// let c: Obj<Expr> = Obj::new(Const { expr: Expr, value: 1 }).upcast();
/// assert_eq!(format!("{c:?}"), "Const { expr: Expr, value: 1 }");
/// let any: AnyObj = c.upcast();
/// assert_eq!(format!("{any:?}"), "Const { expr: Expr, value: 1 }");
/// let h: Obj<Expr> = Obj::new(Hidden { expr: Expr }).upcast();
/// assert!(format!("{h:?}").starts_with("doc.obj.Debug.Hidden@0x"));
/// ```
impl<T: Object + fmt::Debug> fmt::Debug for Obj<T> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        behaviour::debug(self.ptr, f)
    }
}

/// The real type's `Display`; key and address for a real type without one (as
/// [`Debug`](#impl-Debug-for-Obj<T>)). Nothing is inherited from the static type.
///
/// ```
/// use std::fmt;
/// use rcobj::{Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.obj.Display.Expr")]
/// struct Expr;
/// impl fmt::Display for Expr {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str("expr") }
/// }
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.obj.Display.Var")]
/// struct Var { #[parent] expr: Expr, name: &'static str }
/// impl fmt::Display for Var {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.name) }
/// }
///
/// let v: Obj<Expr> = Obj::new(Var { expr: Expr, name: "x" }).upcast();
/// assert_eq!(v.to_string(), "x");
/// assert_eq!(Obj::new(Expr).to_string(), "expr");
/// ```
impl<T: Object + fmt::Display> fmt::Display for Obj<T> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        behaviour::display(self.ptr, f)
    }
}

impl<T: Object> fmt::Pointer for Obj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Pointer::fmt(&Obj::as_ptr(self), f)
    }
}

/// `==` of the real types: objects of different real types are never equal; two objects
/// of one real type compare with its `PartialEq`, or by identity if it has none. As
/// `Arc`'s: two handles to the same object are equal without calling `eq` when the real
/// type (or `T`) is `Eq`; a `PartialEq`-only type (a NaN-like value) still calls `eq`.
///
/// Through an exact handle (the object's real type is `T`, always for a final `T`) this is
/// `T::eq`, called directly.
///
/// ```
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object, PartialEq)]
/// #[object(key = "doc.obj.PartialEq.Expr")]
/// struct Expr;
///
/// #[derive(Object, PartialEq)]
/// #[repr(C)]
/// #[object(key = "doc.obj.PartialEq.Const")]
/// struct Const { #[parent] expr: Expr, value: f64 }
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.obj.PartialEq.Var")]
/// struct Var { #[parent] expr: Expr }
///
/// let c = |v| -> Obj<Expr> { Obj::new(Const { expr: Expr, value: v }).upcast() };
/// assert!(c(1.0) == c(1.0));
/// assert!(c(1.0) != c(2.0)); // `Const`'s `==`, not `Expr`'s
/// let nan = c(f64::NAN);
/// assert!(nan != nan.clone()); // `PartialEq` only: `eq` is called
///
/// let v: Obj<Expr> = Obj::new(Var { expr: Expr }).upcast();
/// assert!(v != c(1.0)); // different real types
/// assert!(v == v.clone()); // `Var` has no `PartialEq`: identity
/// assert!(v != Obj::new(Var { expr: Expr }).upcast());
/// ```
impl<T: Object + PartialEq> PartialEq for Obj<T> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        behaviour::eq(self.ptr, other.ptr)
    }
}

impl<T: Object + Eq> Eq for Obj<T> {}

/// Ordered by the real type's index first; within one real type by its `PartialOrd`, or
/// (without one) `Some(Equal)` when `==` says so, by address when `==` is identity, and
/// `None` otherwise. See [`Behaviour`](crate::Behaviour).
///
/// ```
/// use rcobj::{Obj, Object};
///
/// #[derive(Object, PartialEq, PartialOrd)]
/// #[object(key = "doc.obj.PartialOrd.Num")]
/// struct Num(f64);
///
/// let (a, b) = (Obj::new(Num(1.0)), Obj::new(Num(2.0)));
/// assert!(a < b);
/// assert_eq!(Obj::new(Num(f64::NAN)).partial_cmp(&a), None);
/// ```
impl<T: Object + PartialOrd> PartialOrd for Obj<T> {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        behaviour::partial_cmp(self.ptr, other.ptr)
    }
}

/// Ordered by the real type's index first; within one real type by its `Ord`, else its
/// `PartialOrd` when that answers, else `Equal` when `==` says so and by address
/// otherwise. See [`Behaviour`](crate::Behaviour).
///
/// ```
/// use std::collections::BTreeSet;
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object, PartialEq, Eq, PartialOrd, Ord)]
/// #[object(key = "doc.obj.Ord.A")]
/// struct A(u32);
///
/// #[derive(Object, PartialEq, Eq, PartialOrd, Ord)]
/// #[object(key = "doc.obj.Ord.B")]
/// struct B(u32);
///
/// let set: BTreeSet<AnyObj> = [
///     Obj::new(A(2)).upcast(),
///     Obj::new(B(1)).upcast(),
///     Obj::new(A(1)).upcast(),
///     Obj::new(A(1)).upcast(),
/// ]
/// .into_iter()
/// .collect();
/// assert_eq!(set.len(), 3);
/// let a_first = A::type_info().index() < B::type_info().index();
/// let first = set.iter().next().unwrap();
/// assert_eq!(first.is::<A>(), a_first); // types first, by index
/// ```
impl<T: Object + Ord> Ord for Obj<T> {
    #[inline]
    fn cmp(&self, other: &Self) -> CmpOrdering {
        behaviour::cmp(self.ptr, other.ptr)
    }
}

/// The real type's `Hash`, fed the caller's hasher (through `&mut dyn Hasher`), so an
/// exact handle and a base handle to the same object hash alike. A real type without
/// `Hash` hashes its type index when it has `PartialEq` (equal objects must hash alike)
/// and its address otherwise (`==` is identity).
///
/// ```
/// use std::collections::HashSet;
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object, PartialEq, Eq, Hash)]
/// #[object(key = "doc.obj.Hash.Id")]
/// struct Id(u32);
///
/// let set: HashSet<AnyObj> = (0..3).map(|i| Obj::new(Id(i)).upcast()).collect();
/// assert_eq!(set.len(), 3);
/// let one: AnyObj = Obj::new(Id(1)).upcast();
/// assert!(set.contains(&one));
/// ```
impl<T: Object + Hash> Hash for Obj<T> {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        behaviour::hash(self.ptr, state)
    }
}

impl<T: Object> Unpin for Obj<T> {}
