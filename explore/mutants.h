// `luv mutants`: does the suite catch each one-line deviation of the
// reference? Each mutant (impl/variant.h) runs through the explorer within
// a budget; it is killed by the first property it violates, or survives
// (then either a hole in the properties or an equivalent mutant).
#pragma once
#include <string>
#include <vector>

#include "explore.h"

namespace luv {

struct MutantVerdict {
  std::string mutant;   // e.g. "skip_refcount_put"
  std::string variant;  // "reference+mutant:skip_refcount_put"
  bool killed = false;
  std::string engine;   // "explore --bfs (adversarial, 2 calls)"
  PropertyId property = PropertyId::no_leak;
  int calls = 0, steps = 0;
  Scenario counterexample;
  std::string survived_because;  // when not killed: why it is equivalent (or "not found within the budget")
  long long states = 0;
  double seconds = 0;
};

// Every mutant of the catalogue (impl::mutant minus none).
std::vector<std::string> mutant_catalogue();
// Runs the engine stages on one mutant until one kills it.
MutantVerdict run_mutant(const std::string& mutant);

}  // namespace luv
