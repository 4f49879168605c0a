//! A small compiler IR in the tvm style: an `Expr` base type, `Var`, `Const`, `Add` and
//! `Call` children, weak links from each node to its parent, and a rewrite pass
//! (substitution of variables by constants, then constant folding) built on
//! `Obj::make_mut` copy-on-write.
//!
//! Run with `cargo run -p rcobj-examples --example ir_tree`.
//!
//! What it shows:
//!
//! * children hold their parent through a `WeakObj`, so a tree has no reference cycle and
//!   is freed as soon as its root goes;
//! * a rewrite pass keeps the old tree intact: `make_mut` copies only the nodes on the path
//!   to a change, and unchanged subtrees are shared between the two versions;
//! * `make_mut`'s three outcomes: clone (the node is shared), in place (the only reference),
//!   move into a new object (the only strong reference, but weak references exist — here,
//!   the parent links of its children);
//! * behaviour through base handles, with no hand-written dispatch: an `Obj<Expr>` (or an
//!   `AnyObj`) prints with its real type's `Display`/`Debug`, and compares and hashes as
//!   its real type, so a `HashMap<Obj<Expr>, _>` finds structurally equal subtrees
//!   (common subexpressions) across node types; `make_mut` through an `Obj<Expr>` copies
//!   the real type;
//! * a module built with `Obj::new_cyclic`, whose functions link back to it weakly;
//! * per-type live counts before and after.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use rcobj::{AnyObj, Obj, Object, TypeInfo, WeakObj};

// ---------------------------------------------------------------------------------------
// The IR

/// A weak link to the enclosing expression. Cloning a node does not copy the link: the copy
/// has no parent until one adopts it.
#[derive(Default)]
struct ParentLink(Mutex<WeakObj<Expr>>);

impl ParentLink {
    fn get(&self) -> Option<Obj<Expr>> {
        self.0.lock().unwrap().upgrade()
    }

    fn set(&self, parent: WeakObj<Expr>) {
        *self.0.lock().unwrap() = parent;
    }
}

impl Clone for ParentLink {
    fn clone(&self) -> Self {
        ParentLink::default()
    }
}

// The link is not part of a node's value: it never makes two nodes differ.
impl PartialEq for ParentLink {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ParentLink {}

impl Hash for ParentLink {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl fmt::Debug for ParentLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ParentLink")
    }
}

/// The base of every expression node. `PartialEq`, `Hash`, `Debug` and `Display` of an
/// `Obj<Expr>` run the node's real type's impls (the derive records them), so every node
/// type derives its own.
#[derive(Object, Clone, Default, PartialEq, Eq, Hash, Debug)]
#[object(key = "ir.Expr")]
struct Expr {
    parent: ParentLink,
}

#[derive(Object, Clone, PartialEq, Eq, Hash, Debug)]
#[repr(C)]
#[object(key = "ir.Var", final)]
struct Var {
    #[parent]
    expr: Expr,
    name: String,
}

#[derive(Object, Clone, PartialEq, Eq, Hash, Debug)]
#[repr(C)]
#[object(key = "ir.Const", final)]
struct Const {
    #[parent]
    expr: Expr,
    value: i64,
}

#[derive(Object, Clone, PartialEq, Eq, Hash, Debug)]
#[repr(C)]
#[object(key = "ir.Add", final)]
struct Add {
    #[parent]
    expr: Expr,
    a: Obj<Expr>,
    b: Obj<Expr>,
}

#[derive(Object, Clone, PartialEq, Eq, Hash, Debug)]
#[repr(C)]
#[object(key = "ir.Call", final)]
struct Call {
    #[parent]
    expr: Expr,
    func: String,
    args: Vec<Obj<Expr>>,
}

// `Display` is the IR's surface syntax. Each `{}` of a child (an `Obj<Expr>`) prints the
// child's real type.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<expr>")
    }
}

impl fmt::Display for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Display for Const {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)
    }
}

impl fmt::Display for Add {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({} + {})", self.a, self.b)
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.func)?;
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{arg}")?;
        }
        f.write_str(")")
    }
}

/// Not an expression: a named function owning a body, with a weak link to its module.
/// Lives next to expressions in an `AnyObj` table below. It has no `Debug`: through an
/// `AnyObj` it prints as its key and address.
#[derive(Object)]
#[object(key = "ir.Function", final)]
struct Function {
    name: String,
    body: Obj<Expr>,
    module: WeakObj<Module>,
}

