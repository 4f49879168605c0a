// The C++ side of tests/c-consumer: compiled by build.rs twice, as C++11 and as C++17,
// against the rcobj.h in DEP_RCOBJ_INCLUDE, with -Wall -Wextra -pedantic -Werror (and
// -Wold-style-cast, -Wzero-as-null-pointer-constant, conversion warnings).
//
// It uses rcobj.h as a C++ binding would: RAII reference types over the inline count
// functions, a C++ object type (header first, its own deleter) that Rust can hold, the
// type queries, and std::thread workers sharing an object with Rust. The only symbol each
// build exports is rcobj_cpp<STD>_api(), a table of entry points with C linkage, so both
// builds link into one test binary.
#include <rcobj.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#ifndef RCOBJ_CPP_STD
#error "build.rs defines RCOBJ_CPP_STD (11 or 17)"
#endif

#define RCOBJ_CPP_CAT2(a, b, c) a##b##c
#define RCOBJ_CPP_CAT(a, b, c) RCOBJ_CPP_CAT2(a, b, c)
#define RCOBJ_CPP_API RCOBJ_CPP_CAT(rcobj_cpp, RCOBJ_CPP_STD, _api)

#if RCOBJ_CPP_STD == 11
static_assert(__cplusplus == 201103L, "compiled as C++11");
#elif RCOBJ_CPP_STD == 17
static_assert(__cplusplus == 201703L, "compiled as C++17");
#else
#error "unexpected RCOBJ_CPP_STD"
#endif

// The header's declarations have C linkage in C++ too.
static_assert(std::is_same<decltype(&rcobj_type_key),
                           const char *(*)(int32_t, std::size_t *)>::value,
              "rcobj_type_key as declared");
static_assert(sizeof(rcobj_object_header) == 24, "the header is 24 bytes in C++");
static_assert(std::is_standard_layout<rcobj_object_header>::value, "a C struct");
static_assert(std::is_trivially_copyable<rcobj_object_header>::value, "a C struct");

extern "C" {

// Mirrored by `CppCounters` in src/lib.rs: what the deleter of C++ widgets saw.
struct rcobj_cpp_counters {
  int64_t created;
  int64_t destroyed;
  int64_t freed;
  int64_t violations;
  int32_t last_flags;
  int32_t n_calls;
};

// Mirrored by `CppApi` in src/lib.rs. Each function returning int returns 0, or the line of
// the first failed check.
struct rcobj_cpp_api {
  long standard;  // __cplusplus
  int (*use_rust_object)(rcobj_object_header *h, const char *key, int32_t ancestor,
                         int32_t unrelated);
  rcobj_object_header *(*widget_new)(int64_t value, const char *name, rcobj_cpp_counters *c);
  int64_t (*widget_value)(const rcobj_object_header *h);
  int (*widget_name_is)(const rcobj_object_header *h, const char *name);
  int (*null_handles)(void);
  int (*share_across_threads)(rcobj_object_header *h, int threads, int rounds);
};

}  // extern "C"

#define CHECK(cond)               \
  do {                            \
    if (!(cond)) return __LINE__; \
  } while (0)

namespace {

// An owning strong reference.
class Ref {
 public:
  Ref() noexcept : h_(nullptr) {}
  // Takes over a strong reference the caller owns.
  static Ref adopt(rcobj_object_header *h) noexcept { return Ref(h); }
  Ref(const Ref &other) noexcept : h_(other.h_) { rcobj_inc_ref(h_); }
  Ref(Ref &&other) noexcept : h_(other.h_) { other.h_ = nullptr; }
  Ref &operator=(Ref other) noexcept {
    std::swap(h_, other.h_);
    return *this;
  }
  ~Ref() { rcobj_dec_ref(h_); }  // NULL (moved from, empty) is a no-op
  rcobj_object_header *get() const noexcept { return h_; }

