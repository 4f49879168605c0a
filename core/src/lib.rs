//! # rcobj
//!
//! Intrusively reference-counted objects that can cross language boundaries.
//!
//! Put `#[derive(Object)]` on a plain struct and it becomes a managed object type:
//!
//! ```
//! use rcobj::{Obj, Object};
//!
//! #[derive(Object)]
//! #[object(key = "demo.Shape")]
//! struct Shape { name: String }
//!
//! #[derive(Object)]
//! #[repr(C)]
//! #[object(key = "demo.Circle", final)]
//! struct Circle { #[parent] shape: Shape, radius: f64 }
//!
//! let c = Obj::new(Circle { shape: Shape { name: "c".into() }, radius: 1.0 });
//! let s: Obj<Shape> = c.clone().upcast::<Shape>();
//! let w = Obj::downgrade(&s);
//! assert!(s.is::<Circle>());
//! assert_eq!(s.name, "c");
//! assert_eq!(Circle::type_info().live_count(), 1);
//! drop((c, s));
//! assert!(w.upgrade().is_none());
//! assert_eq!(Circle::type_info().live_count(), 0);
//! ```
//!
//! ## The object
//!
//! Every object is one allocation: a 24-byte C-ABI [`ObjectHeader`] (bit-compatible with
//! Apache tvm-ffi's `TVMFFIObject`) followed by the value.
//!
//! ```text
//!  offset 0        8            12         16              24
//!  ┌───────────────┬────────────┬──────────┬───────────────┬──────────────┐
//!  │ strong │ weak │ type_index │ padding  │ deleter       │ value: T ... │
//!  │  u32   │ u32  │    i32     │  u32 = 0 │ fn(*obj, int) │              │
//!  └───────────────┴────────────┴──────────┴───────────────┴──────────────┘
//! ```
//!
//! The strong and weak counts share one 64-bit word, so a single atomic operation decides
//! the common release. All strong references together hold one implicit weak reference.
//!
//! ## The two-phase deleter
//!
//! When the strong count reaches zero the deleter is called with [`DELETER_STRONG`] (drop
//! the value); when the weak count reaches zero, with [`DELETER_WEAK`] (free the memory);
//! when both reach zero in one step — the common case — once with [`DELETER_BOTH`]. Each
//! object carries its own deleter, so objects made by C, C++ or tvm-ffi live side by side
//! with Rust objects behind an [`AnyObj`].
//!
//! ## Handles
//!
//! [`Obj<T>`] (strong), [`WeakObj<T>`] (weak), [`UniqueObj<T>`] (not yet shared, mutable
//! without atomics) and [`ObjBorrow<'a, T>`] (borrowed, no count traffic). They mirror
//! `Arc`, `Weak`, triomphe's `UniqueArc` and `ArcBorrow`, with `Arc`'s orderings and
//! `Send`/`Sync` rules.
//!
//! ## Types and casts
//!
//! Each derived type has a static [`TypeInfo`]: key, index, depth, ancestors. A child names
//! its parent as its first field with `#[parent]`; [`Obj::upcast`] to any ancestor is a
//! pointer cast checked at compile time (through [`IsA`]), [`Obj::is`], [`Obj::downcast`]
//! and [`Obj::downcast_ref`] are O(1) checks at run time. Borrowed handles cast without
//! count traffic ([`ObjBorrow::upcast`], [`ObjBorrow::downcast`]), [`Obj::downcast_mut`]
//! casts in place when the handle is the only reference, and `AnyObj::from(obj)` erases a
//! handle. Every linked type is in the [`registry`] before its first instance exists.
//!
//! ## Behaviour through base handles
//!
//! An `Obj<Base>` or an [`AnyObj`] usually points at a descendant. Everything the handle
//! does is then what the object's *real* type does, never silently the static type's part:
//!
//! * `==`, `Hash`, `PartialOrd`/`Ord`, `Debug` and `Display` of [`Obj`], [`ObjBorrow`] and
//!   [`AnyObj`] run the real type's impl. Objects of different real types are never equal
//!   and order by type index first; an exact handle and a base handle to one object hash
//!   alike (the caller's hasher is forwarded as `&mut dyn Hasher`), so a
//!   `HashSet<Obj<Expr>>` or a `HashSet<AnyObj>` holds nodes by their real value.
//! * [`Obj::make_mut`] through a base handle copies the real type (a shared `Obj<Expr>` to a
//!   `Const` becomes a new `Const`); it panics only when the real type has no `Clone`.
//! * With `serde`, an `Obj<Base>` is written tagged with its real type's key and read back
//!   into that type through the registry.
//!
//! `#[derive(Object)]` records which of these traits the concrete type implements, in a
//! [`Behaviour`] table in its [`TypeInfo`], without requiring any of them. A real type
//! that lacks a trait the static type has falls back to identity: `==` compares addresses,
//! `Debug` prints `key@address`. Through an exact handle (the real type is `T`; always for
//! a `final` `T`, decided at compile time) the handle calls `T`'s impl directly, as fast as
//! before; only base handles read the table. A runtime-defined type has no Rust impls, but
//! its builder can supply them as closures over the object's bytes
//! ([`RuntimeTypeBuilder::debug`], [`display`](RuntimeTypeBuilder::display),
//! [`eq`](RuntimeTypeBuilder::eq)/[`total_eq`](RuntimeTypeBuilder::total_eq),
//! [`hash`](RuntimeTypeBuilder::hash), [`cmp`](RuntimeTypeBuilder::cmp)), which every
//! handle then uses under the same rules — per type, not inherited by a runtime child.
//! A runtime type without them and a foreign object get the fallbacks. The full rules are
//! on [`Behaviour`].
//!
//! ```
//! use std::collections::HashSet;
//! use rcobj::{AnyObj, Obj, Object};
//!
//! #[derive(Object, Debug, Clone, Default, PartialEq, Eq, Hash)]
//! #[object(key = "guide.Expr")]
//! struct Expr { span: u32 }
//!
//! #[derive(Object, Debug, Clone, PartialEq, Eq, Hash)]
//! #[repr(C)]
//! #[object(key = "guide.Const", final)]
//! struct Const { #[parent] expr: Expr, value: i64 }
//!
//! #[derive(Object, Debug, Clone, PartialEq, Eq, Hash)]
//! #[repr(C)]
//! #[object(key = "guide.Var", final)]
//! struct Var { #[parent] expr: Expr, name: String }
//!
//! let konst = |value| -> Obj<Expr> { Obj::new(Const { expr: Expr::default(), value }).upcast() };
//! let var = |name: &str| -> Obj<Expr> {
//!     Obj::new(Var { expr: Expr::default(), name: name.into() }).upcast()
//! };
//!
//! // `==` and `Hash` of the real types: three different constants, three elements
//! // (compared as `Expr`s they would all be one).
//! let set: HashSet<Obj<Expr>> = [konst(1), konst(2), konst(3), konst(1)].into_iter().collect();
//! assert_eq!(set.len(), 3);
//! assert!(konst(0) != var("x")); // different real types are never equal
//!
//! // `Debug` of the real type, through `AnyObj` too.
//! let any: AnyObj = konst(7).upcast();
//! assert_eq!(format!("{any:?}"), "Const { expr: Expr { span: 0 }, value: 7 }");
//!
//! // Copy-on-write through the base handle clones the real type.
//! let mut e = konst(1);
//! let old = e.clone();
//! Obj::make_mut(&mut e).span = 4;
//! let c = e.downcast_ref::<Const>().unwrap();
//! assert_eq!((c.expr.span, c.value), (4, 1));
//! assert_eq!(old.span, 0);
//! ```
//!
//! Indices: the root [`AnyObject`] is [`ANY_OBJECT_INDEX`] (64, tvm-ffi's `Object`); every
//! other type (derived or runtime-defined) gets one of [`MAX_TYPES`] indices from
//! [`FIRST_DYNAMIC_INDEX`] (2^24), a range libtvm_ffi's own type table never reaches.
//!
//! Keys: a type's key is its `#[object(key = "...")]`, or by default its Rust path. Two
//! types whose *default* keys collide (two function-local `struct Node`s in one module)
//! are registered under their site keys instead, the path with the definition site
//! appended (`module::Node@src/lib.rs:12:5`), which [`TypeInfo::key`] then returns. Two
//! types that both declare one key explicitly are a real duplicate: neither is registered,
//! and each use of either (its index, `Obj::new`, [`registry::by_key`] of the key) panics
//! with a message naming both Rust paths; every other type keeps working.
//!
//! ## Per-thread instance counts
//!
//! With the default `std` feature, creating an object adds 1, and destroying it subtracts
//! 1, in the current thread's slot for its type — a plain load and store, never a shared
//! cache line (the trick CPython's free-threaded build uses for heap types).
//! [`TypeInfo::live_count`] sums the shared count and every live thread's slot; it is
//! exact whenever no instance of the type is being created or destroyed concurrently. A
//! type's count is of instances whose most-derived type it is: a `Circle` counts for
//! `Circle`, not for `Shape`.
//!
//! A thread's slots are merged into the shared counts when it exits (or when it calls
//! [`merge_thread_counts`]); an object dropped while thread-locals are being torn down
//! counts in the shared count. Nothing is lost. [`registered_threads`] tells how many
//! threads currently own slots. Uses: leak checks in tests, metrics, and knowing when the
//! code of a type may go away (a plugin's, see below).
//!
//! ```
//! use rcobj::{Obj, Object};
//!
//! #[derive(Object)]
//! #[object(key = "doc.guide.Counted")]
//! struct Counted(u32);
//!
//! let here = Obj::new(Counted(0));
//! let there = std::thread::spawn(|| {
//!     let there = Obj::new(Counted(1)); // counted in that thread's slot...
//!     assert_eq!(Counted::type_info().live_count(), 2);
//!     there
//! })
//! .join()
//! .unwrap(); // ...merged into the shared count when the thread exited
//! assert_eq!(Counted::type_info().live_count(), 2);
//! drop(here);
//! drop(there); // counted out in this thread's slot
//! assert_eq!(Counted::type_info().live_count(), 0);
//! ```
//!
//! ## Reflection
//!
//! The derive also describes every field of the struct: [`TypeInfo::fields`] lists the
//! type's own fields as [`FieldInfo`](reflect::FieldInfo)s (name, offset from the object
//! header as tvm-ffi counts it, size, alignment, the type as written, the doc comment), and
//! [`TypeInfo::all_fields`] adds the inherited ones, root first. `#[object(skip)]` leaves a
//! field out, `#[object(rename = "...")]` renames it. The `#[parent]` field is not a field
//! of its own: its fields are the parent's.
//!
//! A field whose type implements [`Reflect`](reflect::Reflect) (numbers, strings, bytes,
//! `Option`, sequences, `Obj<T>`, `WeakObj<T>`…, and your own types) shows its value as a
//! [`Value`](reflect::Value); any other field (a `HashMap`, a `Mutex`) is listed as
//! opaque. The derive never requires `Reflect`, and the table is static data: creating,
//! cloning and dropping objects costs the same with it. Nor does the derive write code to
//! read the fields: an entry keeps the reader of the field's type (one per type in the
//! program, one for every handle type) and reads the field at its offset, in an instance
//! of the type that declares it.
//!
//! Generic services run on the description, through any handle (an `Obj<Base>`, an
//! [`AnyObj`], an [`ObjBorrow`]), on the object's *real* type:
//! [`repr`](reflect::repr) prints an object graph (shared nodes once, cycles through weak
//! references ending), [`structural_eq`](reflect::structural_eq) and
//! [`structural_hash`](reflect::structural_hash) compare and hash it consistently,
//! [`visit_children`](reflect::visit_children) and [`walk`](reflect::walk) traverse it. See
//! [`reflect`] for the rules (sharing, cycles, weak and opaque fields).
//!
//! ```
//! use rcobj::reflect::{repr, structural_eq, structural_hash, walk};
//! use rcobj::{AnyObj, Obj, Object};
//!
//! #[derive(Object)]
//! #[object(key = "demo.Expr")]
//! struct Expr;
//!
//! #[derive(Object)]
//! #[repr(C)]
//! #[object(key = "demo.Const", final)]
//! struct Const { #[parent] expr: Expr, value: i64 }
//!
//! #[derive(Object)]
//! #[repr(C)]
//! #[object(key = "demo.Var", final)]
//! struct Var {
//!     #[parent]
//!     expr: Expr,
//!     /// The variable's name.
//!     name: String,
//!     #[object(skip)]
//!     uses: u32,
//! }
//!
//! #[derive(Object)]
//! #[repr(C)]
//! #[object(key = "demo.Add", final)]
//! struct Add { #[parent] expr: Expr, lhs: Obj<Expr>, rhs: Obj<Expr> }
//!
//! let build = || -> AnyObj {
//!     let one = Obj::new(Const { expr: Expr, value: 1 }).upcast();
//!     let x = Obj::new(Var { expr: Expr, name: "x".into(), uses: 0 }).upcast();
//!     Obj::new(Add { expr: Expr, lhs: one, rhs: x }).upcast()
//! };
//! let e = build();
//! assert_eq!(repr(&e), r#"demo.Add(lhs=demo.Const(value=1), rhs=demo.Var(name="x"))"#);
//!
//! // The description.
//! let name = &Var::type_info().fields()[0];
//! assert_eq!((name.name(), name.type_name(), name.doc()), ("name", "String", "The variable's name."));
//! assert_eq!(name.offset(), 24); // from the start of the object header
//!
//! // Built apart, equal, with equal hashes.
//! assert!(structural_eq(&e, &build()));
//! assert_eq!(structural_hash(&e), structural_hash(&build()));
//!
//! let mut keys = vec![];
//! walk(&e, |node| keys.push(Obj::type_info(node).key()));
//! assert_eq!(keys, ["demo.Add", "demo.Const", "demo.Var"]);
//! ```
//!
//! Runtime-defined types declare their fields with [`RuntimeTypeBuilder::field`].
//!
//! ## Runtime-defined types
//!
//! Language bindings, JITs and code generators can define object types at run time with
//! [`RuntimeTypeBuilder`]: a key, a parent (the root, a Rust type with
//! [`parent::<P>()`](RuntimeTypeBuilder::parent), or another runtime type with
//! [`runtime_parent`](RuntimeTypeBuilder::runtime_parent)), the value's size and alignment,
//! an optional destructor (a closure that owns its context,
//! [`destructor`](RuntimeTypeBuilder::destructor), or an `extern "C"`
//! [`drop_fn`](RuntimeTypeBuilder::drop_fn)), `final`, what instances do for `Debug`,
//! `Display`, `==`, `Hash` and the orders (closures over their bytes, see "Behaviour
//! through base handles"), and a callback to run once the type is gone. [`register`](RuntimeTypeBuilder::register) returns a [`RuntimeType`], a counted
//! handle to the type, or a [`RuntimeTypeError`] (and registers nothing).
//!
//! A runtime type is an ordinary type for the rest of the crate: it has a [`TypeInfo`] and
//! an index from the same range as Rust types, [`registry::by_key`] and
//! [`registry::by_index`] find it, and its instances are [`AnyObj`]s with
//! [`AnyObj::is_instance_of`] (and `is::<P>()`/`downcast::<P>()` for a Rust ancestor `P`).
//!
//! **An instance's bytes.** A runtime type's value is bytes: the whole value, or what
//! follows its Rust ancestor's value (at [`bytes_offset`](RuntimeType::bytes_offset)).
//! [`new_object`](RuntimeType::new_object)'s `init` writes all of them — a subclass's
//! constructor sets the inherited fields too (for a Rust ancestor, its value is passed to
//! [`new_object_with_base`](RuntimeType::new_object_with_base)); a panicking `init` leaks
//! nothing. Afterwards [`RuntimeType::bytes`] shows them through any handle (they are
//! immutable while shared: runtime types have no interior mutation), and
//! [`RuntimeType::bytes_mut`] lends them mutably while the handle is the only reference.
//! Both check that the object is an instance of the type or a descendant. The destructor
//! gets the same bytes. [`RuntimeType::live_count`] counts live values, as for Rust types;
//! [`RuntimeType::allocated_count`] counts the blocks that still hold the type (a weak
//! reference keeps one after its value is destroyed). `examples/examples/binding.rs`
//! builds a scripting language's classes this way.
//!
//! **When a runtime type is released.** A runtime type — its descriptor, its key and its
//! index — lives as long as any of these references to it exists:
//!
//! * the registry's own, from `register` until [`RuntimeType::unregister`];
//! * every handle: each [`RuntimeType`] and each [`TypeRef`] that a registry lookup
//!   returns, counted in the type's shared count (a runtime child type holds one to its
//!   runtime parent);
//! * every instance, from its creation until its memory is freed (its last weak reference
//!   goes; see [`allocated_count`](RuntimeType::allocated_count)). These are counted in
//!   the current thread's slot, so creating and destroying instances writes no shared
//!   cache line.
//!
//! Once the last of them goes the type is released: its descriptor is freed, its index is
//! recycled and its [`on_release`](RuntimeTypeBuilder::on_release) callback runs, on the
//! thread that completes the release (the one dropping the last reference, or a thread
//! merging its slots). Without a stop-the-world, the per-thread references are made exact
//! by an epoch protocol (model-checked with loom): `unregister` asks every thread to merge
//! its slot for the type, and a thread does so at its next release of an object, at its
//! next creation or release of a runtime type's instance, at exit, or in
//! [`merge_thread_counts`] (creating a Rust object never merges). A thread that sleeps can
//! delay the release; nothing makes it early. A callback that panics is treated like a
//! panicking `Drop` (see [`on_release`](RuntimeTypeBuilder::on_release)).
//!
//! ```
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::sync::Arc;
//! use rcobj::{registry, RuntimeTypeBuilder};
//!
//! let released = Arc::new(AtomicBool::new(false));
//! let flag = released.clone();
//! let ty = RuntimeTypeBuilder::new("doc.guide.Blob")
//!     .layout(16, 8)
//!     .on_release(move || flag.store(true, Ordering::SeqCst))
//!     .register()
//!     .unwrap();
//! let obj = ty.new_object(|bytes| bytes[0] = 1).unwrap(); // an `AnyObj`
//! assert!(obj.is_instance_of(ty.info()));
//! assert_eq!(ty.live_count(), 1);
//!
//! assert!(ty.unregister());
//! assert!(registry::by_key("doc.guide.Blob").is_none());
//! drop(ty);
//! assert!(!released.load(Ordering::SeqCst)); // the instance still holds the type
//! drop(obj);
//! assert!(released.load(Ordering::SeqCst));
//! ```
//!
//! ## The C ABI
//!
//! `rcobj.h`, shipped in this crate's `include/` directory (a dependent build script finds
//! it in `DEP_RCOBJ_INCLUDE`), is one header for C11 and C++11 and later: the 24-byte
//! header, the deleter flags, and `static inline` functions that do exactly what the Rust
//! handles do, with the same orderings (`rcobj_inc_ref`, `rcobj_dec_ref`,
//! `rcobj_inc_weak_ref`, `rcobj_dec_weak_ref`, `rcobj_try_promote`, `rcobj_object_init`).
//! It also declares the type queries that this crate exports to C (key ↔ index, instance
//! tests; see [`c_api`]). The header is tvm-ffi's `TVMFFIObject`, so tvm-ffi can hold and
//! release rcobj objects, and the other way round.
//!
//! * Rust to C: [`Obj::into_raw`] gives up a handle and returns the object's header
//!   address, which owns one strong reference (upcast to [`AnyObject`] first to keep the
//!   type out of the signature).
//! * C to Rust: [`AnyObj::from_raw`] (or `Obj::<T>::from_raw` for a known `T`) takes one
//!   strong reference over. The object's deleter is called with exactly
//!   [`DELETER_STRONG`], [`DELETER_WEAK`] or [`DELETER_BOTH`], nothing else; called with
//!   `DELETER_BOTH` by a Rust release, it finds the count word at strong 0, weak 1, as a
//!   release from C leaves it.
//! * An object made outside rcobj (C, tvm-ffi) starts with the header and uses a type index
//!   **below [`FIRST_DYNAMIC_INDEX`]** (2^24) — [`ANY_OBJECT_INDEX`] (64) when it has no
//!   better one; every index libtvm_ffi hands out (its static types, and its dynamic types
//!   from 128 up) is one. Indices from `FIRST_DYNAMIC_INDEX` up ([`MAX_TYPES`] of them)
//!   belong to this program's registry, and [`Obj::is`], [`Obj::downcast`] and
//!   [`Obj::type_info`] trust them. For an index the registry does not know,
//!   `Obj::type_info` reports [`AnyObject`].
//! * A panic in a Rust destructor (or a runtime type's `on_release` callback) cannot unwind
//!   into C: if the last reference is released from foreign code, the process aborts with
//!   a message naming the type.
//!
//! **libtvm_ffi without the `tvm-ffi` feature.** rcobj's indices lie far above libtvm_ffi's
//! (which numbers its own dynamic types from 128), so an rcobj object is never mistaken for
//! one of tvm-ffi's types; but libtvm_ffi does not know rcobj's types either. Safe on rcobj
//! objects: reference counting (`TVMFFIObjectIncRef`/`DecRef`, which end in the object's
//! own deleter) and containers that hold them (`ffi.Array` and friends store, return and
//! release them without asking their type). Not safe until a future `tvm-ffi` feature
//! registers rcobj's types with libtvm_ffi: anything that looks the type up —
//! `TVMFFIGetTypeInfo`, printing (`ffi.ReprPrint`), structural equality and hashing, JSON
//! graphs, reflection, an `IsInstance` check of a non-final tvm-ffi type, handing the object
//! to Python. libtvm_ffi ends the process on an index it does not know.
//!
//! ```
//! use core::ffi::c_void;
//! use std::sync::Mutex;
//! use rcobj::{AnyObj, Obj, ObjectHeader, ANY_OBJECT_INDEX, DELETER_BOTH, DELETER_WEAK};
//!
//! // A "foreign" object: the header first, then the payload; freed by its own deleter.
//! #[repr(C)]
//! struct Foreign { header: ObjectHeader, payload: u64 }
//!
//! static CALLS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
//! unsafe extern "C" fn foreign_deleter(obj: *mut c_void, flags: i32) {
//!     CALLS.lock().unwrap().push(flags);
//!     if flags & DELETER_WEAK != 0 {
//!         // SAFETY: made by `Box::into_raw` below; the weak phase runs once.
//!         drop(unsafe { Box::from_raw(obj.cast::<Foreign>()) });
//!     }
//! }
//!
//! let raw = Box::into_raw(Box::new(Foreign {
//!     header: ObjectHeader::new(ANY_OBJECT_INDEX, Some(foreign_deleter)),
//!     payload: 42,
//! }));
//! // SAFETY: a live object with one strong reference, which we hand over.
//! let any: AnyObj = unsafe { AnyObj::from_raw(raw.cast()) };
//! assert_eq!(Obj::type_info(&any).key(), "rcobj.Object");
//! let copy = any.clone();
//! assert_eq!(Obj::strong_count(&any), 2);
//! drop((any, copy));
//! assert_eq!(*CALLS.lock().unwrap(), [DELETER_BOTH]); // one call: no weak reference left
//! ```
//!
//! ## Features
//!
//! * `std` (default): per-thread instance counts, and panic propagation: a panic in a
//!   value's `Drop` reaches the Rust code that released the object, after the instance is
//!   counted out (and the memory freed, unless a weak reference keeps it), as `Arc`'s drop
//!   would propagate it. Where the `Drop`
//!   runs inside the `extern "C"` deleter, the deleter catches the panic and the Rust
//!   release resumes it; released from foreign code, the process aborts. The registry uses
//!   std's locks.
//! * Without `std` the crate is `no_std` + `alloc`: every type's instance count is one
//!   shared atomic (a relaxed read-modify-write per create and destroy), a runtime type's
//!   references are all counted in its shared word, [`THREAD_SLOTS`] and
//!   [`registered_threads`] are 0 and [`merge_thread_counts`] does nothing. Nothing catches
//!   a panic: one raised by a `Drop` that runs inside the `extern "C"` deleter (a release
//!   through an ancestor-typed handle, or from foreign code) cannot unwind out of it, and
//!   the process aborts. The registry uses spin locks.
//! * `serde`: `Serialize`/`Deserialize` for the handles. An [`Obj<T>`] or [`ObjBorrow`]
//!   of a non-final `T` (so [`AnyObj`] too) is written as its real type, tagged with the
//!   type key (`{"ir.Const":{...}}`), and read back into a new object of the type the key
//!   names, checked against `T`'s hierarchy (bad input is an `Err` naming the key and
//!   `T`; nothing leaks). A final `T`'s handle and a [`UniqueObj<T>`] (always exactly a
//!   `T`) are untagged, as `T`. A [`WeakObj<T>`] is written as `Option<Obj<T>>` and read
//!   back as a handle that upgrades to nothing. Sharing is not preserved. Pulls in
//!   `erased-serde` for the type erasure.
//! * `tvm-ffi` (off by default; needs `std`): one type system with Apache tvm-ffi
//!   (`rcobj::tvm_ffi`). It links `libtvm_ffi` from the `apache-tvm-ffi` Python wheel
//!   (`pip install apache-tvm-ffi==0.1.15.post2`); libtvm_ffi allocates every type index
//!   (so [`FIRST_DYNAMIC_INDEX`] is its 128), its own types (`ffi.Array`, …) are foreign
//!   types of the [`registry`], each derived type's reflected fields and metadata are
//!   registered with it before the type is visible, values and `Send + Sync` closures
//!   cross as tvm-ffi values and functions, and errors as tvm-ffi errors. From Python,
//!   `tvm_ffi` shows Rust objects as classes with fields, `repr`, structural equality,
//!   JSON graphs and keyword construction (of `Default` types).
//!
//! ## What is allocated, and when
//!
//! * [`Obj::new`] and [`UniqueObj::new`] make exactly one allocation through the global
//!   allocator: the object's block (header and value). [`WeakObj::new`] allocates nothing;
//!   clones, casts and borrows allocate nothing.
//! * The registry is built once, on its first use: the first [`TypeInfo::index`] call of
//!   any type (which the first `Obj::new` in the program makes), or the first
//!   [`registry`] lookup. That builds the key table (a `BTreeMap` and a temporary `Vec`).
//!   To keep it out of a measured region, touch the registry first, e.g. with
//!   `rcobj::registry::by_key("")`. The index table and the shared counts are static
//!   arrays of [`MAX_TYPES`] atomics (`.bss`).
//! * With `std`, each thread's slots are an inline block of [`THREAD_SLOTS`] atomics in its
//!   thread-local storage (2 KiB). The first object a thread counts links the block into
//!   an intrusive list under a mutex and registers a thread-local destructor (through
//!   std's `thread_local!`); rcobj allocates nothing for either, so once the registry
//!   exists a counting global allocator sees one allocation per `Obj::new`, even for a
//!   thread's first object.
//! * [`RuntimeTypeBuilder::register`] allocates the type (its key, its ancestors table, its
//!   descriptor and reference state, the `on_release` closure) and its registry entries;
//!   [`RuntimeType::unregister`] records the pending merge (a small allocation); each
//!   instance is one allocation, like `Obj::new`'s. The type's own allocations are freed
//!   when it is released.
//!
//! ```
//! use std::alloc::{GlobalAlloc, Layout, System};
//! use std::cell::Cell;
//! use rcobj::{Obj, Object};
//!
//! // Counts this thread's allocations.
//! struct Counting;
//! std::thread_local!(static ALLOCS: Cell<usize> = const { Cell::new(0) });
//! unsafe impl GlobalAlloc for Counting {
//!     unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
//!         let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
//!         unsafe { System.alloc(layout) }
//!     }
//!     unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
//!         unsafe { System.dealloc(ptr, layout) }
//!     }
//! }
//! #[global_allocator]
//! static ALLOCATOR: Counting = Counting;
//!
//! #[derive(Object)]
//! #[object(key = "doc.guide.Allocated")]
//! struct Small(u64);
//!
//! let _ = rcobj::registry::by_key(""); // build the registry up front
//! std::thread::spawn(|| {
//!     let before = ALLOCS.with(Cell::get);
//!     let first = Obj::new(Small(1)); // this thread's first object: links its slots
//!     assert_eq!(ALLOCS.with(Cell::get) - before, 1);
//!     drop(first);
//! })
//! .join()
//! .unwrap();
//! ```
//!
//! ## Plugins loaded with `dlopen`
//!
//! A `cdylib` that uses rcobj links its own copy of this runtime, and so has its own
//! registry and its own per-thread counts. Its types are numbered from
//! [`FIRST_DYNAMIC_INDEX`] in its copy, independently of the host's, and the host's
//! [`registry`] does not see them.
//!
//! * Its objects still cross the boundary safely as raw headers ([`Obj::into_raw`], then
//!   [`AnyObj::from_raw`] in the host): each carries its deleter, so the host can clone,
//!   hold and drop them as [`AnyObj`].
//! * The host must never ask them about their type: `is`, `downcast`, `downcast_ref`,
//!   `type_info` and `is_instance_of` would look the plugin's index up in the host's table,
//!   where it may belong to an unrelated type, and a wrong downcast is undefined behaviour.
//!   This is part of [`Obj::from_raw`]'s safety contract. Ask the plugin instead, through
//!   its own C-ABI functions.
//! * Releasing such an object runs the plugin's code, so unload the library only once the
//!   plugin reports (from its own registry, with [`TypeInfo::live_count`]) that none of its
//!   instances is alive, and no weak handle to one is left.
//!
//! The `plugin` example (`cargo run -p rcobj-examples --example plugin`) does exactly this.
//! For types whose code comes and goes at run time in one registry, see
//! [`RuntimeTypeBuilder::on_release`].
//!
//! ## Orderings, in brief
//!
//! Increments are relaxed (a new reference is made from an existing one). Decrements are
//! Release, and whoever takes a count to zero issues an Acquire fence before the deleter
//! runs, so every use through another handle happens before destruction. A handle that
//! finds the word at strong 1 + weak 1 with an Acquire load holds the only reference of
//! any kind, and releases the object without any read-modify-write. `upgrade` is a
//! CAS loop that never resurrects a zero strong count.
//!
//! Releasing an unshared object (the word reads strong 1, weak 1) skips the read-modify-write:
//! one Acquire load decides, since any other reference would have to be made from ours.