/// Functions, built with `new_cyclic` so that each links back to the module.
#[derive(Object)]
#[object(key = "ir.Module", final)]
struct Module {
    functions: Vec<Obj<Function>>,
}

// ---------------------------------------------------------------------------------------
// Building and reading trees

fn var(name: &str) -> Obj<Expr> {
    Obj::new(Var {
        expr: Expr::default(),
        name: name.into(),
    })
    .upcast()
}

fn konst(value: i64) -> Obj<Expr> {
    Obj::new(Const {
        expr: Expr::default(),
        value,
    })
    .upcast()
}

fn add(a: Obj<Expr>, b: Obj<Expr>) -> Obj<Expr> {
    adopt(
        Obj::new(Add {
            expr: Expr::default(),
            a,
            b,
        })
        .upcast(),
    )
}

fn call(func: &str, args: Vec<Obj<Expr>>) -> Obj<Expr> {
    adopt(
        Obj::new(Call {
            expr: Expr::default(),
            func: func.into(),
            args,
        })
        .upcast(),
    )
}

/// The children of a node: structure, not a standard trait, so found by `downcast_ref`
/// (O(1): the node types are final, so each check compares one index).
fn children(e: &Obj<Expr>) -> Vec<Obj<Expr>> {
    if let Some(add) = e.downcast_ref::<Add>() {
        vec![add.a.clone(), add.b.clone()]
    } else if let Some(call) = e.downcast_ref::<Call>() {
        call.args.clone()
    } else {
        Vec::new()
    }
}

/// Points every child's parent link at `node`.
fn adopt(node: Obj<Expr>) -> Obj<Expr> {
    for child in children(&node) {
        child.parent.set(Obj::downgrade(&node));
    }
    node
}

/// A node in the IR's syntax: its real type's `Display`, through the `Obj<Expr>`.
fn show(e: &Obj<Expr>) -> String {
    e.to_string()
}

/// Checks that every child of every node names that node as its parent.
fn check_parent_links(e: &Obj<Expr>) {
    for child in children(e) {
        let parent = child.parent.get().expect("a live parent");
        assert!(
            Obj::ptr_eq(&parent, e),
            "{} has a stale parent",
            show(&child)
        );
        check_parent_links(&child);
    }
}

/// Every node of a tree, root first, type-erased.
fn collect(e: &Obj<Expr>, out: &mut Vec<AnyObj>) {
    out.push(e.clone().upcast());
    for child in children(e) {
        collect(&child, out);
    }
}

fn const_value(e: &Obj<Expr>) -> Option<i64> {
    e.downcast_ref::<Const>().map(|c| c.value)
}

// ---------------------------------------------------------------------------------------
// The rewrite pass

/// Substitutes variables by constants and folds `Add`s of two constants. Returns the same
/// object when nothing below `e` changed, so unchanged subtrees stay shared.
struct Rewriter<'a> {
    env: &'a HashMap<&'a str, i64>,
    /// Nodes `make_mut` had to copy because the old tree still shares them.
    copied: usize,
    /// Nodes `make_mut` could modify where they were.
    in_place: usize,
}

impl Rewriter<'_> {
    fn rewrite(&mut self, e: &Obj<Expr>) -> Obj<Expr> {
        if let Some(v) = e.downcast_ref::<Var>() {
            return match self.env.get(v.name.as_str()) {
                Some(&value) => konst(value),
                None => e.clone(),
            };
        }
        if let Ok(mut node) = e.clone().downcast::<Add>() {
            let a = self.rewrite(&node.a);
            let b = self.rewrite(&node.b);
            if let (Some(x), Some(y)) = (const_value(&a), const_value(&b)) {
                return konst(x + y);
            }
            if Obj::ptr_eq(&a, &node.a) && Obj::ptr_eq(&b, &node.b) {
                return e.clone();
            }
            let before = Obj::as_ptr(&node);
            let m = Obj::make_mut(&mut node);
            m.a = a;
            m.b = b;
            self.count(before == Obj::as_ptr(&node));
            return adopt(node.upcast());
        }
        if let Ok(mut node) = e.clone().downcast::<Call>() {
            let args: Vec<Obj<Expr>> = node.args.iter().map(|a| self.rewrite(a)).collect();
            if args.iter().zip(&node.args).all(|(x, y)| Obj::ptr_eq(x, y)) {
                return e.clone();
            }
            let before = Obj::as_ptr(&node);
            Obj::make_mut(&mut node).args = args;
            self.count(before == Obj::as_ptr(&node));
            return adopt(node.upcast());
        }
        e.clone()
    }

    fn count(&mut self, in_place: bool) {
        if in_place {
            self.in_place += 1;
        } else {
            self.copied += 1;
        }
    }
}

