// The property catalogue: docs/SPEC.md's stable ids. Reports, counterexample
// files and tests name properties by these ids and nothing else.
#pragma once
#include <bitset>
#include <string>

namespace luv {

enum class PropertyId : unsigned char {
  refcount_balanced,
  error_path_deleted,
  missing_unpreserve_warns,
  no_leak,
  no_dangling,
  no_null_op,
  no_use_after_free,
  lock_discipline,
  restore_matches,
  model_refinement,
};
inline constexpr int PROPERTY_COUNT = 10;

const char* property_name(PropertyId id);     // "refcount-balanced"
const char* property_summary(PropertyId id);  // one line, for reports
bool property_parse(const std::string& name, PropertyId& out);

using PropertySet = std::bitset<PROPERTY_COUNT>;
inline PropertySet all_properties() { return PropertySet().set(); }
inline bool has(const PropertySet& set, PropertyId id) { return set.test(static_cast<size_t>(id)); }
inline PropertySet only(PropertyId id) { return PropertySet().set(static_cast<size_t>(id)); }
std::string property_list(const PropertySet& set);  // "no-leak,no-dangling", in id order

}  // namespace luv
