/*
 * rcobj.h — the C and C++ ABI of rcobj objects.
 *
 * It ships in the rcobj crate (core/include/rcobj.h in the repository, include/rcobj.h is a
 * link to it); a build script of a crate that depends on rcobj finds its directory in the
 * environment variable DEP_RCOBJ_INCLUDE. The count operations below are static inline and
 * need no library; the type queries at the end are defined by the rcobj crate.
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
 * Null handles: every function accepts NULL. The count operations then do nothing (the
 * count getters and rcobj_try_promote return 0); the type queries return "not found".
 *
 * Languages: this one header is C11 (and later) and C++11 (and later). In C++ everything
 * it declares has C linkage (extern "C"), so C and C++ translation units, and Rust, agree
 * on every symbol and type. It compiles without warnings under -Wall -Wextra -pedantic
 * (and, in C++, -Wold-style-cast), which the tests check for C11, C++11 and C++17.
 *
 * Atomics: the count word is a plain uint64_t, accessed only through the GCC/Clang
 * __atomic builtins, in C and in C++ alike. One approach for both languages, and this one,
 * because:
 *   - C11's <stdatomic.h> and _Atomic are not C++ before C++23, and even there
 *     _Atomic(T) means std::atomic<T>, whose size and layout the standard does not tie to
 *     T's; std::atomic<uint64_t> as the field would make the struct a different type in
 *     C++ than in C, and std::atomic_ref (which works on a plain field) needs C++20;
 *   - the builtins work on a plain uint64_t in both languages and take the C11/C++11
 *     memory orders (__ATOMIC_RELAXED, __ATOMIC_ACQUIRE, __ATOMIC_RELEASE), the same
 *     orderings as Rust's atomics, compiling to the same instructions as the Rust side;
 *   - tvm-ffi's own header declares the field as a plain uint64_t and its C++ code uses
 *     these builtins on it, so the three sides use one representation.
 * They exist in GCC (4.7+), Clang (3.1+) and compilers compatible with them (which define
 * __GNUC__); MSVC is not supported. Lock-free 64-bit atomics are required, as on the Rust
 * side.
 */
#ifndef RCOBJ_H_
#define RCOBJ_H_

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__GNUC__)
#error "rcobj.h needs the GCC/Clang __atomic builtins (GCC, Clang or a compatible compiler)"
#endif

/* Language glue: the few spellings that differ between C11 and C++11. */
#ifdef __cplusplus
#define RCOBJ_STATIC_ASSERT_(cond, msg) static_assert(cond, msg)
#define RCOBJ_ALIGNOF_(type) alignof(type)
#define RCOBJ_CAST_(type, expr) static_cast<type>(expr)
#else
#define RCOBJ_STATIC_ASSERT_(cond, msg) _Static_assert(cond, msg)
#define RCOBJ_ALIGNOF_(type) _Alignof(type)
#define RCOBJ_CAST_(type, expr) ((type)(expr))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Deleter flags (rcobj::DELETER_STRONG, DELETER_WEAK, DELETER_BOTH). */
#define RCOBJ_DELETER_STRONG 1
#define RCOBJ_DELETER_WEAK 2
#define RCOBJ_DELETER_BOTH (RCOBJ_DELETER_STRONG | RCOBJ_DELETER_WEAK)

/* The packed count word (rcobj::STRONG_ONE, WEAK_ONE, BOTH_ONE, MAX_COUNT). */
#define RCOBJ_STRONG_ONE (RCOBJ_CAST_(uint64_t, 1))
#define RCOBJ_WEAK_ONE (RCOBJ_CAST_(uint64_t, 1) << 32)
#define RCOBJ_BOTH_ONE (RCOBJ_STRONG_ONE | RCOBJ_WEAK_ONE)
#define RCOBJ_MAX_COUNT (RCOBJ_CAST_(uint32_t, INT32_MAX))

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
#ifdef RCOBJ_TVM_FFI
/* rcobj built with its `tvm-ffi` feature: one index space, allocated by libtvm_ffi from its
 * first dynamic index; every index below belongs to tvm-ffi (its static types), and indices
 * from 128 up may be tvm-ffi's own dynamic types, which rcobj's registry knows as foreign
 * types. A build script sees the feature as DEP_RCOBJ_TVM_FFI=1. */
#define RCOBJ_FIRST_DYNAMIC_INDEX 128
#else
#define RCOBJ_FIRST_DYNAMIC_INDEX (1 << 24)
#endif

/* The deleter stored in every header. `self` is the header's address. */
typedef void (*rcobj_deleter)(void *self, int flags);

/* The object header (rcobj::ObjectHeader, tvm-ffi's TVMFFIObject). */
typedef struct rcobj_object_header {
  /* strong count in the low 32 bits, weak count in the high 32 bits; shared between
     threads: read and write it only with __atomic builtins (or the functions below) */
  uint64_t combined_ref_count;
  /* index of the object's most-derived type */
  int32_t type_index;
  /* always 0 */
  uint32_t padding;
  /* called with RCOBJ_DELETER_STRONG, RCOBJ_DELETER_WEAK or RCOBJ_DELETER_BOTH; may be NULL */
  rcobj_deleter deleter;
} rcobj_object_header;

