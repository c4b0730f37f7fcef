#include "verify/mutants.h"

#include <chrono>

#include "check/check.h"
#include "impl/variant.h"

namespace luv {

namespace {

// The explorer stages, cheapest first: each is an explorer run that stops at the
// first violation. Small bounds find most kills in well under a second;
// the later stages add calls, a second IOMMU op set and concurrency depth.
struct stage {
  CallerMode mode;
  int threads, calls, faults;
  long long states_max;
  std::vector<unsigned char> iommu1, domain1;
  bool shared_group = false;  // dev2 in dev1's IOMMU group (default_topology() otherwise)
};
std::vector<stage> stages() {
  return {
      {CallerMode::contract, 1, 3, 1, 60000, {15}, {3}},
      {CallerMode::adversarial, 1, 3, 1, 60000, {15, 5}, {3, 1}},
      {CallerMode::adversarial, 2, 2, 1, 60000, {15, 5}, {3, 1}},
      {CallerMode::contract, 2, 3, 0, 400000, {15}, {3}},  // races need 3 calls on 2 threads
      // The reference's rollback of a device in a shared group (v4's
      // singleton check) needs a topology with one: two calls reach it.
      {CallerMode::contract, 1, 2, 0, 60000, {15}, {3}, true},
      // Two raw preserves of one device racing past a check made outside the
      // lock (v4's -EBUSY): the domain's preserve first, so 3 calls on 2
      // threads in adversarial mode. Last, as it is the dearest (400,000
      // states since the two group events widened the adversarial alphabet
      // from 47 calls to 53: 250,000 no longer reached 3 calls).
      {CallerMode::adversarial, 2, 3, 0, 400000, {15}, {3}},
  };
}

Topology stage_topology(const stage& st) {
  Topology t = default_topology();
  if (st.shared_group) t.devices[2].group = 1;
  return t;
}

}  // namespace

std::vector<std::string> mutant_catalogue() {
  std::vector<std::string> out;
  for (int i = 1; i < impl::MUTANT_COUNT; ++i) out.push_back(impl::mutant_name(static_cast<impl::mutant>(i)));
  return out;
}

std::vector<std::string> mutant_shard(const std::vector<std::string>& names, int shard, int shards) {
  std::vector<std::string> out;
  for (size_t i = static_cast<size_t>(shard - 1); i < names.size(); i += static_cast<size_t>(shards)) out.push_back(names[i]);
  return out;
}

namespace {

// The explorer stages: BFS, every property the Runner checks on its own.
void run_explorer_stages(MutantVerdict& v) {
  for (const stage& st : stages()) {
    ExploreOptions o;
    o.variant = v.variant;
    o.mode = st.mode;
    o.threads = st.threads;
    o.calls = st.calls;
    o.topology = stage_topology(st);
    o.iommu1_ops = st.iommu1;
    o.domain1_ops = st.domain1;
    o.bfs = true;
    o.first_violation_only = true;
    o.faults = st.faults;
    o.states_max = st.states_max;  // the budget per stage, shared by its op-set choices
    o.jobs = default_jobs();  // changes no result
    ExploreResult r = explore(o);
    v.states += r.stats.states;
    if (!r.findings.empty()) {
      const ExploreFinding& f = r.findings.front();
      v.killed = true;
      v.engine = std::string("explore --bfs (") + caller_mode_name(st.mode) + ", " + std::to_string(st.threads) +
                 " thread(s), " + std::to_string(st.calls) + " calls, " + std::to_string(st.faults) + " fault(s)" +
                 (st.shared_group ? ", a shared IOMMU group" : "") + ")";
      v.property = f.property;
      v.calls = f.calls;
      v.steps = f.violation.step + 1;
      v.counterexample = f.counterexample;
      v.checked = all_properties().reset(static_cast<size_t>(PropertyId::model_refinement));
      return;
    }
  }
}

// The check stage: what the explorer cannot see, because it runs no model
// (model-refinement), or because the Scenario is past its bounds (more
// calls, IOMMUs, threads). Every property, the model observer attached,
// shrinking on; the first finding (in the order the seed meets them) kills.
void run_check_stage(MutantVerdict& v, const MutantCheckBudget& budget) {
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    CheckOptions o;
    o.variant = v.variant;
    o.mode = mode;
    o.tests = budget.tests;
    o.seed = budget.seed;
    CheckResult r = check(o);
    v.runs += r.runs;
    if (r.findings.empty()) continue;
    const CheckFinding& f = r.findings.front();
    v.killed = true;
    v.engine = std::string("check (") + caller_mode_name(mode) + ", " + std::to_string(budget.tests) + " tests, seed " +
               std::to_string(budget.seed) + ")";
    v.property = f.property;
    v.counterexample = f.counterexample;
    v.checked = f.checked;
    v.calls = f.counterexample.calls_total();
    v.steps = f.violation.step + 1;
    return;
  }
}

// The verdict of `stages` run on one mutant, timed.
template <typename Stages>
MutantVerdict timed(const std::string& mutant, Stages run_stages) {
  MutantVerdict v;
  v.mutant = mutant;
  v.variant = "reference+mutant:" + mutant;
  auto start = std::chrono::steady_clock::now();
  run_stages(v);
  v.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return v;
}

}  // namespace

Counterexample kill_file(const MutantVerdict& v) {
  return finding_counterexample(v.counterexample, v.checked, "mutants",
                                "luv mutants: " + v.engine + " kills " + v.mutant + " by " + property_name(v.property),
                                "no violation on replay");
}

MutantVerdict check_mutant(const std::string& mutant, const MutantCheckBudget& budget) {
  return timed(mutant, [&](MutantVerdict& v) { run_check_stage(v, budget); });
}

MutantVerdict run_mutant(const std::string& mutant, const MutantCheckBudget& budget) {
  MutantVerdict v = timed(mutant, [&](MutantVerdict& m) {
    run_explorer_stages(m);
    if (!m.killed) run_check_stage(m, budget);
  });
  if (!v.killed) {
    long long states = 0;
    for (const stage& st : stages()) states += st.states_max;
    v.survived_because = "not killed within the budget (" + std::to_string(stages().size()) +
                         " explorer stages, at most " + std::to_string(states) + " states; check, " +
                         std::to_string(budget.tests) + " tests per mode, seed " + std::to_string(budget.seed) +
                         "): a hole in the properties, or an equivalent mutant";
  }
  return v;
}

}  // namespace luv
