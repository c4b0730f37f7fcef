// For each property (but model-refinement, which the model checks): a
// Scenario on which the Runner reports that property as the first
// violation, on a shipped variant, a seeded fault or a mutant; and the same
// Scenario on the reference, which must raise nothing.
#include <gtest/gtest.h>

#include "linux/errno.h"
#include "properties/runner.h"
#include "impl/tests/calls.h"

namespace luv {
namespace {

using testing_calls::device_call;
using testing_calls::domain_call;
using testing_calls::file_call;

Scenario scenario(CallerMode mode, std::vector<std::vector<Call>> threads, std::vector<int> schedule = {},
                  Topology t = default_topology(), std::vector<Fault> faults = {}) {
  Scenario s;
  s.mode = mode;
  s.topology = std::move(t);
  s.faults = std::move(faults);
  s.threads = std::move(threads);
  s.schedule = std::move(schedule);
  return s;
}

// The Runner's own checks: every property but model-refinement, which the
// model judges and which linearizability_test covers (it would often see a
// deviation first, as the state differing from the model's).
RunOptions own_checks() {
  RunOptions o;
  o.properties.reset(static_cast<size_t>(PropertyId::model_refinement));
  return o;
}

RunResult run_on(Scenario s, const std::string& variant) {
  s.variant = variant;
  return run(s, own_checks());
}

// The first violation, for a failing expectation's message.
std::string first_violation_text(const RunResult& r) {
  if (r.verdict.ok()) return "ok";
  const Violation& v = *r.verdict.violation;
  return std::string(property_name(v.property)) + " at step " + std::to_string(v.step) + ": " + v.message;
}

// The property the run violated first; the reference's run of the same
// Scenario must be clean.
void expect_first_violation(const Scenario& s, const std::string& variant, PropertyId want) {
  RunResult bad = run_on(s, variant);
  ASSERT_FALSE(bad.verdict.ok()) << variant << ": no violation";
  EXPECT_EQ(bad.verdict.violation->property, want) << variant << ": " << first_violation_text(bad);

  RunResult ref = run_on(s, "reference");
  EXPECT_TRUE(ref.verdict.ok()) << "reference: " << first_violation_text(ref);
}

// ---- refcount-balanced --------------------------------------------------------------
// Two devices share IOMMU 1's HW record; the mutant shares it without taking
// a reference, so its ref_count says 1 while two device records point at it.
TEST(Violations, refcount_balanced_on_skip_refcount_get) {
  Scenario s = scenario(CallerMode::contract, {{domain_call(CallKind::iommufd_preserve, 0),
                                                device_call(CallKind::vfio_preserve, 0, 1),
                                                device_call(CallKind::vfio_preserve, 0, 2)}});
  expect_first_violation(s, "reference+mutant:skip_refcount_get", PropertyId::refcount_balanced);
}

// ExploreHook::checks_from (explorers replaying a checked prefix): the
// object-graph checks at quiescent points before that step are skipped, the
// ones from it on are not.
TEST(Violations, checks_from_skips_only_the_quiescent_checks_before_it) {
  Scenario s = scenario(CallerMode::contract, {{domain_call(CallKind::iommufd_preserve, 0),
                                                device_call(CallKind::vfio_preserve, 0, 1),
                                                device_call(CallKind::vfio_preserve, 0, 2),
                                                domain_call(CallKind::iommufd_preserve, 1)}});
  s.variant = "reference+mutant:skip_refcount_get";
  RunResult all = run(s, own_checks());
  ASSERT_TRUE(all.verdict.violation);
  ASSERT_EQ(all.verdict.violation->property, PropertyId::refcount_balanced);
  int at = all.verdict.violation->step;

  RunOptions from_there = own_checks();
  ExploreHook from_at;
  from_at.checks_from = at;
  from_there.explore = &from_at;
  RunResult same = run(s, from_there);
  ASSERT_TRUE(same.verdict.violation);
  EXPECT_EQ(same.verdict.violation->step, at);

  // Past it, the next quiescent point (after the fourth call, still unbalanced) reports it.
  RunOptions past = own_checks();
  ExploreHook from_after;
  from_after.checks_from = at + 1;
  past.explore = &from_after;
  RunResult later = run(s, past);
  ASSERT_TRUE(later.verdict.violation);
  EXPECT_EQ(later.verdict.violation->property, PropertyId::refcount_balanced);
  EXPECT_GT(later.verdict.violation->step, at);
}

// ---- error-path-deleted ----------------------------------------------------------------
// IOMMU 1's preserve op fails; the mutant leaves the HW record it allocated live.
TEST(Violations, error_path_deleted_on_keep_error_record_live) {
  Scenario s = scenario(CallerMode::contract,
                        {{domain_call(CallKind::iommufd_preserve, 0), device_call(CallKind::vfio_preserve, 0, 1)}}, {},
                        default_topology(), {Fault{impl::fault_site::op_iommu_preserve, 1, 0}});
  expect_first_violation(s, "reference+mutant:keep_error_record_live", PropertyId::error_path_deleted);

  RunResult ref = run_on(s, "reference");
  ASSERT_EQ(ref.calls.size(), 2u);
  EXPECT_EQ(ref.calls[1].ret, -EIO);  // the fault fired on the reference too
}

// ---- missing-unpreserve-warns ------------------------------------------------------------
// The seed: IOMMU 1 has preserve and preserve_device but no unpreserve.
Scenario seed() {
  return scenario(CallerMode::contract,
                  {{domain_call(CallKind::iommufd_preserve, 0), device_call(CallKind::vfio_preserve, 0, 1),
                    device_call(CallKind::vfio_unpreserve, 0, 1), domain_call(CallKind::iommufd_unpreserve, 0)}},
                  {}, default_topology(IOMMU_OP_PRESERVE | IOMMU_OP_PRESERVE_DEVICE));
}

TEST(Violations, missing_unpreserve_warns_on_v2) {
  expect_first_violation(seed(), "v2", PropertyId::missing_unpreserve_warns);
  RunResult r = run_on(seed(), "v2");
  EXPECT_EQ(r.verdict.violation->call, 1);  // at vfio_preserve, which accepted the driver
}

TEST(Violations, missing_unpreserve_warns_on_v2_warn) {
  // The review's WARN fires only at unpreserve: the preserve itself is silent.
  expect_first_violation(seed(), "v2-warn", PropertyId::missing_unpreserve_warns);
}

// ---- no-leak ---------------------------------------------------------------------------
// v2 accepts a second preserve of the same domain: the first record and its
// driver page are owned by nothing.
TEST(Violations, no_leak_on_v2_repeated_domain_preserve) {
  Scenario s = scenario(CallerMode::adversarial,
                        {{file_call(CallKind::luo_preserve_file, 0), domain_call(CallKind::iommu_domain_preserve, 0),
                          domain_call(CallKind::iommu_domain_preserve, 0)}});
  expect_first_violation(s, "v2", PropertyId::no_leak);
  RunResult ref = run_on(s, "reference");
  EXPECT_EQ(ref.calls[2].ret, -EBUSY);
}

// The seed with only no-leak checked: what stays preserved after everything.
TEST(Violations, no_leak_on_v2_seed) {
  RunOptions o;
  o.properties = only(PropertyId::no_leak);
  Scenario s = seed();
  s.variant = "v2";
  RunResult r = run(s, o);
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.violation->property, PropertyId::no_leak);
  EXPECT_EQ(r.verdict.violation->call, 3);  // once everything was unpreserved
}

// ---- no-dangling ------------------------------------------------------------------------
// v2 unpreserves a domain with a device still preserved against it.
TEST(Violations, no_dangling_on_v2_domain_unpreserve_under_a_device) {
  Scenario s = scenario(CallerMode::adversarial,
                        {{file_call(CallKind::luo_preserve_file, 0), domain_call(CallKind::iommu_domain_preserve, 0),
                          device_call(CallKind::iommu_preserve_device, 0, 0),
                          domain_call(CallKind::iommu_domain_unpreserve, 0)}});
  expect_first_violation(s, "v2", PropertyId::no_dangling);
}

// v2 checks domain->preserved_state before taking flb_obj->lock. T1's VFIO
// preserve passes the check (step 6), iommufd unpreserves the domain in
// between (T0), and T1 then writes __pa(NULL) as the device's domain.
Scenario unlocked_domain_read() {
  return scenario(CallerMode::contract,
                  {{domain_call(CallKind::iommufd_preserve, 0), domain_call(CallKind::iommufd_unpreserve, 0)},
                   {device_call(CallKind::vfio_preserve, 0, 0)}},
                  {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0});
}

TEST(Violations, no_dangling_on_v2_unlocked_domain_read) {
  expect_first_violation(unlocked_domain_read(), "v2", PropertyId::no_dangling);
  RunResult r = run_on(unlocked_domain_read(), "v2");
  EXPECT_NE(r.verdict.violation->message.find("nowhere"), std::string::npos) << r.verdict.violation->message;
  // The reference re-checks under the lock and refuses.
  RunResult ref = run_on(unlocked_domain_read(), "reference");
  ASSERT_EQ(ref.calls.size(), 3u);
  for (const CallRecord& c : ref.calls) {
    if (c.call.kind == CallKind::vfio_preserve) {
      EXPECT_EQ(c.ret, -EINVAL);
    }
  }
}

// ---- no-null-op ----------------------------------------------------------------------------
// v2's get_outgoing hands back NULL with no file preserved.
TEST(Violations, no_null_op_on_v2_flb_without_a_file) {
  Scenario s = scenario(CallerMode::adversarial, {{domain_call(CallKind::iommu_domain_preserve, 0)}});
  expect_first_violation(s, "v2", PropertyId::no_null_op);
  EXPECT_EQ(run_on(s, "reference").calls[0].ret, -ENOENT);
}

// v2 calls a domain's missing unpreserve op (checked alone: the preserve
// already broke missing-unpreserve-warns).
TEST(Violations, no_null_op_on_v2_missing_domain_unpreserve_op) {
  Scenario s = scenario(CallerMode::contract,
                        {{domain_call(CallKind::iommufd_preserve, 1), domain_call(CallKind::iommufd_unpreserve, 1)}}, {},
                        default_topology(IOMMU_OPS_ALL, DOMAIN_OP_PRESERVE));
  s.variant = "v2";
  RunOptions o;
  o.properties = only(PropertyId::no_null_op);
  RunResult r = run(s, o);
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.violation->property, PropertyId::no_null_op);
  EXPECT_TRUE(run_on(s, "reference").verdict.ok());
}

