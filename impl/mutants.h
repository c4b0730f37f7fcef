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
#include "linux/errno.h"

namespace luv::impl {

using site_t = std::source_location;

// A rule read through a question (impl/variant.h, asked_rule): answered from
// the thread's op masks' rules when the explorer set them, noted in its op
// footprint, as ask_ops() answers and notes an op set's question.
inline bool ask_rule(const World& w, asked_rule r) {
  const op_masks* m = thread_op_masks;
  const variant_rules& rules = m != nullptr && m->rules != nullptr ? *m->rules : w.rules;
  bool answer = rules.*rule_field(r);
  if (op_footprint* f = thread_op_footprint) f->note_rule(static_cast<int>(r), answer);
  return answer;
}

inline bool mutated(const World& w, mutant m) { return w.rules.mut == m; }
// The line runs unless mutant m is the one that skips it.
inline bool kept(const World& w, mutant m) { return w.rules.mut != m; }

// v2 and the reference warn once per site (WARN_ON_ONCE); from v3 on the
// unpreserve paths' checks are WARN_ON, which fires on every call.
inline bool warn_unpreserve_check(World& w, bool condition, site_t site) {
  return w.rules.warn_on_every_call ? WARN_ON(w, condition, site) : WARN_ON_ONCE(w, condition, site);
}

// A condition on several of a driver's ops is one question asked of its op
// set (impl/op_footprint.h), so that op sets giving the condition the same
// value count as alike, whichever op made it so. The question reads the
// ops as the kernel line does: ops.preserve is "ops->preserve is there".
struct iommu_ops_there {
  bool preserve, unpreserve, preserve_device, unpreserve_device;
};
template <typename Q>
bool ask(const iommu_ops* ops, Q question) {
  return ask_ops(ops->owner, [&](u8 mask) {
    return question(iommu_ops_there{(mask & IOMMU_OP_PRESERVE) != 0, (mask & IOMMU_OP_UNPRESERVE) != 0,
                                    (mask & IOMMU_OP_PRESERVE_DEVICE) != 0, (mask & IOMMU_OP_UNPRESERVE_DEVICE) != 0});
  });
}

// Rule 1 asked of a driver's ops.
inline bool iommu_lacks_unpreserve(const iommu_ops* ops) {
  return ask(ops, [](const iommu_ops_there& o) {
    return iommu_lacks_unpreserve_twin<bool>(o.preserve, o.unpreserve, o.preserve_device, o.unpreserve_device);
  });
}

// ---- iommu_domain_preserve ----------------------------------------------------

// if (WARN_ON_ONCE(!domain->ops->unpreserve)) return -EOPNOTSUPP;   (rule 1)
inline bool domain_lacks_unpreserve(World& w, const iommu_domain* domain, site_t site = site_t::current()) {
  if (!w.rules.refuse_domain_without_unpreserve) return false;
  return WARN_ON_ONCE(w, !domain->ops->unpreserve, site) && kept(w, mutant::warn_without_refusing);
}

// v3 on: if (!pt->ops->preserve || !pt->ops->unpreserve) return -EOPNOTSUPP;   (no warning)
inline bool domain_ops_lack_unpreserve(const World& w, const iommu_domain* domain) {
  return w.rules.domain_needs_both_ops && !domain->ops->unpreserve;
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
  return w.rules.warn_domain_unpreserve_without_op && warn_unpreserve_check(w, !domain->ops->unpreserve, site);
}

// ret = liveupdate_flb_get_outgoing(...); if (WARN_ON(ret)) return;   (v3 on; v2 and
// the reference return quietly: with nothing preserved there is nothing to undo)
inline bool unpreserve_get_failed(World& w, int ret, site_t site = site_t::current()) {
  if (w.rules.warn_unpreserve_without_flb) return WARN_ON(w, ret != 0, site);
  return ret != 0;
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

// The read of domain->preserved_state before the DMA-owner check, without
// flb_obj->lock (v2, and the reference's fast refusal); v3 on read it under the lock only.
inline bool domain_read_unlocked(const World& w) { return !w.rules.domain_checked_under_lock_only; }

// The ops check after the DMA-owner check: v2 asks for preserve_device and
// preserve; v3 on for all four (a missing unpreserve op refused silently).
inline bool device_ops_missing(const World& w, const iommu_ops* ops) {
  return ask(ops, [four = w.rules.device_needs_four_ops](const iommu_ops_there& o) {
    if (!o.preserve_device || !o.preserve) return true;
    return four && (!o.unpreserve_device || !o.unpreserve);
  });
}

// iommu_preserve_locked: v3 on, if (!iommu->ops->preserve || !iommu->ops->unpreserve) return -EOPNOTSUPP;
inline bool hw_ops_missing(const World& w, const iommu_ops* ops) {
  return ask(ops, [four = w.rules.device_needs_four_ops](const iommu_ops_there& o) {
    return !o.preserve || (four && !o.unpreserve);
  });
}

// if (!domain->preserved_state) return -EINVAL;   again, under flb_obj->lock (rule 2)
inline bool domain_gone_under_lock(const World& w, const iommu_domain* domain) {
  return w.rules.check_under_lock && kept(w, mutant::no_recheck_under_lock) && !domain->preserved_state;
}

// if (iommu->device_ser) return -EBUSY;   (rule 3)
inline bool device_already_preserved(const World& w, const dev_iommu* iommu) {
  return w.rules.refuse_repeated_device_preserve && kept(w, mutant::accept_double_device_preserve) &&
         kept(w, mutant::busy_check_before_lock) && iommu->device_ser;
}
// luv mutant busy_check_before_lock: the same check, made before the FLB get and its lock.
inline bool device_already_preserved_unlocked(const World& w, const dev_iommu* iommu) {
  return w.rules.refuse_repeated_device_preserve && mutated(w, mutant::busy_check_before_lock) && iommu->device_ser;
}
inline int busy_errno(const World& w) { return mutated(w, mutant::busy_device_einval) ? -EINVAL : -EBUSY; }

// v4: once the driver op succeeded, the record is published and the group asked.
inline bool group_checked_after_preserve(const World& w) { return w.rules.refuse_non_singleton_group; }

// v4: /* no sibling device was added concurrently */ if (!iommu_group_is_singleton(group))
inline bool group_not_singleton(const World& w, const device* dev) {
  return kept(w, mutant::accept_shared_group) && !iommu_group_is_singleton(dev->iommu_group);
}

// if (!iommu_group_dma_owner_claimed(dev->iommu_group)) return;   in
// iommu_unpreserve_device (rule 6: the reference unpreserves what it
// preserved, whoever owns the group now)
inline bool unpreserve_refused_unowned(const World& w, const device* dev) {
  return !w.rules.unpreserve_ignores_owner && !iommu_group_dma_owner_claimed(dev->iommu_group);
}

// rule 6: iommu_group_add_device() refuses a group with a preserved device
inline bool group_growth_refused(const World& w) { return w.rules.refuse_growth_of_preserved_group; }

// domain->preserved_state->hdr.ref_count++;   (rule 3: the domain record counts its devices)
inline void domain_ser_get(const World& w, iommu_domain* domain) {
  if (w.rules.domain_counts_devices && kept(w, mutant::skip_domain_refcount_get))
    domain->preserved_state->hdr.ref_count++;
}

// ---- iommu_unpreserve_device --------------------------------------------------

// if (WARN_ON_ONCE(!ops->unpreserve_device || !ops->unpreserve)) return;
// (the review's WARN_ON_ONCE; v2 returns quietly)
inline bool device_unpreserve_lacks_op(World& w, const iommu_ops* ops, site_t site = site_t::current()) {
  bool lacks = ask(ops, [](const iommu_ops_there& o) { return !o.unpreserve_device || !o.unpreserve; });
  // The rule is asked only where it changes something (a check that holds
  // warns nowhere), so that v2 and v2-warn part only there.
  if (lacks && ask_rule(w, asked_rule::warn_missing_unpreserve)) return warn_unpreserve_check(w, true, site);
  return lacks;
}

// if (WARN_ON_ONCE(!device_ser)) return;   (rule 3)
inline bool device_not_preserved(World& w, const kptr<iommu_device_ser>& ser,
                                 site_t site = site_t::current()) {
  return w.rules.warn_unpreserve_unpreserved_device && warn_unpreserve_check(w, !ser, site);
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

// ---- iommu_unpreserve_locked ---------------------------------------------------

// v3 on: if (WARN_ON(!iommu_hw_ser)) return;
inline bool hw_record_missing(World& w, const kptr<iommu_hw_ser>& ser, site_t site = site_t::current()) {
  return w.rules.guard_unpreserve_locked && WARN_ON(w, !ser, site);
}
// v3 on: if (WARN_ON_ONCE(!iommu->ops->preserve || !iommu->ops->unpreserve)) return;
inline bool hw_unpreserve_ops_missing(World& w, const iommu_ops* ops, site_t site = site_t::current()) {
  return w.rules.guard_unpreserve_locked &&
         WARN_ON_ONCE(w, ask(ops, [](const iommu_ops_there& o) { return !o.preserve || !o.unpreserve; }), site);
}

// ---- alloc_object_ser ---------------------------------------------------------

// The page-full test's bound: max_objs records fit a page.
inline u32 objs_page_full(const World& w, int max_objs) {
  return static_cast<u32>(mutated(w, mutant::alloc_object_ser_off_by_one) ? max_objs + 1 : max_objs);
}

// ---- the FLB's root record and the next kernel's incoming FLB (v4) ------------

// iommu_flb_preserve: ser->version = IOMMU_LUO_FLB_VERSION;
inline bool flb_writes_version(const World& w) {
  return w.rules.flb_versioned && kept(w, mutant::flb_version_unset);
}

// iommu_liveupdate_flb_get_incoming: if (flb_obj->ser->version != IOMMU_LUO_FLB_VERSION) goto err_fatal;
inline bool flb_version_mismatch(const World& w, const iommu_ser& ser) {
  return w.rules.flb_versioned && ser.version != IOMMU_LUO_FLB_VERSION;
}
// if (!ser->iommu_array_phys || !ser->device_array_phys || !ser->iommu_domain_array_phys) goto err_fatal;
inline bool flb_array_missing(const World& w, const iommu_ser& ser) {
  return w.rules.flb_versioned && (!ser.iommu_array || !ser.device_array || !ser.domain_array);
}

// The walks' liveupdate_flb_put_incoming(&iommu_flb);   (v4; before it, no reference was taken)
inline bool walk_holds_incoming(const World& w) { return w.rules.hold_incoming_flb; }
// iommu_for_each_preserved_device's put, the one skip_put_incoming drops.
inline bool device_walk_puts_incoming(const World& w) {
  return w.rules.hold_incoming_flb && kept(w, mutant::skip_put_incoming);
}

}  // namespace luv::impl
