//! std's own `Arc`/`Weak` tests (`library/alloc/src/sync/tests.rs` and
//! `library/alloctests/tests/arc.rs`), ported to `Obj`/`WeakObj` where they apply.
//!
//! Left out: the unsized cases (`Arc<str>`, `Arc<[T]>`, `Arc<dyn Trait>`, `from_iter`,
//! `make_mut` of a slice), `Arc<dyn Any>` downcasts of non-object values (replaced by
//! `AnyObj` downcasts), allocator-parameterised tests, `from_str`/`from_vec`, and the
//! `#[may_dangle]` test (object types are `'static`). Object types cannot be generic, so
//! each test's value is a small derived type. Iteration counts shrink under Miri.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::thread;

use rcobj::{AnyObj, Obj, Object, UniqueObj, WeakObj};

const fn iters(native: usize) -> usize {
    if cfg!(miri) {
        20
    } else {
        native
    }
}

#[derive(Object, Debug, Clone, PartialEq, Eq, Default)]
#[object(key = "arc_parity.Int")]
struct Int(i64);

#[derive(Object, Debug, Clone, PartialEq, Eq)]
#[object(key = "arc_parity.Ints")]
struct Ints(Vec<i64>);

/// `manually_share_arc`
#[test]
fn manually_share_obj() {
    let v = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    let obj_v = Obj::new(Ints(v));
    let (tx, rx) = channel::<Obj<Ints>>();
    let t = thread::spawn(move || {
        let obj_v: Obj<Ints> = rx.recv().unwrap();
        assert_eq!(obj_v.0[3], 4);
    });
    tx.send(obj_v.clone()).unwrap();
    assert_eq!(obj_v.0[2], 3);
    assert_eq!(obj_v.0[4], 5);
    t.join().unwrap();
}

/// `test_arc_get_mut`
#[test]
fn get_mut() {
    let mut x = Obj::new(Int(3));
    Obj::get_mut(&mut x).unwrap().0 = 4;
    assert_eq!(x.0, 4);
    let y = x.clone();
    assert!(Obj::get_mut(&mut x).is_none());
    drop(y);
    assert!(Obj::get_mut(&mut x).is_some());
    let _w = Obj::downgrade(&x);
    assert!(Obj::get_mut(&mut x).is_none());
}

/// `weak_counts`
#[test]
fn weak_counts() {
    assert_eq!(WeakObj::<Int>::new().weak_count(), 0);
    assert_eq!(WeakObj::<Int>::new().strong_count(), 0);

    let a = Obj::new(Int(0));
    let w = Obj::downgrade(&a);
    assert_eq!(w.strong_count(), 1);
    assert_eq!(w.weak_count(), 1);
    let w2 = w.clone();
    assert_eq!(w.strong_count(), 1);
    assert_eq!(w.weak_count(), 2);
    assert_eq!(w2.strong_count(), 1);
    assert_eq!(w2.weak_count(), 2);
    drop(w);
    assert_eq!(w2.strong_count(), 1);
    assert_eq!(w2.weak_count(), 1);
    let a2 = a.clone();
    assert_eq!(w2.strong_count(), 2);
    assert_eq!(w2.weak_count(), 1);
    drop(a2);
    drop(a);
    assert_eq!(w2.strong_count(), 0);
    assert_eq!(w2.weak_count(), 0);
    drop(w2);
}

/// `try_unwrap`
#[test]
fn try_unwrap() {
    let x = Obj::new(Int(3));
    assert_eq!(Obj::try_unwrap(x).ok(), Some(Int(3)));
    let x = Obj::new(Int(4));
    let _y = x.clone();
    assert_eq!(Obj::try_unwrap(x).err().map(|o| o.0), Some(4));
    let x = Obj::new(Int(5));
    let _w = Obj::downgrade(&x);
    assert_eq!(Obj::try_unwrap(x).ok(), Some(Int(5)));
}

