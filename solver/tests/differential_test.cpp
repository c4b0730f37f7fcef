// The encoding against the implementation: for many random sequential
// Scenarios, the return values, the abstract state after every call and the
// first violation the encoding predicts must be what the Runner observes.
#include <gtest/gtest.h>

#include "counterexamples/scenario_json.h"
#include "impl/world.h"
#include "properties/runner.h"
#include "solver/predict.h"
#include "solver/tests/random_scenarios.h"

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
// Both go on past violations (each property is judged on its own): the
// Runner up to an oops, the encoding up to the first call it cannot follow.
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
  size_t followed = p.lost_call >= 0 ? static_cast<size_t>(p.lost_call) + 1 : p.rets.size();
  if (ran > followed && p.lost_call < 0)
    return "the encoding stopped at call " + std::to_string(p.rets.size()) + " but the Runner went on";
  if (ran < followed && p.lost_call != static_cast<int>(ran))
    return "the Runner stopped after " + std::to_string(ran) + " call(s), the encoding went on to " +
           std::to_string(followed);
  for (size_t k = 0; k < std::min(ran, followed); ++k) {
    int want = r.calls[k].ret;
    if (p.rets[k] != want)
      return "call " + std::to_string(k) + " " + describe_call(p.calls[k]) + ": encoding returns " +
             std::to_string(p.rets[k]) + ", implementation " + std::to_string(want);
    if (p.lost_call != static_cast<int>(k) && !(p.states[k] == cap.states[k]))
      return "after call " + std::to_string(k) + " " + describe_call(p.calls[k]) + ":\n  encoding:       " +
             p.states[k].describe(l) + "\n  implementation: " + cap.states[k].describe(l);
  }
  // Each property's first violation, up to the last call both followed.
  int last = static_cast<int>(followed) - 1;
  std::vector<PropertyId> judged(CHECKED.begin(), CHECKED.end());
  judged.push_back(PropertyId::no_use_after_free);
  for (PropertyId q : judged) {
    auto mine = std::find_if(p.firsts.begin(), p.firsts.end(), [&](const auto& f) { return f.first == q; });
    int at = mine == p.firsts.end() ? -1 : mine->second;
    const Violation* v = r.verdict.first_of(q);
    int index = -1;
    for (size_t k = 0; v && k < p.origin.size(); ++k)
      if (p.origin[k] == std::make_pair(v->thread, v->call)) index = static_cast<int>(k);
    if (index > last) index = -1;  // past what the encoding follows
    if (at != index)
      return std::string(property_name(q)) + ": encoding's first violation at call " + std::to_string(at) +
             ", Runner's at call " + std::to_string(index) + (v ? " (" + v->message + ")" : "");
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

// Every term of a step, each simplified on its own, as text.
std::vector<std::string> step_values(StepResult& r) {
  std::vector<std::string> out;
  for (z3::expr* x : step_terms(r)) out.push_back(x->simplify().to_string());
  return out;
}

// predict folds values while it builds a step (a pointer selects its slot);
// the prover builds the same step as terms over every slot. From the same
// concrete states, both must come to the same values, term by term.
TEST(SolverDifferential, folded_steps_equal_the_terms_the_prover_builds) {
  std::mt19937 rng(20261130);
  z3::context c;
  int steps = 0;
  for (int i = 0; i < 40; ++i) {
    Scenario s = testing::random_scenario(rng);
    if (!predict(s).unsupported.empty()) continue;
    Layout l(s.topology);
    State state = initial_values(c, l).first;
    FaultOracle oracle = planned_faults(c, s.faults);
    std::array<z3::expr, impl::FAULT_SITE_COUNT> visits{c, c, c, c, c, c, c, c, c};
    for (auto& v : visits) v = c.int_val(0);
    bool lost = false;
    for (const auto& thread : s.threads)
      for (const Call& call : thread) {
        if (lost) break;
        StepResult folded = step(l, *impl::find_variant(s.variant), state, call, oracle, visits, true);
        StepResult plain = step(l, *impl::find_variant(s.variant), state, call, oracle, visits, false);
        ASSERT_EQ(step_values(folded), step_values(plain))
            << "scenario " << i << ", " << describe_call(call) << ":\n" << scenario_to_json(s).dump(2);
        for (z3::expr* x : step_terms(plain)) *x = x->simplify();
        state = plain.post;
        visits = plain.visits_after;
        lost = !plain.exact.is_true();
        ++steps;
      }
  }
  EXPECT_GT(steps, 100);
}

TEST(SolverDifferential, interleaved_schedules_are_out_of_scope) {
  Scenario s;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}}, {Call{CallKind::iommufd_preserve, -1, 1, -1}}};
  s.schedule = {0, 1, 0};
  EXPECT_NE(predict(s).unsupported, "");
}

}  // namespace
}  // namespace luv::solver
