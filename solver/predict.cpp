#include "solver/predict.h"

#include <algorithm>
#include <stdexcept>

#include "solver/heap.h"

namespace luv::solver {

namespace {

// One Z3 context per thread, kept for the thread's life and never
// destroyed: Z3 4.8's context teardown costs seconds after a large
// encoding (13 s after 4 calls on 8 IOMMUs, 8 domains and 16 devices, more
// than a hundred times the encoding itself), while a kept context serves
// the next prediction with its memory back to the same size (each term dies
// with the last expr naming it). The OS reclaims it at exit.
z3::context& thread_context() {
  thread_local z3::context* c = new z3::context;
  return *c;
}

// Simplifies every term in one call of Z3's rewriter, as the arguments of
// one application of a fresh function: the terms of a step share most of
// their subterms, and one call folds each shared subterm once (a call per
// term would fold it again for every term that contains it).
void fold(z3::context& c, const std::vector<z3::expr*>& terms) {
  z3::sort_vector sorts(c);
  z3::expr_vector args(c);
  for (const z3::expr* x : terms) sorts.push_back(x->get_sort()), args.push_back(*x);
  z3::expr folded = c.function("luv_step_terms", sorts, c.bool_sort())(args).simplify();
  for (size_t i = 0; i < terms.size(); ++i) *terms[i] = folded.arg(static_cast<unsigned>(i));
}

// A term that did not fold names a symbol the concrete run left free: a bug
// of the encoding or of this function, not a value to guess.
void require_values(const std::vector<z3::expr*>& terms) {
  for (const z3::expr* x : terms)
    if (!is_value(*x)) throw std::logic_error("predict: a step's term did not fold to a value: " + x->to_string());
}

}  // namespace

std::vector<z3::expr*> step_terms(StepResult& r) {
  std::vector<z3::expr*> terms{&r.ret, &r.other_oops, &r.exact};
  for (z3::expr& b : r.bad) terms.push_back(&b);
  for (z3::expr& v : r.visits_after) terms.push_back(&v);
  for (auto* part : {&r.post.file, &r.post.set, &r.post.deleted, &r.post.freed, &r.post.rc, &r.post.page,
                     &r.post.dev_dom, &r.post.hw_stale, &r.post.intent, &r.post.claim, &r.post.grown, &r.post.fill})
    for (z3::expr& x : *part) terms.push_back(&x);
  for (z3::expr* x : {&r.post.count, &r.post.flb, &r.post.warned, &r.post.stray}) terms.push_back(x);
  return terms;
}

std::pair<State, z3::model> initial_values(z3::context& c, const Layout& l) {
  z3::solver s(c);
  // Concrete values from the start (the solver's model of the initial
  // state), so that Z3's simplifier folds each step to constants.
  State init = State::fresh(c, l, "p0_");
  s.add(initial(l, init, OpsMode::fixed));
  if (s.check() != z3::sat) throw std::logic_error("predict: no initial state");
  z3::model m0 = s.get_model();
  State lit(c);
  auto val = [&](const std::vector<z3::expr>& xs) {
    std::vector<z3::expr> out;
    for (const z3::expr& x : xs) out.push_back(m0.eval(x, true));
    return out;
  };
  lit.file = val(init.file), lit.set = val(init.set), lit.rc = val(init.rc), lit.page = val(init.page);
  lit.deleted = val(init.deleted), lit.freed = val(init.freed), lit.hw_stale = val(init.hw_stale);
  lit.dev_dom = val(init.dev_dom), lit.intent = val(init.intent), lit.fill = val(init.fill);
  lit.claim = val(init.claim), lit.grown = val(init.grown);
  lit.stray = m0.eval(init.stray, true);
  lit.iommu_ops = val(init.iommu_ops), lit.domain_ops = val(init.domain_ops);
  lit.count = m0.eval(init.count, true), lit.flb = m0.eval(init.flb, true), lit.warned = m0.eval(init.warned, true);
  return {lit, m0};
}

namespace {

// Why the encoding cannot judge `sc` (it runs calls atomically, and encodes
// only the code it mirrors), or "".
std::string outside_scope(const Scenario& sc, const impl::variant_rules& rules) {
  if (std::string why = not_mirrored(rules); !why.empty()) return why;
  for (const auto& thread : sc.threads)
    for (const Call& c : thread)
      if (c.kind == CallKind::luo_session_release)
        // prove covers a teardown as its files' unpreserves, one call at a time.
        return "luo_session_release: the encoding makes a session's teardown as its files' unpreserves";
  if (sc.threads.size() > 1 && !sc.schedule.empty())
    return "an interleaving schedule: the encoding runs each call atomically";
  return "";
}

// What step k found: each property's first violation, the first violation.
void note_findings(Prediction& p, const StepResult& r, size_t k) {
  std::vector<PropertyId> here;
  for (int b = 0; b < CHECKED_COUNT; ++b)
    if (r.bad[b].is_true()) here.push_back(CHECKED[b]);
  if (r.other_oops.is_true()) here.push_back(PropertyId::no_use_after_free);
  for (PropertyId q : here)
    if (std::none_of(p.firsts.begin(), p.firsts.end(), [&](const auto& f) { return f.first == q; }))
      p.firsts.emplace_back(q, static_cast<int>(k));
  if (!here.empty() && p.violation_call < 0) {
    p.violation_call = static_cast<int>(k);
    p.violation = here.front();
    p.violated = here;
  }
}

// Each step runs on the previous step's post-state, folded to constants:
// the encoding evaluated on one concrete run (a concrete start and the
// planned faults leave no symbol free), so the values are read off the
// folded terms, with no solver call. Nothing of a step is kept past it:
// each call costs the same, however long the run.
void run_calls(Prediction& p, const Scenario& sc, const impl::variant_rules& rules) {
  z3::context& c = thread_context();
  Layout l(sc.topology);
  auto [lit, m0] = initial_values(c, l);
  State state = lit;
  FaultOracle oracle = planned_faults(c, sc.faults);
  std::array<z3::expr, impl::FAULT_SITE_COUNT> visits{c, c, c, c, c, c, c, c, c};
  for (auto& v : visits) v = c.int_val(0);
  for (size_t k = 0; k < p.calls.size(); ++k) {
    StepResult r = step(l, rules, state, p.calls[k], oracle, visits, true);
    std::vector<z3::expr*> terms = step_terms(r);
    fold(c, terms);
    require_values(terms);
    state = r.post;
    visits = r.visits_after;
    p.rets.push_back(r.ret.get_numeral_int());
    p.states.push_back(read_state(m0, l, state));
    note_findings(p, r, k);
    if (!r.exact.is_true()) {
      p.lost_call = static_cast<int>(k);
      break;
    }
  }
}

}  // namespace

Prediction predict(const Scenario& sc) {
  const impl::variant_rules* rules = impl::find_variant(sc.variant);
  if (rules == nullptr) throw std::invalid_argument("variant: " + impl::unknown_variant(sc.variant));
  return predict(sc, *rules);
}

Prediction predict(const Scenario& sc, const impl::variant_rules& rules) {
  Prediction p;
  std::string invalid = validate(sc);
  if (!invalid.empty()) throw std::invalid_argument(invalid);
  p.unsupported = outside_scope(sc, rules);
  if (!p.unsupported.empty()) return p;
  for (size_t t = 0; t < sc.threads.size(); ++t)
    for (size_t i = 0; i < sc.threads[t].size(); ++i) {
      p.calls.push_back(sc.threads[t][i]);
      p.origin.emplace_back(static_cast<int>(t), static_cast<int>(i));
    }
  run_calls(p, sc, rules);
  return p;
}

}  // namespace luv::solver
