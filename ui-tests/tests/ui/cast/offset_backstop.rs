// A hand-written (and wrong) `Object` impl for a child more aligned than its parent: the
// derive would refuse it, and `upcast` checks the value offsets again after
// monomorphisation, so the cast (which would read the parent at the wrong offset) does not
// compile either.
use rcobj::__private::{Up, S, Z};
use rcobj::{Behaviour, Obj, Object, TypeInfo};

#[derive(Object)]
struct Shape {
    name: String,
}

#[repr(C, align(64))]
struct Wide {
    shape: Shape,
}

static ANCESTORS: [&TypeInfo; 2] = TypeInfo::__ancestors::<Shape, 2>();
// SAFETY: none; this is the mistake the backstop catches.
static INFO: TypeInfo = unsafe {
    TypeInfo::__new::<Wide>("ui.backstop.Wide", None, "Wide", &ANCESTORS, Behaviour::EMPTY, &[])
};

// SAFETY: none (the value offsets differ).
unsafe impl Object for Wide {
    type Parent = Shape;
    type Depth = S<S<Z>>;
    const TYPE_INFO: &'static TypeInfo = &INFO;
    const DEPTH: usize = 2;
    const ANCESTORS: &'static [&'static TypeInfo] = &ANCESTORS;
    const IS_FINAL: bool = false;
    const SEND_SYNC: bool = true;
}

// SAFETY: `Out` is `Self`.
unsafe impl Up<Z> for Wide {
    type Out = Wide;
}

// SAFETY: `Out` is the parent's.
unsafe impl<N> Up<S<N>> for Wide
where
    Shape: Up<N>,
{
    type Out = <Shape as Up<N>>::Out;
}

fn main() {
    let wide = Obj::new(Wide {
        shape: Shape { name: "w".into() },
    });
    println!("{}", wide.upcast::<Shape>().name);
}
