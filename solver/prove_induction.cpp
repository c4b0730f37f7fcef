// Induction: each property's plain 1-induction, then strengthened with the
// largest inductive set of lemmas (Houdini), each proof's lemmas minimised,
// each counterexample to induction described with its reachability, and the
// gate that proofs over the followed paths need.
#include <optional>
#include <string>
#include <vector>

#include "properties/stop.h"
#include "solver/describe.h"
#include "solver/houdini.h"
#include "solver/prove_session.h"

namespace luv::solver {

namespace {

using z3::expr;

std::string describe_cti(ProofSession& p, const z3::model& m, int ci) {
  std::string out = "counterexample to induction (the property, holding before the call, alone is not inductive):\n  before: " +
                    describe_state(m, p.l, p.s) + "\n  call:   " + describe_call(p.calls[ci]) + " returning " +
                    std::to_string(m.eval(p.one().results[ci].ret, true).get_numeral_int()) + "\n  after:  " +
                    describe_state(m, p.l, p.one().results[ci].post) + "\n";
  return out;
}

// Whether the CTI's state before is reachable, by bounded search from the initial state.
std::string reachability(ProofSession& p, const z3::model& cti) {
  std::vector<expr> target;
  for (const expr& v : p.s.vars()) target.push_back(cti.eval(v, true));
  std::vector<State> states{State::fresh(p.c, p.l, "r0_")};
  z3::solver s(p.c);
  s.add(initial(p.l, states[0], p.o.ops));
  for (int depth = 0; depth <= p.o.depth; ++depth) {
    if (p.past_deadline("checking a CTI's reachability")) return "  its reachability was not checked (cut by the budget)\n";
    if (depth > 0) {
      states.push_back(State::fresh(p.c, p.l, "r" + std::to_string(depth) + "_"));
      SymStep st = make_step(p.c, p.l, p.r, p.calls, states[depth - 1], states[depth], "r" + std::to_string(depth) + "x_");
      s.add(st.trans);
      s.add(st.exact);
    }
    s.push();
    std::vector<expr> vars = states[depth].vars();
    for (size_t i = 0; i < vars.size(); ++i) s.add(vars[i] == target[i]);
    z3::check_result res = p.check(s, "checking a CTI's reachability");
    s.pop();
    if (res == z3::sat)
      return "  that state is reachable in " + std::to_string(depth) + " call(s)\n";
  }
  return "  that state is unreachable within " + std::to_string(p.o.depth) + " call(s) of the initial state\n";
}


class Induction {
 public:
  explicit Induction(ProofSession& session) : p(session), houdini_(session) {}

  // A cancel while building terms (outside a check()) ends it like a cut.
  InductionResult run() {
    try {
      induction_all();
    } catch (const z3::exception&) {
      if (!stop_requested() && p.ms_left() > 0) throw;
      p.cut("while building the encoding");
      unsettle_proofs();
    }
    return InductionResult{houdini_set_, all_clean_};
  }

 private:
  // A plain induction's counterexample (CTI), described once the proofs are done.
  struct Cti {
    size_t detail;
    z3::model model;
    int call;
  };

  // The proofs first: every property alone (plain induction), then those
  // it does not prove with the whole Houdini fixpoint; then, while time is
  // left, the lemmas each proof needs and whether each CTI is reachable. A
  // budget cuts these extras before any verdict.
  void induction_all() {
    if (p.lost) {
      // Past that step the encoding does not follow the path: no proof can
      // speak for what lies beyond it.
      for (PropertyDetail& d : p.details)
        if (d.status == Status::unknown && d.encoding_bug.empty())
          d.why = "no counterexample within " + std::to_string(p.searched_depth) + " call(s), but " + *p.lost +
                  "; not judged past it";
      return;
    }
    bool violated = false;
    for (const PropertyDetail& d : p.details) violated = violated || d.status == Status::violated;
    // Where every property holds together with the clean lemmas, every
    // reachable state is clean, and the proofs over clean steps stand.
    all_clean_ = !violated && conjunction_inductive();
    if (p.is_cut()) return;
    houdini_.over_exact = !all_clean_;
    proofs();
    if (!all_clean_) gate_on_followed_paths();
  }

