// Stand-in for <linux/kho/abi/iommu.h>: the IOMMU core's serialized records,
// the layout the outgoing kernel writes into KHO pages and the next one
// reads (the root page, the array page header, one record slot).
#pragma once
#include "linux/types.h"

namespace luv::impl {
struct kho_page;

// The header every serialized record starts with.
struct iommu_obj_hdr_ser {
  u32 ref_count;
  bool deleted;
};

struct iommu_domain_iommu_ser {
  phys_addr_t domain_phys;
  phys_addr_t iommu_phys;
};

// One slot of a serialized array. The kernel has a struct per array; they
// share the header, so luv keeps one slot type and the page says which
// array it belongs to.
struct iommu_obj_ser {
  iommu_obj_hdr_ser hdr;
  u64 token;                                 // HW record: IOMMU token; domain record: domain id
  iommu_domain_iommu_ser domain_iommu_ser;   // device record only
  u16 devid;                                 // device record only
  u32 pci_domain_nr;                         // device record only
  phys_addr_t driver_phys;                   // the driver's private page for this object, or 0

  // Bookkeeping of the arena, not serialized state.
  kho_page* page;
  phys_addr_t phys;
  bool kfreed() const;
  const char* kname() const { return "serialized record"; }
};
using iommu_hw_ser = iommu_obj_ser;
using iommu_domain_ser = iommu_obj_ser;
using iommu_device_ser = iommu_obj_ser;

struct iommu_array_hdr_ser {
  phys_addr_t next;  // next page of this array, 0 at the end
  u32 nr_objects;
};

// The layout's version, which v4's FLB preserve writes into the root record
// and its next kernel checks. The kernel's value is its own; luv's stands
// for it (any value but 0, which is what an unwritten record reads).
inline constexpr u32 IOMMU_LUO_FLB_VERSION = 1;

// The root page: the layout's version (v4 on; 0 before) and where each array starts.
struct iommu_ser {
  u32 version;
  phys_addr_t iommu_array;
  phys_addr_t domain_array;
  phys_addr_t device_array;
};

}  // namespace luv::impl