#![warn(missing_docs)]
#![no_std]

extern crate alloc;
#[cfg(any(feature = "std", loom, test))]
extern crate std;

mod behaviour;
mod borrow;
pub mod c_api;
mod cast;
mod cell;
#[cfg_attr(not(any(feature = "std", loom)), path = "counts_shared.rs")]
mod counts;
mod cyclic;
mod deleter;
mod header;
mod intern;
mod obj;
pub mod reflect;
pub mod registry;
mod runtime_type;
#[cfg(feature = "serde")]
mod serde_impl;
#[cfg(feature = "serde")]
mod serde_tagged;
mod sync;
#[cfg(feature = "tvm-ffi")]
pub mod tvm_ffi;
// loom's atomics change the header's layout, which tvm-ffi shares.
#[cfg(all(feature = "tvm-ffi", loom))]
compile_error!("the `tvm-ffi` feature does not build under `--cfg loom`");
// The derive's tvm-ffi hooks: compiled with or without the feature.
#[path = "tvm_ffi/probe.rs"]
mod tvm_ffi_probe;
mod type_info;
mod unique;
mod weak;

pub use crate::behaviour::{Behaviour, Final, TraitKind};
pub use crate::borrow::ObjBorrow;
pub use crate::cast::IsA;
pub use crate::cell::{value_offset, ObjCell};
pub use crate::counts::{merge_thread_counts, registered_threads, MAX_TYPES, THREAD_SLOTS};
pub use crate::cyclic::UninitObj;
pub use crate::deleter::deleter;
pub use crate::header::{
    Deleter, ObjectHeader, BOTH_ONE, DELETER_BOTH, DELETER_STRONG, DELETER_WEAK, MAX_COUNT,
    STRONG_ONE, WEAK_ONE,
};
pub use crate::obj::{AnyObj, Obj};
pub use crate::registry::TypeRef;
pub use crate::runtime_type::{RuntimeType, RuntimeTypeBuilder, RuntimeTypeError};
pub use crate::type_info::{AnyObject, Object, TypeInfo, ANY_OBJECT_INDEX, FIRST_DYNAMIC_INDEX};
pub use crate::unique::UniqueObj;
pub use crate::weak::WeakObj;

