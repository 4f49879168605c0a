//! A scripting-language binding's class system on runtime-defined types: classes with
//! `f64` fields, a subclass that adds fields, a constructor that sets the inherited fields
//! and its own, attribute access through byte views, destructors whose context records what
//! they destroyed, instances made on two threads, and the classes released at the end.
//!
//! Run with `cargo run -p rcobj-examples --example binding`. It asserts what it prints.
//!
//! The binding keeps no side table: the class layout (field names and offsets) lives in the
//! `Class` value, and each destructor closure owns what it needs (its class's name and
//! fields, and the log). `live_count` counts live objects; `allocated_count` counts blocks
//! that still keep a class alive (a weak reference keeps one after its object is destroyed).

use std::sync::{Arc, Mutex};
use std::thread;

use rcobj::{AnyObj, Obj, RuntimeType, RuntimeTypeBuilder};

/// What the destructors record, shared by every class.
type Log = Arc<Mutex<Vec<String>>>;

/// A class of the scripting language: every field is an `f64`, inherited fields first.
struct Class {
    name: String,
    ty: RuntimeType,
    /// Every field, the parent's first; field `i` is at byte `8 * i`.
    fields: Vec<String>,
}

impl Class {
    /// `class name(parent): own_fields`, with a destructor that logs the object's fields
    /// (as this class sees them) and a release hook that logs the class's release.
    fn define(name: &str, parent: Option<&Class>, own_fields: &[&str], log: &Log) -> Class {
        let mut fields: Vec<String> = parent.map(|p| p.fields.clone()).unwrap_or_default();
        fields.extend(own_fields.iter().map(|f| f.to_string()));
        let mut builder = RuntimeTypeBuilder::new(format!("binding.{name}"));
        if let Some(p) = parent {
            builder = builder.runtime_parent(&p.ty);
        }
        // The destructor's context: this class's name and fields, and the log.
        let (class, seen, dlog) = (name.to_string(), fields.clone(), log.clone());
        let rlog = log.clone();
        let released = name.to_string();
        let ty = builder
            .layout(8 * fields.len(), 8)
            .destructor(move |bytes| {
                let shown: Vec<String> = seen
                    .iter()
                    .enumerate()
                    .map(|(i, f)| format!("{f}={}", read(bytes, i)))
                    .collect();
                dlog.lock()
                    .unwrap()
                    .push(format!("~{class}({})", shown.join(", ")));
            })
            .on_release(move || rlog.lock().unwrap().push(format!("released {released}")))
            .register()
            .expect("a fresh class");
        Class {
            name: name.to_string(),
            ty,
            fields,
        }
    }

    /// The constructor: one argument per field, inherited ones first.
    fn construct(&self, args: &[f64]) -> Result<AnyObj, String> {
        if args.len() != self.fields.len() {
            return Err(format!(
                "{}() takes {} arguments, not {}",
                self.name,
                self.fields.len(),
                args.len()
            ));
        }
        self.ty
            .new_object(|bytes| {
                for (i, a) in args.iter().enumerate() {
                    write(bytes, i, *a);
                }
            })
            .map_err(|e| e.to_string())
    }

    fn index(&self, field: &str) -> Result<usize, String> {
        self.fields
            .iter()
            .position(|f| f == field)
            .ok_or_else(|| format!("{} has no field `{field}`", self.name))
    }

    /// `obj.field`, for an instance of this class or a subclass.
    fn get(&self, obj: &AnyObj, field: &str) -> Result<f64, String> {
        let i = self.index(field)?;
        let bytes = self
            .ty
            .bytes(obj)
            .ok_or_else(|| format!("not a {}", self.name))?;
        Ok(read(bytes, i))
    }

    /// `obj.field = value`: objects are immutable while shared, as the runtime requires.
    fn set(&self, obj: &mut AnyObj, field: &str, value: f64) -> Result<(), String> {
        let i = self.index(field)?;
        let bytes = self
            .ty
            .bytes_mut(obj)
            .ok_or_else(|| format!("cannot set `{field}`: the object is shared"))?;
        write(bytes, i, value);
        Ok(())
    }
}

fn read(bytes: &[u8], i: usize) -> f64 {
    f64::from_ne_bytes(bytes[8 * i..8 * i + 8].try_into().unwrap())
}

fn write(bytes: &mut [u8], i: usize, v: f64) {
    bytes[8 * i..8 * i + 8].copy_from_slice(&v.to_ne_bytes());
}

