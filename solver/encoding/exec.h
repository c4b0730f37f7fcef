// The step: one Call run on the mirrored functions, then the Runner's
// checks at the call's end (properties/runner.cpp), and the heap projected
// back onto the abstract State.
#pragma once
#include "solver/encoding/callers.h"

namespace luv::solver::encoding {

using z3::expr;

class exec : public callers {
 public:
  using callers::callers;

  StepResult run(const Call& call);
  std::vector<expr> track_intent(const Call& call, const expr& ret);
  expr project(State& s);

  // The state-level properties on the pre-state's heap (true for the call-level ones).
  expr pre_holds(int k) const {
    switch (CHECKED[k]) {
      case PropertyId::refcount_balanced: return !refcount_violated(h_);
      case PropertyId::no_dangling: return !dangling_violated(h_);
      case PropertyId::no_leak: return !orphan_violated(h_);
      default: return c_.bool_val(true);
    }
  }

 private:
  expr error_path_violated(const Call& call, const expr& ret, const Heap& before);
  expr missing_unpreserve_violated(const Call& call, const expr& ret);
};

}  // namespace luv::solver::encoding
