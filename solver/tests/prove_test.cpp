// `luv prove`'s engine: the reference is proved without a depth bound; v2's
// call-level findings come back as counterexamples that the Runner confirms
// on the implementation and the encoding itself predicts.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "predict.h"
#include "prove.h"
#include "runner.h"
#include "scenario_json.h"

namespace luv::solver {
namespace {

TEST(SolverProve, reference_proves_all_six_properties_on_the_default_topology_for_every_op_set) {
  ProveOptions o;
  o.variant = "reference";
  o.ops = OpsMode::spec;  // IOMMU 1's 16 op sets and domain 1's 4 at once
  o.depth = 1;            // the proofs need no bounded search; it only finds counterexamples
  o.minimise = false;
  ProveResult r = prove(o);
  ASSERT_EQ(r.details.size(), static_cast<size_t>(CHECKED_COUNT));
  bool some_cti_unreachable = false;
  for (const PropertyDetail& d : r.details) {
    EXPECT_EQ(d.status, Status::proved) << property_name(d.property) << ": " << d.why;
    EXPECT_NE(d.method.find("k-induction"), std::string::npos);
    some_cti_unreachable |= d.cti.find("unreachable") != std::string::npos;
  }
  // The properties alone are not inductive: the reference relies on invariants.
  EXPECT_TRUE(some_cti_unreachable);
  std::set<std::string> lemmas(r.inductive_lemmas.begin(), r.inductive_lemmas.end());
  EXPECT_TRUE(lemmas.count("hw-refcount"));
  EXPECT_TRUE(lemmas.count("preserved-drivers-complete"));
}

TEST(SolverProve, v2_violations_are_confirmed_by_the_runner_and_predicted_by_the_encoding) {
  ProveOptions o;
  o.variant = "v2";
  o.depth = 2;  // each call-level finding of v2 is at most 2 calls long
  o.minimise = false;
  ProveResult r = prove(o);
  std::set<PropertyId> violated;
  for (const PropertyDetail& d : r.details) {
    EXPECT_EQ(d.encoding_bug, "") << property_name(d.property);
    if (d.status != Status::violated) continue;
    violated.insert(d.property);
    ASSERT_TRUE(d.counterexample.has_value());
    const Scenario& s = *d.counterexample;
    EXPECT_EQ(validate(s), "");
    EXPECT_EQ(static_cast<int>(s.threads.front().size()), d.depth);
    // Judge 1: the implementation, through the Runner.
    RunOptions ro;
    ro.properties = only(d.property);
    RunResult rr = run(s, ro);
    ASSERT_TRUE(rr.verdict.violation.has_value()) << scenario_to_json(s).dump(2);
    EXPECT_EQ(rr.verdict.violation->property, d.property);
    EXPECT_EQ(rr.verdict.violation->call, d.depth - 1);
    // Judge 2: the encoding replayed on the same Scenario.
    Prediction p = predict(s);
    EXPECT_EQ(p.violation_call, d.depth - 1);
    EXPECT_NE(std::find(p.violated.begin(), p.violated.end(), d.property), p.violated.end());
  }
  // SPEC.md's known v2 findings at the call level.
  EXPECT_TRUE(violated.count(PropertyId::no_null_op));
  EXPECT_TRUE(violated.count(PropertyId::missing_unpreserve_warns));
  EXPECT_TRUE(violated.count(PropertyId::no_leak));
  EXPECT_TRUE(violated.count(PropertyId::no_dangling));
}

// A deadline already passed: no solver call runs, and nothing is claimed.
TEST(SolverProve, a_passed_deadline_leaves_every_property_unknown_cut_by_the_budget) {
  ProveOptions o;
  o.variant = "reference";
  o.depth = 2;
  o.deadline = std::chrono::steady_clock::now();
  ProveResult r = prove(o);
  ASSERT_EQ(r.details.size(), static_cast<size_t>(CHECKED_COUNT));
  for (const PropertyDetail& d : r.details) {
    EXPECT_EQ(d.status, Status::unknown) << property_name(d.property);
    EXPECT_EQ(d.why.rfind("cut by the budget", 0), 0u) << d.why;
  }
  for (const PropertyOutcome& po : r.report.outcomes) EXPECT_EQ(po.how.rfind("cut by the budget", 0), 0u) << po.how;
}

TEST(SolverProve, bad_options_are_one_line_errors) {
  ProveOptions o;
  o.variant = "v3";
  EXPECT_THROW(prove(o), std::invalid_argument);
  o.variant = "reference";
  o.depth = 0;
  EXPECT_THROW(prove(o), std::invalid_argument);
  o.depth = 2;
  o.topology.devices[0].iommu = 9;
  EXPECT_THROW(prove(o), std::invalid_argument);
}

}  // namespace
}  // namespace luv::solver