// ---- no-use-after-free -----------------------------------------------------------------------
// v2 holds no FLB reference: T0's domain preserve got the FLB object, T1
// unpreserves the last file (freeing it), T0 then locks the freed object.
Scenario flb_freed_under_a_call() {
  return scenario(CallerMode::adversarial,
                  {{file_call(CallKind::luo_preserve_file, 0), domain_call(CallKind::iommu_domain_preserve, 0)},
                   {file_call(CallKind::luo_unpreserve_file, 0)}},
                  {0, 0, 0, 0, 1, 1, 0, 0, 0});
}

TEST(Violations, no_use_after_free_on_v2_flb_race) {
  expect_first_violation(flb_freed_under_a_call(), "v2", PropertyId::no_use_after_free);
}

TEST(Violations, no_use_after_free_on_v2_warn_flb_race) {
  expect_first_violation(flb_freed_under_a_call(), "v2-warn", PropertyId::no_use_after_free);
}

// T0 holds flb_obj->lock at the domain's unpreserve op; T1 drops the last
// file, and v2 (no FLB reference) frees the FLB object and its pages; T0
// then flags the domain record in the freed page deleted. Adversarial: LUO's
// session mutex keeps contract callers of one file apart (docs/LUO.md).
TEST(Violations, no_use_after_free_on_v2_record_written_after_the_flb_is_freed) {
  Scenario s = scenario(CallerMode::adversarial,
                        {{file_call(CallKind::luo_preserve_file, 0), domain_call(CallKind::iommu_domain_preserve, 0),
                          domain_call(CallKind::iommu_domain_unpreserve, 0)},
                         {file_call(CallKind::luo_unpreserve_file, 0)}},
                        {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1});
  expect_first_violation(s, "v2", PropertyId::no_use_after_free);
  RunResult r = run_on(s, "v2");
  EXPECT_EQ(r.verdict.violation->step, 11);
  EXPECT_NE(r.verdict.violation->message.find("use after free of serialized record"), std::string::npos)
      << r.verdict.violation->message;
}

