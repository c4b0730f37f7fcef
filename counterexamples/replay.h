// Replay: run a counterexample on the implementation (the Runner) and judge
// it again with every other judge present (the abstract model, the Z3
// encoding). When judges disagree, the report names the one that does and
// the step, so a reader knows whether the implementation, the model or the
// encoding is wrong.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "counterexamples/counterexample.h"
#include "properties/runner.h"

namespace luv {

// One call's result as a judge predicts it.
struct PredictedCall {
  int thread = 0;
  int index = 0;
  int ret = 0;
};

// What a judge says about a Scenario, given the Runner's run (a judge may
// follow the Runner's history, e.g. the order calls completed in).
struct JudgeOpinion {
  bool applies = true;
  std::string why_not;                // when !applies: "the model specifies only the reference"
  std::vector<PredictedCall> calls;   // results it decides (any subset, any order)
  // Its verdict, when it decides one: ok, or the property and where.
  std::optional<ExpectedVerdict> verdict;
  bool verdict_has_place = false;     // compare thread and call of the verdict too
};

struct Judge {
  std::string name;  // "model", "solver"
  // The Scenario, the Runner's run, and the properties the file is judged with.
  std::function<JudgeOpinion(const Scenario&, const RunResult&, const PropertySet&)> judge;
};

struct Disagreement {
  std::vector<std::string> judges;  // the judge(s) out of line; two names when there is no majority
  int step = 0;                     // the Runner's step at which it shows
  std::string message;              // one line: who said what
};

struct ReplayReport {
  Counterexample counterexample;
  RunResult result;
  std::string mismatch;                  // "" when the replayed verdict is the expected one
  std::vector<std::string> judges;       // who judged: "runner", then the applicable others
  std::vector<std::string> not_judging;  // "model: why not"
  std::optional<Disagreement> disagreement;  // the first, in step order
  bool passed() const { return mismatch.empty() && !disagreement; }
};

// Runs the Runner with options.properties = c.checked, then asks the judges.
ReplayReport replay(const Counterexample& c, const std::vector<Judge>& judges, bool trace);

// The three-way comparison alone, for tests and for engines that already ran.
std::optional<Disagreement> compare_judges(const RunResult& runner, const std::vector<std::string>& names,
                                           const std::vector<JudgeOpinion>& opinions);

}  // namespace luv
