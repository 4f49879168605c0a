//! [`repr`]: an object graph as text, in the spirit of tvm-ffi's `ReprPrint`.

use ::alloc::collections::{BTreeMap, BTreeSet};
use ::alloc::string::String;
use ::alloc::vec::Vec;
use core::fmt::Write;

use super::any::AsAnyObj;
use super::field::Instance;
use super::value::Value;
use super::visit::addr;
use crate::obj::{AnyObj, Obj};
use crate::type_info::AnyObject;
use crate::weak::WeakObj;

/// The object as text: its type key, then its reflected fields as `name=value` in
/// [`all_fields`](crate::TypeInfo::all_fields) order, recursively —
/// `demo.Add(lhs=demo.Const(value=1), rhs=demo.Var(name="x"))`.
///
/// * Values print as tvm-ffi's `ReprPrint` prints them: `True`/`False`, `None`, integers,
///   floats (Rust's `{:?}`), strings quoted and escaped, bytes as `b"..."`, sequences as
///   `[a, b]`, an opaque field as `<its type>`, an object without reflected fields as its
///   key alone.
/// * Sharing: an object reached more than once is printed once. Its first occurrence gets a
///   label after its key (`demo.Var#1(name="x")`), and every later one prints the key and
///   label only (`demo.Var#1`). A cycle of strong references ends the same way.
/// * A weak reference prints as `weak(...)` around its target's key, with the label when
///   the target is part of the printed graph (a parent link: `weak(demo.Block#1)`), and
///   `weak(None)` when the target is gone. Weak references are never followed, so a cycle
///   through them ends.
///
/// Recurses along the graph's depth.
///
/// ```
/// use rcobj::reflect::repr;
/// use rcobj::{Obj, Object, WeakObj};
///
/// #[derive(Object)]
/// #[object(key = "demo.Expr")]
/// struct Expr;
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "demo.Const")]
/// struct Const { #[parent] expr: Expr, value: i64 }
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "demo.Var")]
/// struct Var { #[parent] expr: Expr, name: String }
///
/// #[derive(Object)]
/// #[repr(C)]
/// #[object(key = "demo.Add")]
/// struct Add { #[parent] expr: Expr, lhs: Obj<Expr>, rhs: Obj<Expr> }
///
/// let one: Obj<Expr> = Obj::new(Const { expr: Expr, value: 1 }).upcast();
/// let x: Obj<Expr> = Obj::new(Var { expr: Expr, name: "x".into() }).upcast();
/// let sum = Obj::new(Add { expr: Expr, lhs: one, rhs: x.clone() });
/// assert_eq!(repr(&sum), r#"demo.Add(lhs=demo.Const(value=1), rhs=demo.Var(name="x"))"#);
///
/// let twice = Obj::new(Add { expr: Expr, lhs: x.clone(), rhs: x });
/// assert_eq!(repr(&twice), r#"demo.Add(lhs=demo.Var#1(name="x"), rhs=demo.Var#1)"#);
/// ```
pub fn repr<A: AsAnyObj + ?Sized>(obj: &A) -> String {
    let root = obj.as_any_obj();
    let mut printer = Printer {
        out: String::new(),
        graph: Graph::of(root),
        labels: BTreeMap::new(),
        started: BTreeSet::new(),
    };
    printer.object(root);
    printer.out
}

/// What the first pass finds: how many strong references within the graph reach each
/// object (the root counts once), and which objects weak references point at.
struct Graph {
    reached: BTreeMap<usize, u32>,
    weak_targets: BTreeSet<usize>,
}

impl Graph {
    fn of(root: &AnyObj) -> Graph {
        let mut graph = Graph {
            reached: BTreeMap::new(),
            weak_targets: BTreeSet::new(),
        };
        graph.reached.insert(addr(root), 1);
        let mut stack = Vec::from([root]);
        while let Some(node) = stack.pop() {
            let inst = Instance::new(node);
            for field in inst.type_info().all_fields() {
                // SAFETY: the fields of the object's real type.
                graph.scan(unsafe { field.read(inst) }, &mut stack);
            }
        }
        graph
    }

    fn scan<'a>(&mut self, value: Value<'a>, stack: &mut Vec<&'a AnyObj>) {
        match value {
            Value::Object(o) => {
                let count = self.reached.entry(addr(o)).or_insert(0);
                *count += 1;
                if *count == 1 {
                    stack.push(o);
                }
            }
            Value::Weak(w) => {
                self.weak_targets.insert(w.addr());
            }
            Value::Seq(seq) => {
                for item in seq.iter() {
                    self.scan(item, stack);
                }
            }
            _ => {}
        }
    }

    /// Whether the object at `key` is referred to more than once in the text.
    fn needs_label(&self, key: usize) -> bool {
        self.reached.get(&key).is_some_and(|&n| n > 1) || self.weak_targets.contains(&key)
    }
}

struct Printer {
    out: String,
    graph: Graph,
    /// Labels handed out so far, in order of first use.
    labels: BTreeMap<usize, usize>,
    /// Objects whose printing has begun.
    started: BTreeSet<usize>,
}

impl Printer {
    fn label(&mut self, key: usize) -> usize {
        let next = self.labels.len() + 1;
        *self.labels.entry(key).or_insert(next)
    }

    fn object(&mut self, obj: &AnyObj) {
        let key = addr(obj);
        let inst = Instance::new(obj);
        let info = inst.type_info();
        self.out.push_str(info.key());
        if self.graph.needs_label(key) {
            let label = self.label(key);
            let _ = write!(self.out, "#{label}");
        }
        if !self.started.insert(key) {
            return;
        }
        let mut fields = info.all_fields().peekable();
        if fields.peek().is_none() {
            return;
        }
        self.out.push('(');
        for (i, field) in fields.enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.out.push_str(field.name());
            self.out.push('=');
            // SAFETY: the fields of the object's real type.
            self.value(unsafe { field.read(inst) });
        }
        self.out.push(')');
    }

    fn value(&mut self, value: Value<'_>) {
        match value {
            Value::None => self.out.push_str("None"),
            Value::Bool(b) => self.out.push_str(if b { "True" } else { "False" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::UInt(u) => {
                let _ = write!(self.out, "{u}");
            }
            Value::Float(x) => {
                let _ = write!(self.out, "{x:?}");
            }
            Value::Char(c) => {
                let _ = write!(self.out, "{c:?}");
            }
            Value::Str(s) => {
                let _ = write!(self.out, "{s:?}");
            }
            Value::Bytes(bytes) => {
                self.out.push_str("b\"");
                for &b in bytes {
                    if (32..127).contains(&b) && b != b'"' && b != b'\\' {
                        self.out.push(char::from(b));
                    } else {
                        let _ = write!(self.out, "\\x{b:02x}");
                    }
                }
                self.out.push('"');
            }
            Value::Object(o) => self.object(o),
            Value::Weak(w) => self.weak(w),
            Value::Seq(seq) => {
                self.out.push('[');
                for (i, item) in seq.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    self.value(item);
                }
                self.out.push(']');
            }
            Value::Opaque(name) => {
                let _ = write!(self.out, "<{name}>");
            }
        }
    }

    fn weak(&mut self, weak: &WeakObj<AnyObject>) {
        let Some(target) = weak.upgrade() else {
            self.out.push_str("weak(None)");
            return;
        };
        self.out.push_str("weak(");
        self.out.push_str(Obj::type_info(&target).key());
        let key = weak.addr();
        if self.graph.reached.contains_key(&key) {
            let label = self.label(key);
            let _ = write!(self.out, "#{label}");
        }
        self.out.push(')');
    }
}
