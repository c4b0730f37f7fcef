// The step function: drivers/iommu/liveupdate.c, LUO and the callers of
// impl/, executed symbolically on a Heap. Each function below mirrors the one
// of the same name in impl/ line by line; a guard (`g()`) stands for "this
// line runs", an early return clears its function's guard, and an oops stops
// everything after it. Rules are read from impl::variant_rules.
#include "solver/encoding.h"

#include <optional>
#include <stdexcept>

#include "impl/unpreserve_twin.h"
#include "linux/errno.h"
#include "solver/heap.h"

namespace luv::solver {

int checked_index(PropertyId p) {
  for (int i = 0; i < CHECKED_COUNT; ++i)
    if (CHECKED[i] == p) return i;
  return -1;
}

Layout::Layout(const Topology& t)
    : topo(t),
      I(static_cast<int>(t.iommus.size())),
      D(static_cast<int>(t.domains.size())),
      V(static_cast<int>(t.devices.size())),
      F(t.files()) {}

State State::fresh(z3::context& c, const Layout& l, const std::string& p) {
  State s(c);
  auto b = [&](const std::string& n) { return c.bool_const((p + n).c_str()); };
  auto i = [&](const std::string& n) { return c.int_const((p + n).c_str()); };
  for (int f = 0; f < l.F; ++f) s.file.push_back(b("file" + std::to_string(f)));
  for (int o = 0; o < l.objects(); ++o) {
    s.set.push_back(b("set" + std::to_string(o)));
    s.deleted.push_back(b("del" + std::to_string(o)));
    s.freed.push_back(b("freed" + std::to_string(o)));
    s.rc.push_back(i("rc" + std::to_string(o)));
    s.page.push_back(b("page" + std::to_string(o)));
    s.intent.push_back(b("intent" + std::to_string(o)));
  }
  for (int v = 0; v < l.V; ++v) s.dev_dom.push_back(i("devdom" + std::to_string(v)));
  for (int v = 0; v < l.V; ++v) s.hw_stale.push_back(b("hwstale" + std::to_string(v)));
  for (int a = 0; a < 3; ++a) s.fill.push_back(i("fill" + std::to_string(a)));
  for (int k = 0; k < 4 * l.I; ++k) s.iommu_ops.push_back(b("iop" + std::to_string(k)));
  for (int k = 0; k < 2 * l.D; ++k) s.domain_ops.push_back(b("dop" + std::to_string(k)));
  s.count = i("count");
  s.flb = b("flb");
  s.warned = b("warned");
  s.stray = b("stray");
  return s;
}

std::vector<z3::expr> State::mutable_vars() const {
  std::vector<z3::expr> v;
  for (const auto* part : {&file, &set, &deleted, &freed, &rc, &page, &dev_dom, &hw_stale, &intent, &fill})
    v.insert(v.end(), part->begin(), part->end());
  v.push_back(count);
  v.push_back(flb);
  v.push_back(warned);
  v.push_back(stray);
  return v;
}

std::vector<z3::expr> State::vars() const {
  std::vector<z3::expr> v = mutable_vars();
  v.insert(v.end(), iommu_ops.begin(), iommu_ops.end());
  v.insert(v.end(), domain_ops.begin(), domain_ops.end());
  return v;
}

z3::expr state_equal(const State& a, const State& b) {
  std::vector<z3::expr> x = a.vars(), y = b.vars();
  z3::expr r = x[0].ctx().bool_val(true);
  for (size_t k = 0; k < x.size(); ++k) r = r && x[k] == y[k];
  return r;
}

z3::expr initial(const Layout& l, const State& s, OpsMode ops) {
  z3::context& c = s.count.ctx();
  z3::expr r = s.count == 0 && !s.flb && !s.warned && !s.stray;
  for (const z3::expr& f : s.file) r = r && !f;
  for (int o = 0; o < l.objects(); ++o)
    r = r && !s.set[o] && !s.deleted[o] && !s.freed[o] && s.rc[o] == 0 && !s.page[o] && !s.intent[o];
  for (const z3::expr& d : s.dev_dom) r = r && d == 0;
  for (const z3::expr& h : s.hw_stale) r = r && !h;
  for (const z3::expr& f : s.fill) r = r && f == 0;
  for (int i = 0; i < l.I; ++i) {
    bool symbolic = ops == OpsMode::all || (ops == OpsMode::spec && i == 1);
    if (symbolic) continue;
    for (int bit = 0; bit < 4; ++bit) r = r && s.iop(i, bit) == c.bool_val(l.topo.iommus[i].ops >> bit & 1);
  }
  for (int d = 0; d < l.D; ++d) {
    bool symbolic = ops == OpsMode::all || (ops == OpsMode::spec && d == 1);
    if (symbolic) continue;
    for (int bit = 0; bit < 2; ++bit) r = r && s.dop(d, bit) == c.bool_val(l.topo.domains[d].ops >> bit & 1);
  }
  return r;
}

StepResult::StepResult(z3::context& c)
    : post(c),
      ret(c),
      bad{c, c, c, c, c, c},
      other_oops(c),
      exact(c),
      clean(c),
      visits_after{c, c, c, c, c, c, c, c, c} {}

FaultOracle free_faults(z3::context& c, const std::string& prefix) {
  FaultOracle o;
  o.decide = [&c, prefix](impl::fault_site site, const z3::expr&, int index) {
    z3::expr fails = c.bool_const((prefix + "fault" + std::to_string(index)).c_str());
    return std::make_pair(fails, c.int_val(impl::default_fault_errno(site)));
  };
  return o;
}

FaultOracle planned_faults(z3::context& c, const std::vector<Fault>& plan) {
  FaultOracle o;
  o.decide = [&c, plan](impl::fault_site site, const z3::expr& nth, int) {
    z3::expr fails = c.bool_val(false);
    z3::expr err = c.int_val(impl::default_fault_errno(site));
    // The first fault of the plan naming this visit wins, as in should_fail().
    for (auto f = plan.rbegin(); f != plan.rend(); ++f) {
      if (f->site != site) continue;
      z3::expr hit = nth == c.int_val(f->nth);
      fails = fails || hit;
      if (f->err != 0) err = z3::ite(hit, c.int_val(f->err), err);
    }
    return std::make_pair(fails, err);
  };
  return o;
}

namespace {

using z3::expr;

constexpr int IOP_PRESERVE = 0, IOP_UNPRESERVE = 1, IOP_PRESERVE_DEVICE = 2, IOP_UNPRESERVE_DEVICE = 3;
constexpr int DOP_PRESERVE = 0, DOP_UNPRESERVE = 1;
constexpr int ARRAY_HW = 0, ARRAY_DOMAIN = 1, ARRAY_DEVICE = 2;

// A function's frame: whether its body is still running, and its return value.
struct Fn {
  expr active;
  expr ret;
};

class exec {
 public:
  exec(const Layout& l, const impl::variant_rules& rules, const State& pre, FaultOracle& oracle,
       const std::array<expr, impl::FAULT_SITE_COUNT>& visits, bool fold = false)
      : l_(l), r_(rules), c_(pre.count.ctx()), pre_(pre), h_(c_), oracle_(oracle), visits_(visits),
        alive_(c_.bool_val(true)), oops_null_(c_.bool_val(false)), oops_uaf_(c_.bool_val(false)),
        warned_(pre.warned), call_warned_(c_.bool_val(false)), fill_(pre.fill) {
    h_.fold = fold;
    build_heap();
  }

