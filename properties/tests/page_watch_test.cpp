// The Runner's PageWatch (properties/object_graph.h) must never change a
// verdict: every run judged with the watch (RunOptions::watch_from_calls 0)
// reports the same violations, at the same steps, with the same messages,
// as the run that builds the whole object graph at every quiescent point.
#include <climits>
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

// INT_MAX: no watch, and the object graph built at every quiescent point.
std::string judged(const Scenario& s, int watch_from_calls) {
  RunOptions o;
  o.watch_from_calls = watch_from_calls;
  if (watch_from_calls == INT_MAX) o.graph_checks = GraphChecks::graph;
  return verdict_text(run(s, o));
}

TEST(PageWatch, random_runs_judge_alike_with_and_without_the_watch) {
  std::mt19937 rng(20261130);
  int violated = 0, runs = 0;
  for (const std::string& variant : variants())
    for (int i = 0; i < 150 / SAMPLE_DIVISOR; ++i, ++runs) {
      Scenario s = random_scenario(rng, variant);
      ASSERT_EQ(validate(s), "");
      std::string whole = judged(s, INT_MAX);
      ASSERT_EQ(judged(s, 0), whole) << variant << ", scenario " << i;
      violated += whole != "ok";
    }
  EXPECT_GT(violated, runs / 10);  // the comparison covers violations, not only clean runs
}

// Domain 1's file preserved at the first call and kept: its record sits in
// the first page of the domain array, untouched while the lifecycle on
// domain 0 grows the arrays for 60 calls. Then domain 1 is unpreserved on a
// mutant that leaves that old record live: no-leak must be reported at the
// same step with the same message whether or not the watch judges it (a
// watch that only looked at recently touched pages would miss it).
TEST(PageWatch, finds_a_violation_in_an_old_record_of_a_long_run) {
  Scenario s;
  s.variant = "reference+mutant:skip_domain_deleted";
  s.topology.objects_per_page = 1;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 1, -1}}};
  for (int k = 0; k < 15; ++k)
    for (CallKind kind : {CallKind::vfio_preserve, CallKind::vfio_unpreserve})
      s.threads[0].push_back(Call{kind, -1, 0, 0});
  s.threads[0].insert(s.threads[0].begin() + 1, Call{CallKind::iommufd_preserve, -1, 0, -1});
  s.threads[0].push_back(Call{CallKind::iommufd_unpreserve, -1, 1, -1});
  ASSERT_EQ(validate(s), "");
  std::string whole = judged(s, INT_MAX);
  EXPECT_NE(whole.find("no-leak at step"), std::string::npos) << whole;
  EXPECT_EQ(judged(s, 0), whole);
}

}  // namespace
}  // namespace luv
