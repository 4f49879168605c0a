//! [`Value`], what a reflected field holds, and [`Reflect`], how a Rust value becomes one.

use ::alloc::borrow::Cow;
use ::alloc::boxed::Box;
use ::alloc::collections::VecDeque;
use ::alloc::rc::Rc;
use ::alloc::string::String;
use ::alloc::sync::Arc;
use ::alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use core::mem;

use super::field::Read;
use super::seq::{ReflectSeq, Seq};
use crate::obj::{AnyObj, Obj};
use crate::type_info::{AnyObject, Object};
use crate::weak::WeakObj;

/// The value of a reflected field, borrowed from the object: what the generic services
/// ([`repr`](super::repr), [`structural_eq`](super::structural_eq), …) see.
///
/// Integers are widened to `i64` ([`Int`](Value::Int)) or `u64` ([`UInt`](Value::UInt)),
/// floats to `f64`. A field whose type does not implement [`Reflect`] is
/// [`Opaque`](Value::Opaque).
///
/// ```
/// use rcobj::reflect::Value;
/// use rcobj::{Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.Value.Var")]
/// struct Var { name: String, uses: u32, hint: Option<f64> }
///
/// let v = Obj::new(Var { name: "x".into(), uses: 2, hint: None });
/// let fields = Var::type_info().fields();
/// assert!(matches!(fields[0].get(&v), Some(Value::Str("x"))));
/// assert!(matches!(fields[1].get(&v), Some(Value::UInt(2))));
/// assert!(matches!(fields[2].get(&v), Some(Value::None)));
/// ```
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Value<'a> {
    /// Nothing: `Option::None`, an absent object.
    None,
    /// A `bool`.
    Bool(bool),
    /// A signed integer (`i8` to `i64`, `isize`).
    Int(i64),
    /// An unsigned integer (`u8` to `u64`, `usize`).
    UInt(u64),
    /// A float (`f32`, `f64`).
    Float(f64),
    /// A `char`.
    Char(char),
    /// A string (`String`, `str`, `Box<str>`, `Arc<str>`…).
    Str(&'a str),
    /// Bytes (`Vec<u8>`, `[u8; N]`, `Box<[u8]>`…).
    Bytes(&'a [u8]),
    /// An object held by a strong reference (`Obj<T>`, `AnyObj`).
    Object(&'a AnyObj),
    /// An object held by a weak reference (`WeakObj<T>`); it may be gone.
    Weak(&'a WeakObj<AnyObject>),
    /// A sequence (`Vec<T>`, arrays, slices, tuples…).
    Seq(Seq<'a>),
    /// A value reflection cannot see into, with its type's name.
    Opaque(&'a str),
}

impl<'a> Value<'a> {
    /// The value of `value`: `value.reflect()`, for a generic context.
    ///
    /// ```
    /// use rcobj::reflect::Value;
    ///
    /// assert!(matches!(Value::of(&7u8), Value::UInt(7)));
    /// assert!(matches!(Value::of("s"), Value::Str("s")));
    /// assert!(matches!(Value::of(&Some(-1i32)), Value::Int(-1)));
    /// assert!(matches!(Value::of(&vec![1u8, 2]), Value::Bytes([1, 2])));
    /// ```
    #[inline]
    pub fn of<'v, T: Reflect + ?Sized>(value: &'v T) -> Value<'v> {
        value.reflect()
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => f.debug_tuple("Bool").field(&b).finish(),
            Value::Int(i) => f.debug_tuple("Int").field(&i).finish(),
            Value::UInt(u) => f.debug_tuple("UInt").field(&u).finish(),
            Value::Float(x) => f.debug_tuple("Float").field(&x).finish(),
            Value::Char(c) => f.debug_tuple("Char").field(&c).finish(),
            Value::Str(s) => f.debug_tuple("Str").field(&s).finish(),
            Value::Bytes(b) => f.debug_tuple("Bytes").field(&b).finish(),
            Value::Object(o) => f
                .debug_tuple("Object")
                .field(&format_args!("{}@{:p}", Obj::type_info(o).key(), o))
                .finish(),
            Value::Weak(w) => match w.upgrade() {
                Some(o) => f
                    .debug_tuple("Weak")
                    .field(&format_args!("{}@{:p}", Obj::type_info(&o).key(), o))
                    .finish(),
                None => f.write_str("Weak(None)"),
            },
            Value::Seq(s) => fmt::Debug::fmt(&s, f),
            Value::Opaque(name) => f.debug_tuple("Opaque").field(&name).finish(),
        }
    }
}

/// A Rust value that reflection can see into: turns `&self` into a [`Value`].
///
/// Implemented for `bool`, the integers up to 64 bits, `f32`/`f64`, `char`, strings
/// (`String`, `str`, `Box<str>`, `Rc<str>`, `Arc<str>`, `Cow<str>`), `Option<T>` (and
/// `OnceCell<T>`/`OnceLock<T>`, which read as an `Option` of their value),
/// sequences of reflectable values (`Vec<T>`, `VecDeque<T>`, arrays, `&[T]`, `Box<[T]>`,
/// `Rc<[T]>`, `Arc<[T]>`, tuples of up to four), `Box<T>`/`Rc<T>`/`Arc<T>`, and the
/// handles [`Obj<T>`] (so [`AnyObj`]) and [`WeakObj<T>`] of `Send + Sync` objects.
/// Sequences of `u8` are [`Value::Bytes`].
///
/// The derive never requires it: a field whose type does not implement it is listed as
/// opaque. Implement it for your own field types to make them visible:
///
/// ```
/// use std::collections::HashMap;
/// use rcobj::reflect::{repr, Reflect, Value};
/// use rcobj::{Obj, Object};
///
/// /// An interned name.
/// struct Symbol(&'static str);
///
/// impl Reflect for Symbol {
///     fn reflect(&self) -> Value<'_> {
///         Value::Str(self.0)
///     }
/// }
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.Reflect.Var")]
/// struct Var { name: Symbol, cache: HashMap<u32, u32> }
///
/// let v = Obj::new(Var { name: Symbol("x"), cache: Default::default() });
/// assert_eq!(repr(&v), r#"doc.reflect.Reflect.Var(name="x", cache=<HashMap<u32, u32>>)"#);
/// ```
pub trait Reflect {
    /// The value, borrowed from `self`.
    ///
    /// ```
    /// use rcobj::reflect::{Reflect, Value};
    ///
    /// assert!(matches!(true.reflect(), Value::Bool(true)));
    /// assert!(matches!(String::from("s").reflect(), Value::Str("s")));
    /// assert!(matches!(None::<u8>.reflect(), Value::None));
    /// ```
    fn reflect(&self) -> Value<'_>;

    /// The value of a slice of `Self`s: by default [`Value::Seq`] of the items; `u8` makes
    /// it [`Value::Bytes`], and the handles read as sequences of `AnyObj`s (so every
    /// `Vec<Obj<T>>` shares one reader).
    ///
    /// ```
    /// use rcobj::reflect::{Reflect, Value};
    ///
    /// assert!(matches!(u16::reflect_slice(&[1, 2]), Value::Seq(s) if s.len() == 2));
    /// assert!(matches!(u8::reflect_slice(&[1, 2]), Value::Bytes([1, 2])));
    /// ```
    fn reflect_slice(items: &[Self]) -> Value<'_>
    where
        Self: Sized,
    {
        Value::Seq(Seq::from_slice(items))
    }

    /// Not public API: the function a field table keeps to read a field of this type.
    /// [`reflect`](Reflect::reflect) itself (leave the default); rcobj's handles name the
    /// one reader of `AnyObj` instead, so that a field of a handle type adds no code per
    /// object type.
    #[doc(hidden)]
    const __READER: ValueFn<Self> = <Self as Reflect>::reflect;

    /// Not public API: the reader of an `Option<Self>`, if not `Option`'s own. Only rcobj
    /// makes an [`InOption`] (for its handles, whose `Option` reads as an
    /// `Option<AnyObj>`); leave the default.
    #[doc(hidden)]
    const __IN_OPTION: Option<InOption<Self>> = None;
}

/// How a field of type `T` becomes a [`Value`]: what a field table keeps.
pub type ValueFn<T> = for<'a> fn(&'a T) -> Value<'a>;

/// Not public API: a reader of an `Option<T>`, type-erased (see [`Reflect::__IN_OPTION`]).
/// Only rcobj makes one.
#[doc(hidden)]
pub struct InOption<T: ?Sized> {
    /// Called only with a pointer to a live `Option<T>`; returns its value, borrowed from it.
    read: Read,
    _of: PhantomData<fn(&T)>,
}

impl<T: ?Sized> InOption<T> {
    /// `read` erased.
    ///
    /// # Safety
    ///
    /// Calling `read` with a `&Option<T>` (as its `&U`) is sound and returns the value of
    /// that `Option<T>`, borrowed from it: `Option<T>` and `U` have one layout and
    /// validity, and `read` reads it as `Option<T>`'s `reflect` would.
    const unsafe fn new<U>(read: ValueFn<U>) -> InOption<T> {
        InOption {
            read: erase(read),
            _of: PhantomData,
        }
    }
}

/// `read` type-erased: what a field table keeps. Safe to make; calling the result needs a
/// pointer to a live `T`, and is then a call of `read` with a valid `&T`.
pub(crate) const fn erase<T>(read: ValueFn<T>) -> Read {
    // SAFETY: function pointers of one size. A thin `&T` and a `*const ()` are passed
    // alike (the function pointer ABI compatibility rules of the Rust reference), so
    // calling the result with a pointer to a live `T` is calling `read` with a `&T`; the
    // `'static` of `Read` is a stand-in that its one caller shortens at once.
    unsafe { mem::transmute::<ValueFn<T>, Read>(read) }
}

macro_rules! reflect_as {
    ($variant:ident($wide:ty): $($t:ty),*) => {$(
        impl Reflect for $t {
            #[inline]
            fn reflect(&self) -> Value<'_> {
                Value::$variant(<$wide>::from(*self))
            }
        }
    )*};
}

