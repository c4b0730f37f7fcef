#include "mutants.h"

#include <chrono>

#include "variant.h"

namespace luv {

namespace {

// Mutants the engines do not kill, and why (equivalent, or a known hole).
struct equivalent {
  const char* mutant;
  const char* reason;
};
constexpr equivalent kEquivalent[] = {
    {"skip_domain_refcount_put",
     "hole, not equivalent: iommufd_preserve(0), iommufd_preserve(1), vfio_preserve(dev0, 0), "
     "vfio_unpreserve(dev0, 0), iommufd_unpreserve(0) leaves domain0 preserved (a WARN, then its file goes) and "
     "the next kernel restores it; restore-matches takes what was preserved from the World, not from the callers, "
     "and the explorer runs no model, so nothing flags it; 5 calls is also past the mutant budget"},
};

// The stages, cheapest first: each is an explorer run that stops at the
// first violation. Small bounds find most kills in well under a second;
// the later stages add calls, a second IOMMU op set and concurrency depth.
struct stage {
  CallerMode mode;
  int threads, calls, faults;
  long long states_max;
  std::vector<unsigned char> iommu1, domain1;
};
std::vector<stage> stages() {
  return {
      {CallerMode::contract, 1, 3, 1, 60000, {15}, {3}},
      {CallerMode::adversarial, 1, 3, 1, 60000, {15, 5}, {3, 1}},
      {CallerMode::adversarial, 2, 2, 1, 60000, {15, 5}, {3, 1}},
      {CallerMode::contract, 2, 3, 0, 400000, {15}, {3}},  // races need 3 calls on 2 threads
  };
}

}  // namespace

std::vector<std::string> mutant_catalogue() {
  std::vector<std::string> out;
  for (int i = 1; i < impl::MUTANT_COUNT; ++i) out.push_back(impl::mutant_name(static_cast<impl::mutant>(i)));
  return out;
}

MutantVerdict run_mutant(const std::string& mutant) {
  MutantVerdict v;
  v.mutant = mutant;
  v.variant = "reference+mutant:" + mutant;
  auto start = std::chrono::steady_clock::now();
  for (const stage& st : stages()) {
    ExploreOptions o;
    o.variant = v.variant;
    o.mode = st.mode;
    o.threads = st.threads;
    o.calls = st.calls;
    o.iommu1_ops = st.iommu1;
    o.domain1_ops = st.domain1;
    o.bfs = true;
    o.first_violation_only = true;
    o.faults = st.faults;
    o.states_max = st.states_max;  // the budget per stage
    ExploreResult r = explore(o);
    v.states += r.stats.states;
    if (!r.findings.empty()) {
      const ExploreFinding& f = r.findings.front();
      v.killed = true;
      v.engine = std::string("explore --bfs (") + caller_mode_name(st.mode) + ", " + std::to_string(st.threads) + " thread(s), " + std::to_string(st.calls) + " calls, " + std::to_string(st.faults) + " fault(s))";
      v.property = f.property;
      v.calls = f.calls;
      v.steps = f.steps;
      v.counterexample = f.counterexample;
      break;
    }
  }
  v.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!v.killed) {
    v.survived_because = "not killed within the budget (4 stages, at most 580000 states): a hole in the properties, or equivalent";
    for (const equivalent& e : kEquivalent)
      if (mutant == e.mutant) v.survived_because = e.reason;
  }
  return v;
}

}  // namespace luv
