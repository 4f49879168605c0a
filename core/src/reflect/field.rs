//! [`FieldInfo`], the description of one reflected field, the field lists of a
//! [`TypeInfo`], and [`Instance`], an object seen with its real type.

use core::fmt;
use core::iter::FusedIterator;
use core::ptr;

use super::any::AsAnyObj;
use super::probe::ValueFn;
use super::value::Value;
use crate::cell::{value_offset, ObjCell};
use crate::obj::{AnyObj, Obj};
use crate::tvm_ffi_probe::FfiField;
use crate::type_info::{AnyObject, Object, TypeInfo};

/// The reader of a derived field's type, type-erased: `<F as Reflect>::reflect` for the
/// field's type `F`, taking a pointer to an `F` (made by `FieldInfo::__derived`). The
/// `'static` is a stand-in: the value borrows from the object, and the one caller
/// (`FieldInfo::read`) shortens it to the object's borrow at once.
pub(crate) type Read = unsafe fn(*const ()) -> Value<'static>;

/// How a field's value is read.
#[derive(Clone, Copy)]
pub(crate) enum Access {
    /// A derived type's reflectable field: the reader of its type, called only with the
    /// address of the field (`offset` bytes into an instance of the declaring type).
    Derived(Read),
    /// A field whose type does not implement [`Reflect`](super::Reflect).
    Opaque,
    /// A runtime type's declared field, read from the object's bytes.
    Raw(super::runtime::FieldKind),
}

/// One reflected field of an object type: name, place, layout, type and doc comment.
///
/// `#[derive(Object)]` lists every own field of a struct (the `#[parent]` field is not one:
/// its fields are the parent's), in declaration order, except those marked
/// `#[object(skip)]`; `#[object(rename = "...")]` changes the name. Read them with
/// [`TypeInfo::fields`] and [`TypeInfo::all_fields`].
///
/// ```
/// use rcobj::{value_offset, Obj, Object};
/// use std::mem::offset_of;
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.FieldInfo.Var")]
/// struct Var {
///     /// The variable's name.
///     name: String,
///     #[object(rename = "type")]
///     ty: u8,
///     #[object(skip)]
///     cache: Vec<u32>,
/// }
///
/// let [name, ty] = Var::type_info().fields() else { unreachable!() };
/// assert_eq!((name.name(), ty.name()), ("name", "type"));
/// assert_eq!(name.type_name(), "String");
/// assert_eq!(name.doc(), "The variable's name.");
/// // Offsets count from the start of the object header (tvm-ffi's convention).
/// assert_eq!(ty.offset(), value_offset::<Var>() + offset_of!(Var, ty));
/// assert_eq!((ty.size(), ty.align()), (1, 1));
/// ```
///
/// A runtime type's fields live as long as the type (here, its handle):
///
/// ```compile_fail
/// use rcobj::reflect::FieldKind;
/// use rcobj::RuntimeTypeBuilder;
///
/// let name: &str = {
///     let ty = RuntimeTypeBuilder::new("doc.reflect.FieldInfo.Gone")
///         .layout(4, 4)
///         .field("x", 24, FieldKind::U32)
///         .register()
///         .unwrap();
///     ty.info().fields()[0].name() // does not outlive `ty`
/// };
/// ```
// Neither `Clone` nor `Copy`: a runtime type's fields borrow their names from the type,
// so a `FieldInfo` must not outlive the table it lives in.
pub struct FieldInfo {
    name: &'static str,
    offset: usize,
    size: usize,
    align: usize,
    type_name: &'static str,
    doc: &'static str,
    /// The derived type that declares the field (`None` for a runtime type's field, which
    /// lives in that type's own table): reading it needs an instance of this type.
    owner: Option<&'static TypeInfo>,
    pub(crate) access: Access,
    /// How tvm-ffi reads and writes the field, if it can (derived types only).
    #[cfg_attr(not(feature = "tvm-ffi"), allow(dead_code))]
    pub(crate) ffi: Option<crate::tvm_ffi_probe::FieldAccess>,
}

