#include "variant.h"

namespace luv::impl {

const std::vector<variant_rules>& shipped_variants() {
  static const std::vector<variant_rules> table = {
      // name, summary,
      //   rule1 refuse, review WARN, rule2 lock, rule3 order, rule4 ref, rule5 teardown
      {"reference", "the lifecycle as it should be: every rule of SPEC.md",
       true, true, true, true, true, true},
      {"v2", "patch v2 04/16 as posted (with patch 03's domain calls)",
       false, false, false, false, false, false},
      {"v2-warn", "v2 plus the review's WARN_ON_ONCE in iommu_unpreserve_device",
       false, true, false, false, false, false},
  };
  return table;
}

const variant_rules* find_variant(const std::string& name) {
  for (const variant_rules& v : shipped_variants())
    if (name == v.name) return &v;
  return nullptr;
}

}  // namespace luv::impl
