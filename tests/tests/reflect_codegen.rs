//! Reflection for generated code: object types emitted by a `macro_rules!` generator that
//! reaches the runtime through a re-export (`#[object(crate = "...")]`), as a code
//! generator or a crate wrapping rcobj would. Every service runs on them.

/// The "wrapping crate": rcobj under another name.
mod wrapper {
    pub use ::rcobj as rt;
}

/// The generator: root, child and tuple node types, with doc comments and field
/// attributes passed through.
macro_rules! ir {
    (root $name:ident = $key:literal { $($(#[$m:meta])* $f:ident : $t:ty),* $(,)? }) => {
        #[derive(crate::wrapper::rt::Object)]
        #[object(crate = "crate::wrapper::rt", key = $key)]
        pub struct $name { $($(#[$m])* pub $f: $t),* }
    };
    (child $name:ident : $parent:ty = $key:literal { $($(#[$m:meta])* $f:ident : $t:ty),* $(,)? }) => {
        #[derive(crate::wrapper::rt::Object)]
        #[repr(C)]
        #[object(crate = "crate::wrapper::rt", key = $key, final)]
        pub struct $name { #[parent] pub base: $parent, $($(#[$m])* pub $f: $t),* }
    };
    (tuple $name:ident = $key:literal ($($t:ty),*)) => {
        #[derive(crate::wrapper::rt::Object)]
        #[object(crate = "crate::wrapper::rt", key = $key)]
        pub struct $name($(pub $t),*);
    };
}

mod generated {
    use crate::wrapper::rt::{Obj, WeakObj};

    ir!(root Expr = "gen.Expr" {
        /// Where the expression came from.
        origin: u32,
        up: WeakObj<Expr>,
    });
    ir!(child Lit: Expr = "gen.Lit" { value: f64 });
    ir!(child Name: Expr = "gen.Name" {
        #[object(rename = "id")]
        ident: String,
    });
    ir!(child Bin: Expr = "gen.Bin" {
        op: char,
        args: [Obj<Expr>; 2],
        #[object(skip)]
        memo: Option<u64>,
    });
    ir!(tuple Module = "gen.Module" (String, Vec<Obj<Expr>>));
}

use generated::{Bin, Expr, Lit, Module, Name};
use wrapper::rt::reflect::{repr, structural_eq, structural_hash, visit_children, walk, Value};
use wrapper::rt::{AnyObj, Obj, Object, WeakObj};

fn expr() -> Expr {
    Expr {
        origin: 7,
        up: WeakObj::new(),
    }
}

fn lit(value: f64) -> Obj<Expr> {
    Obj::new(Lit {
        base: expr(),
        value,
    })
    .upcast()
}

fn name(id: &str) -> Obj<Expr> {
    Obj::new(Name {
        base: expr(),
        ident: id.into(),
    })
    .upcast()
}

fn bin(op: char, a: Obj<Expr>, b: Obj<Expr>) -> Obj<Expr> {
    Obj::new(Bin {
        base: expr(),
        op,
        args: [a, b],
        memo: None,
    })
    .upcast()
}

/// `m = [x * (x + 0.5)]`, with `x` shared.
fn module() -> Obj<Module> {
    let x = name("x");
    let sum = bin('+', x.clone(), lit(0.5));
    Obj::new(Module("m".into(), vec![bin('*', x, sum)]))
}

#[test]
fn the_field_table_of_generated_types() {
    let names: Vec<&str> = Name::type_info().all_fields().map(|f| f.name()).collect();
    assert_eq!(names, ["origin", "up", "id"]);
    assert_eq!(
        Expr::type_info().fields()[0].doc(),
        "Where the expression came from."
    );
    assert_eq!(Bin::type_info().fields()[1].type_name(), "[Obj<Expr>; 2]");
    assert_eq!(Bin::type_info().fields().len(), 2, "`memo` is skipped");
    let m: Vec<&str> = Module::type_info()
        .fields()
        .iter()
        .map(|f| f.name())
        .collect();
    assert_eq!(m, ["0", "1"]);
    let n = name("n");
    assert!(matches!(
        Name::type_info().field("id").unwrap().get(&n),
        Some(Value::Str("n"))
    ));
}

#[test]
fn repr_of_generated_types() {
    assert_eq!(
        repr(&module()),
        concat!(
            r#"gen.Module(0="m", 1=[gen.Bin(origin=7, up=weak(None), op='*', args=["#,
            r#"gen.Name#1(origin=7, up=weak(None), id="x"), "#,
            r#"gen.Bin(origin=7, up=weak(None), op='+', args=[gen.Name#1, "#,
            r#"gen.Lit(origin=7, up=weak(None), value=0.5)])])])"#
        )
    );
}

#[test]
fn equality_and_hash_of_generated_types() {
    let (a, b) = (module(), module());
    assert!(structural_eq(&a, &b));
    assert_eq!(structural_hash(&a), structural_hash(&b));
    let other = Obj::new(Module("m".into(), vec![bin('*', name("x"), lit(0.5))]));
    assert!(!structural_eq(&a, &other));
}

#[test]
fn visiting_generated_types() {
    let m = module();
    let mut kids = 0;
    visit_children(&m, |_| kids += 1);
    assert_eq!(kids, 1);
    let mut keys = vec![];
    walk(&m, |n: &AnyObj| keys.push(Obj::type_info(n).key()));
    assert_eq!(
        keys,
        ["gen.Module", "gen.Bin", "gen.Name", "gen.Bin", "gen.Lit"]
    );
}
