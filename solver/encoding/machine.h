// The machinery every mirrored function runs on: a small heap of record
// and page slots as Z3 terms, function frames (a guard per line, an early
// return clearing it), oopses, warnings and fault sites. The classes of the
// mirrored impl/ files derive from it (solver/encoding/*.h).
#pragma once
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "solver/encoding.h"
#include "solver/heap.h"

namespace luv::solver::encoding {

using z3::expr;

// Bit order of State::iommu_ops and ::domain_ops; the record arrays.
constexpr int IOP_PRESERVE = 0, IOP_UNPRESERVE = 1, IOP_PRESERVE_DEVICE = 2, IOP_UNPRESERVE_DEVICE = 3;
constexpr int DOP_PRESERVE = 0, DOP_UNPRESERVE = 1;
constexpr int ARRAY_HW = 0, ARRAY_DOMAIN = 1, ARRAY_DEVICE = 2;

// A function's frame: whether its body is still running, and its return value.
struct Fn {
  expr active;
  expr ret;
};

class machine {
 public:
  machine(const Layout& l, const impl::variant_rules& rules, const State& pre, FaultOracle& oracle,
          const std::array<expr, impl::FAULT_SITE_COUNT>& visits, bool fold = false)
      : l_(l), r_(rules), c_(pre.count.ctx()), pre_(pre), h_(c_), oracle_(oracle), visits_(visits),
        alive_(c_.bool_val(true)), oops_null_(c_.bool_val(false)), oops_uaf_(c_.bool_val(false)),
        warned_(pre.warned), call_warned_(c_.bool_val(false)), fill_(pre.fill), claim_(pre.claim), grown_(pre.grown) {
    h_.fold = fold;
    build_heap();
  }
  virtual ~machine() = default;

 protected:
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
  // prints once, but the call refused all the same). So WARN_ON (every
  // call, v3 on) and WARN_ON_ONCE (once per site) are both this: the
  // second print of a site changes neither (the Runner reads the same two
  // facts: warnings printed, and the call's WARN conditions), and
  // variant_rules::warn_on_every_call needs no twin here (the model, which
  // counts warnings per site, is what tells the two apart).
  bool warn(const expr& guard, const expr& cond) {
    warned_ = settle(warned_ || (alive_ && guard && cond));
    call_warned_ = settle(call_warned_ || (alive_ && guard && cond));
    return true;
  }

  // iommu_group_dma_owner_claimed(): a device of v's group holds its claim.
  expr group_owned(int v) const {
    expr owned = c_.bool_val(false);
    for (int u = 0; u < l_.V; ++u)
      if (l_.topo.group_of(u) == l_.topo.group_of(v)) owned = owned || claim_[u];
    return settle(owned);
  }

  // iommu_group_is_singleton(): v is its group's only device in the
  // topology, and none has joined the group since.
  expr group_singleton(int v) const {
    if (!l_.topo.group_is_singleton(v)) return c_.bool_val(false);
    return settle(!grown_[l_.topo.group_of(v)]);
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
  std::vector<expr> claim_;  // per device, as State::claim
  std::vector<expr> grown_;  // per device, as State::grown
};

}  // namespace luv::solver::encoding