impl FieldInfo {
    /// An entry of the field table the derive writes for `T`: the field at `offset` in
    /// `T`'s value, of type `F`, read with `value` (if `F` is reflectable) and by tvm-ffi
    /// with `ffi`: the probes' answers for `F` (`reflect::probe`, `tvm_ffi::probe`).
    ///
    /// Kept lean: the compiler evaluates it once per field of every derived type.
    ///
    /// # Safety
    ///
    /// `offset` is `offset_of!(T, f)` for a field `f` of `T` whose type is `F`.
    #[doc(hidden)]
    pub const unsafe fn __derived<T: Object, F>(
        offset: usize,
        name: &'static str,
        type_name: &'static str,
        doc: &'static str,
        value: Option<ValueFn<F>>,
        ffi: Option<FfiField<F>>,
    ) -> FieldInfo {
        FieldInfo {
            name,
            offset: value_offset::<T>() + offset,
            size: core::mem::size_of::<F>(),
            align: core::mem::align_of::<F>(),
            type_name,
            doc,
            owner: Some(T::TYPE_INFO),
            access: match value {
                // `FieldInfo::read` calls it only with the field's address in an instance
                // of `T`: a live `F` (the caller's contract).
                Some(read) => Access::Derived(super::value::erase(read)),
                None => Access::Opaque,
            },
            ffi: match ffi {
                Some(f) => Some(f.access),
                None => None,
            },
        }
    }

    /// A runtime type's declared field.
    pub(crate) fn runtime(
        name: &'static str,
        offset: usize,
        kind: super::runtime::FieldKind,
    ) -> FieldInfo {
        FieldInfo {
            name,
            offset,
            size: kind.size(),
            align: kind.align(),
            type_name: kind.type_name(),
            doc: "",
            owner: None,
            access: Access::Raw(kind),
            ffi: None,
        }
    }

    /// The name: the Rust field's (`"0"`, `"1"`… in a tuple struct), or the one given with
    /// `#[object(rename = "...")]`.
    ///
    /// ```
    /// use rcobj::Object;
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.FieldInfo.name")]
    /// struct Pair(u8, #[object(rename = "second")] u8);
    ///
    /// let names: Vec<&str> = Pair::type_info().fields().iter().map(|f| f.name()).collect();
    /// assert_eq!(names, ["0", "second"]);
    /// ```
    #[inline]
    pub fn name(&self) -> &str {
        self.name
    }

    /// Where the field is: bytes from the start of the object header (so the first field
    /// of a root type with an 8-aligned value is at 24), as tvm-ffi's `TVMFFIFieldInfo`
    /// counts.
    ///
    /// Reflection and tvm-ffi read a field at this offset, in an instance of the type that
    /// declares it.
    ///
    /// ```
    /// use rcobj::{value_offset, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.FieldInfo.offset.Base")]
    /// struct Base { id: u64 }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.reflect.FieldInfo.offset.Child")]
    /// struct Child { #[parent] base: Base, extra: u32 }
    ///
    /// assert_eq!(Base::type_info().fields()[0].offset(), 24);
    /// assert_eq!(Child::type_info().fields()[0].offset(), value_offset::<Child>() + 8);
    /// ```
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// `size_of` the field's type.
    ///
    /// ```
    /// use rcobj::Object;
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.FieldInfo.size")]
    /// struct Item { a: [u16; 3] }
    ///
    /// assert_eq!(Item::type_info().fields()[0].size(), 6);
    /// ```
    #[inline]
    pub fn size(&self) -> usize {
        self.size
    }

    /// `align_of` the field's type.
    ///
    /// ```
    /// use rcobj::Object;
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.FieldInfo.align")]
    /// struct Item { a: [u16; 3] }
    ///
    /// assert_eq!(Item::type_info().fields()[0].align(), 2);
    /// ```
    #[inline]
    pub fn align(&self) -> usize {
        self.align
    }

    /// The field's type as written in the struct (`"Vec<Obj<Expr>>"`), or the kind of a
    /// runtime type's field (`"i32"`).
    ///
    /// ```
    /// use rcobj::{Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.FieldInfo.type_name")]
    /// struct Node { children: Vec<Obj<Node>>, tag: &'static str }
    ///
    /// let fields = Node::type_info().fields();
    /// assert_eq!(fields[0].type_name(), "Vec<Obj<Node>>");
    /// assert_eq!(fields[1].type_name(), "&'static str");
    /// ```
    #[inline]
    pub fn type_name(&self) -> &str {
        self.type_name
    }

    /// The field's doc comment, one line per `///` line, with the space after `///`
    /// removed; `""` if it has none.
    ///
    /// ```
    /// use rcobj::Object;
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.FieldInfo.doc")]
    /// struct Item {
    ///     /// First line.
    ///     /// Second line.
    ///     documented: u8,
    ///     bare: u8,
    /// }
    ///
    /// let fields = Item::type_info().fields();
    /// assert_eq!(fields[0].doc(), "First line.\nSecond line.");
    /// assert_eq!(fields[1].doc(), "");
    /// ```
    #[inline]
    pub fn doc(&self) -> &str {
        self.doc
    }

