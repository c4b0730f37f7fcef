// The Runner's deterministic scheduler: the threads of a Scenario, each a
// list of calls run one at a time as coroutines, and which thread runs each
// step: the Scenario's schedule entry when that thread can run, else the
// thread that ran last, else the lowest runnable one. A thread can run
// unless its calls are done or it waits for a mutex another thread holds.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "impl/scenario.h"
#include "impl/shim/kthread.h"
#include "properties/assert.h"
#include "properties/thread_mask.h"

namespace luv::impl {
struct World;
}

namespace luv {

struct ThreadRun {
  const std::vector<Call>* calls = nullptr;
  size_t next = 0;  // the next call to start, or the current one
  std::optional<impl::task<int>> current;
  int first_step = 0;  // of the current call

  bool in_call() const { return current.has_value(); }
  bool finished() const { return !current && next >= calls->size(); }
  // The current call, or the next to start (not finished()).
  const Call& call() const {
    LUV_ASSERT(next < calls->size());
    return (*calls)[next];
  }
};

class Scheduler {
 public:
  Scheduler(const Scenario& s, const impl::World& w);

  int threads() const { return static_cast<int>(threads_.size()); }
  ThreadRun& thread(int t);
  const ThreadRun& thread(int t) const;

  // The threads that can run the next step.
  thread_mask runnable() const;
  bool all_finished() const;
  bool quiescent() const;  // no thread inside a call
  // Who waits for whom, when no thread can run but some have not finished.
  std::string deadlock() const;

  // The thread that runs the next step, of `mask` (not empty); it becomes
  // the last one to have run. A run that reaches steps_bound(s) (runner.h)
  // is a bug of luv: this throws std::logic_error there.
  int choose(thread_mask mask);
  void stepped();  // the step ran: the next one begins
  // A call was appended to a thread of the Scenario (SteppedRun): the
  // steps bound grows with it.
  void calls_added();
  int step() const { return step_; }

  // Destroys the threads' coroutines (before the World they point into).
  void clear() { threads_.clear(); }

 private:
  bool can_run(int t) const;

  const Scenario& s_;
  const impl::World& w_;
  std::vector<ThreadRun> threads_;
  long long steps_bound_;
  int step_ = 0;
  int last_ = -1;
};

}  // namespace luv
