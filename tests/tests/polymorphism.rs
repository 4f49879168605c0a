//! Behaviour through base handles: a small IR (an abstract `Expr` with `Const`, `Var` and
//! `Add` children) held as `Obj<Expr>` and `AnyObj` compares, hashes, orders, prints and
//! copies as each node's real type; the fallbacks for a real type without a trait; casts
//! without count traffic; `new_cyclic` with weak back-links; runtime-type instances.

// The derive's `SEND_SYNC` probe of a child that is not `Send + Sync` (`LocalChild`)
// reports its unused inherent constant at the `#[parent]` field's span; see the report
// to the derive's owner. Nothing else here is dead.
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use rcobj::{AnyObj, Obj, ObjBorrow, Object, RuntimeTypeBuilder, TraitKind, WeakObj};

fn hash_of<T: Hash + ?Sized>(t: &T) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// The abstract base: every expression has a span, and nothing else.
#[derive(Object, Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[object(key = "poly.Expr")]
struct Expr {
    span: u32,
}

#[derive(Object, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(C)]
#[object(key = "poly.Const", final)]
struct Const {
    #[parent]
    expr: Expr,
    value: i64,
}

#[derive(Object, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(C)]
#[object(key = "poly.Var", final)]
struct Var {
    #[parent]
    expr: Expr,
    name: String,
}

#[derive(Object, Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(C)]
#[object(key = "poly.Add", final)]
struct Add {
    #[parent]
    expr: Expr,
    a: Obj<Expr>,
    b: Obj<Expr>,
}

/// A child with none of the traits.
#[derive(Object)]
#[repr(C)]
#[object(key = "poly.Opaque", final)]
struct Opaque {
    #[parent]
    expr: Expr,
}

/// A `PartialEq`-only child (no `Eq`, `Hash`, `Ord`): a NaN is not equal to itself.
#[derive(Object, Debug, Clone, PartialEq, PartialOrd)]
#[repr(C)]
#[object(key = "poly.Real", final)]
struct Real {
    #[parent]
    expr: Expr,
    value: f64,
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<expr>")
    }
}

impl fmt::Display for Const {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)
    }
}

fn konst(value: i64) -> Obj<Expr> {
    Obj::new(Const {
        expr: Expr::default(),
        value,
    })
    .upcast()
}

fn var(name: &str) -> Obj<Expr> {
    Obj::new(Var {
        expr: Expr::default(),
        name: name.into(),
    })
    .upcast()
}

fn add(a: Obj<Expr>, b: Obj<Expr>) -> Obj<Expr> {
    Obj::new(Add {
        expr: Expr::default(),
        a,
        b,
    })
    .upcast()
}

fn opaque() -> Obj<Expr> {
    Obj::new(Opaque {
        expr: Expr::default(),
    })
    .upcast()
}

fn real(value: f64) -> Obj<Expr> {
    Obj::new(Real {
        expr: Expr::default(),
        value,
    })
    .upcast()
}

#[test]
fn the_derive_records_what_each_type_implements() {
    let c = Const::type_info().behaviour();
    for t in [
        TraitKind::Debug,
        TraitKind::Display,
        TraitKind::PartialEq,
        TraitKind::Eq,
        TraitKind::PartialOrd,
        TraitKind::Ord,
        TraitKind::Hash,
        TraitKind::Clone,
    ] {
        assert!(c.implements(t), "Const: {t:?}");
    }
    assert!(!Var::type_info().behaviour().implements(TraitKind::Display));
    let o = Opaque::type_info().behaviour();
    assert!(!o.implements(TraitKind::Debug) && !o.implements(TraitKind::PartialEq));
    let r = Real::type_info().behaviour();
    assert!(r.implements(TraitKind::PartialEq) && !r.implements(TraitKind::Eq));
    assert!(!r.implements(TraitKind::Hash) && !r.implements(TraitKind::Ord));
    assert_eq!(format!("{o:?}"), "{}");
}

