#include "impl/variant.h"

#include <deque>
#include <iterator>
#include <mutex>

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
       .flb_teardown_unpreserves = true},
      {.name = "v2",
       .summary = "patch v2 04/16 as posted (with patch 03's domain calls)"},
      {.name = "v2-warn",
       .summary = "v2 plus the review's WARN_ON_ONCE in iommu_unpreserve_device",
       .warn_missing_unpreserve = true},
  };
  return table;
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

std::string unknown_variant(const std::string& name) {
  if (find_variant(name) != nullptr) return "";
  std::string known;
  for (const variant_rules& v : shipped_variants()) known += std::string(known.empty() ? "" : ", ") + v.name;
  return "unknown variant '" + name + "' (expected one of " + known + ", or BASE+mutant:NAME)";
}

const variant_rules* find_variant(const std::string& name) {
  for (const variant_rules& v : shipped_variants())
    if (name == v.name) return &v;

  // "BASE+mutant:NAME": a row made on first use and kept, so the Scenario's
  // variant string alone says what runs (replay, files, every engine).
  static const std::string tag = "+mutant:";
  size_t at = name.find(tag);
  if (at == std::string::npos) return nullptr;
  mutant m;
  if (!mutant_parse(name.substr(at + tag.size()), m) || m == mutant::none) return nullptr;
  std::string base = name.substr(0, at);
  const variant_rules* shipped = nullptr;
  for (const variant_rules& v : shipped_variants())
    if (base == v.name) shipped = &v;
  if (shipped == nullptr) return nullptr;

  static std::mutex lock;
  static std::deque<std::string> names;  // deques: rows and names never move
  static std::deque<variant_rules> rows;
  std::lock_guard<std::mutex> guard(lock);
  for (const variant_rules& v : rows)
    if (name == v.name) return &v;
  names.push_back(name);
  variant_rules row = *shipped;
  row.name = names.back().c_str();
  row.summary = "a shipped variant with one mutant applied (see the mutant enum)";
  row.mut = m;
  rows.push_back(row);
  return &rows.back();
}

}  // namespace luv::impl
