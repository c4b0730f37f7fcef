// Pictures of a Scenario's run, for `luv graph` and `luv trace`: the object
// graph at a step, and the run as swim lanes (one lane per thread).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "counterexamples/replay.h"
#include "impl/scenario.h"
#include "properties/runner.h"

namespace luv {

// ---- object graph -------------------------------------------------------------

// The object graph after step `step` (-1: the last step of the threads, before
// kexec) in Graphviz dot. Properties are not checked on this run, so it goes
// on past the first violation. Beyond the graph's own marks, "leaked" also
// uses what the callers believe: a record or driver page still held for an
// object the callers have unpreserved (or anything left once they have
// unpreserved everything) is leaked. Throws std::invalid_argument when the
// step is past the run's end.
std::string graph_dot_at(const Scenario& s, int step);

// ---- swim lanes ---------------------------------------------------------------

struct LaneEvent {
  enum Kind { call, ret, point, warn, bug, fault, log } kind = log;
  std::string text;
};

struct LaneStep {
  int step = 0;
  int thread = -1;  // -1: after the threads (kexec, the next kernel)
  std::vector<LaneEvent> events;
  std::vector<std::string> locks_held;  // by the thread that ran, after the step
};

struct Lanes {
  std::string title;
  int threads = 0;
  std::vector<LaneStep> steps;
  std::optional<Violation> violation;
  std::vector<std::vector<std::pair<int, int>>> holds;  // per thread: [from, to] step ranges holding any lock
};

// Runs the Scenario with `properties` (trace on) and lays out its steps,
// marking the Runner's verdict on those properties.
Lanes lanes_of(const Scenario& s, const PropertySet& properties, const std::string& title);

std::string lanes_svg(const Lanes& l);
std::string lanes_txt(const Lanes& l);

}  // namespace luv
