// The Runner's checks at a call's end (properties/runner.cpp), mirrored.
#include "solver/encoding/exec.h"

#include "impl/unpreserve_twin.h"
#include "linux/errno.h"

namespace luv::solver::encoding {

using z3::expr;

expr exec::error_path_violated(const Call& call, const expr& ret, const Heap& before) {
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
expr exec::missing_unpreserve_violated(const Call& call, const expr& ret) {
  if (call_acts_on_group(call.kind)) return c_.bool_val(false);  // neither end
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
    expr owned = r_.unpreserve_ignores_owner ? c_.bool_val(true) : group_owned(call.device);
    reached = c_.bool_val(spec.pci) && owned && !not_held;
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

// What the callers preserved and have not asked to unpreserve (CallersMemory's
// outstanding objects, no-leak's "everything unpreserved"): a successful
// preserve adds, an unpreserve drops, even one refused with a warning (the
// callers asked), unless the caller did not hold the file.
std::vector<expr> exec::track_intent(const Call& call, const expr& ret) {
  std::vector<expr> intent = pre_.intent;
  bool device = call_takes_device(call.kind);
  if (!device && !call_takes_domain(call.kind)) return intent;
  if (call_acts_on_group(call.kind)) return intent;  // keeps what was preserved
  int o = device ? l_.device(call.device) : l_.domain(call.domain);
  if (call_is_preserve(call.kind)) {
    intent[o] = intent[o] || ret == 0;
  } else {
    intent[o] = intent[o] && c_.bool_val(call_is_contract(call.kind)) && ret == -ENOENT;
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
  s.claim = claim_;
  s.grown = grown_;
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

}  // namespace luv::solver::encoding
