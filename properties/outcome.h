// What an engine says about one property of one variant. Every engine
// (check, explore, prove) reports in these terms, so `luv verify` can put
// them in one matrix and replay can judge any of their counterexamples.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "impl/scenario.h"
#include "properties/property.h"
#include "properties/runner.h"

namespace luv {

enum class Status : unsigned char {
  holds,        // no violation found within the engine's bound (random or exhaustive)
  proved,       // holds for every reachable state, no bound (solver)
  violated,     // a counterexample, confirmed by the Runner
  unknown,      // the engine ran out of budget or cannot decide; `how` says why
  not_checked,  // the engine does not check this property
};
const char* status_name(Status s);

struct PropertyOutcome {
  PropertyId property = PropertyId::no_leak;
  Status status = Status::not_checked;
  std::string how;                       // "10000 scenarios", "exhaustive, 81234 states", "k-induction k=2"
  std::optional<Scenario> counterexample;  // with `violated`: replays to `violation`
  std::optional<Violation> violation;
};

struct EngineReport {
  std::string engine;   // "check", "explore", "prove"
  std::string variant;
  std::string mode;     // "contract", "adversarial", or "" when the engine covers both / neither
  std::vector<PropertyOutcome> outcomes;  // one per property the engine looked at
  double seconds = 0;
};

}  // namespace luv
