// The variants: each is a set of switches, one per kernel behaviour that
// differs between revisions (the reference's rules, and how a revision writes
// its checks).
//
// One table, read by the implementation (impl/) and by the Z3 encoding
// (solver/), so the two cannot drift apart: a rule is a field here, and each
// code path that a rule changes tests that field and nothing else.
// Adding the next patch revision means adding one row.
#pragma once
#include <string>
#include <vector>

namespace luv::impl {

// One-line deviations from the reference, used by `luv mutants` to check that
// the properties catch each. none = the variant's own code.
enum class mutant : unsigned char {
  none,
  keep_error_record_live,  // iommu_preserve_locked: a failed op leaves its HW record live
  skip_refcount_get,       // iommu_preserve_locked: sharing a HW record without ref_count++
  restore_deleted,         // next kernel: restores records flagged deleted
  drop_lock_early,         // iommu_unpreserve_device: unlocks flb_obj->lock before iommu_unpreserve_locked
  // explore/ (luv mutants): one guarded line each in impl/
  skip_domain_error_deleted,  // iommu_domain_preserve: a failed domain op leaves its record live
  skip_device_error_deleted,  // iommu_preserve_device: a failed HW preserve leaves the device record live
  skip_device_op_error_deleted,  // iommu_preserve_device: a failed preserve_device op leaves the device record live
  skip_error_hw_put,  // iommu_preserve_device: a failed preserve_device op keeps its HW reference
  skip_refcount_put,  // iommu_unpreserve_locked: drops a device without ref_count--
  skip_hw_deleted,  // iommu_unpreserve_locked: the last put leaves the HW record live
  skip_hw_unpreserve_op,  // iommu_unpreserve_locked: forgets the driver's unpreserve (its private pages stay)
  keep_outgoing_state,  // iommu_unpreserve_locked: the last put keeps outgoing_preserved_state set
  skip_device_unpreserve_op,  // iommu_unpreserve_device: forgets the driver's unpreserve_device (its pages stay)
  skip_device_deleted,  // iommu_unpreserve_device: leaves the device record live
  keep_device_ser,  // iommu_unpreserve_device: keeps dev->iommu->device_ser set
  skip_domain_refcount_put,  // iommu_unpreserve_device: the domain record keeps counting the device
  skip_domain_refcount_get,  // iommu_preserve_device: the domain record does not count the device
  skip_domain_unpreserve_op,  // iommu_domain_unpreserve: forgets the domain op (page tables stay preserved)
  skip_domain_deleted,  // iommu_domain_unpreserve: leaves the domain record live
  keep_domain_state,  // iommu_domain_unpreserve: keeps domain->preserved_state set
  no_recheck_under_lock,  // iommu_preserve_device: the domain check only outside flb_obj->lock
  accept_double_device_preserve,  // iommu_preserve_device: a device preserved twice is accepted
  accept_double_domain_preserve,  // iommu_domain_preserve: a domain preserved twice is accepted
  warn_without_refusing,  // iommu_domain_preserve: warns about a missing unpreserve op but goes on
  refuse_without_warning,  // iommu_preserve_device: refuses a driver lacking unpreserve ops without a warning
  leak_flb_reference,  // flb_reference: never drops the FLB reference (the FLB outlives its last file)
  skip_free_device_array,  // iommu_flb_unpreserve: forgets to free the device array's pages
  skip_teardown_release,  // iommu_flb_unpreserve: the last file's teardown leaves live records behind
  flb_get_without_file,  // liveupdate_flb_get_outgoing: hands out the FLB after its last file is gone
  skip_file_busy_check,  // liveupdate_preserve_file: a file preserved twice counts twice
  alloc_object_ser_off_by_one,  // alloc_object_ser: the page-full test lets one record more than a page holds
  // v4's new lines in iommu_preserve_device (the reference has them too)
  singleton_keep_device_ser,  // iommu_preserve_device (v4): the group-not-singleton rollback leaves dev->iommu->device_ser set
  singleton_skip_unpreserve_device,  // iommu_preserve_device (v4): the rollback forgets the driver's unpreserve_device (its pages stay)
  accept_shared_group,  // iommu_preserve_device (v4): the iommu_group_is_singleton() check is dropped: a shared group's device is kept
  busy_device_einval,  // iommu_preserve_device (v4): a device preserved twice is refused with -EINVAL, not -EBUSY
  busy_check_before_lock,  // iommu_preserve_device (v4): the already-preserved check reads dev->iommu->device_ser before flb_obj->lock
  skip_put_on_busy,  // iommu_preserve_device (v4): the -EBUSY refusal returns without liveupdate_flb_put_outgoing()
  // v4's FLB version and incoming reference (the reference has them too)
  flb_version_unset,  // iommu_flb_preserve: the root record's version is left unwritten (every restore panics)
  skip_put_incoming,  // iommu_for_each_preserved_device: returns without liveupdate_flb_put_incoming()
};
// Every enumerator above, counting none; a new mutant bumps it and adds its
// name in variant.cpp.
inline constexpr int MUTANT_COUNT = 40;
const char* mutant_name(mutant m);
bool mutant_parse(const std::string& name, mutant& out);

// One switch per kernel behaviour that differs between revisions; each is
// read where that behaviour's lines are in impl/ (through a named hook of
// impl/mutants.h; domain_counts_devices at its get and its put) and at the
// lines of solver/encoding/ that mirror them. docs/SPEC.md's rules name
// groups of them (rule 3 is five behaviours).
struct variant_rules {
  // A row names the switches it turns on; those it leaves out are off (v2).
  const char* name;
  const char* summary;
  // rule 1: a driver lacking an unpreserve twin is refused, loudly.
  bool refuse_domain_without_unpreserve = false;  // iommu_domain_preserve: WARN_ON_ONCE, -EOPNOTSUPP
  bool warn_domain_unpreserve_without_op = false; // iommu_domain_unpreserve: WARN_ON_ONCE and return
  bool refuse_device_without_unpreserve = false;  // iommu_preserve_device: WARN_ON_ONCE, -EOPNOTSUPP
  // The review's WARN_ON_ONCE in iommu_unpreserve_device (a missing unpreserve op).
  bool warn_missing_unpreserve = false;
  // rule 2: iommu_preserve_device checks domain->preserved_state again under flb_obj->lock.
  bool check_under_lock = false;
  // rule 3: repeated, missing and out-of-order calls refused.
  bool refuse_repeated_domain_preserve = false;   // iommu_domain_preserve: -EBUSY when already preserved
  bool refuse_repeated_device_preserve = false;   // iommu_preserve_device: -EBUSY when already preserved
  bool warn_unpreserve_unpreserved_domain = false;  // iommu_domain_unpreserve: WARN_ON_ONCE when not preserved
  bool refuse_unpreserve_busy_domain = false;     // iommu_domain_unpreserve: WARN_ON_ONCE, kept while devices on it
  bool domain_counts_devices = false;             // iommu_{,un}preserve_device: the domain's ref_count counts them
  bool warn_unpreserve_unpreserved_device = false;  // iommu_unpreserve_device: WARN_ON_ONCE when not preserved
  bool refuse_unpreserve_other_domain = false;    // iommu_unpreserve_device: WARN_ON_ONCE when on another domain
  // rule 4: liveupdate_flb_get_outgoing takes a reference, -ENOENT when none.
  bool hold_flb_reference = false;
  // rule 5: the last file's teardown releases what is still preserved.
  bool flb_teardown_unpreserves = false;
  // v3 onwards: the ops checks refuse a missing unpreserve op silently, where
  // the posted lines ask for it (rule 1 asks for a warning besides).
  bool domain_needs_both_ops = false;   // iommu_preserve_domain: !preserve || !unpreserve -> -EOPNOTSUPP
  bool device_needs_four_ops = false;   // iommu_preserve_device, after the DMA-owner check: all four ops
  // v3 onwards: iommu_preserve_device reads domain->preserved_state under
  // flb_obj->lock only (v2 and the reference read it first without the lock).
  bool domain_checked_under_lock_only = false;
  // v3 onwards: the unpreserve paths' checks are WARN_ON, every call, not WARN_ON_ONCE.
  bool warn_on_every_call = false;
  // v3 onwards: the unpreserves WARN_ON a failed liveupdate_flb_get_outgoing.
  bool warn_unpreserve_without_flb = false;
  // v3 onwards: iommu_unpreserve_locked WARNs and returns on a missing HW
  // record or ops, before its ref_count--.
  bool guard_unpreserve_locked = false;
  // v4: iommu_preserve_device, once the driver op succeeded, publishes the
  // record, then undoes it all (-EOPNOTSUPP) if the device's IOMMU group is
  // not a singleton.
  bool refuse_non_singleton_group = false;
  // rule 6: iommu_unpreserve_device does not return on a group whose DMA
  // owner was released since the preserve (every posted revision does, and
  // leaves the record and the driver's pages to the next kernel).
  bool unpreserve_ignores_owner = false;
  // rule 6: iommu_group_add_device() refuses (-EBUSY) a group one of whose
  // devices is preserved (no posted revision looks: the preserved device's
  // DMA context is then shared with a device the next kernel does not know).
  bool refuse_growth_of_preserved_group = false;
  // v4: iommu_flb_preserve writes IOMMU_LUO_FLB_VERSION into the root record;
  // the next kernel's iommu_liveupdate_flb_get_incoming() panics on another
  // version or an array address of 0 (luv: an error of the restore, which stops).
  bool flb_versioned = false;
  // v4: the next kernel's walks (iommu_get_preserved_data,
  // iommu_for_each_preserved_device) take the incoming FLB with
  // liveupdate_flb_get_incoming() and drop it with liveupdate_flb_put_incoming();
  // LUO runs the FLB's finish only when no reference is held.
  bool hold_incoming_flb = false;
  mutant mut = mutant::none;
  friend bool operator==(const variant_rules&, const variant_rules&) = default;
};

// The rules the code reads through a question (ask_rule() in impl/mutants.h)
// rather than straight from World::rules, so that the explorer can search
// variants differing only in them as one (docs/DESIGN.md, "Variants
// searched together"): the question notes its answer in the thread's op
// footprint, as a question of an op set does.
enum class asked_rule : unsigned char { warn_missing_unpreserve };
inline constexpr int ASKED_RULE_COUNT = 1;
bool variant_rules::*rule_field(asked_rule r);
// Whether a and b differ in nothing but asked rules (and their names).
bool alike_but_asked(const variant_rules& a, const variant_rules& b);

// The shipped variants: reference, v2, v2-warn, v3, v4.
const std::vector<variant_rules>& shipped_variants();
// A shipped variant by name, or "BASE+mutant:NAME" (a shipped variant with
// one mutant applied, e.g. "reference+mutant:skip_refcount_get"), or null.
// The pointer stays valid for the program's life.
const variant_rules* find_variant(const std::string& name);
// "reference, v2, ...": the shipped rows' names, in table order.
std::string shipped_variant_names();
// "" for a name find_variant() knows; otherwise the one message every reader
// of a variant name gives: "unknown variant 'v9' (expected one of ...)".
std::string unknown_variant(const std::string& name);

}  // namespace luv::impl