#[test]
fn equality_is_the_real_types() {
    assert_eq!(konst(1), konst(1));
    assert_ne!(konst(1), konst(2), "Const's ==, not Expr's");
    // Same `Expr` part, different real types: never equal.
    assert_ne!(konst(0), var("x"));
    assert_eq!(var("x"), var("x"));
    let any1: AnyObj = konst(1).upcast();
    let any2: AnyObj = konst(1).upcast();
    let any3: AnyObj = konst(3).upcast();
    assert_eq!(any1, any2);
    assert_ne!(any1, any3);
    // Trees compare structurally through their `Obj<Expr>` fields.
    assert_eq!(add(konst(1), var("y")), add(konst(1), var("y")));
    assert_ne!(add(konst(1), var("y")), add(konst(1), var("z")));
    // Borrowed handles agree.
    let (a, b) = (konst(4), konst(4));
    assert!(Obj::borrow(&a) == Obj::borrow(&b));
}

#[test]
fn hash_set_of_three_constants_has_three_elements() {
    let set: HashSet<Obj<Expr>> = [konst(1), konst(2), konst(3), konst(2)]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 3);
    assert!(set.contains(&konst(3)));
    assert!(!set.contains(&var("x")));
    let any: HashSet<AnyObj> = [konst(1), konst(2), konst(3)]
        .into_iter()
        .map(Obj::upcast)
        .collect();
    assert_eq!(any.len(), 3);
}

#[test]
fn exact_and_base_handles_hash_alike() {
    let c = Obj::new(Const {
        expr: Expr { span: 7 },
        value: 9,
    });
    let e: Obj<Expr> = c.clone().upcast();
    let a: AnyObj = c.clone().upcast();
    let h = hash_of(&*c);
    assert_eq!(hash_of(&c), h);
    assert_eq!(hash_of(&e), h);
    assert_eq!(hash_of(&a), h);
    assert_eq!(hash_of(&Obj::borrow(&e)), h);
    // A final type's handle is `Borrow<Const>`: a set of handles is searched by value.
    let set: HashSet<Obj<Const>> = [c.clone()].into_iter().collect();
    assert!(set.contains(&Const {
        expr: Expr { span: 7 },
        value: 9
    }));
}

#[test]
fn ordering_is_by_type_index_then_the_real_types() {
    let mut v = vec![konst(3), var("b"), konst(1), var("a"), konst(2)];
    v.sort();
    let consts_first = Const::type_info().index() < Var::type_info().index();
    let keys: Vec<String> = v
        .iter()
        .map(|e| {
            e.downcast_ref::<Const>()
                .map(|c| c.value.to_string())
                .or_else(|| e.downcast_ref::<Var>().map(|v| v.name.clone()))
                .unwrap()
        })
        .collect();
    if consts_first {
        assert_eq!(keys, ["1", "2", "3", "a", "b"]);
    } else {
        assert_eq!(keys, ["a", "b", "1", "2", "3"]);
    }
    assert_eq!(
        konst(1).partial_cmp(&konst(2)),
        Some(std::cmp::Ordering::Less)
    );
    let set: BTreeSet<AnyObj> = v.into_iter().map(Obj::upcast).collect();
    assert_eq!(set.len(), 5);
}

#[test]
fn debug_and_display_print_the_real_type() {
    let c = konst(5);
    assert_eq!(
        format!("{c:?}"),
        "Const { expr: Expr { span: 0 }, value: 5 }"
    );
    let any: AnyObj = c.clone().upcast();
    assert_eq!(format!("{any:?}"), format!("{c:?}"));
    assert_eq!(format!("{:?}", Obj::borrow(&any)), format!("{c:?}"));
    assert_eq!(c.to_string(), "5");
    assert_eq!(any.to_string(), "5");
    // No `Display` on `Var`: key and address, not `Expr`'s "<expr>".
    let v = var("x");
    assert!(v.to_string().starts_with("poly.Var@0x"), "{v}");
    assert_eq!(
        format!("{:?}", v.clone()),
        r#"Var { expr: Expr { span: 0 }, name: "x" }"#
    );
    let o = opaque();
    let shown = format!("{o:?}");
    assert_eq!(shown, format!("poly.Opaque@{:p}", Obj::header(&o)));
    let w = Obj::downgrade(&o);
    assert_eq!(
        format!("{w:?}"),
        format!("WeakObj {{ target: {shown}, alive: true }}")
    );
    drop(o);
    assert_eq!(
        format!("{w:?}"),
        format!("WeakObj {{ target: {shown}, alive: false }}")
    );
}

