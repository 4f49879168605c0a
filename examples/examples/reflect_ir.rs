//! Reflection on a small IR: the derive describes every field, and generic services print,
//! compare, hash and walk the IR without a line of per-type code.
//!
//! Run with `cargo run -p rcobj-examples --example reflect_ir`.
//!
//! What it shows:
//!
//! * the field table of a type (`TypeInfo::all_fields`): names, offsets from the object
//!   header, types as written, doc comments; a skipped and an opaque field;
//! * `repr` of a program with a shared subexpression and variable references that point
//!   back to their `let` through weak references (shared nodes are printed once and
//!   referred to by label; the weak back-links do not loop);
//! * `structural_eq` / `structural_hash` on two programs built apart, through `AnyObj`;
//! * common subexpressions found by hashing every node (`walk`) and confirming with
//!   `structural_eq`: two references to one `let` are equal, wherever they are;
//! * `visit_children` to compute a tree's depth, through the base handle `Obj<Expr>`.

use std::collections::HashMap;
use std::sync::OnceLock;

use rcobj::reflect::{repr, structural_eq, structural_hash, visit_children, walk, AsAnyObj};
use rcobj::{AnyObj, Obj, Object, WeakObj};

// ---------------------------------------------------------------------------------------
// The IR

/// The base of every expression.
#[derive(Object, Default)]
#[object(key = "ir.Expr")]
struct Expr {
    /// How often a pass looked at the node: bookkeeping, not structure.
    #[object(skip)]
    visits: u32,
}

/// `let name = value in body`.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Let", final)]
struct Let {
    #[parent]
    expr: Expr,
    /// The bound variable's name.
    name: String,
    value: Obj<Expr>,
    body: OnceLock<Obj<Expr>>,
}

/// A use of a variable: a weak link back to the `let` that binds it.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Ref", final)]
struct Ref {
    #[parent]
    expr: Expr,
    binding: WeakObj<Let>,
}

/// An integer constant.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Const", final)]
struct Const {
    #[parent]
    expr: Expr,
    value: i64,
}

/// A binary operation.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Binary", final)]
struct Binary {
    #[parent]
    expr: Expr,
    /// `'+'`, `'*'`…
    op: char,
    lhs: Obj<Expr>,
    rhs: Obj<Expr>,
}

/// A call.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Call", final)]
struct Call {
    #[parent]
    expr: Expr,
    #[object(rename = "callee")]
    func: String,
    args: Vec<Obj<Expr>>,
    /// Results seen so far. `HashMap` does not implement `Reflect`, so without `skip` the
    /// field would be opaque, and a `Call` would equal only itself.
    #[object(skip)]
    cache: HashMap<String, i64>,
}

/// A value from outside the IR, which reflection cannot see into: `Instant` does not
/// implement `Reflect`, so the field is listed as opaque.
#[derive(Object)]
#[repr(C)]
#[object(key = "ir.Native", final)]
struct Native {
    #[parent]
    expr: Expr,
    created: std::time::Instant,
}

fn konst(value: i64) -> Obj<Expr> {
    Obj::new(Const {
        expr: Expr::default(),
        value,
    })
    .upcast()
}

fn binary(op: char, lhs: Obj<Expr>, rhs: Obj<Expr>) -> Obj<Expr> {
    Obj::new(Binary {
        expr: Expr::default(),
        op,
        lhs,
        rhs,
    })
    .upcast()
}

fn call(func: &str, args: Vec<Obj<Expr>>) -> Obj<Expr> {
    Obj::new(Call {
        expr: Expr::default(),
        func: func.into(),
        args,
        cache: HashMap::new(),
    })
    .upcast()
}

/// `let name = value in body(reference)`: `body` gets a way to make references to the
/// new binding.
fn let_in(
    name: &str,
    value: Obj<Expr>,
    body: impl FnOnce(&dyn Fn() -> Obj<Expr>) -> Obj<Expr>,
) -> Obj<Expr> {
    let binding = Obj::new(Let {
        expr: Expr::default(),
        name: name.into(),
        value,
        body: OnceLock::new(),
    });
    let weak = Obj::downgrade(&binding);
    let reference = || -> Obj<Expr> {
        Obj::new(Ref {
            expr: Expr::default(),
            binding: weak.clone(),
        })
        .upcast()
    };
    let _ = binding.body.set(body(&reference));
    binding.upcast()
}

