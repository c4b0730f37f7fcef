#include "solver/prove.h"

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "properties/stop.h"
#include "solver/prove_session.h"

// The stages of a proof attempt and what they share live in
// prove_session.h; here they are run in order and their findings become
// the result and the engine report.
namespace luv::solver {

namespace {

// Interrupts the context's work at the deadline, whatever it is doing: a
// query has its timeout, but building a deep step's terms has none.
class DeadlineAlarm {
 public:
  DeadlineAlarm(clock_type::time_point deadline, z3::context& c) {
    if (deadline == clock_type::time_point::max()) return;
    thread_ = std::thread([this, deadline, &c] {
      std::unique_lock<std::mutex> hold(mutex_);
      if (!wake_.wait_until(hold, deadline, [this] { return done_; })) c.interrupt();
    });
  }
  ~DeadlineAlarm() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  DeadlineAlarm(const DeadlineAlarm&) = delete;
  DeadlineAlarm& operator=(const DeadlineAlarm&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

// The bounded search, then (uncut) induction. An interrupt may cancel Z3
// outside a check() (building a step's terms): what was decided before it
// stands, the rest is unknown.
InductionResult run_stages(ProofSession& p) {
  InductionResult found;
  try {
    DeadlineAlarm alarm(p.o.deadline, p.c);
    bounded_search(p);
    if (!p.is_cut()) found = induction(p);
  } catch (const z3::exception&) {
    // Only the bounded search gets here (induction() handles its own): it
    // proves nothing, so there is no proof to unsettle.
    if (!stop_requested() && p.ms_left() > 0) throw;
    p.cut("while building the encoding");
  }
  // What the deadline left undecided says so (never "holds").
  for (PropertyDetail& d : p.details)
    if (p.is_cut() && d.status == Status::unknown && d.encoding_bug.empty() && d.why.empty()) d.why = p.cut_why();
  return found;
}

ProofInvariant invariant_of(const ProofSession& p, const InductionResult& found) {
  ProofInvariant inv;
  for (const PropertyDetail& d : p.details)
    if (d.status == Status::proved && found.houdini) inv.lemmas = found.houdini->names();
  for (int k = 0; k < CHECKED_COUNT; ++k) {
    auto d = std::find_if(p.details.begin(), p.details.end(), [&](const PropertyDetail& x) { return x.property == CHECKED[k]; });
    bool proved = d != p.details.end() && d->status == Status::proved;
    if (proved || (found.all_clean && !inv.lemmas.empty())) inv.properties.push_back(CHECKED[k]);
  }
  return inv;
}

PropertyOutcome outcome_of(const PropertyDetail& d) {
  PropertyOutcome po;
  po.property = d.property;
  po.status = d.status;
  po.counterexample = d.counterexample;
  po.violation = d.violation;
  if (d.status == Status::proved) {
    po.how = d.method;
    if (!d.lemmas.empty()) {
      po.how += " with";
      for (const std::string& n : d.lemmas) po.how += " " + n;
    }
  } else if (d.status == Status::violated) {
    po.how = "bounded search, " + std::to_string(d.depth) + " call(s)";
  } else {
    po.how = d.why;
  }
  return po;
}

ProveResult prove_in(ProofSession& p) {
  auto t0 = clock_type::now();
  InductionResult found = run_stages(p);
  ProveResult out;
  out.details = p.details;
  if (found.houdini) out.inductive_lemmas = found.houdini->names();
  out.invariant = invariant_of(p, found);
  out.cross_check_disagreements = p.cross_bugs;
  out.report.engine = "prove";
  out.report.variant = p.o.variant;
  out.report.mode = caller_mode_name(p.o.mode);
  for (const PropertyDetail& d : p.details) out.report.outcomes.push_back(outcome_of(d));
  out.report.seconds = since(t0);
  return out;
}

}  // namespace

ProveResult prove(const ProveOptions& options) {
  const impl::variant_rules* rules = impl::find_variant(options.variant);
  if (rules == nullptr) throw std::invalid_argument("--variant: " + impl::unknown_variant(options.variant));
  if (options.depth < 1 || options.depth > 20)
    throw std::invalid_argument("depth: " + std::to_string(options.depth) + " is outside 1..20");
  Scenario probe;
  probe.topology = options.topology;
  probe.threads = {{}};
  std::string invalid = validate(probe);
  if (!invalid.empty()) throw std::invalid_argument(invalid);
  if (options.keep_context) {
    // Deliberately never deleted (ProveOptions::keep_context): the caller
    // exits soon after, and Z3 takes seconds to delete a large context.
    auto* kept = new ProofSession(options, *rules);
    return prove_in(*kept);
  }
  ProofSession p(options, *rules);
  return prove_in(p);
}

EngineReport prove_variant(const ProveOptions& options) { return prove(options).report; }

}  // namespace luv::solver
