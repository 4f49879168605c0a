//! Helpers shared by the integration tests of `core/tests` (each test file that needs them
//! declares `mod support;`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Waits until a released runtime type's `on_release` ran (other test threads merge their
/// counts when they next count or exit).
pub fn wait_released(flag: &AtomicBool) {
    let start = Instant::now();
    while !flag.load(Ordering::SeqCst) {
        rcobj::merge_thread_counts();
        assert!(
            start.elapsed().as_secs() < 30,
            "the runtime type was never released"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
