// `luv prove`'s engine: the reference is proved without a depth bound; v2's
// call-level findings come back as counterexamples that the Runner confirms
// on the implementation and the encoding itself predicts.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "counterexamples/scenario_json.h"
#include "properties/runner.h"
#include "properties/stop.h"
#include "solver/predict.h"
#include "solver/prove.h"
#include "solver/tests/reference_proof.h"

namespace luv::solver {
namespace {

// The call at which the encoding sees p violated first, -1 for none.
int first_violation(const Prediction& p, PropertyId q) {
  for (const auto& [property, call] : p.firsts)
    if (property == q) return call;
  return -1;
}

Scenario v2_scenario(const std::vector<Call>& calls, const std::string& variant = "v2") {
  Scenario s;
  s.variant = variant;
  s.mode = CallerMode::adversarial;
  s.kexec = false;
  s.threads = {calls};
  return s;
}

TEST(SolverProve, reference_proves_all_six_properties_on_the_default_topology_for_every_op_set) {
  const ProveResult& r = testing::reference_proof();
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

// PROVED rests on every reachable state being one the encoding follows: for
// the reference, the six and the lemmas together are inductive.
TEST(SolverProve, reference_invariant_is_the_lemmas_and_all_six_properties) {
  const ProveResult& r = testing::reference_proof();
  EXPECT_EQ(r.invariant.lemmas, r.inductive_lemmas);
  EXPECT_EQ(r.invariant.properties.size(), static_cast<size_t>(CHECKED_COUNT));
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
    EXPECT_EQ(first_violation(predict(s), d.property), d.depth - 1);
  }
  // docs/SPEC.md's known v2 findings at the call level.
  EXPECT_TRUE(violated.count(PropertyId::no_null_op));
  EXPECT_TRUE(violated.count(PropertyId::missing_unpreserve_warns));
  EXPECT_TRUE(violated.count(PropertyId::no_leak));
  EXPECT_TRUE(violated.count(PropertyId::no_dangling));
}

// The last file's unpreserve frees the FLB and its pages while
// iommu0's outgoing_preserved_state still points into them and no live
// device record is behind it. no-dangling breaks at the same call; each
// property is judged on its own.
TEST(SolverProve, v2_dropping_the_last_file_leaves_the_hw_state_set_refcount_balanced_violated) {
  Scenario s = v2_scenario({Call{CallKind::luo_preserve_file, 0, -1, -1}, Call{CallKind::iommu_domain_preserve, -1, 0, -1},
                            Call{CallKind::iommu_preserve_device, -1, 0, 0},
                            Call{CallKind::luo_unpreserve_file, 0, -1, -1}});
  for (const char* variant : {"v2", "v2-warn"}) {
    s.variant = variant;
    Prediction p = predict(s);
    EXPECT_EQ(first_violation(p, PropertyId::refcount_balanced), 3) << variant;
    EXPECT_EQ(first_violation(p, PropertyId::no_dangling), 3) << variant;
    RunOptions ro;
    ro.properties = only(PropertyId::refcount_balanced);
    RunResult r = run(s, ro);
    ASSERT_TRUE(r.verdict.violation.has_value()) << variant;
    EXPECT_EQ(r.verdict.violation->call, 3);
  }
}

TEST(SolverProve, v2_refcount_balanced_is_found_by_bounded_search_and_confirmed_by_the_runner) {
  for (const char* variant : {"v2", "v2-warn"}) {
    ProveOptions o;
    o.variant = variant;
    o.depth = 3;
    o.minimise = false;
    o.properties = only(PropertyId::refcount_balanced);
    ProveResult r = prove(o);
    ASSERT_EQ(r.details.size(), 1u);
    const PropertyDetail& d = r.details.front();
    EXPECT_EQ(d.status, Status::violated) << variant << ": " << d.why;
    EXPECT_EQ(d.encoding_bug, "") << variant;
    EXPECT_EQ(d.depth, 3) << variant;
  }
}

// v2 oopses within one call (a NULL FLB object): the encoding does not
// follow a path past an oops, so nothing it did not violate is PROVED.
TEST(SolverProve, v2_properties_without_a_counterexample_are_unknown_past_the_first_oops) {
  ProveOptions o;
  o.variant = "v2";
  o.depth = 2;
  o.minimise = false;
  o.properties = only(PropertyId::error_path_deleted);
  ProveResult r = prove(o);
  ASSERT_EQ(r.details.size(), 1u);
  EXPECT_EQ(r.details.front().status, Status::unknown);
  EXPECT_NE(r.details.front().why.find("not judged past it"), std::string::npos) << r.details.front().why;
  EXPECT_NE(r.details.front().why.find("no-null-op"), std::string::npos) << r.details.front().why;
  EXPECT_TRUE(r.invariant.properties.empty());
}

// missing-unpreserve-warns at the other end: an unpreserve on a driver
// lacking its twin that returns without a warning, with nothing preserved.
TEST(SolverProve, an_unpreserve_on_a_driver_lacking_its_twin_must_warn_even_with_nothing_preserved) {
  Scenario s = v2_scenario({Call{CallKind::iommu_unpreserve_device, -1, 0, 1}});
  s.topology = default_topology(IOMMU_OP_PRESERVE | IOMMU_OP_PRESERVE_DEVICE);
  EXPECT_EQ(first_violation(predict(s), PropertyId::missing_unpreserve_warns), 0);
  s.variant = "v2-warn";  // the review's WARN_ON_ONCE fires there
  EXPECT_EQ(first_violation(predict(s), PropertyId::missing_unpreserve_warns), -1);
  s.variant = "reference";
  EXPECT_EQ(first_violation(predict(s), PropertyId::missing_unpreserve_warns), -1);
}

// Two devices in one IOMMU group: the reference and v4 refuse each on its
// own (the rollback undoes the preserve), which the shared-groups-unpreserved
// lemma says and Houdini keeps; the reference proves the six there, and
// every path through the rollback that the bounded search takes is one the
// Runner confirms (v4's other findings are those of the default topology).
TEST(SolverProve, a_shared_iommu_group_is_refused_by_the_reference_and_v4_and_the_reference_is_proved) {
  for (const char* variant : {"reference", "v4"}) {
    ProveOptions o;
    o.variant = variant;
    o.topology.iommus = {IommuSpec{IOMMU_OPS_ALL}};
    o.topology.domains = {DomainSpec{DOMAIN_OPS_ALL}};
    o.topology.devices = {DeviceSpec{0}, DeviceSpec{0}};
    o.topology.devices[1].group = 0;
    o.ops = OpsMode::fixed;
    o.depth = 2;
    o.minimise = false;
    ProveResult r = prove(o);
    bool reference = std::string(variant) == "reference";
    for (const PropertyDetail& d : r.details) {
      EXPECT_EQ(d.encoding_bug, "") << variant << " " << property_name(d.property);
      if (reference) {
        EXPECT_EQ(d.status, Status::proved) << property_name(d.property) << ": " << d.why;
      }
    }
    std::set<std::string> lemmas(r.inductive_lemmas.begin(), r.inductive_lemmas.end());
    EXPECT_TRUE(lemmas.count("shared-groups-unpreserved")) << variant;
  }
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
  o.variant = "v9";  // no such row
  EXPECT_THROW(prove(o), std::invalid_argument);
  o.variant = "reference";
  o.depth = 0;
  EXPECT_THROW(prove(o), std::invalid_argument);
  o.depth = 2;
  o.topology.devices[0].iommu = 9;
  EXPECT_THROW(prove(o), std::invalid_argument);
}

// An interrupt (a stop request, stop.h) cuts as the deadline does: nothing
// is claimed, and each undecided property says it was interrupted.
TEST(SolverProve, a_stop_request_leaves_every_property_unknown_interrupted) {
  request_stop();
  ProveOptions o;
  o.variant = "reference";
  o.depth = 2;
  ProveResult r = prove(o);
  clear_stop();
  ASSERT_EQ(r.details.size(), static_cast<size_t>(CHECKED_COUNT));
  for (const PropertyDetail& d : r.details) {
    EXPECT_EQ(d.status, Status::unknown) << property_name(d.property);
    EXPECT_EQ(d.why.rfind("interrupted", 0), 0u) << d.why;
  }
}

}  // namespace
}  // namespace luv::solver
