// The model's step function, one docs/SPEC.md rule per test, and the abstraction
// of a fresh World.
#include <gtest/gtest.h>

#include <algorithm>

#include "impl/tests/calls.h"
#include "impl/tests/kernel.h"
#include "impl/variant.h"
#include "impl/world.h"
#include "linux/errno.h"
#include "model/abstraction.h"
#include "model/model.h"

namespace luv::model {
namespace {

using testing_calls::call;
using testing_calls::release;

// The only outcome of a call run alone; fails the test when there is not exactly one.
CallOutcome only(const Model& m, const State& s, const Call& c, const FaultHit* fault = nullptr) {
  std::vector<CallOutcome> outs = run_call(m, s, c, fault);
  EXPECT_EQ(outs.size(), 1u);
  return outs.empty() ? CallOutcome{} : outs.front();
}

State after(const Model& m, std::initializer_list<Call> calls) {
  State s = m.initial();
  for (const Call& c : calls) s = only(m, s, c).next;
  return s;
}

int warnings(const Abstract& a) {
  int n = 0;
  for (int w : a.warnings) n += w;
  return n;
}

TEST(Model, fresh_world_abstracts_to_the_initial_state) {
  Scenario s;
  s.threads = {{}};
  impl::World w(s, *impl::find_variant("reference"));
  Model m(s.topology);
  EXPECT_EQ(abstraction(w), m.project(m.initial())) << abstract_diff(m.project(m.initial()), abstraction(w));
}

TEST(Model, contract_lifecycle_preserves_and_releases_everything) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 1),
                      call(CallKind::vfio_preserve, 0, 2)});
  Abstract a = m.project(s);
  EXPECT_EQ(a.iommu_ref[1], 2);  // dev1 and dev2 share IOMMU 1's HW record
  EXPECT_EQ(a.iommu_ref[0], ABSENT);
  EXPECT_EQ(a.device[1], 0);
  EXPECT_EQ(a.flb_count, 3);
  EXPECT_EQ(a.driver_pages, 4);  // iommu1, domain0, dev1, dev2
  s = only(m, s, call(CallKind::vfio_unpreserve, 0, 1)).next;
  EXPECT_EQ(m.project(s).iommu_ref[1], 1);
  s = only(m, s, call(CallKind::vfio_unpreserve, 0, 2)).next;
  s = only(m, s, call(CallKind::iommufd_unpreserve, 0)).next;
  EXPECT_EQ(m.project(s), m.project(m.initial()));
}

// A session's teardown: every file it holds, last preserved first, so the
// devices go before the domain they were preserved against (no warning).
TEST(Model, session_release_unpreserves_its_files_last_first) {
  Topology t = default_topology();
  t.sessions = {0, 1, 0, 0, 1};  // domain 0, dev0, dev1 in session 0
  Model m(t);
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0),
                      call(CallKind::vfio_preserve, 0, 1), call(CallKind::iommufd_preserve, 1)});

  CallOutcome r = only(m, s, release(0));

  EXPECT_EQ(r.ret, 0);
  Abstract a = m.project(r.next);
  EXPECT_EQ(a.files_preserved, 1u << t.iommufd_file(1));
  EXPECT_EQ(a.domain[0], ABSENT);
  EXPECT_EQ(a.device[0], ABSENT);
  EXPECT_EQ(a.device[1], ABSENT);
  EXPECT_EQ(a.domain[1], 1);
  EXPECT_EQ(warnings(a), 0);
  EXPECT_EQ(only(m, r.next, release(0)).next, r.next);  // nothing left to release
  EXPECT_EQ(m.project(only(m, r.next, release(1)).next), m.project(m.initial()));
}

// LUO's raw preserve lists the file in no session, so no teardown touches it.
TEST(Model, session_release_leaves_files_preserved_outside_sessions) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::luo_preserve_file, -1, -1, 0), call(CallKind::iommu_domain_preserve, 0)});

  EXPECT_EQ(only(m, s, release(0)).next, s);
}