/// `into_inner`
#[test]
fn into_inner() {
    for _ in 0..iters(100) {
        let x = Obj::new(Int(3));
        assert_eq!(Obj::into_inner(x), Some(Int(3)));

        let x = Obj::new(Int(4));
        let y = Obj::clone(&x);
        assert_eq!(Obj::into_inner(x), None);
        assert_eq!(Obj::into_inner(y), Some(Int(4)));

        let x = Obj::new(Int(5));
        let _w = Obj::downgrade(&x);
        assert_eq!(Obj::into_inner(x), Some(Int(5)));

        // Two threads race for the value: exactly one gets it.
        let x = Obj::new(Int(7));
        let y = x.clone();
        let t = thread::spawn(move || Obj::into_inner(y));
        let mine = Obj::into_inner(x);
        let theirs = t.join().unwrap();
        assert_eq!(mine.is_some() as u8 + theirs.is_some() as u8, 1);
        assert_eq!(mine.or(theirs), Some(Int(7)));
    }
}

/// `into_inner` racing `drop` (`into_inner_stress`, reduced).
#[test]
fn into_inner_races() {
    for _ in 0..iters(200) {
        let got = Arc::new(AtomicUsize::new(0));
        let a = Obj::new(Int(1));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let a = a.clone();
                let got = Arc::clone(&got);
                thread::spawn(move || {
                    if Obj::into_inner(a).is_some() {
                        got.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        drop(a);
        for h in handles {
            h.join().unwrap();
        }
        // The thread that releases last gets the value; if that is the plain `drop`,
        // nobody does. Never both threads.
        assert!(got.load(SeqCst) <= 1);
    }
}

/// `into_from_raw`
#[test]
fn into_from_raw() {
    let x = Obj::new(Int(4));
    let x_ptr = Obj::as_ptr(&x);
    let raw = Obj::into_raw(x);
    // SAFETY: made by `into_raw` above; its strong reference is taken back once.
    let x = unsafe { Obj::<Int>::from_raw(raw) };
    assert_eq!(x.0, 4);
    assert_eq!(Obj::as_ptr(&x), x_ptr);
    assert_eq!(Obj::try_unwrap(x).ok(), Some(Int(4)));
}

/// `into_from_weak_raw`
#[test]
fn into_from_weak_raw() {
    let x = Obj::new(Int(5));
    let y = Obj::downgrade(&x);
    let y_ptr = y.into_raw();
    // SAFETY: made by `into_raw` above; its weak reference is taken back once.
    let y = unsafe { WeakObj::<Int>::from_raw(y_ptr) };
    assert_eq!(y.upgrade().map(|o| o.0), Some(5));
    assert_eq!(Obj::try_unwrap(x).ok(), Some(Int(5)));
    assert!(y.upgrade().is_none());

    // A dangling weak handle survives the round trip.
    let raw = WeakObj::<Int>::new().into_raw();
    // SAFETY: as above.
    let dangling = unsafe { WeakObj::<Int>::from_raw(raw) };
    assert!(dangling.upgrade().is_none());
}

/// `test_cowarc_clone_make_mut`
#[test]
fn cow_clone_make_mut() {
    let mut cow0 = Obj::new(Int(75));
    let mut cow1 = cow0.clone();
    let mut cow2 = cow1.clone();

    assert_eq!(Obj::make_mut(&mut cow0).0, 75);
    assert_eq!(Obj::make_mut(&mut cow1).0, 75);
    assert_eq!(Obj::make_mut(&mut cow2).0, 75);

    Obj::make_mut(&mut cow0).0 += 1;
    Obj::make_mut(&mut cow1).0 += 2;
    Obj::make_mut(&mut cow2).0 += 3;

    assert_eq!(cow0.0, 76);
    assert_eq!(cow1.0, 77);
    assert_eq!(cow2.0, 78);

    // None should point to the same backing memory.
    assert!(cow0.0 != cow1.0);
    assert!(!Obj::ptr_eq(&cow0, &cow1) && !Obj::ptr_eq(&cow0, &cow2));
}

/// `test_cowarc_clone_unique2`
#[test]
fn cow_clone_unique2() {
    let mut cow0 = Obj::new(Int(75));
    let cow1 = cow0.clone();
    let cow2 = cow1.clone();

    assert_eq!(cow0.0, 75);
    assert_eq!(cow1.0, 75);
    assert_eq!(cow2.0, 75);

    Obj::make_mut(&mut cow0).0 += 1;
    assert_eq!(cow0.0, 76);
    assert_eq!(cow1.0, 75);
    assert_eq!(cow2.0, 75);

    // `cow1` and `cow2` should share the same contents; `cow0` should differ.
    assert!(!Obj::ptr_eq(&cow0, &cow1));
    assert!(!Obj::ptr_eq(&cow0, &cow2));
    assert!(Obj::ptr_eq(&cow1, &cow2));
}

/// `test_cowarc_clone_weak`
#[test]
fn cow_clone_weak() {
    let mut cow0 = Obj::new(Int(75));
    let cow1_weak = Obj::downgrade(&cow0);

    assert_eq!(cow0.0, 75);
    assert_eq!(cow1_weak.upgrade().unwrap().0, 75);

    Obj::make_mut(&mut cow0).0 += 1;

    assert_eq!(cow0.0, 76);
    assert!(cow1_weak.upgrade().is_none());
}

/// `test_live`
#[test]
fn live() {
    let x = Obj::new(Int(5));
    let y = Obj::downgrade(&x);
    assert!(y.upgrade().is_some());
}

/// `test_dead`
#[test]
fn dead() {
    let x = Obj::new(Int(5));
    let y = Obj::downgrade(&x);
    drop(x);
    assert!(y.upgrade().is_none());
}

#[derive(Object)]
#[object(key = "arc_parity.Cycle")]
struct Cycle {
    x: Mutex<WeakObj<Cycle>>,
}

/// `weak_self_cyclic`
#[test]
fn weak_self_cyclic() {
    let a = Obj::new(Cycle {
        x: Mutex::new(WeakObj::new()),
    });
    let b = Obj::downgrade(&a);
    *a.x.lock().unwrap() = b;
    // Nothing leaks: the weak self-reference does not keep the value alive.
    drop(a);
    assert_eq!(Cycle::type_info().live_count(), 0);
}

#[derive(Object)]
#[object(key = "arc_parity.Canary")]
struct Canary(Arc<AtomicUsize>);

impl Drop for Canary {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// `drop_arc`
#[test]
fn drop_obj() {
    let canary = Arc::new(AtomicUsize::new(0));
    let x = Obj::new(Canary(Arc::clone(&canary)));
    drop(x);
    assert_eq!(canary.load(SeqCst), 1);
}

/// `drop_arc_weak`
#[test]
fn drop_obj_weak() {
    let canary = Arc::new(AtomicUsize::new(0));
    let arc = Obj::new(Canary(Arc::clone(&canary)));
    let arc_weak = Obj::downgrade(&arc);
    assert_eq!(canary.load(SeqCst), 0);
    drop(arc);
    assert_eq!(canary.load(SeqCst), 1);
    drop(arc_weak);
}

/// `test_strong_count`
#[test]
fn strong_count() {
    let a = Obj::new(Int(0));
    assert_eq!(Obj::strong_count(&a), 1);
    let w = Obj::downgrade(&a);
    assert_eq!(Obj::strong_count(&a), 1);
    let b = w.upgrade().expect("");
    assert_eq!(Obj::strong_count(&b), 2);
    assert_eq!(Obj::strong_count(&a), 2);
    drop(w);
    drop(a);
    assert_eq!(Obj::strong_count(&b), 1);
    let c = b.clone();
    assert_eq!(Obj::strong_count(&b), 2);
    assert_eq!(Obj::strong_count(&c), 2);
}

/// `test_weak_count`
#[test]
fn weak_count() {
    let a = Obj::new(Int(0));
    assert_eq!(Obj::strong_count(&a), 1);
    assert_eq!(Obj::weak_count(&a), 0);
    let w = Obj::downgrade(&a);
    assert_eq!(Obj::strong_count(&a), 1);
    assert_eq!(Obj::weak_count(&a), 1);
    let x = w.clone();
    assert_eq!(Obj::weak_count(&a), 2);
    drop(w);
    drop(x);
    assert_eq!(Obj::strong_count(&a), 1);
    assert_eq!(Obj::weak_count(&a), 0);
    let c = a.clone();
    assert_eq!(Obj::strong_count(&a), 2);
    assert_eq!(Obj::weak_count(&a), 0);
    let d = Obj::downgrade(&c);
    assert_eq!(Obj::weak_count(&c), 1);
    assert_eq!(Obj::strong_count(&c), 2);
    drop(a);
    drop(c);
    drop(d);
}

/// `show_arc`
#[test]
fn show_obj() {
    let a = Obj::new(Int(5));
    assert_eq!(format!("{a:?}"), "Int(5)");
}

/// `test_from_owned`
#[test]
fn from_owned() {
    let foo = Int(123);
    let foo_obj = Obj::from(foo.clone());
    assert!(*foo_obj == foo);
}

/// `test_new_weak`
#[test]
fn new_weak() {
    let foo: WeakObj<Int> = WeakObj::new();
    assert!(foo.upgrade().is_none());
}

/// `test_ptr_eq`
#[test]
fn ptr_eq() {
    let five = Obj::new(Int(5));
    let same_five = five.clone();
    let other_five = Obj::new(Int(5));
    assert!(Obj::ptr_eq(&five, &same_five));
    assert!(!Obj::ptr_eq(&five, &other_five));
}

#[derive(Object)]
#[object(key = "arc_parity.Flag")]
struct Flag(AtomicBool);

/// `test_weak_count_locked`: `get_mut` on one thread never makes another thread see a
/// weak count it should not (rcobj needs no weak lock: one word holds both counts).
#[test]
fn weak_count_while_get_mut() {
    let mut a = Obj::new(Flag(AtomicBool::new(false)));
    let a2 = a.clone();
    let n = iters(100_000);
    let t = thread::spawn(move || {
        for _ in 0..n {
            let _ = Obj::get_mut(&mut a);
        }
        a.0.store(true, SeqCst);
    });
    while !a2.0.load(SeqCst) {
        let n = Obj::weak_count(&a2);
        assert!(n < 2, "bad weak count: {n}");
        std::hint::spin_loop();
    }
    t.join().unwrap();
}

/// `test_from_box`
#[test]
fn from_box() {
    let b: Box<Int> = Box::new(Int(123));
    let r: Obj<Int> = Obj::from(b);
    assert_eq!(r.0, 123);
}

#[derive(Object, Debug, PartialEq)]
#[object(key = "arc_parity.Text")]
struct Text(&'static str);

/// `test_downcast`, with `AnyObj` in place of `Arc<dyn Any + Send + Sync>`.
#[test]
fn downcast() {
    let r1: AnyObj = Obj::new(Int(i64::MAX)).upcast();
    let r2: AnyObj = Obj::new(Text("abc")).upcast();

    assert!(r1.clone().downcast::<Text>().is_err());
    let r1i64 = r1.downcast::<Int>();
    assert!(r1i64.is_ok());
    assert_eq!(r1i64.unwrap().0, i64::MAX);

    assert!(r2.clone().downcast::<Int>().is_err());
    let r2str = r2.downcast::<Text>();
    assert!(r2str.is_ok());
    assert_eq!(r2str.unwrap().0, "abc");
}

#[derive(Object)]
#[object(key = "arc_parity.ZeroRefs")]
struct ZeroRefs {
    inner: WeakObj<ZeroRefs>,
}

/// `test_arc_cyclic_with_zero_refs`
#[test]
fn cyclic_with_zero_refs() {
    let zero_refs = Obj::new_cyclic(|inner| {
        assert_eq!(inner.strong_count(), 0);
        assert!(inner.upgrade().is_none());
        ZeroRefs {
            inner: WeakObj::new(),
        }
    });
    assert_eq!(Obj::strong_count(&zero_refs), 1);
    assert_eq!(Obj::weak_count(&zero_refs), 0);
    assert_eq!(zero_refs.inner.strong_count(), 0);
    assert_eq!(zero_refs.inner.weak_count(), 0);
}

#[derive(Object)]
#[object(key = "arc_parity.OneRef")]
struct OneRef {
    inner: WeakObj<OneRef>,
}

/// `test_arc_new_cyclic_one_ref`
#[test]
fn cyclic_one_ref() {
    let one_ref = Obj::new_cyclic(|inner| {
        assert_eq!(inner.strong_count(), 0);
        assert!(inner.upgrade().is_none());
        OneRef {
            inner: inner.clone(),
        }
    });
    assert_eq!(Obj::strong_count(&one_ref), 1);
    assert_eq!(Obj::weak_count(&one_ref), 1);
    let one_ref2 = one_ref.inner.upgrade().unwrap();
    assert!(Obj::ptr_eq(&one_ref, &one_ref2));
    assert_eq!(Obj::strong_count(&one_ref), 2);
    assert_eq!(Obj::weak_count(&one_ref), 1);
}

#[derive(Object)]
#[object(key = "arc_parity.TwoRefs")]
struct TwoRefs {
    inner1: WeakObj<TwoRefs>,
    inner2: WeakObj<TwoRefs>,
}

/// `test_arc_cyclic_two_refs`
#[test]
fn cyclic_two_refs() {
    let two_refs = Obj::new_cyclic(|inner| {
        assert_eq!(inner.strong_count(), 0);
        assert!(inner.upgrade().is_none());
        let inner1 = inner.clone();
        let inner2 = inner1.clone();
        TwoRefs { inner1, inner2 }
    });
    assert_eq!(Obj::strong_count(&two_refs), 1);
    assert_eq!(Obj::weak_count(&two_refs), 2);
    let two_refs1 = two_refs.inner1.upgrade().unwrap();
    assert!(Obj::ptr_eq(&two_refs, &two_refs1));
    let two_refs2 = two_refs.inner2.upgrade().unwrap();
    assert!(Obj::ptr_eq(&two_refs, &two_refs2));
    assert_eq!(Obj::strong_count(&two_refs), 3);
    assert_eq!(Obj::weak_count(&two_refs), 2);
}

#[derive(Object)]
#[object(key = "arc_parity.Panicky")]
struct Panicky {
    _me: WeakObj<Panicky>,
}

/// `new_cyclic` whose closure panics: nothing counted, nothing leaked (Miri checks the
/// memory), and a weak clone kept outside upgrades to nothing afterwards.
#[test]
fn cyclic_panic_leaks_nothing() {
    let kept: Mutex<Option<WeakObj<Panicky>>> = Mutex::new(None);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Obj::new_cyclic(|me: &WeakObj<Panicky>| -> Panicky {
            *kept.lock().unwrap() = Some(me.clone());
            panic!("no value");
        })
    }));
    assert!(r.is_err());
    assert_eq!(Panicky::type_info().live_count(), 0);
    let w = kept.lock().unwrap().take().unwrap();
    assert!(w.upgrade().is_none());
    assert_eq!(w.strong_count(), 0);
    drop(w); // the last weak reference frees the block
}

/// `test_unwrap_or_clone`
#[test]
fn unwrap_or_clone() {
    let a = Obj::new(Int(5));
    assert_eq!(Obj::unwrap_or_clone(a), Int(5));

    let a = Obj::new(Int(5));
    let b = Obj::clone(&a);
    assert_eq!(Obj::unwrap_or_clone(a), Int(5));
    assert_eq!(b.0, 5);

    let a = Obj::new(Int(5));
    let b = Obj::downgrade(&a);
    assert_eq!(Obj::unwrap_or_clone(a), Int(5));
    assert!(b.upgrade().is_none());
}

/// `test_new_uninit` / `test_assume_init` (for `UniqueObj`).
#[test]
fn new_uninit_and_assume_init() {
    let mut five = UniqueObj::<Int>::new_uninit();
    five.value_mut().write(Int(5));
    // SAFETY: written above.
    let five = unsafe { five.assume_init() };
    assert_eq!(five.0, 5);

    let six = UniqueObj::<Int>::new_uninit().write(Int(6));
    let shared = UniqueObj::share(six);
    assert_eq!(shared.0, 6);

    // Dropped before initialisation: freed, never counted, no value dropped.
    let canary = Arc::new(AtomicUsize::new(0));
    let before = Canary::type_info().live_count();
    drop(UniqueObj::<Canary>::new_uninit());
    assert_eq!(Canary::type_info().live_count(), before);
    let c = UniqueObj::<Canary>::new_uninit().write(Canary(Arc::clone(&canary)));
    drop(c);
    assert_eq!(canary.load(SeqCst), 1);
}

#[derive(Object, Eq)]
#[object(key = "arc_parity.TestEq")]
struct TestEq(RefCell<usize>);

impl PartialEq for TestEq {
    fn eq(&self, other: &TestEq) -> bool {
        *self.0.borrow_mut() += 1;
        *other.0.borrow_mut() += 1;
        true
    }
}

/// `eq` (alloctests): for an `Eq` type, a handle equals itself without calling `eq`.
#[test]
fn eq_skips_eq_for_the_same_object() {
    let x = Obj::new(TestEq(RefCell::new(0)));
    assert!(x == x);
    assert!(!(x != x));
    assert_eq!(*x.0.borrow(), 0);
}

#[derive(Object)]
#[object(key = "arc_parity.TestPEq")]
struct TestPEq(RefCell<usize>);

impl PartialEq for TestPEq {
    fn eq(&self, other: &TestPEq) -> bool {
        *self.0.borrow_mut() += 1;
        *other.0.borrow_mut() += 1;
        true
    }
}

/// `partial_eq` (alloctests): a `PartialEq`-only type is always asked.
#[test]
fn partial_eq_calls_eq() {
    let x = Obj::new(TestPEq(RefCell::new(0)));
    assert!(x == x);
    assert!(!(x != x));
    assert_eq!(*x.0.borrow(), 4);
}

#[derive(Object, PartialEq)]
#[object(key = "arc_parity.F32")]
struct F32(f32);

/// `float_nan_ne` (alloctests)
#[test]
fn float_nan_ne() {
    let x = Obj::new(F32(f32::NAN));
    assert!(x != x);
    assert!(!(x == x));
}

/// `Arc::pin`
#[test]
fn pin() {
    let p = Obj::pin(Int(3));
    let q = p.clone();
    assert_eq!(q.as_ref().get_ref().0, 3);
    assert_eq!(p.0, 3);
}

/// `arc_drop_dereferenceable_race` (for Miri): a thread's last use of its handle must
/// not race the other thread's release.
#[test]
fn drop_dereferenceable_race() {
    for _ in 0..iters(100) {
        let a = Obj::new(Int(0));
        let b = a.clone();
        let t = thread::spawn(move || drop(b));
        drop(a);
        t.join().unwrap();
    }
}

/// `weak_drop_dereferenceable_race` (for Miri).
#[test]
fn weak_drop_dereferenceable_race() {
    for _ in 0..iters(100) {
        let a = Obj::new(Int(0));
        let w = Obj::downgrade(&a);
        let w2 = w.clone();
        drop(a);
        let t = thread::spawn(move || drop(w2));
        drop(w);
        t.join().unwrap();
    }
}
