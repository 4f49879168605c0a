//! Loads a plugin (`examples/plugin-lib`, a `cdylib`) with `libloading`, holds the objects
//! it makes as `AnyObj`, and unloads it only once it reports no live instance.
//!
//! Run with `cargo run -p rcobj-examples --example plugin`. The example builds the plugin
//! itself (`cargo build -p rcobj-plugin-demo`, same profile and target directory) when run
//! through Cargo; otherwise run that command first. It looks for the library next to the
//! example's binary (`target/<profile>/`).
//!
//! What crosses the boundary, and why unloading must wait:
//!
//! * The plugin links its own copy of the rcobj runtime: its own registry (its types are
//!   numbered from 128 in *its* table) and its own per-thread instance counts.
//! * Its objects arrive as raw headers (`*mut ObjectHeader`), each carrying its own
//!   deleter, and the host takes them over with `Obj::from_raw` as `AnyObj`. Cloning and
//!   dropping them is plain header arithmetic — but the last release calls the plugin's
//!   deleter, i.e. the plugin's code. Unloading the library while one is alive would leave
//!   that call pointing at unmapped code.
//! * The host's registry knows nothing of the plugin's type indices: `Obj::type_info`,
//!   `is` and `downcast` on a plugin object would consult the host's table, where the same
//!   number may belong to an unrelated type. The host asks the plugin instead
//!   (`plugin_describe`, `plugin_click`).
//! * `live_count` counts values, not memory: a `WeakObj` to a plugin object keeps only its
//!   memory, and freeing that memory also runs the plugin's deleter. This host keeps no
//!   weak handle to plugin objects; one that does must drop those before unloading too.
//! * On glibc, `dlclose` leaves the library mapped until every thread on which the plugin's
//!   runtime registered a thread-local destructor (the exit merge of its count slots) has
//!   exited. That delays the unmapping, never hastens it.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

use libloading::{Library, Symbol};
use rcobj::{AnyObj, Obj, ObjectHeader};

/// The name the plugin's library file has on this platform.
fn library_name() -> OsString {
    libloading::library_filename("rcobj_plugin_demo")
}

/// The Cargo profile directory the example runs from (`target/<profile>`), if the binary
/// sits in `target/<profile>/examples/`.
fn profile_dir() -> Option<PathBuf> {
    let exe = env::current_exe().ok()?;
    let examples = exe.parent()?;
    if examples.file_name()? != "examples" {
        return None;
    }
    examples.parent().map(Path::to_path_buf)
}

/// Builds the plugin with the Cargo that runs this example (the `CARGO` variable), in the
/// same profile and target directory. Cheap when it is up to date.
fn build_plugin(profile_dir: &Path) {
    let Some(cargo) = env::var_os("CARGO") else {
        return;
    };
    let (Some(target_dir), Some(profile)) = (profile_dir.parent(), profile_dir.file_name()) else {
        return;
    };
    let profile = if profile == "debug" {
        "dev".into()
    } else {
        profile.to_os_string()
    };
    println!("building the plugin: cargo build -p rcobj-plugin-demo");
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "rcobj-plugin-demo", "--profile"])
        .arg(profile)
        .arg("--target-dir")
        .arg(target_dir)
        .status()
        .expect("run cargo");
    assert!(status.success(), "building the plugin failed");
}

fn find_plugin() -> PathBuf {
    let dir = profile_dir().expect("run the example from Cargo's target directory");
    build_plugin(&dir);
    let path = dir.join(library_name());
    assert!(
        path.exists(),
        "{} not found: run `cargo build -p rcobj-plugin-demo` first",
        path.display()
    );
    path
}

/// One entry of `plugin_live_instances`, as the plugin declares it.
#[repr(C)]
#[derive(Clone, Copy)]
struct PluginTypeCount {
    key: *const u8,
    key_len: usize,
    live: u64,
}

type MakeFn = unsafe extern "C" fn(u32) -> *mut ObjectHeader;
type ClickFn = unsafe extern "C" fn(*mut ObjectHeader) -> u32;
type DescribeFn = unsafe extern "C" fn(*mut ObjectHeader, *mut u8, usize) -> usize;
type LiveFn = unsafe extern "C" fn(*mut PluginTypeCount, usize) -> usize;

/// Lends `f` a strong reference to `obj` as a raw header pointer, for the duration of the
/// call. (A pointer made from `Obj::header` would do for the plugin's reads in practice, but
/// it only has provenance over the header; this one covers the whole object.)
fn lend<R>(obj: &AnyObj, f: impl FnOnce(*mut ObjectHeader) -> R) -> R {
    let raw = Obj::into_raw(obj.clone());
    let result = f(raw);
    // SAFETY: `raw` came from `into_raw` above; this takes its strong reference back.
    drop(unsafe { AnyObj::from_raw(raw) });
    result
}

/// The loaded plugin: the library and the functions the host uses.
struct Plugin {
    lib: Library,
}

impl Plugin {
    fn load(path: &Path) -> Plugin {
        // SAFETY: the library is ours (`examples/plugin-lib`); its initialisers only
        // register its object types.
        let lib = unsafe { Library::new(path) }.expect("load the plugin");
        // SAFETY: `plugin_abi_version` has this signature in every version of the plugin.
        let version = unsafe { lib.get::<unsafe extern "C" fn() -> u32>(b"plugin_abi_version") }
            .expect("plugin_abi_version");
        // SAFETY: declared as above, no arguments.
        assert_eq!(unsafe { version() }, 1, "unknown plugin ABI version");
        Plugin { lib }
    }

