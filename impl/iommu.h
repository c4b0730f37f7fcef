// The kernel objects the patch touches (include/linux/iommu.h,
// include/linux/iommu-liveupdate.h, include/linux/device.h), cut down to the
// fields the live-update lifecycle reads and writes.
#pragma once
#include <string>

#include "linux/kexec_handover.h"
#include "impl/op_footprint.h"
#include "impl/shim/kptr.h"
#include "linux/mutex.h"
#include "linux/pci.h"
#include "impl/shim/kthread.h"

namespace luv::impl {
struct World;
struct device;
struct iommu_device;
struct iommu_domain;

// A driver op: a function pointer that may be absent. Calling an absent op
// oopses as no-null-op instead of jumping to address 0. Whether it is there
// is a question asked of its owner's op set (impl/op_footprint.h), both
// when the code tests it and when it calls it.
template <typename R, typename... A>
class op {
 public:
  using fn = R (*)(World&, A...);
  op() = default;
  // There when `bit`, this op's bit (IommuOp or DomainOp), is in its owner's
  // mask, as asked each time (the explorer may answer from another mask:
  // impl/op_footprint.h's thread_op_masks), so f is kept either way.
  op(const char* name, op_owner owner, u8 bit, fn f) : name_(name), f_(f), owner_(owner), bit_(bit) {}
  explicit operator bool() const {
    return ask_ops(owner_, [bit = bit_](u8 mask) { return (mask & bit) != 0; });
  }
  R operator()(World& w, A... args) const {
    if (!*this) oops(oops_kind::null_op, std::string("call of absent op ") + name_);
    return f_(w, args...);
  }

 private:
  const char* name_ = "op";
  fn f_ = nullptr;
  op_owner owner_;
  u8 bit_ = 0;
};

struct iommu_ops {
  op_owner owner;  // luv: whose op set this is, for questions asked of it whole (rule 1)
  op<int, iommu_device*, kptr<iommu_hw_ser>> preserve;
  op<void, iommu_device*, kptr<iommu_hw_ser>> unpreserve;
  op<int, device*, kptr<iommu_device_ser>> preserve_device;
  op<void, device*, kptr<iommu_device_ser>> unpreserve_device;
};

struct iommu_domain_ops {
  op_owner owner;  // luv: whose op set this is
  op<int, iommu_domain*, kptr<iommu_domain_ser>> preserve;
  op<void, iommu_domain*, kptr<iommu_domain_ser>> unpreserve;
};

struct iommu_device {
  int id = 0;
  const iommu_ops* ops = nullptr;
  kptr<iommu_hw_ser> outgoing_preserved_state;
  kptr<kho_page> driver_page;  // the mock driver's root table, while preserved
};

struct iommu_domain {
  int id = 0;
  const iommu_domain_ops* ops = nullptr;
  kptr<iommu_domain_ser> preserved_state;
  kptr<kho_page> driver_page;  // the mock driver's page tables, while preserved
};

struct dev_iommu {
  iommu_device* iommu_dev = nullptr;
  kptr<iommu_device_ser> device_ser;
};

struct device {
  int id = 0;
  bool is_pci = true;
  struct iommu_group* iommu_group = nullptr;
  dev_iommu* iommu = nullptr;
  pci_dev pdev;
  kptr<kho_page> driver_page;  // the mock driver's context/PASID table, while preserved
  // VFIO holds this device's claim on its group's DMA ownership (its half
  // of iommu_group::owner_cnt).
  watched<bool> dma_owner_held = false;
};

// drivers/iommu/iommu.c: a claim on the group's DMA ownership given back
// (the group's mutex held throughout; one step, so luv takes no lock). The
// group stays owned while another claim is held.
void iommu_device_release_dma_owner(device* dev);
// A device added to a group at its probe, under the group's mutex (one
// step): 0, or -EBUSY when rule 6 keeps the group as it is.
int iommu_group_add_device(World& w, iommu_group* group);

// The FLB object of the IOMMU core: allocated by the FLB preserve callback,
// freed by its unpreserve callback.
struct iommu_flb_obj {
  mutex lock{"flb_obj->lock"};
  kptr<kho_page> ser;  // the root page
  kptr<kho_page> curr_iommu_array;
  kptr<kho_page> curr_domain_array;
  kptr<kho_page> curr_device_array;
  bool freed = false;
  bool kfreed() const { return freed; }
  const char* kname() const { return "iommu_flb_obj"; }
  void kpoison() {
    freed = true;
    lock.poisoned = true;
  }
};

}  // namespace luv::impl
