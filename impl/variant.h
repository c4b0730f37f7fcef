// The variants: each is the reference lifecycle minus named rules.
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
};
// Every enumerator above, counting none; a new mutant bumps it and adds its
// name in variant.cpp.
inline constexpr int MUTANT_COUNT = 5;
const char* mutant_name(mutant m);
bool mutant_parse(const std::string& name, mutant& out);

struct variant_rules {
  const char* name;
  const char* summary;
  // SPEC.md's rules for the reference, each one a switch.
  bool refuse_missing_unpreserve;  // rule 1: preserve refused (WARN_ON_ONCE, -EOPNOTSUPP) without the twin
  bool warn_missing_unpreserve;    // the review's WARN_ON_ONCE in iommu_unpreserve_device
  bool check_under_lock;           // rule 2: state checks repeated under flb_obj->lock
  bool refuse_bad_order;           // rule 3: repeated, missing, out-of-order calls refused
  bool hold_flb_reference;         // rule 4: get_outgoing takes a reference, -ENOENT when none
  bool flb_teardown_unpreserves;   // rule 5: the last file's teardown releases what is still preserved
  mutant mut = mutant::none;
};

// The shipped variants: reference, v2, v2-warn.
const std::vector<variant_rules>& shipped_variants();
// A shipped variant by name, or "BASE+mutant:NAME" (a shipped variant with
// one mutant applied, e.g. "reference+mutant:skip_refcount_get"), or null.
// The pointer stays valid for the program's life.
const variant_rules* find_variant(const std::string& name);

}  // namespace luv::impl
