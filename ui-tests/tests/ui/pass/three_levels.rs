use rcobj::{AnyObj, AnyObject, Obj, Object};

#[derive(Object, Debug)]
#[object(key = "pass.Animal")]
struct Animal {
    name: String,
}

#[derive(Object, Debug)]
#[repr(C)]
#[object(key = "pass.Dog")]
struct Dog {
    #[parent]
    animal: Animal,
    good: bool,
}

#[derive(Object, Debug)]
#[repr(C)]
#[object(key = "pass.Puppy", final)]
struct Puppy {
    #[parent]
    dog: Dog,
    age_weeks: u8,
}

fn main() {
    let puppy = Obj::new(Puppy {
        dog: Dog {
            animal: Animal { name: "Rex".into() },
            good: true,
        },
        age_weeks: 9,
    });
    assert_eq!(Puppy::type_info().depth(), 3);
    let keys: Vec<&str> = Puppy::type_info().ancestors().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["rcobj.Object", "pass.Animal", "pass.Dog"]);

    let dog: Obj<Dog> = puppy.clone().upcast();
    let animal: Obj<Animal> = puppy.clone().upcast();
    let any: AnyObj = puppy.clone().upcast::<AnyObject>();
    let same: Obj<Puppy> = puppy.clone().upcast::<Puppy>();
    assert!(dog.good && animal.name == "Rex" && same.age_weeks == 9);
    assert!(any.is::<Animal>() && any.is::<Dog>() && any.is::<Puppy>());
    assert_eq!(any.downcast_ref::<Puppy>().map(|p| p.age_weeks), Some(9));
    assert!(Obj::ptr_eq(&animal.downcast::<Puppy>().unwrap(), &puppy));
}
