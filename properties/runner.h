// The Runner: executes a Scenario on the implementation under the
// deterministic scheduler, checks the properties after every step, and
// returns a Verdict: ok, or the first violation.
//
// Every engine (RapidCheck, the explorer, Z3, replay) hands its Scenarios to
// this one function, so a violation means the same thing whoever found it.
#pragma once
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "impl/next_kernel.h"
#include "impl/scenario.h"
#include "properties/call_record.h"
#include "properties/callers_memory.h"
#include "properties/property.h"
#include "properties/thread_mask.h"

namespace luv::impl {
struct World;
struct read_event;
}

namespace luv {

class Runner;

struct Violation {
  PropertyId property = PropertyId::no_leak;
  int step = 0;     // the step after which it was seen (steps count from 0)
  int thread = -1;  // the thread that ran that step; -1 after the threads (kexec, restore)
  int call = -1;    // index of that thread's call, -1 when none
  std::string message;
  std::string snapshot;  // the kernel state at that point, as text
};

// Each property is judged on its own: a run goes on past a violation (the
// state stays readable), so `violations` holds the first violation of every
// property the run saw, in the order seen, and `violation` is the first of
// them. Only an oops (the thread dies, maybe holding a lock) or a deadlock
// ends a run early: `ended` says so, and every property not yet violated was
// judged only up to that step (docs/SPEC.md, "Each property on its own").
struct Verdict {
  std::optional<Violation> violation;
  std::vector<Violation> violations;
  std::optional<Violation> ended;  // the oops or deadlock that ended the run
  bool ok() const { return !violation.has_value(); }
  const Violation* first_of(PropertyId p) const;
  // Checked properties not violated before `ended` (empty when the run ran to its end).
  PropertySet unjudged_after_end(const PropertySet& checked) const;
};

// One step of the schedule, for the explorer.
struct StepRecord {
  int thread = 0;
  thread_mask runnable_mask = 0;  // threads that could have run this step
  const char* stopped_at = nullptr;  // the point the thread stopped at, null when its call returned
};

// Hooks for checks that live above properties/ (the model's refinement
// check) and for the explorer.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void on_start(const impl::World& w) { (void)w; }
  virtual void on_call_start(const impl::World& w, int thread, const Call& call) {
    (void)w, (void)thread, (void)call;
  }
  // After every step, with the thread that ran it (faults it injected and
  // warnings it raised are in w); before on_call_end when the call returned.
  virtual void on_step(const impl::World& w, int thread) { (void)w, (void)thread; }
  // A message makes the run fail with model-refinement.
  virtual std::optional<std::string> on_call_end(const impl::World& w, const CallRecord& record) {
    (void)w, (void)record;
    return std::nullopt;
  }
  virtual std::optional<std::string> on_threads_done(const impl::World& w) {
    (void)w;
    return std::nullopt;
  }
  // The run stopped at ExploreHook::steps_stop (explorers fingerprint here).
  virtual void on_stop(const impl::World& w) { (void)w; }
  // Just before step ExploreHook::reads_step, whose reads are noted.
  virtual void on_reads_step(const impl::World& w) { (void)w; }

  // What the callers believe now, and what the Runner noted at each call's
  // start: the Runner's memory (callers_memory.h), valid in every hook from
  // on_start on; in on_call_end it has taken that call in. run() sets it on
  // RunOptions::observer only: an observer that wraps another (the solver's
  // CrossCheckObserver) reads it, the one it wraps cannot.
  const CallersMemory& callers() const;

 private:
  friend class Runner;
  const CallersMemory* callers_ = nullptr;
};

// The explorer's hooks into a run (explore/): a stateless search replays an
// execution prefix, stops where it ends, and reads the state there. No other
// engine sets them (RunOptions::explore stays null), except verify's source
// map, which stops a traced rerun at a violation's step.
struct ExploreHook {
  // Stop before this step (when >= 0) unless every thread has finished:
  // skip kexec and the end of the run, call observer->on_stop.
  int steps_stop = -1;
  // The object-graph checks at quiescent points before this step were
  // passed by the replay of this run's prefix, so they are skipped.
  int checks_from = 0;
  // What step `reads_step` reads of the shared state goes to `reads`
  // (impl/shim/step_reads.h); observer->on_reads_step is called before it.
  int reads_step = -1;
  std::vector<impl::read_event>* reads = nullptr;
  // and where it wrote without reading first, to `writes` when not null.
  std::vector<const void*>* writes = nullptr;
};

