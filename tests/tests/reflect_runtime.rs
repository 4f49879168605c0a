//! Runtime-defined types with declared fields (`RuntimeTypeBuilder::field`): the field
//! table, values read from the instance's bytes, inheritance from runtime and Rust parents,
//! the services, and every registration error.

use std::mem::size_of;

use rcobj::reflect::{repr, structural_eq, structural_hash, FieldKind, Value};
use rcobj::{Obj, RuntimeTypeBuilder, RuntimeTypeError};
use rcobj_tests::reflect::Node;

#[test]
fn declared_fields_are_listed_and_read() {
    let ty = RuntimeTypeBuilder::new("tests.reflect_runtime.Point")
        .layout(24, 8)
        .field("x", 24, FieldKind::F64)
        .field("n", 32, FieldKind::I16)
        .field("flag", 34, FieldKind::Bool)
        .field("id", 40, FieldKind::U64)
        .register()
        .unwrap();
    let f = ty.info().fields();
    let names: Vec<&str> = f.iter().map(|f| f.name()).collect();
    assert_eq!(names, ["x", "n", "flag", "id"]);
    assert_eq!((f[1].offset(), f[1].size(), f[1].align()), (32, 2, 2));
    assert_eq!(f[0].type_name(), "f64");
    assert_eq!(f[3].doc(), "");
    assert!(f.iter().all(|f| !f.is_opaque()));
    let p = ty
        .new_object(|v| {
            v[0..8].copy_from_slice(&1.5f64.to_ne_bytes());
            v[8..10].copy_from_slice(&(-2i16).to_ne_bytes());
            v[10] = 7; // any nonzero byte is `true`
            v[16..24].copy_from_slice(&9u64.to_ne_bytes());
        })
        .unwrap();
    assert!(matches!(f[0].get(&p), Some(Value::Float(x)) if x == 1.5));
    assert!(matches!(f[1].get(&p), Some(Value::Int(-2))));
    assert!(matches!(f[2].get(&p), Some(Value::Bool(true))));
    assert!(matches!(f[3].get(&p), Some(Value::UInt(9))));
    assert_eq!(
        repr(&p),
        "tests.reflect_runtime.Point(x=1.5, n=-2, flag=True, id=9)"
    );
    // Another object does not have these fields.
    let other = Obj::new(Node::default());
    assert!(f[0].get(&other).is_none());
}

