// Findings of a review of the verdicts, one test each: each property is judged on its own
// (the Runner goes on past a violation; only an oops or a deadlock ends a
// run), and the properties read as docs/SPEC.md writes them.
#include <gtest/gtest.h>

#include "linux/errno.h"
#include "properties/runner.h"
#include "impl/tests/calls.h"

namespace luv {
namespace {

using testing_calls::device_call;
using testing_calls::domain_call;
using testing_calls::file_call;

Scenario one_thread(const std::string& variant, CallerMode mode, std::vector<Call> calls,
                    Topology t = default_topology()) {
  Scenario s;
  s.variant = variant;
  s.mode = mode;
  s.topology = std::move(t);
  s.threads = {std::move(calls)};
  return s;
}

RunResult run_only(const Scenario& s, PropertyId p) {
  RunOptions o;
  o.properties = only(p);
  return run(s, o);
}

// The story: a VMM-like adversary preserves domain0 and dev0, then
// drops file0. v2 frees the FLB and its pages, but iommu0's
// outgoing_preserved_state still points into the freed HW page, with no live
// device record behind it. Before the fix, the graph only looked at live HW
// records, and a run with every property stopped at no-dangling first.
Scenario outgoing_state_left_set(const std::string& variant) {
  return one_thread(variant, CallerMode::adversarial,
                    {file_call(CallKind::luo_preserve_file, 0), domain_call(CallKind::iommu_domain_preserve, 0),
                     device_call(CallKind::iommu_preserve_device, 0, 0), file_call(CallKind::luo_unpreserve_file, 0)});
}

TEST(PerProperty, v2_outgoing_state_set_into_a_freed_page_is_refcount_unbalanced) {
  RunResult r = run_only(outgoing_state_left_set("v2"), PropertyId::refcount_balanced);
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.violation->property, PropertyId::refcount_balanced);
  EXPECT_EQ(r.verdict.violation->call, 3);
  EXPECT_NE(r.verdict.violation->message.find("iommu0: outgoing_preserved_state set"), std::string::npos)
      << r.verdict.violation->message;
}

TEST(PerProperty, a_run_goes_on_past_its_first_violation) {
  RunResult r = run(outgoing_state_left_set("v2"));
  ASSERT_FALSE(r.verdict.ok());
  const Violation* dangling = r.verdict.first_of(PropertyId::no_dangling);
  ASSERT_NE(dangling, nullptr);
  EXPECT_NE(r.verdict.first_of(PropertyId::refcount_balanced), nullptr);
  const Violation* restore = r.verdict.first_of(PropertyId::no_leak);
  ASSERT_NE(restore, nullptr) << "no-leak was not judged past the quiescent point's violations";
  EXPECT_GT(restore->step, dangling->step);  // after kexec: the next kernel leaves driver pages preserved
  EXPECT_TRUE(r.kexec_done);  // the run went on to the next kernel
  EXPECT_FALSE(r.verdict.ended);
}

TEST(PerProperty, the_reference_refuses_the_same_story_cleanly) {
  RunResult r = run(outgoing_state_left_set("reference"));
  EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
}

// An oops ends the run: the properties not violated before it are reported
// as not judged past it, never as holding.
TEST(PerProperty, an_oops_ends_the_run_and_names_what_it_left_unjudged) {
  Scenario s = one_thread("v2", CallerMode::adversarial, {domain_call(CallKind::iommu_domain_preserve, 0)});
  RunResult r = run(s);
  ASSERT_TRUE(r.verdict.ended);
  EXPECT_EQ(r.verdict.ended->property, PropertyId::no_null_op);
  PropertySet unjudged = r.verdict.unjudged_after_end(all_properties());
  EXPECT_FALSE(has(unjudged, PropertyId::no_null_op));
  EXPECT_TRUE(has(unjudged, PropertyId::no_leak));
  EXPECT_FALSE(r.kexec_done);
}

// missing-unpreserve-warns at the other end: an unpreserve on a domain
// without its unpreserve op, nothing preserved, returns silently on v2 (it
// was not flagged before); the reference warns.
TEST(PerProperty, a_silent_unpreserve_on_a_driver_lacking_its_twin_is_flagged) {
  Topology t = default_topology(IOMMU_OPS_ALL, DOMAIN_OP_PRESERVE);
  Scenario s = one_thread("v2", CallerMode::adversarial,
                          {device_call(CallKind::iommu_unpreserve_device, 1, 1)},
                          default_topology(IOMMU_OP_PRESERVE | IOMMU_OP_PRESERVE_DEVICE, DOMAIN_OPS_ALL));
  RunResult r = run_only(s, PropertyId::missing_unpreserve_warns);
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_NE(r.verdict.violation->message.find("without a warning"), std::string::npos) << r.verdict.violation->message;

  s.variant = "reference";
  EXPECT_TRUE(run(s).verdict.ok());
  Scenario d = one_thread("reference", CallerMode::adversarial, {domain_call(CallKind::iommu_domain_unpreserve, 1)}, t);
  RunResult ref = run(d);
  EXPECT_TRUE(ref.verdict.ok()) << ref.verdict.violation->message;
  EXPECT_EQ(ref.warnings, 1);
}

// restore-matches against the callers' view: VFIO unpreserves dev1 (its
// file goes), v2's iommu_unpreserve_device returns early on a driver without
// unpreserve_device, and the next kernel restores dev1 anyway. Before, the
// check compared with the kernel's own pointers at kexec and said ok.
TEST(PerProperty, v2_restores_a_device_its_vfio_file_unpreserved) {
  Scenario s = one_thread("v2", CallerMode::contract,
                          {domain_call(CallKind::iommufd_preserve, 0), device_call(CallKind::vfio_preserve, 0, 1),
                           device_call(CallKind::vfio_unpreserve, 0, 1)},
                          default_topology(IOMMU_OP_PRESERVE | IOMMU_OP_UNPRESERVE | IOMMU_OP_PRESERVE_DEVICE));
  RunResult r = run_only(s, PropertyId::restore_matches);
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_NE(r.verdict.violation->message.find("devices differ"), std::string::npos) << r.verdict.violation->message;
}

// A refused unpreserve (it warned) leaves the object kept: the reference
// refuses to unpreserve a domain its devices still use, and restores it.
TEST(PerProperty, a_refused_unpreserve_keeps_the_object_in_the_callers_view) {
  Scenario s = one_thread("reference", CallerMode::contract,
                          {domain_call(CallKind::iommufd_preserve, 0), device_call(CallKind::vfio_preserve, 0, 0),
                           domain_call(CallKind::iommufd_unpreserve, 0)});
  RunResult r = run(s);
  EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  EXPECT_EQ(r.restore.domains, std::vector<int>{0});
}

// Found by the explorer on the default bound (reference, adversarial, all 64
// op-set choices): T1 preserves domain0 while T0's VFIO preserve of dev0
// holds an FLB reference; T1 drops dev0's file (LUO's count goes to 0), T0's
// driver op fails and its last FLB put tears the FLB down, releasing
// domain0 (rule 5), and T1 then preserves file 4, a fresh FLB. No call
// returned between the teardown and that preserve, so the callers' view,
// updated only at returns, kept domain0 and restore-matches said the next
// kernel dropped it. The teardown is now noted at the step that made it.
TEST(PerProperty, a_teardown_between_two_returns_forgets_what_was_kept) {
  Scenario s;
  s.variant = "reference";
  s.mode = CallerMode::adversarial;
  s.topology = default_topology(0, 0);
  s.threads = {{device_call(CallKind::vfio_preserve, 0, 0)},
               {domain_call(CallKind::iommu_domain_preserve, 0), file_call(CallKind::luo_unpreserve_file, 2),
                file_call(CallKind::luo_preserve_file, 4)}};
  s.faults = {Fault{impl::fault_site::op_preserve_device, 1, 0}};
  s.schedule = {0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0};
  RunResult r = run(s);
  EXPECT_EQ(r.restore.domains, std::vector<int>{});  // what was kept went with the FLB
  EXPECT_EQ(r.verdict.first_of(PropertyId::restore_matches), nullptr)
      << r.verdict.first_of(PropertyId::restore_matches)->message;
}

}  // namespace
}  // namespace luv
