// Linearizability against the model on hand-written histories, and the
// refinement observer on small runs.
#include <algorithm>

#include <gtest/gtest.h>

#include "impl/tests/calls.h"
#include "linux/errno.h"
#include "model/abstraction.h"
#include "properties/linearizability.h"
#include "properties/refinement.h"

namespace luv {
namespace {

using testing_calls::call;
using testing_calls::release;

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

// The search leaves warnings out of its memo because no model op reads
// them (linearizability.cpp, decide()). Every op, from states with and
// without every warning fired, must give the same outcomes but for them.
TEST(Linearizability, no_model_op_reads_the_warnings) {
  model::Model m(default_topology());
  std::vector<model::State> states = {
      m.initial(), state_after(m, {call(CallKind::iommufd_preserve, 0)}),
      state_after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 1)}),
      state_after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::iommufd_preserve, 1),
                      call(CallKind::vfio_preserve, 1, 2)})};
  std::vector<model::Op> ops;
  for (int f = 0; f < 5; ++f)
    for (model::OpKind k : {model::OpKind::file_check, model::OpKind::file_preserve, model::OpKind::file_unpreserve})
      ops.push_back(model::Op{k, f, -1, -1});
  for (int session = 0; session < 5; ++session)
    ops.push_back(model::Op{model::OpKind::session_last_file, -1, -1, -1, session});
  for (int d = 0; d < 2; ++d) {
    ops.push_back(model::Op{model::OpKind::domain_preserve, -1, d, -1});
    ops.push_back(model::Op{model::OpKind::domain_unpreserve, -1, d, -1});
    for (int v = 0; v < 3; ++v) {
      ops.push_back(model::Op{model::OpKind::device_preserve, -1, d, v});
      ops.push_back(model::Op{model::OpKind::device_unpreserve, -1, d, v});
    }
  }
  for (model::State s : states) {
    for (const model::Op& op : ops) {
      for (bool overlapped : {false, true}) {
        model::State loud = s;
        loud.warned = 0xff;
        std::vector<model::OpOutcome> quiet_out, loud_out;
        model::apply(m, s, op, nullptr, quiet_out, overlapped);
        model::apply(m, loud, op, nullptr, loud_out, overlapped);
        ASSERT_EQ(quiet_out.size(), loud_out.size()) << model::describe(op);
        for (size_t i = 0; i < quiet_out.size(); ++i) {
          model::State q = quiet_out[i].next;
          q.warned |= 0xff;
          EXPECT_EQ(q, loud_out[i].next) << model::describe(op);
          EXPECT_EQ(quiet_out[i].ret, loud_out[i].ret) << model::describe(op);
        }
      }
    }
  }
}

// ---- long histories -------------------------------------------

// 8 threads x 16 calls over the default topology's files, domains and
// devices, built from a sequential run of the model: call j of thread t
// takes effect at time 2 * (8j + t) and spans 10 steps either side, so
// every call overlaps about ten others and the history is linearizable by
// construction (in the order it was built).
struct long_history {
  model::Model m{default_topology()};
  std::vector<HistoryCall> calls;
  model::State end;
};

Call long_history_call(int t, int j) {
  int f = t % 5, d = t % 2, v = (t + j / 6) % 3;
  switch (j % 6) {
    case 0: return call(CallKind::luo_preserve_file, -1, -1, f);
    case 1: return call(CallKind::iommu_domain_preserve, d);
    case 2: return call(CallKind::iommu_preserve_device, d, v);
    case 3: return call(CallKind::iommu_unpreserve_device, d, v);
    case 4: return call(CallKind::iommu_domain_unpreserve, d);
    default: return call(CallKind::luo_unpreserve_file, -1, -1, f);
  }
}

long_history make_long_history(int threads = 8, int calls_per_thread = 16) {
  long_history h;
  model::State s = h.m.initial();
  for (int j = 0; j < calls_per_thread; ++j) {
    for (int t = 0; t < threads; ++t) {
      Call c = long_history_call(t, j);
      model::CallOutcome o = model::run_call(h.m, s, c, nullptr).front();
      s = o.next;
      int at = 2 * (threads * j + t) + 10;
      h.calls.push_back(HistoryCall{t, j, c, o.ret, at - 10, at + 10, {}});
    }
  }
  h.end = s;
  return h;
}

TEST(Linearizability, eight_threads_of_sixteen_overlapping_calls_are_decided) {
  long_history h = make_long_history();
  ASSERT_EQ(h.calls.size(), 128u);
  Linearization lin = linearize(h.m, {h.m.initial()}, h.calls, h.m.project(h.end));
  ASSERT_FALSE(lin.finals.empty()) << lin.why;
  EXPECT_NE(std::find(lin.finals.begin(), lin.finals.end(), h.end), lin.finals.end());
}

