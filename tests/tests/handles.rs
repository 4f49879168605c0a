//! Every method and trait of the strong handle, `UniqueObj` and `ObjBorrow`.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

use rcobj::{AnyObj, AnyObject, Obj, ObjBorrow, Object, UniqueObj};
use rcobj_tests::{DropCounter, Polygon, Shape, Square, Tracked};

fn hash_of<T: Hash>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

#[test]
fn new_clone_counts_and_drop() {
    let drops = DropCounter::new();
    let a = Obj::new(Tracked::new(1, &drops));
    assert_eq!(Obj::strong_count(&a), 1);
    assert_eq!(Obj::weak_count(&a), 0);
    let b = a.clone();
    assert_eq!(Obj::strong_count(&a), 2);
    assert!(Obj::ptr_eq(&a, &b));
    assert_eq!(b.id, 1);
    drop(a);
    assert_eq!(drops.get(), 0);
    assert_eq!(Obj::strong_count(&b), 1);
    drop(b);
    assert_eq!(drops.get(), 1);
}

#[test]
fn header_reports_counts_and_type() {
    let a = Obj::new(Shape::default());
    let w = Obj::downgrade(&a);
    let h = Obj::header(&a);
    assert_eq!(h.strong_count(), 1);
    assert_eq!(h.weak_count(), 1);
    assert_eq!(h.type_index(), Shape::type_info().index());
    assert_eq!(Obj::type_info(&a).key(), "tests.Shape");
    assert_eq!(
        h.load_combined(std::sync::atomic::Ordering::Relaxed),
        rcobj::STRONG_ONE + 2 * rcobj::WEAK_ONE
    );
    drop(w);
    assert_eq!(Obj::header(&a).weak_count(), 0);
}

#[test]
fn get_mut_only_when_unique() {
    let mut a = Obj::new(Shape { name: "a".into() });
    Obj::get_mut(&mut a).unwrap().name.push('!');
    assert_eq!(a.name, "a!");
    let b = a.clone();
    assert!(Obj::get_mut(&mut a).is_none());
    drop(b);
    let w = Obj::downgrade(&a);
    assert!(
        Obj::get_mut(&mut a).is_none(),
        "a weak reference blocks get_mut"
    );
    drop(w);
    assert!(Obj::get_mut(&mut a).is_some());
}

#[test]
fn get_mut_through_ancestor_handle_gives_the_ancestor_part() {
    let mut s: Obj<Shape> = Obj::new(Square::new("sq", 1.0)).upcast();
    Obj::get_mut(&mut s).unwrap().name = "renamed".into();
    let sq = s.downcast::<Square>().unwrap();
    assert_eq!(sq.polygon.shape.name, "renamed");
    assert_eq!(sq.side, 1.0);
}

#[test]
fn make_mut_unique_in_place() {
    let mut a = Obj::new(Shape { name: "x".into() });
    let before = Obj::as_ptr(&a);
    Obj::make_mut(&mut a).name = "y".into();
    assert_eq!(
        Obj::as_ptr(&a),
        before,
        "a unique object is mutated in place"
    );
    assert_eq!(a.name, "y");
}

#[test]
fn make_mut_shared_clones() {
    let drops = DropCounter::new();
    let mut a = Obj::new(Tracked::new(1, &drops));
    let b = a.clone();
    Obj::make_mut(&mut a).id = 2;
    assert!(!Obj::ptr_eq(&a, &b));
    assert_eq!((a.id, b.id), (2, 1));
    assert_eq!(Obj::strong_count(&a), 1);
    assert_eq!(Obj::strong_count(&b), 1);
    drop((a, b));
    assert_eq!(drops.get(), 2);
}

/// Used by one test only, so its live count is not disturbed by tests running in parallel.
#[derive(Object, Clone)]
#[object(key = "tests.handles.CowOnly")]
struct CowOnly(u32);

#[test]
fn make_mut_counts_the_clone_as_a_new_instance() {
    let mut a = Obj::new(CowOnly(1));
    let b = a.clone();
    Obj::make_mut(&mut a).0 = 2;
    assert_eq!(CowOnly::type_info().live_count(), 2);
    drop(b);
    assert_eq!(CowOnly::type_info().live_count(), 1);
    let w = Obj::downgrade(&a);
    Obj::make_mut(&mut a).0 = 3;
    assert_eq!(
        CowOnly::type_info().live_count(),
        1,
        "moving the value keeps one instance"
    );
    drop((a, w));
    assert_eq!(CowOnly::type_info().live_count(), 0);
}