  StepResult run(const Call& call);
  std::vector<expr> track_intent(const Call& call, const expr& ret);
  expr project(State& s);

  // The state-level properties on the pre-state's heap (true for the call-level ones).
  expr pre_holds(int k) const {
    switch (CHECKED[k]) {
      case PropertyId::refcount_balanced: return !refcount_violated(h_);
      case PropertyId::no_dangling: return !dangling_violated(h_);
      case PropertyId::no_leak: return !orphan_violated(h_);
      default: return c_.bool_val(true);
    }
  }

 private:
  // ---- the heap --------------------------------------------------------------
  // Slot o is object o's record and page; then per device two dead
  // stand-ins (a stale domain link's and a stale iommu_phys's target); then
  // the stray page.
  int dom_ghost(int v) const { return l_.objects() + 2 * v; }
  int hw_ghost(int v) const { return l_.objects() + 2 * v + 1; }

  void build_heap() {
    expr none = c_.int_val(-1);
    for (int o = 0; o < l_.objects(); ++o) {
      Kind k = o < l_.I ? Kind::hw : o < l_.I + l_.D ? Kind::domain : Kind::device;
      h_.object_kind.push_back(k);
      h_.iommu_of.push_back(k == Kind::device ? l_.iommu(l_.iommu_of_device(o - l_.I - l_.D)) : -1);
      expr dom_link = none, hw_link = none;
      if (k == Kind::device) {
        int v = o - l_.I - l_.D;
        dom_link = c_.int_val(dom_ghost(v));
        for (int d = l_.D - 1; d >= 0; --d)
          dom_link = z3::ite(pre_.dev_dom[v] == d, c_.int_val(l_.domain(d)), dom_link);
        hw_link = z3::ite(pre_.hw_stale[v], c_.int_val(hw_ghost(v)), c_.int_val(l_.iommu(l_.iommu_of_device(v))));
      }
      expr rc = k == Kind::device ? c_.int_val(1) : pre_.rc[o];
      h_.recs.push_back(RecSlot{k, o, pre_.set[o], pre_.deleted[o], pre_.freed[o], rc, settle(dom_link), settle(hw_link)});
      h_.ptr.push_back(settle(z3::ite(pre_.set[o], c_.int_val(o), none)));
      h_.pages.push_back(PageSlot{o, pre_.page[o], c_.bool_val(false)});
      h_.pgptr.push_back(settle(z3::ite(pre_.page[o], c_.int_val(o), none)));
    }
    for (int v = 0; v < l_.V; ++v)
      for (Kind k : {Kind::domain, Kind::hw})
        h_.recs.push_back(RecSlot{k, -1, c_.bool_val(true), c_.bool_val(true), c_.bool_val(false), c_.int_val(0), none, none});
    h_.pages.push_back(PageSlot{-1, pre_.stray, c_.bool_val(false)});
    h_.file = pre_.file;
    h_.count = pre_.count;
    h_.flb = pre_.flb;
    h_.core_pages_live = pre_.flb;
  }

  // Folding (predict's concrete run, every input a value): a term built
  // from values is replaced by its value where it is stored, so that each
  // pointer stays a numeral and selects its slot directly (the *_at and
  // rec_* helpers below) instead of growing an if-then-else over every
  // slot. Not folding (the prover), every term is built as written.
  bool fold() const { return h_.fold; }
  expr settle(const expr& x) const { return fold() ? fold_value(x) : x; }
  // The slot a pointer names when folding has made it a numeral; else none.
  std::optional<int> slot_of(const expr& p) const {
    if (!fold() || !p.is_numeral()) return std::nullopt;
    return p.get_numeral_int();
  }

  expr g(const Fn& f) const { return settle(f.active && alive_); }
  void set(expr& x, const expr& guard, const expr& v) {
    if (!fold()) {
      x = z3::ite(guard, v, x);
      return;
    }
    expr when = settle(guard);
    x = when.is_true() ? settle(v) : when.is_false() ? x : z3::ite(when, v, x);
  }
  void ret_if(Fn& f, const expr& cond, const expr& value) {
    f.ret = settle(z3::ite(g(f) && cond, value, f.ret));
    f.active = settle(f.active && !cond);
  }
  void ret_if(Fn& f, const expr& cond, int value) { ret_if(f, cond, c_.int_val(value)); }
  Fn frame(const Fn& caller) { return Fn{caller.active, c_.int_val(0)}; }

  void oops_null(const expr& guard) {
    oops_null_ = settle(oops_null_ || (alive_ && guard));
    alive_ = settle(alive_ && !guard);
  }
  void oops_uaf(const expr& guard) {
    oops_uaf_ = settle(oops_uaf_ || (alive_ && guard));
    alive_ = settle(alive_ && !guard);
  }
  // A met WARN condition: warned_ is whether any warning was printed so far;
  // call_warned_ whether this call met one, printed or not (WARN_ON_ONCE
  // prints once, but the call refused all the same).
  bool warn(const expr& guard, const expr& cond) {
    warned_ = settle(warned_ || (alive_ && guard && cond));
    call_warned_ = settle(call_warned_ || (alive_ && guard && cond));
    return true;
  }