    fn symbol<T>(&self, name: &str) -> Symbol<'_, T> {
        // SAFETY: every caller names `T` as the plugin declares the symbol (ABI version 1).
        unsafe { self.lib.get::<T>(name.as_bytes()) }.expect(name)
    }

    /// Calls one of the plugin's constructors and takes over the strong reference it
    /// returns.
    fn make(&self, constructor: &str, id: u32) -> AnyObj {
        let make = self.symbol::<MakeFn>(constructor);
        // SAFETY: the constructors take an id and return a fresh object.
        let raw = unsafe { make(id) };
        assert!(!raw.is_null());
        // SAFETY: `raw` is the header of a live object whose one strong reference the
        // plugin handed over. Any object is an `AnyObject` (a zero-sized prefix), and the
        // plugin's types are `Send + Sync`.
        unsafe { Obj::from_raw(raw) }
    }

    fn describe(&self, obj: &AnyObj) -> String {
        let describe = self.symbol::<DescribeFn>("plugin_describe");
        let mut buf = [0u8; 256];
        // SAFETY: a live object of the plugin, kept alive during the call; `buf` has room
        // for `buf.len()` bytes.
        let n = lend(obj, |raw| unsafe {
            describe(raw, buf.as_mut_ptr(), buf.len())
        });
        String::from_utf8_lossy(&buf[..n.min(buf.len())]).into_owned()
    }

    fn click(&self, obj: &AnyObj) -> u32 {
        let click = self.symbol::<ClickFn>("plugin_click");
        // SAFETY: a live object of the plugin, kept alive during the call.
        lend(obj, |raw| unsafe { click(raw) })
    }

    /// The plugin's types with their live instance counts (keys copied out).
    fn live_instances(&self) -> Vec<(String, u64)> {
        let live = self.symbol::<LiveFn>("plugin_live_instances");
        let mut buf = [PluginTypeCount {
            key: std::ptr::null(),
            key_len: 0,
            live: 0,
        }; 16];
        // SAFETY: `buf` has room for `buf.len()` entries.
        let n = unsafe { live(buf.as_mut_ptr(), buf.len()) };
        assert!(n <= buf.len(), "the plugin has more types than expected");
        buf[..n]
            .iter()
            .map(|e| {
                // SAFETY: the plugin wrote `n` entries whose keys point at `key_len` bytes
                // of its static data, valid while the library is loaded (now).
                let key = unsafe { std::slice::from_raw_parts(e.key, e.key_len) };
                (String::from_utf8_lossy(key).into_owned(), e.live)
            })
            .collect()
    }

    /// Unloads the library if no instance of its types is alive; otherwise says which
    /// types and how many, and gives the plugin back.
    fn unload(self) -> Result<(), Plugin> {
        let alive: Vec<(String, u64)> = self
            .live_instances()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        if !alive.is_empty() {
            for (key, n) in &alive {
                let s = if *n == 1 { "" } else { "s" };
                println!("  refusing to unload: `{key}` has {n} live instance{s}");
            }
            return Err(self);
        }
        self.lib.close().expect("unload the plugin");
        Ok(())
    }
}

fn print_live(plugin: &Plugin, label: &str) {
    let parts: Vec<String> = plugin
        .live_instances()
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!("plugin live instances [{label}]: {}", parts.join(", "));
}

fn live_of(plugin: &Plugin, key: &str) -> u64 {
    let all = plugin.live_instances();
    all.iter().find(|(k, _)| k == key).expect(key).1
}

fn main() {
    let path = find_plugin();
    println!("loading {}", path.display());
    let plugin = Plugin::load(&path);
    print_live(&plugin, "loaded");
    assert!(plugin.live_instances().iter().all(|(_, n)| *n == 0));

    // The plugin's objects, held by the host without knowing their types.
    let widget = plugin.make("plugin_make_widget", 1);
    let button = plugin.make("plugin_make_button", 2);
    println!("made: {}", plugin.describe(&widget));
    println!("made: {}", plugin.describe(&button));
    println!(
        "the host sees only headers: type indices {} and {} (the plugin's numbering)",
        Obj::header(&widget).type_index(),
        Obj::header(&button).type_index()
    );

    // Handles are ordinary `AnyObj`s: clone them, send them to another thread, drop them
    // there. The last release of an object runs the plugin's deleter on whatever thread
    // releases it, and counts it out in the plugin's slot for that thread.
    let extra = plugin.make("plugin_make_widget", 3);
    let copies: Vec<AnyObj> = (0..4).map(|_| button.clone()).collect();
    thread::scope(|s| {
        s.spawn(move || {
            assert_eq!(Obj::strong_count(&copies[0]), 5);
            drop(copies);
            drop(extra);
        });
    });
    assert_eq!(Obj::strong_count(&button), 1);
    for _ in 0..3 {
        plugin.click(&button);
    }
    println!("after three clicks: {}", plugin.describe(&button));
    print_live(&plugin, "two objects held");
    assert_eq!(live_of(&plugin, "plugin.Widget"), 1);
    assert_eq!(live_of(&plugin, "plugin.Button"), 1);

    // Unloading now would leave two objects whose deleter is the plugin's code.
    println!("unloading with two objects alive:");
    let plugin = plugin.unload().expect_err("must refuse");

    drop(widget);
    println!("dropped the widget; unloading:");
    let plugin = plugin.unload().expect_err("must refuse");
    assert_eq!(live_of(&plugin, "plugin.Widget"), 0);
    assert_eq!(live_of(&plugin, "plugin.Button"), 1);

    drop(button);
    print_live(&plugin, "everything dropped");
    match plugin.unload() {
        Ok(()) => println!("unloaded: no instance of the plugin's types is alive"),
        Err(_) => panic!("the plugin still reports live instances"),
    }
}
