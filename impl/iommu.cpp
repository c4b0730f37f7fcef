// The one call of the IOMMU core outside the live-update lifecycle that luv
// models (drivers/iommu/iommu.c): the release of a DMA ownership claim, which
// the posted unpreserve paths ask about (docs/SPEC.md, rule 6).
#include "impl/iommu.h"

#include "linux/bug.h"

namespace luv::impl {

void iommu_device_release_dma_owner(device* dev) {
  iommu_group* group = dev->iommu_group;
  // The kernel WARNs on a release without a claim; luv's callers release
  // only a claim they hold (impl/callers.cpp).
  BUG_ON(!(group->owner_cnt > 0));
  group->owner_cnt = group->owner_cnt - 1;
}

}  // namespace luv::impl