  // kptr dereference of a record pointer: NULL oopses, a freed page is a use after free.
  bool rec_slot(int s) const { return s >= 0 && s < static_cast<int>(h_.recs.size()); }
  bool page_slot(int q) const { return q >= 0 && q < static_cast<int>(h_.pages.size()); }

  void deref(const expr& guard, const expr& p) {
    oops_null(guard && p == -1);
    expr freed = c_.bool_val(false);
    if (auto s = slot_of(p)) {
      if (rec_slot(*s)) freed = h_.recs[*s].freed;
    } else {
      for (int s = 0; s < static_cast<int>(h_.recs.size()); ++s) freed = freed || (p == s && h_.recs[s].freed);
    }
    oops_uaf(guard && freed);
  }
  expr rec_get(const expr& p, expr RecSlot::*field) const {
    if (auto s = slot_of(p)) return rec_slot(*s) ? h_.recs[*s].*field : c_.int_val(0);
    expr r = c_.int_val(0);
    for (int s = static_cast<int>(h_.recs.size()) - 1; s >= 0; --s) r = z3::ite(p == s, h_.recs[s].*field, r);
    return r;
  }
  expr rec_get_bool(const expr& p, expr RecSlot::*field) const {
    if (auto s = slot_of(p)) return rec_slot(*s) ? h_.recs[*s].*field : c_.bool_val(false);
    expr r = c_.bool_val(false);
    for (int s = static_cast<int>(h_.recs.size()) - 1; s >= 0; --s) r = z3::ite(p == s, h_.recs[s].*field, r);
    return r;
  }
  expr rec_live_at(const expr& p) const {
    if (auto s = slot_of(p)) return rec_slot(*s) ? h_.live(*s) : c_.bool_val(false);
    expr r = c_.bool_val(false);
    for (int s = 0; s < static_cast<int>(h_.recs.size()); ++s) r = r || (p == s && h_.live(s));
    return r;
  }
  expr page_live_at(const expr& p) const {
    if (auto q = slot_of(p)) return page_slot(*q) ? h_.page_live(*q) : c_.bool_val(false);
    expr r = c_.bool_val(false);
    for (int q = 0; q < static_cast<int>(h_.pages.size()); ++q) r = r || (p == q && h_.page_live(q));
    return r;
  }
  void rec_set(const expr& guard, const expr& p, expr RecSlot::*field, const expr& v) {
    if (auto s = slot_of(p)) {
      if (rec_slot(*s)) set(h_.recs[*s].*field, guard, v);
      return;
    }
    for (int s = 0; s < static_cast<int>(h_.recs.size()); ++s) set(h_.recs[s].*field, guard && p == s, v);
  }
  void deref_page(const expr& guard, const expr& p) {
    oops_null(guard && p == -1);
    expr freed = c_.bool_val(false);
    if (auto q = slot_of(p)) {
      if (page_slot(*q)) freed = h_.pages[*q].freed;
    } else {
      for (int q = 0; q < static_cast<int>(h_.pages.size()); ++q) freed = freed || (p == q && h_.pages[q].freed);
    }
    oops_uaf(guard && freed);
  }

  // should_fail(): counts the visit, asks the oracle.
  expr should_fail(const expr& guard, impl::fault_site site) {
    expr visited = guard && alive_;
    expr& n = visits_[static_cast<int>(site)];
    n = settle(n + z3::ite(visited, c_.int_val(1), c_.int_val(0)));
    auto [fails, err] = oracle_.decide(site, n, visit_index_++);
    expr fired = settle(visited && fails);
    result_visits_.push_back(FaultVisit{site, visited, fired});
    return settle(z3::ite(fired, err, c_.int_val(0)));
  }

  // kho_alloc_preserve of a driver page for object o: (err, new page slot)
  std::pair<expr, int> alloc_driver_page(const expr& guard, int o) {
    expr err = should_fail(guard, impl::fault_site::kho_driver_page);
    int p = static_cast<int>(h_.pages.size());
    h_.pages.push_back(PageSlot{o, settle(guard && alive_ && err == 0), c_.bool_val(false)});
    return {err, p};
  }

  // ---- mock drivers (impl/mock_driver.cpp) --------------------------------------
  // preserve_driver_page: a second preserve overwrites the first page's pointer.
  expr preserve_driver_page(const expr& guard, int o) {
    auto [err, p] = alloc_driver_page(guard, o);
    set(h_.pgptr[o], guard && alive_ && err == 0, c_.int_val(p));
    return err;
  }
  void unpreserve_driver_page(const expr& guard, int o) {
    deref_page(guard, h_.pgptr[o]);
    if (auto q = slot_of(h_.pgptr[o])) {
      if (page_slot(*q)) set(h_.pages[*q].freed, guard && alive_, c_.bool_val(true));
    } else {
      for (int q = 0; q < static_cast<int>(h_.pages.size()); ++q)
        set(h_.pages[q].freed, guard && alive_ && h_.pgptr[o] == q, c_.bool_val(true));
    }
    set(h_.pgptr[o], guard && alive_, c_.int_val(-1));
  }
  expr mock_preserve(const expr& guard, impl::fault_site op_site, int o, const expr& ser) {
    expr err = should_fail(guard, op_site);
    expr go = guard && err == 0;
    deref(go, ser);  // ser->token = ...
    expr page_err = preserve_driver_page(go, o);
    return z3::ite(err != 0, err, page_err);
  }
  void mock_unpreserve(const expr& guard, int o, const expr& ser) {
    deref(guard, ser);  // the driver reads its record
    unpreserve_driver_page(guard, o);
  }
  // Calling an op that may be absent: absent oopses (no-null-op).
  void call_op(const expr& guard, const expr& present) { oops_null(guard && !present); }

