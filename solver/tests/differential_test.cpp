// The encoding against the implementation: for many random sequential
// Scenarios, the return values, the abstract state after every call and the
// first violation the encoding predicts must be what the Runner observes.
#include <gtest/gtest.h>

#include "predict.h"
#include "random_scenarios.h"
#include "runner.h"
#include "scenario_json.h"
#include "world.h"

namespace luv::solver {
namespace {

// Records the implementation's abstract state after every call.
class capture : public RunObserver {
 public:
  std::vector<AbstractState> states;
  std::optional<std::string> on_call_end(const impl::World& w, const CallRecord&) override {
    states.push_back(abstract_world(w));
    return std::nullopt;
  }
};

// Compares one Scenario; returns "" when the encoding and the Runner agree.
std::string compare(const Scenario& s) {
  Prediction p = predict(s);
  if (!p.unsupported.empty()) return "unsupported: " + p.unsupported;
  capture cap;
  RunOptions ro;
  ro.observer = &cap;
  RunResult r = run(s, ro);
  Layout l(s.topology);
  // Calls the Runner completed, in order (an oops ends a call without a record).
  size_t ran = r.calls.size();
  for (size_t k = 0; k < ran; ++k) {
    if (k >= p.rets.size()) return "the encoding stopped at call " + std::to_string(p.rets.size()) + " but the Runner went on";
    int want = r.calls[k].ret;
    if (p.rets[k] != want)
      return "call " + std::to_string(k) + " " + describe_call(p.calls[k]) + ": encoding returns " +
             std::to_string(p.rets[k]) + ", implementation " + std::to_string(want);
    bool violated_here = p.violation_call == static_cast<int>(k);
    if (!violated_here && !(p.states[k] == cap.states[k]))
      return "after call " + std::to_string(k) + " " + describe_call(p.calls[k]) + ":\n  encoding:       " +
             p.states[k].describe(l) + "\n  implementation: " + cap.states[k].describe(l);
  }
  const auto& v = r.verdict.violation;
  if (p.violation.has_value() != v.has_value())
    return std::string("violation: encoding ") + (p.violation ? property_name(*p.violation) : "none") +
           " at call " + std::to_string(p.violation_call) + ", Runner " + (v ? property_name(v->property) : "none") +
           (v ? " (" + v->message + ")" : "");
  if (v) {
    auto [thread, index] = p.origin[p.violation_call];
    if (*p.violation != v->property || thread != v->thread || index != v->call)
      return std::string("violation: encoding ") + property_name(*p.violation) + " at T" + std::to_string(thread) +
             " call " + std::to_string(index) + ", Runner " + property_name(v->property) + " at T" +
             std::to_string(v->thread) + " call " + std::to_string(v->call) + " (" + v->message + ")";
  }
  return "";
}

TEST(SolverDifferential, random_sequential_scenarios_match_the_implementation) {
  std::mt19937 rng(20260507);
  int violations = 0, faults_fired = 0;
  const int total = 100;
  for (int i = 0; i < total; ++i) {
    Scenario s = testing::random_scenario(rng);
    std::string diff = compare(s);
    ASSERT_EQ(diff, "") << "scenario " << i << ":\n" << scenario_to_json(s).dump(2);
    RunResult r = run(s);
    violations += !r.verdict.ok();
    faults_fired += r.faults_fired;
  }
  // The sample must exercise both outcomes and the fault paths.
  EXPECT_GT(violations, 10);
  EXPECT_LT(violations, total - 10);
  EXPECT_GT(faults_fired, 10);
}

TEST(SolverDifferential, interleaved_schedules_are_out_of_scope) {
  Scenario s;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}}, {Call{CallKind::iommufd_preserve, -1, 1, -1}}};
  s.schedule = {0, 1, 0};
  EXPECT_NE(predict(s).unsupported, "");
}

}  // namespace
}  // namespace luv::solver
