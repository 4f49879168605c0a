//! Behaviour entries of runtime-defined types (`RuntimeTypeBuilder::debug`, `display`,
//! `eq`, `total_eq`, `hash`, `cmp`): every handle (`AnyObj`, `Obj<P>` and `ObjBorrow<P>` of
//! a Rust parent) dispatches to the real type's closures, with its bytes; the rules are the
//! derive's (different real types never equal, ordered by type index; `Hash` agrees with
//! `==`; an `Eq` type's object equals itself without a call); entries are per type.

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};

use rcobj::{registry, AnyObj, Obj, Object, RuntimeType, RuntimeTypeBuilder, RuntimeTypeError};
use rcobj::{ObjBorrow, TraitKind};

/// A Rust parent with every trait a handle can dispatch, but not `Eq`: through an
/// `Obj<Base>`, `==` of one object with itself is the real type's to decide.
#[derive(Object, Debug, PartialEq, PartialOrd, Hash)]
#[object(key = "tests.rtbeh.Base")]
struct Base {
    id: u32,
}

impl fmt::Display for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Base #{}", self.id)
    }
}

/// A Rust parent that is `Eq` and `Hash`, for a `HashSet<Obj<Key>>`.
#[derive(Object, Debug, PartialEq, Eq, Hash)]
#[object(key = "tests.rtbeh.Key")]
struct Key(u32);

/// The size of a runtime child of `Base` with `own` bytes of its own (align 4).
fn ext_size(own: usize) -> usize {
    std::mem::size_of::<Base>() + own
}

fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

fn u32_at(bytes: &[u8]) -> u32 {
    u32::from_ne_bytes(bytes[..4].try_into().unwrap())
}

/// A type with every entry on a `u32` (compared, hashed and ordered by value), with no
/// parent.
fn full(key: &str) -> RuntimeType {
    RuntimeTypeBuilder::new(key)
        .layout(4, 4)
        .debug(|b, f| write!(f, "N({})", u32_at(b)))
        .display(|b, f| write!(f, "{}", u32_at(b)))
        .total_eq(|a, b| u32_at(a) == u32_at(b))
        .hash(|b, state| state.write_u32(u32_at(b)))
        .cmp(|a, b| u32_at(a).cmp(&u32_at(b)))
        .register()
        .unwrap()
}

fn num(ty: &RuntimeType, v: u32) -> AnyObj {
    ty.new_object(|b| b.copy_from_slice(&v.to_ne_bytes()))
        .unwrap()
}

#[test]
fn the_table_records_the_entries() {
    let ty = full("tests.rtbeh.table.Full");
    let b = ty.info().behaviour();
    for t in [
        TraitKind::Debug,
        TraitKind::Display,
        TraitKind::PartialEq,
        TraitKind::Eq,
        TraitKind::PartialOrd,
        TraitKind::Ord,
        TraitKind::Hash,
    ] {
        assert!(b.implements(t), "{t:?}");
    }
    assert!(!b.implements(TraitKind::Clone));
    assert_eq!(
        format!("{b:?}"),
        "{Debug, Display, PartialEq, Eq, PartialOrd, Ord, Hash}"
    );

    let partial = RuntimeTypeBuilder::new("tests.rtbeh.table.Partial")
        .eq(|a, b| a == b)
        .register()
        .unwrap();
    let b = partial.info().behaviour();
    assert!(b.implements(TraitKind::PartialEq));
    assert!(!b.implements(TraitKind::Eq));
    assert_eq!(format!("{b:?}"), "{PartialEq}");

    // `eq` after `total_eq` replaces it, and is not total.
    let replaced = RuntimeTypeBuilder::new("tests.rtbeh.table.Replaced")
        .total_eq(|a, b| a == b)
        .eq(|a, b| a == b)
        .register()
        .unwrap();
    assert!(!replaced.info().behaviour().implements(TraitKind::Eq));

    let none = RuntimeTypeBuilder::new("tests.rtbeh.table.None")
        .register()
        .unwrap();
    assert_eq!(format!("{:?}", none.info().behaviour()), "{}");
}

