// luv's kernel pointer (not a kernel header): it oopses instead of
// corrupting memory.
//
// Why: the suite must observe a null dereference or a touch of freed memory
// as a property violation (no-null-op, no-use-after-free), not as a crash of
// the checker. Every dereference through kptr checks for null and for the
// poison flag of the object it points at, and throws an Oops that the
// scheduler turns into a dead thread and the Runner into a verdict.
#pragma once
#include <string>
#include <utility>

#include "impl/shim/step_reads.h"

namespace luv::impl {

enum class oops_kind { null_deref, null_op, use_after_free, lockdep, deadlock, bug };

struct Oops {
  oops_kind kind;
  std::string message;
};

[[noreturn]] inline void oops(oops_kind kind, std::string message) {
  throw Oops{kind, std::move(message)};
}

// T must provide `bool kfreed() const` and `const char* kname() const`.
template <typename T>
class kptr {
 public:
  kptr() = default;
  kptr(std::nullptr_t) {}
  explicit kptr(T* p) : p_(p) {}
  // Copying a kptr reads it (a field of shared state, or a local).
  kptr(const kptr& o) : p_(o.p_), err_(o.err_) { note_read(&o, read_kind::pointer); }
  kptr& operator=(const kptr& o) {
    note_read(&o, read_kind::pointer);
    note_write(this);
    p_ = o.p_;
    err_ = o.err_;
    return *this;
  }
  static kptr from_err(int err) { kptr r; r.err_ = err; return r; }

  T* operator->() const { return checked(); }
  T& operator*() const { return *checked(); }
  explicit operator bool() const {
    note_read(this, read_kind::pointer);
    return p_ != nullptr;
  }
  bool operator==(const kptr& o) const {
    note_read(this, read_kind::pointer);
    note_read(&o, read_kind::pointer);
    return p_ == o.p_ && err_ == o.err_;
  }
  bool is_err() const {
    note_read(this, read_kind::pointer);
    return err_ != 0;
  }
  int err() const {
    note_read(this, read_kind::pointer);
    return err_;
  }
  // The raw address, for comparisons and for code that only records it.
  T* get() const {
    note_read(this, read_kind::pointer);
    return p_;
  }

 private:
  T* checked() const {
    note_read(this, read_kind::pointer);
    note_read(p_, read_kind::object);
    if (err_ != 0) oops(oops_kind::null_deref, "dereference of an ERR_PTR");
    if (p_ == nullptr) oops(oops_kind::null_deref, "NULL pointer dereference");
    if (p_->kfreed()) oops(oops_kind::use_after_free, std::string("use after free of ") + p_->kname());
    return p_;
  }
  T* p_ = nullptr;
  int err_ = 0;
};

}  // namespace luv::impl
