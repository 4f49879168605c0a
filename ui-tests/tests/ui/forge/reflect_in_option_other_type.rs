// A user's `Reflect` impl cannot borrow rcobj's erased reader of an `Option` of handles
// for its own type (which would read an `Option<Symbol>` as an `Option<AnyObj>`): the
// reader is typed by the type it reads, and only rcobj makes one.
use rcobj::reflect::{Reflect, Value};
use rcobj::{AnyObj, Object};

#[derive(Object)]
#[object(key = "forge.reflect.Node")]
struct Node;

struct Symbol(u64);

impl Reflect for Symbol {
    fn reflect(&self) -> Value<'_> {
        Value::UInt(self.0)
    }

    const __IN_OPTION: Option<rcobj::__private::InOption<Self>> =
        <AnyObj as Reflect>::__IN_OPTION;
}

fn main() {}