  // Every property's own proof (plain, then strengthened), the lemmas each
  // needs, each CTI described with its reachability (unless not asked), and
  // Spacer.
  void proofs() {
    std::vector<Cti> ctis;
    for (size_t i = 0; i < p.details.size(); ++i)
      if (p.details[i].status == Status::unknown) plain_induction(i, ctis);
    if (!ctis.empty() && !p.is_cut() && !houdini_set_) {
      auto th = clock_type::now();
      houdini_set_ = houdini_.houdini(Houdini::all_lemma_ids());
      houdini_seconds_ = since(th);
    }
    for (const Cti& c : ctis) strengthened_induction(p.details[c.detail]);
    if (p.o.minimise)
      for (PropertyDetail& d : p.details)
        if (d.status == Status::proved && !d.lemmas.empty()) minimise(d);
    for (const Cti& c : ctis) {
      if (!p.o.describe_ctis) break;
      auto t0 = clock_type::now();
      PropertyDetail& d = p.details[c.detail];
      d.cti = describe_cti(p, c.model, c.call) + reachability(p, c.model);
      d.seconds += since(t0);
    }
    if (all_clean_)
      for (PropertyDetail& d : p.details)
        if (d.status == Status::unknown && d.encoding_bug.empty() && !p.is_cut()) {
          d.status = Status::proved;
          d.method = "k-induction k=1 on all six properties together, strengthened";
          d.lemmas = houdini_set_->names();
          d.why.clear();
        }
    if (p.o.spacer)
      for (PropertyDetail& d : p.details)
        if (d.status == Status::proved) spacer(p, d);
  }

  // The six properties and the Houdini lemmas over clean steps, together:
  // from any state where they hold, every call is clean (no violation, an
  // exact projection). Then no reachable state is dirty, and a path never
  // needs to go past a violation.
  bool conjunction_inductive() {
    auto t0 = clock_type::now();
    houdini_.over_exact = false;
    houdini_set_ = houdini_.houdini(Houdini::all_lemma_ids());
    houdini_seconds_ = since(t0);
    if (!houdini_set_) return false;
    z3::solver s(p.c);
    s.add(houdini_set_->at(p.l, p.r, p.s));
    for (int k = 0; k < CHECKED_COUNT; ++k) s.add(holds_in_state(p.l, p.r, p.s, k));
    bool ok = true;
    for (size_t ci = 0; ci < p.calls.size() && ok; ++ci) {
      s.push();
      s.add(!p.one().results[ci].clean);
      ok = p.check(s, "proving every reachable state clean") == z3::unsat;
      s.pop();
    }
    p.log("conjunction of the six with %zu lemmas: %s (%.2f s)\n", houdini_set_->ids.size(),
        ok ? "inductive: every reachable state is clean" : "not shown inductive", since(t0));
    if (!ok) {
      houdini_set_.reset();  // the proofs below use the lemmas over exact steps
      houdini_seconds_ = 0;
    }
    return ok;
  }

  // The proofs above hold on the paths the encoding follows. They stand if
  // from every state those paths reach (the lemmas and the proved
  // properties hold there) every call is followed.
  void gate_on_followed_paths() {
    std::vector<PropertyDetail*> proved;
    for (PropertyDetail& d : p.details)
      if (d.status == Status::proved) proved.push_back(&d);
    if (proved.empty()) return;
    if (p.is_cut()) {
      unsettle_proofs();
      return;
    }
    if (!houdini_set_) houdini_set_ = houdini_.houdini(Houdini::all_lemma_ids());
    z3::solver s(p.c);
    if (houdini_set_) s.add(houdini_set_->at(p.l, p.r, p.s));
    for (PropertyDetail* d : proved) s.add(holds_in_state(p.l, p.r, p.s, checked_index(d->property)));
    std::string why;
    for (size_t ci = 0; ci < p.calls.size() && why.empty(); ++ci) {
      s.push();
      s.add(!p.one().results[ci].exact);
      z3::check_result res = p.check(s, "checking that the proofs' paths are all followed");
      if (res != z3::unsat)
        why = res == z3::unknown && p.is_cut()
                  ? p.cut_why()
                  : "proved on the paths the encoding follows, but it could not show that those are all: from a "
                    "state within the proof's invariant, " +
                        describe_call(p.calls[ci]) +
                        " may end in a state it does not represent (an oops or a record no object holds); not "
                        "judged past it";
      s.pop();
    }
    if (why.empty()) return;
    for (PropertyDetail* d : proved) {
      d->status = Status::unknown;
      d->why = why;
    }
  }

