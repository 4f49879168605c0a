//! Casts never make a `Send + Sync` handle to an object whose real type is not.
//!
//! `upcast` asks for `T: Send + Sync`; `downcast` has no such bound, so it must refuse at
//! run time (a compile-time constant, in fact) what `upcast` refuses at compile time. Each
//! test below would, on success of the cast, let another thread drop or share a value that
//! holds an `Rc`: a data race (Miri reports it). They assert the cast fails instead, and
//! never send anything.
//!
//! Run under Miri with `cargo +nightly miri test -p rcobj-tests --test soundness_casts`.

use std::rc::Rc;

use rcobj::{AnyObj, AnyObject, Obj, Object};

/// Not `Send`, not `Sync`: holds an `Rc`.
#[derive(Object)]
#[object(key = "tests.soundness_casts.Local")]
struct Local {
    shared: Rc<u32>,
}

/// `Send + Sync`.
#[derive(Object)]
#[object(key = "tests.soundness_casts.Base")]
struct Base {
    id: u32,
}

/// A child of a `Send + Sync` parent that is itself neither.
#[derive(Object)]
#[repr(C)]
#[object(key = "tests.soundness_casts.LocalChild")]
struct LocalChild {
    #[parent]
    base: Base,
    shared: Rc<u32>,
}

/// A grandchild of `Base` through `LocalChild`.
#[derive(Object)]
#[repr(C)]
#[object(key = "tests.soundness_casts.LocalGrandchild")]
struct LocalGrandchild {
    #[parent]
    child: LocalChild,
}

/// The rule also covers the other direction. `RawBase` is not `Send + Sync` (a raw
/// pointer); `Shared` adds nothing and vouches for being `Send + Sync` with an
/// `unsafe impl` (its pointer only ever points at a `static`); `SharedLocal` adds an `Rc`,
/// so it is not. An `Obj<RawBase>` may point at a `SharedLocal`: downcasting it to
/// `Shared` (deeper than `RawBase`, yet an ancestor of the real type) must not make a
/// `Send` handle to it.
#[derive(Object)]
#[object(key = "tests.soundness_casts.RawBase")]
struct RawBase {
    bytes: *const u8,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "tests.soundness_casts.Shared")]
struct Shared {
    #[parent]
    raw: RawBase,
}

// SAFETY: `raw.bytes` only ever points at `BYTES`, immutable static data.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

#[derive(Object)]
#[repr(C)]
#[object(key = "tests.soundness_casts.SharedLocal")]
struct SharedLocal {
    #[parent]
    shared: Shared,
    local: Rc<u32>,
}

static BYTES: [u8; 4] = [1, 2, 3, 4];

