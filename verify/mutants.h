// `luv mutants`: does the suite catch each one-line deviation of the
// reference? Each mutant (impl/variant.h) runs through the engines within a
// budget, cheapest first: the explorer's stages (BFS, every property but
// model-refinement, which needs the model's observer), then the check
// engine (seeded RapidCheck with the model-refinement observer, contract
// then adversarial). It is killed by the first property it violates, or
// survives (then either a hole in the properties or an equivalent mutant).
//
// In verify/, above the engines: it drives two of them, and no engine
// depends on another.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "counterexamples/counterexample.h"
#include "explore/explore.h"

namespace luv {

struct MutantVerdict {
  std::string mutant;   // e.g. "skip_refcount_put"
  std::string variant;  // "reference+mutant:skip_refcount_put"
  bool killed = false;
  std::string engine;   // "explore --bfs (adversarial, ...)" or "check (contract, 5000 tests, seed 1)"
  PropertyId property = PropertyId::no_leak;
  int calls = 0, steps = 0;  // steps: up to and including the one where the violation shows
  Scenario counterexample;
  // The properties the counterexample is judged with: the explorer's kills
  // with every property it judges (all but model-refinement, which needs
  // the model), the check engine's with the killing property alone.
  PropertySet checked = all_properties();
  std::string survived_because;  // when not killed: why it is equivalent (or "not found within the budget")
  long long states = 0;  // explorer states expanded
  long long runs = 0;    // check engine Runner runs (shrinking included)
  double seconds = 0;
};

// The check engine's budget per mode; the same seed gives the same kills.
struct MutantCheckBudget {
  int tests = 5000;  // about half a second per mode on this machine
  std::uint64_t seed = 1;
};

// A kill as a counterexample file (FORMAT.md), made as every engine's
// finding is (finding_counterexample): it replays to the kill on the mutant.
Counterexample kill_file(const MutantVerdict& v);

// Every mutant of the catalogue (impl::mutant minus none).
std::vector<std::string> mutant_catalogue();
// What `luv mutants --shard i/N` runs of `names` (the catalogue, or --only's
// list): names i-1, i-1+N, ... in their order (1 <= i <= N).
std::vector<std::string> mutant_shard(const std::vector<std::string>& names, int shard, int shards);
// Runs the engine stages on one mutant until one kills it.
MutantVerdict run_mutant(const std::string& mutant, const MutantCheckBudget& budget = {});
// The check stage alone (what run_mutant runs after the explorer's stages):
// tests replay it to show a recorded kill is what the seed gives.
MutantVerdict check_mutant(const std::string& mutant, const MutantCheckBudget& budget = {});

}  // namespace luv
