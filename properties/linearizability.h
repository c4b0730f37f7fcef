// Linearizability of a concurrent history against the model.
//
// A history segment is the calls that ran between two quiescent points (no
// thread inside a call). It is linearizable when some sequential order of
// the model's operations explains it: each call's operations in program
// order (a contract caller is two or three operations, see model.h), every
// call that returned before another started ordered before it (real time),
// each call's return value the model's, each injected fault fired inside the
// call it was injected in, and the model state at the end abstracting to the
// implementation's state at the quiescent point.
//
// The search is brute force with memoisation: a node is (each thread's
// position in its calls and inside the current call, model state); a node
// seen once is not expanded again. Generated segments hold at most a dozen
// calls of three threads, so the node count stays in the hundreds.
#pragma once
#include <string>
#include <vector>

#include "model.h"
#include "scenario.h"

namespace luv {

struct HistoryCall {
  int thread = 0;
  int index = 0;  // position in its thread
  Call call;
  int ret = 0;
  int first_step = 0;
  int last_step = 0;
  std::vector<model::FaultHit> faults;  // injected while this call ran
};

struct Linearization {
  // Model states the segment can end in, each projecting to the target:
  // empty when the segment is not linearizable.
  std::vector<model::State> finals;
  std::string why;  // when not linearizable: what no order explains
  int nodes = 0;    // search nodes expanded
};

// `starts`: the model states the history may be in before the segment.
Linearization linearize(const model::Model& m, const std::vector<model::State>& starts,
                        const std::vector<HistoryCall>& calls, const model::Abstract& target);

std::string describe_history_call(const HistoryCall& c);

}  // namespace luv
