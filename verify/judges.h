// The judges beside the Runner: the abstract model (luv_model) and the Z3
// encoding (luv_solver); and the Runner as replay runs it, with the
// model-refinement observer. In verify/, above the engines it asks.
#pragma once
#include <vector>

#include "counterexamples/replay.h"

namespace luv {

std::vector<Judge> linked_judges();

// The model as a judge: the model's run_call() on the Runner's calls, in the
// order they completed, for the reference (the model specifies the
// reference) and only while calls do not overlap. `wrong_call` (tests)
// makes the model's prediction for that call (in completion order) wrong on
// purpose, to show replay naming the judge out of line.
Judge model_judge(int wrong_call = -1);
// The Z3 encoding as a judge: solver::predict() on sequential Scenarios.
Judge solver_judge();

}  // namespace luv
