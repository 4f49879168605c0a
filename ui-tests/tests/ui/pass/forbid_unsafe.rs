// The derive's `unsafe` is its own, never the user's: a crate that forbids unsafe code
// derives roots and children (named, tuple, through a crate path) alike.
#![forbid(unsafe_code)]

use rcobj::{AnyObj, Obj, Object};

mod runtime {
    pub use ::rcobj::*;
}

#[derive(Object)]
#[object(key = "pass.forbid.Animal")]
struct Animal {
    name: String,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "pass.forbid.Dog")]
struct Dog {
    #[parent]
    animal: Animal,
    good: bool,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "pass.forbid.Puppy", final)]
struct Puppy(#[parent] Dog, u8);

#[derive(runtime::Object)]
#[repr(C, align(16))]
#[object(crate = "crate::runtime")]
struct Wide {
    #[parent]
    inner: Aligned,
}

#[derive(Object)]
#[repr(align(16))]
struct Aligned(u128);

fn main() {
    let puppy = Obj::new(Puppy(
        Dog {
            animal: Animal { name: "Rex".into() },
            good: true,
        },
        9,
    ));
    let dog: Obj<Dog> = puppy.clone().upcast();
    let any: AnyObj = puppy.upcast();
    assert!(dog.good && dog.animal.name == "Rex");
    assert_eq!(any.downcast_ref::<Puppy>().map(|p| p.1), Some(9));
    let wide = Obj::new(Wide { inner: Aligned(7) });
    assert_eq!(wide.upcast::<Aligned>().0, 7);
}