#[test]
fn a_real_type_without_the_trait_falls_back_to_identity() {
    let (a, b) = (opaque(), opaque());
    assert_eq!(a, a.clone());
    assert_ne!(a, b, "no PartialEq: identity");
    assert_eq!(hash_of(&a), hash_of(&a.clone()));
    let set: HashSet<Obj<Expr>> = [a.clone(), b.clone(), a.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    // Ordered by address, consistently with `==`.
    assert_eq!(a.cmp(&a.clone()), std::cmp::Ordering::Equal);
    assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
    assert_ne!(a.cmp(&b), std::cmp::Ordering::Equal);
}

#[test]
fn a_partial_eq_only_real_type() {
    let nan = real(f64::NAN);
    // The static type `Expr` is `Eq`, so a handle equals itself (reflexivity, as `Arc`)…
    assert_eq!(nan, nan.clone());
    // …but two NaNs are not equal, and through a `Real` handle the NaN is not even equal to
    // itself (`Real` is only `PartialEq`).
    assert_ne!(nan, real(f64::NAN));
    let exact = nan.clone().downcast::<Real>().ok().unwrap();
    assert!(exact != exact.clone());
    // `AnyObj` is `Eq` too: the same object is equal to itself, and found in a set.
    let any: AnyObj = nan.clone().upcast();
    assert_eq!(any, any.clone());
    let set: HashSet<AnyObj> = [any.clone()].into_iter().collect();
    assert!(set.contains(&any));
    assert_eq!(real(1.5), real(1.5));
    // No `Hash`: equal objects hash by type index, so they agree.
    assert_eq!(hash_of(&real(1.5)), hash_of(&real(1.5)));
    // No `Ord`: `partial_cmp` decides where it can.
    assert!(real(1.0) < real(2.0));
    assert_eq!(real(f64::NAN).partial_cmp(&real(1.0)), None);
}

#[test]
fn copy_on_write_through_the_base_handle() {
    let mut e = konst(1);
    let old = e.clone();
    // Shared: a new `Const`, not a sliced `Expr`.
    Obj::make_mut(&mut e).span = 10;
    assert!(!Obj::ptr_eq(&e, &old));
    let c = e.downcast_ref::<Const>().expect("still a Const");
    assert_eq!((c.expr.span, c.value), (10, 1));
    assert_eq!(old.span, 0);
    assert_eq!(Obj::type_info(&e).key(), "poly.Const");
    // Unique: in place.
    let before = Obj::as_ptr(&e);
    Obj::make_mut(&mut e).span = 11;
    assert_eq!(Obj::as_ptr(&e), before);
    // Only weak references: moved into a new object, the weak handle disassociated.
    let w = Obj::downgrade(&e);
    Obj::make_mut(&mut e).span = 12;
    assert!(w.upgrade().is_none());
    assert_eq!(
        e.downcast_ref::<Const>().map(|c| (c.expr.span, c.value)),
        Some((12, 1))
    );
    // The real type has no `Clone` and the object is shared: refused.
    let mut o = opaque();
    let _keep = o.clone();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Obj::make_mut(&mut o);
    }));
    assert!(r.is_err());
}

