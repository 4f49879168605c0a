/*
 * C side of the C-ABI tests (tests/tests/c_abi.rs), compiled by tests/build.rs with only
 * rcobj.h (core/include/, found through DEP_RCOBJ_INCLUDE). It reports the header's layout
 * as C sees it, creates objects of its own with a C deleter that records every call, and
 * drives the header's inline functions on objects that Rust created.
 */
#include "rcobj.h"

#include <string.h>

/* ---- layout as C sees it --------------------------------------------------------------- */

/* Mirrored by `CLayout` in c_abi.rs. */
typedef struct {
  uint64_t size;
  uint64_t align;
  uint64_t offset_combined_ref_count;
  uint64_t offset_type_index;
  uint64_t offset_padding;
  uint64_t offset_deleter;
  uint64_t deleter_strong;
  uint64_t deleter_weak;
  uint64_t deleter_both;
  uint64_t strong_one;
  uint64_t weak_one;
  uint64_t both_one;
  uint64_t max_count;
  uint64_t any_object_index;
  uint64_t first_dynamic_index;
} rcobj_c_layout;

void rcobj_c_get_layout(rcobj_c_layout *out) {
  out->size = sizeof(rcobj_object_header);
  out->align = _Alignof(rcobj_object_header);
  out->offset_combined_ref_count = offsetof(rcobj_object_header, combined_ref_count);
  out->offset_type_index = offsetof(rcobj_object_header, type_index);
  out->offset_padding = offsetof(rcobj_object_header, padding);
  out->offset_deleter = offsetof(rcobj_object_header, deleter);
  out->deleter_strong = RCOBJ_DELETER_STRONG;
  out->deleter_weak = RCOBJ_DELETER_WEAK;
  out->deleter_both = RCOBJ_DELETER_BOTH;
  out->strong_one = RCOBJ_STRONG_ONE;
  out->weak_one = RCOBJ_WEAK_ONE;
  out->both_one = RCOBJ_BOTH_ONE;
  out->max_count = RCOBJ_MAX_COUNT;
  out->any_object_index = RCOBJ_ANY_OBJECT_INDEX;
  out->first_dynamic_index = RCOBJ_FIRST_DYNAMIC_INDEX;
}

/* Mirrored by `CHeaderView` in c_abi.rs: the fields of a header read through the C struct. */
typedef struct {
  uint64_t combined_ref_count;
  int32_t type_index;
  uint32_t padding;
  rcobj_deleter deleter;
} rcobj_c_header_view;

void rcobj_c_read_header(rcobj_object_header *h, rcobj_c_header_view *out) {
  out->combined_ref_count = rcobj_count_word(h);
  out->type_index = h->type_index;
  out->padding = h->padding;
  out->deleter = h->deleter;
}

/* ---- out-of-line wrappers of the inline functions, for Rust to call -------------------- */

void rcobj_c_inc_ref(rcobj_object_header *h) { rcobj_inc_ref(h); }
void rcobj_c_dec_ref(rcobj_object_header *h) { rcobj_dec_ref(h); }
void rcobj_c_inc_weak_ref(rcobj_object_header *h) { rcobj_inc_weak_ref(h); }
void rcobj_c_dec_weak_ref(rcobj_object_header *h) { rcobj_dec_weak_ref(h); }
int rcobj_c_try_promote(rcobj_object_header *h) { return rcobj_try_promote(h); }
uint32_t rcobj_c_strong_count(rcobj_object_header *h) { return rcobj_strong_count(h); }
uint32_t rcobj_c_weak_count(rcobj_object_header *h) { return rcobj_weak_count(h); }

/* ---- objects made in C ----------------------------------------------------------------- */

/* Mirrored by `CCounters` in c_abi.rs. One per test, so tests may run in parallel. */
typedef struct {
  int64_t created;
  int64_t destroyed;
  int64_t freed;
  /* protocol violations seen by the deleter (a phase twice, WEAK before STRONG, ...) */
  int64_t violations;
  /* the flags of every deleter call, in order (first 8) */
  int32_t flags_log[8];
  int32_t n_calls;
} rcobj_c_counters;

/* A C object: the header, then its own fields. */
typedef struct {
  rcobj_object_header header;
  int64_t value;
  rcobj_c_counters *counters;
  /* 0: alive, 1: destroyed, so a second strong phase is caught */
  int destroyed;
  /* a separately allocated resource, released in the strong phase (valgrind sees leaks) */
  char *payload;
} c_obj;

