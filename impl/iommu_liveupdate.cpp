// drivers/iommu/liveupdate.c, as luv runs it.
//
// iommu_preserve_device, the first part of iommu_unpreserve_device,
// iommu_preserve_locked, iommu_unpreserve_locked, alloc_iommu_hw_ser and
// alloc_iommu_device_ser are patch v2 04/16 as posted, and v3's and v4's
// changes to them hooked lines (docs/SPEC.md, "What v3 and v4 change"). The
// rest (the domain calls of patch 03, alloc_object_ser, the FLB callbacks) is
// written from docs/SPEC.md. Where a revision or a mutant changes a line, the line calls the
// hook of impl/mutants.h named after what it does; a variant is the set of
// variant.h's switches it turns on.
#include "impl/iommu_liveupdate.h"

#include "impl/mutants.h"
#include "impl/world.h"
#include "linux/bug.h"
#include "linux/err.h"
#include "linux/errno.h"

namespace luv::impl {

#define iommu_max_objs_per_page(w) ((w).objs_per_page())

namespace {

// Drops the FLB reference taken by liveupdate_flb_get_outgoing() when the
// call returns, on every path (rule 4; a no-op without it).
class flb_reference {
 public:
  explicit flb_reference(World& w) : w_(w) {}
  flb_reference(const flb_reference&) = delete;
  flb_reference& operator=(const flb_reference&) = delete;
  // May oops (a teardown touching freed memory); never while unwinding.
  ~flb_reference() noexcept(false) {
    bool returning = std::uncaught_exceptions() == 0 && !w_.unwinding;
    if (w_.rules.hold_flb_reference && returning && !leaked_ && kept(w_, mutant::leak_flb_reference))
      liveupdate_flb_put_outgoing(w_, &w_.iommu_flb);
  }
  // luv mutant: a return that skips the put.
  void leak() { leaked_ = true; }

