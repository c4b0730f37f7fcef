// Houdini over the lemmas of lemmas() (solver/lemmas.cpp): the largest
// subset that is inductive (over exact steps, or over clean ones), the
// induction step of a property under a set of lemmas, and which lemmas such
// a step leans on. Internal to solver/ (prove_induction.cpp, and the tests
// that hold a proof's minimised lemmas to these checks).
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "solver/prove_session.h"

namespace luv::solver {

class Houdini {
 public:
  explicit Houdini(ProofSession& session) : p(session) {}

  static std::vector<int> all_lemma_ids();

  // The largest inductive subset of `ids` that holds initially. Queries go
  // one call at a time: each is small, and the model names the call. Empty
  // when a query was undecided (the deadline): a set short of the fixpoint
  // is not known inductive, so no proof may use it.
  std::optional<Lemmas> houdini(std::vector<int> ids);

  // unsat: under `lem`, no call violates property k (the k-th of CHECKED).
  // On sat, `cti_call` names the call.
  z3::check_result step_violates(const Lemmas& lem, int k, z3::model* m = nullptr, int* cti_call = nullptr);

  // The lemmas of `lem` (an inductive set that proves property k) that the
  // proof leans on: those property k's step uses, and those each of them
  // uses to be inductive, to a fixpoint. Each step's use is the union over
  // the calls of its unsat core, with a lemma an assumption. Inductive and
  // proving k as they stand; empty when a query was not unsat (the deadline).
  std::optional<Lemmas> leaned_on(const Lemmas& lem, int k);

  bool over_exact = false;  // the transitions: exact steps (else clean ones)

 private:
  // The lemmas of `lem` that the unsat queries "`hypothesis`, then the call
  // does `bad_at(call)`" use, over every call.
  std::optional<std::vector<int>> core(const Lemmas& lem, const z3::expr& hypothesis,
                                       const std::function<z3::expr(const StepResult&)>& bad_at);

  ProofSession& p;
  std::map<std::vector<int>, std::vector<int>> cache_;  // candidate set (and transitions) -> its inductive subset
  std::map<std::vector<int>, std::vector<int>> lemma_cores_;  // set, transitions, lemma -> the lemma's core
};

}  // namespace luv::solver