static void c_obj_deleter(void *self, int flags) {
  c_obj *o = (c_obj *)self;
  rcobj_c_counters *c = o->counters;
  if (c->n_calls < 8) c->flags_log[c->n_calls] = flags;
  c->n_calls++;
  if (flags != RCOBJ_DELETER_STRONG && flags != RCOBJ_DELETER_WEAK &&
      flags != RCOBJ_DELETER_BOTH) {
    c->violations++;
    return;
  }
  if (flags & RCOBJ_DELETER_STRONG) {
    if (o->destroyed) c->violations++;
    /* the strong phase runs only once the strong count is zero */
    if (rcobj_strong_of(__atomic_load_n(&o->header.combined_ref_count, __ATOMIC_RELAXED)) != 0) {
      c->violations++;
    }
    o->destroyed = 1;
    free(o->payload);
    o->payload = NULL;
    c->destroyed++;
  }
  if (flags & RCOBJ_DELETER_WEAK) {
    /* memory goes only after the value, and only when no reference is left */
    if (!o->destroyed) c->violations++;
    /* no reference is left: after a lone weak phase the word is 0; a BOTH call skips the
       decrement of the implicit weak reference, so the word still reads weak 1 */
    uint64_t expect = flags == RCOBJ_DELETER_BOTH ? RCOBJ_WEAK_ONE : 0;
    if (__atomic_load_n(&o->header.combined_ref_count, __ATOMIC_RELAXED) != expect) {
      c->violations++;
    }
    c->freed++;
    free(o);
  }
}

/* A new C object holding `value`; the caller owns its one strong reference. */
rcobj_object_header *rcobj_c_obj_new(int64_t value, rcobj_c_counters *counters) {
  c_obj *o = (c_obj *)malloc(sizeof(c_obj));
  if (o == NULL) return NULL;
  rcobj_object_init(&o->header, RCOBJ_ANY_OBJECT_INDEX, c_obj_deleter);
  o->value = value;
  o->counters = counters;
  o->destroyed = 0;
  o->payload = (char *)malloc(32);
  if (o->payload != NULL) strcpy(o->payload, "owned by a C object");
  counters->created++;
  return &o->header;
}

/* The value of a live C object. */
int64_t rcobj_c_obj_value(rcobj_object_header *h) { return ((c_obj *)h)->value; }

/* The deleter of C objects, so Rust can tell them apart. */
rcobj_deleter rcobj_c_obj_deleter(void) { return c_obj_deleter; }

/* ---- whole scenarios written in C ------------------------------------------------------ */

#define CHECK(cond)              \
  do {                           \
    if (!(cond)) return __LINE__; \
  } while (0)

/*
 * Takes over one strong reference to any object (Rust's or C's) and uses it as a C
 * library would: clones it, takes and drops weak references, promotes a weak reference,
 * and releases everything it holds. `others` is the number of strong references held
 * elsewhere (so the counts can be checked exactly); `other_weak` likewise for weak ones.
 * Returns 0, or the line of the first failed check.
 */
int rcobj_c_use_object(rcobj_object_header *h, uint32_t others, uint32_t other_weak) {
  CHECK(h != NULL);
  CHECK(rcobj_strong_count(h) == others + 1);
  CHECK(rcobj_weak_count(h) == other_weak);
  CHECK(h->padding == 0);

  rcobj_object_header *clone = h;
  rcobj_inc_ref(clone);
  CHECK(rcobj_strong_count(h) == others + 2);

  rcobj_object_header *weak = h;
  rcobj_inc_weak_ref(weak);
  rcobj_inc_weak_ref(weak);
  CHECK(rcobj_weak_count(h) == other_weak + 2);
  rcobj_dec_weak_ref(weak);
  CHECK(rcobj_weak_count(h) == other_weak + 1);

  CHECK(rcobj_try_promote(weak) == 1);
  CHECK(rcobj_strong_count(h) == others + 3);
  rcobj_dec_ref(weak); /* the promoted reference */
  rcobj_dec_ref(clone);
  CHECK(rcobj_strong_count(h) == others + 1);

  /* drop our strong reference first, then the weak one: if we held the last strong
     reference this runs the strong phase now and the weak phase below */
  rcobj_dec_ref(h);
  if (others == 0) CHECK(rcobj_try_promote(weak) == 0);
  rcobj_dec_weak_ref(weak);
  return 0;
}

/*
 * Keeps a weak reference to an object while the caller drops every strong reference,
 * then checks that promotion fails, and drops the weak reference (which frees the object
 * through its deleter).
 */
rcobj_object_header *rcobj_c_take_weak(rcobj_object_header *h) {
  rcobj_inc_weak_ref(h);
  return h;
}

int rcobj_c_finish_weak(rcobj_object_header *weak, int expect_alive) {
  int promoted = rcobj_try_promote(weak);
  CHECK(promoted == expect_alive);
  if (promoted) rcobj_dec_ref(weak);
  rcobj_dec_weak_ref(weak);
  return 0;
}

