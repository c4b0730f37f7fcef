// Configurable mock IOMMU and domain drivers. Each op is present or absent
// per the topology; each preserve op preserves one driver-private KHO page
// that only its unpreserve twin releases; the fault plan can fail any op
// that returns an errno, and any of those page allocations.
#pragma once
#include "impl/iommu.h"
#include "impl/scenario.h"

namespace luv::impl {
iommu_ops mock_iommu_ops(u8 op_mask, int iommu);
iommu_domain_ops mock_domain_ops(u8 op_mask, int domain);
// The token an IOMMU unit writes into its HW record; the next kernel looks
// the record up by it.
u64 iommu_token(const iommu_device* iommu);
}  // namespace luv::impl
