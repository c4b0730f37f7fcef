// `luv prove`: bounded search for counterexamples, then unbounded proofs, for
// the six call-level properties of one variant on one topology.
//
// Each property is judged on its own. Bounded search unrolls the transition
// system (solver/encoding.h) from the initial state to depth 1..K and asks
// for a path whose last call violates the property while every earlier call
// left a state the encoding represents (StepResult::exact), whatever other
// property it broke. Each path becomes a sequential Scenario that the Runner
// runs on the implementation with that property checked; a path the Runner
// does not confirm is reported as an encoding bug. The shortest path that
// the encoding cannot follow past (an oops; a live record no object holds)
// is searched for too: when one exists, a property without a counterexample
// is `unknown`, not judged past it.
//
// Otherwise a property is proved by induction: first plainly (k=1, whose
// counterexample to induction is reported with its reachability), then
// strengthened by the largest inductive subset of the candidate lemmas
// (Houdini), minimised to the lemmas the proof needs; optionally by Spacer
// (constrained Horn clauses through z3::fixedpoint) as well. When no
// property is violated and the six together with the lemmas are inductive
// over clean steps, every reachable state is clean and the proofs stand.
// Otherwise the lemmas are inductive over every followed step, and the
// proofs stand only if no state within their invariant has a call the
// encoding does not follow.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "impl/scenario.h"
#include "properties/outcome.h"
#include "solver/encoding.h"

namespace luv::solver {

struct ProveOptions {
  std::string variant = "reference";
  Topology topology = default_topology();
  OpsMode ops = OpsMode::spec;  // which driver op sets are symbolic
  CallerMode mode = CallerMode::adversarial;  // adversarial calls include the contract ones
  int depth = 5;                // bounded search: paths of 1..depth calls
  bool minimise = true;         // shrink each proof's strengthening to what it needs
  // Describe each plain induction's counterexample and search whether it is
  // reachable (PropertyDetail::cti): about 0.75 s each on the reference.
  // `luv verify` reports no CTI, so it leaves this off.
  bool describe_ctis = true;
  bool spacer = false;          // also prove with Spacer (CHC)
  int spacer_timeout_ms = 60000;
  bool verbose = false;         // progress lines on stderr
  bool cross_check = false;     // confirmations also run the Z3 snapshot checks beside the C++ ones
  PropertySet properties = PropertySet().set();  // subset of the six to look at
  // A hard limit (luv verify's budget): no solver call starts past it, each
  // one gets the time left as Z3's timeout, and what is left undecided is
  // `unknown`, "cut by the budget". Violations found before it stand.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Z3 4.8.12 takes seconds to delete a large context (about a third of the
  // time spent proving); a caller that exits soon after (luv verify) keeps it
  // until the process exits, which does not delete it.
  bool keep_context = false;
};

struct PropertyDetail {
  PropertyId property = PropertyId::no_leak;
  Status status = Status::unknown;
  double seconds = 0;
  std::string method;               // "k-induction k=1 (no strengthening)", "bounded search", ...
  std::vector<std::string> lemmas;  // the strengthening the proof needed
  int depth = 0;                    // violated: the counterexample's length in calls
  std::string why;                  // unknown: why
  std::string cti;                  // the plain induction's counterexample to induction, when it had one
  std::string spacer;               // Spacer's verdict and time, when run
  std::optional<Scenario> counterexample;
  std::optional<Violation> violation;
  std::string encoding_bug;         // a solver path the Runner did not confirm
};

// What the proofs rest on: every state the encoding reaches satisfies these
// lemmas and these properties' state predicates, and the encoding follows
// every call from it (empty when nothing was proved). See invariant.h.
struct ProofInvariant {
  std::vector<std::string> lemmas;
  std::vector<PropertyId> properties;
};

struct ProveResult {
  EngineReport report;
  ProofInvariant invariant;
  std::vector<PropertyDetail> details;  // one per property looked at, CHECKED order
  std::vector<std::string> inductive_lemmas;  // the Houdini fixpoint for this variant
  std::vector<std::string> cross_check_disagreements;  // with cross_check: each is a bug in one of the checks
};

// Throws std::invalid_argument (one line naming the field) on bad options.
ProveResult prove(const ProveOptions& options);
// The entry point for `luv verify`.
EngineReport prove_variant(const ProveOptions& options);

}  // namespace luv::solver
