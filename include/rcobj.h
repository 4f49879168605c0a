/*
 * rcobj.h — the C ABI of rcobj objects.
 *
 * Every rcobj object starts with a 24-byte header, bit-compatible with Apache tvm-ffi's
 * `TVMFFIObject`:
 *
 *   offset  0  uint64_t combined_ref_count   strong count in the low 32 bits,
 *                                            weak count in the high 32 bits
 *   offset  8  int32_t  type_index
 *   offset 12  uint32_t padding              always 0
 *   offset 16  void (*deleter)(void *self, int flags)
 *
 * All strong references together hold one implicit weak reference, so a fresh object has
 * strong 1, weak 1. When the strong count reaches zero the deleter is called with
 * RCOBJ_DELETER_STRONG (destroy the value, keep the memory); when the weak count reaches
 * zero, with RCOBJ_DELETER_WEAK (free the memory); when both reach zero in one step, once
 * with RCOBJ_DELETER_BOTH. No other flag is ever passed.
 *
 * The inline functions below perform exactly the operations of the Rust side (`Obj`,
 * `WeakObj`), with the same memory orderings, so C, Rust and tvm-ffi may hold references
 * to one object at the same time:
 *
 *   increments            relaxed read-modify-write
 *   decrements            release read-modify-write; whoever takes a count to zero issues
 *                         an acquire fence before calling the deleter
 *   weak-to-strong        compare-and-swap loop (acquire on success) that never revives a
 *                         zero strong count
 *
 * Overflow: an increment that finds a count already at RCOBJ_MAX_COUNT (INT32_MAX) prints a
 * message and aborts the process, so a count never carries from the strong half into the
 * weak half.
 *
 * Null handles: every function accepts NULL and then does nothing (the count getters and
 * rcobj_try_promote return 0).
 *
 * Requires C11 (<stdatomic.h>) and lock-free 64-bit atomics, which the Rust side uses too.
 */
#ifndef RCOBJ_H_
#define RCOBJ_H_

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __cplusplus
#error "rcobj.h is a C11 header; C++ code should use tvm/ffi/object.h or a C shim"
#endif

/* Deleter flags (rcobj::DELETER_STRONG, DELETER_WEAK, DELETER_BOTH). */
#define RCOBJ_DELETER_STRONG 1
#define RCOBJ_DELETER_WEAK 2
#define RCOBJ_DELETER_BOTH (RCOBJ_DELETER_STRONG | RCOBJ_DELETER_WEAK)

/* The packed count word (rcobj::STRONG_ONE, WEAK_ONE, BOTH_ONE, MAX_COUNT). */
#define RCOBJ_STRONG_ONE ((uint64_t)1)
#define RCOBJ_WEAK_ONE ((uint64_t)1 << 32)
#define RCOBJ_BOTH_ONE (RCOBJ_STRONG_ONE | RCOBJ_WEAK_ONE)
#define RCOBJ_MAX_COUNT ((uint32_t)INT32_MAX)

/*
 * Type indices (rcobj::ANY_OBJECT_INDEX, FIRST_DYNAMIC_INDEX). rcobj's registry gives
 * RCOBJ_ANY_OBJECT_INDEX to the root type and indices from RCOBJ_FIRST_DYNAMIC_INDEX (2^24)
 * up to Rust and runtime-defined types; Rust's `is`/`downcast` trust them. The range lies
 * far above every index libtvm_ffi hands out (its own dynamic types start at 128), so
 * tvm-ffi's types and rcobj's never share an index. An object made in C must carry an index
 * below RCOBJ_FIRST_DYNAMIC_INDEX: RCOBJ_ANY_OBJECT_INDEX (Rust sees it as an `AnyObj`), or
 * a tvm-ffi type's index.
 */
#define RCOBJ_ANY_OBJECT_INDEX 64
#define RCOBJ_FIRST_DYNAMIC_INDEX (1 << 24)

/* The deleter stored in every header. `self` is the header's address. */
typedef void (*rcobj_deleter)(void *self, int flags);

/* The object header (rcobj::ObjectHeader, tvm-ffi's TVMFFIObject). */
typedef struct rcobj_object_header {
  /* strong count in the low 32 bits, weak count in the high 32 bits */
  _Atomic uint64_t combined_ref_count;
  /* index of the object's most-derived type */
  int32_t type_index;
  /* always 0 */
  uint32_t padding;
  /* called with RCOBJ_DELETER_STRONG, RCOBJ_DELETER_WEAK or RCOBJ_DELETER_BOTH; may be NULL */
  rcobj_deleter deleter;
} rcobj_object_header;

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "rcobj needs lock-free 64-bit atomics");
_Static_assert(sizeof(_Atomic uint64_t) == 8, "the count word is 8 bytes");
_Static_assert(sizeof(rcobj_deleter) == 8, "rcobj's C ABI is defined for 64-bit targets");
_Static_assert(sizeof(rcobj_object_header) == 24, "rcobj_object_header is 24 bytes");
_Static_assert(alignof(rcobj_object_header) == 8, "rcobj_object_header is 8-aligned");
_Static_assert(offsetof(rcobj_object_header, combined_ref_count) == 0, "count at 0");
_Static_assert(offsetof(rcobj_object_header, type_index) == 8, "type_index at 8");
_Static_assert(offsetof(rcobj_object_header, padding) == 12, "padding at 12");
_Static_assert(offsetof(rcobj_object_header, deleter) == 16, "deleter at 16");