fn main() {
    let mut out: Vec<String> = Vec::new();
    let mut say = |line: String| {
        println!("{line}");
        out.push(line);
    };
    let log: Log = Arc::default();

    let point = Arc::new(Class::define("Point", None, &["x", "y"], &log));
    let point3 = Arc::new(Class::define("Point3", Some(&point), &["z"], &log));
    say(format!(
        "class {}({}), class {}({}) extends {}",
        point.name,
        point.fields.join(", "),
        point3.name,
        point3.fields.join(", "),
        point.name
    ));

    // Two threads construct objects; each sets a field while its object is still unique.
    let workers: Vec<_> = (0..2)
        .map(|t| {
            let (point, point3) = (point.clone(), point3.clone());
            thread::spawn(move || {
                let p = point.construct(&[t as f64, 1.0]).unwrap();
                let mut q = point3.construct(&[10.0 + t as f64, 20.0, 30.0]).unwrap();
                point3.set(&mut q, "z", 31.0 + t as f64).unwrap();
                drop(p); // destroyed here, on the worker
                q // sent to the main thread
            })
        })
        .collect();
    let mut objects: Vec<AnyObj> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    say(format!(
        "made on two threads: {} live Point, {} live Point3",
        point.ty.live_count(),
        point3.ty.live_count()
    ));

    // Attribute access through the parent class sees the inherited fields of a subclass.
    for q in &objects {
        say(format!(
            "Point3: x={} y={} z={} (x read as a Point: {})",
            point3.get(q, "x").unwrap(),
            point3.get(q, "y").unwrap(),
            point3.get(q, "z").unwrap(),
            point.get(q, "x").unwrap()
        ));
    }
    let p = point.construct(&[5.0, 6.0]).unwrap();
    say(format!(
        "a Point read as a Point3: {}",
        point3.get(&p, "x").unwrap_err()
    ));
    say(format!(
        "Point(1.0): {}",
        point.construct(&[1.0]).unwrap_err()
    ));
    let alias = objects[0].clone();
    say(format!(
        "set while shared: {}",
        point3.set(&mut objects[0], "z", 0.0).unwrap_err()
    ));
    drop(alias);
    point3.set(&mut objects[0], "z", 99.0).unwrap();
    say(format!(
        "set when unique: z={}",
        point3.get(&objects[0], "z").unwrap()
    ));

    // A weak reference keeps the block (and the class), not the object.
    let weak = Obj::downgrade(&p);
    drop(p);
    say(format!(
        "Point after its last object went, weakly referenced: live {}, allocated {}",
        point.ty.live_count(),
        point.ty.allocated_count()
    ));

    // Release the classes: unregister, drop the handles, then the last objects.
    point3.ty.unregister();
    point.ty.unregister();
    drop((point, point3));
    drop(objects);
    let released_now = |log: &Log| -> Vec<String> {
        let log = log.lock().unwrap();
        log.iter()
            .filter(|l| l.starts_with("released"))
            .cloned()
            .collect()
    };
    // Point3's last block is gone; Point is still kept by the weak reference's block.
    say(format!(
        "classes unregistered, objects dropped: {:?}",
        released_now(&log)
    ));
    drop(weak); // the last block of a Point: the class goes
    rcobj::merge_thread_counts(); // (nothing owed here: the workers merged when they exited)
    say(format!("weak reference dropped: {:?}", released_now(&log)));

    let log = log.lock().unwrap();
    let (mut destroyed, released): (Vec<String>, Vec<String>) =
        log.iter().cloned().partition(|l| l.starts_with('~'));
    destroyed.sort();
    for line in destroyed {
        say(line);
    }
    assert_eq!(released, ["released Point3", "released Point"]);

    let expected = [
        "class Point(x, y), class Point3(x, y, z) extends Point",
        "made on two threads: 0 live Point, 2 live Point3",
        "Point3: x=10 y=20 z=31 (x read as a Point: 10)",
        "Point3: x=11 y=20 z=32 (x read as a Point: 11)",
        "a Point read as a Point3: not a Point3",
        "Point(1.0): Point() takes 2 arguments, not 1",
        "set while shared: cannot set `z`: the object is shared",
        "set when unique: z=99",
        "Point after its last object went, weakly referenced: live 0, allocated 1",
        "classes unregistered, objects dropped: [\"released Point3\"]",
        "weak reference dropped: [\"released Point3\", \"released Point\"]",
        "~Point(x=0, y=1)",
        "~Point(x=1, y=1)",
        "~Point(x=10, y=20)",
        "~Point(x=11, y=20)",
        "~Point(x=5, y=6)",
        "~Point3(x=10, y=20, z=99)",
        "~Point3(x=11, y=20, z=32)",
    ];
    assert_eq!(out, expected);
}
