// LUO's sessions as contract mode's callers see them (docs/LUO.md): a
// session's file calls are serialised by its mutex, a file is preserved at
// most once, and closing a session unpreserves every file it holds, last
// preserved first.
#include <gtest/gtest.h>

#include <cstring>

#include "impl/tests/calls.h"
#include "impl/tests/kernel.h"
#include "impl/tests/variant_names.h"
#include "linux/errno.h"
#include "properties/runner.h"

namespace luv::test {
namespace {

using testing_calls::call;
using testing_calls::release;

const CallRecord& call_of(const RunResult& r, int thread, int index) {
  for (const CallRecord& c : r.calls)
    if (c.thread == thread && c.index == index) return c;
  throw std::runtime_error("no such call");
}

// Two contract threads on one file: T0's call runs `head` steps alone, then
// T1 is asked for every step. Each schedule is tried.
std::vector<RunResult> every_switch_point(const std::string& variant, const Call& first, const Call& second,
                                          Topology t = default_topology()) {
  std::vector<RunResult> out;
  for (int head = 0; head < 24; ++head) {
    Scenario s;
    s.variant = variant;
    s.mode = CallerMode::contract;
    s.topology = t;
    s.threads = {{first}, {second}};
    s.schedule.assign(static_cast<size_t>(head), 0);
    s.schedule.resize(s.schedule.size() + 24, 1);
    RunOptions o;
    o.record_steps = true;
    out.push_back(run(s, o));
  }
  return out;
}

// A call's first step stops at the session's mutex_lock point; its second
// takes the mutex, which it holds to its last step. While one thread holds
// it, the other may at most reach the same point and wait.
void expect_serialised(const RunResult& r) {
  for (int holder = 0; holder < 2; ++holder) {
    std::vector<int> steps;
    for (size_t i = 0; i < r.steps_taken.size(); ++i)
      if (r.steps_taken[i].thread == holder) steps.push_back(static_cast<int>(i));
    if (steps.size() < 2) continue;
    for (int i = steps[1] + 1; i < call_of(r, holder, 0).last_step; ++i) {
      const StepRecord& step = r.steps_taken.at(static_cast<size_t>(i));
      if (step.thread == holder) continue;
      ASSERT_NE(step.stopped_at, nullptr) << "T" << step.thread << "'s call returned inside T" << holder << "'s";
      EXPECT_STREQ(step.stopped_at, "mutex_lock")
          << "T" << step.thread << " ran inside T" << holder << "'s session call, at step " << i;
    }
  }
}

class Sessions : public VariantTest {};

// The race: T1 unpreserves the iommufd file that T0 is still
// preserving. The session mutex makes T1 wait, so it either finds nothing
// to unpreserve (-ENOENT, T0's preserve then stands) or unpreserves what
// T0 finished preserving.
TEST_P(Sessions, same_file_preserve_and_unpreserve_never_overlap) {
  for (const RunResult& r : every_switch_point(GetParam(), call(CallKind::iommufd_preserve, 0),
                                               call(CallKind::iommufd_unpreserve, 0))) {
    expect_serialised(r);
    const CallRecord& preserve = call_of(r, 0, 0);
    const CallRecord& unpreserve = call_of(r, 1, 0);
    EXPECT_EQ(preserve.ret, 0);
    // Whichever took the session mutex first ran whole.
    if (unpreserve.ret == -ENOENT)
      EXPECT_EQ(r.restore.domains, std::vector<int>{0});
    else
      EXPECT_TRUE(unpreserve.ret == 0 && r.restore.domains.empty()) << unpreserve.ret;
    EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  }
}

// Two preserves of one file: the second waits for the first, then LUO's
// table refuses it with -EBUSY; one domain record, no trace of the second.
TEST_P(Sessions, second_preserve_of_the_same_file_waits_then_is_busy) {
  for (const RunResult& r : every_switch_point(GetParam(), call(CallKind::iommufd_preserve, 0),
                                               call(CallKind::iommufd_preserve, 0))) {
    expect_serialised(r);
    int first = call_of(r, 0, 0).ret, second = call_of(r, 1, 0).ret;
    EXPECT_EQ(first + second, -EBUSY) << first << ", " << second;
    EXPECT_EQ(r.restore.domains.size(), 1u);
    EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  }
}

TEST_P(Sessions, a_preserved_file_is_refused_with_ebusy_and_nothing_changes) {
  Kernel k(GetParam());
  ASSERT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), 0);
  ASSERT_EQ(k.invoke(call(CallKind::vfio_preserve, 0, 0)), 0);

