// Spacer: reachability of a violation as a constrained Horn clause system
// (Reach(S) over one symbolic step), a second opinion on a proved property.
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "solver/prove_session.h"

namespace luv::solver {

namespace {

using z3::expr;

void collect_consts(const expr& e, std::set<unsigned>& seen, std::vector<expr>& out) {
  if (!seen.insert(e.id()).second) return;
  if (e.is_const() && e.decl().decl_kind() == Z3_OP_UNINTERPRETED && e.decl().name().str() != "Err") {
    out.push_back(e);
    return;
  }
  if (e.is_app())
    for (unsigned i = 0; i < e.num_args(); ++i) collect_consts(e.arg(i), seen, out);
}

// The formula with its free constants bound by a forall, as a Horn rule.
expr close(z3::context& c, const expr& body) {
  std::set<unsigned> seen;
  std::vector<expr> consts;
  collect_consts(body, seen, consts);
  z3::expr_vector vars(c);
  for (const expr& x : consts) vars.push_back(x);
  return vars.empty() ? body : z3::forall(vars, body);
}

// Reach holds initially and is closed under the followed steps; Err when a
// step from a reached state violates property k.
void add_rules(ProofSession& p, z3::fixedpoint& fp, int k, z3::func_decl& err) {
  z3::sort_vector sorts(p.c);
  z3::expr_vector sv(p.c), tv(p.c);
  for (const expr& v : p.s.vars()) {
    sorts.push_back(v.get_sort());
    sv.push_back(v);
  }
  for (const expr& v : p.t.vars()) tv.push_back(v);
  z3::func_decl reach = p.c.function("Reach", sorts, p.c.bool_sort());
  fp.register_relation(reach);
  fp.register_relation(err);
  expr init_rule = close(p.c, z3::implies(initial(p.l, p.s, p.o.ops), reach(sv)));
  expr step_rule = close(p.c, z3::implies(reach(sv) && p.one().trans && p.one().exact, reach(tv)));
  expr bad_rule = close(p.c, z3::implies(reach(sv) && p.one().trans && p.one().bad[k], err()));
  fp.add_rule(init_rule, p.c.str_symbol("init"));
  fp.add_rule(step_rule, p.c.str_symbol("step"));
  fp.add_rule(bad_rule, p.c.str_symbol("bad"));
}

}  // namespace

void spacer(ProofSession& p, PropertyDetail& d) {
  auto t0 = clock_type::now();
  if (p.ms_left() <= 0) {
    d.spacer = std::string("spacer: not run (") + stop_reason() + ")";
    return;
  }
  z3::fixedpoint fp(p.c);
  z3::params params(p.c);
  params.set("engine", "spacer");
  params.set("timeout", static_cast<unsigned>(std::min<long long>(p.o.spacer_timeout_ms, p.ms_left())));
  fp.set(params);
  z3::func_decl err = p.c.function("Err", 0, nullptr, p.c.bool_sort());
  add_rules(p, fp, checked_index(d.property), err);
  z3::check_result res = z3::unknown;
  try {
    expr query = err();
    res = fp.query(query);
  } catch (const z3::exception& e) {
    // Z3 4.8.12 reports a spent budget as an exception ("canceled").
    std::string msg = e.msg();
    d.spacer = stop_requested()   ? "spacer: interrupted"
               : msg == "canceled" ? "spacer: unknown (budget of " + std::to_string(p.o.spacer_timeout_ms) + " ms spent)"
                                   : "spacer: error " + msg;
    return;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, " (%.2f s)", since(t0));
  d.spacer = std::string("spacer: ") +
             (res == z3::unsat ? "proved" : res == z3::sat ? "counterexample (disagrees with induction)" : "unknown") +
             buf;
}

}  // namespace luv::solver