// ---- lock-discipline --------------------------------------------------------------------------
// No shipped variant or fault breaks it (every lock is a guard); the
// drop_lock_early mutant unlocks before iommu_unpreserve_locked asserts it.
TEST(Violations, lock_discipline_on_drop_lock_early) {
  Scenario s = scenario(CallerMode::contract, {{domain_call(CallKind::iommufd_preserve, 0),
                                                device_call(CallKind::vfio_preserve, 0, 0),
                                                device_call(CallKind::vfio_unpreserve, 0, 0)}});
  expect_first_violation(s, "reference+mutant:drop_lock_early", PropertyId::lock_discipline);
  RunResult r = run_on(s, "reference+mutant:drop_lock_early");
  EXPECT_NE(r.verdict.violation->message.find("lockdep_assert_held"), std::string::npos)
      << r.verdict.violation->message;
}

// ---- restore-matches -----------------------------------------------------------------------------
// dev1 was unpreserved before kexec; the mutant's next kernel walks its
// deleted record and has to refuse it.
TEST(Violations, restore_matches_on_restore_deleted) {
  Scenario s = scenario(CallerMode::contract,
                        {{domain_call(CallKind::iommufd_preserve, 0), device_call(CallKind::vfio_preserve, 0, 1),
                          device_call(CallKind::vfio_preserve, 0, 2), device_call(CallKind::vfio_unpreserve, 0, 1)}});
  expect_first_violation(s, "reference+mutant:restore_deleted", PropertyId::restore_matches);
  RunResult r = run_on(s, "reference+mutant:restore_deleted");
  EXPECT_EQ(r.verdict.violation->thread, -1);  // after the threads: at restore
  EXPECT_TRUE(r.kexec_done);
}

