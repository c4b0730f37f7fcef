// The differential test of the incremental object-graph checks
// (properties/graph_verdicts.h) against the Boost.Graph object graph, the
// oracle: at every quiescent point of many random runs on every shipped
// variant and every mutant, GraphChecks::both decides each state both ways
// and throws when a decided verdict differs from the graph's; and whole runs
// judged incrementally report the same violations, at the same steps, with
// the same messages, as runs that build the graph at every quiescent point.
#include <climits>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "properties/runner.h"
#include "properties/tests/random_runs.h"

namespace luv {
namespace {

// The random runs both differential tests draw (named one by one, so that a
// name of another file in the same unity batch clashes rather than hides).
using testing_runs::SAMPLE_DIVISOR;
using testing_runs::random_scenario;
using testing_runs::variants;
using testing_runs::verdict_text;

std::string judged(const Scenario& s, GraphChecks how, int watch_from_calls = 32) {
  RunOptions o;
  o.graph_checks = how;
  o.watch_from_calls = watch_from_calls;
  return verdict_text(run(s, o));
}

bool found(const std::string& verdict, PropertyId p) {
  return verdict.find(std::string(property_name(p)) + " at step") != std::string::npos;
}

TEST(GraphVerdicts, agree_with_the_graph_at_every_quiescent_point_of_random_runs) {
  std::mt19937 rng(20261130);
  int runs = 0;
  std::map<PropertyId, int> violated;
  for (const std::string& variant : variants())
    for (int i = 0; i < 120 / SAMPLE_DIVISOR; ++i, ++runs) {
      Scenario s = random_scenario(rng, variant);
      ASSERT_EQ(validate(s), "");
      std::string graph = judged(s, GraphChecks::graph);
      // `both` throws at the first state where the two disagree, watch or not.
      std::string both;
      ASSERT_NO_THROW(both = judged(s, GraphChecks::both, INT_MAX)) << variant << ", scenario " << i;
      ASSERT_NO_THROW(judged(s, GraphChecks::both, 0)) << variant << ", scenario " << i;
      ASSERT_EQ(both, graph) << variant << ", scenario " << i;
      ASSERT_EQ(judged(s, GraphChecks::incremental), graph) << variant << ", scenario " << i;
      for (PropertyId p : {PropertyId::refcount_balanced, PropertyId::no_dangling, PropertyId::no_leak})
        violated[p] += found(graph, p);
    }
  // The comparison covers each property's violations, not only clean runs.
  for (PropertyId p : {PropertyId::refcount_balanced, PropertyId::no_dangling, PropertyId::no_leak})
    EXPECT_GT(violated[p], runs / 100) << property_name(p);
}

// The shipped variants alone, longer: their corpus findings and what
// follows them, at every quiescent point.
TEST(GraphVerdicts, agree_on_the_shipped_variants) {
  std::mt19937 rng(7);
  for (const impl::variant_rules& v : impl::shipped_variants())
    for (int i = 0; i < 1500 / SAMPLE_DIVISOR; ++i) {
      Scenario s = random_scenario(rng, v.name);
      ASSERT_NO_THROW(judged(s, GraphChecks::both, INT_MAX)) << v.name << ", scenario " << i;
    }
}

// Every interleaving of two VMMs racing on one domain (each schedule of
// the first 12 steps; later steps run the current thread on), in both caller
// modes, with and without a failed allocation: every quiescent point of that
// bound, on every shipped variant, judged both ways.
TEST(GraphVerdicts, agree_on_every_interleaving_of_a_small_race) {
  auto call = [](CallKind kind, int domain, int device = -1) { return Call{kind, -1, domain, device}; };
  Scenario race;
  race.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0),
                   call(CallKind::vfio_unpreserve, 0, 0)},
                  {call(CallKind::vfio_preserve, 0, 1), call(CallKind::iommufd_unpreserve, 0)}};
  constexpr int steps = 12;
  int runs = 0;
  for (const impl::variant_rules& v : impl::shipped_variants())
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial})
      for (bool fault : {false, true}) {
        Scenario s = race;
        s.variant = v.name;
        s.mode = mode;
        if (fault) s.faults = {Fault{impl::fault_site::op_preserve_device, 2, 0}};  // the second device fails
        ASSERT_EQ(validate(s), "");
        for (unsigned bits = 0; bits < 1u << steps; bits += SAMPLE_DIVISOR, ++runs) {
          s.schedule.clear();
          for (int k = 0; k < steps; ++k) s.schedule.push_back(static_cast<int>(bits >> k & 1u));
          ASSERT_NO_THROW(judged(s, GraphChecks::both, INT_MAX)) << v.name << ", schedule " << bits;
        }
      }
  EXPECT_EQ(runs, 5 * 2 * 2 * (((1 << steps) + SAMPLE_DIVISOR - 1) / SAMPLE_DIVISOR));
}

}  // namespace
}  // namespace luv
