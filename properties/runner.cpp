#include "properties/runner.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>

#include "impl/callers.h"
#include "impl/shim/arena.h"
#include "impl/world.h"
#include "linux/errno.h"
#include "properties/assert.h"
#include "properties/callers_memory.h"
#include "properties/checks.h"
#include "properties/object_graph.h"
#include "properties/refinement.h"
#include "properties/scheduler.h"
#include "properties/tracer.h"

namespace luv {

using impl::World;

// One run: the scheduler picks a thread per step, the thread resumes its
// call to the next interleaving point, and the checks judge the state at
// each call's return, each quiescent point and after the next kernel. Says
// when; checks.h says what is wrong, scheduler.h who runs, tracer.h what
// the trace reads.
class Runner {
 public:
  Runner(const Scenario& s, const RunOptions& o, const impl::variant_rules& rules)
      : s_(s), o_(o), w_(std::make_unique<World>(s, rules)), sched_(s, *w_), tracer_(o.trace),
        memory_(static_cast<int>(s.threads.size())), checks_(s, o, *w_, sched_, memory_),
        steps_stop_(o.explore ? o.explore->steps_stop : -1) {
    if (o.trace) w_->log = tracer_.log();
    if (o.observer) o.observer->callers_ = &memory_;
  }
  ~Runner() {
    if (o_.observer) o_.observer->callers_ = nullptr;
    // Threads stopped mid-call are destroyed before the World they point into.
    w_->unwinding = true;
    sched_.clear();
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  RunResult go() {
    begin();
    // steps_stop does not cut a run whose threads have all finished: it goes on to kexec.
    while (!done_ && !(steps_stop_ >= 0 && sched_.step() >= steps_stop_ && !sched_.all_finished())) step();
    result_.stopped = !done_;
    if (result_.stopped) {
      if (o_.observer) o_.observer->on_stop(*w_);
    } else {
      threads_done();
    }
    return finish();
  }

 private:
  friend class SteppedRun;

  void begin() {
    tracer_.header(s_);
    if (o_.observer) o_.observer->on_start(*w_);
  }

  // The threads are done: kexec and the next kernel, unless an oops or a deadlock ended the run.
  void threads_done() {
    if (!checks_.ended() && s_.kexec) after_threads();
  }

  RunResult finish() {
    result_.steps = sched_.step();
    result_.fault_visits = w_->fault_visits;
    result_.faults_fired = static_cast<int>(w_->faults_fired.size());
    result_.warnings = static_cast<int>(w_->warnings.size());
    result_.verdict = checks_.take_verdict();
    tracer_.verdict(result_.verdict, o_.properties);
    result_.trace = tracer_.take();
    result_.callers = std::move(memory_);  // the run is over: nothing reads it past here
    return std::move(result_);
  }

  void step() {
    if (sched_.all_finished()) {
      done_ = true;
      return;
    }
    thread_mask mask = sched_.runnable();
    if (mask == 0) {
      checks_.end_run(PropertyId::lock_discipline, -1, -1, sched_.deadlock());
      done_ = true;
      return;
    }
    int t = sched_.choose(mask);
    last_thread_ = t;
    ThreadRun& tr = sched_.thread(t);
    w_->current = t;
    memory_.note_step(t);
    if (!tr.in_call()) start_call(t);
    resume(t);
    // The step may have torn the FLB down (a call's last FLB put): noted
    // now, since a file preserved by a later step, before any call
    // returns, starts a new FLB without what was kept before.
    forget_kept_after_teardown();
    if (o_.observer) o_.observer->on_step(*w_, t);

    bool returned = tr.current->done();
    if (o_.record_steps) result_.steps_taken.push_back(StepRecord{t, mask, returned ? nullptr : w_->threads[t].point});
    if (returned) {
      end_call(t);
    } else {
      if (tracer_.on()) {
        const impl::mutex* waits = w_->threads[t].blocked_on;
        tracer_.step_line(sched_.step(), t,
                          std::string("  .. ") + w_->threads[t].point + (waits ? std::string("(") + waits->name + ")" : ""));
      }
      checks_.splats(t, static_cast<int>(tr.next));
    }
    sched_.stepped();
  }

  // Thread t runs to its next interleaving point, its reads noted for the
  // explorer (ExploreHook::reads_step) or the page watch.
  void resume(int t) {
    std::coroutine_handle<> h = w_->threads[t].resume_at;
    w_->threads[t].point = nullptr;
    const ExploreHook* x = o_.explore;
    bool explorer_reads = x && sched_.step() == x->reads_step && x->reads;
    PageWatch* watch = checks_.watch();
    if (explorer_reads) {
      x->reads->clear();
      if (o_.observer) o_.observer->on_reads_step(*w_);
      impl::step_reads = x->reads;
      impl::step_writes = x->writes;
      if (x->writes) x->writes->clear();
    } else if (watch) {
      step_events_.clear();
      impl::step_reads = &step_events_;
    }
    h.resume();
    impl::step_reads = nullptr;
    impl::step_writes = nullptr;
    if (watch) watch->touched(explorer_reads ? *x->reads : step_events_);
    tracer_.flush_log(sched_.step(), t);
  }

  void start_call(int t) {
    ThreadRun& tr = sched_.thread(t);
    const Call& call = tr.call();
    tr.current.emplace(impl::invoke(*w_, call));
    tr.first_step = sched_.step();
    CallStart& start = memory_.started(t);
    start.alone = true;
    start.warn_conditions = w_->threads[t].warn_conditions;
    if (checks_.enabled(PropertyId::error_path_deleted)) start.facts = checks_.facts_now();
    w_->threads[t].resume_at = tr.current->start_handle();
    w_->call_allocations[t].clear();
    w_->call_released[t].clear();
    if (tracer_.on()) tracer_.step_line(sched_.step(), t, describe_call(call));
    if (o_.observer) o_.observer->on_call_start(*w_, t, call);
  }

  void end_call(int t) {
    ThreadRun& tr = sched_.thread(t);
    int index = static_cast<int>(tr.next);
    const Call& call = tr.call();
    int ret = 0;
    try {
      ret = tr.current->result();
    } catch (const impl::Oops& oops) {
      tracer_.step_line(sched_.step(), t, "  BUG: " + oops.message);
      checks_.end_run(property_of(oops.kind), t, index, describe_call(call) + ": " + oops.message);
      done_ = true;
      return;
    }
    bool is_void = impl::call_returns_void(call.kind);
    if (tracer_.on())
      tracer_.step_line(sched_.step(), t, describe_call(call) + (is_void ? " returns" : " = " + impl::errno_name(ret)));
    CallRecord record{t, index, call, ret, is_void, tr.first_step, sched_.step()};
    judge_returned(record);
    result_.calls.push_back(record);
    tr.current.reset();
    tr.next++;
    w_->call_allocations[t].clear();
    if (sched_.quiescent() && sched_.step() >= checks_from()) at_quiescent(t, index);
  }

  // A call returned: the checks made then, and what its callers now believe.
  void judge_returned(const CallRecord& r) {
    checks_.splats(r.thread, r.index);
    checks_.locks_at_return(r);
    const CallStart& start = memory_.started(r.thread);
    if (r.ret < 0 && !r.returned_void) checks_.error_path(start, r);
    // A WARN condition met during the call (printed or, once printed, not).
    bool warned_in_call = w_->threads[r.thread].warn_conditions > start.warn_conditions;
    auto judge_object_call = [&](const CallRecord& object_call, bool warned) {
      checks_.missing_unpreserve(object_call);
      memory_.note_returned(object_call, warned);
    };
    if (r.call.kind != CallKind::luo_session_release)  // the common case, without a list
      judge_object_call(r, warned_in_call);
    else
      for (const auto& [object_call, warned] : object_calls(*w_, s_.topology, r, warned_in_call))
        judge_object_call(object_call, warned);
    forget_kept_after_teardown();
    for (int u = 0; u < sched_.threads(); ++u)
      if (u != r.thread && sched_.thread(u).in_call()) memory_.note_overlap(s_.topology, r.call, sched_.thread(u).call());
    if (o_.observer) {
      if (auto msg = o_.observer->on_call_end(*w_, r)) checks_.fail(PropertyId::model_refinement, r.thread, r.index, *msg);
    }
  }

  // Once no file is preserved and the FLB object is gone, LUO has torn it
  // down (rule 5). While a call still holds a reference the teardown waits,
  // and a file preserved meanwhile takes the FLB over with what it holds.
  void forget_kept_after_teardown() {
    bool no_file = std::none_of(w_->file_preserved.begin(), w_->file_preserved.end(), [](bool b) { return b; });
    if (no_file && !w_->iommu_flb.outgoing) memory_.forget_kept();
  }

  int checks_from() const { return o_.explore ? o_.explore->checks_from : 0; }

  void at_quiescent(int t, int call) {
    if (o_.invariant && !result_.divergence) {
      std::string why;
      {
        impl::arena::outside own_memory;  // the invariant is not the kernel's: it may keep what it allocates
        why = o_.invariant(*w_);
      }
      if (!why.empty()) result_.divergence = "after step " + std::to_string(sched_.step()) + ": " + why;
    }
    checks_.object_graph(t, call);
  }

  // kexec, the next kernel's restore, and its checks.
  void after_threads() {
    if (o_.observer) {
      if (auto msg = o_.observer->on_threads_done(*w_)) checks_.fail(PropertyId::model_refinement, -1, -1, *msg);
    }
    impl::next_kernel_result want = memory_.expected_restore(*w_, s_.topology);
    impl::kexec(*w_);
    result_.kexec_done = true;
    tracer_.step_line(sched_.step(), -1, "kexec");
    impl::next_kernel_result got;
    try {
      got = impl::next_kernel_restore(*w_);
    } catch (const impl::Oops& oops) {  // an oops in the next kernel is a verdict too
      tracer_.flush_log(sched_.step(), -1);
      tracer_.step_line(sched_.step(), -1, "  BUG: " + oops.message);
      checks_.end_run(property_of(oops.kind), -1, -1, "next kernel: " + oops.message);
      return;
    }
    tracer_.flush_log(sched_.step(), -1);
    tracer_.step_line(sched_.step(), -1, "next kernel: " + describe_restore(got));
    checks_.splats(-1, -1);  // KASAN in the next kernel: a read past a page it walked
    checks_.restore(want, got);
    checks_.pages_after_next_kernel();
    result_.restore = std::move(got);
  }

  const Scenario& s_;
  const RunOptions& o_;
  std::unique_ptr<World> w_;
  Scheduler sched_;
  Tracer tracer_;
  CallersMemory memory_;
  Checks checks_;
  const int steps_stop_;
  RunResult result_;
  bool done_ = false;
  int last_thread_ = -1;  // that ran the last step
  std::vector<impl::read_event> step_events_;
};

SteppedRun::SteppedRun(const Scenario& s, const RunOptions& o) : s_(s), o_(o) {
  const impl::variant_rules* rules = impl::find_variant(s.variant);
  if (rules == nullptr) throw std::invalid_argument("variant: " + impl::unknown_variant(s.variant));
  LUV_ASSERT(o.explore != nullptr && s.calls_total() == 0 && s.schedule.empty());
  r_ = new Runner(s_, o_, *rules);
  r_->begin();
}

void SteppedRun::start(int t, const Call& call) {
  LUV_ASSERT(t >= 0 && t < r_->sched_.threads());
  s_.threads[static_cast<size_t>(t)].push_back(call);
  r_->sched_.calls_added();
}

void SteppedRun::add_fault(const Fault& f) {
  s_.faults.push_back(f);
  r_->w_->faults.push_back(f);
}

void SteppedRun::step(int t) {
  LUV_ASSERT(!r_->done_ && static_cast<int>(s_.schedule.size()) == r_->sched_.step());
  s_.schedule.push_back(t);
  r_->step();
  LUV_ASSERT(r_->last_thread_ == t);  // the explorer steps runnable threads only
}

bool SteppedRun::all_finished() const { return r_->sched_.all_finished(); }

void SteppedRun::finish() {
  LUV_ASSERT(all_finished() && !r_->done_);
  r_->done_ = true;
  r_->threads_done();
}

const Verdict& SteppedRun::verdict() const { return r_->checks_.verdict(); }
int SteppedRun::steps() const { return r_->sched_.step(); }
const impl::World& SteppedRun::world() const { return *r_->w_; }
const CallersMemory& SteppedRun::callers() const { return r_->memory_; }
const std::optional<std::string>& SteppedRun::divergence() const { return r_->result_.divergence; }

const CallersMemory& RunObserver::callers() const {
  LUV_ASSERT(callers_ != nullptr);  // only inside a run, on the observer run() was given
  return *callers_;
}

const Violation* Verdict::first_of(PropertyId p) const {
  for (const Violation& v : violations)
    if (v.property == p) return &v;
  return nullptr;
}

PropertySet Verdict::unjudged_after_end(const PropertySet& checked) const {
  if (!ended) return {};
  PropertySet out = checked;
  for (const Violation& v : violations) out.reset(static_cast<size_t>(v.property));
  return out;
}

// Every step resumes one thread at one interleaving point (a mutex lock,
// a read outside a lock, a driver op) or at its call's start, and no point
// is passed twice without moving on: a blocked thread is not runnable. The
// deepest call passes 9 points and takes 10 steps (vfio_preserve whose
// preserve_device op fails: the session and LUO locks, the read of
// preserved_state, the FLB get and its object's lock, the IOMMU's preserve
// op, preserve_device, the IOMMU's unpreserve, LUO's unpreserve of the
// file); counted as 16. A session's teardown adds at most 6 per file it
// walks (the handler's unpreserve, 4 points, and LUO's unpreserve of the
// file), counted as 8; each file it walks was listed by one successful
// preserve and leaves the list, so over a run the teardowns walk at most
// one file per call. Hence 24 steps per call, with margin.
long long steps_bound(const Scenario& s) {
  constexpr long long call_steps = 16, teardown_steps_per_listed_file = 8;
  return static_cast<long long>(s.calls_total()) * (call_steps + teardown_steps_per_listed_file) + 1;
}

RunResult run(const Scenario& s, const RunOptions& options) {
  const impl::variant_rules* rules = impl::find_variant(s.variant);
  if (rules == nullptr) throw std::invalid_argument("variant: " + impl::unknown_variant(s.variant));
  // The explorer's Scenarios are its validated topology and alphabet; it
  // runs millions of them, and validation was 9% of its time.
  if (options.explore == nullptr) {
    std::string invalid = validate(s);
    if (!invalid.empty()) throw std::invalid_argument(invalid);
  }
  // model-refinement is judged by the model's observer: run() attaches one
  // unless the caller brings its own (the check engine reads its undecided()).
  RefinementObserver model_observer;
  RunOptions o = options;
  if (o.observer == nullptr && has(o.properties, PropertyId::model_refinement)) o.observer = &model_observer;
  Runner r(s, o, *rules);
  return r.go();
}

}  // namespace luv
