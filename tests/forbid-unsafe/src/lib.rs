//! A user's crate: it forbids unsafe code and derives object types, roots and children
//! alike, with every attribute form. `#[derive(Object)]` writes `unsafe` code, but it is the
//! derive's own (it carries the derive's spans, not the user's), so it compiles here; if it
//! did not, this crate would not build.

#![forbid(unsafe_code)]

use rcobj::Object;

/// Where the runtime is, as a crate wrapping rcobj would re-export it.
pub mod runtime {
    pub use ::rcobj::*;
}

/// A root.
#[derive(Object, Debug, Clone, PartialEq)]
#[object(key = "forbid_unsafe.Expr")]
pub struct Expr {
    /// Source position.
    pub span: (u32, u32),
}

/// A child, through a relative parent path and the re-exported runtime.
#[derive(runtime::Object, Debug, Clone, PartialEq)]
#[repr(C)]
#[object(key = "forbid_unsafe.Call", crate = "crate::runtime")]
pub struct Call {
    /// The parent.
    #[parent]
    pub expr: self::Expr,
    /// The callee.
    pub callee: String,
}

/// A grandchild, final, a tuple struct with the default key.
#[derive(Object, Debug, Clone, PartialEq)]
#[repr(C)]
#[object(final)]
pub struct MethodCall(#[parent] pub Call, pub u8);

/// A root more aligned than the header, and its child.
#[derive(Object, Debug)]
#[repr(align(64))]
pub struct Line(pub [u8; 64]);

/// A child as aligned as its parent.
#[derive(Object, Debug)]
#[repr(C, align(64))]
pub struct TaggedLine {
    /// The parent.
    #[parent]
    pub line: Line,
    /// A tag.
    pub tag: u8,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcobj::{AnyObj, AnyObject, Obj};

    fn method_call() -> Obj<MethodCall> {
        Obj::new(MethodCall(
            Call {
                expr: Expr { span: (1, 2) },
                callee: "f".into(),
            },
            3,
        ))
    }

    #[test]
    fn three_levels_cast_both_ways() {
        let m = method_call();
        assert_eq!(MethodCall::type_info().depth(), 3);
        let keys: Vec<&str> = MethodCall::type_info()
            .ancestors()
            .iter()
            .map(|t| t.key())
            .collect();
        assert_eq!(
            keys,
            ["rcobj.Object", "forbid_unsafe.Expr", "forbid_unsafe.Call"]
        );
        let call: Obj<Call> = m.clone().upcast();
        let expr: Obj<Expr> = m.clone().upcast();
        let any: AnyObj = m.clone().upcast::<AnyObject>();
        assert_eq!((call.callee.as_str(), expr.span), ("f", (1, 2)));
        assert!(any.is::<Expr>() && any.is::<Call>() && any.is::<MethodCall>());
        assert_eq!(any.downcast_ref::<MethodCall>().map(|c| c.1), Some(3));
        let back: Obj<MethodCall> = expr.downcast().ok().unwrap();
        assert!(Obj::ptr_eq(&back, &m));
    }

    #[test]
    fn over_aligned_levels() {
        let t = Obj::new(TaggedLine {
            line: Line([7; 64]),
            tag: 1,
        });
        let line: Obj<Line> = t.upcast();
        assert_eq!(Obj::as_ptr(&line) as usize % 64, 0);
        let any: AnyObj = line.upcast();
        assert_eq!(any.downcast_ref::<TaggedLine>().map(|t| t.tag), Some(1));
        assert_eq!(any.downcast_ref::<Line>().map(|l| l.0[63]), Some(7));
    }
}
