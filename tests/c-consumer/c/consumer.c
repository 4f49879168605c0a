/*
 * C code of a crate that uses rcobj (tests/c-consumer), compiled by its build.rs as C11
 * with the include directory from DEP_RCOBJ_INCLUDE. It does what a C library handed rcobj
 * objects does: takes and drops references, and asks rcobj about their types.
 */
#include <rcobj.h>

#include <string.h>

void consumer_c_retain(rcobj_object_header *h) { rcobj_inc_ref(h); }
void consumer_c_release(rcobj_object_header *h) { rcobj_dec_ref(h); }
void consumer_c_retain_weak(rcobj_object_header *h) { rcobj_inc_weak_ref(h); }
void consumer_c_release_weak(rcobj_object_header *h) { rcobj_dec_weak_ref(h); }
int consumer_c_promote(rcobj_object_header *h) { return rcobj_try_promote(h); }
uint32_t consumer_c_strong_count(const rcobj_object_header *h) { return rcobj_strong_count(h); }
uint32_t consumer_c_weak_count(const rcobj_object_header *h) { return rcobj_weak_count(h); }

/*
 * Copies the key of `h`'s type into `buf` (NUL-terminated, truncated to `cap - 1` bytes)
 * and returns the key's length; returns 0 (and an empty `buf`) if rcobj does not know it.
 */
size_t consumer_c_type_key(const rcobj_object_header *h, char *buf, size_t cap) {
  size_t len = 0;
  const char *key = rcobj_object_type_key(h, &len);
  if (cap == 0) return key != NULL ? len : 0;
  buf[0] = '\0';
  if (key == NULL) return 0;
  size_t n = len < cap - 1 ? len : cap - 1;
  memcpy(buf, key, n);
  buf[n] = '\0';
  return len;
}

/* As consumer_c_type_key, for a type index (through rcobj_type_key). */
size_t consumer_c_key_of_index(int32_t type_index, char *buf, size_t cap) {
  size_t len = 0;
  const char *key = rcobj_type_key(type_index, &len);
  if (cap == 0) return key != NULL ? len : 0;
  buf[0] = '\0';
  if (key == NULL) return 0;
  size_t n = len < cap - 1 ? len : cap - 1;
  memcpy(buf, key, n);
  buf[n] = '\0';
  return len;
}

/* The index of the type with this (NUL-terminated) key, or RCOBJ_TYPE_INDEX_NONE. */
int32_t consumer_c_index_of(const char *key) { return rcobj_type_index_cstr(key); }

/* 1 if `h` is an instance of the type with key `key`, 0 if not, -1 if no type has `key`. */
int consumer_c_is(const rcobj_object_header *h, const char *key) {
  int32_t index = rcobj_type_index_cstr(key);
  if (index == RCOBJ_TYPE_INDEX_NONE) return -1;
  return rcobj_is_instance_of(h, index);
}