TEST(Linearizability, a_wrong_result_in_a_long_history_is_caught) {
  long_history h = make_long_history();
  // Call 5 of thread 3, in the middle of the history, unpreserves its file.
  HistoryCall& c = h.calls[8 * 5 + 3];
  ASSERT_EQ(c.call.kind, CallKind::luo_unpreserve_file);
  c.ret = -EEXIST;  // an unpreserve never answers that
  Linearization lin = linearize(h.m, {h.m.initial()}, h.calls, h.m.project(h.end));
  EXPECT_TRUE(lin.finals.empty());
  EXPECT_NE(lin.why.find("no order"), std::string::npos) << lin.why;
}

TEST(Linearizability, a_wrong_final_state_of_a_long_history_is_caught) {
  long_history h = make_long_history();
  model::State wrong = h.end;
  wrong.files ^= 1u << 4;
  Linearization lin = linearize(h.m, {h.m.initial()}, h.calls, h.m.project(wrong));
  EXPECT_TRUE(lin.finals.empty());
  EXPECT_NE(lin.why.find("state differs"), std::string::npos) << lin.why;
}

TEST(Linearizability, a_search_past_its_bound_is_undecided_not_violated) {
  long_history h = make_long_history();
  LinearizeOptions small;
  small.configurations_max = 10;
  Linearization lin = linearize(h.m, {h.m.initial()}, h.calls, h.m.project(h.end), small);
  EXPECT_TRUE(lin.undecided);
  EXPECT_TRUE(lin.finals.empty());
  EXPECT_NE(lin.why.find("undecided"), std::string::npos) << lin.why;
  EXPECT_NE(lin.why.find("bound of 10 configurations"), std::string::npos) << lin.why;
}

// A run of the reference where 8 threads of 16 calls never all rest at
// once: one segment of 128 calls, step by step round-robin.
Scenario eight_by_sixteen() {
  Scenario s;
  s.mode = CallerMode::adversarial;
  s.threads.resize(8);
  for (int t = 0; t < 8; ++t)
    for (int j = 0; j < 16; ++j) s.threads[t].push_back(long_history_call(t, j));
  for (int i = 0; i < 8 * 16 * 8; ++i) s.schedule.push_back(i % 8);
  return s;
}

TEST(Refinement, reference_with_eight_threads_of_sixteen_calls_refines_the_model) {
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  RunResult r = run(eight_by_sixteen(), o);
  EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
}

TEST(Refinement, eight_threads_of_sixteen_calls_make_one_long_segment) {
  RefinementObserver observer;
  std::vector<RefinementObserver::Segment> segments;
  observer.keep_segments(&segments);
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  o.observer = &observer;
  RunResult r = run(eight_by_sixteen(), o);
  ASSERT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  EXPECT_TRUE(observer.undecided().empty()) << observer.undecided();
  size_t longest = 0;
  for (const auto& seg : segments) longest = std::max(longest, seg.calls.size());
  EXPECT_GT(longest, 64u);  // past the old search's bound
}

TEST(Refinement, a_segment_past_the_search_bound_is_undecided_not_a_violation) {
  RefinementObserver observer;
  LinearizeOptions small;
  small.configurations_max = 10;
  observer.set_linearize_options(small);
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  o.observer = &observer;
  RunResult r = run(eight_by_sixteen(), o);
  EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  EXPECT_NE(observer.undecided().find("bound of 10 configurations"), std::string::npos) << observer.undecided();
  // The observer is reused by the engines: the next run starts decided.
  observer.set_linearize_options(LinearizeOptions{});
  r = run(eight_by_sixteen(), o);
  EXPECT_TRUE(r.verdict.ok());
  EXPECT_TRUE(observer.undecided().empty()) << observer.undecided();
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
      RunResult r = run(s);
      EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
    }
  }
}

Scenario one_of_each() {  // one IOMMU, domain and device, each file in its own session
  Scenario s;
  s.mode = CallerMode::adversarial;
  s.topology.objects_per_page = 1;
  s.topology.iommus = {IommuSpec{}};
  s.topology.domains = {DomainSpec{}};
  s.topology.devices = {DeviceSpec{}};
  return s;
}

