// The reference's proof on the default topology for every op set of docs/SPEC.md's
// bound, run once and shared by the tests that read it.
#pragma once
#include "solver/prove.h"

namespace luv::solver::testing {

inline const ProveOptions& reference_options() {
  static const ProveOptions o = [] {
    ProveOptions o;
    o.variant = "reference";
    o.ops = OpsMode::spec;  // IOMMU 1's 16 op sets and domain 1's 4 at once
    o.depth = 1;            // the proofs need no bounded search; it only finds counterexamples
    o.minimise = false;
    return o;
  }();
  return o;
}

inline const ProveResult& reference_proof() {
  static const ProveResult r = prove(reference_options());
  return r;
}

}  // namespace luv::solver::testing