    /// Whether reflection cannot see into the field: its type does not implement
    /// [`Reflect`](super::Reflect). An opaque field reads as [`Value::Opaque`].
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use rcobj::Object;
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.FieldInfo.is_opaque")]
    /// struct Item { seen: u32, cache: HashMap<u32, u32> }
    ///
    /// let fields = Item::type_info().fields();
    /// assert!(!fields[0].is_opaque());
    /// assert!(fields[1].is_opaque());
    /// ```
    #[inline]
    pub fn is_opaque(&self) -> bool {
        matches!(self.access, Access::Opaque)
    }

    /// The field's value in `obj`, or `None` if `obj` is not an instance of a type that
    /// has this field (the type that declares it, or a descendant).
    ///
    /// ```
    /// use rcobj::reflect::Value;
    /// use rcobj::{AnyObj, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.FieldInfo.get.Base")]
    /// struct Base { id: u32 }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.reflect.FieldInfo.get.Child")]
    /// struct Child { #[parent] base: Base, name: String }
    ///
    /// let child: AnyObj = Obj::new(Child { base: Base { id: 7 }, name: "c".into() }).upcast();
    /// let id = &Base::type_info().fields()[0];
    /// assert!(matches!(id.get(&child), Some(Value::UInt(7))));
    ///
    /// let base = Obj::new(Base { id: 1 });
    /// assert!(Child::type_info().fields()[0].get(&base).is_none()); // a `Base` has no `name`
    /// ```
    pub fn get<'a, A: AsAnyObj + ?Sized>(&self, obj: &'a A) -> Option<Value<'a>> {
        let inst = Instance::new(obj.as_any_obj());
        if !inst.info.all_fields().any(|f| ptr::eq(f, self)) {
            return None;
        }
        // SAFETY: `self` is one of the real type's fields (checked just above).
        Some(unsafe { self.read(inst) })
    }

    /// The field's value in `inst`.
    ///
    /// # Safety
    ///
    /// `self` is one of `inst.type_info().all_fields()` (a runtime type's field is read from
    /// the object's bytes at its offset).
    #[inline]
    pub(crate) unsafe fn read<'a>(&self, inst: Instance<'a>) -> Value<'a> {
        match self.access {
            Access::Derived(read) => {
                if self.declared_in(inst) {
                    // SAFETY: the object is an instance of the type that declares the field,
                    // so `offset` bytes into its block is the field, a live value of the
                    // field's type (the value offset of a type is the same along the
                    // hierarchy), and `read` is the reader of that type, taking the pointer
                    // as its `&self` (see `FieldInfo::__derived`). The value borrows from
                    // the object, for `'a`.
                    let value: Value<'a> = unsafe { read(inst.value_at(self.offset)) };
                    value
                } else {
                    Value::Opaque(self.type_name)
                }
            }
            Access::Opaque => Value::Opaque(self.type_name),
            // SAFETY: guaranteed by the caller: the object has this field at this offset.
            Access::Raw(kind) => unsafe { kind.read(inst.object(), self.offset) },
        }
    }
}

impl FieldInfo {
    /// Whether `inst` is an instance of the type that declares this field (always, for a
    /// runtime type's field: its caller found it in the real type's table).
    #[inline]
    pub(crate) fn declared_in(&self, inst: Instance<'_>) -> bool {
        self.owner.is_none_or(|owner| inst.is_instance_of(owner))
    }

    /// Whether this is one of `info`'s own fields, declared by `info` itself (what tvm-ffi
    /// is told about `info`).
    #[cfg_attr(not(feature = "tvm-ffi"), allow(dead_code))]
    pub(crate) fn declared_by(&self, info: &TypeInfo) -> bool {
        self.owner.is_none_or(|owner| ptr::eq(owner, info))
    }
}

impl fmt::Debug for FieldInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldInfo")
            .field("name", &self.name)
            .field("offset", &self.offset)
            .field("size", &self.size)
            .field("align", &self.align)
            .field("type_name", &self.type_name)
            .field("opaque", &self.is_opaque())
            .finish()
    }
}

impl TypeInfo {
    /// The type's own reflected fields, in declaration order: not the `#[parent]` field
    /// (whose fields are the parent's), not the `#[object(skip)]` ones.
    ///
    /// ```
    /// use rcobj::{AnyObject, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.fields.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.reflect.fields.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// let own: Vec<&str> = Circle::type_info().fields().iter().map(|f| f.name()).collect();
    /// assert_eq!(own, ["radius"]);
    /// assert!(AnyObject::type_info().fields().is_empty());
    /// ```
    #[inline]
    pub fn fields(&self) -> &[FieldInfo] {
        self.fields
    }

