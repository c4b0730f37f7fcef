#include "predict.h"

#include <algorithm>
#include <stdexcept>

namespace luv::solver {

Prediction predict(const Scenario& sc) {
  Prediction p;
  const impl::variant_rules* rules = impl::find_variant(sc.variant);
  if (rules == nullptr) throw std::invalid_argument("variant: unknown variant '" + sc.variant + "'");
  std::string invalid = validate(sc);
  if (!invalid.empty()) throw std::invalid_argument(invalid);
  for (const auto& thread : sc.threads)
    for (const Call& c : thread)
      if (c.kind == CallKind::luo_session_release) {
        // prove covers a teardown as its files' unpreserves, one call at a time.
        p.unsupported = "luo_session_release: the encoding makes a session's teardown as its files' unpreserves";
        return p;
      }
  if (sc.threads.size() > 1 && !sc.schedule.empty()) {
    p.unsupported = "an interleaving schedule: the encoding runs each call atomically";
    return p;
  }
  for (size_t t = 0; t < sc.threads.size(); ++t)
    for (size_t i = 0; i < sc.threads[t].size(); ++i) {
      p.calls.push_back(sc.threads[t][i]);
      p.origin.emplace_back(static_cast<int>(t), static_cast<int>(i));
    }

  z3::context c;
  Layout l(sc.topology);
  z3::solver s(c);
  // Concrete values from the start, so that Z3's simplifier folds each step
  // to constants and the solver only confirms them.
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
  lit.stray = m0.eval(init.stray, true);
  lit.iommu_ops = val(init.iommu_ops), lit.domain_ops = val(init.domain_ops);
  lit.count = m0.eval(init.count, true), lit.flb = m0.eval(init.flb, true), lit.warned = m0.eval(init.warned, true);
  std::vector<State> states{lit};
  FaultOracle oracle = planned_faults(c, sc.faults);
  std::array<z3::expr, impl::FAULT_SITE_COUNT> visits{c, c, c, c, c, c, c, c, c};
  for (auto& v : visits) v = c.int_val(0);
  std::vector<z3::expr> rets, other, exact;
  std::vector<std::array<z3::expr, CHECKED_COUNT>> bads;
  for (size_t k = 0; k < p.calls.size(); ++k) {
    std::string n = "p" + std::to_string(k + 1) + "_";
    StepResult r = step(l, *rules, states[k], p.calls[k], oracle, visits);
    State post = r.post;
    for (auto* part : {&post.file, &post.set, &post.deleted, &post.freed, &post.rc, &post.page, &post.dev_dom,
                       &post.hw_stale, &post.intent, &post.fill})
      for (z3::expr& x : *part) x = x.simplify();
    post.count = post.count.simplify(), post.flb = post.flb.simplify(), post.warned = post.warned.simplify();
    post.stray = post.stray.simplify();
    states.push_back(State::fresh(c, l, n));
    s.add(state_equal(states.back(), post));
    states.back() = post;
    // Name the results so that each step's formula stays small.
    z3::expr ret = c.int_const((n + "ret").c_str());
    s.add(ret == r.ret.simplify());
    rets.push_back(ret);
    std::array<z3::expr, CHECKED_COUNT> bad{c, c, c, c, c, c};
    for (int b = 0; b < CHECKED_COUNT; ++b) {
      bad[b] = c.bool_const((n + "bad" + std::to_string(b)).c_str());
      s.add(bad[b] == r.bad[b].simplify());
    }
    bads.push_back(bad);
    z3::expr uaf = c.bool_const((n + "uaf").c_str());
    s.add(uaf == r.other_oops.simplify());
    other.push_back(uaf);
    z3::expr ex = c.bool_const((n + "exact").c_str());
    s.add(ex == r.exact.simplify());
    exact.push_back(ex);
    for (int v = 0; v < impl::FAULT_SITE_COUNT; ++v) {
      z3::expr cnt = c.int_const((n + "visits" + std::to_string(v)).c_str());
      s.add(cnt == r.visits_after[v].simplify());
      visits[v] = r.visits_after[v].simplify();
    }
  }
  if (s.check() != z3::sat) throw std::logic_error("predict: the encoding has no run for this Scenario");
  z3::model m = s.get_model();
  for (size_t k = 0; k < p.calls.size(); ++k) {
    p.rets.push_back(m.eval(rets[k], true).get_numeral_int());
    p.states.push_back(read_state(m, l, states[k + 1]));
    std::vector<PropertyId> here;
    for (int b = 0; b < CHECKED_COUNT; ++b)
      if (m.eval(bads[k][b], true).is_true()) here.push_back(CHECKED[b]);
    if (m.eval(other[k], true).is_true()) here.push_back(PropertyId::no_use_after_free);
    for (PropertyId q : here)
      if (std::none_of(p.firsts.begin(), p.firsts.end(), [&](const auto& f) { return f.first == q; }))
        p.firsts.emplace_back(q, static_cast<int>(k));
    if (!here.empty() && p.violation_call < 0) {
      p.violation_call = static_cast<int>(k);
      p.violation = here.front();
      p.violated = here;
    }
    if (!m.eval(exact[k], true).is_true()) {
      p.lost_call = static_cast<int>(k);
      break;
    }
  }
  return p;
}

}  // namespace luv::solver
