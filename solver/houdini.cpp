#include "solver/houdini.h"

#include <set>
#include <string>

namespace luv::solver {

std::vector<int> Houdini::all_lemma_ids() {
  std::vector<int> ids;
  for (int i = 0; i < static_cast<int>(lemmas().size()); ++i) ids.push_back(i);
  return ids;
}

std::optional<Lemmas> Houdini::houdini(std::vector<int> ids) {
  std::vector<int> start = ids;
  start.push_back(over_exact ? -1 : -2);  // the transitions it is inductive over
  auto cached = cache_.find(start);
  if (cached != cache_.end()) return Lemmas{cached->second};
  z3::solver init(p.c);
  init.add(initial(p.l, p.s, p.o.ops));
  std::vector<int> kept;
  for (int id : ids) {
    init.push();
    init.add(!lemmas()[id].holds(p.l, p.r, p.s));
    if (p.check(init, "in Houdini (initial lemmas)") == z3::unsat) kept.push_back(id);  // unknown: dropped
    init.pop();
    if (p.is_cut()) return std::nullopt;
  }
  ids = kept;
  for (bool changed = true; changed;) {
    changed = false;
    Lemmas cur{ids};
    z3::solver s(p.c);
    s.add(cur.at(p.l, p.r, p.s));
    auto tq = clock_type::now();
    for (size_t ci = 0; ci < p.calls.size() && !changed; ++ci) {
      const StepResult& r = p.one().results[ci];
      s.push();
      s.add(over_exact ? r.exact : r.clean);
      s.add(!cur.at(p.l, p.r, r.post));
      z3::check_result res = p.check(s, "in Houdini");
      if (res == z3::unknown) return std::nullopt;  // not shown inductive
      if (res == z3::sat) {
        z3::model m = s.get_model();
        std::vector<int> next;
        for (int id : ids)
          if (m.eval(lemmas()[id].holds(p.l, p.r, r.post), true).is_true()) next.push_back(id);
        ids = next;
        changed = true;
      }
      s.pop();
    }
    p.log("houdini: %zu lemmas %s (%.2f s)\n", cur.ids.size(), changed ? "not inductive" : "inductive", since(tq));
  }
  cache_[start] = ids;
  return Lemmas{ids};
}

z3::check_result Houdini::step_violates(const Lemmas& lem, int k, z3::model* m, int* cti_call) {
  z3::solver s(p.c);
  s.add(lem.at(p.l, p.r, p.s));
  s.add(holds_in_state(p.l, p.r, p.s, k));  // the induction hypothesis: the property held before
  auto tq = clock_type::now();
  z3::check_result res = z3::unsat;
  for (size_t ci = 0; ci < p.calls.size() && res == z3::unsat; ++ci) {
    s.push();
    s.add(p.one().results[ci].bad[k]);
    res = p.check(s, "in the induction step");
    if (res == z3::sat) {
      if (m) *m = s.get_model();
      if (cti_call) *cti_call = static_cast<int>(ci);
    }
    s.pop();
  }
  p.log("step check: %s with %zu lemmas: %s (%.2f s)\n", property_name(CHECKED[k]), lem.ids.size(),
        res == z3::sat ? "sat" : res == z3::unsat ? "unsat" : "unknown", since(tq));
  return res;
}

std::optional<std::vector<int>> Houdini::core(const Lemmas& lem, const z3::expr& hypothesis,
                                              const std::function<z3::expr(const StepResult&)>& bad_at) {
  z3::solver s(p.c);
  z3::params minimal(p.c);
  minimal.set("core.minimize", true);
  s.set(minimal);
  z3::expr_vector assumed(p.c);
  std::map<unsigned, int> lemma_of;  // an assumption's AST id -> its lemma
  for (int id : lem.ids) {
    z3::expr a = p.c.bool_const(("lemma " + lemmas()[id].name).c_str());
    s.add(z3::implies(a, lemmas()[id].holds(p.l, p.r, p.s)));
    assumed.push_back(a);
    lemma_of[a.id()] = id;
  }
  s.add(hypothesis);
  std::set<int> used;
  for (const StepResult& r : p.one().results) {
    s.push();
    s.add(bad_at(r));
    if (p.check(s, "minimising a proof's lemmas", &assumed) != z3::unsat) return std::nullopt;
    for (const z3::expr& a : s.unsat_core()) used.insert(lemma_of.at(a.id()));
    s.pop();
  }
  return std::vector<int>(used.begin(), used.end());
}

std::optional<Lemmas> Houdini::leaned_on(const Lemmas& lem, int k) {
  auto tq = clock_type::now();
  std::optional<std::vector<int>> first =
      core(lem, holds_in_state(p.l, p.r, p.s, k), [k](const StepResult& r) { return r.bad[k]; });
  if (!first) return std::nullopt;
  std::set<int> closed(first->begin(), first->end());
  std::vector<int> todo = *first;
  while (!todo.empty()) {
    int id = todo.back();
    todo.pop_back();
    std::vector<int> key = lem.ids;
    key.push_back(over_exact ? -1 : -2);
    key.push_back(id);
    auto cached = lemma_cores_.find(key);
    if (cached == lemma_cores_.end()) {
      std::optional<std::vector<int>> c = core(lem, p.c.bool_val(true), [&](const StepResult& r) {
        return (over_exact ? r.exact : r.clean) && !lemmas()[id].holds(p.l, p.r, r.post);
      });
      if (!c) return std::nullopt;
      cached = lemma_cores_.emplace(key, *c).first;
    }
    for (int used : cached->second)
      if (closed.insert(used).second) todo.push_back(used);
  }
  p.log("leaned on: %s with %zu of %zu lemmas (%.2f s)\n", property_name(CHECKED[k]), closed.size(), lem.ids.size(),
        since(tq));
  std::vector<int> ids;
  for (int id : lem.ids)
    if (closed.count(id)) ids.push_back(id);  // in lem's order, as the minimisation drops them
  return Lemmas{ids};
}

}  // namespace luv::solver