#[test]
fn every_kind() {
    let kinds = [
        ("b", FieldKind::Bool, "False"),
        ("i8", FieldKind::I8, "-1"),
        ("u8", FieldKind::U8, "255"),
        ("i16", FieldKind::I16, "-1"),
        ("u16", FieldKind::U16, "65535"),
        ("i32", FieldKind::I32, "-1"),
        ("u32", FieldKind::U32, "4294967295"),
        ("f32", FieldKind::F32, "NaN"),
        ("i64", FieldKind::I64, "-1"),
        ("u64", FieldKind::U64, "18446744073709551615"),
        ("f64", FieldKind::F64, "NaN"),
        ("raw", FieldKind::Bytes(3), r#"b"\xff\xff\xff""#),
    ];
    let mut builder = RuntimeTypeBuilder::new("tests.reflect_runtime.Kinds").layout(8 * 12, 8);
    for (i, (name, kind, _)) in kinds.iter().enumerate() {
        builder = builder.field(*name, 24 + 8 * i, *kind);
    }
    let ty = builder.register().unwrap();
    // Every byte 0xff but the bool's.
    let obj = ty
        .new_object(|v| {
            v.fill(0xff);
            v[0] = 0;
        })
        .unwrap();
    let expected: Vec<String> = kinds
        .iter()
        .map(|(name, _, value)| format!("{name}={value}"))
        .collect();
    assert_eq!(
        repr(&obj),
        format!("tests.reflect_runtime.Kinds({})", expected.join(", "))
    );
}

#[test]
fn inherited_from_a_runtime_parent() {
    let base = RuntimeTypeBuilder::new("tests.reflect_runtime.Base")
        .layout(8, 8)
        .field("id", 24, FieldKind::U32)
        .register()
        .unwrap();
    let child = RuntimeTypeBuilder::new("tests.reflect_runtime.Child")
        .runtime_parent(&base)
        .layout(16, 8)
        .field("extra", 32, FieldKind::I64)
        .register()
        .unwrap();
    let names: Vec<&str> = child.info().all_fields().map(|f| f.name()).collect();
    assert_eq!(names, ["id", "extra"]);
    // The child's `init` sees the whole value: the parent's `id` (bytes 0..4) and its own
    // `extra` (bytes 8..16).
    let make = |extra: i64| {
        child
            .new_object(|v| {
                v[0..4].copy_from_slice(&7u32.to_ne_bytes());
                v[8..16].copy_from_slice(&extra.to_ne_bytes());
            })
            .unwrap()
    };
    let (a, b, c) = (make(5), make(5), make(6));
    assert_eq!(repr(&a), "tests.reflect_runtime.Child(id=7, extra=5)");
    assert!(structural_eq(&a, &b));
    assert_eq!(structural_hash(&a), structural_hash(&b));
    assert!(!structural_eq(&a, &c));
}

#[test]
fn declared_after_a_rust_parent() {
    let ty = RuntimeTypeBuilder::new("tests.reflect_runtime.Ext")
        .parent::<Node>()
        .layout(size_of::<Node>() + 8, 8)
        .field("weight", 24 + size_of::<Node>(), FieldKind::F32)
        .register()
        .unwrap();
    let obj = ty
        .new_object_with_base(Node::default(), |own| {
            own[0..4].copy_from_slice(&2.5f32.to_ne_bytes())
        })
        .unwrap();
    assert_eq!(
        repr(&obj),
        "tests.reflect_runtime.Ext(span=[0, 0], parent=None, weight=2.5)"
    );
}

#[test]
fn registration_checks_every_field() {
    let check = |b: RuntimeTypeBuilder| b.register().map(|_| ()).unwrap_err();
    let new = |key: &str| RuntimeTypeBuilder::new(key).layout(16, 8);
    assert_eq!(
        check(new("tests.reflect_runtime.e1").field("", 24, FieldKind::U8)),
        RuntimeTypeError::EmptyFieldName
    );
    assert_eq!(
        check(
            new("tests.reflect_runtime.e2")
                .field("a", 24, FieldKind::U8)
                .field("a", 25, FieldKind::U8)
        ),
        RuntimeTypeError::DuplicateFieldName { name: "a".into() }
    );
    // Before the value, in the header.
    assert_eq!(
        check(new("tests.reflect_runtime.e3").field("h", 8, FieldKind::U32)),
        RuntimeTypeError::FieldOutsideValue {
            name: "h".into(),
            offset: 8,
            size: 4,
            start: 24,
            end: 40
        }
    );
    // Past the end.
    assert!(matches!(
        check(new("tests.reflect_runtime.e4").field("t", 36, FieldKind::U64)),
        RuntimeTypeError::FieldOutsideValue { offset: 36, .. }
    ));
    // In the parent's part.
    let parent = RuntimeTypeBuilder::new("tests.reflect_runtime.e5.Parent")
        .layout(8, 8)
        .register()
        .unwrap();
    assert!(matches!(
        check(
            RuntimeTypeBuilder::new("tests.reflect_runtime.e5")
                .runtime_parent(&parent)
                .layout(16, 8)
                .field("p", 24, FieldKind::U32)
        ),
        RuntimeTypeError::FieldOutsideValue { start: 32, .. }
    ));
    assert!(matches!(
        check(
            RuntimeTypeBuilder::new("tests.reflect_runtime.e6")
                .parent::<Node>()
                .layout(size_of::<Node>() + 8, 8)
                .field("in_node", 24, FieldKind::U8)
        ),
        RuntimeTypeError::FieldOutsideValue { .. }
    ));
    assert_eq!(
        check(new("tests.reflect_runtime.e7").field("m", 26, FieldKind::U32)),
        RuntimeTypeError::FieldMisaligned {
            name: "m".into(),
            offset: 26,
            align: 4
        }
    );
    let err = check(
        new("tests.reflect_runtime.e8")
            .field("late", 28, FieldKind::U32)
            .field("early", 24, FieldKind::Bytes(5)),
    );
    assert_eq!(
        err,
        RuntimeTypeError::FieldsOverlap {
            first: "early".into(),
            second: "late".into()
        }
    );
    assert_eq!(err.to_string(), "the fields `early` and `late` overlap");
    // Nothing was registered.
    for i in 1..=8 {
        assert!(rcobj::registry::by_key(&format!("tests.reflect_runtime.e{i}")).is_none());
    }
}

#[test]
fn zero_sized_fields_overlap_nothing() {
    let ty = RuntimeTypeBuilder::new("tests.reflect_runtime.Empty")
        .layout(4, 4)
        .field("none", 24, FieldKind::Bytes(0))
        .field("all", 24, FieldKind::Bytes(4))
        .register()
        .unwrap();
    let obj = ty.new_object(|v| v.copy_from_slice(b"abcd")).unwrap();
    assert_eq!(
        repr(&obj),
        r#"tests.reflect_runtime.Empty(none=b"", all=b"abcd")"#
    );
}

#[test]
fn the_table_lives_as_long_as_the_type() {
    let ty = RuntimeTypeBuilder::new("tests.reflect_runtime.Lifetime")
        .layout(8, 8)
        .field("v", 24, FieldKind::U64)
        .register()
        .unwrap();
    let obj = ty.new_object(|v| v[0] = 1).unwrap();
    assert!(ty.unregister());
    drop(ty);
    // The instance keeps the type, and so its field table, alive.
    let info = Obj::type_info(&obj);
    assert_eq!(info.fields()[0].name(), "v");
    assert_eq!(repr(&obj), "tests.reflect_runtime.Lifetime(v=1)");
    drop(obj);
}