    /// Every reflected field of an instance: the ancestors' first (root first), then the
    /// type's own. Allocates nothing.
    ///
    /// ```
    /// use rcobj::Object;
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.all_fields.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.reflect.all_fields.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// let all: Vec<&str> = Circle::type_info().all_fields().map(|f| f.name()).collect();
    /// assert_eq!(all, ["name", "radius"]);
    /// ```
    #[inline]
    pub fn all_fields(&self) -> AllFields<'_> {
        AllFields {
            ancestors: self.ancestors().iter(),
            last: Some(self),
            current: [].iter(),
        }
    }

    /// The field called `name` of an instance of this type: an own field, or else the
    /// nearest ancestor's (a field of a child shadows a parent's field of the same name).
    ///
    /// ```
    /// use rcobj::Object;
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.field.Shape")]
    /// struct Shape { name: String }
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.reflect.field.Circle")]
    /// struct Circle { #[parent] shape: Shape, radius: f64 }
    ///
    /// let info = Circle::type_info();
    /// assert_eq!(info.field("name").unwrap().offset(), 24);
    /// assert!(info.field("shape").is_none()); // the parent field is not a field
    /// ```
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        core::iter::once(self)
            .chain(self.ancestors().iter().rev().copied())
            .find_map(|t| t.fields().iter().rev().find(|f| f.name() == name))
    }
}

impl TypeInfo {
    /// Calls `f` with each field list of [`all_fields`](TypeInfo::all_fields), ancestors'
    /// first, while it returns `true`; returns whether it always did. The services loop over
    /// these slices, which compiles tighter than the flat iterator.
    #[inline(always)]
    pub(crate) fn each_field_list(&self, mut f: impl FnMut(&[FieldInfo]) -> bool) -> bool {
        // The root's list is empty: skip it.
        for t in self.ancestors().get(1..).unwrap_or(&[]) {
            if !t.fields.is_empty() && !f(t.fields) {
                return false;
            }
        }
        f(self.fields)
    }

    /// The field lists of [`all_fields`](TypeInfo::all_fields), ancestors' first, without
    /// the root's (empty) one.
    #[inline(always)]
    pub(crate) fn field_lists(&self) -> impl Iterator<Item = &[FieldInfo]> {
        self.ancestors()
            .get(1..)
            .unwrap_or(&[])
            .iter()
            .map(|t| t.fields)
            .chain(core::iter::once(self.fields))
    }
}

/// The iterator of [`TypeInfo::all_fields`]: the ancestors' fields, root first, then the
/// type's own.
///
/// ```
/// use rcobj::Object;
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.AllFields")]
/// struct Item { a: u8, b: u8 }
///
/// let mut fields = Item::type_info().all_fields();
/// assert_eq!(fields.next().map(|f| f.name()), Some("a"));
/// assert_eq!(fields.clone().count(), 1);
/// ```
#[derive(Clone)]
pub struct AllFields<'a> {
    ancestors: core::slice::Iter<'a, &'a TypeInfo>,
    last: Option<&'a TypeInfo>,
    current: core::slice::Iter<'a, FieldInfo>,
}

impl<'a> Iterator for AllFields<'a> {
    type Item = &'a FieldInfo;

    #[inline]
    fn next(&mut self) -> Option<&'a FieldInfo> {
        loop {
            if let Some(f) = self.current.next() {
                return Some(f);
            }
            let next = match self.ancestors.next() {
                Some(t) => *t,
                None => self.last.take()?,
            };
            self.current = next.fields().iter();
        }
    }
}

impl FusedIterator for AllFields<'_> {}

impl fmt::Debug for AllFields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// An object seen with its real type.
///
/// [`value`](Instance::value) hands out the value as any type the object is an instance
/// of, checked against the real type (no unsafe code needed to read a field).
///
/// ```
/// use rcobj::reflect::Instance;
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.Instance.Base")]
/// struct Base { id: u32 }
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.reflect.Instance.Child")]
/// struct Child { #[parent] base: Base }
///
/// let any: AnyObj = Obj::new(Child { base: Base { id: 3 } }).upcast();
/// let inst = Instance::new(&any);
/// assert_eq!(inst.type_info().key(), "doc.reflect.Instance.Child");
/// assert_eq!(inst.value::<Base>().map(|b| b.id), Some(3));
/// assert!(inst.value::<Child>().is_some());
/// assert!(Obj::ptr_eq(inst.object(), &any));
/// ```
#[derive(Clone, Copy)]
pub struct Instance<'a> {
    obj: &'a AnyObj,
    /// The real type of `obj`: the registry's descriptor for its type index.
    info: &'a TypeInfo,
}

