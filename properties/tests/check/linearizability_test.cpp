// Linearizability against the model on hand-written histories, and the
// refinement observer on small runs.
#include <gtest/gtest.h>

#include "abstraction.h"
#include "check.h"
#include "linearizability.h"
#include "linux/errno.h"

namespace luv {
namespace {

Call call(CallKind kind, int domain = -1, int device = -1, int file = -1) { return Call{kind, file, domain, device}; }

model::State state_after(const model::Model& m, std::initializer_list<Call> calls) {
  model::State s = m.initial();
  for (const Call& c : calls) s = model::run_call(m, s, c, nullptr).front().next;
  return s;
}

TEST(Linearizability, overlapping_preserves_of_one_domain_linearize_one_winner) {
  model::Model m(default_topology());
  model::State start = state_after(m, {call(CallKind::luo_preserve_file, -1, -1, 2)});
  model::State end = state_after(m, {call(CallKind::luo_preserve_file, -1, -1, 2), call(CallKind::iommu_domain_preserve, 0)});
  std::vector<HistoryCall> h = {
      {0, 0, call(CallKind::iommu_domain_preserve, 0), -EBUSY, 1, 6, {}},
      {1, 0, call(CallKind::iommu_domain_preserve, 0), 0, 2, 5, {}},
  };
  Linearization lin = linearize(m, {start}, h, m.project(end));
  ASSERT_EQ(lin.finals.size(), 1u) << lin.why;
  EXPECT_EQ(lin.finals[0], end);
}

TEST(Linearizability, real_time_order_is_respected) {
  model::Model m(default_topology());
  model::State start = state_after(m, {call(CallKind::luo_preserve_file, -1, -1, 2)});
  model::State end = state_after(m, {call(CallKind::luo_preserve_file, -1, -1, 2), call(CallKind::iommu_domain_preserve, 0)});
  // The -EBUSY call returned before the successful one started: no order explains it.
  std::vector<HistoryCall> h = {
      {0, 0, call(CallKind::iommu_domain_preserve, 0), -EBUSY, 1, 2, {}},
      {1, 0, call(CallKind::iommu_domain_preserve, 0), 0, 3, 5, {}},
  };
  Linearization lin = linearize(m, {start}, h, m.project(end));
  EXPECT_TRUE(lin.finals.empty());
  EXPECT_NE(lin.why.find("no order"), std::string::npos) << lin.why;
}

TEST(Linearizability, final_state_must_match) {
  model::Model m(default_topology());
  model::State start = state_after(m, {call(CallKind::luo_preserve_file, -1, -1, 2)});
  std::vector<HistoryCall> h = {
      {0, 0, call(CallKind::iommu_domain_preserve, 0), -EBUSY, 1, 6, {}},
      {1, 0, call(CallKind::iommu_domain_preserve, 0), 0, 2, 5, {}},
  };
  Linearization lin = linearize(m, {start}, h, m.project(start));  // as if nothing was preserved
  EXPECT_TRUE(lin.finals.empty());
  EXPECT_NE(lin.why.find("domain0: model preserved, implementation none"), std::string::npos) << lin.why;
}

TEST(Linearizability, a_fault_must_fire_inside_its_call) {
  model::Model m(default_topology());
  model::State start = state_after(m, {call(CallKind::iommufd_preserve, 0)});
  std::vector<HistoryCall> h = {
      {0, 0, call(CallKind::iommu_domain_unpreserve, 1), 0, 1, 3, {{impl::fault_site::op_domain_preserve, -EIO}}},
  };
  EXPECT_TRUE(linearize(m, {start}, h, m.project(start)).finals.empty());
}

TEST(Linearizability, single_call_message_names_what_the_model_allows) {
  model::Model m(default_topology());
  std::vector<HistoryCall> h = {{0, 0, call(CallKind::iommu_domain_preserve, 0), 0, 0, 3, {}}};
  Linearization lin = linearize(m, {m.initial()}, h, m.project(m.initial()));
  EXPECT_TRUE(lin.finals.empty());
  EXPECT_NE(lin.why.find("returned 0; the model allows -ENOENT"), std::string::npos) << lin.why;
}

// The observer on whole runs: the reference refines the model in a race the
// brief names (rule 2: a domain unpreserved while a device preserve waits).
TEST(Refinement, reference_race_on_domain_is_linearizable) {
  Scenario s;
  s.mode = CallerMode::adversarial;
  s.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::iommu_preserve_device, 0, 0)},
               {call(CallKind::iommu_domain_unpreserve, 0)}};
  for (int first = 0; first < 2; ++first) {
    for (int len = 0; len < 12; ++len) {
      s.schedule.assign(len, first);
      s.schedule.push_back(1 - first);
      RunResult r = run_checked(s);
      EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
    }
  }
}

TEST(Refinement, v2_domain_unpreserve_under_a_device_is_caught) {
  Scenario s;
  s.variant = "v2";
  s.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0),
                call(CallKind::iommufd_unpreserve, 0)}};
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  RunResult r = run_checked(s, o);
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.violation->property, PropertyId::model_refinement);
  EXPECT_EQ(r.verdict.violation->call, 2);
  EXPECT_NE(r.verdict.violation->message.find("warnings in iommu_domain_unpreserve: model 1, implementation 0"),
            std::string::npos)
      << r.verdict.violation->message;
}

}  // namespace
}  // namespace luv
