// Stand-ins for the few PCI and IOMMU-group helpers the patch calls.
#pragma once
#include "impl/shim/step_reads.h"
#include "linux/types.h"

namespace luv::impl {
struct device;
struct iommu_group {
  // Claims on the group's DMA ownership still held (VFIO claims one per
  // device it binds, iommu_device_claim_dma_owner(); the group is owned
  // while any is held). Watched: a release is a step other threads read.
  watched<int> owner_cnt = 0;
  watched<int> devices = 0;  // the group's members (a join is a step other threads read)
};
struct pci_bus {
  u32 domain_nr = 0;
};
struct pci_dev {
  u16 devfn_id = 0;
  pci_bus* bus = nullptr;
};

bool dev_is_pci(const device* dev);
pci_dev* to_pci_dev(device* dev);
inline u16 pci_dev_id(const pci_dev* pdev) { return pdev->devfn_id; }
inline u32 pci_domain_nr(const pci_bus* bus) { return bus->domain_nr; }
inline bool iommu_group_dma_owner_claimed(const iommu_group* group) { return group->owner_cnt > 0; }
inline bool iommu_group_is_singleton(const iommu_group* group) { return group->devices == 1; }
}  // namespace luv::impl
