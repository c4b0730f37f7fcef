// Rules 2 and 4 only show with two threads: Scenarios with hand-written
// schedules through the Runner, checking where each call stood when the
// other thread ran.
#include <gtest/gtest.h>

#include "linux/errno.h"
#include "properties/runner.h"

namespace luv::test {
namespace {

const CallRecord& call_of(const RunResult& r, int thread, int index) {
  for (const CallRecord& c : r.calls)
    if (c.thread == thread && c.index == index) return c;
  throw std::runtime_error("no such call");
}

// T1's iommu_preserve_device passes its domain check (step 6), then T0
// unpreserves the last file before T1 gets the FLB (steps 8-9).
Scenario last_file_goes_in_the_window(const std::string& variant) {
  Scenario s;
  s.variant = variant;
  s.mode = CallerMode::adversarial;
  s.threads = {{Call{CallKind::luo_preserve_file, 0}, Call{CallKind::iommu_domain_preserve, -1, 0},
                Call{CallKind::luo_unpreserve_file, 0}},
               {Call{CallKind::iommu_preserve_device, -1, 0, 0}}};
  s.schedule = {0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1};
  return s;
}

TEST(Race, reference_preserve_device_gets_enoent_when_the_flb_is_gone) {
  RunResult r = run(last_file_goes_in_the_window("reference"));

  ASSERT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  const CallRecord& dev = call_of(r, 1, 0);
  const CallRecord& last_file = call_of(r, 0, 2);
  EXPECT_LT(dev.first_step, last_file.first_step);  // the window
  EXPECT_GT(dev.last_step, last_file.last_step);
  EXPECT_EQ(dev.ret, -ENOENT);  // rule 4: get_outgoing refuses
  EXPECT_EQ(last_file.ret, 0);
  EXPECT_EQ(r.warnings, 1);  // rule 5: the teardown released the live domain
}

TEST(Race, v2_preserve_device_locks_a_null_flb) {
  RunResult r = run(last_file_goes_in_the_window("v2"));

  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.violation->property, PropertyId::no_null_op);
  EXPECT_EQ(r.verdict.violation->thread, 1);
}

// T1's VFIO preserve reads domain->preserved_state (step 8), T0's iommufd
// unpreserves the domain (steps 10-15), T1 takes the lock (step 16). The
// two files are in different LUO sessions, so their mutexes do not
// serialise the calls (each call's first step stops at its session's lock).
TEST(Race, reference_rechecks_the_domain_under_the_lock) {
  Scenario s;
  s.variant = "reference";
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0}, Call{CallKind::iommufd_unpreserve, -1, 0}},
               {Call{CallKind::vfio_preserve, -1, 0, 0}}};
  s.schedule = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
  RunOptions o;
  o.record_steps = true;

  RunResult r = run(s, o);

  ASSERT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  const CallRecord& vfio = call_of(r, 1, 0);
  const CallRecord& unpreserve = call_of(r, 0, 1);
  EXPECT_LT(vfio.first_step, unpreserve.first_step);
  EXPECT_GT(vfio.last_step, unpreserve.last_step);
  // T1 stopped past the unlocked read when T0 began, so only rule 2's check
  // under the lock can have refused it.
  ASSERT_GT(r.steps_taken.size(), 9u);
  EXPECT_EQ(r.steps_taken[8].thread, 1);
  EXPECT_STREQ(r.steps_taken[8].stopped_at, "read domain->preserved_state");
  EXPECT_EQ(r.steps_taken[9].thread, 1);
  EXPECT_STREQ(r.steps_taken[9].stopped_at, "mutex_lock");
  EXPECT_EQ(vfio.ret, -EINVAL);
}

// Rule 4: T0 holds an FLB reference while T1 unpreserves the last file; the
// object outlives the file until T0's call returns, then goes with a warning
// (rule 5) because T0 preserved a domain into it.
TEST(Race, reference_flb_reference_outlives_the_last_file) {
  Scenario s;
  s.variant = "reference";
  s.mode = CallerMode::adversarial;
  s.threads = {{Call{CallKind::luo_preserve_file, 0}, Call{CallKind::iommu_domain_preserve, -1, 0}},
               {Call{CallKind::luo_unpreserve_file, 0}}};
  s.schedule = {0, 0, 0, 0, 1, 1, 0, 0, 0};

  RunResult r = run(s);

  ASSERT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  const CallRecord& preserve = call_of(r, 0, 1);
  const CallRecord& unpreserve = call_of(r, 1, 0);
  EXPECT_LT(preserve.first_step, unpreserve.first_step);
  EXPECT_GT(preserve.last_step, unpreserve.last_step);
  EXPECT_EQ(preserve.ret, 0);
  EXPECT_EQ(r.warnings, 1);
  EXPECT_TRUE(r.restore.domains.empty());  // nothing was left to hand over
}

}  // namespace
}  // namespace luv::test
