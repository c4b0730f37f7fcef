// Stand-in for <linux/mutex.h>, <linux/lockdep.h> and <linux/cleanup.h>'s
// guard(mutex): a mutex with an owner, lockdep_assert_held, a scoped guard.
//
// A lock is an interleaving point; an unlock needs none, as a switch just
// after it is the same as one at the thread's next point (shared state is
// touched outside a lock only at points of its own). A failed lockdep
// assertion or an unlock by a non-owner is a lock-discipline splat, a guard
// released after its object was freed a use-after-free splat: the Runner
// reports them and the run goes on. A recursive lock oopses (a deadlock).
#pragma once
#include <coroutine>
#include <exception>
#include <source_location>

namespace luv::impl {
struct World;

struct mutex {
  const char* name = "mutex";
  int owner = -1;         // thread id, -1 when free
  bool poisoned = false;  // the object holding it was freed
};

struct mutex_lock_awaiter {
  World& w;
  mutex* lock;
  bool await_ready() const;
  void await_suspend(std::coroutine_handle<> h);
  void await_resume();
};
// `co_await mutex_lock(w, &m)`: an interleaving point, then the lock.
mutex_lock_awaiter mutex_lock(World& w, mutex* lock);
void mutex_unlock(World& w, mutex* lock);
void lockdep_assert_held(World& w, const mutex* lock,
                         std::source_location site = std::source_location::current());

// guard(mutex)(&lock): unlocks when the scope ends. A scope left by an oops
// keeps the lock held, as a dead kernel thread would.
class mutex_guard {
 public:
  mutex_guard(World& w, mutex* lock) : w_(w), lock_(lock), uncaught_(std::uncaught_exceptions()) {}
  mutex_guard(const mutex_guard&) = delete;
  mutex_guard& operator=(const mutex_guard&) = delete;
  ~mutex_guard();

 private:
  World& w_;
  mutex* lock_;
  int uncaught_;
};

struct mutex_guard_awaiter {
  mutex_lock_awaiter lock_awaiter;
  bool await_ready() const { return lock_awaiter.await_ready(); }
  void await_suspend(std::coroutine_handle<> h) { lock_awaiter.await_suspend(h); }
  mutex_guard await_resume() {
    lock_awaiter.await_resume();
    return mutex_guard(lock_awaiter.w, lock_awaiter.lock);
  }
};
// `auto guard = co_await guard_mutex(w, &m);`
inline mutex_guard_awaiter guard_mutex(World& w, mutex* lock) { return {mutex_lock(w, lock)}; }

}  // namespace luv::impl