  // A cut before gate_on_followed_paths() decided: proofs over the steps the
  // encoding follows stand only once it has, so they are unknown. (Proofs
  // over clean steps, when all_clean_, need no gate.)
  void unsettle_proofs() {
    if (all_clean_) return;
    for (PropertyDetail& d : p.details)
      if (d.status == Status::proved) {
        d.status = Status::unknown;
        d.why = p.cut_why() + " (before it was shown that the proof's paths are all the encoding's)";
      }
  }

  void plain_induction(size_t i, std::vector<Cti>& ctis) {
    PropertyDetail& d = p.details[i];
    if (!d.encoding_bug.empty()) return;  // no proof on a wrong encoding
    auto t0 = clock_type::now();
    int k = checked_index(d.property);
    // Plain 1-induction: the property alone, from any state.
    z3::model m(p.c);
    int cti_call = 0;
    z3::check_result plain = houdini_.step_violates(Lemmas{}, k, &m, &cti_call);
    if (plain == z3::unsat) {
      d.status = Status::proved;
      d.method = "k-induction k=1 (no strengthening)";
      d.seconds += since(t0);
      return;
    }
    if (plain == z3::unknown) {
      d.why = p.is_cut() ? p.cut_why() : "the solver gave up on the induction step";
      d.seconds += since(t0);
      return;
    }
    ctis.push_back(Cti{i, m, cti_call});
    d.seconds += since(t0);
  }

  void strengthened_induction(PropertyDetail& d) {
    auto t0 = clock_type::now();
    int k = checked_index(d.property);
    z3::check_result strengthened = houdini_set_ ? houdini_.step_violates(*houdini_set_, k) : z3::unknown;
    if (strengthened != z3::unsat) {
      d.why = p.is_cut() ? p.cut_why()
                   : strengthened == z3::sat || houdini_set_
                         ? "no counterexample within " + std::to_string(p.o.depth) +
                               " call(s), and the inductive lemmas do not prove it"
                         : "the solver gave up on Houdini";
      d.seconds += since(t0) + houdini_seconds_;
      return;
    }
    d.status = Status::proved;
    d.method = "k-induction k=1, strengthened";
    d.lemmas = houdini_set_->names();
    d.seconds += since(t0) + houdini_seconds_;
  }

  // The lemmas a strengthened proof needs: first those it leans on (unsat
  // cores), then one dropped at a time, kept out when the rest's own
  // (complete) fixpoint still proves the property. A cut leaves the proof
  // standing with the lemmas not yet dropped. Each set taken is checked as
  // the loop checks it (Houdini's fixpoint, then the step), so the cores
  // only choose where the loop starts: 11 lemmas take it 20 s on the
  // reference, the few a proof leans on a second or two.
  void minimise(PropertyDetail& d) {
    auto t0 = clock_type::now();
    int k = checked_index(d.property);
    Lemmas needed = *houdini_set_;
    if (std::optional<Lemmas> leaned = houdini_.leaned_on(needed, k)) {
      std::optional<Lemmas> h = houdini_.houdini(leaned->ids);
      if (h && houdini_.step_violates(*h, k) == z3::unsat) needed = *h;
    }
    for (int id : houdini_set_->ids) {
      if (p.is_cut()) break;
      std::vector<int> fewer;
      for (int x : needed.ids)
        if (x != id) fewer.push_back(x);
      if (fewer.size() == needed.ids.size()) continue;
      std::optional<Lemmas> h = houdini_.houdini(fewer);
      if (!h) break;
      if (houdini_.step_violates(*h, k) == z3::unsat) needed = *h;
    }
    d.lemmas = needed.names();
    if (p.is_cut()) d.method += " (the budget ran out before the lemmas were minimised)";
    d.seconds += since(t0);
  }

  ProofSession& p;
  std::optional<Lemmas> houdini_set_;  // empty: Houdini was cut
  bool all_clean_ = false;             // the six and the lemmas are inductive together
  double houdini_seconds_ = 0;
  Houdini houdini_;
};

}  // namespace

InductionResult induction(ProofSession& p) { return Induction(p).run(); }

}  // namespace luv::solver
