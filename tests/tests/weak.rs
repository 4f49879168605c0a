//! Weak semantics: the value is dropped when the strong count reaches zero, the memory is
//! freed when the weak count does, counted with a per-thread counting allocator.

use rcobj::{Obj, ObjCell, Object, UniqueObj, WeakObj};
use rcobj_tests::{alloc_stats, CountingAlloc, DropCounter, Tracked};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn cell_size() -> isize {
    std::mem::size_of::<ObjCell<Tracked>>() as isize
}

#[test]
fn new_is_exactly_one_allocation() {
    let drops = DropCounter::new();
    // Warm up: the registry and this thread's count slots are set up lazily.
    drop(Obj::new(Tracked::new(0, &drops)));
    let (a0, f0, b0) = alloc_stats();
    let a = Obj::new(Tracked::new(1, &drops));
    let (a1, f1, b1) = alloc_stats();
    assert_eq!((a1 - a0, f1 - f0), (1, 0));
    assert_eq!(b1 - b0, cell_size());
    let c = a.clone();
    let w = Obj::downgrade(&a);
    let b = Obj::borrow(&a);
    let _ = b.to_obj();
    assert_eq!(alloc_stats().0, a1, "handles never allocate");
    drop((a, c, w));
    let (_, f2, b2) = alloc_stats();
    assert_eq!(f2 - f1, 1);
    assert_eq!(b2, b0);
}

#[test]
fn value_dropped_at_strong_zero_memory_freed_at_weak_zero() {
    let drops = DropCounter::new();
    drop(Obj::new(Tracked::new(0, &drops)));
    let before = drops.get();
    let (a0, f0, b0) = alloc_stats();
    let a = Obj::new(Tracked::new(1, &drops));
    let w1 = Obj::downgrade(&a);
    let w2 = w1.clone();
    assert_eq!(Obj::weak_count(&a), 2);
    assert_eq!(w1.strong_count(), 1);
    assert_eq!(w1.weak_count(), 2);
    drop(a);
    assert_eq!(
        drops.get(),
        before + 1,
        "value dropped with the last strong ref"
    );
    assert_eq!(alloc_stats().1, f0, "memory kept while weak refs exist");
    assert!(w1.upgrade().is_none());
    assert_eq!(w1.strong_count(), 0);
    assert_eq!(
        w1.weak_count(),
        0,
        "as std's Weak: 0 once no strong ref is left"
    );
    drop(w1);
    assert_eq!(alloc_stats().1, f0);
    drop(w2);
    let (a1, f1, b1) = alloc_stats();
    assert_eq!(
        (a1 - a0, f1 - f0, b1 - b0),
        (1, 1, 0),
        "freed once with the last weak"
    );
}

#[test]
fn upgrade_while_alive() {
    let drops = DropCounter::new();
    let a = Obj::new(Tracked::new(4, &drops));
    let w = Obj::downgrade(&a);
    let b = w.upgrade().unwrap();
    assert!(Obj::ptr_eq(&a, &b));
    assert_eq!(Obj::strong_count(&a), 2);
    drop((a, b));
    assert!(w.upgrade().is_none());
    assert_eq!(drops.get(), 1);
}

#[test]
fn weak_new_allocates_nothing_and_never_upgrades() {
    let (a0, ..) = alloc_stats();
    let w: WeakObj<Tracked> = WeakObj::new();
    let w2 = w.clone();
    let d: WeakObj<Tracked> = WeakObj::default();
    assert!(w.upgrade().is_none());
    assert_eq!((w.strong_count(), w.weak_count()), (0, 0));
    assert!(w.ptr_eq(&w2) && w.ptr_eq(&d));
    drop((w, w2, d));
    assert_eq!(alloc_stats().0, a0);
}

#[test]
fn weak_ptr_eq_distinguishes_objects() {
    let drops = DropCounter::new();
    let a = Obj::new(Tracked::new(1, &drops));
    let b = Obj::new(Tracked::new(2, &drops));
    let (wa, wa2, wb) = (Obj::downgrade(&a), Obj::downgrade(&a), Obj::downgrade(&b));
    assert!(wa.ptr_eq(&wa2));
    assert!(!wa.ptr_eq(&wb));
}

#[test]
fn unique_drop_and_into_inner_free_once() {
    let drops = DropCounter::new();
    drop(UniqueObj::new(Tracked::new(0, &drops)));
    let (a0, f0, b0) = alloc_stats();
    drop(UniqueObj::new(Tracked::new(1, &drops)));
    let v = UniqueObj::into_inner(UniqueObj::new(Tracked::new(2, &drops)));
    let (a1, f1, b1) = alloc_stats();
    assert_eq!((a1 - a0, f1 - f0, b1 - b0), (2, 2, 0));
    assert_eq!(v.id, 2);
}

#[test]
fn weak_refs_across_threads() {
    let drops = DropCounter::new();
    let a = Obj::new(Tracked::new(7, &drops));
    let weaks: Vec<WeakObj<Tracked>> = (0..4).map(|_| Obj::downgrade(&a)).collect();
    let handles: Vec<_> = weaks
        .into_iter()
        .map(|w| std::thread::spawn(move || w.upgrade().map(|o| o.id)))
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), Some(7));
    }
    assert_eq!(Obj::weak_count(&a), 0);
    assert_eq!(Tracked::type_info().key(), "tests.Tracked");
}
