#include "properties/scheduler.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "impl/world.h"
#include "properties/assert.h"
#include "properties/runner.h"

namespace luv {

Scheduler::Scheduler(const Scenario& s, const impl::World& w) : s_(s), w_(w), steps_bound_(steps_bound(s)) {
  LUV_ASSERT(s.threads.size() <= static_cast<size_t>(SCENARIO_THREADS_MAX));
  LUV_ASSERT(w.threads.size() >= s.threads.size());
  threads_.resize(s.threads.size());
  for (size_t t = 0; t < s.threads.size(); ++t) threads_[t].calls = &s.threads[t];
}

ThreadRun& Scheduler::thread(int t) {
  LUV_ASSERT(t >= 0 && t < threads());
  return threads_[static_cast<size_t>(t)];
}

const ThreadRun& Scheduler::thread(int t) const {
  LUV_ASSERT(t >= 0 && t < threads());
  return threads_[static_cast<size_t>(t)];
}

bool Scheduler::can_run(int t) const {
  const ThreadRun& tr = threads_[static_cast<size_t>(t)];
  if (tr.finished()) return false;
  if (!tr.in_call()) return true;
  const impl::mutex* m = w_.threads[static_cast<size_t>(t)].blocked_on;
  return m == nullptr || m->owner < 0 || m->poisoned;
}

thread_mask Scheduler::runnable() const {
  thread_mask mask = 0;
  for (int t = 0; t < threads(); ++t)
    if (can_run(t)) mask |= thread_mask{1} << t;
  return mask;
}

bool Scheduler::all_finished() const {
  return std::all_of(threads_.begin(), threads_.end(), [](const ThreadRun& r) { return r.finished(); });
}

bool Scheduler::quiescent() const {
  return std::none_of(threads_.begin(), threads_.end(), [](const ThreadRun& r) { return r.in_call(); });
}

std::string Scheduler::deadlock() const {
  std::string who;
  for (int t = 0; t < threads(); ++t) {
    const impl::mutex* m = w_.threads[static_cast<size_t>(t)].blocked_on;
    if (threads_[static_cast<size_t>(t)].in_call() && m)
      who += " T" + std::to_string(t) + " waits for " + m->name + " held by T" + std::to_string(m->owner) + ";";
  }
  return "deadlock:" + who;
}

void Scheduler::calls_added() { steps_bound_ = steps_bound(s_); }

int Scheduler::choose(thread_mask mask) {
  if (step_ >= steps_bound_)
    throw std::logic_error("luv bug: the run reached " + std::to_string(steps_bound_) +
                           " steps, more than its calls can take (steps_bound)");
  LUV_ASSERT(mask != 0);
  LUV_ASSERT((mask >> threads()) == 0);  // no bit past the Scenario's threads
  int t = -1;
  if (step_ < static_cast<int>(s_.schedule.size()) && (mask >> s_.schedule[static_cast<size_t>(step_)] & 1u))
    t = s_.schedule[static_cast<size_t>(step_)];
  else if (last_ >= 0 && (mask >> last_ & 1u))
    t = last_;
  else
    t = std::countr_zero(mask);
  LUV_ASSERT(t >= 0 && t < threads() && can_run(t));
  last_ = t;
  return t;
}

void Scheduler::stepped() { ++step_; }

}  // namespace luv