/* __GCC_ATOMIC_LLONG_LOCK_FREE: GCC's and Clang's predefined lock-freedom of long long */
RCOBJ_STATIC_ASSERT_(__GCC_ATOMIC_LLONG_LOCK_FREE == 2 && sizeof(long long) == 8,
                     "rcobj needs lock-free 64-bit atomics");
RCOBJ_STATIC_ASSERT_(sizeof(rcobj_deleter) == 8, "rcobj's C ABI is defined for 64-bit targets");
RCOBJ_STATIC_ASSERT_(sizeof(rcobj_object_header) == 24, "rcobj_object_header is 24 bytes");
RCOBJ_STATIC_ASSERT_(RCOBJ_ALIGNOF_(rcobj_object_header) == 8,
                     "rcobj_object_header is 8-aligned");
RCOBJ_STATIC_ASSERT_(offsetof(rcobj_object_header, combined_ref_count) == 0, "count at 0");
RCOBJ_STATIC_ASSERT_(offsetof(rcobj_object_header, type_index) == 8, "type_index at 8");
RCOBJ_STATIC_ASSERT_(offsetof(rcobj_object_header, padding) == 12, "padding at 12");
RCOBJ_STATIC_ASSERT_(offsetof(rcobj_object_header, deleter) == 16, "deleter at 16");

/* The strong half of a packed word. */
static inline uint32_t rcobj_strong_of(uint64_t word) {
  return RCOBJ_CAST_(uint32_t, word & 0xFFFFFFFFu);
}

/* The weak half of a packed word (including the implicit weak reference). */
static inline uint32_t rcobj_weak_of(uint64_t word) { return RCOBJ_CAST_(uint32_t, word >> 32); }

/* Prints which count overflowed on which type and aborts. */
static inline void rcobj_count_overflow_(const rcobj_object_header *h, const char *which) {
  fprintf(stderr,
          "rcobj: %s reference count overflow on an object of type index %d; aborting\n",
          which, RCOBJ_CAST_(int, h->type_index));
  abort();
}

/*
 * Initialises the header of an object made in C: strong 1, weak 1, padding 0. The caller
 * owns the one strong reference. No-op on NULL.
 */
static inline void rcobj_object_init(rcobj_object_header *h, int32_t type_index,
                                     rcobj_deleter deleter) {
  if (h == NULL) return;
  /* not shared yet: a relaxed store, as the Rust side's plain store */
  __atomic_store_n(&h->combined_ref_count, RCOBJ_BOTH_ONE, __ATOMIC_RELAXED);
  h->type_index = type_index;
  h->padding = 0;
  h->deleter = deleter;
}

/* The packed count word, read with acquire ordering (0 for NULL). */
static inline uint64_t rcobj_count_word(const rcobj_object_header *h) {
  if (h == NULL) return 0;
  return __atomic_load_n(&h->combined_ref_count, __ATOMIC_ACQUIRE);
}

/* The number of strong references (0 for NULL). */
static inline uint32_t rcobj_strong_count(const rcobj_object_header *h) {
  return rcobj_strong_of(rcobj_count_word(h));
}

/*
 * The number of external weak references: the implicit one held by the strong references
 * is not counted (as rcobj's `Obj::weak_count`). 0 for NULL.
 */
static inline uint32_t rcobj_weak_count(const rcobj_object_header *h) {
  if (h == NULL) return 0;
  uint64_t word = rcobj_count_word(h);
  uint32_t weak = rcobj_weak_of(word);
  uint32_t implicit = rcobj_strong_of(word) != 0 ? 1u : 0u;
  return weak >= implicit ? weak - implicit : 0u;
}

/* Adds a strong reference. The caller must already hold a strong reference. */
static inline void rcobj_inc_ref(rcobj_object_header *h) {
  if (h == NULL) return;
  uint64_t old = __atomic_fetch_add(&h->combined_ref_count, RCOBJ_STRONG_ONE, __ATOMIC_RELAXED);
  if (rcobj_strong_of(old) >= RCOBJ_MAX_COUNT) rcobj_count_overflow_(h, "strong");
}

/* Adds a weak reference. The caller must hold a strong or a weak reference. */
static inline void rcobj_inc_weak_ref(rcobj_object_header *h) {
  if (h == NULL) return;
  uint64_t old = __atomic_fetch_add(&h->combined_ref_count, RCOBJ_WEAK_ONE, __ATOMIC_RELAXED);
  if (rcobj_weak_of(old) >= RCOBJ_MAX_COUNT) rcobj_count_overflow_(h, "weak");
}

/*
 * Drops a weak reference (external, or the implicit one); calls the deleter with
 * RCOBJ_DELETER_WEAK if it was the last reference of any kind.
 */
