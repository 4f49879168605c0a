//! Values and functions across the tvm-ffi boundary (feature `tvm-ffi`), against the real
//! libtvm_ffi: conversions both ways, `ffi.Array`, small and long strings, global functions
//! registered from Rust and called through tvm-ffi, errors and panics as tvm-ffi errors.
#![cfg(all(feature = "tvm-ffi", not(miri), not(loom)))]

use rcobj::tvm_ffi::{register_global, Any, Error, FromAny, Function, IntoAny};
use rcobj::{AnyObj, Obj, Object};

#[derive(Object, Debug, PartialEq)]
#[object(key = "rcobj_tests.values.Leaf")]
struct Leaf {
    value: i64,
}

fn any<T: IntoAny>(v: T) -> Any {
    v.into_any().unwrap()
}

#[test]
fn scalars_round_trip() {
    assert!(any(true).to::<bool>().unwrap());
    assert_eq!(any(-7i8).to::<i8>().unwrap(), -7);
    assert_eq!(any(i64::MIN).to::<i64>().unwrap(), i64::MIN);
    assert_eq!(any(u32::MAX).to::<u32>().unwrap(), u32::MAX);
    assert_eq!(any(2.5f64).to::<f64>().unwrap(), 2.5);
    assert_eq!(any(3i64).to::<f64>().unwrap(), 3.0); // an int reads as a float
    assert_eq!(any(()).type_index(), 0);
    assert!(any(()).is_none());
}

#[test]
fn out_of_range_and_mismatches() {
    let e = u64::MAX.into_any().unwrap_err();
    assert_eq!(e.kind(), "ValueError");
    let e = any(300i64).to::<u8>().unwrap_err();
    assert_eq!(e.kind(), "ValueError");
    assert!(e.message().contains("out of range for u8"), "{e}");
    let e = any(1.5f64).to::<i64>().unwrap_err();
    assert_eq!(
        (e.kind(), e.message()),
        ("TypeError", "expected int, got float")
    );
    let e = any("text").to::<bool>().unwrap_err();
    assert_eq!(e.message(), "expected bool, got str");
}

#[test]
fn strings_small_and_long() {
    let small = any("seven!!");
    assert_eq!(small.type_index(), 11, "at most 7 bytes travel inline");
    assert_eq!(small.to::<String>().unwrap(), "seven!!");
    let long = any(String::from("eight!!!"));
    assert_eq!(long.type_index(), 65, "longer ones are ffi.String objects");
    assert_eq!(long.to::<String>().unwrap(), "eight!!!");
    let unicode = "größer als sieben Bytes — ✓";
    assert_eq!(any(unicode).to::<String>().unwrap(), unicode);
    assert_eq!(any("").to::<String>().unwrap(), "");
    // A long string is an object: cloning shares it.
    let copy = long.clone();
    drop(long);
    assert_eq!(copy.to::<String>().unwrap(), "eight!!!");
}

#[test]
fn options() {
    assert_eq!(any(None::<i64>).to::<Option<i64>>().unwrap(), None);
    assert_eq!(any(Some(4i64)).to::<Option<i64>>().unwrap(), Some(4));
    let e = any("x").to::<Option<i64>>().unwrap_err();
    assert_eq!(e.message(), "expected Optional[int], got str");
}

#[test]
fn arrays_of_values_and_objects() {
    let v = any(vec![1i64, 2, 3]);
    assert_eq!(v.type_index(), 71);
    assert_eq!(v.to::<Vec<i64>>().unwrap(), [1, 2, 3]);
    assert_eq!(
        any(Vec::<i64>::new()).to::<Vec<i64>>().unwrap(),
        Vec::<i64>::new()
    );
    let nested = any(vec![
        vec!["a".to_string()],
        vec![],
        vec!["bb".into(), "c".into()],
    ]);
    assert_eq!(
        nested.to::<Vec<Vec<String>>>().unwrap(),
        [vec!["a".to_string()], vec![], vec!["bb".into(), "c".into()]]
    );
    let e = any(vec![1i64, 2]).to::<Vec<String>>().unwrap_err();
    assert_eq!(e.message(), "element 0: expected str, got int");

    // Objects in an array are shared, not copied, and come back as themselves.
    let leaves: Vec<Obj<Leaf>> = (0..3).map(|i| Obj::new(Leaf { value: i })).collect();
    let array = any(leaves.clone());
    assert_eq!(
        Obj::strong_count(&leaves[1]),
        2,
        "the array holds a reference"
    );
    let back = array.to::<Vec<Obj<Leaf>>>().unwrap();
    assert!(back.iter().zip(&leaves).all(|(a, b)| Obj::ptr_eq(a, b)));
    let erased = array.to::<Vec<AnyObj>>().unwrap();
    assert!(erased[2].is::<Leaf>());
    drop((array, back, erased));
    assert_eq!(Obj::strong_count(&leaves[1]), 1);
    drop(leaves);
    assert_eq!(Leaf::type_info().live_count(), 0);
}

