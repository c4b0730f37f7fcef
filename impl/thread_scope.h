// A thread's setting for the length of a scope: the explorer tells the code
// under test, through a thread_local, which footprint its questions narrow,
// which op masks and which rules answer them.
#pragma once

namespace luv::impl {

// `slot` (a thread_local of this thread) holds `value` while the scope lives,
// and what it held before after.
template <typename T>
class thread_scope {
 public:
  thread_scope(T& slot, T value) : slot_(slot), outer_(slot) { slot_ = value; }
  ~thread_scope() { slot_ = outer_; }
  thread_scope(const thread_scope&) = delete;
  thread_scope& operator=(const thread_scope&) = delete;

 private:
  T& slot_;
  T outer_;
};

}  // namespace luv::impl