/* Every function of the header with NULL: all no-ops. Returns 0. */
int rcobj_c_null_handles(void) {
  rcobj_object_init(NULL, RCOBJ_ANY_OBJECT_INDEX, c_obj_deleter);
  rcobj_inc_ref(NULL);
  rcobj_dec_ref(NULL);
  rcobj_inc_weak_ref(NULL);
  rcobj_dec_weak_ref(NULL);
  CHECK(rcobj_try_promote(NULL) == 0);
  CHECK(rcobj_strong_count(NULL) == 0);
  CHECK(rcobj_weak_count(NULL) == 0);
  return 0;
}

/*
 * Drives a count of a C object to RCOBJ_MAX_COUNT and increments it once more: must abort.
 * `which`: 0 strong (rcobj_inc_ref), 1 weak (rcobj_inc_weak_ref), 2 promotion.
 */
void rcobj_c_overflow(int which) {
  static rcobj_c_counters counters;
  rcobj_object_header *h = rcobj_c_obj_new(0, &counters);
  uint64_t word = which == 1 ? ((uint64_t)RCOBJ_MAX_COUNT << 32) | 1u
                             : RCOBJ_WEAK_ONE | RCOBJ_MAX_COUNT;
  __atomic_store_n(&h->combined_ref_count, word, __ATOMIC_RELAXED);
  switch (which) {
    case 0:
      rcobj_inc_ref(h);
      break;
    case 1:
      rcobj_inc_weak_ref(h);
      break;
    default:
      rcobj_try_promote(h);
      break;
  }
}

/* ---- type queries (defined by the rcobj crate, declared in rcobj.h) -------------------- */

/* 1 if the `len` bytes at `got` are exactly the NUL-terminated `want`. */
static int key_is(const char *got, size_t len, const char *want) {
  return got != NULL && len == strlen(want) && memcmp(got, want, len) == 0;
}

/*
 * The type queries on an object the caller holds (borrowed: it keeps its reference). Its
 * type's key is `key`, `ancestor` is the index of one of its type's ancestors, `unrelated`
 * the index of a registered type that is neither its type nor an ancestor. Returns 0, or the
 * line of the first failed check.
 */
int rcobj_c_type_queries(const rcobj_object_header *h, const char *key, int32_t ancestor,
                         int32_t unrelated) {
  size_t len = 99;
  const char *k = rcobj_type_key(h->type_index, &len);
  CHECK(key_is(k, len, key));
  CHECK(rcobj_type_key(h->type_index, NULL) == k);
  /* the returned bytes map back to the index */
  CHECK(rcobj_type_index(k, len) == h->type_index);
  CHECK(rcobj_type_index(key, strlen(key)) == h->type_index);
  CHECK(rcobj_type_index_cstr(key) == h->type_index);

  len = 99;
  CHECK(rcobj_object_type_key(h, &len) == k && len == strlen(key));
  CHECK(rcobj_object_type_key(h, NULL) == k);

  CHECK(rcobj_is_instance_of(h, h->type_index) == 1);
  CHECK(rcobj_is_instance_of(h, ancestor) == 1);
  CHECK(rcobj_is_instance_of(h, RCOBJ_ANY_OBJECT_INDEX) == 1);
  CHECK(rcobj_is_instance_of(h, unrelated) == 0);

  /* the other two types are registered, with keys that map back to them */
  k = rcobj_type_key(ancestor, &len);
  CHECK(k != NULL && rcobj_type_index(k, len) == ancestor);
  k = rcobj_type_key(unrelated, &len);
  CHECK(k != NULL && rcobj_type_index(k, len) == unrelated);
  return 0;
}

/* The root type, by index and by key. Returns 0 or a line. */
int rcobj_c_root_type_queries(void) {
  size_t len = 0;
  /* (the call stores `len` before key_is reads it: a separate statement) */
  const char *k = rcobj_type_key(RCOBJ_ANY_OBJECT_INDEX, &len);
  CHECK(key_is(k, len, "rcobj.Object"));
  CHECK(rcobj_type_index_cstr("rcobj.Object") == RCOBJ_ANY_OBJECT_INDEX);
  CHECK(rcobj_type_index("rcobj.Object", 12) == RCOBJ_ANY_OBJECT_INDEX);
  return 0;
}

/*
 * Every "not found" case. `c_object` is a live C object (RCOBJ_ANY_OBJECT_INDEX), `key` a
 * registered key, `unused` an index no type has. Returns 0 or a line.
 */
