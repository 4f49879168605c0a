//! A small IR for the reflection tests (`tests/reflect_*.rs`): three levels (`Node` →
//! `Expr` → `Var`/`Const`/`Add`/`Call`, and `Node` → `Block`), weak parent links, a field
//! that is skipped and one that is opaque, and a strong link that can close a cycle.
//! Defined here, in another crate than the tests, so reflection is also exercised across a
//! crate boundary.

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use rcobj::reflect::{Reflect, Value};
use rcobj::{AnyObj, Obj, Object, WeakObj};

/// The root of the IR: where a node is, and a weak link to the node that adopted it.
#[derive(Object, Default)]
#[object(key = "ir.Node")]
pub struct Node {
    /// Source span (start, end).
    pub span: (u32, u32),
    /// The adopting node, set once.
    pub parent: OnceLock<WeakObj<Node>>,
}

/// An expression: a node with a type name.
#[derive(Object, Default)]
#[repr(C)]
#[object(key = "ir.Expr")]
pub struct Expr {
    /// The parent.
    #[parent]
    pub node: Node,
    /// The type, e.g. `"i64"`.
    pub ty: &'static str,
}

/// A variable.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Var", final)]
pub struct Var {
    /// The parent.
    #[parent]
    pub expr: Expr,
    /// The variable's name.
    pub name: String,
}

/// A constant.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Const", final)]
pub struct Const {
    /// The parent.
    #[parent]
    pub expr: Expr,
    /// The value.
    pub value: i64,
}

/// A sum.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Add", final)]
pub struct Add {
    /// The parent.
    #[parent]
    pub expr: Expr,
    /// Left operand.
    pub lhs: Obj<Expr>,
    /// Right operand.
    pub rhs: Obj<Expr>,
}

/// A call, with a memo table that reflection does not see (skipped) and one it cannot
/// (opaque).
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Call", final)]
pub struct Call {
    /// The parent.
    #[parent]
    pub expr: Expr,
    /// The callee.
    #[object(rename = "callee")]
    pub func: String,
    /// The arguments.
    pub args: Vec<Obj<Expr>>,
    /// Skipped: not part of the call's structure.
    #[object(skip)]
    pub calls: u32,
}

/// A node with an opaque field.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Annotated", final)]
pub struct Annotated {
    /// The parent.
    #[parent]
    pub expr: Expr,
    /// Opaque: `HashMap` does not implement `Reflect`.
    pub notes: HashMap<String, String>,
}

/// A block of statements, a sibling of `Expr` under `Node`.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Block")]
pub struct Block {
    /// The parent.
    #[parent]
    pub node: Node,
    /// The statements.
    pub stmts: Vec<Obj<Node>>,
    /// An optional label.
    pub label: Option<String>,
}

/// A tuple struct: a pair of objects and a tag.
#[derive(Object)]
#[object(key = "ir.Pair")]
pub struct Pair(pub Obj<Node>, pub Option<Obj<Node>>, pub u8);

/// A strong link set after construction, so that it can close a cycle of strong
/// references (and be cleared to break it).
pub struct StrongLink(UnsafeCell<Option<AnyObj>>);

// SAFETY: the cell is written only by `set` and `clear`, whose callers promise that no
// other thread uses the link meanwhile (see their docs).
unsafe impl Sync for StrongLink {}

impl StrongLink {
    /// An empty link.
    pub fn new() -> StrongLink {
        StrongLink(UnsafeCell::new(None))
    }

    /// Points the link at `target`.
    ///
    /// # Safety
    ///
    /// No one reads the link meanwhile (no `Value` borrowed from it is alive, no other
    /// thread uses it).
    pub unsafe fn set(&self, target: AnyObj) {
        // SAFETY: exclusive use, per the caller.
        unsafe { *self.0.get() = Some(target) }
    }

    /// Empties the link, releasing its target.
    ///
    /// # Safety
    ///
    /// As for [`set`](StrongLink::set).
    pub unsafe fn clear(&self) {
        // SAFETY: exclusive use, per the caller.
        let old = unsafe { (*self.0.get()).take() };
        drop(old);
    }
}

impl Default for StrongLink {
    fn default() -> Self {
        StrongLink::new()
    }
}

impl Reflect for StrongLink {
    fn reflect(&self) -> Value<'_> {
        // SAFETY: reads race with no write (see `set` and `clear`).
        match unsafe { &*self.0.get() } {
            Some(o) => Value::Object(o),
            None => Value::None,
        }
    }
}

/// A node whose strong link may close a cycle.
#[derive(Object, Default)]
#[object(key = "ir.Loop")]
pub struct Loop {
    /// A tag.
    pub tag: u8,
    /// The link.
    pub next: StrongLink,
}

/// A span for test nodes.
fn node(span: u32) -> Node {
    Node {
        span: (span, span + 1),
        parent: OnceLock::new(),
    }
}

/// A `Var` named `name`.
pub fn var(name: &str) -> Obj<Expr> {
    Obj::new(Var {
        expr: Expr {
            node: node(0),
            ty: "i64",
        },
        name: name.into(),
    })
    .upcast()
}

/// A `Const` of `value`.
pub fn konst(value: i64) -> Obj<Expr> {
    Obj::new(Const {
        expr: Expr {
            node: node(1),
            ty: "i64",
        },
        value,
    })
    .upcast()
}

/// Sets the parent link of `child` to `parent`, unless it was set already.
pub fn adopt<P: Object + Send + Sync + rcobj::IsA<Node>>(parent: &Obj<P>, child: &Obj<Expr>) {
    let parent: Obj<Node> = parent.clone().upcast();
    let _ = child.node.parent.set(Obj::downgrade(&parent));
}

/// `lhs + rhs`, adopting both.
pub fn add(lhs: Obj<Expr>, rhs: Obj<Expr>) -> Obj<Expr> {
    let sum = Obj::new(Add {
        expr: Expr {
            node: node(2),
            ty: "i64",
        },
        lhs: lhs.clone(),
        rhs: rhs.clone(),
    });
    adopt(&sum, &lhs);
    adopt(&sum, &rhs);
    sum.upcast()
}

/// `func(args...)`, adopting the arguments.
pub fn call(func: &str, args: Vec<Obj<Expr>>) -> Obj<Expr> {
    let c = Obj::new(Call {
        expr: Expr {
            node: node(3),
            ty: "i64",
        },
        func: func.into(),
        args: args.clone(),
        calls: 0,
    });
    for a in &args {
        adopt(&c, a);
    }
    c.upcast()
}

/// A tree with shared subtrees and parent links: `f(x + 1, x + (x + 1), y)`, where `x` is
/// one object reached three times and `x + 1` one object reached twice.
pub fn sample() -> Obj<Expr> {
    let x = var("x");
    let x1 = add(x.clone(), konst(1));
    call("f", vec![x1.clone(), add(x, x1), var("y")])
}
