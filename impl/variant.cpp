#include "impl/variant.h"

#include <deque>
#include <iterator>

#include "linux/bug.h"

namespace luv::impl {

const std::vector<variant_rules>& shipped_variants() {
  static const std::vector<variant_rules> table = {
      {.name = "reference",
       .summary = "the lifecycle as it should be: every rule of docs/SPEC.md",
       .refuse_domain_without_unpreserve = true,
       .warn_domain_unpreserve_without_op = true,
       .refuse_device_without_unpreserve = true,
       .warn_missing_unpreserve = true,
       .check_under_lock = true,
       .refuse_repeated_domain_preserve = true,
       .refuse_repeated_device_preserve = true,
       .warn_unpreserve_unpreserved_domain = true,
       .refuse_unpreserve_busy_domain = true,
       .domain_counts_devices = true,
       .warn_unpreserve_unpreserved_device = true,
       .refuse_unpreserve_other_domain = true,
       .hold_flb_reference = true,
       .flb_teardown_unpreserves = true,
       .refuse_non_singleton_group = true,
       .unpreserve_ignores_owner = true,
       .refuse_growth_of_preserved_group = true,
       .flb_versioned = true,
       .hold_incoming_flb = true},
      {.name = "v2",
       .summary = "patch v2 04/16 as posted (with patch 03's domain calls)"},
      {.name = "v2-warn",
       .summary = "v2 plus the review's WARN_ON_ONCE in iommu_unpreserve_device",
       .warn_missing_unpreserve = true},
      {.name = "v3",
       .summary = "patch v3 of the series (2026-06-14): iommu_{preserve,unpreserve}_domain, four ops, WARN_ONs",
       .warn_domain_unpreserve_without_op = true,
       .warn_missing_unpreserve = true,
       .check_under_lock = true,
       .warn_unpreserve_unpreserved_device = true,
       .domain_needs_both_ops = true,
       .device_needs_four_ops = true,
       .domain_checked_under_lock_only = true,
       .warn_on_every_call = true,
       .warn_unpreserve_without_flb = true,
       .guard_unpreserve_locked = true},
      {.name = "v4",
       .summary = "patch v4 of the series (2026-08-08): FLB get/put, -EBUSY, singleton IOMMU groups, FLB version",
       .warn_domain_unpreserve_without_op = true,
       .warn_missing_unpreserve = true,
       .check_under_lock = true,
       .refuse_repeated_domain_preserve = true,
       .refuse_repeated_device_preserve = true,
       .warn_unpreserve_unpreserved_device = true,
       .hold_flb_reference = true,
       .domain_needs_both_ops = true,
       .device_needs_four_ops = true,
       .domain_checked_under_lock_only = true,
       .warn_on_every_call = true,
       .warn_unpreserve_without_flb = true,
       .guard_unpreserve_locked = true,
       .refuse_non_singleton_group = true,
       .flb_versioned = true,
       .hold_incoming_flb = true},
  };
  return table;
}

bool variant_rules::*rule_field(asked_rule r) {
  switch (r) {
    case asked_rule::warn_missing_unpreserve: return &variant_rules::warn_missing_unpreserve;
  }
  bug("rule_field(r): r is an asked_rule", std::source_location::current());
}

bool alike_but_asked(const variant_rules& a, const variant_rules& b) {
  variant_rules b_as_a = b;
  b_as_a.name = a.name;
  b_as_a.summary = a.summary;
  for (int r = 0; r < ASKED_RULE_COUNT; ++r) {
    bool variant_rules::*field = rule_field(static_cast<asked_rule>(r));
    b_as_a.*field = a.*field;
  }
  return a == b_as_a;
}

namespace {
constexpr const char* kMutantNames[] = {
    "none", "keep_error_record_live", "skip_refcount_get", "restore_deleted", "drop_lock_early",
    "skip_domain_error_deleted",
    "skip_device_error_deleted",
    "skip_device_op_error_deleted",
    "skip_error_hw_put",
    "skip_refcount_put",
    "skip_hw_deleted",
    "skip_hw_unpreserve_op",
    "keep_outgoing_state",
    "skip_device_unpreserve_op",
    "skip_device_deleted",
    "keep_device_ser",
    "skip_domain_refcount_put",
    "skip_domain_refcount_get",
    "skip_domain_unpreserve_op",
    "skip_domain_deleted",
    "keep_domain_state",
    "no_recheck_under_lock",
    "accept_double_device_preserve",
    "accept_double_domain_preserve",
    "warn_without_refusing",
    "refuse_without_warning",
    "leak_flb_reference",
    "skip_free_device_array",
    "skip_teardown_release",
    "flb_get_without_file",
    "skip_file_busy_check",
    "alloc_object_ser_off_by_one",
    "singleton_keep_device_ser",
    "singleton_skip_unpreserve_device",
    "accept_shared_group",
    "busy_device_einval",
    "busy_check_before_lock",
    "skip_put_on_busy",
    "flb_version_unset",
    "skip_put_incoming",
};
static_assert(std::size(kMutantNames) == MUTANT_COUNT, "name every mutant");
}  // namespace

const char* mutant_name(mutant m) {
  int i = static_cast<int>(m);
  return i < MUTANT_COUNT ? kMutantNames[i] : "?";
}

bool mutant_parse(const std::string& name, mutant& out) {
  for (int i = 0; i < MUTANT_COUNT; ++i) {
    if (name == kMutantNames[i]) {
      out = static_cast<mutant>(i);
      return true;
    }
  }
  return false;
}

std::string shipped_variant_names() {
  std::string names;
  for (const variant_rules& v : shipped_variants()) names += std::string(names.empty() ? "" : ", ") + v.name;
  return names;
}

std::string unknown_variant(const std::string& name) {
  if (find_variant(name) != nullptr) return "";
  return "unknown variant '" + name + "' (expected one of " + shipped_variant_names() + ", or BASE+mutant:NAME)";
}

namespace {

// Every "BASE+mutant:NAME" row, built once and never changed: a shipped
// variant with one mutant applied, so the Scenario's variant string alone
// says what runs (replay, files, every engine). Deques: rows and names never
// move, so the pointers find_variant() hands out stay valid.
struct mutant_rows {
  std::deque<std::string> names;
  std::deque<variant_rules> rows;
  mutant_rows() {
    for (const variant_rules& base : shipped_variants())
      for (int i = 1; i < MUTANT_COUNT; ++i) {
        mutant m = static_cast<mutant>(i);
        names.push_back(std::string(base.name) + "+mutant:" + mutant_name(m));
        variant_rules row = base;
        row.name = names.back().c_str();
        row.summary = "a shipped variant with one mutant applied (see the mutant enum)";
        row.mut = m;
        rows.push_back(row);
      }
  }
};

}  // namespace

const variant_rules* find_variant(const std::string& name) {
  for (const variant_rules& v : shipped_variants())
    if (name == v.name) return &v;
  static const mutant_rows mutants;  // immutable once built (C++ makes the build thread-safe)
  for (const variant_rules& v : mutants.rows)
    if (name == v.name) return &v;
  return nullptr;
}

}  // namespace luv::impl
