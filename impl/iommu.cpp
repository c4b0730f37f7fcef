// The two calls of the IOMMU core outside the live-update lifecycle that luv
// models (drivers/iommu/iommu.c), because the posted preserve and unpreserve
// paths ask the group about them: the release of a DMA ownership claim, and
// a device joining a group (docs/SPEC.md, rule 6).
#include "impl/iommu.h"

#include "impl/iommu_liveupdate.h"
#include "impl/mutants.h"
#include "linux/bug.h"
#include "linux/errno.h"

namespace luv::impl {

void iommu_device_release_dma_owner(device* dev) {
  iommu_group* group = dev->iommu_group;
  // The kernel WARNs on a release without a claim; luv's callers release
  // only a claim they hold (impl/callers.cpp).
  BUG_ON(!(group->owner_cnt > 0));
  group->owner_cnt = group->owner_cnt - 1;
}

int iommu_group_add_device(World& w, iommu_group* group) {
  if (group_growth_refused(w) && iommu_group_has_preserved_device(w, group))
    return -EBUSY;
  group->devices = group->devices + 1;
  return 0;
}

}  // namespace luv::impl
