//! Two-phase construction: [`Obj::new_cyclic`] (the value is built with a weak handle to
//! its own object) and [`UninitObj`] (`UniqueObj::new_uninit`, then `write` or
//! `assume_init`).
//!
//! Both allocate the block first, with a complete header (type index, `deleter::<T>`),
//! and write the value later. Until then the object is not counted as an instance, and
//! nothing can reach the value: `new_cyclic`'s block has strong count 0 (so every upgrade
//! fails), and an `UninitObj` is the only reference. If the value never comes (the closure
//! panics, the `UninitObj` is dropped), the block is freed by the weak phase of its
//! deleter, which never touches the value.

use ::alloc::alloc::{self, Layout};
use core::fmt;
use core::marker::PhantomData;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr::{self, NonNull};

use crate::cell::ObjCell;
use crate::counts;
use crate::deleter::deleter;
use crate::header::{ObjectHeader, STRONG_ONE, WEAK_ONE};
use crate::obj::Obj;
use crate::sync::Ordering;
use crate::type_info::Object;
use crate::unique::UniqueObj;
use crate::weak::WeakObj;

/// Allocates a block for a `T` with a fresh header (strong 1, weak 1, `T`'s index and
/// deleter) and an uninitialised value.
fn allocate_uninit<T: Object>() -> NonNull<ObjCell<T>> {
    let layout = Layout::new::<ObjCell<T>>();
    // SAFETY: the layout is never zero-sized (the header alone is 24 bytes).
    let raw = unsafe { alloc::alloc(layout) }.cast::<ObjCell<T>>();
    let Some(ptr) = NonNull::new(raw) else {
        alloc::handle_alloc_error(layout)
    };
    // SAFETY: a fresh allocation of the right layout; only the header is written.
    unsafe {
        ObjectHeader::write_fresh(
            ptr::addr_of_mut!((*ptr.as_ptr()).header),
            T::type_info().index(),
            Some(deleter::<T>),
        );
    }
    ptr
}

impl<T: Object> Obj<T> {
    /// Builds an object whose value holds weak handles to the object itself, as
    /// `Arc::new_cyclic`: `data_fn` gets a [`WeakObj`] to the object being built, which
    /// upgrades to nothing until `new_cyclic` returns (it may be cloned and stored, e.g.
    /// as a back-link in the value's children).
    ///
    /// If `data_fn` panics, nothing is leaked: no instance was counted, and the block is
    /// freed once the last weak handle (the one `data_fn` got, or clones it kept
    /// somewhere) goes; those never upgrade.
    ///
    /// ```
    /// use rcobj::{Obj, Object, WeakObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cyclic.Module")]
    /// struct Module { name: String, me: WeakObj<Module> }
    ///
    /// let m = Obj::new_cyclic(|me: &WeakObj<Module>| {
    ///     assert!(me.upgrade().is_none()); // not built yet
    ///     Module { name: "m".into(), me: me.clone() }
    /// });
    /// let again = m.me.upgrade().unwrap();
    /// assert!(Obj::ptr_eq(&m, &again));
    /// assert_eq!((Obj::strong_count(&m), Obj::weak_count(&m)), (2, 1));
    /// ```
    pub fn new_cyclic<F>(data_fn: F) -> Obj<T>
    where
        F: FnOnce(&WeakObj<T>) -> T,
    {
        let ptr = allocate_uninit::<T>();
        // Strong 0, weak 1: the weak reference is the handle `data_fn` borrows. A plain
        // store: no one else can see the block yet.
        // SAFETY: the header is initialised; the reference covers it only.
        unsafe {
            (*ptr.as_ptr())
                .header
                .word()
                .store(WEAK_ONE, Ordering::Relaxed)
        };
        // SAFETY: we own the one weak reference. If `data_fn` unwinds, dropping `weak`
        // frees the block through the deleter's weak phase (which only frees memory),
        // or leaves that to the last clone of it.
        let weak = unsafe { WeakObj::from_cell(ptr) };
        let value = data_fn(&weak);
        let _implicit = ManuallyDrop::new(weak);
        // SAFETY: strong is 0, so no one reads the value; our weak reference keeps the
        // block. The value place is valid for writes.
        unsafe { ptr::addr_of_mut!((*ptr.as_ptr()).value).write(value) };
        counts::add(T::type_info().index(), 1);
        // Strong 0 → 1: from now on upgrades succeed. Release: pairs with the Acquire of
        // `upgrade`'s successful CAS, so whoever upgrades a clone of the weak handle sees
        // the value written above. An RMW, not a store: clones of the weak handle may be
        // changing the weak half concurrently. Our weak reference becomes the implicit
        // weak reference of the strong handles (`weak` is not dropped).
        // SAFETY: the block is live (our weak reference).
        let old = unsafe { (*ptr.as_ptr()).header.word() }.fetch_add(STRONG_ONE, Ordering::Release);
        debug_assert_eq!(old & 0xFFFF_FFFF, 0);
        // SAFETY: the strong reference we just added, to a live `T`.
        unsafe { Obj::from_cell(ptr) }
    }
}

