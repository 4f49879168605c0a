//! `is` / `downcast_ref` / `downcast` on every branch: the root, an exact match, an
//! ancestor through the descriptor table, final and non-final targets, and misses.

use rcobj::{AnyObj, AnyObject, Obj, Object};

#[derive(Object)]
#[object(key = "test.casts.A1")]
struct A1 {
    x: u64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "test.casts.A2")]
struct A2 {
    #[parent]
    p: A1,
    y: u64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "test.casts.A3", final)]
struct A3 {
    #[parent]
    p: A2,
    z: u64,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "test.casts.B2", final)]
struct B2 {
    #[parent]
    p: A1,
}

fn a3() -> AnyObj {
    Obj::new(A3 {
        p: A2 {
            p: A1 { x: 1 },
            y: 2,
        },
        z: 3,
    })
    .upcast()
}

#[test]
fn is_on_every_branch() {
    let o = a3();
    assert!(o.is::<AnyObject>());
    assert!(o.is::<A1>());
    assert!(o.is::<A2>());
    assert!(o.is::<A3>());
    assert!(!o.is::<B2>());

    let two: AnyObj = Obj::new(A2 {
        p: A1 { x: 1 },
        y: 2,
    })
    .upcast();
    assert!(two.is::<A1>());
    assert!(two.is::<A2>());
    assert!(!two.is::<A3>());
    assert!(!two.is::<B2>());

    let one: AnyObj = Obj::new(A1 { x: 1 }).upcast();
    assert!(one.is::<A1>());
    assert!(!one.is::<A2>());
    assert!(!one.is::<A3>());

    let b: Obj<A1> = Obj::new(B2 { p: A1 { x: 9 } }).upcast();
    assert!(b.is::<B2>());
    assert!(!b.is::<A2>());
}

#[test]
fn downcasts() {
    let o = a3();
    assert_eq!(o.downcast_ref::<A1>().map(|v| v.x), Some(1));
    assert_eq!(o.downcast_ref::<A2>().map(|v| v.y), Some(2));
    assert_eq!(o.downcast_ref::<A3>().map(|v| v.z), Some(3));
    assert!(o.downcast_ref::<B2>().is_none());
    let Err(o) = o.downcast::<B2>() else {
        panic!("not a B2")
    };
    let Ok(a2) = o.downcast::<A2>() else {
        panic!("an A2")
    };
    assert_eq!(a2.p.x, 1);
}