  EXPECT_EQ(k.invoke(call(CallKind::vfio_preserve, 0, 0)), -EBUSY);
  EXPECT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), -EBUSY);

  EXPECT_EQ(k.w().iommu_flb.count, 2);
  EXPECT_EQ(k.live_records(impl::kho_page_kind::device_array), 1);
  EXPECT_EQ(k.live_records(impl::kho_page_kind::domain_array), 1);
  EXPECT_EQ(k.w().sessions[k.w().topology.session_of(k.w().topology.vfio_file(0))].files.size(), 1u);
}

// LUO's table is global: a file LUO already holds (here through its raw
// call, outside any session) cannot be preserved through a session.
TEST_P(Sessions, a_file_luo_already_holds_is_busy_for_its_session) {
  Kernel k(GetParam());
  ASSERT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), 0);
  ASSERT_EQ(k.invoke(Call{CallKind::luo_preserve_file, k.w().topology.vfio_file(0)}), 0);

  EXPECT_EQ(k.invoke(call(CallKind::vfio_preserve, 0, 0)), -EBUSY);

  EXPECT_FALSE(k.dev(0).iommu->device_ser);
  EXPECT_TRUE(k.w().sessions[k.w().topology.session_of(k.w().topology.vfio_file(0))].files.empty());
}

// One VMM per session: domain 0 with dev0 and dev1 in session 0, domain 1
// with dev2 in session 1 (files: iommufd 0, 1, then VFIO 0, 1, 2).
Topology two_vmms() {
  Topology t = default_topology();
  t.sessions = {0, 1, 0, 0, 1};
  return t;
}

void preserve_both_vmms(Kernel& k) {
  ASSERT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), 0);
  ASSERT_EQ(k.invoke(call(CallKind::vfio_preserve, 0, 0)), 0);
  ASSERT_EQ(k.invoke(call(CallKind::vfio_preserve, 0, 1)), 0);
  ASSERT_EQ(k.invoke(call(CallKind::iommufd_preserve, 1)), 0);
  ASSERT_EQ(k.invoke(call(CallKind::vfio_preserve, 1, 2)), 0);
}

TEST_P(Sessions, teardown_unpreserves_every_file_of_the_session_and_no_other) {
  Kernel k(GetParam(), two_vmms());
  preserve_both_vmms(k);

  EXPECT_EQ(k.invoke(release(0)), 0);

  const Topology& t = k.w().topology;
  for (int f : {t.iommufd_file(0), t.vfio_file(0), t.vfio_file(1)}) EXPECT_FALSE(k.w().file_preserved[f]) << f;
  EXPECT_FALSE(k.dev(0).iommu->device_ser);
  EXPECT_FALSE(k.dev(1).iommu->device_ser);
  EXPECT_FALSE(k.domain(0).preserved_state);
  EXPECT_TRUE(k.w().sessions[0].files.empty());
  // Session 1 is untouched.
  for (int f : {t.iommufd_file(1), t.vfio_file(2)}) EXPECT_TRUE(k.w().file_preserved[f]) << f;
  EXPECT_TRUE(k.dev(2).iommu->device_ser);
  EXPECT_TRUE(k.domain(1).preserved_state);
  EXPECT_EQ(k.w().iommu_flb.count, 2);
  // Last preserved first: the devices go before their domain, so no
  // variant sees a domain unpreserved under a preserved device.
  EXPECT_EQ(k.warnings(), 0);

  EXPECT_EQ(k.invoke(release(1)), 0);
  EXPECT_FALSE(k.flb());
  EXPECT_EQ(k.pages_preserved(), 0);
  EXPECT_EQ(k.warnings(), 0);
}

TEST_P(Sessions, teardown_of_an_empty_session_changes_nothing_and_can_repeat) {
  Kernel k(GetParam(), two_vmms());
  ASSERT_EQ(k.invoke(call(CallKind::iommufd_preserve, 1)), 0);

  EXPECT_EQ(k.invoke(release(0)), 0);
  EXPECT_EQ(k.invoke(release(0)), 0);

  EXPECT_TRUE(k.w().file_preserved[k.w().topology.iommufd_file(1)]);
  EXPECT_EQ(k.w().iommu_flb.count, 1);
  // The session can be used again, like a new session of the same name.
  EXPECT_EQ(k.invoke(call(CallKind::iommufd_preserve, 0)), 0);
  EXPECT_EQ(k.invoke(release(0)), 0);
  EXPECT_FALSE(k.domain(0).preserved_state);
}