static inline void rcobj_dec_weak_ref(rcobj_object_header *h) {
  if (h == NULL) return;
  uint64_t old = __atomic_fetch_sub(&h->combined_ref_count, RCOBJ_WEAK_ONE, __ATOMIC_RELEASE);
  if (rcobj_weak_of(old) == 1) {
    /* pairs with the release decrements of every other reference */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
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
  uint64_t old = __atomic_fetch_sub(&h->combined_ref_count, RCOBJ_STRONG_ONE, __ATOMIC_RELEASE);
  if (rcobj_strong_of(old) != 1) return;
  /* pairs with the release decrements of every other strong reference */
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
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
  uint64_t cur = __atomic_load_n(&h->combined_ref_count, __ATOMIC_RELAXED);
  for (;;) {
    uint32_t strong = rcobj_strong_of(cur);
    if (strong == 0) return 0;
    if (strong >= RCOBJ_MAX_COUNT) rcobj_count_overflow_(h, "strong");
    /* acquire on success: pairs with the release that published the value */
    /* weak CAS (may fail spuriously; the loop retries with the value it read) */
    if (__atomic_compare_exchange_n(&h->combined_ref_count, &cur, cur + RCOBJ_STRONG_ONE, 1,
                                    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      return 1;
    }
  }
}

/* ---- type queries ----------------------------------------------------------------------
 *
 * Unlike everything above, these are not inline: the rcobj crate defines them (as
 * `#[no_mangle] extern "C"` functions), so they are available to C and C++ code linked into
 * a program or library that links rcobj, and they answer from that copy's registry. (A
 * plugin library with its own copy of rcobj answers for its own types: ask it about its
 * objects.)
 *
 * Strings: a key is returned as a pointer to its UTF-8 bytes plus a length in bytes; the
 * bytes are NOT NUL-terminated (print them with "%.*s"), belong to rcobj, and must be
 * neither written nor freed. The key of a Rust type (`#[derive(Object)]`) and of
 * "rcobj.Object" stays valid for the rest of the program. The key of a runtime-defined
 * type (`RuntimeTypeBuilder`) stays valid as long as the type is alive: while it is
 * registered and, once unregistered, while an instance of it (or of a type derived from
 * it) or a Rust handle to it exists. Keys passed in are only read during the call.
 *
 * Failure: each function has one documented "not found" value, returned for unknown
 * indices and keys, NULL pointers and keys that are not UTF-8; none of them crashes or lets
 * a Rust panic unwind into C. If the registry is unusable (two Rust types claim one key: it
 * prints a message naming both), the functions return "not found" as well (built without
 * rcobj's `std` feature, such a panic aborts the process instead).
 */

/* What rcobj_type_index returns for a key that no registered type has (rcobj::c_api::
   TYPE_INDEX_NONE); no type has a negative index. */
#define RCOBJ_TYPE_INDEX_NONE (-1)

/*
 * The key of the registered type with index `type_index`: returns its bytes and stores
 * their number in *out_len; or returns NULL and stores 0 if no registered type has that
 * index (a negative one, one below RCOBJ_FIRST_DYNAMIC_INDEX other than
 * RCOBJ_ANY_OBJECT_INDEX, an unused one, a runtime type that was unregistered). `out_len`
 * may be NULL. Takes the registry's read lock.
 */
const char *rcobj_type_key(int32_t type_index, size_t *out_len);

/*
 * The index of the registered type whose key is the `len` bytes at `key` (need not be
 * NUL-terminated; compared exactly, no prefix match), or RCOBJ_TYPE_INDEX_NONE if there is
 * none, if the bytes are not UTF-8, or if `key` is NULL. Takes the registry's read lock.
 */
int32_t rcobj_type_index(const char *key, size_t len);

/* rcobj_type_index for a NUL-terminated key; RCOBJ_TYPE_INDEX_NONE for NULL. */
static inline int32_t rcobj_type_index_cstr(const char *key) {
  if (key == NULL) return RCOBJ_TYPE_INDEX_NONE;
  return rcobj_type_index(key, strlen(key));
}

/*
 * The key of the most-derived type of `obj`, which the caller must hold a strong or weak
 * reference to: returns its bytes and stores their number in *out_len; or returns NULL and
 * stores 0 for NULL or an object whose type index this program's registry does not know
 * (a foreign object other than one with RCOBJ_ANY_OBJECT_INDEX, whose key is
 * "rcobj.Object"). `out_len` may be NULL. Also finds the type of an instance of an
 * unregistered runtime type; the key stays valid at least while the caller holds `obj`.
 * Lock-free: one load from the registry's index table.
 */
const char *rcobj_object_type_key(const rcobj_object_header *obj, size_t *out_len);

/*
 * 1 if `obj` (which the caller must hold a strong or weak reference to) is an instance of
 * the type with index `type_index` or of one of its descendants, else 0 — Rust's
 * `AnyObj::is_instance_of`. Every object, foreign ones included, is an instance of
 * RCOBJ_ANY_OBJECT_INDEX; otherwise 0 for NULL, for an index no type in the object's
 * lineage has (including unknown and negative ones), and for a foreign object. An
 * instance of a runtime type remains an instance of it after it is unregistered.
 * O(1), lock-free, no hashing, no string compare: a load from the index table, one from
 * the registry's depth table, and one index compare against the object's ancestor at the
 * target's depth.
 */
int rcobj_is_instance_of(const rcobj_object_header *obj, int32_t type_index);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RCOBJ_H_ */
