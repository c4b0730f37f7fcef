// What one `luv prove` attempt shares between its stages (prove.cpp): the
// Z3 context and the symbolic states, the per-property details being
// settled, and the deadline. The stages are the bounded search
// (prove_bounded.cpp), induction with Houdini's lemmas
// (prove_induction.cpp) and Spacer (prove_spacer.cpp). Internal to solver/.
#pragma once
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "properties/stop.h"
#include "solver/encoding.h"
#include "solver/prove.h"

namespace luv::solver {

using clock_type = std::chrono::steady_clock;
double since(clock_type::time_point t0);

// One symbolic transition: any call of the mode, every fault a free choice.
struct SymStep {
  z3::expr sel;
  std::vector<StepResult> results;  // per call
  z3::expr trans;                   // post equals the selected call's result
  std::array<z3::expr, CHECKED_COUNT> bad;
  z3::expr exact;  // the path may go on (StepResult::exact)
  z3::expr clean;
  z3::expr oops;
  explicit SymStep(z3::context& c) : sel(c), trans(c), bad{c, c, c, c, c, c}, exact(c), clean(c), oops(c) {}
};

SymStep make_step(z3::context& c, const Layout& l, const impl::variant_rules& rules, const std::vector<Call>& calls,
                  const State& pre, const State& post, const std::string& prefix);

// The path of a model as a sequential Scenario.
Scenario path_scenario(const z3::model& m, const Layout& l, const std::string& variant, const State& s0,
                       const std::vector<SymStep>& steps, int depth, const std::vector<Call>& calls);

// A set of lemmas (indices into lemmas()).
struct Lemmas {
  std::vector<int> ids;
  z3::expr at(const Layout& l, const impl::variant_rules& r, const State& s) const;
  std::vector<std::string> names() const;
};

struct ProofSession {
  ProofSession(const ProveOptions& options, const impl::variant_rules& rules);

  // Every solver call goes through here: none starts past the deadline, and
  // each gets the time left as Z3's timeout (at most 10 minutes), so an
  // answer the deadline cuts short is z3::unknown and sets the cut. A stop
  // request interrupts a running one (stop_hook_) the same way. With
  // `assumptions`, an unsat answer leaves its core in s.unsat_core().
  z3::check_result check(z3::solver& s, const char* where, const z3::expr_vector* assumptions = nullptr);
  // One symbolic step from s to t, built on first use: a run the budget
  // ends in the bounded search never pays for it.
  const SymStep& one();
  long long ms_left() const;
  bool past_deadline(const char* where);
  void cut(const char* where);
  bool is_cut() const { return cut_; }
  // Why a property the cut left undecided is unknown.
  std::string cut_why() const;
  void log(const char* format, ...) const __attribute__((format(printf, 2, 3)));

  const ProveOptions& o;
  const impl::variant_rules& r;
  Layout l;
  std::vector<Call> calls;
  z3::context c;
  State s, t;
  std::vector<PropertyDetail> details;  // one per property looked at, CHECKED order
  std::optional<std::string> lost;      // the shortest path the encoding cannot follow past, described
  int searched_depth = 0;               // bounded search: depths searched for every property
  std::vector<std::string> cross_bugs;

 private:
  std::optional<SymStep> one_;
  bool cut_ = false;  // the deadline passed: no more solver calls
  std::string cut_where_;
  const char* cut_reason_ = "";  // "cut by the budget" or "interrupted"
  // Interrupts the running query on a stop request; declared after c, so
  // that it is gone before the context is.
  StopHook stop_hook_{[this] { c.interrupt(); }};
};

// The stages, in the order prove() runs them.
void bounded_search(ProofSession& p);

struct InductionResult {
  std::optional<Lemmas> houdini;  // the Houdini fixpoint; empty when Houdini was cut or not run
  bool all_clean = false;         // the six and the lemmas are inductive together
};
InductionResult induction(ProofSession& p);

// Spacer's verdict on a proved property, into d.spacer.
void spacer(ProofSession& p, PropertyDetail& d);

}  // namespace luv::solver