#[test]
fn make_mut_with_only_weak_moves_the_value() {
    let drops = DropCounter::new();
    let mut a = Obj::new(Tracked::new(1, &drops));
    let w = Obj::downgrade(&a);
    Obj::make_mut(&mut a).id = 5;
    assert!(w.upgrade().is_none(), "weak refs are disassociated");
    assert_eq!(
        drops.get(),
        0,
        "the value was moved, not cloned and dropped"
    );
    assert_eq!(a.id, 5);
    assert_eq!(Obj::weak_count(&a), 0);
    drop(a);
    assert_eq!(drops.get(), 1);
    drop(w);
}

/// A child of `Shape` without `Clone`.
#[derive(Object)]
#[repr(C)]
#[object(key = "tests.handles.Unclonable")]
struct Unclonable {
    #[parent]
    shape: Shape,
}

#[test]
#[should_panic(expected = "would slice it")]
fn make_mut_through_ancestor_panics_without_clone() {
    let mut s: Obj<Shape> = Obj::new(Unclonable {
        shape: Shape::default(),
    })
    .upcast();
    let _keep = s.clone();
    Obj::make_mut(&mut s);
}

#[test]
fn make_mut_through_ancestor_clones_the_real_type() {
    let mut s: Obj<Shape> = Obj::new(Square::new("sq", 1.0)).upcast();
    let keep = s.clone();
    Obj::make_mut(&mut s).name = "copy".into();
    assert!(!Obj::ptr_eq(&s, &keep));
    let sq = s.downcast_ref::<Square>().expect("still a Square");
    assert_eq!((sq.polygon.shape.name.as_str(), sq.side), ("copy", 1.0));
    assert_eq!(keep.name, "sq");
}

#[test]
fn try_unwrap_and_into_inner() {
    let drops = DropCounter::new();
    let a = Obj::new(Tracked::new(3, &drops));
    let b = a.clone();
    let a = Obj::try_unwrap(a).unwrap_err();
    drop(b);
    let w = Obj::downgrade(&a);
    let value = Obj::try_unwrap(a).ok().unwrap();
    assert_eq!(value.id, 3);
    assert!(w.upgrade().is_none());
    assert_eq!(drops.get(), 0);
    drop(value);
    assert_eq!(drops.get(), 1);

    let a = Obj::new(Tracked::new(4, &drops));
    let b = a.clone();
    assert!(Obj::into_inner(a).is_none());
    assert_eq!(Obj::into_inner(b).map(|t| t.id), Some(4));
}

#[derive(Object)]
#[object(key = "tests.handles.Base")]
#[derive(Debug)]
struct Base(u32);

