#!/usr/bin/env python3
"""End-to-end test of rcobj's `tvm-ffi` feature, from Python.

Usage: test_tvm_ffi.py LIB [LIB_WITHOUT_FEATURE]

LIB is `librcobj_tvm_ffi_py.so` built with the feature (`tests/tvm-ffi-py`), and
LIB_WITHOUT_FEATURE the same crate built without it. `.ci/python.sh` builds both and runs
this script. It checks, on the Python side: type keys and the class hierarchy, field values,
`repr`, read-only fields, `structural_equal` of two separately built trees, a JSON graph
round trip, objects sent back into Rust and downcast there, keyword construction of a
`Default` type, Rust errors as Python exceptions (a wrong argument type as a `TypeError`
naming the parameter), and that every Rust type's `live_count()` is 0 once the Python
objects are gone. Against the build without the feature it shows tvm-ffi rejecting the
rcobj object's unknown type (ending the process) instead of misreading it.
"""

import gc
import os
import re
import subprocess
import sys

import tvm_ffi


def demo(lib):
    """The program shown in README.md ("From Python, through tvm-ffi")."""
    mod = tvm_ffi.load_module(lib)
    mod.register()  # rcobj's types and the `rcobj_demo.*` functions, into tvm-ffi
    make_tree = tvm_ffi.get_global_func("rcobj_demo.make_tree")

    tree = make_tree(2)  # a tree of rcobj objects, built in Rust
    print(type(tree).__tvm_ffi_type_info__.type_key, tree.label, tree.weight, tree.at.x)
    print(tree.children[1].children[0].children[1])  # rcobj_demo.Leaf(label="leaf1", ...)
    assert tvm_ffi.structural_equal(tree, make_tree(2))
    copy = tvm_ffi.serialization.from_json_graph_str(
        tvm_ffi.serialization.to_json_graph_str(tree))
    assert tvm_ffi.structural_equal(tree, copy)
    assert tvm_ffi.get_global_func("rcobj_demo.count_leaves")(copy) == 8  # downcast in Rust

    @tvm_ffi.register_object("rcobj_demo.Point")
    class Point(tvm_ffi.Object):
        pass

    assert tvm_ffi.get_global_func("rcobj_demo.point_norm")(Point(x=3.0, y=4.0)) == 5.0
    try:
        tvm_ffi.get_global_func("rcobj_demo.fail")("raised in Rust")
    except ValueError as e:
        print("ValueError:", e)
    return Point