// A per-file unpreserve, or LUO's own, takes the file off its session's
// list: the teardown does not unpreserve it a second time.
TEST_P(Sessions, teardown_skips_files_already_unpreserved) {
  Kernel k(GetParam(), two_vmms());
  preserve_both_vmms(k);
  ASSERT_EQ(k.invoke(call(CallKind::vfio_unpreserve, 0, 1)), 0);

  EXPECT_EQ(k.invoke(release(0)), 0);

  EXPECT_TRUE(k.w().sessions[0].files.empty());
  EXPECT_FALSE(k.domain(0).preserved_state);
  EXPECT_EQ(k.warnings(), 0);
}

// A teardown waits for a call in flight on its session.
TEST_P(Sessions, teardown_waits_for_a_preserve_in_flight) {
  for (const RunResult& r :
       every_switch_point(GetParam(), call(CallKind::vfio_preserve, 0, 0), release(0), two_vmms())) {
    expect_serialised(r);
    EXPECT_EQ(call_of(r, 1, 0).ret, 0);
  }
}

TEST_P(Sessions, reference_teardown_refines_the_model) {
  if (std::strcmp(GetParam(), "reference") != 0) GTEST_SKIP() << "the model specifies the reference";
  Scenario s;
  s.variant = GetParam();
  s.mode = CallerMode::contract;
  s.topology = two_vmms();
  s.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0),
                call(CallKind::iommufd_preserve, 1), call(CallKind::vfio_preserve, 1, 2), release(0)},
               {call(CallKind::vfio_preserve, 0, 1), release(1)}};
  s.schedule = {0, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1};

  // model-refinement alone: the model's teardown loop against the kernel's.
  // (restore-matches reads the callers' intent, which knows no teardown yet.)
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  RunResult r = run(s, o);

  EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  EXPECT_EQ(call_of(r, 0, 4).ret, 0);
  EXPECT_EQ(r.restore.domains, std::vector<int>{1});
}

TEST(Sessions, default_topology_puts_each_file_in_its_own_session) {
  Topology t = default_topology();
  EXPECT_EQ(t.session_count(), t.files());
  for (int f = 0; f < t.files(); ++f) EXPECT_EQ(t.files_of_session(f), std::vector<int>{f});
  EXPECT_EQ(two_vmms().session_count(), 2);
  EXPECT_EQ(two_vmms().files_of_session(0), (std::vector<int>{0, 2, 3}));
}

TEST(Sessions, calls_of_mode_lists_the_contract_calls_and_every_session) {
  Topology t = default_topology();  // 2 domains, 3 devices, 5 one-file sessions
  std::vector<Call> contract = impl::calls_of_mode(CallerMode::contract, t);
  std::vector<Call> adversarial = impl::calls_of_mode(CallerMode::adversarial, t);

  EXPECT_EQ(contract.size(), 2u + 2u + 6u + 6u + 5u);
  for (const Call& c : contract) EXPECT_TRUE(call_is_contract(c.kind)) << call_kind_name(c.kind);
  EXPECT_EQ(adversarial.size(), contract.size() + 5u + 5u + 2u + 2u + 6u + 6u + 3u + 3u);
  EXPECT_EQ(contract.back(), release(4));
  for (const std::vector<Call>* calls : {&contract, &adversarial}) {
    Scenario s;
    s.mode = calls == &contract ? CallerMode::contract : CallerMode::adversarial;
    s.threads = {*calls};
    EXPECT_EQ(validate(s), "");
  }
}

TEST(Sessions, a_release_means_the_unpreserve_of_each_file_of_the_session) {
  std::vector<Call> calls = impl::release_as_unpreserves(two_vmms(), 0);
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0], call(CallKind::iommufd_unpreserve, 0));
  EXPECT_EQ(calls[1], call(CallKind::vfio_unpreserve, -1, 0));
  EXPECT_EQ(calls[2], call(CallKind::vfio_unpreserve, -1, 1));
}

TEST(Sessions, validate_names_a_bad_session) {
  Scenario s;
  s.threads = {{release(5)}};
  EXPECT_EQ(validate(s), "threads[0][0].session: 5 is not a session (topology has 5)");
  s.threads = {{}};
  s.topology.sessions = {0, 0};
  EXPECT_EQ(validate(s), "topology.sessions: 2 entries for 5 files (one session index per file, or none)");
}

LUV_INSTANTIATE_VARIANTS(Sessions);

}  // namespace
}  // namespace luv::test