/// `let x = 5 in let y = 2 in f((x + 1) * (x + 1), (x + 1) * y)`, where `x + 1` is written
/// three times but the first two occurrences are one shared object.
fn program() -> Obj<Expr> {
    let_in("x", konst(5), |x| {
        let_in("y", konst(2), |y| {
            let x1 = binary('+', x(), konst(1));
            call(
                "f",
                vec![
                    binary('*', x1.clone(), x1),
                    binary('*', binary('+', x(), konst(1)), y()),
                ],
            )
        })
    })
}

// ---------------------------------------------------------------------------------------

fn print_fields(info: &rcobj::TypeInfo) {
    println!("fields of {} (inherited first):", info.key());
    for f in info.all_fields() {
        println!(
            "  {:<8} offset {:>3}  size {:>2}  {:<20} {}{}",
            f.name(),
            f.offset(),
            f.size(),
            f.type_name(),
            if f.is_opaque() { "[opaque] " } else { "" },
            f.doc().lines().next().unwrap_or("")
        );
    }
}

fn depth(e: &AnyObj) -> usize {
    let mut deepest = 0;
    visit_children(e, |c| deepest = deepest.max(depth(c)));
    deepest + 1
}

fn main() {
    // The field table, as the derive wrote it.
    for info in [Let::type_info(), Call::type_info(), Native::type_info()] {
        print_fields(info);
    }
    let names: Vec<&str> = Call::type_info().all_fields().map(|f| f.name()).collect();
    assert_eq!(
        names,
        ["callee", "args"],
        "`visits` and `cache` are skipped"
    );
    assert!(Native::type_info().fields()[0].is_opaque());

    // repr: shared nodes once, weak back-links as labels.
    let p = program();
    let text = repr(&p);
    println!("\nrepr:\n  {text}");
    assert!(text.starts_with(r#"ir.Let#1(name="x", value=ir.Const(value=5), body=ir.Let#2("#));
    assert_eq!(
        text.matches("ir.Binary#3(").count(),
        1,
        "the shared `x + 1`, once"
    );
    assert_eq!(text.matches("binding=weak(ir.Let#1)").count(), 2);

    // Structural equality and hashing, through type-erased handles. The references compare
    // by where their `let` is in the program.
    let a: AnyObj = program().upcast();
    let b: AnyObj = program().upcast();
    println!(
        "\ntwo programs built apart: equal {}, hashes {:#018x} and {:#018x}",
        structural_eq(&a, &b),
        structural_hash(&a),
        structural_hash(&b)
    );
    assert!(structural_eq(&a, &b));
    assert_eq!(structural_hash(&a), structural_hash(&b));
    let swapped = let_in("x", konst(5), |x| {
        let_in("y", konst(2), |y| call("f", vec![y(), x()]))
    });
    let unswapped = let_in("x", konst(5), |x| {
        let_in("y", konst(2), |y| call("f", vec![x(), y()]))
    });
    assert!(!structural_eq(&swapped, &unswapped));

    // An opaque field compares by identity: a `Native` equals only itself.
    let now = std::time::Instant::now();
    let native = || -> Obj<Expr> {
        Obj::new(Native {
            expr: Expr::default(),
            created: now,
        })
        .upcast()
    };
    let n = native();
    assert!(structural_eq(&n, &n) && !structural_eq(&n, &native()));
    println!(
        "a node with an opaque field equals only itself: {}",
        repr(&n)
    );

    // Common subexpressions: every node's structural hash, confirmed by structural_eq.
    // Inside a subexpression, a reference's `let` lies outside: it compares by identity,
    // so two uses of one variable are equal, and uses of different ones are not.
    let mut by_hash: HashMap<u64, Vec<&AnyObj>> = HashMap::new();
    let mut nodes = 0;
    walk(&p, |n| {
        nodes += 1;
        by_hash.entry(structural_hash(n)).or_default().push(n);
    });
    println!("\n{nodes} distinct nodes; repeated subexpressions:");
    let mut repeated: Vec<String> = Vec::new();
    for group in by_hash.values() {
        let first = group[0];
        let equal = group.iter().filter(|n| structural_eq(**n, first)).count();
        if equal > 1 {
            repeated.push(format!("  {equal}x {}", repr(first)));
        }
    }
    repeated.sort();
    for r in &repeated {
        println!("{r}");
    }
    assert_eq!(repeated.len(), 3, "x, 1 and x + 1: {repeated:#?}");

    // visit_children through the base handle.
    let d = depth(p.as_any_obj());
    println!("\ndepth of the program: {d}");
    assert_eq!(d, 6);

    // The skipped field really is invisible to the services.
    let mut k = konst(1);
    Obj::get_mut(&mut k).unwrap().visits = 10;
    assert!(structural_eq(&k, &konst(1)));
    println!("a pass's bookkeeping (#[object(skip)]) does not change equality");
}