reflect_as!(Int(i64): i8, i16, i32, i64);
reflect_as!(UInt(u64): u16, u32, u64);
reflect_as!(Float(f64): f32, f64);
reflect_as!(Bool(bool): bool);
reflect_as!(Char(char): char);

impl Reflect for u8 {
    #[inline]
    fn reflect(&self) -> Value<'_> {
        Value::UInt(u64::from(*self))
    }

    #[inline]
    fn reflect_slice(items: &[u8]) -> Value<'_> {
        Value::Bytes(items)
    }
}

impl Reflect for isize {
    #[inline]
    fn reflect(&self) -> Value<'_> {
        // `isize` is at most 64 bits on every target Rust supports.
        Value::Int(*self as i64)
    }
}

impl Reflect for usize {
    #[inline]
    fn reflect(&self) -> Value<'_> {
        // As above.
        Value::UInt(*self as u64)
    }
}

macro_rules! reflect_str {
    ($($t:ty),*) => {$(
        impl Reflect for $t {
            #[inline]
            fn reflect(&self) -> Value<'_> {
                Value::Str(self)
            }
        }
    )*};
}

reflect_str!(
    str,
    String,
    Box<str>,
    Rc<str>,
    Arc<str>,
    Cow<'static, str>,
    &'static str
);

