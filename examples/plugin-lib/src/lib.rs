//! A plugin for the `plugin` example of rcobj: object types defined in a `cdylib` and
//! handed to the host through C-ABI functions.
//!
//! Build it with `cargo build -p rcobj-plugin-demo` (the example does so itself when run
//! through `cargo run`).
//!
//! The library links its own copy of the rcobj runtime, so it has its own registry and its
//! own per-thread instance counts. Its objects cross the boundary as raw
//! [`ObjectHeader`] pointers; each carries its deleter, so the host can hold and release
//! them as `AnyObj` without knowing their types — but releasing one runs this library's
//! code, which is why the host may unload the library only once
//! [`plugin_live_instances`] reports no live instance. Questions about an object's type
//! ([`plugin_describe`]) are answered here, by the registry that assigned the index.
//!
//! Every function is `extern "C"` and never unwinds: a Rust panic crossing the boundary
//! would abort the process.

use core::mem::ManuallyDrop;
use core::sync::atomic::{AtomicU32, Ordering};

use rcobj::{registry, AnyObj, Obj, Object, ObjectHeader};

/// The version of this C ABI; a host checks it before calling anything else.
pub const PLUGIN_ABI_VERSION: u32 = 1;

/// A widget: the root type of the plugin's hierarchy.
#[derive(Object)]
#[object(key = "plugin.Widget")]
pub struct Widget {
    /// An identifier chosen by the host.
    pub id: u32,
    /// A label.
    pub label: String,
}

/// A widget that can be clicked.
#[derive(Object)]
#[repr(C)]
#[object(key = "plugin.Button", final)]
pub struct Button {
    /// The widget part.
    #[parent]
    pub widget: Widget,
    /// How often it was clicked.
    pub clicks: AtomicU32,
}

/// One entry of [`plugin_live_instances`]: a type key (UTF-8, not NUL-terminated, owned
/// by the library: copy it before unloading) and its live instance count.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PluginTypeCount {
    /// The type key's bytes.
    pub key: *const u8,
    /// The type key's length in bytes.
    pub key_len: usize,
    /// The number of live instances whose most-derived type this is.
    pub live: u64,
}

/// The ABI version, [`PLUGIN_ABI_VERSION`].
#[no_mangle]
pub extern "C" fn plugin_abi_version() -> u32 {
    PLUGIN_ABI_VERSION
}

/// Makes a [`Widget`] and hands its one strong reference to the caller.
#[no_mangle]
pub extern "C" fn plugin_make_widget(id: u32) -> *mut ObjectHeader {
    let widget = Obj::new(Widget {
        id,
        label: format!("widget #{id}"),
    });
    Obj::into_raw(widget)
}

/// Makes a [`Button`] and hands its one strong reference to the caller.
#[no_mangle]
pub extern "C" fn plugin_make_button(id: u32) -> *mut ObjectHeader {
    let button = Obj::new(Button {
        widget: Widget {
            id,
            label: format!("button #{id}"),
        },
        clicks: AtomicU32::new(0),
    });
    Obj::into_raw(button)
}

/// Clicks a button; returns the clicks so far, or 0 if `obj` is not a [`Button`].
///
/// # Safety
///
/// `obj` is a live object made by this library, and stays alive during the call.
#[no_mangle]
pub unsafe extern "C" fn plugin_click(obj: *mut ObjectHeader) -> u32 {
    // SAFETY: the caller guarantees a live object of this library; we borrow its strong
    // reference (never released: `ManuallyDrop`).
    let any = ManuallyDrop::new(unsafe { AnyObj::from_raw(obj) });
    match any.downcast_ref::<Button>() {
        Some(button) => button.clicks.fetch_add(1, Ordering::Relaxed) + 1,
        None => 0,
    }
}

/// Writes a description of `obj` (UTF-8, not NUL-terminated) into `buf`, truncated to
/// `cap` bytes; returns its full length.
///
/// # Safety
///
/// `obj` is a live object made by this library, and stays alive during the call; `buf` is
/// valid for writes of `cap` bytes.
#[no_mangle]
pub unsafe extern "C" fn plugin_describe(
    obj: *mut ObjectHeader,
    buf: *mut u8,
    cap: usize,
) -> usize {
    // SAFETY: as in `plugin_click`.
    let any = ManuallyDrop::new(unsafe { AnyObj::from_raw(obj) });
    // Dispatch through this library's registry, which assigned the object's type index.
    let text = if let Some(b) = any.downcast_ref::<Button>() {
        format!(
            "{} `{}` (id {}, clicked {} times)",
            Obj::type_info(&any).key(),
            b.widget.label,
            b.widget.id,
            b.clicks.load(Ordering::Relaxed)
        )
    } else if let Some(w) = any.downcast_ref::<Widget>() {
        format!("{} `{}` (id {})", Obj::type_info(&any).key(), w.label, w.id)
    } else {
        format!(
            "an object of type index {} not made here",
            Obj::header(&any).type_index()
        )
    };
    let n = text.len().min(cap);
    // SAFETY: the caller guarantees `buf` is valid for `cap` bytes; `n <= cap`, and the
    // source is a distinct allocation.
    unsafe { core::ptr::copy_nonoverlapping(text.as_ptr(), buf, n) };
    text.len()
}

/// Reports the live instance count of each of the library's object types: writes up to
/// `cap` entries to `out` and returns the number of types. The counts are exact when no
/// instance is being created or released concurrently.
///
/// # Safety
///
/// `out` is valid for writes of `cap` entries (it may be null if `cap` is 0).
#[no_mangle]
pub unsafe extern "C" fn plugin_live_instances(out: *mut PluginTypeCount, cap: usize) -> usize {
    // This library's registry lists only the types linked into it (and the root).
    let types: Vec<_> = registry::all()
        .into_iter()
        .filter(|t| t.depth() > 0)
        .collect();
    for (i, t) in types.iter().take(cap).enumerate() {
        let entry = PluginTypeCount {
            key: t.key().as_ptr(),
            key_len: t.key().len(),
            live: t.live_count() as u64,
        };
        // SAFETY: `i < cap`, and the caller guarantees `out` is valid for `cap` entries.
        unsafe { out.add(i).write(entry) };
    }
    types.len()
}