// luv check's finding on the reference (adversarial, seed 1, --calls-max 8
// --schedule-max 60): T1's session teardown reads file0 off session0's list
// under the session mutex and starts file0's handler unpreserve
// (iommu_domain_unpreserve(domain0) waits for flb_obj->lock); meanwhile T0's
// raw luo_unpreserve_file(file0) drops file0 and its list entry (it takes no
// session mutex), and T0's vfio_preserve preserves dev0 against domain0; then
// the handler finds dev0 on domain0 and refuses with a WARN_ON_ONCE (rule 3),
// and LUO's unpreserve of file0 is a no-op (-ENOENT). The model must take the
// file at the teardown's read of the list, not at its handler's op.
Scenario teardown_of_a_file_dropped_meanwhile() {
  Scenario s = one_of_each();
  s.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::iommufd_preserve, 0),
                call(CallKind::luo_unpreserve_file, -1, -1, 0), call(CallKind::vfio_preserve, 0, 0)},
               {call(CallKind::vfio_unpreserve, 0, 0), call(CallKind::vfio_unpreserve, 0, 0), release(0)}};
  s.schedule = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0};
  return s;
}

TEST(Refinement, reference_teardown_of_a_file_dropped_meanwhile_refines_the_model) {
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  RunResult r = run(teardown_of_a_file_dropped_meanwhile(), o);
  EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  EXPECT_EQ(r.warnings, 1) << "the schedule no longer reaches the race (the handler's WARN_ON_ONCE)";
}

// The teardown and a contract call on the same session hold its mutex for
// their whole call, so their operations never interleave: the teardown
// cannot read file0, let iommufd_unpreserve(domain0) run whole, and then
// warn in the handler's iommu_domain_unpreserve of a domain no longer
// preserved.
TEST(Linearizability, calls_holding_one_session_mutex_do_not_interleave) {
  model::Model m(default_topology());
  model::State start = state_after(m, {call(CallKind::iommufd_preserve, 0), call(CallKind::iommufd_preserve, 1)});
  model::State end = state_after(m, {call(CallKind::iommufd_preserve, 1)});
  std::vector<HistoryCall> h = {
      {0, 0, release(0), 0, 1, 9, {}},
      {1, 0, call(CallKind::iommufd_unpreserve, 0), 0, 2, 8, {}},
  };
  Linearization quiet = linearize(m, {start}, h, m.project(end));
  EXPECT_FALSE(quiet.finals.empty()) << quiet.why;  // iommufd_unpreserve first, the teardown finds nothing
  model::State warned = end;
  warned.warned = 1u << static_cast<int>(model::WarnSite::domain_not_preserved);
  Linearization loud = linearize(m, {start}, h, m.project(warned));
  EXPECT_TRUE(loud.finals.empty()) << "the model interleaved two holders of session0's mutex";
}

// luv check's second finding of the kind (adversarial, seed 5): T1's
// teardown reads file0 off session0's list; T2's raw luo_unpreserve_file
// drops it and T0's raw luo_preserve_file preserves it again (unlisted, no
// domain); the handler then finds domain0 unpreserved (rule 3's warning),
// and LUO's unpreserve of file0, the last file, tears the FLB down with
// nothing to unpreserve it by (rule 5's warning): no file is left.
TEST(Refinement, reference_teardown_of_a_file_preserved_again_meanwhile_refines_the_model) {
  Scenario s = one_of_each();
  s.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::luo_preserve_file, -1, -1, 0)},
               {release(0)},
               {call(CallKind::iommufd_preserve, 0), call(CallKind::iommufd_preserve, 0),
                call(CallKind::luo_unpreserve_file, -1, -1, 0)}};
  s.schedule = {0, 0, 0, 0, 0, 2, 1, 0, 2, 1, 2, 2, 1, 1, 2};
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  RunResult r = run(s, o);
  EXPECT_TRUE(r.verdict.ok()) << r.verdict.violation->message;
  EXPECT_EQ(r.warnings, 2) << "the schedule no longer reaches the race (the handler's and the teardown's warnings)";
}

TEST(Refinement, v2_domain_unpreserve_under_a_device_is_caught) {
  Scenario s;
  s.variant = "v2";
  s.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0),
                call(CallKind::iommufd_unpreserve, 0)}};
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  RunResult r = run(s, o);
  ASSERT_FALSE(r.verdict.ok());
  EXPECT_EQ(r.verdict.violation->property, PropertyId::model_refinement);
  EXPECT_EQ(r.verdict.violation->call, 2);
  EXPECT_NE(r.verdict.violation->message.find("warnings in iommu_domain_unpreserve: model 1, implementation 0"),
            std::string::npos)
      << r.verdict.violation->message;
}

}  // namespace
}  // namespace luv