  // ---- patch 03: alloc_object_ser --------------------------------------------
  // Returns (err, slot index of the new record).
  std::pair<expr, int> alloc_object_ser(const expr& guard, int array, Kind kind, int owner) {
    int opp = l_.topo.objects_per_page;
    expr full = settle(fill_[array] == opp);
    expr err = should_fail(guard && full, impl::fault_site::kho_array_page);
    expr ok = settle(guard && alive_ && err == 0);
    set(fill_[array], ok, z3::ite(full, c_.int_val(1), fill_[array] + 1));
    int s = static_cast<int>(h_.recs.size());
    expr none = c_.int_val(-1);
    h_.recs.push_back(RecSlot{kind, owner, ok, c_.bool_val(false), c_.bool_val(false), c_.int_val(1), none, none});
    allocated_.push_back(s);
    return {err, s};
  }

  // ---- LUO (impl/liveupdate.cpp) and the FLB callbacks ------------------------
  expr iommu_flb_preserve(const Fn& caller) {
    Fn f = frame(caller);
    expr ret = should_fail(g(f), impl::fault_site::flb_kzalloc);
    ret_if(f, ret != 0, ret);
    ret = should_fail(g(f), impl::fault_site::kho_flb_root);
    ret_if(f, ret != 0, ret);
    for (int a = 0; a < 3; ++a) {
      ret = should_fail(g(f), impl::fault_site::kho_flb_array);
      ret_if(f, ret != 0, ret);
    }
    set(h_.flb, g(f), c_.bool_val(true));
    set(h_.core_pages_live, g(f), c_.bool_val(true));
    for (int a = 0; a < 3; ++a) set(fill_[a], g(f), c_.int_val(0));
    return f.ret;
  }

  // Rule 5: the last file is gone while records are live.
  void iommu_release_all(const expr& guard) {
    expr live = c_.bool_val(false);
    for (int o = 0; o < l_.objects(); ++o) live = live || h_.ptr[o] != -1;
    warn(guard, live);
    expr go = guard && live;
    for (int v = 0; v < l_.V; ++v) {
      int o = l_.device(v);
      expr has = go && h_.ptr[o] != -1;
      expr ser = h_.ptr[o];
      deref(has, ser);
      rec_set(has && alive_, ser, &RecSlot::deleted, c_.bool_val(true));
      call_op(has, pre_.iop(l_.iommu_of_device(v), IOP_UNPRESERVE_DEVICE));
      mock_unpreserve(has, o, ser);
      set(h_.ptr[o], has && alive_, c_.int_val(-1));
    }
    for (int i = 0; i < l_.I; ++i) {
      int o = l_.iommu(i);
      expr has = go && h_.ptr[o] != -1;
      expr ser = h_.ptr[o];
      set(h_.ptr[o], has && alive_, c_.int_val(-1));
      call_op(has, pre_.iop(i, IOP_UNPRESERVE));
      mock_unpreserve(has, o, ser);
      deref(has, ser);
      rec_set(has && alive_, ser, &RecSlot::deleted, c_.bool_val(true));
      rec_set(has && alive_, ser, &RecSlot::rc, c_.int_val(0));
    }
    for (int d = 0; d < l_.D; ++d) {
      int o = l_.domain(d);
      expr has = go && h_.ptr[o] != -1;
      expr ser = h_.ptr[o];
      call_op(has, pre_.dop(d, DOP_UNPRESERVE));
      mock_unpreserve(has, o, ser);
      deref(has, ser);
      rec_set(has && alive_, ser, &RecSlot::deleted, c_.bool_val(true));
      set(h_.ptr[o], has && alive_, c_.int_val(-1));
    }
  }

  void iommu_flb_unpreserve(const expr& guard) {
    if (r_.flb_teardown_unpreserves) iommu_release_all(guard);
    expr go = guard && alive_;
    // free_array x3 and the root: every record lives on these pages.
    for (RecSlot& s : h_.recs) set(s.freed, go && s.alloc, c_.bool_val(true));
    set(h_.core_pages_live, go, c_.bool_val(false));
    set(h_.flb, go, c_.bool_val(false));
  }

  expr liveupdate_preserve_file(const Fn& caller, int file) {
    Fn f = frame(caller);
    ret_if(f, h_.file[file], -EBUSY);
    expr need = h_.count == 0 && !h_.flb;
    expr ret = iommu_flb_preserve(Fn{f.active && need, c_.int_val(0)});
    ret_if(f, need && ret != 0, ret);
    set(h_.count, g(f), h_.count + 1);
    set(h_.file[file], g(f), c_.bool_val(true));
    return f.ret;
  }

  expr liveupdate_unpreserve_file(const Fn& caller, int file) {
    Fn f = frame(caller);
    ret_if(f, !h_.file[file], -ENOENT);
    set(h_.file[file], g(f), c_.bool_val(false));
    set(h_.count, g(f), h_.count - 1);
    // users is 0 between calls: a reference never outlives its call here.
    iommu_flb_unpreserve(g(f) && h_.count == 0);
    return f.ret;
  }

  // Returns (err, the object is NULL). The object is always the live one or NULL.
  expr liveupdate_flb_get_outgoing(const Fn& caller, expr& obj_null) {
    Fn f = frame(caller);
    if (r_.hold_flb_reference) ret_if(f, h_.count == 0, -ENOENT);
    obj_null = !h_.flb;
    return f.ret;
  }

  // ---- patch 03: domains ------------------------------------------------------
  expr iommu_domain_preserve(const Fn& caller, int d) {
    Fn f = frame(caller);
    int o = l_.domain(d);
    ret_if(f, !pre_.dop(d, DOP_PRESERVE), -EOPNOTSUPP);
    if (r_.refuse_domain_without_unpreserve) {
      expr lacks = !pre_.dop(d, DOP_UNPRESERVE);
      warn(g(f), lacks);
      ret_if(f, lacks, -EOPNOTSUPP);
    }
    expr obj_null(c_);
    expr ret = liveupdate_flb_get_outgoing(f, obj_null);
    ret_if(f, ret != 0, ret);
    oops_null(g(f) && obj_null);  // guard(mutex)(&flb_obj->lock)
    if (r_.refuse_repeated_domain_preserve) ret_if(f, h_.ptr[o] != -1, -EBUSY);

    auto [err, ser_slot] = alloc_object_ser(g(f), ARRAY_DOMAIN, Kind::domain, o);
    ret_if(f, err != 0, err);
    expr ser = c_.int_val(ser_slot);
    ret = mock_preserve(g(f), impl::fault_site::op_domain_preserve, o, ser);
    rec_set(g(f) && ret != 0, ser, &RecSlot::deleted, c_.bool_val(true));
    ret_if(f, ret != 0, ret);
    set(h_.ptr[o], g(f), ser);
    ret_if(f, c_.bool_val(true), 0);
    return f.ret;
  }