#[test]
fn debug_and_display_through_every_handle() {
    let ty = RuntimeTypeBuilder::new("tests.rtbeh.fmt.Ext")
        .parent::<Base>()
        .layout(ext_size(4), 4)
        .debug(|own, f| write!(f, "Ext {{ own: {} }}", u32_at(own)))
        .display(|own, f| write!(f, "ext {}", u32_at(own)))
        .register()
        .unwrap();
    let any = ty
        .new_object_with_base(Base { id: 1 }, |own| {
            own.copy_from_slice(&77u32.to_ne_bytes())
        })
        .unwrap();
    let base: Obj<Base> = any.clone().downcast().unwrap();
    let borrow: ObjBorrow<'_, Base> = Obj::borrow(&base);
    for s in [
        format!("{any:?}"),
        format!("{base:?}"),
        format!("{borrow:?}"),
    ] {
        assert_eq!(s, "Ext { own: 77 }");
    }
    for s in [any.to_string(), base.to_string(), borrow.to_string()] {
        assert_eq!(s, "ext 77");
    }
    // The formatter's flags reach the closure.
    let padded = RuntimeTypeBuilder::new("tests.rtbeh.fmt.Padded")
        .layout(1, 1)
        .display(|b, f| f.pad(if b[0] == 0 { "zero" } else { "other" }))
        .register()
        .unwrap();
    let z = padded.new_object(|_| {}).unwrap();
    assert_eq!(format!("[{z:>6}]"), "[  zero]");
    assert!(format!("{z:?}").starts_with("tests.rtbeh.fmt.Padded@0x"));
}

#[test]
fn closures_get_exactly_the_bytes_of_the_real_type() {
    // An alignment above the header's: the value is at 32 from the header, not at the 24
    // an `AnyObj`'s own (zero-sized) value would be at.
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let s = seen.clone();
    let wide = RuntimeTypeBuilder::new("tests.rtbeh.bytes.Wide")
        .layout(32, 16)
        .debug(move |b, f| {
            s.lock().unwrap().push(b.to_vec());
            write!(f, "{}", b.len())
        })
        .register()
        .unwrap();
    let pattern: Vec<u8> = (1..=32).collect();
    let obj = wide.new_object(|b| b.copy_from_slice(&pattern)).unwrap();
    assert_eq!(format!("{obj:?}"), "32");
    assert_eq!(seen.lock().unwrap().pop().unwrap(), pattern);
    assert_eq!(wide.bytes(&obj).unwrap(), &pattern[..]);

    // After a Rust base: the bytes `RuntimeType::bytes` shows.
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let s = seen.clone();
    let ext = RuntimeTypeBuilder::new("tests.rtbeh.bytes.Ext")
        .parent::<Base>()
        .layout(ext_size(6), 4)
        .eq(move |a, b| {
            s.lock().unwrap().extend([a.to_vec(), b.to_vec()]);
            a == b
        })
        .register()
        .unwrap();
    let make = |own: [u8; 6]| -> Obj<Base> {
        ext.new_object_with_base(Base { id: 9 }, |b| b.copy_from_slice(&own))
            .unwrap()
            .downcast()
            .unwrap()
    };
    let (a, b) = (make([1, 2, 3, 4, 5, 6]), make([1, 2, 3, 4, 5, 7]));
    assert_ne!(a, b);
    assert_eq!(ext.bytes_offset(), std::mem::size_of::<Base>());
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ext.bytes(&a).unwrap().to_vec(),
            ext.bytes(&b).unwrap().to_vec()
        ]
    );
    assert_eq!(seen.lock().unwrap()[0], [1, 2, 3, 4, 5, 6]);
}

