// The encoding as a judge of one Scenario: what it predicts each call
// returns, the state after each call, and where it sees the first violation.
// Replay puts this beside the implementation (Runner) and the model, so a
// three-way disagreement names the judge that is wrong.
//
// Scope: sequential Scenarios (one thread, or an empty schedule so threads run
// one after another) up to the end of the calls; kexec and the next kernel
// are not encoded.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "impl/scenario.h"
#include "solver/describe.h"
#include "solver/encoding.h"

namespace luv::solver {

struct Prediction {
  std::string unsupported;          // non-empty: outside the encoding's scope, and why
  std::vector<Call> calls;          // in the order they run
  std::vector<std::pair<int, int>> origin;  // (thread, index in thread) of each
  // Per call run: each property is judged on its own, so the calls go on
  // past violations, up to and including the first call the encoding cannot
  // follow past (`lost_call`: an oops, or a state it does not represent).
  std::vector<int> rets;
  std::vector<AbstractState> states;  // after each call run (not meaningful after `lost_call`)
  int lost_call = -1;               // index into calls, -1 when every call was followed
  // The first violation the Runner would report (CHECKED order), if any.
  int violation_call = -1;          // index into calls
  std::optional<PropertyId> violation;
  std::vector<PropertyId> violated;  // every property of the six violated at that call
  // Each property's first violation: (property, index into calls), in the order seen.
  std::vector<std::pair<PropertyId, int>> firsts;
};

// Throws std::invalid_argument on an invalid Scenario or unknown variant.
Prediction predict(const Scenario& s);
// The encoding run with `rules` in place of s.variant's row (the
// differential test's deliberate mismatches).
Prediction predict(const Scenario& s, const impl::variant_rules& rules);

// The initial state of a topology with every term a value (the start of
// predict's run, which folds each step to values), and the model read.
std::pair<State, z3::model> initial_values(z3::context& c, const Layout& l);

// Every term of a step that predict reads (the return, the verdicts, the
// visit counts, the post-state but the driver ops), in a fixed order.
std::vector<z3::expr*> step_terms(StepResult& r);

}  // namespace luv::solver