fn shared() -> Shared {
    Shared {
        raw: RawBase {
            bytes: BYTES.as_ptr(),
        },
    }
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_derive_knows_which_types_are_send_and_sync() {
    const {
        assert!(!Local::SEND_SYNC);
        assert!(Base::SEND_SYNC);
        assert!(!LocalChild::SEND_SYNC);
        assert!(!LocalGrandchild::SEND_SYNC);
        assert!(!RawBase::SEND_SYNC);
        assert!(Shared::SEND_SYNC);
        assert!(!SharedLocal::SEND_SYNC);
        assert!(AnyObject::SEND_SYNC);
    }
    assert_send_sync::<AnyObj>();
    assert_send_sync::<Obj<Base>>();
    assert_send_sync::<Obj<Shared>>();
}

/// The example: `downcast::<AnyObject>()` would be an `upcast` without its bound.
#[test]
fn downcast_to_any_object_refuses_an_object_that_is_not_send_sync() {
    let rc = Rc::new(7);
    let local = Obj::new(Local { shared: rc.clone() });
    let local = match local.downcast::<AnyObject>() {
        Ok(any) => panic!(
            "an `AnyObj` (Send + Sync) to a value holding an `Rc`: {}",
            Obj::type_info(&any).key()
        ),
        Err(local) => local,
    };
    // The handle comes back intact.
    assert_eq!(*local.shared, 7);
    assert_eq!(Rc::strong_count(&rc), 2);
    assert_eq!(Obj::strong_count(&local), 1);
    assert!(local.is::<AnyObject>()); // `is` answers the type question, unchanged
    drop(local);
    assert_eq!(Rc::strong_count(&rc), 1);
}

#[test]
fn downcast_to_a_send_sync_parent_refuses_a_child_that_is_not() {
    let rc = Rc::new(1);
    let child = Obj::new(LocalChild {
        base: Base { id: 3 },
        shared: rc.clone(),
    });
    let child = match child.downcast::<Base>() {
        Ok(_) => panic!("an `Obj<Base>` (Send + Sync) to a `LocalChild`"),
        Err(child) => child,
    };
    let child = match child.downcast::<AnyObject>() {
        Ok(_) => panic!("an `AnyObj` to a `LocalChild`"),
        Err(child) => child,
    };
    // Through a deeper handle too.
    let grandchild = Obj::new(LocalGrandchild {
        child: LocalChild {
            base: Base { id: 4 },
            shared: rc.clone(),
        },
    });
    assert!(grandchild.is::<Base>());
    let grandchild = grandchild.downcast::<Base>().err().unwrap();
    // Casts that keep the handle's static type `!Send` are still fine.
    let child_view: Obj<LocalChild> = grandchild.downcast::<LocalChild>().ok().unwrap();
    assert_eq!(child_view.base.id, 4);
    let same: Obj<LocalChild> = child.downcast::<LocalChild>().ok().unwrap();
    assert_eq!(same.base.id, 3);
    // A reference to the parent part is fine: `&Base` reaches only `Base`'s (`Sync`)
    // fields, and no safe API turns a `&Base` back into a handle.
    assert_eq!(same.downcast_ref::<Base>().map(|b| b.id), Some(3));
    assert_eq!(Rc::strong_count(&rc), 3);
    drop((same, child_view));
    assert_eq!(Rc::strong_count(&rc), 1);
}

#[test]
fn downcast_below_the_static_type_refuses_a_real_type_that_is_not_send_sync() {
    let rc = Rc::new(2);
    let real = Obj::new(SharedLocal {
        shared: shared(),
        local: rc.clone(),
    });
    // `RawBase` is not `Send + Sync`: this handle may point at anything below it.
    let raw: Obj<RawBase> = real.downcast::<RawBase>().ok().unwrap();
    assert!(raw.is::<Shared>());
    let raw = match raw.downcast::<Shared>() {
        Ok(_) => panic!("an `Obj<Shared>` (Send + Sync) to a `SharedLocal`"),
        Err(raw) => raw,
    };
    assert_eq!(first_byte(&raw), 1);
    drop(raw);
    assert_eq!(Rc::strong_count(&rc), 1);

    // When the real type is `Shared` itself, the handle is as `Send` as the object.
    let raw: Obj<RawBase> = Obj::new(shared()).downcast::<RawBase>().ok().unwrap();
    let back: Obj<Shared> = raw.downcast::<Shared>().ok().unwrap();
    assert_eq!(first_byte(&back.raw), 1);
    std::thread::spawn(move || drop(back)).join().unwrap();
}

/// The first byte `RawBase` points at (always `BYTES`).
fn first_byte(raw: &RawBase) -> u8 {
    assert!(std::ptr::eq(raw.bytes, BYTES.as_ptr()));
    BYTES[0]
}

#[test]
fn send_sync_objects_still_cast_both_ways() {
    let base: AnyObj = Obj::new(Base { id: 5 }).upcast();
    let base: Obj<Base> = base.downcast::<Base>().ok().unwrap();
    let any: AnyObj = base.downcast::<AnyObject>().ok().unwrap();
    std::thread::spawn(move || {
        assert_eq!(any.downcast_ref::<Base>().map(|b| b.id), Some(5));
    })
    .join()
    .unwrap();
}
