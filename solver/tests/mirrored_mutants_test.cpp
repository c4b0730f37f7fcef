// The encoding mirrors a mutant only where its line has a twin in
// solver/encoding.cpp; for any other it refuses, instead of proving the
// reference in the mutant's name.
#include <gtest/gtest.h>

#include <stdexcept>

#include "properties/runner.h"
#include "solver/encoding.h"
#include "solver/predict.h"
#include "solver/prove.h"

namespace luv::solver {
namespace {

Scenario contract_run(const std::string& variant, const std::vector<Call>& calls) {
  Scenario s;
  s.variant = variant;
  s.mode = CallerMode::contract;
  s.kexec = false;
  s.threads = {calls};
  return s;
}

std::optional<PropertyId> runner_finds(const Scenario& s, PropertyId p) {
  RunOptions o;
  o.properties = PropertySet();
  o.properties.set(static_cast<size_t>(p));
  RunResult r = run(s, o);
  if (!r.verdict.violation) return std::nullopt;
  return r.verdict.violation->property;
}

TEST(SolverMirroredMutants, the_shipped_variants_are_mirrored) {
  for (const impl::variant_rules& v : impl::shipped_variants()) EXPECT_EQ(not_mirrored(v), "") << v.name;
}

TEST(SolverMirroredMutants, a_mutant_without_a_twin_in_the_encoding_is_refused_by_step_and_prove) {
  const impl::variant_rules* m = impl::find_variant("reference+mutant:skip_hw_deleted");
  ASSERT_NE(m, nullptr);
  EXPECT_NE(not_mirrored(*m).find("does not mirror mutant skip_hw_deleted"), std::string::npos) << not_mirrored(*m);

  z3::context c;
  Layout l(default_topology());
  State s = State::fresh(c, l, "S_");
  FaultOracle oracle = free_faults(c, "f_");
  std::array<z3::expr, impl::FAULT_SITE_COUNT> visits{c, c, c, c, c, c, c, c, c};
  for (auto& v : visits) v = c.int_val(0);
  EXPECT_THROW(step(l, *m, s, Call{CallKind::iommufd_preserve, -1, 0, -1}, oracle, visits), std::invalid_argument);

  ProveOptions o;
  o.variant = m->name;
  o.depth = 1;
  try {
    prove(o);
    ADD_FAILURE() << "prove encoded a mutant it does not mirror";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("does not mirror"), std::string::npos) << e.what();
  }
}

// v4's six mutants (its new lines in iommu_preserve_device) have no twin in
// the encoding yet: prove and predict must refuse them on every row.
TEST(SolverMirroredMutants, v4s_new_lines_mutants_are_refused) {
  for (const char* m : {"singleton_keep_device_ser", "singleton_skip_unpreserve_device", "accept_shared_group",
                        "busy_device_einval", "busy_check_before_lock", "skip_put_on_busy"})
    for (const char* base : {"reference", "v4"}) {
      const impl::variant_rules* v = impl::find_variant(std::string(base) + "+mutant:" + m);
      ASSERT_NE(v, nullptr) << base << " " << m;
      EXPECT_NE(not_mirrored(*v).find(std::string("does not mirror mutant ") + m), std::string::npos) << v->name;
    }
}

// As a judge beside the Runner, the encoding says it does not apply to a
// mutant it does not mirror, rather than predicting the reference.
TEST(SolverMirroredMutants, predict_does_not_judge_a_mutant_it_does_not_mirror) {
  Scenario s = contract_run("reference+mutant:skip_hw_deleted", {Call{CallKind::iommufd_preserve, -1, 0, -1}});
  Prediction p = predict(s);
  EXPECT_NE(p.unsupported.find("does not mirror mutant skip_hw_deleted"), std::string::npos) << p.unsupported;
  EXPECT_TRUE(p.calls.empty());
  s.variant = "reference+mutant:skip_refcount_get";
  EXPECT_EQ(predict(s).unsupported, "");
}

// Devices 1 and 2 sit behind IOMMU 1: the second shares its HW record, and
// without ref_count++ the record counts one device for two.
TEST(SolverMirroredMutants, skip_refcount_get_is_encoded_and_predicted_as_the_runner_finds_it) {
  Scenario s = contract_run("reference+mutant:skip_refcount_get",
                            {Call{CallKind::iommufd_preserve, -1, 0, -1}, Call{CallKind::vfio_preserve, -1, 0, 1},
                             Call{CallKind::vfio_preserve, -1, 0, 2}});
  Prediction p = predict(s);
  ASSERT_EQ(p.unsupported, "");
  ASSERT_TRUE(p.violation);
  EXPECT_EQ(*p.violation, PropertyId::refcount_balanced);
  EXPECT_EQ(p.violation_call, 2);
  EXPECT_EQ(runner_finds(s, PropertyId::refcount_balanced), PropertyId::refcount_balanced);
}

// The HW preserve op fails: the reference flags the new record deleted, the
// mutant leaves it live.
TEST(SolverMirroredMutants, keep_error_record_live_is_encoded_and_predicted_as_the_runner_finds_it) {
  Scenario s = contract_run("reference+mutant:keep_error_record_live",
                            {Call{CallKind::iommufd_preserve, -1, 0, -1}, Call{CallKind::vfio_preserve, -1, 0, 0}});
  s.faults = {Fault{impl::fault_site::op_iommu_preserve, 1, 0}};
  Prediction p = predict(s);
  ASSERT_EQ(p.unsupported, "");
  ASSERT_TRUE(p.violation);
  EXPECT_EQ(*p.violation, PropertyId::error_path_deleted);
  EXPECT_EQ(runner_finds(s, PropertyId::error_path_deleted), PropertyId::error_path_deleted);
}

}  // namespace
}  // namespace luv::solver