/// An object whose value is not written yet: `UniqueObj::new_uninit()`, then
/// [`write`](UninitObj::write), or initialise it through
/// [`as_mut_ptr`](UninitObj::as_mut_ptr) / [`value_mut`](UninitObj::value_mut) and call
/// [`assume_init`](UninitObj::assume_init) (as `Arc::new_uninit`/`assume_init`, with the
/// typestate in the type). Dropping it frees the block without touching the value.
///
/// The block is allocated with its final header (type index, deleter) but is counted as
/// an instance only once it is initialised.
///
/// ```
/// use rcobj::{Obj, Object, UniqueObj};
///
/// #[derive(Object)]
/// #[object(key = "doc.cyclic.UninitObj")]
/// struct Big { data: [u64; 4] }
///
/// let mut u = UniqueObj::<Big>::new_uninit();
/// // Initialise in place, field by field, without a `Big` on the stack.
/// let p = u.as_mut_ptr();
/// for i in 0..4 {
///     // SAFETY: `p` is valid for writes of a `Big`.
///     unsafe { std::ptr::addr_of_mut!((*p).data[i]).write(i as u64) };
/// }
/// assert_eq!(Big::type_info().live_count(), 0); // not an instance yet
/// // SAFETY: every field was written above.
/// let big = UniqueObj::share(unsafe { u.assume_init() });
/// assert_eq!(big.data, [0, 1, 2, 3]);
/// assert_eq!(Big::type_info().live_count(), 1);
/// ```
pub struct UninitObj<T: Object> {
    ptr: NonNull<ObjCell<T>>,
    _marker: PhantomData<ObjCell<MaybeUninit<T>>>,
}

// SAFETY: a unique owner of a `MaybeUninit<T>`, like `Box<MaybeUninit<T>>`.
unsafe impl<T: Object + Send> Send for UninitObj<T> {}
// SAFETY: `&UninitObj<T>` gives access to nothing but the pointer.
unsafe impl<T: Object + Sync> Sync for UninitObj<T> {}

impl<T: Object> UniqueObj<T> {
    /// Allocates an object whose value is written later (see [`UninitObj`]).
    ///
    /// ```
    /// use rcobj::{Object, UniqueObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cyclic.new_uninit")]
    /// struct Cell(u32);
    ///
    /// let u = UniqueObj::<Cell>::new_uninit().write(Cell(4));
    /// assert_eq!(u.0, 4);
    /// ```
    pub fn new_uninit() -> UninitObj<T> {
        UninitObj {
            ptr: allocate_uninit::<T>(),
            _marker: PhantomData,
        }
    }
}

