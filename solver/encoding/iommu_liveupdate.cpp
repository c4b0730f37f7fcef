// impl/iommu_liveupdate.cpp, mirrored line by line: patch 03's domain calls,
// patch 04's device and IOMMU HW calls, the FLB callbacks. A revision's
// lines sit here beside impl/'s, each reading the same variant_rules switch.
#include "solver/encoding/iommu_liveupdate.h"

#include "impl/unpreserve_twin.h"
#include "linux/errno.h"

namespace luv::solver::encoding {

using z3::expr;

// ---- patch 03: alloc_object_ser --------------------------------------------
// Returns (err, slot index of the new record).
std::pair<expr, int> iommu_liveupdate::alloc_object_ser(const expr& guard, int array, Kind kind, int owner) {
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

expr iommu_liveupdate::iommu_flb_preserve(const Fn& caller) {
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
void iommu_liveupdate::iommu_release_all(const expr& guard) {
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

void iommu_liveupdate::iommu_flb_unpreserve(const expr& guard) {
  if (r_.flb_teardown_unpreserves) iommu_release_all(guard);
  expr go = guard && alive_;
  // free_array x3 and the root: every record lives on these pages.
  for (RecSlot& s : h_.recs) set(s.freed, go && s.alloc, c_.bool_val(true));
  set(h_.core_pages_live, go, c_.bool_val(false));
  set(h_.flb, go, c_.bool_val(false));
}

// ---- patch 03: domains ------------------------------------------------------
expr iommu_liveupdate::iommu_domain_preserve(const Fn& caller, int d) {
  Fn f = frame(caller);
  int o = l_.domain(d);
  // if (!domain->ops->preserve || domain_ops_lack_unpreserve()): v3 on refuse silently
  expr lacks_op = !pre_.dop(d, DOP_PRESERVE);
  if (r_.domain_needs_both_ops) lacks_op = lacks_op || !pre_.dop(d, DOP_UNPRESERVE);
  ret_if(f, lacks_op, -EOPNOTSUPP);
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

void iommu_liveupdate::iommu_domain_unpreserve(const Fn& caller, int d) {
  Fn f = frame(caller);
  int o = l_.domain(d);
  if (r_.warn_domain_unpreserve_without_op) {  // rule 1 at the other end
    expr lacks = !pre_.dop(d, DOP_UNPRESERVE);
    warn(g(f), lacks);
    ret_if(f, lacks, 0);
  }
  expr obj_null(c_);
  unpreserve_get_failed(f, liveupdate_flb_get_outgoing(f, obj_null));
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
expr iommu_liveupdate::iommu_preserve_locked(const Fn& caller, int i) {
  Fn f = frame(caller);
  int o = l_.iommu(i);
  // hw_ops_missing(): v3 on ask for unpreserve as well
  expr lacks_op = !pre_.iop(i, IOP_PRESERVE);
  if (r_.device_needs_four_ops) lacks_op = lacks_op || !pre_.iop(i, IOP_UNPRESERVE);
  ret_if(f, lacks_op, -EOPNOTSUPP);
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

void iommu_liveupdate::iommu_unpreserve_locked(const Fn& caller, int i) {
  Fn f = frame(caller);
  int o = l_.iommu(i);
  expr ser = h_.ptr[o];
  if (r_.guard_unpreserve_locked) {
    expr missing = ser == -1;  // hw_record_missing(): if (WARN_ON(!iommu_hw_ser)) return;
    warn(g(f), missing);
    ret_if(f, missing, 0);
    // hw_unpreserve_ops_missing(): if (WARN_ON_ONCE(!ops->preserve || !ops->unpreserve)) return;
    expr lacks_op = !pre_.iop(i, IOP_PRESERVE) || !pre_.iop(i, IOP_UNPRESERVE);
    warn(g(f), lacks_op);
    ret_if(f, lacks_op, 0);
  }
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

expr iommu_liveupdate::iommu_lacks_unpreserve(int i) const {
  return impl::iommu_lacks_unpreserve_twin(pre_.iop(i, IOP_PRESERVE), pre_.iop(i, IOP_UNPRESERVE),
                                           pre_.iop(i, IOP_PRESERVE_DEVICE), pre_.iop(i, IOP_UNPRESERVE_DEVICE));
}

// device_ops_missing(): v2 asks for preserve_device and preserve; v3 on for all four.
expr iommu_liveupdate::device_ops_missing(int i) const {
  expr lacks = !pre_.iop(i, IOP_PRESERVE_DEVICE) || !pre_.iop(i, IOP_PRESERVE);
  if (r_.device_needs_four_ops) lacks = lacks || !pre_.iop(i, IOP_UNPRESERVE_DEVICE) || !pre_.iop(i, IOP_UNPRESERVE);
  return lacks;
}

// unpreserve_get_failed(): ret = liveupdate_flb_get_outgoing(...); if (ret) return;
// from v3 on if (WARN_ON(ret)) return;
void iommu_liveupdate::unpreserve_get_failed(Fn& f, const expr& ret) {
  if (r_.warn_unpreserve_without_flb) warn(g(f), ret != 0);
  ret_if(f, ret != 0, 0);
}

// v4, once preserve_device succeeded (`ok` runs only then; its ret is the
// op's): WRITE_ONCE(dev->iommu->device_ser, device_ser), then, for a device
// whose IOMMU group has others, the rollback, returning -EOPNOTSUPP for the
// common error tail. Groups are topology facts: no symbolic state.
expr iommu_liveupdate::refuse_non_singleton_group(const Fn& ok, int v, const expr& ser) {
  int ov = l_.device(v);
  set(h_.ptr[ov], g(ok), ser);
  expr singleton = group_singleton(v);
  if (singleton.is_true()) return ok.ret;
  Fn undo{settle(ok.active && !singleton), ok.ret};
  // dev->iommu->device_ser->hdr.deleted = true: ser, the record just
  // published, is this call's own and cannot oops.
  rec_set(g(undo), ser, &RecSlot::deleted, c_.bool_val(true));
  call_op(g(undo), pre_.iop(l_.iommu_of_device(v), IOP_UNPRESERVE_DEVICE));
  mock_unpreserve(g(undo), ov, ser);
  set(h_.ptr[ov], g(undo), c_.int_val(-1));  // WRITE_ONCE(dev->iommu->device_ser, NULL)
  return settle(z3::ite(undo.active, c_.int_val(-EOPNOTSUPP), ok.ret));
}

expr iommu_liveupdate::iommu_preserve_device(const Fn& caller, int d, int v) {
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
  if (!r_.domain_checked_under_lock_only) ret_if(f, h_.ptr[od] == -1, -EINVAL);  // domain_read_unlocked()
  ret_if(f, !group_owned(v), -EINVAL);
  ret_if(f, device_ops_missing(i), -EOPNOTSUPP);
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
  if (r_.refuse_non_singleton_group) ret = refuse_non_singleton_group(Fn{f.active && ret == 0, ret}, v, ser);
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

void iommu_liveupdate::iommu_unpreserve_device(const Fn& caller, int d, int v) {
  Fn f = frame(caller);
  const DeviceSpec& spec = l_.topo.devices[v];
  int i = spec.iommu;
  int od = l_.domain(d), ov = l_.device(v);
  ret_if(f, c_.bool_val(!spec.pci), 0);
  if (!r_.unpreserve_ignores_owner) ret_if(f, !group_owned(v), 0);  // unpreserve_refused_unowned()
  expr lacks = !pre_.iop(i, IOP_UNPRESERVE_DEVICE) || !pre_.iop(i, IOP_UNPRESERVE);
  if (r_.warn_missing_unpreserve) warn(g(f), lacks);
  ret_if(f, lacks, 0);

  expr obj_null(c_);
  unpreserve_get_failed(f, liveupdate_flb_get_outgoing(f, obj_null));
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

expr iommu_liveupdate::iommu_group_add_device(const Fn& caller, int v) {
  Fn f = frame(caller);
  int head = l_.topo.group_of(v);
  if (r_.refuse_growth_of_preserved_group) {  // group_growth_refused()
    expr preserved = c_.bool_val(false);
    for (int u = 0; u < l_.V; ++u)
      if (l_.topo.group_of(u) == head) preserved = preserved || h_.ptr[l_.device(u)] != -1;
    ret_if(f, settle(preserved), -EBUSY);
  }
  set(grown_[head], g(f), c_.bool_val(true));
  ret_if(f, c_.bool_val(true), 0);
  return f.ret;
}

}  // namespace luv::solver::encoding
