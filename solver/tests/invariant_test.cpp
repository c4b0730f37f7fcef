// The reference proof's invariant on implementation states: every state a
// Runner run of the reference reaches lies within it, and a fault planted in
// impl/ (a mutant) takes the implementation outside it.
#include <gtest/gtest.h>

#include <random>

#include "counterexamples/scenario_json.h"
#include "impl/world.h"
#include "properties/runner.h"
#include "solver/encoding.h"
#include "solver/invariant.h"
#include "solver/tests/reference_proof.h"

namespace luv::solver {
namespace {

// Checks the World at every call's end (sequential runs: a quiescent point).
class invariant_observer : public RunObserver {
 public:
  explicit invariant_observer(const InvariantCheck& inv) : inv_(inv) {}
  std::vector<std::string> found;
  int checked = 0;
  std::optional<std::string> on_call_end(const impl::World& w, const CallRecord& r) override {
    ++checked;
    std::string why = inv_.check(w);
    if (!why.empty()) found.push_back(describe_call(r.call) + ": " + why);
    return std::nullopt;
  }

 private:
  const InvariantCheck& inv_;
};

const InvariantCheck& reference_invariant() {
  static const InvariantCheck inv(testing::reference_options(), testing::reference_proof());
  return inv;
}

// A random one-thread run of the reference on the proof's topology (every
// call's end is then quiescent), with a few faults.
Scenario reference_run(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Scenario s;
  s.variant = "reference";
  s.mode = pick(0, 1) ? CallerMode::contract : CallerMode::adversarial;
  s.topology = default_topology(static_cast<impl::u8>(pick(0, 15)), static_cast<impl::u8>(pick(0, 3)));
  s.kexec = false;
  std::vector<Call> calls = all_calls(Layout(s.topology), s.mode);
  s.threads = {{}};
  for (int k = pick(1, 10); k > 0; --k) s.threads[0].push_back(calls[pick(0, static_cast<int>(calls.size()) - 1)]);
  for (int f = pick(0, 2); f > 0; --f)
    s.faults.push_back(Fault{static_cast<impl::fault_site>(pick(0, impl::FAULT_SITE_COUNT - 2)), pick(1, 3), 0});
  return s;
}

TEST(SolverInvariant, every_state_of_reference_runs_lies_within_the_proof_invariant) {
  const InvariantCheck& inv = reference_invariant();
  ASSERT_FALSE(inv.empty());
  std::mt19937 rng(16);
  int checked = 0;
  for (int i = 0; i < 60; ++i) {
    Scenario s = reference_run(rng);
    invariant_observer obs(inv);
    RunOptions ro;
    ro.observer = &obs;
    run(s, ro);
    ASSERT_TRUE(obs.found.empty()) << obs.found.front() << "\n" << scenario_to_json(s).dump(2);
    checked += obs.checked;
  }
  EXPECT_GT(checked, 200);
}

TEST(SolverInvariant, a_mutant_that_skips_the_refcount_put_leaves_the_invariant) {
  Scenario s;
  s.variant = "reference+mutant:skip_refcount_put";
  s.mode = CallerMode::contract;
  s.kexec = false;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}, Call{CallKind::vfio_preserve, -1, 0, 0},
                Call{CallKind::vfio_unpreserve, -1, 0, 0}}};
  invariant_observer obs(reference_invariant());
  RunOptions ro;
  ro.observer = &obs;
  run(s, ro);
  ASSERT_EQ(obs.checked, 3);
  ASSERT_EQ(obs.found.size(), 1u);  // only the state after the unpreserve
  EXPECT_NE(obs.found.front().find("state outside the proof's invariant "), std::string::npos) << obs.found.front();
  EXPECT_NE(obs.found.front().find("vfio_unpreserve"), std::string::npos) << obs.found.front();
}

TEST(SolverInvariant, another_topology_is_not_covered) {
  Scenario s;
  s.topology.devices.pop_back();
  s.threads = {{}};
  impl::World w(s, *impl::find_variant("reference"));
  EXPECT_FALSE(reference_invariant().covers(w));
  EXPECT_EQ(reference_invariant().check(w), "");
}

}  // namespace
}  // namespace luv::solver