impl<T: Reflect> Reflect for Option<T> {
    #[inline]
    fn reflect(&self) -> Value<'_> {
        match self {
            Some(v) => v.reflect(),
            None => Value::None,
        }
    }

    const __READER: ValueFn<Self> = match T::__IN_OPTION {
        // SAFETY: the `InOption<T>` reads an `Option<T>` given a pointer to one, as its
        // `reflect`; both are thin pointers, passed alike.
        Some(r) => unsafe { mem::transmute::<Read, ValueFn<Option<T>>>(r.read) },
        None => <Self as Reflect>::reflect,
    };
}

impl<T: Reflect> Reflect for core::cell::OnceCell<T> {
    #[inline]
    fn reflect(&self) -> Value<'_> {
        self.get().map_or(Value::None, Reflect::reflect)
    }
}

#[cfg(feature = "std")]
impl<T: Reflect> Reflect for std::sync::OnceLock<T> {
    #[inline]
    fn reflect(&self) -> Value<'_> {
        self.get().map_or(Value::None, Reflect::reflect)
    }
}

macro_rules! reflect_pointer {
    ($($p:ident),*) => {$(
        impl<T: Reflect> Reflect for $p<T> {
            #[inline]
            fn reflect(&self) -> Value<'_> {
                (**self).reflect()
            }
        }
    )*};
}

reflect_pointer!(Box, Rc, Arc);

/// Sequences stored contiguously: through [`Reflect::reflect_slice`].
macro_rules! reflect_slice {
    ($([$($gen:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($gen)*> Reflect for $t {
            #[inline]
            fn reflect(&self) -> Value<'_> {
                T::reflect_slice(self)
            }
        }
    )*};
}

reflect_slice!(
    [T: Reflect] Vec<T>,
    [T: Reflect, const N: usize] [T; N],
    [T: Reflect] Box<[T]>,
    [T: Reflect] Rc<[T]>,
    [T: Reflect] Arc<[T]>,
    [T: Reflect] &'static [T],
);

impl<T: Reflect> ReflectSeq for VecDeque<T> {
    #[inline]
    fn len(&self) -> usize {
        VecDeque::len(self)
    }

    #[inline]
    fn get(&self, index: usize) -> Option<Value<'_>> {
        VecDeque::get(self, index).map(Reflect::reflect)
    }
}