/// The derive: `#[derive(Object)]` with `#[object(key = "...", final, crate = "...")]` and
/// `#[parent]` on the first field.
///
/// * `#[object(key = "...")]`: the type key, unique in the program; by default the Rust
///   path (`module_path!()`, `::`, the struct's name).
/// * `#[object(final)]`: no type may name this one as its parent (checked at compile time);
///   `is`/`downcast` to it compare one index.
/// * `#[object(crate = "path")]`: where the runtime crate is, for code generators and
///   crates that re-export rcobj.
/// * `#[parent]` on the first field of a `#[repr(C)]` struct: that field's type is the
///   parent, so the object is also a valid object of the parent type.
/// * On a field, `#[object(skip)]` leaves it out of reflection and
///   `#[object(rename = "...")]` gives it another name there (see [`reflect`]); its doc
///   comment becomes [`FieldInfo::doc`](reflect::FieldInfo::doc).
///
/// Named, tuple and unit structs are accepted; enums, unions, generic structs and
/// `repr(packed)` are rejected with an error on the offending tokens.
///
/// ```
/// use rcobj::{Obj, Object};
///
/// #[derive(Object)]
/// struct Plain; // key: the Rust path
///
/// #[derive(Object)]
/// #[object(key = "doc.derive.Expr")]
/// struct Expr { span: (u32, u32) }
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.derive.Var", final)]
/// struct Var { #[parent] expr: Expr, name: String }
///
/// assert!(Plain::type_info().key().ends_with("::Plain"));
/// assert_eq!(Plain::type_info().key(), Plain::type_info().rust_name());
/// assert!(Var::type_info().is_final());
/// let e: Obj<Expr> = Obj::new(Var { expr: Expr { span: (0, 1) }, name: "x".into() }).upcast();
/// assert_eq!(e.span, (0, 1));
/// ```
///
/// A final type cannot be a parent:
///
/// ```compile_fail
/// use rcobj::Object;
///
/// #[derive(Object)]
/// #[object(key = "doc.derive.final.Leaf", final)]
/// struct Leaf;
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "doc.derive.final.Child")]
/// struct Child { #[parent] leaf: Leaf }
/// ```
pub use rcobj_macros::Object;