#[test]
fn objects_and_options_of_objects() {
    let leaf = Obj::new(Leaf { value: 9 });
    let v = any(leaf.clone());
    assert_eq!(v.type_index(), Leaf::type_info().index());
    let back: Obj<Leaf> = v.to().unwrap();
    assert!(Obj::ptr_eq(&back, &leaf));
    assert_eq!(
        any(None::<Obj<Leaf>>).to::<Option<Obj<Leaf>>>().unwrap(),
        None
    );
    let some = any(Some(leaf.clone())).to::<Option<Obj<Leaf>>>().unwrap();
    assert!(Obj::ptr_eq(&some.unwrap(), &leaf));
    let e = any(5i64).to::<Obj<Leaf>>().unwrap_err();
    assert_eq!(e.message(), "expected rcobj_tests.values.Leaf, got int");
    drop((v, back));
    assert_eq!(Obj::strong_count(&leaf), 1);
}

#[test]
fn global_functions_from_rust() {
    register_global(
        "rcobj_tests.values.scale",
        &["items", "factor"],
        |items: Vec<f64>, factor: f64| -> Vec<f64> { items.iter().map(|x| x * factor).collect() },
    )
    .unwrap();
    let f = Function::get_global("rcobj_tests.values.scale").unwrap();
    let out = f.call(&[any(vec![1.0f64, 2.0]), any(3.0f64)]).unwrap();
    assert_eq!(out.to::<Vec<f64>>().unwrap(), [3.0, 6.0]);

    // A wrong argument: a TypeError that names the parameter.
    let e = f.call(&[any(vec![1.0f64]), any("x")]).unwrap_err();
    assert_eq!(e.kind(), "TypeError");
    assert_eq!(
        e.message(),
        "`rcobj_tests.values.scale()` argument `factor` (#1): expected float, got str"
    );
    // A wrong number of arguments.
    let e = f.call(&[any(1i64)]).unwrap_err();
    assert_eq!(e.kind(), "TypeError");
    assert!(
        e.message().contains("takes 2 arguments but 1 was given"),
        "{e}"
    );
}

#[test]
fn errors_and_panics_become_tvm_ffi_errors() {
    register_global("rcobj_tests.values.checked", &["n"], |n: i64| {
        if n < 0 {
            Err(Error::value_error(format!("{n} is negative")))
        } else {
            Ok(n * 2)
        }
    })
    .unwrap();
    register_global("rcobj_tests.values.panics", &[], || -> i64 {
        panic!("boom from Rust")
    })
    .unwrap();
    let f = Function::get_global("rcobj_tests.values.checked").unwrap();
    assert_eq!(f.call(&[any(21i64)]).unwrap().to::<i64>().unwrap(), 42);
    let e = f.call(&[any(-1i64)]).unwrap_err();
    assert_eq!((e.kind(), e.message()), ("ValueError", "-1 is negative"));

    let p = Function::get_global("rcobj_tests.values.panics").unwrap();
    let e = p.call(&[]).unwrap_err();
    assert_eq!(e.kind(), "RuntimeError");
    assert_eq!(
        e.message(),
        "Rust function `rcobj_tests.values.panics()` panicked: boom from Rust"
    );
    // The thread goes on: the panic never crossed C.
    assert_eq!(f.call(&[any(1i64)]).unwrap().to::<i64>().unwrap(), 2);
}

#[test]
fn calls_into_tvm_ffi_functions() {
    // libtvm_ffi's own functions, called from Rust.
    let size = Function::get_global("ffi.ArraySize").unwrap();
    let array = any(vec![1i64, 2, 3, 4]);
    assert_eq!(
        size.call(std::slice::from_ref(&array))
            .unwrap()
            .to::<i64>()
            .unwrap(),
        4
    );
    let get = Function::get_global("ffi.ArrayGetItem").unwrap();
    assert_eq!(
        get.call(&[array, any(2i64)]).unwrap().to::<i64>().unwrap(),
        3
    );
    // A tvm-ffi error comes back as an `Err`.
    let e = size.call(&[any(1i64)]).unwrap_err();
    assert_eq!(e.kind(), "TypeError", "{e}");
}

#[test]
fn functions_are_values() {
    let double = Function::from_fn("double", &["x"], |x: i64| x * 2);
    // Rust calls tvm-ffi, which calls back into Rust with a function value.
    register_global(
        "rcobj_tests.values.apply",
        &["f", "x"],
        |f: Function, x: i64| -> Result<i64, Error> { f.call(&[x.into_any()?])?.to::<i64>() },
    )
    .unwrap();
    let apply = Function::get_global("rcobj_tests.values.apply").unwrap();
    let out = apply.call(&[any(double.clone()), any(20i64)]).unwrap();
    assert_eq!(out.to::<i64>().unwrap(), 40);
    assert!(Function::from_any(any(1i64).view()).is_err());
}

#[test]
fn closures_are_dropped_with_their_function() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    struct Witness(Arc<AtomicUsize>);
    impl Drop for Witness {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let witness = Witness(drops.clone());
    let f = Function::from_fn("captures", &[], move || {
        let _ = &witness;
        1i64
    });
    let g = f.clone();
    assert_eq!(g.call(&[]).unwrap().to::<i64>().unwrap(), 1);
    drop(f);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(g);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the closure is freed exactly once"
    );
}