def check(lib):
    Point = demo(lib)
    f = tvm_ffi.get_global_func
    make_tree, live_counts = f("rcobj_demo.make_tree"), f("rcobj_demo.live_counts")

    # Type keys and the class hierarchy, as tvm-ffi reports them.
    tree = make_tree(1)
    node_cls = type(tree)
    leaf = tree.children[0].children[0]
    leaf_cls = type(leaf)
    assert node_cls.__tvm_ffi_type_info__.type_key == "rcobj_demo.Node"
    assert leaf_cls.__tvm_ffi_type_info__.type_key == "rcobj_demo.Leaf"
    assert leaf_cls.__tvm_ffi_type_info__.parent_type_info.type_key == "rcobj_demo.Node"
    assert issubclass(leaf_cls, node_cls), "Leaf's parent is Node in Python too"
    assert type(tree.at).__tvm_ffi_type_info__.type_key == "rcobj_demo.Point"

    # Field values, read through the Rust getters.
    assert (tree.label, tree.weight) == ("depth1", 10)
    assert (tree.at.x, tree.at.y) == (1.0, -1.0)
    assert len(tree.children) == 2 and tree.children[1].label == "depth0"
    assert leaf.note == "a leaf with a note longer than seven bytes, #0"
    assert (leaf.label, leaf.weight, leaf.at) == ("leaf0", 0, None)  # inherited fields
    assert [fi.name for fi in node_cls.__tvm_ffi_type_info__.fields] == [
        "label", "weight", "at", "children"]
    assert tree.children[0].same_as(tree.children[0]), "objects are shared, not copied"

    # repr, through tvm-ffi's reflection printer.
    text = repr(leaf)
    assert text.startswith("rcobj_demo.Leaf(") and 'note="a leaf' in text, text
    assert 'label="depth1"' in repr(tree) and "rcobj_demo.Point(x=1" in repr(tree), repr(tree)

    # Fields are read-only from Python; a shared object is never written.
    try:
        tree.weight = 1
        raise AssertionError("a field was assigned")
    except AttributeError:
        pass
    shared = tree.children[0]  # also held by the tree's Vec
    try:
        type(shared).weight.set(shared, 99)  # tvm-ffi's escape hatch calls the Rust setter
        raise AssertionError("a shared object was written")
    except AttributeError as e:
        assert "read-only" in str(e), e
    assert shared.weight == 0

    # Structural equality of separately built trees, and inequality.
    assert tvm_ffi.structural_equal(make_tree(3), make_tree(3))
    assert not tvm_ffi.structural_equal(make_tree(3), make_tree(2))
    assert tvm_ffi.structural_hash(make_tree(2)) == tvm_ffi.structural_hash(make_tree(2))

    # JSON graph round trip: new rcobj objects, built by the types' creators and setters.
    big = make_tree(3)
    text = tvm_ffi.serialization.to_json_graph_str(big)
    back = tvm_ffi.serialization.from_json_graph_str(text)
    assert not back.same_as(big) and tvm_ffi.structural_equal(back, big)
    assert tvm_ffi.serialization.to_json_graph_str(back) == text

    # Objects sent back into Rust, converted to their Rust types there.
    assert f("rcobj_demo.sum_weights")(big) == f("rcobj_demo.sum_weights")(back)
    assert f("rcobj_demo.count_leaves")(back) == 16
    try:
        f("rcobj_demo.count_leaves")(big.at)
        raise AssertionError("a Point passed for a Node")
    except TypeError as e:
        assert "not a node: rcobj_demo.Point" in str(e), e

    # Keyword construction of `Default` types (fields not given keep their default).
    p = Point(x=3.0, y=4.0)
    assert (p.x, p.y) == (3.0, 4.0) and f("rcobj_demo.point_norm")(p) == 5.0
    assert (Point().x, Point(y=2.0).x) == (0.0, 0.0)

    @tvm_ffi.register_object("rcobj_demo.Node")
    class Node(tvm_ffi.Object):
        pass

    n = Node(label="made in Python", weight=7, children=[tree.children[0]])
    assert Node().label == "" and Node().children == ()
    assert (n.label, n.weight, n.at) == ("made in Python", 7, None)
    assert n.children[0].same_as(tree.children[0])
    assert f("rcobj_demo.sum_weights")(n) == 7 + 0 + 0 + 1
    try:
        Point(x="three")
        raise AssertionError("a str for a float field")
    except TypeError as e:
        assert "expected float, got str" in str(e), e

    # Rust errors as Python exceptions.
    try:
        f("rcobj_demo.fail")("bad input")
        raise AssertionError("no exception")
    except ValueError as e:
        assert "bad input" in str(e)
    try:
        make_tree("two")
        raise AssertionError("no exception")
    except TypeError as e:
        assert "argument `depth`" in str(e), e

    # Once the Python objects are gone, so are the Rust ones.
    assert live_counts() != (0, 0, 0)
    del tree, leaf, shared, big, back, text, p, n
    gc.collect()
    assert tuple(live_counts()) == (0, 0, 0), live_counts()
    print("with the feature: ok")


def without_feature_child(lib):
    """Runs in a subprocess: tvm-ffi gets an object of a type it was never told about."""
    mod = tvm_ffi.load_module(lib)
    obj = mod.make_tree()
    print("RETURNED", type(obj), flush=True)  # must not be reached


def check_without_feature(lib):
    proc = subprocess.run(
        [sys.executable, __file__, "--child-without-feature", lib],
        capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "RETURNED" not in proc.stdout, "tvm-ffi wrapped an object of an unknown type: " + out
    assert re.search(r"Cannot find type info for type_index=\d+", out), out
    print("without the feature: tvm-ffi rejects the unknown type (exit %d)" % proc.returncode)


def check_alloc_header_dormant():
    """include/README.md relies on Python's object tying being dormant in this wheel."""
    header = os.path.join(os.path.dirname(tvm_ffi.__file__), "include", "tvm_ffi_python_object.h")
    with open(header) as fh:
        src = fh.read()
    body = re.search(r"bool TVMFFIPyIsCanonical\(void\* chandle\) \{(.*?)\n\}", src, re.S)
    assert body and re.fullmatch(r"\s*\(void\)chandle;\s*return false;\s*", body.group(1)), (
        "tvm-ffi's object tying is no longer dormant: revisit the allocation-header "
        "decision in include/README.md")


if __name__ == "__main__":
    if sys.argv[1] == "--child-without-feature":
        without_feature_child(sys.argv[2])
        sys.exit(0)
    check_alloc_header_dormant()
    check(sys.argv[1])
    if len(sys.argv) > 2:
        check_without_feature(sys.argv[2])