int rcobj_c_type_queries_not_found(const rcobj_object_header *c_object, const char *key,
                                   int32_t unused) {
#ifdef RCOBJ_TVM_FFI
  /* One index space with libtvm_ffi: the indices next to the root's and below the first
   * dynamic one are tvm-ffi's own types (foreign types to rcobj's registry). */
  const int32_t bad[] = {RCOBJ_TYPE_INDEX_NONE, INT32_MIN, RCOBJ_ANY_OBJECT_INDEX - 1, unused,
                         INT32_MAX};
#else
  const int32_t bad[] = {RCOBJ_TYPE_INDEX_NONE, INT32_MIN, 0, 1, RCOBJ_ANY_OBJECT_INDEX - 1,
                         RCOBJ_ANY_OBJECT_INDEX + 1, RCOBJ_FIRST_DYNAMIC_INDEX - 1, unused,
                         INT32_MAX};
#endif
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    size_t len = 99;
    CHECK(rcobj_type_key(bad[i], &len) == NULL);
    CHECK(len == 0);
    CHECK(rcobj_type_key(bad[i], NULL) == NULL);
    CHECK(rcobj_is_instance_of(c_object, bad[i]) == 0);
    CHECK(rcobj_is_instance_of(NULL, bad[i]) == 0);
  }
  CHECK(rcobj_is_instance_of(NULL, RCOBJ_ANY_OBJECT_INDEX) == 0);

  /* keys: NULL, empty, unknown, not UTF-8, a prefix, an extension, an embedded NUL */
  CHECK(rcobj_type_index(NULL, 0) == RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_index(NULL, 12) == RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_index_cstr(NULL) == RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_index("", 0) == RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_index_cstr("no.such.Type") == RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_index("\xff\xfe", 2) == RCOBJ_TYPE_INDEX_NONE);
  size_t n = strlen(key);
  CHECK(n > 0 && n < 200);
  CHECK(rcobj_type_index(key, n) != RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_index(key, n - 1) == RCOBJ_TYPE_INDEX_NONE);
  char buf[256];
  memcpy(buf, key, n);
  buf[n] = 'x';
  CHECK(rcobj_type_index(buf, n + 1) == RCOBJ_TYPE_INDEX_NONE);
  buf[n] = '\0';
  buf[n + 1] = 'x';
  CHECK(rcobj_type_index(buf, n + 2) == RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_index(buf, n) != RCOBJ_TYPE_INDEX_NONE);

  /* objects: NULL, a C object with the root index, one with an index rcobj does not know */
  size_t len = 99;
  CHECK(rcobj_object_type_key(NULL, &len) == NULL && len == 0);
  CHECK(rcobj_object_type_key(NULL, NULL) == NULL);
  const char *k = rcobj_object_type_key(c_object, &len);
  CHECK(key_is(k, len, "rcobj.Object"));
  CHECK(rcobj_is_instance_of(c_object, RCOBJ_ANY_OBJECT_INDEX) == 1);
  rcobj_object_header foreign; /* a tvm-ffi-like index; never shared, never released */
  rcobj_object_init(&foreign, 5, NULL);
  len = 99;
  CHECK(rcobj_object_type_key(&foreign, &len) == NULL && len == 0);
  CHECK(rcobj_is_instance_of(&foreign, 5) == 0);
  CHECK(rcobj_is_instance_of(&foreign, RCOBJ_ANY_OBJECT_INDEX) == 1);
  return 0;
}

/* 1 if the registered type `type_index` has key `key`, 0 if no such type is registered,
   -1 if it has another key. */
int rcobj_c_type_has_key(int32_t type_index, const char *key) {
  size_t len;
  const char *k = rcobj_type_key(type_index, &len);
  if (k == NULL) return 0;
  return key_is(k, len, key) ? 1 : -1;
}

/* As rcobj_c_type_has_key, for the type of a live object. */
int rcobj_c_object_has_key(const rcobj_object_header *h, const char *key) {
  size_t len;
  const char *k = rcobj_object_type_key(h, &len);
  if (k == NULL) return 0;
  return key_is(k, len, key) ? 1 : -1;
}

int rcobj_c_is_instance_of(const rcobj_object_header *h, int32_t type_index) {
  return rcobj_is_instance_of(h, type_index);
}

int32_t rcobj_c_type_index(const char *key) { return rcobj_type_index_cstr(key); }

/* Whether rcobj_type_key finds `type_index`, without reading the key (it may belong to a
   runtime type another thread is releasing). */
int rcobj_c_type_key_found(int32_t type_index) {
  size_t len = 99;
  const char *k = rcobj_type_key(type_index, &len);
  return k != NULL ? 1 : (len == 0 ? 0 : -1);
}
