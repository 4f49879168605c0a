//! [`visit_children`] and [`walk`]: the object graph through reflected fields.

use ::alloc::collections::BTreeSet;
use ::alloc::vec::Vec;

use super::any::AsAnyObj;
use super::field::Instance;
use super::value::Value;
use crate::header::strong_of;
use crate::obj::{AnyObj, Obj};
use crate::sync::Ordering;

/// Whether more than one strong reference to `obj` exists. An object with one strong
/// reference is reached through exactly one strong field (or is the root), so a traversal
/// that follows strong fields meets it at most once, and never on a cycle: the services
/// track only shared objects.
#[inline]
pub(crate) fn is_shared(obj: &AnyObj) -> bool {
    // Relaxed: a hint about sharing, not a synchronisation; a stale answer costs a missed
    // memo entry, never a wrong result, as long as the graph is not changed meanwhile.
    strong_of(Obj::header(obj).load_combined(Ordering::Relaxed)) >= 2
}

/// The identity of an object: its header's address.
#[inline]
pub(crate) fn addr(obj: &AnyObj) -> usize {
    core::ptr::from_ref(Obj::header(obj)).addr()
}

/// Calls `f` with every object a value holds strongly, in order (through sequences).
pub(crate) fn objects_in<'a>(value: Value<'a>, f: &mut impl FnMut(&'a AnyObj)) {
    match value {
        Value::Object(o) => f(o),
        Value::Seq(seq) => {
            for item in seq.iter() {
                objects_in(item, f);
            }
        }
        _ => {}
    }
}

/// Calls `f` with every object `inst` holds strongly in its reflected fields, in field
/// order (the ancestors' fields first), sequences included.
pub(crate) fn children_of<'a>(inst: Instance<'a>, f: &mut impl FnMut(&'a AnyObj)) {
    inst.type_info().each_field_list(|list| {
        for field in list {
            // SAFETY: the field is one of the real type's.
            objects_in(unsafe { field.read(inst) }, f);
        }
        true
    });
}

/// Calls `f` with each object that `obj` holds through a strong reference in a reflected
/// field — `Obj<T>`, `AnyObj`, `Option<Obj<T>>`, and those in sequences (`Vec<Obj<T>>`…)
/// — in field order, the ancestors' fields first. Weak references and `#[object(skip)]`
/// fields are not followed. An object held twice is passed twice.
///
/// ```
/// use rcobj::reflect::visit_children;
/// use rcobj::{AnyObj, Obj, Object, WeakObj};
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.visit_children.Node")]
/// struct Node { name: &'static str, kids: Vec<Obj<Node>>, up: WeakObj<Node> }
///
/// let leaf = |name| Obj::new(Node { name, kids: vec![], up: WeakObj::new() });
/// let root = Obj::new(Node { name: "root", kids: vec![leaf("a"), leaf("b")], up: WeakObj::new() });
/// let mut names = vec![];
/// visit_children(&root, |child: &AnyObj| {
///     names.push(child.downcast_ref::<Node>().unwrap().name);
/// });
/// assert_eq!(names, ["a", "b"]);
/// ```
pub fn visit_children<'a, A: AsAnyObj + ?Sized>(obj: &'a A, mut f: impl FnMut(&'a AnyObj)) {
    children_of(Instance::new(obj.as_any_obj()), &mut f);
}

/// Visits every object reachable from `obj` through strong reflected fields, `obj` first,
/// in preorder (a node, then each child's subtree in field order), each object once: a
/// shared subtree of a DAG is visited where it is first reached, and a cycle of strong
/// references ends. Iterative: a deep graph does not deepen the call stack.
///
/// ```
/// use rcobj::reflect::walk;
/// use rcobj::{AnyObj, Obj, Object};
///
/// #[derive(Object)]
/// #[object(key = "doc.reflect.walk.Node")]
/// struct Node { name: &'static str, kids: Vec<Obj<Node>> }
///
/// let shared = Obj::new(Node { name: "shared", kids: vec![] });
/// let a = Obj::new(Node { name: "a", kids: vec![shared.clone()] });
/// let root = Obj::new(Node { name: "root", kids: vec![a, shared] });
/// let mut order = vec![];
/// walk(&root, |n: &AnyObj| order.push(n.downcast_ref::<Node>().unwrap().name));
/// assert_eq!(order, ["root", "a", "shared"]); // `shared` once
/// ```
pub fn walk<'a, A: AsAnyObj + ?Sized>(obj: &'a A, mut f: impl FnMut(&'a AnyObj)) {
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    let mut stack: Vec<&'a AnyObj> = Vec::new();
    let mut children: Vec<&'a AnyObj> = Vec::new();
    stack.push(obj.as_any_obj());
    while let Some(node) = stack.pop() {
        if is_shared(node) && !seen.insert(addr(node)) {
            continue;
        }
        f(node);
        children_of(Instance::new(node), &mut |c| children.push(c));
        stack.extend(children.drain(..).rev());
    }
}