// The teardown's program, op by op: it reads the file its session lists
// last, and its handler and LUO then act on that file, whatever left the
// list meanwhile (the kernel's luo_session_release reads the entry, then
// calls the handler, then LUO).
TEST(Model, session_release_tears_down_the_file_it_read_even_if_dropped_meanwhile) {
  Topology t = default_topology();
  Model m(t);
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::luo_preserve_file, -1, -1, 4)});
  Call c = release(0);
  Progress p;
  auto step = [&](const Op& op) {
    std::vector<OpOutcome> outs;
    apply(m, s, op, nullptr, outs);
    EXPECT_EQ(outs.size(), 1u) << describe(op);
    s = outs.front().next;
    return outs.front().ret;
  };
  std::optional<Op> read = call_next_op(t, c, p);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->kind, OpKind::session_last_file);
  int ret = 0, call_ret = 0;
  ret = step(*read);
  EXPECT_EQ(ret, session_entry(t.iommufd_file(0), 0));
  EXPECT_FALSE(call_advance(c, p, ret, &call_ret));
  // Meanwhile: the file is dropped (off the list too) and a device is preserved against its domain.
  step(Op{OpKind::file_unpreserve, t.iommufd_file(0)});
  step(Op{OpKind::device_preserve, -1, 0, 1});
  std::optional<Op> handler = call_next_op(t, c, p);
  ASSERT_TRUE(handler.has_value());
  EXPECT_EQ(handler->kind, OpKind::domain_unpreserve);
  EXPECT_EQ(handler->domain, 0);
  EXPECT_FALSE(call_advance(c, p, step(*handler), &call_ret));
  EXPECT_EQ(m.project(s).warnings[static_cast<int>(WarnFunction::iommu_domain_unpreserve)], 1);  // rule 3: in use
  std::optional<Op> luo = call_next_op(t, c, p);
  ASSERT_TRUE(luo.has_value());
  EXPECT_EQ(luo->kind, OpKind::file_unpreserve);
  EXPECT_EQ(luo->file, t.iommufd_file(0));
  EXPECT_EQ(step(*luo), -ENOENT);  // already dropped: a no-op
  EXPECT_FALSE(call_advance(c, p, -ENOENT, &call_ret));
  EXPECT_EQ(call_next_op(t, c, p)->kind, OpKind::session_last_file);
  EXPECT_EQ(step(*call_next_op(t, c, p)), SESSION_EMPTY);
  EXPECT_TRUE(call_advance(c, p, SESSION_EMPTY, &call_ret));
  EXPECT_EQ(call_ret, 0);
}

TEST(Model, the_calls_holding_a_session_mutex_name_it) {
  Topology t = default_topology();
  t.sessions = {0, 1, 0, 0, 1};
  EXPECT_EQ(call_session_mutex(t, call(CallKind::iommufd_preserve, 1)), 1);
  EXPECT_EQ(call_session_mutex(t, call(CallKind::vfio_unpreserve, 0, 1)), 0);
  EXPECT_EQ(call_session_mutex(t, call(CallKind::vfio_preserve, 1, 2)), 1);
  EXPECT_EQ(call_session_mutex(t, release(1)), 1);
  EXPECT_EQ(call_session_mutex(t, call(CallKind::luo_unpreserve_file, -1, -1, 0)), -1);
  EXPECT_EQ(call_session_mutex(t, call(CallKind::iommu_domain_unpreserve, 0)), -1);
}

TEST(Model, rule1_domain_without_unpreserve_is_refused_with_one_warning) {
  Model m(default_topology(IOMMU_OPS_ALL, DOMAIN_OP_PRESERVE));
  State s = after(m, {call(CallKind::luo_preserve_file, -1, -1, 0)});
  CallOutcome first = only(m, s, call(CallKind::iommu_domain_preserve, 1));
  EXPECT_EQ(first.ret, -EOPNOTSUPP);
  EXPECT_EQ(warnings(m.project(first.next)), 1);
  CallOutcome second = only(m, first.next, call(CallKind::iommu_domain_preserve, 1));
  EXPECT_EQ(second.ret, -EOPNOTSUPP);
  EXPECT_EQ(second.next, first.next);  // WARN_ON_ONCE: no second warning
}

TEST(Model, rule1_iommu_without_unpreserve_device_is_refused_before_other_checks) {
  Model m(default_topology(IOMMU_OP_PRESERVE | IOMMU_OP_UNPRESERVE | IOMMU_OP_PRESERVE_DEVICE));
  // No FLB and no preserved domain: still the rule-1 refusal, with its warning.
  CallOutcome r = only(m, m.initial(), call(CallKind::iommu_preserve_device, 0, 1));
  EXPECT_EQ(r.ret, -EOPNOTSUPP);
  EXPECT_EQ(m.project(r.next).warnings[static_cast<int>(WarnFunction::iommu_preserve_device)], 1);
}

