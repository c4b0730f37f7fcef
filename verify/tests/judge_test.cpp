// The three-way judging: when judges disagree, the report names the one out
// of line and the step. Fake judges stand in where a real one is missing.
#include <gtest/gtest.h>

#include "counterexamples/replay.h"

namespace luv {
namespace {

std::string corpus(const std::string& name) { return std::string(LUV_CORPUS_DIR) + "/" + name; }

// A judge that repeats the Runner's results, except one call's.
Judge echo_judge(const std::string& name, int wrong_call_index = -1) {
  return Judge{name, [wrong_call_index](const Scenario&, const RunResult& r, const PropertySet&) {
                 JudgeOpinion o;
                 for (const CallRecord& c : r.calls) {
                   int ret = c.ret;
                   if (c.index == wrong_call_index && c.thread == 0) ret = ret == 0 ? -22 : 0;
                   o.calls.push_back({c.thread, c.index, ret});
                 }
                 o.verdict = expected_from(r.verdict);
                 return o;
               }};
}

TEST(ThreeWayReplay, faithful_judges_agree_on_the_whole_corpus_sample) {
  Counterexample c = read_counterexample_file(corpus("v2.no-dangling.json"));
  ReplayReport r = replay(c, {echo_judge("model"), echo_judge("solver")}, false);
  EXPECT_TRUE(r.passed()) << (r.disagreement ? r.disagreement->message : r.mismatch);
  EXPECT_EQ(r.judges, (std::vector<std::string>{"runner", "model", "solver"}));
}

TEST(ThreeWayReplay, a_wrong_model_step_is_named_with_its_step) {
  Counterexample c = read_counterexample_file(corpus("v2.no-dangling.json"));
  // T0 call 0 (iommufd_preserve) returns 0 at step 5; the broken model says -EINVAL.
  ReplayReport r = replay(c, {echo_judge("model", 0), echo_judge("solver")}, false);
  ASSERT_TRUE(r.disagreement.has_value());
  EXPECT_EQ(r.disagreement->judges, std::vector<std::string>{"model"});
  EXPECT_EQ(r.disagreement->step, 5);
  EXPECT_NE(r.disagreement->message.find("model disagrees at step 5"), std::string::npos) << r.disagreement->message;
  EXPECT_NE(r.disagreement->message.find("runner 0, model -EINVAL, solver 0"), std::string::npos)
      << r.disagreement->message;
  EXPECT_TRUE(r.mismatch.empty()) << "the Runner still gives the expected verdict";
  EXPECT_FALSE(r.passed());
}

TEST(ThreeWayReplay, the_implementation_is_named_when_model_and_solver_agree_against_it) {
  Counterexample c = read_counterexample_file(corpus("v2.no-leak.json"));
  Judge model = echo_judge("model", 1), solver = echo_judge("solver", 1);
  ReplayReport r = replay(c, {model, solver}, false);
  ASSERT_TRUE(r.disagreement.has_value());
  EXPECT_EQ(r.disagreement->judges, std::vector<std::string>{"runner"});
}

TEST(ThreeWayReplay, two_judges_that_differ_are_both_named) {
  Counterexample c = read_counterexample_file(corpus("v2.no-leak.json"));
  ReplayReport r = replay(c, {echo_judge("model", 1)}, false);
  ASSERT_TRUE(r.disagreement.has_value());
  EXPECT_EQ(r.disagreement->judges, (std::vector<std::string>{"runner", "model"}));
  EXPECT_NE(r.disagreement->message.find("runner and model disagree"), std::string::npos);
}

TEST(ThreeWayReplay, a_different_verdict_is_a_disagreement_at_the_violation_step) {
  Counterexample c = read_counterexample_file(corpus("v2.no-null-op.json"));
  Judge wrong{"solver", [](const Scenario&, const RunResult&, const PropertySet&) {
                JudgeOpinion o;
                o.verdict = ExpectedVerdict{};  // says ok
                return o;
              }};
  ReplayReport r = replay(c, {echo_judge("model"), wrong}, false);
  ASSERT_TRUE(r.disagreement.has_value());
  EXPECT_EQ(r.disagreement->judges, std::vector<std::string>{"solver"});
  EXPECT_EQ(r.disagreement->step, c.expected.step);
}

TEST(ThreeWayReplay, a_judge_that_does_not_apply_is_listed_and_not_counted) {
  Counterexample c = read_counterexample_file(corpus("v2.no-null-op.json"));
  Judge absent{"model", [](const Scenario&, const RunResult&, const PropertySet&) {
                 JudgeOpinion o;
                 o.applies = false;
                 o.why_not = "not this variant";
                 o.verdict = ExpectedVerdict{};  // ignored
                 return o;
               }};
  ReplayReport r = replay(c, {absent}, false);
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.not_judging, std::vector<std::string>{"model: not this variant"});
}

}  // namespace
}  // namespace luv

// With the real judges built in: the model's step function, made wrong on
// purpose for one call, is named against the Runner and the Z3 encoding.
#include "verify/judges.h"

namespace luv {
namespace {

TEST(ThreeWayReplayRealJudges, all_three_agree_on_the_seed_refused_by_the_reference) {
  Counterexample c = read_counterexample_file(corpus("reference.ok-seed-refused.json"));
  ReplayReport r = replay(c, linked_judges(), false);
  EXPECT_TRUE(r.passed()) << (r.disagreement ? r.disagreement->message : r.mismatch);
  EXPECT_EQ(r.judges, (std::vector<std::string>{"runner", "model", "solver"}));
}

TEST(ThreeWayReplayRealJudges, a_deliberately_wrong_model_step_is_named_with_its_step) {
  Counterexample c = read_counterexample_file(corpus("reference.ok-seed-refused.json"));
  ReplayReport r = replay(c, {model_judge(1), solver_judge()}, false);
  ASSERT_TRUE(r.disagreement.has_value());
  EXPECT_EQ(r.disagreement->judges, std::vector<std::string>{"model"}) << r.disagreement->message;
  // The second call (vfio_preserve of dev1, refused) returns at step 7.
  ASSERT_GE(r.result.calls.size(), 2u);
  EXPECT_EQ(r.disagreement->step, r.result.calls[1].last_step);
  EXPECT_NE(r.disagreement->message.find("model disagrees at step"), std::string::npos) << r.disagreement->message;
}

TEST(ThreeWayReplayRealJudges, the_encoding_agrees_with_the_runner_on_v2_findings) {
  for (const char* f : {"v2.no-leak.json", "v2.no-null-op.json", "v2.missing-unpreserve-warns.json"}) {
    Counterexample c = read_counterexample_file(corpus(f));
    ReplayReport r = replay(c, {solver_judge()}, false);
    EXPECT_EQ(r.judges, (std::vector<std::string>{"runner", "solver"})) << f;
    EXPECT_TRUE(r.passed()) << f << ": " << (r.disagreement ? r.disagreement->message : r.mismatch);
  }
}

}  // namespace
}  // namespace luv
