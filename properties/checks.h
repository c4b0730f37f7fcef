// The Runner's judges: each property read off the run at the moment it is
// decided (a call's return, a quiescent point, the next kernel), recorded
// as the first violation of each property (docs/SPEC.md, "Each property on
// its own"). The Runner (runner.cpp) says when; these say what is wrong.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "impl/next_kernel.h"
#include "impl/scenario.h"
#include "impl/shim/kptr.h"
#include "properties/call_record.h"
#include "properties/callers_memory.h"
#include "properties/facts.h"
#include "properties/graph_verdicts.h"
#include "properties/object_graph.h"
#include "properties/runner.h"

namespace luv {

class Scheduler;

// The property an oops or a splat of that kind violates.
PropertyId property_of(impl::oops_kind kind);

class Checks {
 public:
  Checks(const Scenario& s, const RunOptions& o, impl::World& w, const Scheduler& sched,
         const CallersMemory& callers);

  // ---- the verdict ---------------------------------------------------------------
  bool enabled(PropertyId p) const { return has(o_.properties, p); }
  bool violated(PropertyId p) const { return violated_.test(static_cast<size_t>(p)); }
  // Records the first violation of p, at the current step; the run goes on.
  void fail(PropertyId p, int thread, int call, std::string message);
  // An oops or a deadlock: nothing meaningful runs past it, so the run ends
  // here and the properties not yet violated are judged only up to here.
  void end_run(PropertyId p, int thread, int call, std::string message);
  bool ended() const { return verdict_.ended.has_value(); }
  Verdict take_verdict() { return std::move(verdict_); }
  const Verdict& verdict() const { return verdict_; }

  // What the object-graph checks read of every step's touched pages
  // (RunOptions::watch_from_calls); null below it.
  PageWatch* watch() { return watch_ ? &*watch_ : nullptr; }
  // error-path-deleted's facts now: from the watch when there is one.
  std::vector<Fact> facts_now();

  // ---- after a step and at a call's return ---------------------------------------
  // A pending splat (lockdep, KASAN) of the step just run.
  void splats(int thread, int call);
  // lock-discipline: a call returns holding the FLB's lock or an FLB object's.
  void locks_at_return(const CallRecord& r);
  // error-path-deleted: a failed call left a record it allocated live, or
  // (when it ran alone) changed the abstract state.
  void error_path(const CallStart& start, const CallRecord& r);
  // missing-unpreserve-warns, on one object's call (object_calls).
  void missing_unpreserve(const CallRecord& r);

  // ---- at quiescent points and after the next kernel -----------------------------
  // refcount-balanced, no-dangling, no-leak on the object graph.
  void object_graph(int thread, int call);
  // restore-matches: the next kernel restored what the callers kept.
  void restore(const impl::next_kernel_result& want, const impl::next_kernel_result& got);
  // no-leak: a page still preserved once the next kernel finished.
  void pages_after_next_kernel();

 private:
  struct twinless;  // an object whose driver lacks an unpreserve op
  std::optional<twinless> twinless_object(const CallRecord& r) const;
  bool graph_may_report();
  bool judged(PropertyId p) const { return enabled(p) && !violated(p); }
  bool needs_graph(const GraphVerdicts& v);
  GraphFindings graph_findings();
  const Unfreed& unfreed();

  const Scenario& s_;
  const RunOptions& o_;
  impl::World& w_;
  const Scheduler& sched_;
  const CallersMemory& callers_;
  Verdict verdict_;
  PropertySet violated_;
  Unfreed unfreed_;
  std::optional<PageWatch> watch_;
  GraphJudge judge_;
};

}  // namespace luv
