// Stand-in for <linux/fault-inject.h>: the places a Scenario's fault plan can
// make fail. should_fail() counts every visit of a site, so a fault is named
// by (site, nth visit) and replays exactly.
#pragma once
#include <string_view>

#include "linux/types.h"

namespace luv::impl {
struct World;

enum class fault_site : u8 {
  flb_kzalloc,         // kernel allocation of the FLB object
  kho_flb_root,        // FLB preserve: the root ser page
  kho_flb_array,       // FLB preserve: the first page of an array
  kho_array_page,      // alloc_object_ser: a new page when the current one is full
  kho_driver_page,     // a driver's private page (root/context/PASID/page tables)
  op_iommu_preserve,   // iommu_ops.preserve returns an errno
  op_preserve_device,  // iommu_ops.preserve_device returns an errno
  op_domain_preserve,  // iommu_domain_ops.preserve returns an errno
  flb_retrieve,        // the next kernel's FLB retrieve
};
inline constexpr int FAULT_SITE_COUNT = 9;

const char* fault_site_name(fault_site site);
bool fault_site_parse(std::string_view name, fault_site& out);

// The errno a site's fault returns when the plan does not say: the one
// owner, read by should_fail() and by the Z3 encoding's fault oracles.
int default_fault_errno(fault_site site);

// 0 when the visit goes through, else the negative errno the plan injects.
int should_fail(World& w, fault_site site);
}  // namespace luv::impl
