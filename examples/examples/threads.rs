//! Many threads creating and dropping objects of several types, some of them sent to other
//! threads and dropped there; per-type live counts (and their sum) are exact after `join`.
//!
//! Run with `cargo run -p rcobj-examples --example threads` (add `--release` for speed).
//!
//! Each thread counts its creations and destructions in its own slots (no shared cache line
//! is written); an object created on one thread and dropped on another adds 1 to the
//! first thread's slot and subtracts 1 from the second's. `TypeInfo::live_count` sums the
//! shared counts and every live thread's slots, and a thread's slots are merged into the
//! shared counts when it exits — so after `join` nothing is lost or counted twice.

use std::sync::mpsc;
use std::thread;

use rcobj::{AnyObj, Obj, Object, TypeInfo};

#[derive(Object)]
#[object(key = "threads.Particle", final)]
struct Particle {
    worker: usize,
    step: usize,
}

#[derive(Object)]
#[object(key = "threads.Message", final)]
struct Message {
    seq: usize,
    text: String,
}

#[derive(Object)]
#[object(key = "threads.Task")]
struct Task {
    id: usize,
}

#[derive(Object)]
#[repr(C)]
#[object(key = "threads.Batch", final)]
struct Batch {
    #[parent]
    task: Task,
    items: Vec<u32>,
}

const WORKERS: usize = 8;
const STEPS: usize = 20_000;
/// A worker keeps every `KEEP_EVERY`-th particle and hands them back through `join`.
const KEEP_EVERY: usize = 100;
/// A worker sends a message to the consumer every `MESSAGE_EVERY` steps.
const MESSAGE_EVERY: usize = 10;
/// The consumer keeps every `CONSUMER_KEEPS`-th message it receives, by sequence number.
const CONSUMER_KEEPS: usize = 4;
/// A worker sends a task to the main thread, as an `AnyObj`, every `TASK_EVERY` steps.
const TASK_EVERY: usize = 1_000;

fn types() -> [&'static TypeInfo; 4] {
    [
        Particle::type_info(),
        Message::type_info(),
        Task::type_info(),
        Batch::type_info(),
    ]
}

fn live() -> [usize; 4] {
    types().map(|t| t.live_count())
}

fn print_live(label: &str) -> [usize; 4] {
    let counts = live();
    let parts: Vec<String> = types()
        .iter()
        .zip(counts)
        .map(|(t, n)| format!("{} {n}", t.key()))
        .collect();
    println!(
        "{label:<28} {} (sum {})",
        parts.join(", "),
        counts.iter().sum::<usize>()
    );
    counts
}

fn worker(
    id: usize,
    messages: mpsc::Sender<Obj<Message>>,
    tasks: mpsc::Sender<AnyObj>,
) -> Vec<Obj<Particle>> {
    let mut kept = Vec::new();
    for step in 0..STEPS {
        let particle = Obj::new(Particle { worker: id, step });
        if step % KEEP_EVERY == 0 {
            kept.push(particle);
        }
        // A child object, dropped through a handle of its parent type: it still counts
        // for `Batch`, its most-derived type.
        let batch = Obj::new(Batch {
            task: Task { id: step },
            items: vec![step as u32; 4],
        });
        let as_task: Obj<Task> = batch.clone().upcast();
        drop(batch);
        assert_eq!(as_task.id, step);
        drop(as_task);

        if step % MESSAGE_EVERY == 0 {
            let seq = step / MESSAGE_EVERY;
            let text = format!("worker {id} step {step}");
            messages.send(Obj::new(Message { seq, text })).unwrap();
        }
        if step % TASK_EVERY == 0 {
            tasks
                .send(
                    Obj::new(Task {
                        id: id * STEPS + step,
                    })
                    .upcast(),
                )
                .unwrap();
        }
    }
    kept
}

/// Receives every message, keeps some, drops the rest on this thread.
fn consumer(messages: mpsc::Receiver<Obj<Message>>) -> Vec<Obj<Message>> {
    messages
        .into_iter()
        .filter(|m| m.seq % CONSUMER_KEEPS == 0)
        .collect()
}

fn main() {
    let start = print_live("start:");
    assert_eq!(start, [0; 4]);

    let (message_tx, message_rx) = mpsc::channel();
    let (task_tx, task_rx) = mpsc::channel::<AnyObj>();

    let (particles, messages, tasks) = thread::scope(|s| {
        let consumer = s.spawn(move || consumer(message_rx));
        let workers: Vec<_> = (0..WORKERS)
            .map(|id| {
                let (m, t) = (message_tx.clone(), task_tx.clone());
                s.spawn(move || worker(id, m, t))
            })
            .collect();
        drop((message_tx, task_tx));

        // The main thread receives tasks while the workers run; counts read now are only
        // a snapshot, since other threads are creating and dropping objects meanwhile.
        let mut tasks = Vec::new();
        for (n, task) in task_rx.into_iter().enumerate() {
            if n == WORKERS * STEPS / TASK_EVERY / 2 {
                print_live("halfway (a snapshot):");
            }
            tasks.push(task);
        }

        let particles: Vec<Obj<Particle>> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        let messages = consumer.join().unwrap();
        (particles, messages, tasks)
    });

    // Every other thread has exited and merged its slots.
    let counts = print_live("after join:");
    let per_worker_messages = STEPS / MESSAGE_EVERY;
    let expected = [
        WORKERS * STEPS.div_ceil(KEEP_EVERY),
        WORKERS * per_worker_messages.div_ceil(CONSUMER_KEEPS),
        WORKERS * STEPS.div_ceil(TASK_EVERY),
        0,
    ];
    assert_eq!(counts, expected);
    assert_eq!(
        [particles.len(), messages.len(), tasks.len(), 0],
        expected,
        "the counts match the objects actually held"
    );
    assert_eq!(
        counts.iter().sum::<usize>(),
        particles.len() + messages.len() + tasks.len()
    );
    println!(
        "exact: {} particles, {} messages and {} tasks held by the main thread",
        particles.len(),
        messages.len(),
        tasks.len()
    );
    let created = WORKERS * (2 * STEPS + per_worker_messages + STEPS / TASK_EVERY);
    println!("({created} objects were created in all, on {WORKERS} threads)");
    // The main thread has not counted anything yet, and the others unlinked at exit.
    assert_eq!(rcobj::registered_threads(), 0);
    println!("threads with linked count slots: 0 (each worker merged its slots at exit)");

    // The tasks arrived type-erased; dispatch on their real type.
    assert!(tasks.iter().all(|t| t.is::<Task>() && !t.is::<Batch>()));
    let max_id = tasks
        .iter()
        .filter_map(|t| t.downcast_ref::<Task>())
        .map(|t| t.id)
        .max();
    println!("largest task id received: {max_id:?}");
    assert!(particles.iter().all(|p| p.step % KEEP_EVERY == 0));
    assert!(particles.iter().any(|p| p.worker == WORKERS - 1));
    assert!(messages.iter().all(|m| m.text.starts_with("worker ")));

    // Objects created on threads that have exited, dropped here: this thread's slots go
    // negative by exactly what the exited threads' merged counts hold.
    drop((particles, messages, tasks));
    let end = print_live("after dropping everything:");
    assert_eq!(end, [0; 4]);
    assert_eq!(
        rcobj::registered_threads(),
        1,
        "the main thread counted now"
    );
}
