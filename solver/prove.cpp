#include "solver/prove.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "properties/runner.h"
#include "properties/stop.h"
#include "solver/describe.h"
#include "solver/snapshot.h"

namespace luv::solver {

namespace {

using z3::expr;
bool g_verbose = false;
#define LOG(...) \
  do {                                  \
    if (g_verbose) std::fprintf(stderr, __VA_ARGS__); \
  } while (0)
using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::array<expr, impl::FAULT_SITE_COUNT> zero_visits(z3::context& c) {
  return {c.int_val(0), c.int_val(0), c.int_val(0), c.int_val(0), c.int_val(0),
          c.int_val(0), c.int_val(0), c.int_val(0), c.int_val(0)};
}

// One symbolic transition: any call of the mode, every fault a free choice.
struct SymStep {
  expr sel;
  std::vector<StepResult> results;  // per call
  expr trans;                       // post equals the selected call's result
  std::array<expr, CHECKED_COUNT> bad;
  expr exact;  // the path may go on (StepResult::exact)
  expr clean;
  expr oops;
  explicit SymStep(z3::context& c)
      : sel(c), trans(c), bad{c, c, c, c, c, c}, exact(c), clean(c), oops(c) {}
};

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

struct Lemmas {
  std::vector<int> ids;
  expr at(const Layout& l, const impl::variant_rules& r, const State& s) const {
    expr e = s.count.ctx().bool_val(true);
    for (int id : ids) e = e && lemmas()[id].holds(l, r, s);
    return e;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (int id : ids) n.push_back(lemmas()[id].name);
    return n;
  }
};

// Interrupts the context's work at the deadline, whatever it is doing: a
// query has its timeout, but building a deep step's terms has none.
class DeadlineAlarm {
 public:
  DeadlineAlarm(clock_type::time_point deadline, z3::context& c) {
    if (deadline == clock_type::time_point::max()) return;
    thread_ = std::thread([this, deadline, &c] {
      std::unique_lock<std::mutex> hold(mutex_);
      if (!wake_.wait_until(hold, deadline, [this] { return done_; })) c.interrupt();
    });
  }
  ~DeadlineAlarm() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  DeadlineAlarm(const DeadlineAlarm&) = delete;
  DeadlineAlarm& operator=(const DeadlineAlarm&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

class prover {
 public:
  prover(const ProveOptions& o, const impl::variant_rules& rules)
      : o_(o), r_(rules), l_(o.topology), calls_(all_calls(l_, o.mode)), s_(State::fresh(c_, l_, "S_")),
        t_(State::fresh(c_, l_, "T_")) {}

  ProveResult go() {
    auto t0 = clock_type::now();
    ProveResult out;
    for (int k = 0; k < CHECKED_COUNT; ++k) {
      if (!has(o_.properties, CHECKED[k])) continue;
      PropertyDetail d;
      d.property = CHECKED[k];
      details_.push_back(d);
    }
    // An interrupt may cancel Z3 outside a check() (building a step's
    // terms): what was decided before it stands, the rest is unknown.
    try {
      DeadlineAlarm alarm(o_.deadline, c_);
      bounded_search();
      if (!cut_) induction_all();
    } catch (const z3::exception&) {
      if (!stop_requested() && ms_left() > 0) throw;
      cut("while building the encoding");
      unsettle_proofs();
    }
    // What the deadline left undecided says so (never "holds").
    for (PropertyDetail& d : details_)
      if (cut_ && d.status == Status::unknown && d.encoding_bug.empty() && d.why.empty()) d.why = cut_why();
    out.details = details_;
    if (houdini_set_) out.inductive_lemmas = houdini_set_->names();
    for (const PropertyDetail& d : details_)
      if (d.status == Status::proved && houdini_set_) out.invariant.lemmas = houdini_set_->names();
    for (int k = 0; k < CHECKED_COUNT; ++k) {
      auto d = std::find_if(details_.begin(), details_.end(), [&](const PropertyDetail& x) { return x.property == CHECKED[k]; });
      bool proved = d != details_.end() && d->status == Status::proved;
      if (proved || (all_clean_ && !out.invariant.lemmas.empty())) out.invariant.properties.push_back(CHECKED[k]);
    }
    out.cross_check_disagreements = cross_bugs_;
    out.report.engine = "prove";
    out.report.variant = o_.variant;
    out.report.mode = caller_mode_name(o_.mode);
    for (const PropertyDetail& d : details_) {
      PropertyOutcome po;
      po.property = d.property;
      po.status = d.status;
      po.counterexample = d.counterexample;
      po.violation = d.violation;
      if (d.status == Status::proved) {
        po.how = d.method;
        if (!d.lemmas.empty()) {
          po.how += " with";
          for (const std::string& n : d.lemmas) po.how += " " + n;
        }
      } else if (d.status == Status::violated) {
        po.how = "bounded search, " + std::to_string(d.depth) + " call(s)";
      } else {
        po.how = d.why;
      }
      out.report.outcomes.push_back(po);
    }
    out.report.seconds = since(t0);
    return out;
  }

 private:
  // Every solver call goes through here: none starts past the deadline, and
  // each gets the time left as Z3's timeout (at most 10 minutes), so an
  // answer the deadline cuts short is z3::unknown and sets cut_. A stop
  // request interrupts a running one (stop_hook_) the same way.
  z3::check_result check(z3::solver& s, const char* where) {
    if (cut_) return z3::unknown;
    long long left = ms_left();
    if (left <= 0) {
      cut(where);
      return z3::unknown;
    }
    z3::params p(c_);
    p.set("timeout", static_cast<unsigned>(std::min(left, 600000LL)));
    p.set("ctrl_c", false);  // Z3 would take SIGINT for itself (cli/interrupt.cpp)
    s.set(p);
    z3::check_result res = z3::unknown;
    try {
      res = s.check();
    } catch (const z3::exception&) {
      res = z3::unknown;  // a cancelled check (older Z3 throws "canceled")
    }
    if (res == z3::unknown && ms_left() <= 50) cut(where);
    return res;
  }

  // Built on first use: a run the budget ends in the bounded search never
  // pays for it.
  const SymStep& one() {
    if (!one_) one_.emplace(make_step(c_, l_, r_, calls_, s_, t_, "x_"));
    return *one_;
  }

  long long ms_left() const {
    if (stop_requested()) return 0;
    if (o_.deadline == clock_type::time_point::max()) return 600000;
    return std::chrono::duration_cast<std::chrono::milliseconds>(o_.deadline - clock_type::now()).count();
  }

  bool past_deadline(const char* where) {
    if (!cut_ && ms_left() <= 0) cut(where);
    return cut_;
  }

  void cut(const char* where) {
    if (cut_) return;
    cut_ = true;
    cut_where_ = where;
    cut_reason_ = stop_reason();
    LOG("%s %s\n", cut_reason_, where);
  }

  std::string cut_why() const {
    return cut_reason_ + (" " + cut_where_) + "; no counterexample within " + std::to_string(searched_depth_) +
           " call(s)";
  }

  // ---- bounded search --------------------------------------------------------------
  void bounded_search() {
    std::vector<State> states{State::fresh(c_, l_, "b0_")};
    std::vector<SymStep> steps;
    z3::solver s(c_);
    s.add(initial(l_, states[0], o_.ops));
    for (int depth = 1; depth <= o_.depth; ++depth) {
      if (past_deadline(("in the bounded search, before depth " + std::to_string(depth)).c_str())) return;
      auto t0 = clock_type::now();
      states.push_back(State::fresh(c_, l_, "b" + std::to_string(depth) + "_"));
      steps.push_back(make_step(c_, l_, r_, calls_, states[depth - 1], states[depth],
                                "b" + std::to_string(depth - 1) + "x_"));
      s.add(steps.back().trans);
      LOG("bounded search: depth %d built (%.2f s)\n", depth, since(t0));
      for (PropertyDetail& d : details_) {
        if (d.status != Status::unknown || !d.encoding_bug.empty()) continue;
        int k = checked_index(d.property);
        expr goal = steps.back().bad[k];
        // No path reaches it at this depth: saying so is redundant, and it
        // narrows the deeper queries (for a variant that violates nothing,
        // back to the clean paths).
        if (expr_vector_check(s, goal, depth, states, steps, d, t0) == z3::unsat) s.add(!goal);
        if (cut_) return;
      }
      if (!lost_) lost_check(s, depth, states, steps);
      if (cut_) return;
      // Paths go on past other properties' violations, as far as the state
      // represents them (each property is judged on its own).
      s.add(steps.back().exact);
      searched_depth_ = depth;
    }
  }

  // The shortest path whose last call the encoding cannot follow past (an
  // oops, or a state it does not represent): every property not violated
  // before it is judged only up to there.
  void lost_check(z3::solver& s, int depth, const std::vector<State>& states, const std::vector<SymStep>& steps) {
    s.push();
    s.add(!steps.back().exact);
    std::string where = "in the bounded search at depth " + std::to_string(depth);
    if (check(s, where.c_str()) == z3::sat) {
      z3::model m = s.get_model();
      Scenario sc = path_scenario(m, l_, o_.variant, states[0], steps, depth, calls_);
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
      lost_ = "the encoded paths end at " + (what.empty() ? std::string("a state it does not represent") : what) +
              (oops ? " (an oops: the run ends there)" : " (a live record or page that no object holds)") +
              " after " + std::to_string(depth) + " call(s): " + calls +
              (sc.faults.empty() ? "" : " (with " + std::to_string(sc.faults.size()) + " fault(s))");
      LOG("bounded search: %s\n", lost_->c_str());
    }
    s.pop();
  }

  z3::check_result expr_vector_check(z3::solver& s, const expr& goal, int depth, const std::vector<State>& states,
                                     const std::vector<SymStep>& steps, PropertyDetail& d, clock_type::time_point t0) {
    s.push();
    s.add(goal);
    std::string where = "in the bounded search at depth " + std::to_string(depth);
    z3::check_result res = check(s, where.c_str());
    LOG("bounded search: %s at depth %d: %s (%.2f s)\n", property_name(d.property), depth,
        res == z3::sat ? "sat" : res == z3::unsat ? "unsat" : "unknown", since(t0));
    if (res == z3::sat) {
      z3::model m = s.get_model();
      Scenario sc = path_scenario(m, l_, o_.variant, states[0], steps, depth, calls_);
      confirm(d, sc, depth);
      d.seconds += since(t0);
    } else {
      d.seconds += since(t0);
      if (res == z3::unknown)
        d.why = cut_ ? cut_why() : "bounded search: solver gave up at depth " + std::to_string(depth);
    }
    s.pop();
    return res;
  }

  void confirm(PropertyDetail& d, const Scenario& sc, int depth) {
    RunOptions ro;
    ro.properties = only(d.property);
    CrossCheckObserver cross;
    if (o_.cross_check) ro.observer = &cross;
    RunResult rr = run(sc, ro);
    for (const std::string& bug : cross.disagreements()) cross_bugs_.push_back(bug);
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

  // ---- induction ---------------------------------------------------------------------
  std::vector<int> all_lemma_ids() const {
    std::vector<int> ids;
    for (int i = 0; i < static_cast<int>(lemmas().size()); ++i) ids.push_back(i);
    return ids;
  }

  // The largest inductive subset of `start` that holds initially (Houdini).
  // Queries go one call at a time: each is small, and the model names the call.
  // Empty when a query was undecided (the deadline): a set short of the
  // fixpoint is not known inductive, so no proof may use it.
  std::optional<Lemmas> houdini(std::vector<int> ids) {
    std::vector<int> start = ids;
    start.push_back(over_exact_ ? -1 : -2);  // the transitions it is inductive over
    auto cached = houdini_cache_.find(start);
    if (cached != houdini_cache_.end()) return Lemmas{cached->second};
    z3::solver init(c_);
    init.add(initial(l_, s_, o_.ops));
    std::vector<int> kept;
    for (int id : ids) {
      init.push();
      init.add(!lemmas()[id].holds(l_, r_, s_));
      if (check(init, "in Houdini (initial lemmas)") == z3::unsat) kept.push_back(id);  // unknown: dropped
      init.pop();
      if (cut_) return std::nullopt;
    }
    ids = kept;
    for (bool changed = true; changed;) {
      changed = false;
      Lemmas cur{ids};
      z3::solver s(c_);
      s.add(cur.at(l_, r_, s_));
      auto tq = clock_type::now();
      for (size_t ci = 0; ci < calls_.size() && !changed; ++ci) {
        const StepResult& r = one().results[ci];
        s.push();
        s.add(over_exact_ ? r.exact : r.clean);
        s.add(!cur.at(l_, r_, r.post));
        z3::check_result res = check(s, "in Houdini");
        if (res == z3::unknown) return std::nullopt;  // not shown inductive
        if (res == z3::sat) {
          z3::model m = s.get_model();
          std::vector<int> next;
          for (int id : ids)
            if (m.eval(lemmas()[id].holds(l_, r_, r.post), true).is_true()) next.push_back(id);
          ids = next;
          changed = true;
        }
        s.pop();
      }
      LOG("houdini: %zu lemmas %s (%.2f s)\n", cur.ids.size(), changed ? "not inductive" : "inductive", since(tq));
    }
    houdini_cache_[start] = ids;
    return Lemmas{ids};
  }

  // unsat: under `lem`, no call violates property k. On sat, `cti_call` names the call.
  z3::check_result step_violates(const Lemmas& lem, int k, z3::model* m = nullptr, int* cti_call = nullptr) {
    z3::solver s(c_);
    s.add(lem.at(l_, r_, s_));
    s.add(holds_in_state(l_, r_, s_, k));  // the induction hypothesis: the property held before
    auto tq = clock_type::now();
    z3::check_result res = z3::unsat;
    for (size_t ci = 0; ci < calls_.size() && res == z3::unsat; ++ci) {
      s.push();
      s.add(one().results[ci].bad[k]);
      res = check(s, "in the induction step");
      if (res == z3::sat) {
        if (m) *m = s.get_model();
        if (cti_call) *cti_call = static_cast<int>(ci);
      }
      s.pop();
    }
    LOG("step check: %s with %zu lemmas: %s (%.2f s)\n", property_name(CHECKED[k]), lem.ids.size(),
        res == z3::sat ? "sat" : res == z3::unsat ? "unsat" : "unknown", since(tq));
    return res;
  }

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
    if (lost_) {
      // Past that step the encoding does not follow the path: no proof can
      // speak for what lies beyond it.
      for (PropertyDetail& d : details_)
        if (d.status == Status::unknown && d.encoding_bug.empty())
          d.why = "no counterexample within " + std::to_string(searched_depth_) + " call(s), but " + *lost_ +
                  "; not judged past it";
      return;
    }
    bool violated = false;
    for (const PropertyDetail& d : details_) violated = violated || d.status == Status::violated;
    // Where every property holds together with the clean lemmas, every
    // reachable state is clean, and the proofs over clean steps stand.
    all_clean_ = !violated && conjunction_inductive();
    if (cut_) return;
    over_exact_ = !all_clean_;
    proofs();
    if (!all_clean_) gate_on_followed_paths();
  }

  // Every property's own proof (plain, then strengthened), the lemmas each
  // needs, each CTI's reachability, and Spacer.
  void proofs() {
    std::vector<Cti> ctis;
    for (size_t i = 0; i < details_.size(); ++i)
      if (details_[i].status == Status::unknown) plain_induction(i, ctis);
    if (!ctis.empty() && !cut_ && !houdini_set_) {
      auto th = clock_type::now();
      houdini_set_ = houdini(all_lemma_ids());
      houdini_seconds_ = since(th);
    }
    for (const Cti& c : ctis) strengthened_induction(details_[c.detail]);
    if (o_.minimise)
      for (PropertyDetail& d : details_)
        if (d.status == Status::proved && !d.lemmas.empty()) minimise(d);
    for (const Cti& c : ctis) {
      auto t0 = clock_type::now();
      PropertyDetail& d = details_[c.detail];
      d.cti = describe_cti(c.model, c.call) + reachability(c.model);
      d.seconds += since(t0);
    }
    if (all_clean_)
      for (PropertyDetail& d : details_)
        if (d.status == Status::unknown && d.encoding_bug.empty() && !cut_) {
          d.status = Status::proved;
          d.method = "k-induction k=1 on all six properties together, strengthened";
          d.lemmas = houdini_set_->names();
          d.why.clear();
        }
    if (o_.spacer)
      for (PropertyDetail& d : details_)
        if (d.status == Status::proved) spacer(d);
  }

  // The six properties and the Houdini lemmas over clean steps, together:
  // from any state where they hold, every call is clean (no violation, an
  // exact projection). Then no reachable state is dirty, and a path never
  // needs to go past a violation.
  bool conjunction_inductive() {
    auto t0 = clock_type::now();
    over_exact_ = false;
    houdini_set_ = houdini(all_lemma_ids());
    houdini_seconds_ = since(t0);
    if (!houdini_set_) return false;
    z3::solver s(c_);
    s.add(houdini_set_->at(l_, r_, s_));
    for (int k = 0; k < CHECKED_COUNT; ++k) s.add(holds_in_state(l_, r_, s_, k));
    bool ok = true;
    for (size_t ci = 0; ci < calls_.size() && ok; ++ci) {
      s.push();
      s.add(!one().results[ci].clean);
      ok = check(s, "proving every reachable state clean") == z3::unsat;
      s.pop();
    }
    LOG("conjunction of the six with %zu lemmas: %s (%.2f s)\n", houdini_set_->ids.size(),
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
    for (PropertyDetail& d : details_)
      if (d.status == Status::proved) proved.push_back(&d);
    if (proved.empty()) return;
    if (cut_) {
      unsettle_proofs();
      return;
    }
    if (!houdini_set_) houdini_set_ = houdini(all_lemma_ids());
    z3::solver s(c_);
    if (houdini_set_) s.add(houdini_set_->at(l_, r_, s_));
    for (PropertyDetail* d : proved) s.add(holds_in_state(l_, r_, s_, checked_index(d->property)));
    std::string why;
    for (size_t ci = 0; ci < calls_.size() && why.empty(); ++ci) {
      s.push();
      s.add(!one().results[ci].exact);
      z3::check_result res = check(s, "checking that the proofs' paths are all followed");
      if (res != z3::unsat)
        why = res == z3::unknown && cut_
                  ? cut_why()
                  : "proved on the paths the encoding follows, but it could not show that those are all: from a "
                    "state within the proof's invariant, " +
                        describe_call(calls_[ci]) +
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
    for (PropertyDetail& d : details_)
      if (d.status == Status::proved) {
        d.status = Status::unknown;
        d.why = cut_why() + " (before it was shown that the proof's paths are all the encoding's)";
      }
  }

  void plain_induction(size_t i, std::vector<Cti>& ctis) {
    PropertyDetail& d = details_[i];
    if (!d.encoding_bug.empty()) return;  // no proof on a wrong encoding
    auto t0 = clock_type::now();
    int k = checked_index(d.property);
    // Plain 1-induction: the property alone, from any state.
    z3::model m(c_);
    int cti_call = 0;
    z3::check_result plain = step_violates(Lemmas{}, k, &m, &cti_call);
    if (plain == z3::unsat) {
      d.status = Status::proved;
      d.method = "k-induction k=1 (no strengthening)";
      d.seconds += since(t0);
      return;
    }
    if (plain == z3::unknown) {
      d.why = cut_ ? cut_why() : "the solver gave up on the induction step";
      d.seconds += since(t0);
      return;
    }
    ctis.push_back(Cti{i, m, cti_call});
    d.seconds += since(t0);
  }

  void strengthened_induction(PropertyDetail& d) {
    auto t0 = clock_type::now();
    int k = checked_index(d.property);
    z3::check_result strengthened = houdini_set_ ? step_violates(*houdini_set_, k) : z3::unknown;
    if (strengthened != z3::unsat) {
      d.why = cut_ ? cut_why()
                   : strengthened == z3::sat || houdini_set_
                         ? "no counterexample within " + std::to_string(o_.depth) +
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

  // The lemmas a strengthened proof needs: one dropped at a time, kept out
  // when the rest's own (complete) fixpoint still proves the property. A cut
  // leaves the proof standing with the lemmas not yet dropped.
  void minimise(PropertyDetail& d) {
    auto t0 = clock_type::now();
    int k = checked_index(d.property);
    Lemmas needed = *houdini_set_;
    for (int id : houdini_set_->ids) {
      if (cut_) break;
      std::vector<int> fewer;
      for (int x : needed.ids)
        if (x != id) fewer.push_back(x);
      if (fewer.size() == needed.ids.size()) continue;
      std::optional<Lemmas> h = houdini(fewer);
      if (!h) break;
      if (step_violates(*h, k) == z3::unsat) needed = *h;
    }
    d.lemmas = needed.names();
    if (cut_) d.method += " (the budget ran out before the lemmas were minimised)";
    d.seconds += since(t0);
  }

  std::string describe_cti(const z3::model& m, int ci) {
    std::string out = "counterexample to induction (the property, holding before the call, alone is not inductive):\n  before: " +
                      describe_state(m, l_, s_) + "\n  call:   " + describe_call(calls_[ci]) + " returning " +
                      std::to_string(m.eval(one().results[ci].ret, true).get_numeral_int()) + "\n  after:  " +
                      describe_state(m, l_, one().results[ci].post) + "\n";
    return out;
  }

  // Whether the CTI's state before is reachable, by bounded search from the initial state.
  std::string reachability(const z3::model& cti) {
    std::vector<expr> target;
    for (const expr& v : s_.vars()) target.push_back(cti.eval(v, true));
    std::vector<State> states{State::fresh(c_, l_, "r0_")};
    z3::solver s(c_);
    s.add(initial(l_, states[0], o_.ops));
    for (int depth = 0; depth <= o_.depth; ++depth) {
      if (past_deadline("checking a CTI's reachability")) return "  its reachability was not checked (cut by the budget)\n";
      if (depth > 0) {
        states.push_back(State::fresh(c_, l_, "r" + std::to_string(depth) + "_"));
        SymStep st = make_step(c_, l_, r_, calls_, states[depth - 1], states[depth], "r" + std::to_string(depth) + "x_");
        s.add(st.trans);
        s.add(st.exact);
      }
      s.push();
      std::vector<expr> vars = states[depth].vars();
      for (size_t i = 0; i < vars.size(); ++i) s.add(vars[i] == target[i]);
      z3::check_result res = check(s, "checking a CTI's reachability");
      s.pop();
      if (res == z3::sat)
        return "  that state is reachable in " + std::to_string(depth) + " call(s)\n";
    }
    return "  that state is unreachable within " + std::to_string(o_.depth) + " call(s) of the initial state\n";
  }

  // ---- Spacer: Reach(S) as a constrained Horn clause system ---------------------------
  void spacer(PropertyDetail& d);

  const ProveOptions& o_;
  const impl::variant_rules& r_;
  Layout l_;
  std::vector<Call> calls_;
  z3::context c_;
  State s_, t_;
  std::optional<SymStep> one_;  // one symbolic step from s_ to t_: built when induction needs it
  std::vector<PropertyDetail> details_;
  std::optional<Lemmas> houdini_set_;  // empty: Houdini was cut
  bool over_exact_ = false;            // Houdini's transitions: exact steps (else clean ones)
  bool all_clean_ = false;             // the six and the lemmas are inductive together
  std::optional<std::string> lost_;    // the shortest path the encoding cannot follow past, described
  bool cut_ = false;                   // the deadline passed: no more solver calls
  std::string cut_where_;
  const char* cut_reason_ = "";        // "cut by the budget" or "interrupted"
  int searched_depth_ = 0;             // bounded search: depths searched for every property
  double houdini_seconds_ = 0;
  std::vector<std::string> cross_bugs_;
  std::map<std::vector<int>, std::vector<int>> houdini_cache_;  // candidate set -> its inductive subset
  // Interrupts the running query on a stop request; declared after c_, so
  // that it is gone before the context is.
  StopHook stop_hook_{[this] { c_.interrupt(); }};
};

void collect_consts(const expr& e, std::set<unsigned>& seen, std::vector<expr>& out) {
  if (!seen.insert(e.id()).second) return;
  if (e.is_const() && e.decl().decl_kind() == Z3_OP_UNINTERPRETED && e.decl().name().str() != "Err") {
    out.push_back(e);
    return;
  }
  if (e.is_app())
    for (unsigned i = 0; i < e.num_args(); ++i) collect_consts(e.arg(i), seen, out);
}

void prover::spacer(PropertyDetail& d) {
  auto t0 = clock_type::now();
  int k = checked_index(d.property);
  z3::fixedpoint fp(c_);
  z3::params p(c_);
  p.set("engine", "spacer");
  if (ms_left() <= 0) {
    d.spacer = std::string("spacer: not run (") + stop_reason() + ")";
    return;
  }
  p.set("timeout", static_cast<unsigned>(std::min<long long>(o_.spacer_timeout_ms, ms_left())));
  fp.set(p);
  z3::sort_vector sorts(c_);
  z3::expr_vector sv(c_), tv(c_);
  for (const expr& v : s_.vars()) {
    sorts.push_back(v.get_sort());
    sv.push_back(v);
  }
  for (const expr& v : t_.vars()) tv.push_back(v);
  z3::func_decl reach = c_.function("Reach", sorts, c_.bool_sort());
  z3::func_decl err = c_.function("Err", 0, nullptr, c_.bool_sort());
  fp.register_relation(reach);
  fp.register_relation(err);

  auto close = [&](const expr& body) {
    std::set<unsigned> seen;
    std::vector<expr> consts;
    collect_consts(body, seen, consts);
    z3::expr_vector vars(c_);
    for (const expr& x : consts) vars.push_back(x);
    return vars.empty() ? body : z3::forall(vars, body);
  };
  expr init_rule = close(z3::implies(initial(l_, s_, o_.ops), reach(sv)));
  expr step_rule = close(z3::implies(reach(sv) && one().trans && one().exact, reach(tv)));
  expr bad_rule = close(z3::implies(reach(sv) && one().trans && one().bad[k], err()));
  fp.add_rule(init_rule, c_.str_symbol("init"));
  fp.add_rule(step_rule, c_.str_symbol("step"));
  fp.add_rule(bad_rule, c_.str_symbol("bad"));
  expr query = err();
  z3::check_result res = z3::unknown;
  try {
    res = fp.query(query);
  } catch (const z3::exception& e) {
    // Z3 4.8.12 reports a spent budget as an exception ("canceled").
    std::string msg = e.msg();
    d.spacer = stop_requested()   ? "spacer: interrupted"
               : msg == "canceled" ? "spacer: unknown (budget of " + std::to_string(o_.spacer_timeout_ms) + " ms spent)"
                                   : "spacer: error " + msg;
    return;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, " (%.2f s)", since(t0));
  d.spacer = std::string("spacer: ") +
             (res == z3::unsat ? "proved" : res == z3::sat ? "counterexample (disagrees with induction)" : "unknown") +
             buf;
}

}  // namespace

ProveResult prove(const ProveOptions& options) {
  const impl::variant_rules* rules = impl::find_variant(options.variant);
  if (rules == nullptr) throw std::invalid_argument("--variant: " + impl::unknown_variant(options.variant));
  if (options.depth < 1 || options.depth > 20)
    throw std::invalid_argument("depth: " + std::to_string(options.depth) + " is outside 1..20");
  Scenario probe;
  probe.topology = options.topology;
  probe.threads = {{}};
  std::string invalid = validate(probe);
  if (!invalid.empty()) throw std::invalid_argument(invalid);
  g_verbose = options.verbose;
  if (options.keep_context) {
    // Reachable from a global until exit, which then does not delete it.
    static auto* kept = new std::vector<std::unique_ptr<prover>>;
    kept->push_back(std::make_unique<prover>(options, *rules));
    return kept->back()->go();
  }
  prover p(options, *rules);
  return p.go();
}

EngineReport prove_variant(const ProveOptions& options) { return prove(options).report; }

}  // namespace luv::solver