impl<T: Reflect> Reflect for VecDeque<T> {
    #[inline]
    fn reflect(&self) -> Value<'_> {
        match self.as_slices() {
            (all, []) => T::reflect_slice(all),
            _ => Value::Seq(Seq::from_dyn(self)),
        }
    }
}

macro_rules! reflect_tuple {
    ($len:literal: $($t:ident $i:tt),*) => {
        impl<$($t: Reflect),*> ReflectSeq for ($($t,)*) {
            #[inline]
            fn len(&self) -> usize {
                $len
            }

            #[inline]
            fn get(&self, index: usize) -> Option<Value<'_>> {
                match index {
                    $($i => Some(self.$i.reflect()),)*
                    _ => None,
                }
            }
        }

        impl<$($t: Reflect),*> Reflect for ($($t,)*) {
            #[inline]
            fn reflect(&self) -> Value<'_> {
                Value::Seq(Seq::from_dyn(self))
            }
        }
    };
}

reflect_tuple!(1: A 0);
reflect_tuple!(2: A 0, B 1);
reflect_tuple!(3: A 0, B 1, C 2);
reflect_tuple!(4: A 0, B 1, C 2, D 3);

// The handles' impls are instantiated for every object type a field holds, so they are
// written with casts rather than calls (`any_ref` and friends state why the casts are
// sound), and a slice of handles reads through the one reader of `AnyObj`s.

impl<T: Object + Send + Sync> Reflect for Obj<T> {
    // SAFETY: as in `reflect` below: an `Obj<T>` is an `AnyObj` of a `Send + Sync` object,
    // one layout and validity; a thin `&AnyObj` and `&Obj<T>` are passed alike.
    const __READER: ValueFn<Self> =
        unsafe { mem::transmute::<ValueFn<AnyObj>, ValueFn<Obj<T>>>(<AnyObj as Reflect>::reflect) };

    // SAFETY: `Obj<T>` and `AnyObj` are `repr(transparent)` over a non-null pointer, so
    // `Option<Obj<T>>` and `Option<AnyObj>` have one layout (`None` is null), and reading
    // the `Some` as an `AnyObj` is what `reflect` does.
    const __IN_OPTION: Option<InOption<Self>> =
        Some(unsafe { InOption::new::<Option<AnyObj>>(<Option<AnyObj> as Reflect>::reflect) });

    #[inline]
    fn reflect(&self) -> Value<'_> {
        // SAFETY: `Obj` is `repr(transparent)` over its block pointer, whatever `T`; every
        // object is an `AnyObject`; `T: Send + Sync` (see `reflect::any::any_ref`).
        Value::Object(unsafe { &*(self as *const Obj<T> as *const AnyObj) })
    }

    #[inline]
    fn reflect_slice(items: &[Obj<T>]) -> Value<'_> {
        // SAFETY: as above, item for item: one layout, so one stride and length.
        Value::Seq(Seq::from_slice(unsafe {
            &*(items as *const [Obj<T>] as *const [AnyObj])
        }))
    }
}

impl<T: Object + Send + Sync> Reflect for WeakObj<T> {
    // SAFETY: as in `reflect` below: one layout and validity for every `T`; thin
    // references, passed alike.
    const __READER: ValueFn<Self> = unsafe {
        mem::transmute::<ValueFn<WeakObj<AnyObject>>, ValueFn<WeakObj<T>>>(
            <WeakObj<AnyObject> as Reflect>::reflect,
        )
    };

    // SAFETY: as for `Obj`: `repr(transparent)` over a non-null pointer, so one layout of
    // the `Option`s, and reading the `Some` as a `WeakObj<AnyObject>` is what `reflect` does.
    const __IN_OPTION: Option<InOption<Self>> = Some(unsafe {
        InOption::new::<Option<WeakObj<AnyObject>>>(
            <Option<WeakObj<AnyObject>> as Reflect>::reflect,
        )
    });

    #[inline]
    fn reflect(&self) -> Value<'_> {
        // SAFETY: `WeakObj` is `repr(transparent)` over its block pointer, whatever `T`;
        // upgrading the erased handle yields an `AnyObj` of a `Send + Sync` object.
        Value::Weak(unsafe { &*(self as *const WeakObj<T> as *const WeakObj<AnyObject>) })
    }

    #[inline]
    fn reflect_slice(items: &[WeakObj<T>]) -> Value<'_> {
        // SAFETY: as above, item for item.
        Value::Seq(Seq::from_slice(unsafe {
            &*(items as *const [WeakObj<T>] as *const [WeakObj<AnyObject>])
        }))
    }
}