// ---------------------------------------------------------------------------------------

fn types() -> [&'static TypeInfo; 7] {
    [
        Expr::type_info(),
        Var::type_info(),
        Const::type_info(),
        Add::type_info(),
        Call::type_info(),
        Function::type_info(),
        Module::type_info(),
    ]
}

/// Subtrees that occur more than once, by value: `Obj<Expr>` hashes and compares as each
/// node's real type, so a map keyed by handles groups equal subtrees whatever their type.
fn common_subexpressions(e: &Obj<Expr>) -> Vec<(String, usize)> {
    fn walk(e: &Obj<Expr>, seen: &mut HashMap<Obj<Expr>, usize>) {
        *seen.entry(e.clone()).or_default() += 1;
        for child in children(e) {
            walk(&child, seen);
        }
    }
    let mut seen = HashMap::new();
    walk(e, &mut seen);
    let mut repeated: Vec<(String, usize)> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(e, n)| (show(&e), n))
        .collect();
    repeated.sort();
    repeated
}

fn live_counts() -> Vec<usize> {
    types().iter().map(|t| t.live_count()).collect()
}

fn print_counts(label: &str) {
    let parts: Vec<String> = types()
        .iter()
        .map(|t| format!("{} {}", t.key(), t.live_count()))
        .collect();
    println!("live [{label}]: {}", parts.join(", "));
}