 private:
  explicit Ref(rcobj_object_header *h) noexcept : h_(h) {}
  rcobj_object_header *h_;
};

// An owning weak reference.
class Weak {
 public:
  explicit Weak(const Ref &strong) noexcept : h_(strong.get()) { rcobj_inc_weak_ref(h_); }
  Weak(const Weak &other) noexcept : h_(other.h_) { rcobj_inc_weak_ref(h_); }
  Weak &operator=(const Weak &) = delete;
  ~Weak() { rcobj_dec_weak_ref(h_); }
  // A strong reference, or an empty Ref once the object is dead.
  Ref lock() const noexcept { return rcobj_try_promote(h_) ? Ref::adopt(h_) : Ref(); }

 private:
  rcobj_object_header *h_;
};

// 1 if the `len` bytes at `got` are the NUL-terminated `want`.
bool key_is(const char *got, std::size_t len, const char *want) {
  return got != nullptr && len == std::strlen(want) && std::memcmp(got, want, len) == 0;
}

// Takes over one strong reference to an object Rust made (Rust keeps exactly one more
// strong reference and no weak one), uses it through Ref/Weak and the type queries, and
// releases what it took over.
int use_rust_object(rcobj_object_header *raw, const char *key, int32_t ancestor,
                    int32_t unrelated) {
  Ref r = Ref::adopt(raw);
  CHECK(rcobj_strong_count(raw) == 2 && rcobj_weak_count(raw) == 0);
  {
    Ref copy = r;
    CHECK(rcobj_strong_count(raw) == 3);
    Weak w(copy);
    Weak w2 = w;
    CHECK(rcobj_weak_count(raw) == 2);
    Ref again = w.lock();
    CHECK(again.get() == raw && rcobj_strong_count(raw) == 4);
    Ref moved = std::move(again);
    CHECK(again.get() == nullptr && moved.get() == raw && rcobj_strong_count(raw) == 4);
    copy = Ref();  // assignment releases
    CHECK(rcobj_strong_count(raw) == 3);
  }
  CHECK(rcobj_strong_count(raw) == 2 && rcobj_weak_count(raw) == 0);

  std::size_t len = 0;
  const char *k = rcobj_object_type_key(raw, &len);
  CHECK(key_is(k, len, key));
  std::size_t len2 = 0;
  CHECK(rcobj_type_key(raw->type_index, &len2) == k && len2 == len);
  CHECK(rcobj_type_index(k, len) == raw->type_index);
  CHECK(rcobj_type_index_cstr(key) == raw->type_index);
  CHECK(rcobj_is_instance_of(raw, raw->type_index) == 1);
  CHECK(rcobj_is_instance_of(raw, ancestor) == 1);
  CHECK(rcobj_is_instance_of(raw, RCOBJ_ANY_OBJECT_INDEX) == 1);
  CHECK(rcobj_is_instance_of(raw, unrelated) == 0);
  CHECK(rcobj_is_instance_of(raw, RCOBJ_TYPE_INDEX_NONE) == 0);
  CHECK(rcobj_type_key(RCOBJ_TYPE_INDEX_NONE, &len) == nullptr && len == 0);
  CHECK(rcobj_type_index_cstr("no.such.Type") == RCOBJ_TYPE_INDEX_NONE);
  return 0;  // `r` releases the reference Rust handed over
}

// A C++ object: the header first (so the struct is standard-layout and a pointer to the
// header is a pointer to the widget), then its fields.
struct Widget {
  rcobj_object_header header;
  int64_t value;
  char *name;  // owned (new[]), released in the strong phase
  rcobj_cpp_counters *counters;
  bool destroyed;
};
static_assert(std::is_standard_layout<Widget>::value, "header and widget interconvert");
static_assert(offsetof(Widget, header) == 0, "the header comes first");

extern "C" {
// Internal linkage, C language linkage: the type of rcobj_deleter.
static void widget_deleter(void *self, int flags) {
  Widget *w = static_cast<Widget *>(self);
  rcobj_cpp_counters *c = w->counters;
  c->n_calls++;
  c->last_flags = flags;
  if (flags != RCOBJ_DELETER_STRONG && flags != RCOBJ_DELETER_WEAK &&
      flags != RCOBJ_DELETER_BOTH) {
    c->violations++;
    return;
  }
  if ((flags & RCOBJ_DELETER_STRONG) != 0) {
    if (w->destroyed || rcobj_strong_count(&w->header) != 0) c->violations++;
    delete[] w->name;
    w->name = nullptr;
    w->destroyed = true;
    c->destroyed++;
  }
  if ((flags & RCOBJ_DELETER_WEAK) != 0) {
    if (!w->destroyed) c->violations++;
    c->freed++;
    delete w;
  }
}
}  // extern "C"

rcobj_object_header *widget_new(int64_t value, const char *name, rcobj_cpp_counters *c) {
  Widget *w = new Widget();
  rcobj_object_init(&w->header, RCOBJ_ANY_OBJECT_INDEX, widget_deleter);
  w->value = value;
  std::size_t n = std::strlen(name);
  w->name = new char[n + 1];
  std::memcpy(w->name, name, n + 1);
  w->counters = c;
  w->destroyed = false;
  c->created++;
  return &w->header;
}

const Widget *as_widget(const rcobj_object_header *h) {
  return static_cast<const Widget *>(static_cast<const void *>(h));
}

int64_t widget_value(const rcobj_object_header *h) { return as_widget(h)->value; }

int widget_name_is(const rcobj_object_header *h, const char *name) {
  const Widget *w = as_widget(h);
  return w->name != nullptr && std::strcmp(w->name, name) == 0 ? 1 : 0;
}

// Every function of the header with NULL (nullptr): the count operations do nothing, the
// queries say "not found".
int null_handles() {
  rcobj_object_header *null = nullptr;
  rcobj_object_init(null, RCOBJ_ANY_OBJECT_INDEX, widget_deleter);
  rcobj_inc_ref(null);
  rcobj_dec_ref(null);
  rcobj_inc_weak_ref(null);
  rcobj_dec_weak_ref(null);
  CHECK(rcobj_try_promote(null) == 0);
  CHECK(rcobj_strong_count(null) == 0 && rcobj_weak_count(null) == 0);
  CHECK(rcobj_count_word(null) == 0);
  std::size_t len = 99;
  CHECK(rcobj_object_type_key(null, &len) == nullptr && len == 0);
  CHECK(rcobj_object_type_key(null, nullptr) == nullptr);
  CHECK(rcobj_is_instance_of(null, RCOBJ_ANY_OBJECT_INDEX) == 0);
  CHECK(rcobj_type_index(nullptr, 3) == RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_index_cstr(nullptr) == RCOBJ_TYPE_INDEX_NONE);
  CHECK(rcobj_type_key(RCOBJ_ANY_OBJECT_INDEX, nullptr) != nullptr);
  Ref empty;
  Ref copy = empty;
  CHECK(copy.get() == nullptr);
  return 0;
}

// `threads` std::threads each take a strong reference from `h` (which the caller keeps)
// and clone, weak-reference, promote and drop it `rounds` times, while Rust may do the
// same on other threads.
int share_across_threads(rcobj_object_header *h, int threads, int rounds) {
  rcobj_inc_ref(h);
  const Ref shared = Ref::adopt(h);
  std::atomic<int> failures(0);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; t++) {
    workers.emplace_back([&shared, &failures, rounds]() {
      Ref mine = shared;
      for (int i = 0; i < rounds; i++) {
        Ref c = mine;
        Weak w(c);
        Ref p = w.lock();
        if (p.get() != c.get() || rcobj_strong_count(p.get()) < 3) failures++;
      }
    });
  }
  for (std::thread &w : workers) w.join();
  CHECK(failures.load() == 0);
  return 0;
}

const rcobj_cpp_api api = {
    __cplusplus,   use_rust_object, widget_new,          widget_value,
    widget_name_is, null_handles,   share_across_threads,
};

}  // namespace

extern "C" const rcobj_cpp_api *RCOBJ_CPP_API(void);
extern "C" const rcobj_cpp_api *RCOBJ_CPP_API(void) { return &api; }