TEST(Model, several_refusals_allow_any_of_their_errnos) {
  Model m(default_topology());
  std::vector<CallOutcome> outs = run_call(m, m.initial(), call(CallKind::iommu_preserve_device, 0, 0), nullptr);
  std::vector<int> rets;
  for (const CallOutcome& o : outs) rets.push_back(o.ret);
  std::sort(rets.begin(), rets.end());
  EXPECT_EQ(rets, (std::vector<int>{-EINVAL, -ENOENT}));  // domain not preserved; no FLB
}

TEST(Model, repeated_preserve_is_refused_and_changes_nothing) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0)});
  std::vector<CallOutcome> outs = run_call(m, s, call(CallKind::iommu_preserve_device, 0, 0), nullptr);
  ASSERT_FALSE(outs.empty());
  for (const CallOutcome& o : outs) {
    EXPECT_TRUE(o.ret == -EBUSY || o.ret == -EEXIST);
    EXPECT_EQ(o.next, s);
  }
}

TEST(Model, domain_unpreserve_with_devices_warns_and_keeps_the_domain) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0)});
  CallOutcome r = only(m, s, call(CallKind::iommu_domain_unpreserve, 0));
  EXPECT_TRUE(r.next.domain_preserved(0));
  EXPECT_EQ(m.project(r.next).warnings[static_cast<int>(WarnFunction::iommu_domain_unpreserve)], 1);
}

TEST(Model, last_file_going_releases_live_state_with_a_warning) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::luo_preserve_file, -1, -1, 4), call(CallKind::iommu_domain_preserve, 0)});
  CallOutcome r = only(m, s, call(CallKind::luo_unpreserve_file, -1, -1, 4));
  EXPECT_EQ(r.ret, 0);
  Abstract a = m.project(r.next);
  EXPECT_EQ(a.domain[0], ABSENT);
  EXPECT_EQ(a.warnings[static_cast<int>(WarnFunction::iommu_release_all)], 1);
}

TEST(Model, fault_fails_the_call_and_leaves_the_state) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::iommufd_preserve, 0)});
  FaultHit op{impl::fault_site::op_preserve_device, -EIO};
  CallOutcome r = only(m, s, call(CallKind::vfio_preserve, 0, 1), &op);
  EXPECT_EQ(r.ret, -EIO);
  EXPECT_EQ(r.next, s);  // the VFIO file is undone too
  // IOMMU 1 is new here, so its preserve op is reachable; with it already
  // preserved (dev1), dev2's preserve never calls it.
  FaultHit hw{impl::fault_site::op_iommu_preserve, -EIO};
  EXPECT_EQ(only(m, s, call(CallKind::vfio_preserve, 0, 1), &hw).ret, -EIO);
  State shared = only(m, s, call(CallKind::vfio_preserve, 0, 1)).next;
  EXPECT_TRUE(run_call(m, shared, call(CallKind::vfio_preserve, 0, 2), &hw).empty());
}

TEST(Model, flb_setup_faults_only_reach_the_first_file) {
  Model m(default_topology());
  FaultHit kz{impl::fault_site::flb_kzalloc, -ENOMEM};
  EXPECT_EQ(only(m, m.initial(), call(CallKind::luo_preserve_file, -1, -1, 0), &kz).ret, -ENOMEM);
  State s = after(m, {call(CallKind::luo_preserve_file, -1, -1, 0)});
  EXPECT_TRUE(run_call(m, s, call(CallKind::luo_preserve_file, -1, -1, 1), &kz).empty());
}

TEST(Model, unpreserve_device_against_another_domain_warns) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::iommufd_preserve, 1),
                      call(CallKind::vfio_preserve, 0, 0)});
  CallOutcome r = only(m, s, call(CallKind::iommu_unpreserve_device, 1, 0));
  EXPECT_EQ(r.next.device_domain[0], 0);
  EXPECT_EQ(m.project(r.next).warnings[static_cast<int>(WarnFunction::iommu_unpreserve_device)], 1);
}

TEST(Model, deferred_teardown_only_when_overlapped) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::luo_preserve_file, -1, -1, 0), call(CallKind::iommu_domain_preserve, 0)});
  Op last{OpKind::file_unpreserve, 0, -1, -1};
  std::vector<OpOutcome> alone, overlapped;
  apply(m, s, last, nullptr, alone, false);
  apply(m, s, last, nullptr, overlapped, true);
  EXPECT_EQ(alone.size(), 1u);
  ASSERT_EQ(overlapped.size(), 2u);
  EXPECT_TRUE(overlapped[1].next.teardown_pending);
  EXPECT_EQ(teardown(overlapped[1].next), alone[0].next);
}

