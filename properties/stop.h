// A request to stop everything now (an interrupt: cli/interrupt.cpp sets it
// on SIGINT or SIGTERM). Engines that poll a deadline poll this beside it and
// stop as they do at their deadline, so an interrupt needs no path of its own
// through them; what they leave undecided is `unknown`, and stop_reason()
// says whether the budget or the interrupt cut it.
//
// Work that cannot poll (a Z3 query) registers a StopHook while it runs: the
// hooks are called, from an ordinary thread (never a signal handler), when a
// stop is requested, and again until the process ends.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>

namespace luv {

namespace stop_detail {
// The one deliberate piece of global mutable state in properties/ and
// explore/ (with the hook registry below, its other half): a signal handler
// can reach nothing else, and an interrupt must reach every engine's loop,
// on every thread, without being passed down through each of them. Nothing
// but request_stop() and clear_stop() writes it. Lock-free, so that a
// signal handler may set it.
inline std::atomic<bool> requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

struct hooks {
  std::mutex mutex;
  std::map<long, std::function<void()>> list;
  long next = 0;
};
// Never destroyed: a hook may run while the process exits.
inline hooks& registry() {
  static hooks* h = new hooks;
  return *h;
}
}  // namespace stop_detail

inline bool stop_requested() noexcept { return stop_detail::requested.load(std::memory_order_relaxed); }
// Async-signal-safe.
inline void request_stop() noexcept { stop_detail::requested.store(true); }
// For tests that request a stop and go on.
inline void clear_stop() noexcept { stop_detail::requested.store(false); }

// Work bounded by `deadline` must end now: it has passed, or a stop was requested.
inline bool must_stop(std::chrono::steady_clock::time_point deadline) {
  return stop_requested() || std::chrono::steady_clock::now() >= deadline;
}
// What an undecided outcome cut short says it was cut by.
inline const char* stop_reason() { return stop_requested() ? "interrupted" : "cut by the budget"; }

// Registers `interrupt` for as long as it lives (see the top of this file).
class StopHook {
 public:
  explicit StopHook(std::function<void()> interrupt) {
    auto& r = stop_detail::registry();
    std::lock_guard<std::mutex> hold(r.mutex);
    id_ = r.next++;
    r.list.emplace(id_, std::move(interrupt));
  }
  ~StopHook() {
    auto& r = stop_detail::registry();
    std::lock_guard<std::mutex> hold(r.mutex);
    r.list.erase(id_);
  }
  StopHook(const StopHook&) = delete;
  StopHook& operator=(const StopHook&) = delete;

 private:
  long id_;
};

// Calls every hook registered now (from an ordinary thread).
inline void run_stop_hooks() {
  auto& r = stop_detail::registry();
  std::lock_guard<std::mutex> hold(r.mutex);
  for (auto& [id, interrupt] : r.list) interrupt();
}

}  // namespace luv