#[derive(Object)]
#[repr(C)]
#[object(key = "tests.handles.Derived")]
#[derive(Debug)]
struct Derived(#[parent] Base, String);

#[test]
fn try_unwrap_through_ancestor_refuses() {
    let s: Obj<Base> = Obj::new(Derived(Base(1), "tail".into())).upcast();
    let s = Obj::try_unwrap(s).unwrap_err();
    assert_eq!(s.0, 1);
    assert_eq!(Derived::type_info().live_count(), 1);
    assert!(Obj::into_inner(s).is_none());
    assert_eq!(
        Derived::type_info().live_count(),
        0,
        "into_inner dropped it whole"
    );
    assert_eq!(Base::type_info().live_count(), 0);
}

#[test]
fn into_inner_races_yield_exactly_one_value() {
    for _ in 0..if cfg!(miri) { 5 } else { 200 } {
        let a = Obj::new(Shape { name: "r".into() });
        let b = a.clone();
        let t = std::thread::spawn(move || Obj::into_inner(b));
        let mine = Obj::into_inner(a);
        let theirs = t.join().unwrap();
        assert_eq!(
            usize::from(mine.is_some()) + usize::from(theirs.is_some()),
            1
        );
    }
}

#[test]
fn raw_round_trip() {
    let a = Obj::new(Shape { name: "raw".into() });
    let raw = Obj::into_raw(a.clone());
    // SAFETY: `raw` came from `into_raw` of an `Obj<Shape>` and its reference is handed back.
    let back: Obj<Shape> = unsafe { Obj::from_raw(raw) };
    assert!(Obj::ptr_eq(&a, &back));
    assert_eq!(Obj::strong_count(&a), 2);
    let any: AnyObj = back.upcast();
    let raw = Obj::into_raw(any);
    // SAFETY: as above, for an `AnyObj`.
    let any: Obj<AnyObject> = unsafe { Obj::from_raw(raw) };
    assert_eq!(any.downcast::<Shape>().unwrap().name, "raw");
}

#[test]
fn unique_obj_builds_mutates_and_shares() {
    let drops = DropCounter::new();
    let mut u = UniqueObj::new(Tracked::new(1, &drops));
    u.id = 9;
    let shared = UniqueObj::share(u);
    assert_eq!(Obj::strong_count(&shared), 1);
    assert_eq!(shared.id, 9);
    drop(shared);
    assert_eq!(drops.get(), 1);

    let u = UniqueObj::new(Tracked::new(2, &drops));
    drop(u);
    assert_eq!(drops.get(), 2);
    let u = UniqueObj::new(Tracked::new(3, &drops));
    let v = UniqueObj::into_inner(u);
    assert_eq!(drops.get(), 2);
    assert_eq!(v.id, 3);
    drop(v);
}

#[test]
fn borrow_is_copy_and_takes_refs_on_demand() {
    let a = Obj::new(Shape { name: "b".into() });
    let b: ObjBorrow<'_, Shape> = Obj::borrow(&a);
    let c = b;
    assert_eq!(Obj::strong_count(&a), 1, "borrowing costs no count");
    assert_eq!(c.name, "b");
    assert!(b.ptr_eq(c));
    let owned = c.to_obj();
    assert_eq!(Obj::strong_count(&a), 2);
    assert!(Obj::ptr_eq(&owned, &a));
    assert_eq!(b.get().name, "b");
}

#[test]
fn std_traits_delegate_to_the_value() {
    let a = Obj::new(Shape { name: "a".into() });
    let b = Obj::new(Shape { name: "b".into() });
    let a2 = Obj::new(Shape { name: "a".into() });
    assert_eq!(a, a2);
    assert_ne!(a, b);
    assert!(a < b);
    assert_eq!(a.cmp(&b), std::cmp::Ordering::Less);
    assert_eq!(hash_of(&a), hash_of(&Shape { name: "a".into() }));
    assert_eq!(format!("{a:?}"), r#"Shape { name: "a" }"#);
    assert_eq!(format!("{:p}", a), format!("{:p}", Obj::as_ptr(&a)));
    let d: Obj<Shape> = Obj::default();
    assert_eq!(d.name, "");
    let f: Obj<Shape> = Shape { name: "f".into() }.into();
    let r: &Shape = f.as_ref();
    assert_eq!(r.name, "f");
    let set: BTreeSet<Obj<Shape>> = [b.clone(), a.clone()].into_iter().collect();
    // `Shape` is not final, so `Obj<Shape>` is not `Borrow<Shape>` (a descendant would
    // compare as itself); look it up with a handle.
    assert!(set.contains(&Obj::new(Shape { name: "b".into() })));
}

#[derive(Object)]
#[object(key = "tests.Named")]
struct Named(&'static str);

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

#[test]
fn display_delegates() {
    assert_eq!(Obj::new(Named("n")).to_string(), "<n>");
}

#[test]
fn handles_are_pointer_sized_and_send_sync_like_arc() {
    use std::mem::size_of;
    assert_eq!(size_of::<Obj<Shape>>(), size_of::<usize>());
    assert_eq!(size_of::<Option<Obj<Shape>>>(), size_of::<usize>());
    assert_eq!(size_of::<rcobj::WeakObj<Shape>>(), size_of::<usize>());
    assert_eq!(size_of::<UniqueObj<Shape>>(), size_of::<usize>());
    assert_eq!(size_of::<ObjBorrow<'_, Shape>>(), size_of::<usize>());
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Obj<Shape>>();
    send_sync::<rcobj::WeakObj<Polygon>>();
    send_sync::<AnyObj>();
}
