//! Two Rust types with one explicit key fail only themselves: the registry panics, naming
//! both, on every use of that key, and every other type keeps working. The C type queries
//! must not unwind into C nor crash: for the clashing key they answer "not found".

use std::sync::{Arc, Mutex};

use rcobj::c_api::TYPE_INDEX_NONE;
use rcobj::{Object, FIRST_DYNAMIC_INDEX};
use rcobj_c_consumer::{c_key_of_index, consumer_c_index_of};

/// One of the two types claiming the key.
#[derive(Object)]
#[object(key = "consumer.Duplicate")]
pub struct First;

mod other {
    /// The other.
    #[derive(rcobj::Object)]
    #[object(key = "consumer.Duplicate")]
    pub struct Second;
}

#[test]
fn c_queries_answer_not_found_when_two_types_share_a_key() {
    // Record the panic messages instead of printing them.
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = messages.clone();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        sink.lock().unwrap().push(text);
    }));

    // From C: the clashing key is "not found" (the query panicked inside rcobj, which the
    // C API caught); every other type is still found.
    // SAFETY: NUL-terminated keys.
    unsafe {
        assert_eq!(
            consumer_c_index_of(c"consumer.Duplicate".as_ptr()),
            TYPE_INDEX_NONE
        );
        assert_ne!(
            consumer_c_index_of(c"consumer.Widget".as_ptr()),
            TYPE_INDEX_NONE
        );
    }
    assert_eq!(
        c_key_of_index(rcobj::ANY_OBJECT_INDEX).as_deref(),
        Some("rcobj.Object")
    );
    assert!(c_key_of_index(FIRST_DYNAMIC_INDEX).is_some());

    let _ = std::panic::take_hook();
    let messages = messages.lock().unwrap();
    // The failed query panicked inside rcobj, which the C API caught, with a message that
    // names both types.
    assert_eq!(messages.len(), 1, "{messages:?}");
    for m in messages.iter() {
        assert!(m.contains("consumer.Duplicate"), "{m}");
        assert!(m.contains("First") && m.contains("Second"), "{m}");
    }
}