/// `make_mut` through a base handle with only weak references left moves the real value
/// into a new object (one function for every type, from the descriptor's size and
/// alignment): the value's heap parts come along, nothing is dropped twice or leaked, the
/// instance stays counted once, and over-aligned types get their own layout.
#[test]
fn relocation_moves_the_real_value() {
    #[derive(Object, Clone)]
    #[object(key = "poly.relocate.Base")]
    struct Base {
        name: String,
    }
    #[derive(Object)]
    #[repr(C)]
    #[object(key = "poly.relocate.Leaf")]
    struct Leaf {
        #[parent]
        base: Base,
        tail: Vec<u64>,
    }
    #[derive(Object, Clone)]
    #[repr(C, align(64))]
    #[object(key = "poly.relocate.WideBase")]
    struct WideBase {
        name: String,
    }
    #[derive(Object)]
    #[repr(C, align(64))]
    #[object(key = "poly.relocate.WideLeaf")]
    struct WideLeaf {
        #[parent]
        base: WideBase,
        tail: [u8; 100],
    }

    let mut b: Obj<Base> = Obj::new(Leaf {
        base: Base { name: "x".into() },
        tail: vec![1, 2, 3],
    })
    .upcast();
    let w = Obj::downgrade(&b);
    let before = Obj::as_ptr(&b);
    Obj::make_mut(&mut b).name.push('!');
    assert_ne!(Obj::as_ptr(&b), before, "moved into a new object");
    assert!(w.upgrade().is_none());
    assert_eq!(Leaf::type_info().live_count(), 1);
    let leaf = b.downcast_ref::<Leaf>().expect("still a Leaf");
    assert_eq!(leaf.base.name, "x!");
    assert_eq!(leaf.tail, [1, 2, 3]);
    drop(w);
    drop(b);
    assert_eq!(Leaf::type_info().live_count(), 0);

    let mut b: Obj<WideBase> = Obj::new(WideLeaf {
        base: WideBase { name: "w".into() },
        tail: [7; 100],
    })
    .upcast();
    let w = Obj::downgrade(&b);
    Obj::make_mut(&mut b).name.push('?');
    drop(w);
    assert_eq!(Obj::as_ptr(&b) as usize % 64, 0);
    let leaf = b.downcast_ref::<WideLeaf>().expect("still a WideLeaf");
    assert_eq!((leaf.base.name.as_str(), leaf.tail), ("w?", [7; 100]));
    drop(b);
    assert_eq!(WideLeaf::type_info().live_count(), 0);
}

#[test]
fn instance_counts_after_copy_on_write() {
    #[derive(Object, Clone, Default)]
    #[object(key = "poly.counted.Base")]
    struct Base;
    #[derive(Object, Clone)]
    #[repr(C)]
    #[object(key = "poly.counted.Leaf")]
    struct Leaf {
        #[parent]
        base: Base,
        n: u8,
    }
    let mut b: Obj<Base> = Obj::new(Leaf { base: Base, n: 1 }).upcast();
    let keep = b.clone();
    Obj::make_mut(&mut b);
    assert_eq!(Leaf::type_info().live_count(), 2);
    assert_eq!(Base::type_info().live_count(), 0);
    drop((b, keep));
    assert_eq!(Leaf::type_info().live_count(), 0);
}

// ---------------------------------------------------------------------------------------
// Casts

/// A `Send + Sync` base with a child that is neither.
#[derive(Object, Default)]
#[object(key = "poly.SharedBase")]
struct SharedBase {
    n: u32,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "poly.LocalChild")]
struct LocalChild {
    #[parent]
    base: SharedBase,
    _local: Rc<u8>,
}

#[test]
fn borrow_casts_take_no_count() {
    let c = Obj::new(Const {
        expr: Expr { span: 2 },
        value: 3,
    });
    let e: ObjBorrow<'_, Expr> = Obj::borrow(&c).upcast();
    assert_eq!(e.span, 2);
    let any = e.upcast::<rcobj::AnyObject>();
    let back: ObjBorrow<'_, Const> = any.downcast::<Const>().unwrap();
    assert_eq!(back.value, 3);
    assert!(any.downcast::<Var>().is_none());
    assert!(any.downcast::<Expr>().is_some());
    assert_eq!(Obj::strong_count(&c), 1);
    assert!(Obj::ptr_eq(&back.to_obj(), &c));
}

#[test]
fn downcast_mut_only_when_unique() {
    let mut e = konst(1);
    e.downcast_mut::<Const>().unwrap().value = 2;
    assert_eq!(e.downcast_ref::<Const>().unwrap().value, 2);
    assert!(e.downcast_mut::<Var>().is_none());
    let w = Obj::downgrade(&e);
    assert!(
        e.downcast_mut::<Const>().is_none(),
        "a weak reference counts"
    );
    drop(w);
    let other = e.clone();
    assert!(e.downcast_mut::<Const>().is_none());
    drop(other);
    assert!(e.downcast_mut::<Const>().is_some());
}

#[test]
fn from_obj_for_any_obj() {
    let any: AnyObj = Obj::new(Const {
        expr: Expr::default(),
        value: 1,
    })
    .into();
    assert!(any.is::<Const>());
    let any2: AnyObj = konst(1).into();
    assert_eq!(any, any2);
}

