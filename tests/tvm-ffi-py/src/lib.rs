//! The Rust side of `tests/python/test_tvm_ffi.py`: object types and functions that Python
//! reaches through tvm-ffi.
//!
//! Python loads this library with `tvm_ffi.load_module(path)`, which finds the functions it
//! exports as `__tvm_ffi_NAME` symbols. `mod.register()` puts the rcobj types (through the
//! registry, whose indices tvm-ffi allocates) and the global functions `rcobj_demo.*` into
//! tvm-ffi. See `.ci/python.sh`.
//!
//! Built without the `tvm-ffi` feature, the library only exports `make_tree`, which hands
//! Python an rcobj object through the raw C ABI: tvm-ffi was told nothing about its type.

use rcobj::{Obj, Object};

/// A point. `Default`, so that Python can build one by keyword: `Point(x=1.0, y=2.0)`.
#[derive(Object, Default, Debug, Clone, PartialEq)]
#[object(key = "rcobj_demo.Point", final)]
pub struct Point {
    /// Horizontal.
    pub x: f64,
    /// Vertical.
    pub y: f64,
}

/// A node of a tree. `Default`, like every type here, so tvm-ffi can create one to fill in
/// (keyword construction, JSON loading).
#[derive(Object, Default, Debug)]
#[object(key = "rcobj_demo.Node")]
pub struct Node {
    /// A name.
    pub label: String,
    /// A number.
    pub weight: i64,
    /// Where it is, if anywhere.
    pub at: Option<Obj<Point>>,
    /// The subtrees (some of them `Leaf`s).
    pub children: Vec<Obj<Node>>,
}

/// A node without children, with a note: a child type of [`Node`].
#[derive(Object, Default, Debug)]
#[repr(C)]
#[object(key = "rcobj_demo.Leaf", final)]
pub struct Leaf {
    /// The node part.
    #[parent]
    pub node: Node,
    /// Something about the leaf.
    pub note: String,
}

/// A tree of the given depth: a node has two children down to depth 0, where the children
/// are two `Leaf`s. The same depth always builds an equal tree.
pub fn make_tree(depth: i64) -> Obj<Node> {
    let children = if depth <= 0 {
        (0..2)
            .map(|i| {
                Obj::new(Leaf {
                    node: Node {
                        label: format!("leaf{i}"),
                        weight: i,
                        at: None,
                        children: Vec::new(),
                    },
                    note: format!("a leaf with a note longer than seven bytes, #{i}"),
                })
                .upcast::<Node>()
            })
            .collect()
    } else {
        (0..2).map(|_| make_tree(depth - 1)).collect()
    };
    Obj::new(Node {
        label: format!("depth{depth}"),
        weight: depth * 10,
        at: Some(Obj::new(Point {
            x: depth as f64,
            y: -(depth as f64),
        })),
        children,
    })
}

/// The sum of the weights of a tree.
pub fn sum_weights(node: &Node) -> i64 {
    node.weight + node.children.iter().map(|c| sum_weights(c)).sum::<i64>()
}

#[cfg(feature = "tvm-ffi")]
mod exported {
    use core::ffi::c_void;

    use rcobj::tvm_ffi::{call_exported, register_global, Error, RawAny};
    use rcobj::{AnyObj, Obj, Object};

    use super::{make_tree, sum_weights, Leaf, Node, Point};

    /// Registers the types and the `rcobj_demo.*` global functions; returns the type keys.
    fn register() -> Result<Vec<String>, Error> {
        // The registry's first use allocates every linked type's index in tvm-ffi and
        // registers its fields, before any object can reach Python.
        let _ = rcobj::registry::by_key("");
        register_global("rcobj_demo.make_tree", &["depth"], make_tree)?;
        register_global("rcobj_demo.sum_weights", &["node"], |n: Obj<Node>| {
            sum_weights(&n)
        })?;
        register_global("rcobj_demo.count_leaves", &["root"], |root: AnyObj| {
            // An object that came back from Python, downcast here.
            let root = root.downcast::<Node>().map_err(|o| {
                Error::type_error(format!("not a node: {}", Obj::type_info(&o).key()))
            })?;
            Ok::<_, Error>(count_leaves(&root))
        })?;
        register_global("rcobj_demo.point_norm", &["p"], |p: Obj<Point>| {
            p.x.hypot(p.y)
        })?;
        register_global(
            "rcobj_demo.fail",
            &["message"],
            |m: String| -> Result<i64, Error> { Err(Error::value_error(m)) },
        )?;
        register_global("rcobj_demo.live_counts", &[], || -> Vec<i64> {
            [Node::type_info(), Leaf::type_info(), Point::type_info()]
                .iter()
                .map(|t| t.live_count() as i64)
                .collect()
        })?;
        Ok([Node::type_info(), Leaf::type_info(), Point::type_info()]
            .iter()
            .map(|t| t.key().to_string())
            .collect())
    }

    fn count_leaves(node: &Obj<Node>) -> i64 {
        node.children
            .iter()
            .map(|c| if c.is::<Leaf>() { 1 } else { count_leaves(c) })
            .sum()
    }

    /// `mod.register()`.
    ///
    /// # Safety
    ///
    /// Called by tvm-ffi as a `safe_call`.
    #[export_name = "__tvm_ffi_register"]
    pub unsafe extern "C" fn tvm_ffi_register(
        _: *mut c_void,
        args: *const RawAny,
        num_args: i32,
        result: *mut RawAny,
    ) -> i32 {
        // SAFETY: tvm-ffi passes valid arguments and a result slot.
        unsafe { call_exported("register", &[], register, args, num_args, result) }
    }
}

#[cfg(not(feature = "tvm-ffi"))]
mod exported {
    use core::ffi::c_void;

    use rcobj::{AnyObject, Obj, Object};

    use super::{make_tree, Node};

    /// `TVMFFIAny`, by hand (no tvm-ffi support in this build).
    #[repr(C)]
    pub struct RawAny {
        type_index: i32,
        zero_padding: u32,
        value: u64,
    }

    /// `mod.make_tree()`: a tree of depth 1, returned as a bare object pointer with the
    /// index rcobj's registry gave its type, which tvm-ffi has never heard of.
    ///
    /// # Safety
    ///
    /// Called by tvm-ffi as a `safe_call` with a valid result slot.
    #[export_name = "__tvm_ffi_make_tree"]
    pub unsafe extern "C" fn tvm_ffi_make_tree(
        _: *mut c_void,
        _args: *const RawAny,
        _num_args: i32,
        result: *mut RawAny,
    ) -> i32 {
        let index = Node::type_info().index();
        let raw = Obj::into_raw(make_tree(1).upcast::<AnyObject>());
        // SAFETY: a valid result slot; the object's one strong reference moves into it.
        unsafe {
            result.write(RawAny {
                type_index: index,
                zero_padding: 0,
                value: raw as u64,
            })
        };
        0
    }
}
