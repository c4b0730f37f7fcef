// The IOMMU core's live-update lifecycle (drivers/iommu/liveupdate.c):
// patch 03's domain calls, patch 04's device and IOMMU HW calls, and the FLB
// callbacks. Names and control flow follow the patch.
#pragma once
#include "impl/iommu.h"

namespace luv::impl {

// FLB callbacks, run by LUO under its lock without a preemption point.
int iommu_flb_preserve(World& w, kptr<iommu_flb_obj>* obj_out);
void iommu_flb_unpreserve(World& w, kptr<iommu_flb_obj> flb_obj);

task<int> iommu_domain_preserve(World& w, iommu_domain* domain);
task<void> iommu_domain_unpreserve(World& w, iommu_domain* domain);
task<int> iommu_preserve_device(World& w, iommu_domain* domain, device* dev, u64* preserved_state);
task<void> iommu_unpreserve_device(World& w, iommu_domain* domain, device* dev);
// Rule 6 at the group's end: whether a device of `group` is preserved.
bool iommu_group_has_preserved_device(World& w, const iommu_group* group);

}  // namespace luv::impl
