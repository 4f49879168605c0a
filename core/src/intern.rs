//! Interned type keys, so that [`TypeInfo::key`](crate::TypeInfo::key) is `&'static str`
//! for every type, runtime-defined ones included.
//!
//! A runtime type's key is copied here once per distinct key and kept for the rest of the
//! program: registering, releasing and registering again under one key allocates nothing
//! more, and the memory held is bounded by the distinct keys ever used (a program that
//! makes an unbounded number of *different* keys grows by each one, which is the price of
//! a `'static` key). Lookups take a lock; they happen when a runtime type is registered,
//! never on an object's path.

use alloc::boxed::Box;
use alloc::collections::BTreeSet;

use crate::sync::Lock;

static KEYS: Lock<BTreeSet<&'static str>> = Lock::new(BTreeSet::new());

/// The interned copy of `key`: the same `&'static str` for equal keys.
pub(crate) fn intern(key: &str) -> &'static str {
    let found = KEYS.read().get(key).copied();
    if let Some(k) = found {
        return k;
    }
    let mut keys = KEYS.write();
    if let Some(k) = keys.get(key).copied() {
        return k;
    }
    let k: &'static str = Box::leak(Box::from(key));
    keys.insert(k);
    k
}

#[cfg(test)]
mod tests {
    use super::intern;
    use std::string::String;

    #[test]
    fn equal_keys_share_one_copy() {
        let a = intern("intern.test.a");
        let b = intern(&String::from("intern.test.a"));
        assert!(core::ptr::eq(a, b));
        assert_eq!(intern("intern.test.b"), "intern.test.b");
    }
}