#[test]
fn downcasts_never_make_a_send_sync_handle_to_a_local_object() {
    let mut local = Obj::new(LocalChild {
        base: SharedBase { n: 1 },
        _local: Rc::new(0),
    });
    // `SharedBase` is `Send + Sync` and `LocalChild` is not: refused.
    assert!(Obj::borrow(&local).downcast::<SharedBase>().is_none());
    assert!(local.downcast_mut::<SharedBase>().is_none());
    // The object's own type is fine.
    assert!(Obj::borrow(&local).downcast::<LocalChild>().is_some());
    assert!(local.downcast_mut::<LocalChild>().is_some());
    assert_eq!(local.base.n, 1);
    // Downwards from a `Send + Sync` base is fine too.
    let mut shared = Obj::new(SharedBase::default());
    assert!(shared.downcast_mut::<SharedBase>().is_some());
    assert!(Obj::borrow(&shared).downcast::<LocalChild>().is_none());
}

// ---------------------------------------------------------------------------------------
// Two-phase construction

#[derive(Object)]
#[object(key = "poly.Module")]
struct Module {
    name: String,
    functions: Vec<Obj<Function>>,
}

#[derive(Object)]
#[object(key = "poly.Function", final)]
struct Function {
    name: String,
    module: WeakObj<Module>,
}

#[test]
fn new_cyclic_module_with_weak_back_links() {
    let m = Obj::new_cyclic(|me: &WeakObj<Module>| {
        assert!(me.upgrade().is_none());
        Module {
            name: "m".into(),
            functions: ["f", "g"]
                .iter()
                .map(|n| {
                    Obj::new(Function {
                        name: (*n).into(),
                        module: me.clone(),
                    })
                })
                .collect(),
        }
    });
    assert_eq!(Obj::weak_count(&m), 2);
    for f in &m.functions {
        let up = f.module.upgrade().expect("the module is alive");
        assert!(Obj::ptr_eq(&up, &m));
        assert_eq!(up.name, "m");
    }
    assert_eq!(m.functions[1].name, "g");
    let f = m.functions[0].clone();
    drop(m);
    // No cycle: the module went with its last strong handle.
    assert!(f.module.upgrade().is_none());
    assert_eq!(Module::type_info().live_count(), 0);
    drop(f);
    assert_eq!(Function::type_info().live_count(), 0);
}

#[test]
fn new_cyclic_panic_leaks_nothing() {
    let r = std::panic::catch_unwind(|| {
        Obj::new_cyclic(|me: &WeakObj<Module>| -> Module {
            let _f = Obj::new(Function {
                name: "f".into(),
                module: me.clone(),
            });
            panic!("no module");
        })
    });
    assert!(r.is_err());
    assert_eq!(Module::type_info().live_count(), 0);
    assert_eq!(Function::type_info().live_count(), 0);
}

// ---------------------------------------------------------------------------------------
// Runtime-defined types

#[test]
fn runtime_type_instances_are_identities() {
    let ty = RuntimeTypeBuilder::new("poly.Runtime")
        .layout(8, 8)
        .register()
        .unwrap();
    let a = ty.new_object(|_| {}).unwrap();
    let b = ty.new_object(|_| {}).unwrap();
    assert!(!ty.info().behaviour().implements(TraitKind::PartialEq));
    assert_eq!(
        format!("{a:?}"),
        format!("poly.Runtime@{:p}", Obj::header(&a))
    );
    assert_eq!(a, a.clone());
    assert_ne!(a, b);
    assert_eq!(hash_of(&a), hash_of(&a.clone()));
    let set: HashSet<AnyObj> = [a.clone(), b.clone(), a.clone()].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert_ne!(a.cmp(&b), std::cmp::Ordering::Equal);
    assert!(format!("{:?}", Obj::downgrade(&a)).contains("poly.Runtime@0x"));
    // Never equal to a Rust object.
    let c: AnyObj = konst(0).upcast();
    assert_ne!(a, c);
    drop((a, b, set));
    ty.unregister();
}

#[test]
fn runtime_type_keys_are_static() {
    let ty = RuntimeTypeBuilder::new("poly.Runtime.Key")
        .register()
        .unwrap();
    let key: Option<&'static str> = rcobj::registry::by_key("poly.Runtime.Key").map(|t| t.key());
    ty.unregister();
    drop(ty);
    assert_eq!(key, Some("poly.Runtime.Key"));
}