  void iommu_domain_unpreserve(const Fn& caller, int d) {
    Fn f = frame(caller);
    int o = l_.domain(d);
    if (r_.warn_domain_unpreserve_without_op) {  // rule 1 at the other end
      expr lacks = !pre_.dop(d, DOP_UNPRESERVE);
      warn(g(f), lacks);
      ret_if(f, lacks, 0);
    }
    expr obj_null(c_);
    expr ret = liveupdate_flb_get_outgoing(f, obj_null);
    ret_if(f, ret != 0, 0);
    oops_null(g(f) && obj_null);
    expr unset = h_.ptr[o] == -1;
    if (r_.warn_unpreserve_unpreserved_domain) warn(g(f), unset);
    ret_if(f, unset, 0);
    if (r_.refuse_unpreserve_busy_domain) {
      deref(g(f), h_.ptr[o]);
      expr busy = rec_get(h_.ptr[o], &RecSlot::rc) > 1;
      warn(g(f), busy);
      ret_if(f, busy, 0);
    }
    expr ser = h_.ptr[o];
    call_op(g(f), pre_.dop(d, DOP_UNPRESERVE));
    mock_unpreserve(g(f), o, ser);
    deref(g(f), ser);
    rec_set(g(f), ser, &RecSlot::deleted, c_.bool_val(true));
    set(h_.ptr[o], g(f), c_.int_val(-1));
  }

  // ---- patch 04: devices and IOMMU HW -------------------------------------------
  expr iommu_preserve_locked(const Fn& caller, int i) {
    Fn f = frame(caller);
    int o = l_.iommu(i);
    ret_if(f, !pre_.iop(i, IOP_PRESERVE), -EOPNOTSUPP);
    expr shared = h_.ptr[o] != -1;
    if (r_.mut != impl::mutant::skip_refcount_get) {
      deref(g(f) && shared, h_.ptr[o]);
      rec_set(g(f) && shared, h_.ptr[o], &RecSlot::rc, rec_get(h_.ptr[o], &RecSlot::rc) + 1);
    }
    ret_if(f, shared, 0);

    auto [err, ser_slot] = alloc_object_ser(g(f), ARRAY_HW, Kind::hw, o);
    ret_if(f, err != 0, err);
    expr ser = c_.int_val(ser_slot);
    expr ret = mock_preserve(g(f), impl::fault_site::op_iommu_preserve, o, ser);
    if (r_.mut != impl::mutant::keep_error_record_live)
      rec_set(g(f) && ret != 0, ser, &RecSlot::deleted, c_.bool_val(true));
    ret_if(f, ret != 0, ret);
    set(h_.ptr[o], g(f), ser);
    ret_if(f, c_.bool_val(true), 0);
    return f.ret;
  }

  void iommu_unpreserve_locked(const Fn& caller, int i) {
    Fn f = frame(caller);
    int o = l_.iommu(i);
    expr ser = h_.ptr[o];
    deref(g(f), ser);
    expr rc = rec_get(ser, &RecSlot::rc) - 1;
    rec_set(g(f), ser, &RecSlot::rc, rc);
    ret_if(f, rc != 0, 0);
    set(h_.ptr[o], g(f), c_.int_val(-1));
    call_op(g(f), pre_.iop(i, IOP_UNPRESERVE));
    mock_unpreserve(g(f), o, ser);
    deref(g(f), ser);
    rec_set(g(f), ser, &RecSlot::deleted, c_.bool_val(true));
  }

  expr iommu_lacks_unpreserve(int i) const {
    return impl::iommu_lacks_unpreserve_twin(pre_.iop(i, IOP_PRESERVE), pre_.iop(i, IOP_UNPRESERVE),
                                             pre_.iop(i, IOP_PRESERVE_DEVICE), pre_.iop(i, IOP_UNPRESERVE_DEVICE));
  }

  expr iommu_preserve_device(const Fn& caller, int d, int v) {
    Fn f = frame(caller);
    const DeviceSpec& spec = l_.topo.devices[v];
    int i = spec.iommu;
    int od = l_.domain(d), ov = l_.device(v), oi = l_.iommu(i);
    ret_if(f, c_.bool_val(!spec.pci), -EOPNOTSUPP);
    if (r_.refuse_device_without_unpreserve) {
      expr lacks = iommu_lacks_unpreserve(i);
      warn(g(f), lacks);
      ret_if(f, lacks, -EOPNOTSUPP);
    }
    ret_if(f, h_.ptr[od] == -1, -EINVAL);
    ret_if(f, c_.bool_val(!spec.dma_owner), -EINVAL);
    ret_if(f, !pre_.iop(i, IOP_PRESERVE_DEVICE) || !pre_.iop(i, IOP_PRESERVE), -EOPNOTSUPP);
    expr obj_null(c_);
    expr ret = liveupdate_flb_get_outgoing(f, obj_null);
    ret_if(f, ret != 0, ret);
    oops_null(g(f) && obj_null);
    if (r_.check_under_lock) ret_if(f, h_.ptr[od] == -1, -EINVAL);
    if (r_.refuse_repeated_device_preserve) ret_if(f, h_.ptr[ov] != -1, -EBUSY);

    auto [err, ser_slot] = alloc_object_ser(g(f), ARRAY_DEVICE, Kind::device, ov);
    ret_if(f, err != 0, err);
    expr ser = c_.int_val(ser_slot);

    ret = iommu_preserve_locked(f, i);
    rec_set(g(f) && ret != 0, ser, &RecSlot::deleted, c_.bool_val(true));
    ret_if(f, ret != 0, ret);

    rec_set(g(f), ser, &RecSlot::dom_link, h_.ptr[od]);
    rec_set(g(f), ser, &RecSlot::hw_link, h_.ptr[oi]);

    ret = mock_preserve(g(f), impl::fault_site::op_preserve_device, ov, ser);
    rec_set(g(f) && ret != 0, ser, &RecSlot::deleted, c_.bool_val(true));
    iommu_unpreserve_locked(Fn{f.active && ret != 0, c_.int_val(0)}, i);
    ret_if(f, ret != 0, ret);

    if (r_.domain_counts_devices) {
      deref(g(f), h_.ptr[od]);
      rec_set(g(f), h_.ptr[od], &RecSlot::rc, rec_get(h_.ptr[od], &RecSlot::rc) + 1);
    }
    set(h_.ptr[ov], g(f), ser);
    ret_if(f, c_.bool_val(true), 0);
    return f.ret;
  }

