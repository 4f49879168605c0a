//! [`Seq`], the sequence behind [`Value::Seq`], and [`ReflectSeq`], for containers that
//! are not slices.
//!
//! A slice is kept type-erased (its start, its length, and one reader of an item per item
//! type), so that every `Vec<Obj<T>>`, whatever `T`, reads through the one reader of
//! `AnyObj` items instead of code of its own: the derive's output stays small.

use core::fmt;
use core::marker::PhantomData;

use super::value::{Reflect, Value};

/// A sequence of values borrowed from an object: what [`Value::Seq`] holds. Made from a
/// slice of reflectable values ([`Seq::from_slice`]) or from any [`ReflectSeq`]
/// ([`Seq::from_dyn`]).
///
/// ```
/// use rcobj::reflect::{Reflect, Value};
///
/// let v = vec![1i8, -2];
/// let Value::Seq(seq) = v.reflect() else { unreachable!() };
/// assert_eq!(seq.len(), 2);
/// assert!(matches!(seq.get(1), Some(Value::Int(-2))));
/// assert!(seq.get(2).is_none());
/// let all: Vec<i64> = seq.iter().filter_map(|v| match v { Value::Int(i) => Some(i), _ => None }).collect();
/// assert_eq!(all, [1, -2]);
/// ```
#[derive(Clone, Copy)]
pub struct Seq<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// `len` items of one type from `data`, read by `item` (made for that type).
    Slice {
        data: *const (),
        len: usize,
        item: unsafe fn(*const (), usize) -> Value<'a>,
        _borrow: PhantomData<&'a ()>,
    },
    Dyn(&'a dyn ReflectSeq),
}

/// Reads item `index` of a slice of `T` starting at `data`.
///
/// # Safety
///
/// `data` is the start of a slice of `T` borrowed for `'a`, longer than `index`.
unsafe fn slice_item<'a, T: Reflect + 'a>(data: *const (), index: usize) -> Value<'a> {
    // SAFETY: per the contract, in bounds of a live slice of `T` borrowed for `'a`.
    let item: &'a T = unsafe { &*data.cast::<T>().add(index) };
    item.reflect()
}

impl<'a> Seq<'a> {
    /// The items of a slice.
    ///
    /// ```
    /// use rcobj::reflect::{Seq, Value};
    ///
    /// let names = ["a", "b"];
    /// let seq = Seq::from_slice(&names);
    /// assert!(matches!(seq.get(0), Some(Value::Str("a"))));
    /// ```
    #[inline]
    pub fn from_slice<T: Reflect + 'a>(items: &'a [T]) -> Seq<'a> {
        Seq(Repr::Slice {
            data: items.as_ptr().cast(),
            len: items.len(),
            item: slice_item::<'a, T>,
            _borrow: PhantomData,
        })
    }

    /// The items of any other sequence.
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// use rcobj::reflect::{Seq, Value};
    ///
    /// let queue = VecDeque::from([3u8, 4]);
    /// let seq = Seq::from_dyn(&queue);
    /// assert!(matches!(seq.get(1), Some(Value::UInt(4))));
    /// ```
    #[inline]
    pub fn from_dyn(seq: &'a dyn ReflectSeq) -> Seq<'a> {
        Seq(Repr::Dyn(seq))
    }

    /// The number of items.
    ///
    /// ```
    /// use rcobj::reflect::Seq;
    ///
    /// assert_eq!(Seq::from_slice(&[1u32, 2, 3]).len(), 3);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        match self.0 {
            Repr::Slice { len, .. } => len,
            Repr::Dyn(seq) => seq.len(),
        }
    }

    /// Whether there is no item.
    ///
    /// ```
    /// use rcobj::reflect::Seq;
    ///
    /// assert!(Seq::from_slice::<u32>(&[]).is_empty());
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `index`, or `None` past the end.
    ///
    /// ```
    /// use rcobj::reflect::{Seq, Value};
    ///
    /// let seq = Seq::from_slice(&[true]);
    /// assert!(matches!(seq.get(0), Some(Value::Bool(true))));
    /// assert!(seq.get(1).is_none());
    /// ```
    #[inline]
    pub fn get(&self, index: usize) -> Option<Value<'a>> {
        match self.0 {
            Repr::Slice {
                data, len, item, ..
            } => {
                if index < len {
                    // SAFETY: `from_slice` made `item` for the slice's type, and `index` is
                    // in bounds.
                    Some(unsafe { item(data, index) })
                } else {
                    None
                }
            }
            Repr::Dyn(seq) => seq.get(index),
        }
    }

    /// The items, in order.
    ///
    /// ```
    /// use rcobj::reflect::{Seq, Value};
    ///
    /// let names: Vec<String> = Seq::from_slice(&["a", "b"]).iter().map(|v| format!("{v:?}")).collect();
    /// assert_eq!(names, [r#"Str("a")"#, r#"Str("b")"#]);
    /// ```
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Value<'a>> + 'a {
        let seq = *self;
        (0..seq.len()).map_while(move |i| seq.get(i))
    }
}

impl fmt::Debug for Seq<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A sequence of reflectable values that is not a slice (a `VecDeque`, a tuple, your own
/// container): [`Seq::from_dyn`] makes it a [`Value::Seq`].
///
/// ```
/// use rcobj::reflect::{Reflect, ReflectSeq, Seq, Value};
///
/// /// Every other item of a vector.
/// struct Evens(Vec<u32>);
///
/// impl ReflectSeq for Evens {
///     fn len(&self) -> usize {
///         self.0.len().div_ceil(2)
///     }
///     fn get(&self, index: usize) -> Option<Value<'_>> {
///         self.0.get(index * 2).map(Reflect::reflect)
///     }
/// }
///
/// impl Reflect for Evens {
///     fn reflect(&self) -> Value<'_> {
///         Value::Seq(Seq::from_dyn(self))
///     }
/// }
///
/// let evens = Evens(vec![1, 2, 3]);
/// let Value::Seq(seq) = evens.reflect() else { unreachable!() };
/// assert_eq!(seq.len(), 2);
/// assert!(matches!(seq.get(1), Some(Value::UInt(3))));
/// ```
pub trait ReflectSeq {
    /// The number of items.
    ///
    /// ```
    /// use rcobj::reflect::ReflectSeq;
    ///
    /// assert_eq!(ReflectSeq::len(&(1u8, "two")), 2);
    /// ```
    fn len(&self) -> usize;

    /// The item at `index`, or `None` past the end.
    ///
    /// ```
    /// use rcobj::reflect::{ReflectSeq, Value};
    ///
    /// let pair = (1u8, "two");
    /// assert!(matches!(ReflectSeq::get(&pair, 1), Some(Value::Str("two"))));
    /// assert!(ReflectSeq::get(&pair, 2).is_none());
    /// ```
    fn get(&self, index: usize) -> Option<Value<'_>>;

    /// Whether there is no item.
    ///
    /// ```
    /// use std::collections::VecDeque;
    /// use rcobj::reflect::ReflectSeq;
    ///
    /// assert!(ReflectSeq::is_empty(&VecDeque::<u32>::new()));
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