// How refcount-balanced, no-dangling and no-leak are judged at quiescent
// points. incremental: decided from the World (graph_verdicts.h), the graph
// built only to word a violation or to decide a state with a page-chain
// cycle; graph: the Boost.Graph object graph at every quiescent point (the
// old path, for benchmarks); both: both at every quiescent point, and a
// logic_error when they disagree (the differential test). Same verdicts.
enum class GraphChecks : unsigned char { incremental, graph, both };

struct RunOptions {
  PropertySet properties = all_properties();
  bool trace = false;               // fill RunResult::trace with a kernel-log style trace
  bool record_steps = false;        // fill RunResult::steps
  RunObserver* observer = nullptr;
  const ExploreHook* explore = nullptr;  // the explorer's, null for every other engine
  // A Scenario of at least this many calls has its object-graph checks
  // first asked of a summary kept from every step's touched pages
  // (PageWatch, properties/object_graph.h), which builds the graph only when
  // a finding is possible: a check then costs what changed, not the run's
  // history. The verdict is the same either way; below, rebuilding the
  // graph at each quiescent point is cheaper (and the explorer's short runs
  // note no reads). 0: always; INT_MAX: never.
  int watch_from_calls = 32;
  GraphChecks graph_checks = GraphChecks::incremental;
  // At every quiescent point: "" or why the World lies outside a proof's
  // inductive invariant (solver::InvariantCheck; docs/SPEC.md, "What PROVED
  // covers"). Not a property: RunResult::divergence.
  std::function<std::string(const impl::World&)> invariant;
};

struct RunResult {
  Verdict verdict;
  int steps = 0;
  std::vector<CallRecord> calls;
  std::vector<StepRecord> steps_taken;
  std::vector<std::string> trace;
  std::array<int, impl::FAULT_SITE_COUNT> fault_visits{};
  int faults_fired = 0;
  int warnings = 0;
  bool kexec_done = false;
  bool stopped = false;  // ended at ExploreHook::steps_stop
  std::optional<std::string> divergence;  // the first RunOptions::invariant finding, with its step
  // What the callers believe and what was noted at each call's start, where
  // the run ended (the explorer keys its states on it).
  CallersMemory callers;
  impl::next_kernel_result restore;
};

// The one entry point to the Runner. Every property in options.properties
// is judged, model-refinement by the model's observer (refinement.h), which
// run() attaches when options.observer is null. The Scenario must be valid
// (validate(s) empty) and name a known variant; run() throws
// std::invalid_argument otherwise.
RunResult run(const Scenario& s, const RunOptions& options = {});

// A run driven one step at a time, for the explorer's snapshots
// (impl/shim/arena.h): created while the arena is in use, so that all of it
// (the Scenario it grows, the World, the scheduler, the checks) is in the
// state the arena saves; never destroyed (the arena is dropped whole).
// Judges as run() would judge the same Scenario, step by step: a
// violation is recorded once per property, and verdict() grows.
class SteppedRun {
 public:
  // `s` starts no call; its threads get calls as the explorer starts them.
  // o.observer and o.explore stay outside the arena, where they are, for
  // the run's life; o.explore->reads_step is moved to each step.
  SteppedRun(const Scenario& s, const RunOptions& o);
  SteppedRun(const SteppedRun&) = delete;
  SteppedRun& operator=(const SteppedRun&) = delete;

  void start(int t, const Call& call);  // thread t's next call, which its next step starts
  void add_fault(const Fault& f);       // into the fault plan, for visits not yet made
  void step(int t);                     // thread t (runnable) takes the next step
  bool all_finished() const;
  // Every thread finished: kexec, the next kernel's restore and their checks.
  void finish();

  const Scenario& scenario() const { return s_; }
  const Verdict& verdict() const;
  int steps() const;
  const impl::World& world() const;
  const CallersMemory& callers() const;
  const std::optional<std::string>& divergence() const;

 private:
  Scenario s_;
  RunOptions o_;
  Runner* r_;  // in the arena, like this object
};

// The most steps a run of `s` can take, from its calls (steps_bound's
// comment in runner.cpp counts them). A run that reaches it is a bug of
// luv (a loop in impl/ or in the scheduler): run() throws std::logic_error.
long long steps_bound(const Scenario& s);

// The kernel state as text: objects, FLB, pages and records.
std::string describe_world(const impl::World& w);
std::string describe_call(const Call& call);
std::string describe_restore(const impl::next_kernel_result& r);

}  // namespace luv
