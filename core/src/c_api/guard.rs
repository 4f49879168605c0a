//! Keeps panics from unwinding across `extern "C"`.

/// Runs `f`, turning a panic into `fallback`.
///
/// With `std` the panic is caught (the panic hook has already printed its message).
/// Without `std` there is no `catch_unwind`: the panic reaches the `extern "C"` function
/// that called this, and Rust aborts the process there (an `extern "C"` function cannot
/// unwind, guaranteed since Rust 1.81).
#[cfg(feature = "std")]
pub(super) fn guarded<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    // `AssertUnwindSafe`: after a panic nothing that `f` touched is used again here; the
    // caller gets `fallback`, and the registry keeps (and reports) its own error state.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            drop(payload);
            fallback
        }
    }
}

/// Runs `f` (without `std`, a panic aborts at the `extern "C"` boundary; see above).
#[cfg(not(feature = "std"))]
pub(super) fn guarded<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    let _ = fallback;
    f()
}
