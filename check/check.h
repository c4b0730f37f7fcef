// The RapidCheck engine: generate Scenarios, run each on the Runner with
// every property and the model-refinement observer, shrink what fails.
//
// One pass over `tests` generated Scenarios. A Scenario violating a property
// still being checked is shrunk (RapidCheck's shrink tree, greedily: the
// first smaller Scenario that violates the same property, checked alone,
// replaces it, until none does); that property is then reported
// violated and dropped from the set, and the same Scenario is run again
// against the rest, so one Scenario can show several properties. Dropping a
// found property is what lets a later one be seen at all: the Runner
// reports only the first violation of a run, and model-refinement, checked
// at each call's return, would otherwise mask refcount-balanced, no-dangling
// and no-leak, checked after it at quiescent points.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "check/generators.h"
#include "counterexamples/counterexample.h"
#include "properties/outcome.h"
#include "properties/runner.h"

namespace luv {

struct CheckProgress {
  int tests_done = 0;
  int tests_total = 0;
  int violated = 0;
  bool shrinking = false;
};

struct CheckOptions {
  std::string variant = "reference";
  CallerMode mode = CallerMode::contract;
  int tests = 1000;
  std::uint64_t seed = 1;
  GenOptions gen;                 // bounds of the generated Scenarios (variant and mode are set from above)
  PropertySet properties = all_properties();
  int shrink_runs_max = 20000;    // Runner runs spent shrinking one counterexample, at most
  std::function<void(const CheckProgress&)> progress;  // called every few tests, and while shrinking
  // A hard limit (luv verify's and luv check's budget): no Scenario is run
  // past it; properties not yet violated are then `unknown`, "cut by the
  // budget". A shrink it cuts keeps the smallest counterexample so far. A
  // stop request (stop.h) cuts the same way, "interrupted".
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Held against every quiescent state the Scenarios reach (RunOptions::invariant).
  std::function<std::string(const impl::World&)> invariant;
  // --shard i/N: run only the Scenarios whose index is i-1 mod N (1 <= i <= N
  // <= tests), each generated from the seed as one run generates it, so that
  // merge_checks() over the N shards gives one run's verdicts.
  int shard = 1, shards = 1;
};

struct CheckFinding {
  PropertyId property = PropertyId::no_leak;
  Scenario counterexample;  // shrunk
  Violation violation;      // what running it gives, with `checked` enabled
  PropertySet checked;      // the properties the counterexample is judged with: its property alone
  int test = 0;             // which generated Scenario first showed it
  int shrink_steps = 0;     // smaller Scenarios accepted
  int shrink_runs = 0;      // Runner runs spent shrinking
};

struct CheckResult {
  EngineReport report;
  std::vector<CheckFinding> findings;
  int tests = 0;          // generated Scenarios run
  long long runs = 0;     // Runner runs in all, shrinking included
  long long calls = 0;    // calls checked in all
  // The first Scenario whose states left CheckOptions::invariant, and why.
  std::optional<Scenario> divergence_scenario;
  std::string divergence;
  // What the outcomes are judged from besides the findings, per Scenario
  // (not per run), so that shards add up to one run's.
  int undecided = 0;              // Scenarios the linearizability check left undecided
  int first_undecided_test = -1;  // the first of them, and why
  std::string first_undecided;
  int runs_ended = 0;             // Scenarios an oops or a deadlock ended
  PropertySet unjudged;           // properties left unjudged past such an end
  std::string cut;                // why the pass stopped short ("cut by the budget", "interrupted"), or ""
};

// Bad options (unknown variant, tests < 1) throw std::invalid_argument with a
// one-line message naming the option.
CheckResult check(const CheckOptions& o);
// The entry point for `luv verify`: one EngineReport, one outcome per property in o.properties.
EngineReport check_variant(const CheckOptions& o);

// The N shards' results (o without its shard, as one run's options) as that
// run's: tests, runs and calls summed; per property the finding of the
// lowest Scenario index, as one pass meets it first; outcomes judged as
// check() judges them. The runs and calls are the shards' work: shrinking a
// finding another shard beat counts too, so they may exceed one run's.
CheckResult merge_checks(const CheckOptions& o, const std::vector<CheckResult>& shards);

// The finding as a counterexample file's contents (what save_counterexample writes).
Counterexample finding_file(const CheckFinding& f);
// Writes the finding as a counterexample file (counterexamples/FORMAT.md:
// the Scenario, a one-line `description`, `found_by` "check", `checked`
// the finding's property alone, and the `expected` verdict of replaying it
// that way with the model, so `luv replay FILE` reproduces it) as
// DIR/<variant>-<mode>-<property>.json and returns the path;
// throws std::runtime_error naming the path when it cannot.
std::string save_counterexample(const std::string& dir, const CheckFinding& f);

// "3 calls, 2 threads, 1 fault, schedule 4"
std::string scenario_size(const Scenario& s);

}  // namespace luv