impl<'a> Instance<'a> {
    /// The object and its real type ([`Obj::type_info`]).
    ///
    /// ```
    /// use rcobj::reflect::Instance;
    /// use rcobj::{AnyObj, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.Instance.new")]
    /// struct Item;
    ///
    /// let any: AnyObj = Obj::new(Item).upcast();
    /// assert_eq!(Instance::new(&any).type_info().key(), "doc.reflect.Instance.new");
    /// ```
    #[inline]
    pub fn new(obj: &'a AnyObj) -> Instance<'a> {
        Instance {
            obj,
            info: Obj::type_info(obj),
        }
    }

    /// The object.
    ///
    /// ```
    /// use rcobj::reflect::Instance;
    /// use rcobj::{AnyObj, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.Instance.object")]
    /// struct Item;
    ///
    /// let any: AnyObj = Obj::new(Item).upcast();
    /// assert!(Obj::ptr_eq(Instance::new(&any).object(), &any));
    /// ```
    #[inline]
    pub fn object(self) -> &'a AnyObj {
        self.obj
    }

    /// The object's real type.
    ///
    /// ```
    /// use rcobj::reflect::Instance;
    /// use rcobj::{AnyObj, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.Instance.type_info.Base")]
    /// struct Base;
    ///
    /// #[derive(Object)]
    /// #[repr(C)]
    /// #[object(key = "doc.reflect.Instance.type_info.Child")]
    /// struct Child { #[parent] base: Base }
    ///
    /// let base: Obj<Base> = Obj::new(Child { base: Base }).upcast();
    /// let any: AnyObj = base.upcast();
    /// assert!(std::ptr::eq(Instance::new(&any).type_info(), Child::type_info()));
    /// ```
    #[inline]
    pub fn type_info(self) -> &'a TypeInfo {
        self.info
    }

    /// The value as a `T`, if the object is a `T` or a descendant. No atomic operation: a
    /// pointer compare, or a depth check and one ancestors entry.
    ///
    /// ```
    /// use rcobj::reflect::Instance;
    /// use rcobj::{AnyObj, Obj, Object};
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.Instance.value.A")]
    /// struct A(u8);
    ///
    /// #[derive(Object)]
    /// #[object(key = "doc.reflect.Instance.value.B")]
    /// struct B;
    ///
    /// let any: AnyObj = Obj::new(A(5)).upcast();
    /// let inst = Instance::new(&any);
    /// assert_eq!(inst.value::<A>().map(|a| a.0), Some(5));
    /// assert!(inst.value::<B>().is_none());
    /// ```
    #[inline]
    pub fn value<T: Object>(self) -> Option<&'a T> {
        // Kept small: the derive instantiates it once per type.
        match self.block_of(T::TYPE_INFO, T::DEPTH) {
            // SAFETY: the object's real type is `T` or a descendant (its registered
            // descriptor says so), so the block is a valid `ObjCell<T>`; the reference
            // covers the value only and lives as long as the borrow of the handle.
            Some(cell) => Some(unsafe { &(*(cell as *const ObjCell<T>)).value }),
            None => None,
        }
    }

    /// The object's block, if its real type is `target` (at depth `depth`) or a descendant.
    fn block_of(self, target: &TypeInfo, depth: usize) -> Option<*const ObjCell<AnyObject>> {
        let is_a = ptr::eq(self.info, target)
            || depth == 0
            || self
                .info
                .ancestors()
                .get(depth)
                .is_some_and(|a| ptr::eq(*a, target));
        is_a.then(|| Obj::cell(self.obj).as_ptr().cast_const())
    }

    /// Whether the object is an instance of `ty` (it or a descendant).
    #[inline]
    pub(crate) fn is_instance_of(self, ty: &TypeInfo) -> bool {
        self.block_of(ty, ty.depth()).is_some()
    }

    /// A pointer `at` bytes into the object's block, with the provenance of the block.
    #[inline]
    pub(crate) fn value_at(self, at: usize) -> *const () {
        Obj::cell(self.obj)
            .as_ptr()
            .cast_const()
            .cast::<u8>()
            .wrapping_add(at)
            .cast()
    }
}

impl fmt::Debug for Instance<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("type", &self.info.key())
            .field("object", &Obj::as_ptr(self.obj))
            .finish()
    }
}