  void iommu_unpreserve_device(const Fn& caller, int d, int v) {
    Fn f = frame(caller);
    const DeviceSpec& spec = l_.topo.devices[v];
    int i = spec.iommu;
    int od = l_.domain(d), ov = l_.device(v);
    ret_if(f, c_.bool_val(!spec.pci), 0);
    ret_if(f, c_.bool_val(!spec.dma_owner), 0);
    expr lacks = !pre_.iop(i, IOP_UNPRESERVE_DEVICE) || !pre_.iop(i, IOP_UNPRESERVE);
    if (r_.warn_missing_unpreserve) warn(g(f), lacks);
    ret_if(f, lacks, 0);

    expr obj_null(c_);
    expr ret = liveupdate_flb_get_outgoing(f, obj_null);
    ret_if(f, ret != 0, 0);
    oops_null(g(f) && obj_null);
    expr ser = h_.ptr[ov];
    if (r_.warn_unpreserve_unpreserved_device) {
      expr unset = ser == -1;
      warn(g(f), unset);
      ret_if(f, unset, 0);
    }
    if (r_.refuse_unpreserve_other_domain) {
      deref(g(f), ser);
      expr other = rec_get(ser, &RecSlot::dom_link) != h_.ptr[od];
      warn(g(f), other);
      ret_if(f, other, 0);
    }
    deref(g(f), ser);
    rec_set(g(f), ser, &RecSlot::deleted, c_.bool_val(true));
    call_op(g(f), pre_.iop(i, IOP_UNPRESERVE_DEVICE));
    mock_unpreserve(g(f), ov, ser);
    set(h_.ptr[ov], g(f), c_.int_val(-1));
    if (r_.domain_counts_devices) {
      deref(g(f), h_.ptr[od]);
      rec_set(g(f), h_.ptr[od], &RecSlot::rc, rec_get(h_.ptr[od], &RecSlot::rc) - 1);
    }
    iommu_unpreserve_locked(f, i);
  }

  // ---- the callers (impl/callers.cpp) --------------------------------------------
  expr iommufd_preserve(const Fn& caller, int d) {
    Fn f = frame(caller);
    int file = l_.topo.iommufd_file(d);
    expr ret = liveupdate_preserve_file(f, file);
    ret_if(f, ret != 0, ret);
    ret = iommu_domain_preserve(f, d);
    liveupdate_unpreserve_file(Fn{f.active && ret != 0, c_.int_val(0)}, file);
    ret_if(f, c_.bool_val(true), ret);
    return f.ret;
  }
  expr iommufd_unpreserve(const Fn& caller, int d) {
    Fn f = frame(caller);
    int file = l_.topo.iommufd_file(d);
    ret_if(f, !h_.file[file], -ENOENT);
    iommu_domain_unpreserve(f, d);
    expr ret = liveupdate_unpreserve_file(f, file);
    ret_if(f, c_.bool_val(true), ret);
    return f.ret;
  }
  expr vfio_preserve(const Fn& caller, int v, int d) {
    Fn f = frame(caller);
    int file = l_.topo.vfio_file(v);
    expr ret = liveupdate_preserve_file(f, file);
    ret_if(f, ret != 0, ret);
    ret = iommu_preserve_device(f, d, v);
    liveupdate_unpreserve_file(Fn{f.active && ret != 0, c_.int_val(0)}, file);
    ret_if(f, c_.bool_val(true), ret);
    return f.ret;
  }
  expr vfio_unpreserve(const Fn& caller, int v, int d) {
    Fn f = frame(caller);
    int file = l_.topo.vfio_file(v);
    ret_if(f, !h_.file[file], -ENOENT);
    iommu_unpreserve_device(f, d, v);
    expr ret = liveupdate_unpreserve_file(f, file);
    ret_if(f, c_.bool_val(true), ret);
    return f.ret;
  }

  expr invoke(const Call& call) {
    Fn top{c_.bool_val(true), c_.int_val(0)};
    switch (call.kind) {
      case CallKind::luo_preserve_file: return liveupdate_preserve_file(top, call.file);
      case CallKind::luo_unpreserve_file: return liveupdate_unpreserve_file(top, call.file);
      case CallKind::iommu_domain_preserve: return iommu_domain_preserve(top, call.domain);
      case CallKind::iommu_domain_unpreserve: iommu_domain_unpreserve(top, call.domain); return c_.int_val(0);
      case CallKind::iommu_preserve_device: return iommu_preserve_device(top, call.domain, call.device);
      case CallKind::iommu_unpreserve_device:
        iommu_unpreserve_device(top, call.domain, call.device);
        return c_.int_val(0);
      case CallKind::iommufd_preserve: return iommufd_preserve(top, call.domain);
      case CallKind::iommufd_unpreserve: return iommufd_unpreserve(top, call.domain);
      case CallKind::vfio_preserve: return vfio_preserve(top, call.device, call.domain);
      case CallKind::vfio_unpreserve: return vfio_unpreserve(top, call.device, call.domain);
      // Atomic calls: a session's teardown is its files' unpreserves in a
      // row, which the paths already make one call at a time (all_calls).
      case CallKind::luo_session_release: break;
    }
    throw std::logic_error(std::string("the encoding has no ") + call_kind_name(call.kind));
  }