// A fault is not a violation: the reference stays clean on each single
// fault of the seed-like contract run (a sanity check of the scenarios above).
TEST(Violations, reference_is_clean_under_each_single_fault) {
  Scenario s = scenario(CallerMode::contract,
                        {{domain_call(CallKind::iommufd_preserve, 0), device_call(CallKind::vfio_preserve, 0, 1),
                          device_call(CallKind::vfio_preserve, 0, 2), device_call(CallKind::vfio_unpreserve, 0, 1)}});
  s.topology.objects_per_page = 1;
  RunResult clean = run(s);
  ASSERT_TRUE(clean.verdict.ok()) << first_violation_text(clean);
  int checked = 0;
  for (int site = 0; site < impl::FAULT_SITE_COUNT; ++site) {
    for (int nth = 1; nth <= clean.fault_visits[site]; ++nth) {
      Scenario f = s;
      f.faults = {Fault{static_cast<impl::fault_site>(site), nth, 0}};
      RunResult r = run(f);
      EXPECT_TRUE(r.verdict.ok()) << impl::fault_site_name(static_cast<impl::fault_site>(site)) << " #" << nth << ": "
                                  << first_violation_text(r);
      EXPECT_EQ(r.faults_fired, 1);
      ++checked;
    }
  }
  EXPECT_GE(checked, 10);
}

}  // namespace
}  // namespace luv
