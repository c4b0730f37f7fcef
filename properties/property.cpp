#include "properties/property.h"

#include "properties/assert.h"
#include "properties/outcome.h"

namespace luv {

namespace {
struct property_info {
  const char* name;
  const char* summary;
};
constexpr property_info kProperties[PROPERTY_COUNT] = {
    {"refcount-balanced",
     "each live IOMMU HW record's ref_count equals the live device records pointing at it; "
     "outgoing_preserved_state is set exactly when that count is above zero; the FLB's file count "
     "matches the preserved files"},
    {"error-path-deleted", "a call that fails leaves every record it allocated flagged deleted and the state as it was"},
    {"missing-unpreserve-warns", "a driver lacking an unpreserve twin causes a warning and no leak"},
    {"no-leak",
     "once everything preserved has been unpreserved: no live record, no preserved KHO page, no FLB; "
     "never a preserved page or live record that nothing owns"},
    {"no-dangling",
     "every live device record points at a live domain record and a live IOMMU HW record; every kernel "
     "object's preserved state is a live record; page chains have no cycle"},
    {"no-null-op", "the core never calls an absent op and never dereferences null state"},
    {"no-use-after-free", "nothing touches a freed FLB object or page"},
    {"lock-discipline", "lockdep assertions hold; no deadlock; every path releases what it took"},
    {"restore-matches", "the next kernel restores exactly what was preserved at kexec, nothing deleted"},
    {"model-refinement", "results and abstract state agree with the model; concurrent histories are linearizable"},
};
}  // namespace

const char* property_name(PropertyId id) {
  LUV_ASSERT(static_cast<int>(id) < PROPERTY_COUNT);
  return kProperties[static_cast<int>(id)].name;
}
const char* property_summary(PropertyId id) {
  LUV_ASSERT(static_cast<int>(id) < PROPERTY_COUNT);
  return kProperties[static_cast<int>(id)].summary;
}

bool property_parse(const std::string& name, PropertyId& out) {
  for (int i = 0; i < PROPERTY_COUNT; ++i) {
    if (name == kProperties[i].name) {
      out = static_cast<PropertyId>(i);
      return true;
    }
  }
  return false;
}

std::string property_list(const PropertySet& set) {
  std::string out;
  for (int i = 0; i < PROPERTY_COUNT; ++i)
    if (set.test(static_cast<size_t>(i))) out += std::string(out.empty() ? "" : ",") + kProperties[i].name;
  return out;
}

const char* status_name(Status s) {
  switch (s) {
    case Status::holds: return "holds";
    case Status::proved: return "proved";
    case Status::violated: return "violated";
    case Status::unknown: return "unknown";
    case Status::not_checked: return "-";
  }
  return "?";
}

}  // namespace luv