TEST(Model, restore_lists_what_is_preserved) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::iommufd_preserve, 1), call(CallKind::vfio_preserve, 1, 2)});
  Restore r = restore(m, s, false);
  EXPECT_EQ(r.iommus, std::vector<int>{1});
  EXPECT_EQ(r.domains, std::vector<int>{1});
  ASSERT_EQ(r.devices.size(), 1u);
  EXPECT_EQ(r.devices[0], (std::array<int, 3>{2, 1, 1}));
  EXPECT_TRUE(restore(m, s, true).devices.empty());
}

// The default topology with dev2 in dev1's IOMMU group (both behind IOMMU 1).
Topology shared_group() {
  Topology t = default_topology();
  t.devices[2].group = 1;
  return t;
}

std::vector<int> rets_of(const std::vector<CallOutcome>& outs) {
  std::vector<int> rets;
  for (const CallOutcome& o : outs) rets.push_back(o.ret);
  std::sort(rets.begin(), rets.end());
  return rets;
}

// A device whose IOMMU group has another device is refused, the head of the
// group as much as the device that joined it, and nothing stays preserved;
// a singleton device next to them is preserved as before.
TEST(Model, device_in_a_shared_group_is_refused_and_changes_nothing) {
  Model m(shared_group());
  State s = after(m, {call(CallKind::iommufd_preserve, 0)});
  for (int dev : {1, 2}) {
    CallOutcome r = only(m, s, call(CallKind::vfio_preserve, 0, dev));
    EXPECT_EQ(r.ret, -EOPNOTSUPP) << "dev" << dev;
    EXPECT_EQ(r.next, s) << "dev" << dev;  // the VFIO file is undone too
    CallOutcome raw = only(m, s, call(CallKind::iommu_preserve_device, 0, dev));
    EXPECT_EQ(raw.ret, -EOPNOTSUPP) << "dev" << dev;
    EXPECT_EQ(raw.next, s) << "dev" << dev;
  }
  CallOutcome alone = only(m, s, call(CallKind::vfio_preserve, 0, 0));
  EXPECT_EQ(alone.ret, 0);
  EXPECT_EQ(alone.next.device_domain[0], 0);
}

// The group is checked last: every other refusal, and a fault injected on the
// way (the records and the driver's op come before the check), answer first.
TEST(Model, shared_group_refusal_comes_after_the_other_refusals_and_the_faults) {
  Model m(shared_group());
  // Domain 1 not preserved (the FLB exists): -EINVAL alone.
  State s = after(m, {call(CallKind::iommufd_preserve, 0)});
  EXPECT_EQ(rets_of(run_call(m, s, call(CallKind::iommu_preserve_device, 1, 2), nullptr)), std::vector<int>{-EINVAL});
  // No FLB, no domain: their errnos, not the group's.
  EXPECT_EQ(rets_of(run_call(m, m.initial(), call(CallKind::iommu_preserve_device, 0, 2), nullptr)),
            (std::vector<int>{-EINVAL, -ENOENT}));
  // The group without a DMA owner: -EINVAL.
  Topology unowned = shared_group();
  unowned.devices[1].dma_owner = unowned.devices[2].dma_owner = false;
  Model mu(unowned);
  EXPECT_EQ(rets_of(run_call(mu, after(mu, {call(CallKind::iommufd_preserve, 0)}),
                             call(CallKind::iommu_preserve_device, 0, 2), nullptr)),
            std::vector<int>{-EINVAL});
  // A fault at any site the preserve reaches fires before the group check, with its errno.
  for (impl::fault_site site : {impl::fault_site::kho_array_page, impl::fault_site::op_iommu_preserve,
                                impl::fault_site::op_preserve_device, impl::fault_site::kho_driver_page}) {
    FaultHit fault{site, -EIO};
    CallOutcome r = only(m, s, call(CallKind::vfio_preserve, 0, 2), &fault);
    EXPECT_EQ(r.ret, -EIO) << static_cast<int>(site);
    EXPECT_EQ(r.next, s);
  }
}