/// Items the derive's output refers to. Not public API: may change in any release.
///
/// The derive reaches this module through the user's `#[object(crate = "...")]` path,
/// which may name a module that replaces any of these items with its own. So nothing here
/// is trusted for soundness: the descriptor and the layout checks are inherent functions
/// of [`TypeInfo`](crate::TypeInfo) fed with [`Object`] constants (and `::core::mem`),
/// `Object::SEND_SYNC` needs a `SendSync` witness only rcobj makes, and the traits a cast
/// trusts are `unsafe` (a replacement could only make the derive's `unsafe impl`s
/// implement another trait, so the type would not cast at all). The items here are for
/// the expansion to name (the probe, the marker traits), and for good error messages.
#[doc(hidden)]
pub mod __private {
    pub use crate::behaviour::{
        CloneEntry, CmpEntry, CreatorEntry, DebugEntry, DeserializeEntry, DisplayEntry, EqEntry,
        HashEntry, Lacks, MaybeDeserialize, MaybeSerialize, PartialCmpEntry, Probe, SerializeEntry,
    };
    pub use crate::cast::{AncestorIs, DepthMinus, Up};
    #[cfg(loom)]
    pub use crate::counts::loom_thread_exit;
    pub use crate::reflect::probe::{InOption, NotReflect, ReflectProbe, ValueFn};
    pub use crate::registry::Registration;
    pub use crate::tvm_ffi_probe::{FfiField, FfiProbe, NoFfiField};
    pub use crate::type_info::{SendSync, S, Z};
    pub use crate::TypeInfo;
    pub use inventory;