/* The strong half of a packed word. */
static inline uint32_t rcobj_strong_of(uint64_t word) { return (uint32_t)(word & 0xFFFFFFFFu); }

/* The weak half of a packed word (including the implicit weak reference). */
static inline uint32_t rcobj_weak_of(uint64_t word) { return (uint32_t)(word >> 32); }

/* Prints which count overflowed on which type and aborts. */
static inline void rcobj_count_overflow_(const rcobj_object_header *h, const char *which) {
  fprintf(stderr,
          "rcobj: %s reference count overflow on an object of type index %d; aborting\n",
          which, (int)h->type_index);
  abort();
}

/*
 * Initialises the header of an object made in C: strong 1, weak 1, padding 0. The caller
 * owns the one strong reference. No-op on NULL.
 */
static inline void rcobj_object_init(rcobj_object_header *h, int32_t type_index,
                                     rcobj_deleter deleter) {
  if (h == NULL) return;
  atomic_init(&h->combined_ref_count, RCOBJ_BOTH_ONE);
  h->type_index = type_index;
  h->padding = 0;
  h->deleter = deleter;
}

/* The number of strong references (0 for NULL). */
static inline uint32_t rcobj_strong_count(rcobj_object_header *h) {
  if (h == NULL) return 0;
  return rcobj_strong_of(atomic_load_explicit(&h->combined_ref_count, memory_order_acquire));
}

/*
 * The number of external weak references: the implicit one held by the strong references
 * is not counted (as rcobj's `Obj::weak_count`). 0 for NULL.
 */
static inline uint32_t rcobj_weak_count(rcobj_object_header *h) {
  if (h == NULL) return 0;
  uint64_t word = atomic_load_explicit(&h->combined_ref_count, memory_order_acquire);
  uint32_t weak = rcobj_weak_of(word);
  uint32_t implicit = rcobj_strong_of(word) != 0 ? 1u : 0u;
  return weak >= implicit ? weak - implicit : 0u;
}

/* Adds a strong reference. The caller must already hold a strong reference. */
static inline void rcobj_inc_ref(rcobj_object_header *h) {
  if (h == NULL) return;
  uint64_t old = atomic_fetch_add_explicit(&h->combined_ref_count, RCOBJ_STRONG_ONE,
                                           memory_order_relaxed);
  if (rcobj_strong_of(old) >= RCOBJ_MAX_COUNT) rcobj_count_overflow_(h, "strong");
}

/* Adds a weak reference. The caller must hold a strong or a weak reference. */
static inline void rcobj_inc_weak_ref(rcobj_object_header *h) {
  if (h == NULL) return;
  uint64_t old =
      atomic_fetch_add_explicit(&h->combined_ref_count, RCOBJ_WEAK_ONE, memory_order_relaxed);
  if (rcobj_weak_of(old) >= RCOBJ_MAX_COUNT) rcobj_count_overflow_(h, "weak");
}

/*
 * Drops a weak reference (external, or the implicit one); calls the deleter with
 * RCOBJ_DELETER_WEAK if it was the last reference of any kind.
 */
static inline void rcobj_dec_weak_ref(rcobj_object_header *h) {
  if (h == NULL) return;
  uint64_t old =
      atomic_fetch_sub_explicit(&h->combined_ref_count, RCOBJ_WEAK_ONE, memory_order_release);
  if (rcobj_weak_of(old) == 1) {
    /* pairs with the release decrements of every other reference */
    atomic_thread_fence(memory_order_acquire);
    if (h->deleter != NULL) h->deleter(h, RCOBJ_DELETER_WEAK);
  }
}

/*
 * Drops a strong reference. On the last one: one deleter call with RCOBJ_DELETER_BOTH when
 * no weak reference is left; otherwise RCOBJ_DELETER_STRONG, then the implicit weak
 * reference is dropped (RCOBJ_DELETER_WEAK if it was the last).
 */
static inline void rcobj_dec_ref(rcobj_object_header *h) {
  if (h == NULL) return;
  uint64_t old = atomic_fetch_sub_explicit(&h->combined_ref_count, RCOBJ_STRONG_ONE,
                                           memory_order_release);
  if (rcobj_strong_of(old) != 1) return;
  /* pairs with the release decrements of every other strong reference */
  atomic_thread_fence(memory_order_acquire);
  if (old == RCOBJ_BOTH_ONE) {
    if (h->deleter != NULL) h->deleter(h, RCOBJ_DELETER_BOTH);
    return;
  }
  if (h->deleter != NULL) h->deleter(h, RCOBJ_DELETER_STRONG);
  rcobj_dec_weak_ref(h);
}

/*
 * Weak to strong: adds a strong reference if the object is still alive and returns 1, or
 * returns 0 if its strong count already reached zero (or `h` is NULL). The caller must
 * hold a weak reference, which it keeps either way.
 */
static inline int rcobj_try_promote(rcobj_object_header *h) {
  if (h == NULL) return 0;
  uint64_t cur = atomic_load_explicit(&h->combined_ref_count, memory_order_relaxed);
  for (;;) {
    uint32_t strong = rcobj_strong_of(cur);
    if (strong == 0) return 0;
    if (strong >= RCOBJ_MAX_COUNT) rcobj_count_overflow_(h, "strong");
    /* acquire on success: pairs with the release that published the value */
    if (atomic_compare_exchange_weak_explicit(&h->combined_ref_count, &cur,
                                              cur + RCOBJ_STRONG_ONE, memory_order_acquire,
                                              memory_order_relaxed)) {
      return 1;
    }
  }
}

#endif /* RCOBJ_H_ */