 private:
  World& w_;
  bool leaked_ = false;
};

// luv: error-path-deleted audits what each call allocated.
void audit_allocation(World& w, const kptr<kho_page>& array, int idx) {
  w.call_allocations[w.current].push_back(array->phys + KHO_SLOT_OFFSET + idx * KHO_SLOT_SIZE);
}

// patch 03: the next free slot of an array, chaining a new KHO page when the
// current one is full.
int alloc_object_ser(World& w, kptr<kho_page>* curr_array, int max_objs) {
  kptr<kho_page> array = *curr_array;

  if (array->hdr.nr_objects == objs_page_full(w, max_objs)) {
    kptr<kho_page> next = kho_alloc_preserve(w, array->kind, fault_site::kho_array_page);
    if (IS_ERR(next))
      return PTR_ERR(next);
    array->hdr.next = next->phys;
    *curr_array = next;
    array = next;
  }

  // The slot is as kho_alloc_preserve() zeroed it (slots are never reused);
  // the caller's write is its first touch.
  int idx = static_cast<int>(array->hdr.nr_objects++);
  audit_allocation(w, array, idx);
  return idx;
}

// The callers' `&curr_array->objects[idx]` and first write, through
// kho_array_slot(): a slot past the page's capacity is reported there.
kptr<iommu_hw_ser> alloc_iommu_hw_ser(World& w, kptr<iommu_flb_obj> flb) {
  int idx = alloc_object_ser(w, &flb->curr_iommu_array, iommu_max_objs_per_page(w));
  if (idx < 0)
    return ERR_PTR<iommu_hw_ser>(idx);

  kptr<iommu_hw_ser> iommu_hw_ser = kho_array_slot(w, flb->curr_iommu_array, idx, kho_access::write);
  iommu_hw_ser->hdr.ref_count = 1;
  return iommu_hw_ser;
}

kptr<iommu_domain_ser> alloc_iommu_domain_ser(World& w, kptr<iommu_flb_obj> flb) {
  int idx = alloc_object_ser(w, &flb->curr_domain_array, iommu_max_objs_per_page(w));
  if (idx < 0)
    return ERR_PTR<iommu_domain_ser>(idx);

  kptr<iommu_domain_ser> domain_ser = kho_array_slot(w, flb->curr_domain_array, idx, kho_access::write);
  domain_ser->hdr.ref_count = 1;
  return domain_ser;
}

kptr<iommu_device_ser> alloc_iommu_device_ser(World& w, kptr<iommu_flb_obj> flb) {
  int idx = alloc_object_ser(w, &flb->curr_device_array, iommu_max_objs_per_page(w));
  if (idx < 0)
    return ERR_PTR<iommu_device_ser>(idx);

  kptr<iommu_device_ser> device_ser = kho_array_slot(w, flb->curr_device_array, idx, kho_access::write);
  device_ser->hdr.ref_count = 1;
  return device_ser;
}

task<int> iommu_preserve_locked(World& w, iommu_device* iommu, kptr<iommu_flb_obj> flb_obj) {
  kptr<iommu_hw_ser> iommu_hw_ser;
  int ret;

  if (hw_ops_missing(w, iommu->ops))
    co_return -EOPNOTSUPP;

  lockdep_assert_held(w, &flb_obj->lock);
  if (iommu->outgoing_preserved_state) {
    if (kept(w, mutant::skip_refcount_get))
      iommu->outgoing_preserved_state->hdr.ref_count++;
    co_return 0;
  }

  iommu_hw_ser = alloc_iommu_hw_ser(w, flb_obj);
  if (IS_ERR(iommu_hw_ser))
    co_return PTR_ERR(iommu_hw_ser);

  co_await sched_point(w, "iommu->ops->preserve");
  ret = iommu->ops->preserve(w, iommu, iommu_hw_ser);
  if (ret) {
    if (kept(w, mutant::keep_error_record_live))
      iommu_hw_ser->hdr.deleted = true;
    co_return ret;
  }

  iommu->outgoing_preserved_state = iommu_hw_ser;
  co_return ret;
}

task<void> iommu_unpreserve_locked(World& w, iommu_device* iommu, kptr<iommu_flb_obj> flb_obj) {
  kptr<iommu_hw_ser> iommu_hw_ser = iommu->outgoing_preserved_state;

  lockdep_assert_held(w, &flb_obj->lock);
  if (hw_record_missing(w, iommu_hw_ser))
    co_return;
  if (hw_unpreserve_ops_missing(w, iommu->ops))
    co_return;

  if (kept(w, mutant::skip_refcount_put))
    iommu_hw_ser->hdr.ref_count--;
  if (iommu_hw_ser->hdr.ref_count)
    co_return;

  if (kept(w, mutant::keep_outgoing_state))
    iommu->outgoing_preserved_state = nullptr;
  co_await sched_point(w, "iommu->ops->unpreserve");
  if (kept(w, mutant::skip_hw_unpreserve_op))
    iommu->ops->unpreserve(w, iommu, iommu_hw_ser);
  if (kept(w, mutant::skip_hw_deleted))
    iommu_hw_ser->hdr.deleted = true;
}

void free_array(World& w, phys_addr_t head) {
  for (phys_addr_t phys = head; phys != 0;) {
    kptr<kho_page> page(kho_page_at(w, phys));
    phys = page->hdr.next;
    kho_unpreserve_free(w, page);
  }
}

// Rule 5: the last file is gone while records are live. Nothing can
// unpreserve them later, so release them now, loudly.
void iommu_release_all(World& w) {
  bool live = false;
  for (const device& dev : w.devices) live |= bool(dev.iommu->device_ser);
  for (const iommu_device& iommu : w.iommus) live |= bool(iommu.outgoing_preserved_state);
  for (const iommu_domain& domain : w.domains) live |= bool(domain.preserved_state);
  if (!WARN_ON_ONCE(w, live))
    return;

  for (device& dev : w.devices) {
    kptr<iommu_device_ser> device_ser = dev.iommu->device_ser;
    if (!device_ser)
      continue;
    device_ser->hdr.deleted = true;
    dev.iommu->iommu_dev->ops->unpreserve_device(w, &dev, device_ser);
    dev.iommu->device_ser = nullptr;
  }
  for (iommu_device& iommu : w.iommus) {
    kptr<iommu_hw_ser> iommu_hw_ser = iommu.outgoing_preserved_state;
    if (!iommu_hw_ser)
      continue;
    iommu.outgoing_preserved_state = nullptr;
    iommu.ops->unpreserve(w, &iommu, iommu_hw_ser);
    iommu_hw_ser->hdr.deleted = true;
    iommu_hw_ser->hdr.ref_count = 0;
  }
  for (iommu_domain& domain : w.domains) {
    kptr<iommu_domain_ser> domain_ser = domain.preserved_state;
    if (!domain_ser)
      continue;
    domain.ops->unpreserve(w, &domain, domain_ser);
    domain_ser->hdr.deleted = true;
    domain.preserved_state = nullptr;
  }
}

}  // namespace

// ---- FLB callbacks -------------------------------------------------------------

int iommu_flb_preserve(World& w, kptr<iommu_flb_obj>* obj_out) {
  kptr<iommu_flb_obj> obj;
  int ret;

  ret = should_fail(w, fault_site::flb_kzalloc);  // kzalloc() returning NULL
  if (ret)
    return ret;
  obj = w.flb_cache.alloc();

  obj->ser = kho_alloc_preserve(w, kho_page_kind::ser_root, fault_site::kho_flb_root);
  if (IS_ERR(obj->ser)) {
    ret = PTR_ERR(obj->ser);
    goto err_free_obj;
  }
  if (flb_writes_version(w))  // v4
    obj->ser->root.version = IOMMU_LUO_FLB_VERSION;
  obj->curr_iommu_array = kho_alloc_preserve(w, kho_page_kind::iommu_array, fault_site::kho_flb_array);
  if (IS_ERR(obj->curr_iommu_array)) {
    ret = PTR_ERR(obj->curr_iommu_array);
    goto err_free_ser;
  }
  obj->curr_domain_array = kho_alloc_preserve(w, kho_page_kind::domain_array, fault_site::kho_flb_array);
  if (IS_ERR(obj->curr_domain_array)) {
    ret = PTR_ERR(obj->curr_domain_array);
    goto err_free_iommu_array;
  }
  obj->curr_device_array = kho_alloc_preserve(w, kho_page_kind::device_array, fault_site::kho_flb_array);
  if (IS_ERR(obj->curr_device_array)) {
    ret = PTR_ERR(obj->curr_device_array);
    goto err_free_domain_array;
  }

  obj->ser->root.iommu_array = obj->curr_iommu_array->phys;
  obj->ser->root.domain_array = obj->curr_domain_array->phys;
  obj->ser->root.device_array = obj->curr_device_array->phys;
  *obj_out = obj;
  return 0;

err_free_domain_array:
  kho_unpreserve_free(w, obj->curr_domain_array);
err_free_iommu_array:
  kho_unpreserve_free(w, obj->curr_iommu_array);
err_free_ser:
  kho_unpreserve_free(w, obj->ser);
err_free_obj:
  w.flb_cache.free(obj);
  return ret;
}

void iommu_flb_unpreserve(World& w, kptr<iommu_flb_obj> flb_obj) {
  if (w.rules.flb_teardown_unpreserves && kept(w, mutant::skip_teardown_release))  // rule 5
    iommu_release_all(w);

  free_array(w, flb_obj->ser->root.iommu_array);
  free_array(w, flb_obj->ser->root.domain_array);
  if (kept(w, mutant::skip_free_device_array))
    free_array(w, flb_obj->ser->root.device_array);
  kho_unpreserve_free(w, flb_obj->ser);
  w.flb_cache.free(flb_obj);
}

// ---- patch 03: domains -----------------------------------------------------------

task<int> iommu_domain_preserve(World& w, iommu_domain* domain) {
  kptr<iommu_flb_obj> flb_obj;
  kptr<iommu_domain_ser> domain_ser;
  int ret;

  if (!domain->ops->preserve || domain_ops_lack_unpreserve(w, domain))
    co_return -EOPNOTSUPP;
  if (domain_lacks_unpreserve(w, domain))
    co_return -EOPNOTSUPP;

  ret = co_await liveupdate_flb_get_outgoing(w, &w.iommu_flb, &flb_obj);
  if (ret)
    co_return ret;
  flb_reference put(w);

  auto guard = co_await guard_mutex(w, &flb_obj->lock);
  if (domain_already_preserved(w, domain))
    co_return -EBUSY;

  domain_ser = alloc_iommu_domain_ser(w, flb_obj);
  if (IS_ERR(domain_ser))
    co_return PTR_ERR(domain_ser);

  co_await sched_point(w, "domain->ops->preserve");
  ret = domain->ops->preserve(w, domain, domain_ser);
  if (ret) {
    if (kept(w, mutant::skip_domain_error_deleted))
      domain_ser->hdr.deleted = true;
    co_return ret;
  }

  domain->preserved_state = domain_ser;
  co_return 0;
}

task<void> iommu_domain_unpreserve(World& w, iommu_domain* domain) {
  kptr<iommu_flb_obj> flb_obj;
  int ret;

  // Rule 1 at the other end: without the op there is nothing to undo with,
  // and a silent return would hide the driver's gap (SPEC: missing-unpreserve-warns).
  if (domain_unpreserve_lacks_op(w, domain))
    co_return;

  ret = co_await liveupdate_flb_get_outgoing(w, &w.iommu_flb, &flb_obj);
  if (unpreserve_get_failed(w, ret))
    co_return;
  flb_reference put(w);

  auto guard = co_await guard_mutex(w, &flb_obj->lock);
  if (domain_not_preserved(w, domain))
    co_return;
  // Devices are still preserved against this domain (its record counts
  // them); unpreserving it now would leave their records dangling.
  if (domain_has_devices(w, domain))
    co_return;

  co_await sched_point(w, "domain->ops->unpreserve");
  if (kept(w, mutant::skip_domain_unpreserve_op))
    domain->ops->unpreserve(w, domain, domain->preserved_state);
  if (kept(w, mutant::skip_domain_deleted))
    domain->preserved_state->hdr.deleted = true;
  if (kept(w, mutant::keep_domain_state))
    domain->preserved_state = nullptr;
}

// ---- patch 04: devices and IOMMU HW ------------------------------------------------

task<int> iommu_preserve_device(World& w, iommu_domain* domain, device* dev, u64* preserved_state) {
  kptr<iommu_flb_obj> flb_obj;
  kptr<iommu_device_ser> device_ser;
  dev_iommu* iommu;
  pci_dev* pdev;
  int ret;

  if (!dev_is_pci(dev))
    co_return -EOPNOTSUPP;

  // Rule 1 comes first, so that such a driver is refused (and named) whatever
  // else is wrong with the call.
  if (device_lacks_unpreserve(w, dev->iommu->iommu_dev->ops))
    co_return -EOPNOTSUPP;

  if (domain_read_unlocked(w)) {
    co_await sched_point(w, "read domain->preserved_state");
    if (!domain->preserved_state)
      co_return -EINVAL;
  }

  if (!iommu_group_dma_owner_claimed(dev->iommu_group))
    co_return -EINVAL;

  pdev = to_pci_dev(dev);
  iommu = dev->iommu;
  if (device_ops_missing(w, iommu->iommu_dev->ops))
    co_return -EOPNOTSUPP;
  if (device_already_preserved_unlocked(w, iommu))
    co_return busy_errno(w);

  ret = co_await liveupdate_flb_get_outgoing(w, &w.iommu_flb, &flb_obj);
  if (ret)
    co_return ret;
  flb_reference put(w);

  auto guard = co_await guard_mutex(w, &flb_obj->lock);
  if (domain_gone_under_lock(w, domain))
    co_return -EINVAL;
  if (device_already_preserved(w, iommu)) {
    if (mutated(w, mutant::skip_put_on_busy))
      put.leak();
    co_return busy_errno(w);
  }

  device_ser = alloc_iommu_device_ser(w, flb_obj);
  if (IS_ERR(device_ser))
    co_return PTR_ERR(device_ser);

  ret = co_await iommu_preserve_locked(w, iommu->iommu_dev, flb_obj);
  if (ret) {
    if (kept(w, mutant::skip_device_error_deleted))
      device_ser->hdr.deleted = true;
    co_return ret;
  }

  device_ser->domain_iommu_ser.domain_phys = __pa(domain->preserved_state);
  device_ser->domain_iommu_ser.iommu_phys = __pa(iommu->iommu_dev->outgoing_preserved_state);
  device_ser->devid = pci_dev_id(pdev);
  device_ser->pci_domain_nr = pci_domain_nr(pdev->bus);

  co_await sched_point(w, "iommu->ops->preserve_device");
  ret = iommu->iommu_dev->ops->preserve_device(w, dev, device_ser);
  if (!ret && group_checked_after_preserve(w)) {
    dev->iommu->device_ser = device_ser;  // WRITE_ONCE
    // v4: a device whose group has others cannot be preserved on its own
    // (they share its DMA context); the group is checked last, once
    // everything is in place, and the preserve undone.
    if (group_not_singleton(w, dev)) {
      dev->iommu->device_ser->hdr.deleted = true;
      if (kept(w, mutant::singleton_skip_unpreserve_device))
        iommu->iommu_dev->ops->unpreserve_device(w, dev, device_ser);
      if (kept(w, mutant::singleton_keep_device_ser))
        dev->iommu->device_ser = nullptr;  // WRITE_ONCE
      ret = -EOPNOTSUPP;
    }
  }
  if (ret) {
    if (kept(w, mutant::skip_device_op_error_deleted))
      device_ser->hdr.deleted = true;
    if (kept(w, mutant::skip_error_hw_put))
      co_await iommu_unpreserve_locked(w, iommu->iommu_dev, flb_obj);
    co_return ret;
  }

  domain_ser_get(w, domain);
  dev->iommu->device_ser = device_ser;
  *preserved_state = virt_to_phys(device_ser);
  co_return 0;
}

task<void> iommu_unpreserve_device(World& w, iommu_domain* domain, device* dev) {
  kptr<iommu_flb_obj> flb_obj;
  kptr<iommu_device_ser> iommu_device_ser;
  dev_iommu* iommu;
  int ret;

  if (!dev_is_pci(dev))
    co_return;

  if (unpreserve_refused_unowned(w, dev))
    co_return;

  iommu = dev->iommu;
  if (device_unpreserve_lacks_op(w, iommu->iommu_dev->ops))
    co_return;

  // The seed stops here; what follows continues it the plain way (docs/SPEC.md).
  ret = co_await liveupdate_flb_get_outgoing(w, &w.iommu_flb, &flb_obj);
  if (unpreserve_get_failed(w, ret))
    co_return;
  flb_reference put(w);

  auto guard = co_await guard_mutex(w, &flb_obj->lock);
  iommu_device_ser = dev->iommu->device_ser;
  if (device_not_preserved(w, iommu_device_ser))
    co_return;
  if (device_on_other_domain(w, iommu_device_ser, domain))
    co_return;
  if (kept(w, mutant::skip_device_deleted))
    iommu_device_ser->hdr.deleted = true;
  co_await sched_point(w, "iommu->ops->unpreserve_device");
  if (kept(w, mutant::skip_device_unpreserve_op))
    iommu->iommu_dev->ops->unpreserve_device(w, dev, iommu_device_ser);
  if (kept(w, mutant::keep_device_ser))
    dev->iommu->device_ser = nullptr;
  domain_ser_put(w, domain);
  if (mutated(w, mutant::drop_lock_early))  // luv mutant: lock-discipline must catch it
    mutex_unlock(w, &flb_obj->lock);
  co_await iommu_unpreserve_locked(w, iommu->iommu_dev, flb_obj);
}

// Asked by iommu_group_add_device() under the group's mutex. The device
// preserve publishes its record and checks iommu_group_is_singleton() in one
// step too (both under that mutex in the kernel), so of a preserve and a
// join that race, one sees the other.
bool iommu_group_has_preserved_device(World& w, const iommu_group* group) {
  for (const device& dev : w.devices)
    if (dev.iommu_group == group && dev.iommu->device_ser)
      return true;
  return false;
}

}  // namespace luv::impl
