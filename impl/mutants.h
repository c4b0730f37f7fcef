// The lines of drivers/iommu/liveupdate.c that a revision or a mutant changes,
// each behind a hook named after what the kernel line does.
//
// The kernel code calls the hook where the patch has the line, so it reads as
// posted; the machinery (the variant table's switches, `luv mutants`'
// one-line deviations) sits here, beside it and out of it. A hook that warns
// takes its caller's source location, so that the warning is the caller's
// line and function, as the kernel's WARN_ON_ONCE would be.
#pragma once
#include <source_location>

#include "impl/iommu.h"
#include "impl/unpreserve_twin.h"
#include "impl/world.h"
#include "linux/bug.h"

namespace luv::impl {

using site_t = std::source_location;

inline bool mutated(const World& w, mutant m) { return w.rules.mut == m; }
// The line runs unless mutant m is the one that skips it.
inline bool kept(const World& w, mutant m) { return w.rules.mut != m; }

// Rule 1 asked of a driver's ops.
inline bool iommu_lacks_unpreserve(const iommu_ops* ops) {
  return iommu_lacks_unpreserve_twin<bool>(bool(ops->preserve), bool(ops->unpreserve),
                                           bool(ops->preserve_device), bool(ops->unpreserve_device));
}

// ---- iommu_domain_preserve ----------------------------------------------------

// if (WARN_ON_ONCE(!domain->ops->unpreserve)) return -EOPNOTSUPP;   (rule 1)
inline bool domain_lacks_unpreserve(World& w, const iommu_domain* domain, site_t site = site_t::current()) {
  if (!w.rules.refuse_domain_without_unpreserve) return false;
  return WARN_ON_ONCE(w, !domain->ops->unpreserve, site) && kept(w, mutant::warn_without_refusing);
}

// if (domain->preserved_state) return -EBUSY;   (rule 3)
inline bool domain_already_preserved(const World& w, const iommu_domain* domain) {
  return w.rules.refuse_repeated_domain_preserve && kept(w, mutant::accept_double_domain_preserve) &&
         domain->preserved_state;
}

// ---- iommu_domain_unpreserve --------------------------------------------------

// if (WARN_ON_ONCE(!domain->ops->unpreserve)) return;   (rule 1 at the other end)
inline bool domain_unpreserve_lacks_op(World& w, const iommu_domain* domain,
                                       site_t site = site_t::current()) {
  return w.rules.warn_domain_unpreserve_without_op && WARN_ON_ONCE(w, !domain->ops->unpreserve, site);
}

// if (WARN_ON_ONCE(!domain->preserved_state)) return;   (rule 3; v2 returns quietly)
inline bool domain_not_preserved(World& w, const iommu_domain* domain, site_t site = site_t::current()) {
  if (domain->preserved_state) return false;
  if (w.rules.warn_unpreserve_unpreserved_domain) WARN_ON_ONCE(w, true, site);
  return true;
}

// if (WARN_ON_ONCE(domain_ser->hdr.ref_count > 1)) return;   (rule 3: devices still use it)
inline bool domain_has_devices(World& w, const iommu_domain* domain, site_t site = site_t::current()) {
  return w.rules.refuse_unpreserve_busy_domain &&
         WARN_ON_ONCE(w, domain->preserved_state->hdr.ref_count > 1, site);
}

// ---- iommu_preserve_device ----------------------------------------------------

// if (WARN_ON_ONCE(iommu_lacks_unpreserve(ops))) return -EOPNOTSUPP;   (rule 1)
inline bool device_lacks_unpreserve(World& w, const iommu_ops* ops, site_t site = site_t::current()) {
  if (!w.rules.refuse_device_without_unpreserve) return false;
  if (mutated(w, mutant::refuse_without_warning)) return iommu_lacks_unpreserve(ops);
  return WARN_ON_ONCE(w, iommu_lacks_unpreserve(ops), site);
}

// if (!domain->preserved_state) return -EINVAL;   again, under flb_obj->lock (rule 2)
inline bool domain_gone_under_lock(const World& w, const iommu_domain* domain) {
  return w.rules.check_under_lock && kept(w, mutant::no_recheck_under_lock) && !domain->preserved_state;
}

// if (iommu->device_ser) return -EBUSY;   (rule 3)
inline bool device_already_preserved(const World& w, const dev_iommu* iommu) {
  return w.rules.refuse_repeated_device_preserve && kept(w, mutant::accept_double_device_preserve) &&
         iommu->device_ser;
}

// domain->preserved_state->hdr.ref_count++;   (rule 3: the domain record counts its devices)
inline void domain_ser_get(const World& w, iommu_domain* domain) {
  if (w.rules.domain_counts_devices && kept(w, mutant::skip_domain_refcount_get))
    domain->preserved_state->hdr.ref_count++;
}

// ---- iommu_unpreserve_device --------------------------------------------------

// if (WARN_ON_ONCE(!ops->unpreserve_device || !ops->unpreserve)) return;
// (the review's WARN_ON_ONCE; v2 returns quietly)
inline bool device_unpreserve_lacks_op(World& w, const iommu_ops* ops, site_t site = site_t::current()) {
  bool lacks = !ops->unpreserve_device || !ops->unpreserve;
  if (w.rules.warn_missing_unpreserve) return WARN_ON_ONCE(w, lacks, site);
  return lacks;
}

// if (WARN_ON_ONCE(!device_ser)) return;   (rule 3)
inline bool device_not_preserved(World& w, const kptr<iommu_device_ser>& ser,
                                 site_t site = site_t::current()) {
  return w.rules.warn_unpreserve_unpreserved_device && WARN_ON_ONCE(w, !ser, site);
}

// if (WARN_ON_ONCE(device_ser->domain_iommu_ser.domain_phys != __pa(domain->preserved_state))) return;
// (rule 3: preserved against another domain)
inline bool device_on_other_domain(World& w, const kptr<iommu_device_ser>& ser, const iommu_domain* domain,
                                   site_t site = site_t::current()) {
  return w.rules.refuse_unpreserve_other_domain &&
         WARN_ON_ONCE(w, ser->domain_iommu_ser.domain_phys != __pa(domain->preserved_state), site);
}

// domain->preserved_state->hdr.ref_count--;   (rule 3)
inline void domain_ser_put(const World& w, iommu_domain* domain) {
  if (w.rules.domain_counts_devices && kept(w, mutant::skip_domain_refcount_put))
    domain->preserved_state->hdr.ref_count--;
}

// ---- alloc_object_ser ---------------------------------------------------------

// The page-full test's bound: max_objs records fit a page.
inline u32 objs_page_full(const World& w, int max_objs) {
  return static_cast<u32>(mutated(w, mutant::alloc_object_ser_off_by_one) ? max_objs + 1 : max_objs);
}

}  // namespace luv::impl
