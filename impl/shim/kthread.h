// luv's kernel threads (not a kernel header): task<T> coroutines and where
// a thread may be preempted.
//
// Each lifecycle function is a C++20 coroutine (task<T>) so it reads like the
// kernel function, with a `co_await sched_point(w, "...")` at every
// interleaving point docs/SPEC.md names. The Runner owns the threads and decides,
// from the Scenario's schedule, which one resumes next. A single-threaded run
// executes the same code; the points then simply resume at once.
#pragma once
#include <coroutine>
#include <cstddef>
#include <exception>
#include <utility>

namespace luv::impl {

struct World;
struct mutex;

// One kernel thread as the scheduler sees it.
struct kthread {
  std::coroutine_handle<> resume_at;  // innermost suspended frame
  const char* point = nullptr;        // interleaving point it stopped at
  mutex* blocked_on = nullptr;        // set while waiting in mutex_lock
  int warn_conditions = 0;            // WARN conditions met, printed or not (WARN_ON_ONCE)
};

template <typename T>
class task;

namespace detail {
// Coroutine frames come from a per-thread pool of blocks by size class: a
// run makes and drops hundreds of frames of a few sizes, which malloc serves
// slowly. A block freed on another thread joins that thread's pool.
void* frame_alloc(std::size_t size);
void frame_free(void* p, std::size_t size) noexcept;

struct promise_base {
  static void* operator new(std::size_t size) { return frame_alloc(size); }
  static void operator delete(void* p, std::size_t size) noexcept { frame_free(p, size); }
  std::coroutine_handle<> continuation;
  std::exception_ptr exception;
  std::suspend_always initial_suspend() noexcept { return {}; }
  struct final_awaiter {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto next = h.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() { exception = std::current_exception(); }
};
template <typename T>
struct promise : promise_base {
  T value{};
  task<T> get_return_object();
  void return_value(T v) { value = std::move(v); }
};
template <>
struct promise<void> : promise_base {
  task<void> get_return_object();
  void return_void() {}
};
}  // namespace detail

// A lazily started coroutine. Awaiting it runs it to completion (with its
// own suspensions passing through to the scheduler) and yields its result.
template <typename T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::promise<T>;
  using handle = std::coroutine_handle<promise_type>;

  task() = default;
  explicit task(handle h) : h_(h) {}
  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
    h_.promise().continuation = parent;
    return h_;
  }
  T await_resume() { return result(); }

  // For the Runner, which drives a top-level task by hand.
  std::coroutine_handle<> start_handle() const { return h_; }
  bool done() const { return !h_ || h_.done(); }
  T result() {
    if (h_.promise().exception) std::rethrow_exception(h_.promise().exception);
    if constexpr (!std::is_void_v<T>) return std::move(h_.promise().value);
  }

 private:
  handle h_;
};

namespace detail {
template <typename T>
task<T> promise<T>::get_return_object() {
  return task<T>{std::coroutine_handle<promise<T>>::from_promise(*this)};
}
inline task<void> promise<void>::get_return_object() {
  return task<void>{std::coroutine_handle<promise<void>>::from_promise(*this)};
}
}  // namespace detail

// `co_await sched_point(w, "name")`: the current thread may be preempted here.
struct sched_point_awaiter {
  World& w;
  const char* point;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept;
  void await_resume() const noexcept {}
};
inline sched_point_awaiter sched_point(World& w, const char* point) { return {w, point}; }

}  // namespace luv::impl