    /// The constructor `ctor!` registers for the derived type `T`: submits its descriptor
    /// to the registry. Runs before `main` (or when a library is loaded); cannot panic.
    pub extern "C" fn submit<T: crate::Object>() {
        crate::registry::submit(T::TYPE_INFO);
    }

    /// Registers [`submit::<$ty>`](submit) as a constructor of the program: a `static`
    /// function pointer in the platform's constructor section (the sections and targets of
    /// `inventory`'s `submit!`, which this replaces for the derive).
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __rcobj_ctor {
        ($($krate:ident)::+, $ty:ty) => {
            #[used]
            #[cfg_attr(
                any(
                    target_family = "wasm",
                    target_os = "linux",
                    target_os = "android",
                    target_os = "dragonfly",
                    target_os = "freebsd",
                    target_os = "haiku",
                    target_os = "illumos",
                    target_os = "netbsd",
                    target_os = "nto",
                    target_os = "openbsd",
                    target_os = "redox",
                    target_os = "vxworks",
                    target_os = "none",
                ),
                link_section = ".init_array"
            )]
            #[cfg_attr(
                any(target_os = "macos", target_os = "ios"),
                link_section = "__DATA,__mod_init_func,mod_init_funcs"
            )]
            #[cfg_attr(windows, link_section = ".CRT$XCU")]
            static __RCOBJ_CTOR: extern "C" fn() = $($krate)::+::__private::submit::<$ty>;
        };
    }
    pub use crate::__rcobj_ctor as ctor;

    /// Compile-time check used by the derive: `P` is an object type.
    pub const fn require_object<P: crate::Object>() {}

    /// Implemented by the derive for every object type, with `This = Self`. The derive
    /// names a parent only as `<Field as ParentType>::This`: when the `#[parent]` field's
    /// type is not an object type, this one obligation fails (the error below), and every
    /// other use of the parent is an error type, on which the compiler reports nothing
    /// more. (A blanket impl for every `Object` would not do: the projection would still
    /// normalize to the field's type, and each use would fail on its own.)
    ///
    /// # Safety
    ///
    /// `This` is `Self`. Only the derive implements it.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be a `#[parent]`: it is not an object type",
        label = "not an object type",
        note = "a parent must itself be an object type: add `#[derive(Object)]` to `{Self}`, or remove `#[parent]` to make this an ordinary field"
    )]
    pub unsafe trait ParentType {
        /// `Self`.
        type This: crate::Object;
    }

    // SAFETY: `This` is `Self`. (`do_not_recommend`: not worth listing in errors.)
    #[diagnostic::do_not_recommend]
    unsafe impl ParentType for crate::AnyObject {
        type This = crate::AnyObject;
    }
}