  // ---- the Runner's checks at the call's end (properties/runner.cpp) ------------
  expr error_path_violated(const Call& call, const expr& ret, const Heap& before) {
    if (call.kind == CallKind::iommu_domain_unpreserve || call.kind == CallKind::iommu_unpreserve_device)
      return c_.bool_val(false);
    expr left_live = c_.bool_val(false);
    for (int s : allocated_) left_live = left_live || h_.live(s);
    // The abstract facts: files, the FLB, object states and pages, live records and their ref_counts.
    expr changed = h_.count != before.count || h_.flb != before.flb;
    for (size_t k = 0; k < h_.file.size(); ++k) changed = changed || h_.file[k] != before.file[k];
    for (int o = 0; o < l_.objects(); ++o)
      changed = changed || h_.ptr[o] != before.ptr[o] || h_.pgptr[o] != before.pgptr[o];
    for (int s = 0; s < static_cast<int>(h_.recs.size()); ++s) {
      expr was = s < static_cast<int>(before.recs.size()) ? before.live(s) : c_.bool_val(false);
      expr was_rc = s < static_cast<int>(before.recs.size()) ? before.recs[s].rc : c_.int_val(0);
      changed = changed || h_.live(s) != was || (was && h_.recs[s].rc != was_rc);
    }
    for (int p = 0; p < static_cast<int>(h_.pages.size()); ++p) {
      expr was = p < static_cast<int>(before.pages.size()) ? before.page_live(p) : c_.bool_val(false);
      changed = changed || h_.page_live(p) != was;
    }
    return ret < 0 && (left_live || changed);
  }

  // Judged at both ends: a preserve that keeps (or silently refuses) state
  // of a driver lacking an unpreserve twin, and an unpreserve on such a
  // driver that leaves state behind or returns without a warning. An
  // unpreserve that returned before reaching the driver (a non-PCI device,
  // an unclaimed group, a file VFIO/iommufd does not hold) says nothing.
  expr missing_unpreserve_violated(const Call& call, const expr& ret) {
    expr lacks = c_.bool_val(false), holds = c_.bool_val(false);
    expr not_held = c_.bool_val(call_is_contract(call.kind)) && ret == -ENOENT;
    expr reached = !not_held;
    bool pci = true;
    if (call_takes_device(call.kind)) {
      const DeviceSpec& spec = l_.topo.devices[call.device];
      int i = l_.iommu_of_device(call.device), o = l_.device(call.device);
      lacks = iommu_lacks_unpreserve(i);
      holds = h_.ptr[o] != -1 || h_.pgptr[o] != -1;
      pci = spec.pci;
      reached = c_.bool_val(spec.pci && spec.dma_owner) && !not_held;
    } else if (call_takes_domain(call.kind)) {
      int o = l_.domain(call.domain);
      lacks = impl::lacks_unpreserve_twin(pre_.dop(call.domain, DOP_PRESERVE), pre_.dop(call.domain, DOP_UNPRESERVE));
      holds = h_.ptr[o] != -1 || h_.pgptr[o] != -1;
    } else {
      return c_.bool_val(false);
    }
    if (call_is_preserve(call.kind))
      return lacks && (ret == 0 || (ret == -EOPNOTSUPP && c_.bool_val(pci) && !warned_));
    return lacks && (holds || (reached && !warned_));
  }