// The same calls on the reference World and on the model, one after the
// other: equal returns, and the World abstracts to the model's state.
void expect_reference_agrees(const Topology& t, std::initializer_list<Call> calls) {
  Model m(t);
  test::Kernel k("reference", t);
  State s = m.initial();
  for (const Call& c : calls) {
    CallOutcome r = only(m, s, c);
    s = r.next;
    std::string what = std::string(call_kind_name(c.kind)) + "(domain" + std::to_string(c.domain) + ", dev" +
                       std::to_string(c.device) + ")";
    EXPECT_EQ(k.invoke(c), r.ret) << what;
    EXPECT_EQ(abstraction(k.w()), m.project(s)) << what << ": " << abstract_diff(m.project(s), abstraction(k.w()));
  }
}

// The reference World after the refusal abstracts to the model's state: the
// device and HW records it made are flagged deleted (not live), the driver's
// pages released, dev->iommu->device_ser cleared; the array pages stay. One
// record a page, so the refused call allocates pages of its own.
TEST(Model, reference_after_a_shared_group_refusal_abstracts_to_the_models_state) {
  Topology t = shared_group();
  t.objects_per_page = 1;
  expect_reference_agrees(t, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 2),
                              call(CallKind::vfio_preserve, 0, 1), call(CallKind::vfio_preserve, 0, 0),
                              call(CallKind::vfio_unpreserve, 0, 0), call(CallKind::iommufd_unpreserve, 0)});
}

// The same when the device's IOMMU already has a HW record (another device's):
// the refusal drops the reference it took, and the record stays with ref_count 1.
TEST(Model, shared_group_refusal_drops_only_its_own_hw_reference) {
  Topology t = default_topology();
  t.devices.push_back(DeviceSpec{1});
  t.devices[3].group = 2;  // dev3 in dev2's group, both behind IOMMU 1; dev1 alone there
  expect_reference_agrees(t, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 1),
                              call(CallKind::vfio_preserve, 0, 3), call(CallKind::vfio_unpreserve, 0, 1)});
  Model m(t);
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 1),
                      call(CallKind::vfio_preserve, 0, 3)});
  EXPECT_EQ(m.project(s).iommu_ref[1], 1);
}

}  // namespace
// Rule 6, the group's events. A released claim: the preserve is refused
// (-EINVAL), the unpreserve of what was preserved under the claim goes on. A
// group shared with others stays owned while one of them holds its claim.
TEST(Model, owner_release_refuses_the_preserve_but_not_the_unpreserve) {
  Model m(shared_group());  // devices 1 and 2 share a group
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0),
                      call(CallKind::iommu_device_release_dma_owner, -1, 0)});
  EXPECT_EQ(rets_of(run_call(m, s, call(CallKind::iommu_preserve_device, 0, 0), nullptr)),
            (std::vector<int>{-EINVAL, -EEXIST, -EBUSY}));  // released, and already preserved
  State n = only(m, s, call(CallKind::vfio_unpreserve, 0, 0)).next;
  EXPECT_EQ(n.device_domain[0], -1);
  EXPECT_EQ(n.warned, 0);
  State g = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::iommu_device_release_dma_owner, -1, 1)});
  EXPECT_EQ(rets_of(run_call(m, g, call(CallKind::iommu_preserve_device, 0, 2), nullptr)),
            std::vector<int>{-EOPNOTSUPP});  // owned through dev2: only the shared group refuses
}

// A device joins a group: refused (-EBUSY) while a device of the group is
// preserved; once in, the group's device can no longer be preserved.
TEST(Model, a_group_with_a_preserved_device_takes_no_new_device) {
  Model m(default_topology());
  State s = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0)});
  CallOutcome refused = only(m, s, call(CallKind::iommu_group_add_device, -1, 0));
  EXPECT_EQ(refused.ret, -EBUSY);
  EXPECT_EQ(refused.next, s);
  State grown = after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::iommu_group_add_device, -1, 0)});
  EXPECT_EQ(rets_of(run_call(m, grown, call(CallKind::iommu_preserve_device, 0, 0), nullptr)),
            std::vector<int>{-EOPNOTSUPP});
}

// The reference World agrees with the model through both events.
TEST(Model, reference_agrees_with_the_model_through_the_group_events) {
  expect_reference_agrees(default_topology(),
                          {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0),
                           call(CallKind::iommu_group_add_device, -1, 0), call(CallKind::iommu_device_release_dma_owner, -1, 0),
                           call(CallKind::vfio_unpreserve, 0, 0), call(CallKind::iommu_group_add_device, -1, 0),
                           call(CallKind::vfio_preserve, 0, 0), call(CallKind::iommu_device_release_dma_owner, -1, 1),
                           call(CallKind::vfio_preserve, 0, 1)});
}

}  // namespace luv::model
