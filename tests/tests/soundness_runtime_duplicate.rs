//! A runtime type's registration that fails on a taken key names the type that has it. The
//! name was read after the registry lock was released, from a type that another thread
//! could unregister and release in between: a read of freed memory, which Miri (or
//! AddressSanitizer) reports when the race hits. It is now copied under the lock.
//!
//! Two threads register one key over and over; each one that succeeds unregisters and
//! releases its type at once, while the other's registration fails against it. No thread
//! counts an instance, so a type is freed by the drop of its last handle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use rcobj::{RuntimeTypeBuilder, RuntimeTypeError};

const KEY: &str = "tests.soundness.duplicate.Contested";

fn contend(rounds: usize, released: Arc<AtomicUsize>) -> usize {
    let mut lost = 0;
    for _ in 0..rounds {
        let r = released.clone();
        match RuntimeTypeBuilder::new(KEY)
            .on_release(move || {
                r.fetch_add(1, Ordering::SeqCst);
            })
            .register()
        {
            Ok(ty) => {
                assert!(ty.unregister());
                drop(ty); // the last reference: freed here
            }
            Err(RuntimeTypeError::DuplicateKey { key, existing }) => {
                assert_eq!(key, KEY);
                assert_eq!(existing, "<runtime type>");
                lost += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    lost
}

#[test]
fn duplicate_error_races_the_release_of_the_other_type() {
    let rounds = if cfg!(miri) { 300 } else { 20_000 };
    let released = Arc::new(AtomicUsize::new(0));
    let r = released.clone();
    let other = thread::spawn(move || contend(rounds, r));
    let lost = contend(rounds, released.clone()) + other.join().unwrap();
    assert_eq!(
        released.load(Ordering::SeqCst),
        2 * rounds - lost,
        "every registered type released once"
    );
}