  const Layout& l_;
  const impl::variant_rules& r_;
  z3::context& c_;
  const State& pre_;
  Heap h_;
  FaultOracle& oracle_;
  std::array<expr, impl::FAULT_SITE_COUNT> visits_;
  int visit_index_ = 0;
  std::vector<FaultVisit> result_visits_;
  std::vector<int> allocated_;
  expr alive_, oops_null_, oops_uaf_, warned_, call_warned_;
  std::vector<expr> fill_;
};

StepResult exec::run(const Call& call) {
  Heap before = h_;
  expr ret = invoke(call);

  StepResult r(c_);
  r.ret = ret;
  r.visits = result_visits_;
  r.visits_after = visits_;

  std::vector<expr> intent = track_intent(call, ret);
  expr everything_unpreserved = c_.bool_val(true);
  for (int o = l_.I; o < l_.objects(); ++o) everything_unpreserved = everything_unpreserved && !intent[o];
  for (const expr& f : h_.file) everything_unpreserved = everything_unpreserved && !f;

  expr oopsed = oops_null_ || oops_uaf_;
  r.bad[0] = oops_null_;
  r.bad[1] = !oopsed && error_path_violated(call, ret, before);
  r.bad[2] = !oopsed && missing_unpreserve_violated(call, ret);
  r.bad[3] = !oopsed && refcount_violated(h_);
  r.bad[4] = !oopsed && dangling_violated(h_);
  r.bad[5] = !oopsed && (orphan_violated(h_) || remaining_violated(h_, everything_unpreserved));
  r.other_oops = oops_uaf_;
  r.exact = !oopsed && project(r.post);
  r.post.intent = intent;
  expr clean = r.exact;
  for (int k = 0; k < CHECKED_COUNT; ++k) clean = clean && !r.bad[k];
  r.clean = clean;
  return r;
}

// What the Runner believes is preserved (runner.cpp's track_intent): a
// successful preserve adds, an unpreserve drops, unless it was refused with a
// warning (a void call's way of refusing) or the caller did not hold the file.
std::vector<expr> exec::track_intent(const Call& call, const expr& ret) {
  std::vector<expr> intent = pre_.intent;
  bool device = call_takes_device(call.kind);
  if (!device && !call_takes_domain(call.kind)) return intent;
  int o = device ? l_.device(call.device) : l_.domain(call.domain);
  if (call_is_preserve(call.kind)) {
    intent[o] = intent[o] || ret == 0;
  } else {
    bool is_void = call.kind == CallKind::iommu_domain_unpreserve || call.kind == CallKind::iommu_unpreserve_device;
    expr kept = (c_.bool_val(is_void) && call_warned_) || (c_.bool_val(call_is_contract(call.kind)) && ret == -ENOENT);
    intent[o] = intent[o] && kept;
  }
  return intent;
}

// Projects the heap onto `s` (all but intent); true when the projection is
// exact: every live record and page is its object's, every device link
// names its target's current record or a dead one, every page pointer a
// live page, and the core pages live exactly with the FLB object.
expr exec::project(State& s) {
  expr exact = h_.core_pages_live == h_.flb;
  s.file = h_.file;
  s.count = h_.count;
  s.flb = h_.flb;
  s.warned = warned_;
  s.fill = fill_;
  s.iommu_ops = pre_.iommu_ops;
  s.domain_ops = pre_.domain_ops;
  for (int slot = 0; slot < static_cast<int>(h_.recs.size()); ++slot) {
    int owner = h_.recs[slot].owner;
    if (owner >= 0) exact = exact && (!h_.live(slot) || h_.ptr[owner] == slot);
    else exact = exact && !h_.live(slot);
  }
  for (int o = 0; o < l_.objects(); ++o) {
    expr p = h_.ptr[o];
    expr is_set = p != -1;
    s.set.push_back(is_set);
    s.deleted.push_back(is_set && rec_get_bool(p, &RecSlot::deleted));
    s.freed.push_back(is_set && rec_get_bool(p, &RecSlot::freed));
    s.rc.push_back(h_.object_kind[o] == Kind::device ? c_.int_val(0)
                                                     : z3::ite(is_set, rec_get(p, &RecSlot::rc), c_.int_val(0)));
    s.page.push_back(h_.pgptr[o] != -1);
    exact = exact && (h_.pgptr[o] == -1 || page_live_at(h_.pgptr[o]));
  }
  expr stray = c_.bool_val(false);
  for (int q = 0; q < static_cast<int>(h_.pages.size()); ++q) {
    int owner = h_.pages[q].owner;
    expr held = owner >= 0 ? h_.pgptr[owner] == q : c_.bool_val(false);
    stray = stray || (h_.page_live(q) && !held);
  }
  s.stray = stray;
  for (int v = 0; v < l_.V; ++v) {
    int o = l_.device(v), oi = l_.iommu(l_.iommu_of_device(v));
    expr is_set = h_.ptr[o] != -1;
    expr link = rec_get(h_.ptr[o], &RecSlot::dom_link);
    expr dom = c_.int_val(-1), current = c_.bool_val(false);
    for (int d = l_.D - 1; d >= 0; --d) {
      expr here = h_.ptr[l_.domain(d)] != -1 && link == h_.ptr[l_.domain(d)];
      dom = z3::ite(here, c_.int_val(d), dom);
      current = current || here;
    }
    s.dev_dom.push_back(z3::ite(is_set, dom, c_.int_val(0)));
    exact = exact && (!is_set || current || (link != -1 && !rec_live_at(link)));
    expr hw = rec_get(h_.ptr[o], &RecSlot::hw_link);
    expr hw_current = h_.ptr[oi] != -1 && hw == h_.ptr[oi];
    s.hw_stale.push_back(is_set && !hw_current);
    exact = exact && (!is_set || hw_current || (hw != -1 && !rec_live_at(hw)));
  }
  return exact;
}

}  // namespace

std::string not_mirrored(const impl::variant_rules& rules) {
  // The mutants whose line the encoding mirrors, each at its twin of the
  // impl/ line (`r_.mut`); the rest would silently run the reference.
  static constexpr impl::mutant mirrored[] = {
      impl::mutant::none,
      impl::mutant::skip_refcount_get,
      impl::mutant::keep_error_record_live,
  };
  for (impl::mutant m : mirrored)
    if (rules.mut == m) return "";
  return std::string("the encoding does not mirror mutant ") + impl::mutant_name(rules.mut) +
         " (variant " + rules.name + ")";
}

StepResult step(const Layout& l, const impl::variant_rules& rules, const State& pre, const Call& call,
                FaultOracle& oracle, const std::array<z3::expr, impl::FAULT_SITE_COUNT>& visits_before,
                bool fold_values) {
  std::string refused = not_mirrored(rules);
  if (!refused.empty()) throw std::invalid_argument(refused);
  exec e(l, rules, pre, oracle, visits_before, fold_values);
  return e.run(call);
}

z3::expr holds_in_state(const Layout& l, const impl::variant_rules& rules, const State& s, int k) {
  FaultOracle none = free_faults(s.count.ctx(), "unused_");
  z3::context& c = s.count.ctx();
  std::array<z3::expr, impl::FAULT_SITE_COUNT> visits{c, c, c, c, c, c, c, c, c};
  for (auto& v : visits) v = c.int_val(0);
  exec e(l, rules, s, none, visits);
  return e.pre_holds(k);
}

std::vector<Call> all_calls(const Layout& l, CallerMode mode) {
  std::vector<Call> calls;
  for (int d = 0; d < l.D; ++d) {
    calls.push_back(Call{CallKind::iommufd_preserve, -1, d, -1});
    calls.push_back(Call{CallKind::iommufd_unpreserve, -1, d, -1});
    for (int v = 0; v < l.V; ++v) {
      calls.push_back(Call{CallKind::vfio_preserve, -1, d, v});
      calls.push_back(Call{CallKind::vfio_unpreserve, -1, d, v});
    }
  }
  if (mode == CallerMode::contract) return calls;
  for (int f = 0; f < l.F; ++f) {
    calls.push_back(Call{CallKind::luo_preserve_file, f, -1, -1});
    calls.push_back(Call{CallKind::luo_unpreserve_file, f, -1, -1});
  }
  for (int d = 0; d < l.D; ++d) {
    calls.push_back(Call{CallKind::iommu_domain_preserve, -1, d, -1});
    calls.push_back(Call{CallKind::iommu_domain_unpreserve, -1, d, -1});
    for (int v = 0; v < l.V; ++v) {
      calls.push_back(Call{CallKind::iommu_preserve_device, -1, d, v});
      calls.push_back(Call{CallKind::iommu_unpreserve_device, -1, d, v});
    }
  }
  return calls;
}

}  // namespace luv::solver
