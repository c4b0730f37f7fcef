#include "solver/prove_session.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace luv::solver {

using z3::expr;

double since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

namespace {

std::array<expr, impl::FAULT_SITE_COUNT> zero_visits(z3::context& c) {
  return {c.int_val(0), c.int_val(0), c.int_val(0), c.int_val(0), c.int_val(0),
          c.int_val(0), c.int_val(0), c.int_val(0), c.int_val(0)};
}

}  // namespace

SymStep make_step(z3::context& c, const Layout& l, const impl::variant_rules& rules, const std::vector<Call>& calls,
                  const State& pre, const State& post, const std::string& prefix) {
  SymStep st(c);
  st.sel = c.int_const((prefix + "sel").c_str());
  FaultOracle oracle = free_faults(c, prefix);
  expr trans = st.sel >= 0 && st.sel < static_cast<int>(calls.size());
  for (int k = 0; k < CHECKED_COUNT; ++k) st.bad[k] = c.bool_val(false);
  st.clean = c.bool_val(false);
  st.exact = c.bool_val(false);
  st.oops = c.bool_val(false);
  std::vector<expr> post_vars = post.mutable_vars();
  std::vector<expr> chosen_post = post_vars;  // placeholder values, replaced below
  std::vector<std::vector<expr>> per_call;
  for (size_t ci = 0; ci < calls.size(); ++ci) {
    StepResult r = step(l, rules, pre, calls[ci], oracle, zero_visits(c));
    // Folding the constants of the topology and the call keeps each query small.
    r.ret = r.ret.simplify();
    for (auto& b : r.bad) b = b.simplify();
    r.clean = r.clean.simplify();
    r.exact = r.exact.simplify();
    std::vector<expr> got = r.post.mutable_vars();
    for (expr& x : got) x = x.simplify();
    per_call.push_back(got);
    expr chosen = st.sel == static_cast<int>(ci);
    for (int k = 0; k < CHECKED_COUNT; ++k) st.bad[k] = st.bad[k] || (chosen && r.bad[k]);
    st.clean = st.clean || (chosen && r.clean);
    st.exact = st.exact || (chosen && r.exact);
    st.oops = st.oops || (chosen && (r.bad[0] || r.other_oops));
    st.results.push_back(std::move(r));
  }
  // post = the selected call's result, one ite chain per variable, so that
  // Z3 can substitute it away.
  for (size_t k = 0; k < post_vars.size(); ++k) {
    expr v = per_call.back()[k];
    for (int ci = static_cast<int>(calls.size()) - 2; ci >= 0; --ci) v = z3::ite(st.sel == ci, per_call[ci][k], v);
    trans = trans && post_vars[k] == v;
  }
  // The driver ops never change.
  for (size_t k = 0; k < pre.iommu_ops.size(); ++k) trans = trans && post.iommu_ops[k] == pre.iommu_ops[k];
  for (size_t k = 0; k < pre.domain_ops.size(); ++k) trans = trans && post.domain_ops[k] == pre.domain_ops[k];
  st.trans = trans;
  return st;
}

// The path of a model as a sequential Scenario.
Scenario path_scenario(const z3::model& m, const Layout& l, const std::string& variant, const State& s0,
                       const std::vector<SymStep>& steps, int depth, const std::vector<Call>& calls) {
  Scenario s;
  s.variant = variant;
  s.topology = l.topo;
  s.kexec = false;  // call-level properties; kexec and restore are not encoded
  for (int i = 0; i < l.I; ++i) {
    impl::u8 ops = 0;
    for (int bit = 0; bit < 4; ++bit)
      if (m.eval(s0.iop(i, bit), true).is_true()) ops |= static_cast<impl::u8>(1 << bit);
    s.topology.iommus[i].ops = ops;
  }
  for (int d = 0; d < l.D; ++d) {
    impl::u8 ops = 0;
    for (int bit = 0; bit < 2; ++bit)
      if (m.eval(s0.dop(d, bit), true).is_true()) ops |= static_cast<impl::u8>(1 << bit);
    s.topology.domains[d].ops = ops;
  }
  std::array<int, impl::FAULT_SITE_COUNT> visits{};
  std::vector<Call> thread;
  bool contract = true;
  for (int j = 0; j < depth; ++j) {
    int ci = m.eval(steps[j].sel, true).get_numeral_int();
    thread.push_back(calls[ci]);
    contract = contract && call_is_contract(calls[ci].kind);
    for (const FaultVisit& v : steps[j].results[ci].visits) {
      if (!m.eval(v.visited, true).is_true()) continue;
      int n = ++visits[static_cast<int>(v.site)];
      if (m.eval(v.fails, true).is_true()) s.faults.push_back(Fault{v.site, n, 0});
    }
  }
  s.mode = contract ? CallerMode::contract : CallerMode::adversarial;
  s.threads = {thread};
  return s;
}

expr Lemmas::at(const Layout& l, const impl::variant_rules& r, const State& s) const {
  expr e = s.count.ctx().bool_val(true);
  for (int id : ids) e = e && lemmas()[id].holds(l, r, s);
  return e;
}

std::vector<std::string> Lemmas::names() const {
  std::vector<std::string> n;
  for (int id : ids) n.push_back(lemmas()[id].name);
  return n;
}

ProofSession::ProofSession(const ProveOptions& options, const impl::variant_rules& rules)
    : o(options), r(rules), l(options.topology), calls(all_calls(l, options.mode)), s(State::fresh(c, l, "S_")),
      t(State::fresh(c, l, "T_")) {
  for (int k = 0; k < CHECKED_COUNT; ++k) {
    if (!has(o.properties, CHECKED[k])) continue;
    PropertyDetail d;
    d.property = CHECKED[k];
    details.push_back(d);
  }
}

z3::check_result ProofSession::check(z3::solver& solver, const char* where, const z3::expr_vector* assumptions) {
  if (cut_) return z3::unknown;
  long long left = ms_left();
  if (left <= 0) {
    cut(where);
    return z3::unknown;
  }
  z3::params p(c);
  p.set("timeout", static_cast<unsigned>(std::min(left, 600000LL)));
  p.set("ctrl_c", false);  // Z3 would take SIGINT for itself (cli/interrupt.cpp)
  solver.set(p);
  z3::check_result res = z3::unknown;
  try {
    res = assumptions ? solver.check(*assumptions) : solver.check();
  } catch (const z3::exception&) {
    res = z3::unknown;  // a cancelled check (older Z3 throws "canceled")
  }
  if (res == z3::unknown && ms_left() <= 50) cut(where);
  return res;
}

const SymStep& ProofSession::one() {
  if (!one_) one_.emplace(make_step(c, l, r, calls, s, t, "x_"));
  return *one_;
}

long long ProofSession::ms_left() const {
  if (stop_requested()) return 0;
  if (o.deadline == clock_type::time_point::max()) return 600000;
  return std::chrono::duration_cast<std::chrono::milliseconds>(o.deadline - clock_type::now()).count();
}

bool ProofSession::past_deadline(const char* where) {
  if (!cut_ && ms_left() <= 0) cut(where);
  return cut_;
}

void ProofSession::cut(const char* where) {
  if (cut_) return;
  cut_ = true;
  cut_where_ = where;
  cut_reason_ = stop_reason();
  log("%s %s\n", cut_reason_, where);
}

std::string ProofSession::cut_why() const {
  return cut_reason_ + (" " + cut_where_) + "; no counterexample within " + std::to_string(searched_depth) +
         " call(s)";
}

void ProofSession::log(const char* format, ...) const {
  if (!o.verbose) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
}

}  // namespace luv::solver
