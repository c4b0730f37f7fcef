// The bounded search: every path of 1..depth calls from the initial state,
// one query per property and depth; a path that reaches a violation is
// confirmed by the Runner before it counts.
#include <string>
#include <vector>

#include "properties/runner.h"
#include "solver/describe.h"
#include "solver/prove_session.h"
#include "solver/snapshot.h"

namespace luv::solver {

namespace {

using z3::expr;

void confirm(ProofSession& p, PropertyDetail& d, const Scenario& sc, int depth) {
  RunOptions ro;
  ro.properties = only(d.property);
  CrossCheckObserver cross;
  if (p.o.cross_check) ro.observer = &cross;
  RunResult rr = run(sc, ro);
  for (const std::string& bug : cross.disagreements()) p.cross_bugs.push_back(bug);
  const auto& v = rr.verdict.violation;
  bool same = v && v->property == d.property && v->thread == 0 && v->call == depth - 1;
  if (same) {
    d.status = Status::violated;
    d.method = "bounded search";
    d.depth = depth;
    d.counterexample = sc;
    d.violation = *v;
  } else {
    // Never dropped: the encoding and the implementation disagree.
    d.status = Status::unknown;
    d.encoding_bug = "solver path of " + std::to_string(depth) + " call(s) not confirmed by the Runner (" +
                     (v ? std::string(property_name(v->property)) + " at call " + std::to_string(v->call)
                        : std::string("no violation")) +
                     "): an encoding bug";
    d.why = d.encoding_bug;
    d.counterexample = sc;
  }
}

z3::check_result goal_check(ProofSession& p, z3::solver& s, const expr& goal, int depth, const std::vector<State>& states,
                            const std::vector<SymStep>& steps, PropertyDetail& d, clock_type::time_point t0) {
  s.push();
  s.add(goal);
  std::string where = "in the bounded search at depth " + std::to_string(depth);
  z3::check_result res = p.check(s, where.c_str());
  p.log("bounded search: %s at depth %d: %s (%.2f s)\n", property_name(d.property), depth,
      res == z3::sat ? "sat" : res == z3::unsat ? "unsat" : "unknown", since(t0));
  if (res == z3::sat) {
    z3::model m = s.get_model();
    Scenario sc = path_scenario(m, p.l, p.o.variant, states[0], steps, depth, p.calls);
    confirm(p, d, sc, depth);
    d.seconds += since(t0);
  } else {
    d.seconds += since(t0);
    if (res == z3::unknown)
      d.why = p.is_cut() ? p.cut_why() : "bounded search: solver gave up at depth " + std::to_string(depth);
  }
  s.pop();
  return res;
}

// The shortest path whose last call the encoding cannot follow past (an
// oops, or a state it does not represent): every property not violated
// before it is judged only up to there.
void lost_check(ProofSession& p, z3::solver& s, int depth, const std::vector<State>& states, const std::vector<SymStep>& steps) {
  s.push();
  s.add(!steps.back().exact);
  std::string where = "in the bounded search at depth " + std::to_string(depth);
  if (p.check(s, where.c_str()) == z3::sat) {
    z3::model m = s.get_model();
    Scenario sc = path_scenario(m, p.l, p.o.variant, states[0], steps, depth, p.calls);
    const SymStep& last = steps.back();
    std::string what;
    for (int k = 0; k < CHECKED_COUNT; ++k)
      if (m.eval(last.bad[k], true).is_true()) what += std::string(what.empty() ? "" : ", ") + property_name(CHECKED[k]);
    int ci = m.eval(last.sel, true).get_numeral_int();
    if (m.eval(last.results[ci].other_oops, true).is_true())
      what += std::string(what.empty() ? "" : ", ") + "no-use-after-free";
    bool oops = m.eval(last.oops, true).is_true();
    std::string calls;
    for (const Call& c : sc.threads.front()) calls += std::string(calls.empty() ? "" : "; ") + describe_call(c);
    p.lost = "the encoded paths end at " + (what.empty() ? std::string("a state it does not represent") : what) +
            (oops ? " (an oops: the run ends there)" : " (a live record or page that no object holds)") +
            " after " + std::to_string(depth) + " call(s): " + calls +
            (sc.faults.empty() ? "" : " (with " + std::to_string(sc.faults.size()) + " fault(s))");
    p.log("bounded search: %s\n", p.lost->c_str());
  }
  s.pop();
}

}  // namespace

void bounded_search(ProofSession& p) {
  std::vector<State> states{State::fresh(p.c, p.l, "b0_")};
  std::vector<SymStep> steps;
  z3::solver s(p.c);
  s.add(initial(p.l, states[0], p.o.ops));
  for (int depth = 1; depth <= p.o.depth; ++depth) {
    if (p.past_deadline(("in the bounded search, before depth " + std::to_string(depth)).c_str())) return;
    auto t0 = clock_type::now();
    states.push_back(State::fresh(p.c, p.l, "b" + std::to_string(depth) + "_"));
    steps.push_back(make_step(p.c, p.l, p.r, p.calls, states[depth - 1], states[depth],
                              "b" + std::to_string(depth - 1) + "x_"));
    s.add(steps.back().trans);
    p.log("bounded search: depth %d built (%.2f s)\n", depth, since(t0));
    for (PropertyDetail& d : p.details) {
      if (d.status != Status::unknown || !d.encoding_bug.empty()) continue;
      int k = checked_index(d.property);
      expr goal = steps.back().bad[k];
      // No path reaches it at this depth: saying so is redundant, and it
      // narrows the deeper queries (for a variant that violates nothing,
      // back to the clean paths).
      if (goal_check(p, s, goal, depth, states, steps, d, t0) == z3::unsat) s.add(!goal);
      if (p.is_cut()) return;
    }
    if (!p.lost) lost_check(p, s, depth, states, steps);
    if (p.is_cut()) return;
    // Paths go on past other properties' violations, as far as the state
    // represents them (each property is judged on its own).
    s.add(steps.back().exact);
    p.searched_depth = depth;
  }
}

}  // namespace luv::solver