impl<T: Object> UninitObj<T> {
    /// A pointer to the value's place, valid for writes of a `T` (and for reads of what
    /// was written) while `self` lives.
    ///
    /// ```
    /// use rcobj::{Object, UniqueObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cyclic.as_mut_ptr")]
    /// struct Pair(u8, u8);
    ///
    /// let mut u = UniqueObj::<Pair>::new_uninit();
    /// // SAFETY: the place is valid for writes of a `Pair`.
    /// unsafe { u.as_mut_ptr().write(Pair(1, 2)) };
    /// // SAFETY: written above.
    /// let p = unsafe { u.assume_init() };
    /// assert_eq!((p.0, p.1), (1, 2));
    /// ```
    #[inline]
    pub fn as_mut_ptr(&mut self) -> *mut T {
        // SAFETY: in bounds of the live block; no reference is made.
        unsafe { ptr::addr_of_mut!((*self.ptr.as_ptr()).value) }
    }

    /// The value's place as a `MaybeUninit<T>`.
    ///
    /// ```
    /// use rcobj::{Object, UniqueObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cyclic.value_mut")]
    /// struct Num(u64);
    ///
    /// let mut u = UniqueObj::<Num>::new_uninit();
    /// u.value_mut().write(Num(9));
    /// // SAFETY: written above.
    /// assert_eq!(unsafe { u.assume_init() }.0, 9);
    /// ```
    #[inline]
    pub fn value_mut(&mut self) -> &mut MaybeUninit<T> {
        // SAFETY: `MaybeUninit<T>` has `T`'s layout and may hold anything; we own the
        // block uniquely and `&mut self` is borrowed for the reference's life.
        unsafe { &mut *self.as_mut_ptr().cast::<MaybeUninit<T>>() }
    }

    /// Writes the value and returns the initialised object.
    ///
    /// ```
    /// use rcobj::{Object, UniqueObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cyclic.write")]
    /// struct Name(String);
    ///
    /// let n = UniqueObj::<Name>::new_uninit().write(Name("n".into()));
    /// assert_eq!(n.0, "n");
    /// ```
    #[inline]
    pub fn write(mut self, value: T) -> UniqueObj<T> {
        // SAFETY: the place is valid for writes; we own the block.
        unsafe { self.as_mut_ptr().write(value) };
        // SAFETY: just initialised.
        unsafe { self.assume_init() }
    }

    /// The object, whose value the caller initialised.
    ///
    /// # Safety
    ///
    /// The value's place holds a valid `T` (written through [`as_mut_ptr`] or
    /// [`value_mut`]), as for `MaybeUninit::assume_init`.
    ///
    /// [`as_mut_ptr`]: UninitObj::as_mut_ptr
    /// [`value_mut`]: UninitObj::value_mut
    ///
    /// # Examples
    ///
    /// ```
    /// use rcobj::{Object, UniqueObj};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.cyclic.assume_init")]
    /// struct Flag(bool);
    ///
    /// let mut u = UniqueObj::<Flag>::new_uninit();
    /// u.value_mut().write(Flag(true));
    /// // SAFETY: written above.
    /// assert!(unsafe { u.assume_init() }.0);
    /// ```
    #[inline]
    pub unsafe fn assume_init(self) -> UniqueObj<T> {
        let this = ManuallyDrop::new(self);
        counts::add(T::type_info().index(), 1);
        // SAFETY: the only reference to a block allocated for `T` with `deleter::<T>`,
        // strong 1 and weak 1, whose value the caller guarantees is initialised.
        unsafe { UniqueObj::from_cell(this.ptr) }
    }
}

impl<T: Object> Drop for UninitObj<T> {
    fn drop(&mut self) {
        // SAFETY: our block, allocated for `T`; no value to drop (not initialised, or
        // left to the caller), and no instance counted.
        unsafe { ObjCell::free(self.ptr.as_ptr()) };
    }
}

impl<T: Object> fmt::Debug for UninitObj<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UninitObj<{}>", T::type_info().key())
    }
}