fn main() {
    print_counts("start");
    assert!(live_counts().iter().all(|&n| n == 0));

    // f(x + 2, y + (x + z)), with a weak parent link in every child.
    let tree = call(
        "f",
        vec![
            add(var("x"), konst(2)),
            add(var("y"), add(var("x"), var("z"))),
        ],
    );
    println!("\ntree:      {}", show(&tree));
    check_parent_links(&tree);
    let first = children(&tree)[0].clone();
    let up = first.parent.get().expect("a live parent");
    println!("{}'s parent link leads to {}", show(&first), show(&up));
    drop((first, up));
    print_counts("after building");
    assert_eq!(live_counts(), [0, 4, 1, 3, 1, 0, 0]);

    // Equality and hashing through `Obj<Expr>`: the two `x` leaves are two objects, but
    // equal `Var`s; a `Var` never equals a `Const`.
    let repeated = common_subexpressions(&tree);
    println!("repeated subtrees: {repeated:?}");
    assert_eq!(repeated, [("x".to_string(), 2)]);
    assert!(var("x") == var("x") && var("x") != var("y") && konst(1) != var("x"));
    println!("Debug of a node through its base handle: {:?}", konst(2));
    assert_eq!(
        format!("{:?}", konst(2)),
        "Const { expr: Expr { parent: ParentLink }, value: 2 }"
    );

    // Substitute x = 1 and z = 4, then fold: the old tree stays as it was.
    let env = HashMap::from([("x", 1), ("z", 4)]);
    let mut pass = Rewriter {
        env: &env,
        copied: 0,
        in_place: 0,
    };
    let new = pass.rewrite(&tree);
    println!("\nrewritten: {}", show(&new));
    println!("old tree:  {}", show(&tree));
    assert_eq!(show(&new), "f(3, (y + 5))");
    assert_eq!(show(&tree), "f((x + 2), (y + (x + z)))");
    println!(
        "make_mut copied {} shared node(s) and modified {} in place",
        pass.copied, pass.in_place
    );
    assert_eq!((pass.copied, pass.in_place), (2, 0));
    check_parent_links(&new);

    // The unchanged leaf `y` is one object shared by both versions. A node has one parent
    // link, so a shared node's link leads to the version that adopted it last (the new one).
    let old_y = children(&children(&tree)[1])[0].clone();
    let new_y = children(&children(&new)[1])[0].clone();
    assert!(Obj::ptr_eq(&old_y, &new_y));
    assert_eq!(Obj::strong_count(&new_y), 4);
    println!("`y` is one object held by both trees (and our two handles): strong count 4");
    let y_parent = new_y.parent.get().expect("a live parent");
    assert!(Obj::ptr_eq(&y_parent, &children(&new)[1]));
    drop((old_y, new_y, y_parent));
    print_counts("both trees alive");

    // A module whose functions link back to it: built in one step with `new_cyclic`.
    let module = Obj::new_cyclic(|me: &WeakObj<Module>| Module {
        functions: vec![Obj::new(Function {
            name: "main".into(),
            body: new.clone(),
            module: me.clone(),
        })],
    });
    let function = module.functions[0].clone();
    let home = function.module.upgrade().expect("the module is alive");
    assert!(Obj::ptr_eq(&home, &module));
    println!(
        "\nmodule with {} function(s); `{}` links back to it",
        home.functions.len(),
        function.name
    );
    drop(home);

    // Type-erased handles: a table of `AnyObj`s of mixed types.
    let mut table: Vec<AnyObj> = vec![function.clone().into()];
    collect(&new, &mut table);
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for any in &table {
        *by_key.entry(Obj::type_info(any).key()).or_default() += 1;
    }
    let mut keys: Vec<_> = by_key.into_iter().collect();
    keys.sort();
    println!("\nAnyObj table by real type: {keys:?}");
    let exprs = table.iter().filter(|a| a.is::<Expr>()).count();
    println!("{exprs} of {} entries are `ir.Expr`s", table.len());
    assert_eq!(exprs, table.len() - 1);
    let f = table[0]
        .downcast_ref::<Function>()
        .expect("the first entry is the function");
    println!("function `{}` has body {}", f.name, show(&f.body));
    // `Debug` through `AnyObj`: the real type's, or its key and address if it has none.
    println!("table[1] = {:?}", table[1]);
    assert!(format!("{:?}", table[1]).starts_with("Call {"));
    assert!(format!("{:?}", table[0]).starts_with("ir.Function@0x"));
    // Equal entries of the table, by the real types' `==`.
    assert!(table[1] == new.clone().upcast());
    drop((table, function, module));

    // Dropping the old tree frees every node it alone held, through strong handles only:
    // the weak parent links form no cycle.
    drop(tree);
    print_counts("old tree dropped");
    assert_eq!(live_counts(), [0, 1, 2, 1, 1, 0, 0]);

    // make_mut through the base handle of a shared node copies its real type.
    let mut shared: Obj<Expr> = children(&new)[0].clone();
    let copy_before = Obj::as_ptr(&shared);
    Obj::make_mut(&mut shared);
    assert_ne!(copy_before, Obj::as_ptr(&shared));
    assert!(shared.is::<Const>() && shared == children(&new)[0]);
    println!("\nmake_mut through an Obj<Expr> of a shared Const: a new Const, {shared}");
    drop(shared);

    // make_mut on the only reference, no weak reference: in place.
    let mut leaf = children(&new)[0].clone().downcast::<Const>().ok().unwrap();
    drop(new);
    // `leaf` is now the only handle, and the detached leaf has no children pointing at it.
    assert!(leaf.expr.parent.get().is_none(), "its parent was freed");
    let before = Obj::as_ptr(&leaf);
    Obj::make_mut(&mut leaf).value = 30;
    assert_eq!(before, Obj::as_ptr(&leaf));
    println!("the only handle to a leaf: make_mut modified it in place");

    // make_mut on the only strong reference of a node whose children link back to it:
    // the value moves into a new object and the weak links are disassociated.
    let root = call("g", vec![var("a"), leaf.upcast()]);
    let arg = children(&root)[0].clone();
    let mut g = root.downcast::<Call>().ok().unwrap();
    let before = Obj::as_ptr(&g);
    Obj::make_mut(&mut g).func = "h".into();
    assert_ne!(before, Obj::as_ptr(&g));
    assert!(arg.parent.get().is_none());
    println!("a node its children link to: make_mut moved it (the links are now dangling)");
    let root = adopt(g.upcast());
    check_parent_links(&root);
    println!("re-adopted: {}", show(&root));
    drop((arg, root));

    print_counts("end");
    assert!(live_counts().iter().all(|&n| n == 0));
    println!("\nevery node was freed");
}