#[test]
fn equal_bytes_are_one_element_of_a_hash_set() {
    let ty = full("tests.rtbeh.hash.A");
    let (a, b, c) = (num(&ty, 5), num(&ty, 5), num(&ty, 6));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(hash_of(&a), hash_of(&b));
    let set: HashSet<AnyObj> = [a.clone(), b.clone(), c.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert!(set.contains(&num(&ty, 6)));

    // Another runtime type with the same entries and equal bytes is never equal.
    let other = full("tests.rtbeh.hash.B");
    let d = num(&other, 5);
    assert_ne!(a, d);
    let set: HashSet<AnyObj> = [a.clone(), b, d.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);

    // A Rust object is never equal to one either.
    #[derive(Object, PartialEq, Eq, Hash)]
    #[object(key = "tests.rtbeh.hash.Rust")]
    struct Rust(u32);
    let r: AnyObj = Obj::new(Rust(5)).upcast();
    assert_ne!(a, r);
    assert_ne!(r, a);
}

#[test]
fn hashing_agrees_through_base_and_any_handles() {
    let ty = RuntimeTypeBuilder::new("tests.rtbeh.hash.Ext")
        .parent::<Key>()
        .layout(std::mem::size_of::<Key>() + 4, 4)
        .eq(|a, b| a == b)
        .hash(|own, mut state| own.hash(&mut state))
        .register()
        .unwrap();
    let make = |v: u32| -> AnyObj {
        ty.new_object_with_base(Key(v), |own| own.copy_from_slice(&v.to_ne_bytes()))
            .unwrap()
    };
    let (a, b) = (make(3), make(3));
    let (ba, bb): (Obj<Key>, Obj<Key>) = (a.clone().downcast().unwrap(), b.downcast().unwrap());
    assert_eq!(ba, bb);
    // The closure hashes into the caller's hasher: every handle to equal objects agrees,
    // and it is what hashing the bytes directly gives.
    assert_eq!(hash_of(&a), hash_of(&ba));
    assert_eq!(hash_of(&ba), hash_of(&bb));
    assert_eq!(hash_of(&Obj::borrow(&ba)), hash_of(&bb));
    assert_eq!(hash_of(&a), hash_of(ty.bytes(&a).unwrap()));
    let set: HashSet<Obj<Key>> = [ba, bb, make(4).downcast().unwrap()].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn eq_without_hash_hashes_the_type_index() {
    let ty = RuntimeTypeBuilder::new("tests.rtbeh.hash.EqOnly")
        .layout(4, 4)
        .eq(|a, b| a == b)
        .register()
        .unwrap();
    let (a, b, c) = (num(&ty, 1), num(&ty, 1), num(&ty, 2));
    // Equal objects hash alike; so do all others of the type (the index is all there is).
    assert_eq!(hash_of(&a), hash_of(&b));
    assert_eq!(hash_of(&a), hash_of(&c));
    let mut h = DefaultHasher::new();
    h.write_i32(ty.index());
    assert_eq!(hash_of(&a), h.finish());
    let set: HashSet<AnyObj> = [a, b, c].into_iter().collect();
    assert_eq!(set.len(), 2);

    // `hash` without `eq`: `==` is identity, which any hash agrees with.
    let hash_only = RuntimeTypeBuilder::new("tests.rtbeh.hash.HashOnly")
        .layout(4, 4)
        .hash(|b, state| state.write(b))
        .register()
        .unwrap();
    let (x, y) = (num(&hash_only, 1), num(&hash_only, 1));
    assert_ne!(x, y);
    assert_eq!(x, x.clone());
    assert_eq!(hash_of(&x), hash_of(&y));
    let set: HashSet<AnyObj> = [x.clone(), y, x].into_iter().collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn order_is_by_type_index_then_by_the_closure() {
    let (first, second) = (
        full("tests.rtbeh.ord.First"),
        full("tests.rtbeh.ord.Second"),
    );
    let (lo, hi) = if first.index() < second.index() {
        (&first, &second)
    } else {
        (&second, &first)
    };
    let mut v = [
        num(hi, 1),
        num(lo, 30),
        num(hi, 0),
        num(lo, 10),
        num(lo, 20),
    ];
    v.sort();
    let seen: Vec<(i32, u32)> = v
        .iter()
        .map(|o| {
            let ty = if o.is_instance_of(lo.info()) { lo } else { hi };
            (ty.index(), u32_at(ty.bytes(o).unwrap()))
        })
        .collect();
    assert_eq!(
        seen,
        [
            (lo.index(), 10),
            (lo.index(), 20),
            (lo.index(), 30),
            (hi.index(), 0),
            (hi.index(), 1)
        ]
    );
    // Across types by index even against the closure's order; `partial_cmp` agrees.
    assert_eq!(num(lo, 99).cmp(&num(hi, 0)), Ordering::Less);
    assert_eq!(
        num(hi, 0).partial_cmp(&num(lo, 99)),
        Some(Ordering::Greater)
    );
    assert_eq!(num(lo, 4).cmp(&num(lo, 4)), Ordering::Equal);
    assert_eq!(num(lo, 4).partial_cmp(&num(lo, 5)), Some(Ordering::Less));
}

#[test]
fn partial_cmp_through_a_base_handle() {
    // With a `cmp`: `Some` of it, through `Obj<Base>` (`Base: PartialOrd`).
    let ordered = RuntimeTypeBuilder::new("tests.rtbeh.ord.Ext")
        .parent::<Base>()
        .layout(ext_size(4), 4)
        .total_eq(|a, b| a == b)
        .cmp(|a, b| u32_at(a).cmp(&u32_at(b)))
        .register()
        .unwrap();
    let make = |ty: &RuntimeType, v: u32| -> Obj<Base> {
        ty.new_object_with_base(Base { id: 0 }, |own| own.copy_from_slice(&v.to_ne_bytes()))
            .unwrap()
            .downcast()
            .unwrap()
    };
    assert_eq!(
        make(&ordered, 1).partial_cmp(&make(&ordered, 2)),
        Some(Ordering::Less)
    );
    assert!(make(&ordered, 3) > make(&ordered, 2));

    // With an `eq` and no order: equal objects are `Equal`, others unordered (`None`).
    let eq_only = RuntimeTypeBuilder::new("tests.rtbeh.ord.EqOnly")
        .parent::<Base>()
        .layout(ext_size(4), 4)
        .eq(|a, b| a == b)
        .register()
        .unwrap();
    let (a, b, c) = (make(&eq_only, 1), make(&eq_only, 1), make(&eq_only, 2));
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
    assert_eq!(a.partial_cmp(&c), None);
    // Through `AnyObj` (`Ord`): equal is `Equal`; unequal by address, consistently.
    let (a, c): (AnyObj, AnyObj) = (a.upcast(), c.upcast());
    assert_eq!(a.cmp(&b.upcast()), Ordering::Equal);
    assert_eq!(a.cmp(&c), c.cmp(&a).reverse());
    assert_ne!(a.cmp(&c), Ordering::Equal);
}

#[test]
fn cmp_needs_total_eq() {
    for (key, builder) in [
        (
            "tests.rtbeh.cmp_err.NoEq",
            RuntimeTypeBuilder::new("tests.rtbeh.cmp_err.NoEq").cmp(|a, b| a.cmp(b)),
        ),
        (
            "tests.rtbeh.cmp_err.PartialEq",
            RuntimeTypeBuilder::new("tests.rtbeh.cmp_err.PartialEq")
                .eq(|a, b| a == b)
                .cmp(|a, b| a.cmp(b)),
        ),
    ] {
        assert_eq!(
            builder.register().unwrap_err(),
            RuntimeTypeError::CmpWithoutTotalEq
        );
        assert!(registry::by_key(key).is_none(), "nothing registered");
    }
    assert_eq!(
        RuntimeTypeError::CmpWithoutTotalEq.to_string(),
        "an order (`cmp`) needs an equality declared total (`total_eq`) to agree with"
    );
}

/// A type below `Base` whose `eq` (total or not) counts its calls and says "unequal"
/// always (a NaN-like value).
fn counting(key: &str, total: bool) -> (RuntimeType, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let f = move |_: &[u8], _: &[u8]| {
        c.fetch_add(1, AtomicOrdering::SeqCst);
        false
    };
    let builder = RuntimeTypeBuilder::new(key)
        .parent::<Base>()
        .layout(ext_size(0), 4);
    let builder = if total {
        builder.total_eq(f)
    } else {
        builder.eq(f)
    };
    (builder.register().unwrap(), calls)
}

#[test]
fn total_eq_makes_an_object_equal_to_itself_without_a_call() {
    let (partial, partial_calls) = counting("tests.rtbeh.total.Partial", false);
    let (total, total_calls) = counting("tests.rtbeh.total.Total", true);
    let calls = |c: &AtomicUsize| c.load(AtomicOrdering::SeqCst);

    // `Base` is not `Eq`: through an `Obj<Base>`, the real type decides.
    let p: Obj<Base> = partial
        .new_object_with_base(Base { id: 0 }, |_| {})
        .unwrap()
        .downcast()
        .unwrap();
    assert_ne!(p, p.clone(), "not reflexive, and not declared total");
    assert_eq!(calls(&partial_calls), 1);
    let t: Obj<Base> = total
        .new_object_with_base(Base { id: 0 }, |_| {})
        .unwrap()
        .downcast()
        .unwrap();
    assert_eq!(t, t.clone(), "total: one object is equal to itself");
    assert_eq!(Obj::borrow(&t), Obj::borrow(&t));
    assert_eq!(calls(&total_calls), 0, "without calling `eq`");
    // Two objects: the closure decides.
    let t2: Obj<Base> = total
        .new_object_with_base(Base { id: 0 }, |_| {})
        .unwrap()
        .downcast()
        .unwrap();
    assert_ne!(t, t2);
    assert_eq!(calls(&total_calls), 1);

    // `AnyObj` is `Eq`: one object equals itself whatever the real type, without a call.
    let (pa, ta): (AnyObj, AnyObj) = (p.upcast(), t.upcast());
    assert_eq!(pa, pa.clone());
    assert_eq!(ta, ta.clone());
    assert_eq!((calls(&partial_calls), calls(&total_calls)), (1, 1));
    // Ordering an object against itself, without an order entry, is `Equal` the same way.
    assert_eq!(pa.cmp(&pa.clone()), Ordering::Equal);
    assert_eq!(calls(&partial_calls), 1);
}

#[test]
fn a_type_without_entries_keeps_the_fallbacks() {
    let ty = RuntimeTypeBuilder::new("tests.rtbeh.none.Plain")
        .parent::<Base>()
        .layout(ext_size(4), 4)
        .register()
        .unwrap();
    let make = || -> Obj<Base> {
        ty.new_object_with_base(Base { id: 1 }, |_| {})
            .unwrap()
            .downcast()
            .unwrap()
    };
    let (a, b) = (make(), make());
    // Not `Base`'s impls either: the real type has none.
    assert_eq!(
        format!("{a:?}"),
        format!("tests.rtbeh.none.Plain@{:p}", Obj::header(&a))
    );
    assert_eq!(
        a.to_string(),
        format!("tests.rtbeh.none.Plain@{:p}", Obj::header(&a))
    );
    assert_ne!(a, b, "identity, although the values are equal");
    assert_eq!(a, a.clone());
    assert_eq!(a.partial_cmp(&a.clone()), Some(Ordering::Equal));
    assert!(a.partial_cmp(&b).is_some(), "identity orders by address");
    assert_eq!(hash_of(&a), hash_of(&a.clone()));
    let set: HashSet<AnyObj> = [a.clone().upcast(), b.upcast(), a.upcast()]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn entries_are_not_inherited_by_a_runtime_child() {
    let parent = RuntimeTypeBuilder::new("tests.rtbeh.inherit.Parent")
        .layout(4, 4)
        .debug(|b, f| write!(f, "Parent({})", u32_at(b)))
        .display(|_, f| f.write_str("parent"))
        .total_eq(|a, b| a == b)
        .hash(|b, state| state.write(b))
        .cmp(|a, b| a.cmp(b))
        .register()
        .unwrap();
    let bare = RuntimeTypeBuilder::new("tests.rtbeh.inherit.Bare")
        .runtime_parent(&parent)
        .layout(8, 4)
        .register()
        .unwrap();
    assert_eq!(format!("{:?}", bare.info().behaviour()), "{}");
    let make = |v: u32| {
        bare.new_object(|b| {
            b[..4].copy_from_slice(&v.to_ne_bytes());
            b[4..].copy_from_slice(&v.to_ne_bytes());
        })
        .unwrap()
    };
    let (a, b) = (make(1), make(1));
    assert!(a.is_instance_of(parent.info()));
    assert_eq!(
        format!("{a:?}"),
        format!("tests.rtbeh.inherit.Bare@{:p}", Obj::header(&a))
    );
    assert_eq!(
        a.to_string(),
        format!("tests.rtbeh.inherit.Bare@{:p}", Obj::header(&a))
    );
    assert_ne!(a, b, "identity, not the parent's `eq`");
    let set: HashSet<AnyObj> = [a.clone(), b.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert_ne!(a.cmp(&b), Ordering::Equal);

    // A child with its own entries uses them, with its own (longer) bytes.
    let own = RuntimeTypeBuilder::new("tests.rtbeh.inherit.Own")
        .runtime_parent(&parent)
        .layout(8, 4)
        .debug(|b, f| write!(f, "Own({} bytes)", b.len()))
        .register()
        .unwrap();
    let o = own.new_object(|_| {}).unwrap();
    assert_eq!(format!("{o:?}"), "Own(8 bytes)");
    assert!(o.to_string().starts_with("tests.rtbeh.inherit.Own@0x"));
    // The parent's own instances keep the parent's entries.
    let p = parent
        .new_object(|b| b.copy_from_slice(&7u32.to_ne_bytes()))
        .unwrap();
    assert_eq!(format!("{p:?}"), "Parent(7)");
}

#[test]
fn a_panic_in_an_entry_reaches_the_caller() {
    let ty = RuntimeTypeBuilder::new("tests.rtbeh.panic.Bomb")
        .layout(1, 1)
        .debug(|b, _| panic!("debug of {}", b[0]))
        .eq(|_, _| panic!("eq"))
        .register()
        .unwrap();
    let (a, b) = (
        ty.new_object(|b| b[0] = 5).unwrap(),
        ty.new_object(|_| {}).unwrap(),
    );
    let err = panic::catch_unwind(AssertUnwindSafe(|| format!("{a:?}"))).unwrap_err();
    assert_eq!(err.downcast_ref::<String>().unwrap(), "debug of 5");
    let err = panic::catch_unwind(AssertUnwindSafe(|| a == b)).unwrap_err();
    assert_eq!(*err.downcast_ref::<&str>().unwrap(), "eq");
    // The objects are intact and released as usual.
    assert_eq!(a, a.clone());
    assert_eq!(ty.live_count(), 2);
    drop((a, b));
    assert_eq!(ty.live_count(), 0);
}

#[test]
fn entries_are_called_from_any_thread() {
    let ty = full("tests.rtbeh.threads.N");
    let objs: Vec<AnyObj> = (0..4).map(|v| num(&ty, v % 2)).collect();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let objs = objs.clone();
            std::thread::spawn(move || {
                let set: HashSet<AnyObj> = objs.iter().cloned().collect();
                (set.len(), format!("{:?}", objs[1]))
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), (2, "N(1)".to_owned()));
    }
}

/// Records its drop in a log.
struct Guard(Arc<Mutex<Vec<&'static str>>>, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(self.1);
    }
}

#[test]
fn entries_are_dropped_at_release_before_on_release() {
    let log: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let (g1, g2, l) = (
        Guard(log.clone(), "debug"),
        Guard(log.clone(), "eq"),
        log.clone(),
    );
    let ty = RuntimeTypeBuilder::new("tests.rtbeh.release.T")
        .layout(1, 1)
        .debug(move |_, f| {
            let g = &g1; // the whole guard, not only its field
            f.write_str(g.1)
        })
        .eq(move |a, b| {
            let _g = &g2;
            a == b
        })
        .on_release(move || l.lock().unwrap().push("on_release"))
        .register()
        .unwrap();
    let obj = ty.new_object(|_| {}).unwrap();
    assert_eq!(format!("{obj:?}"), "debug");
    assert!(ty.unregister());
    drop(ty);
    assert!(
        log.lock().unwrap().is_empty(),
        "the instance keeps the type"
    );
    drop(obj);
    // Other threads of this binary may owe the type a merge: the release can be late,
    // never early.
    for _ in 0..10_000 {
        rcobj::merge_thread_counts();
        if log.lock().unwrap().len() == 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[2], "on_release", "the entries go first: {log:?}");
}
