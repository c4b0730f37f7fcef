// Mock drivers: what VT-d, AMD and SMMU drivers do on preserve, reduced to
// one private KHO page per preserved object, recorded in its serialized
// record so the next kernel can find it.
#include "impl/mock_driver.h"

#include "impl/world.h"
#include "linux/err.h"

namespace luv::impl {

u64 iommu_token(const iommu_device* iommu) { return 0x100 + static_cast<u64>(iommu->id); }

namespace {

// The driver keeps one private page per object; a second preserve of the
// same object overwrites (and so leaks) the first, as a real driver would.
int preserve_driver_page(World& w, kptr<kho_page>* slot, kptr<iommu_obj_ser> ser) {
  kptr<kho_page> page = kho_alloc_preserve(w, kho_page_kind::driver_private, fault_site::kho_driver_page);
  if (IS_ERR(page))
    return PTR_ERR(page);
  *slot = page;
  ser->driver_phys = page->phys;
  return 0;
}

void unpreserve_driver_page(World& w, kptr<kho_page>* slot) {
  kho_unpreserve_free(w, *slot);
  *slot = nullptr;
}

int mock_iommu_preserve(World& w, iommu_device* iommu, kptr<iommu_hw_ser> ser) {
  if (int err = should_fail(w, fault_site::op_iommu_preserve))
    return err;
  ser->token = iommu_token(iommu);
  return preserve_driver_page(w, &iommu->driver_page, ser);
}

void mock_iommu_unpreserve(World& w, iommu_device* iommu, kptr<iommu_hw_ser> ser) {
  (void)ser->token;  // the driver reads its record: a freed one is caught here
  unpreserve_driver_page(w, &iommu->driver_page);
}

int mock_preserve_device(World& w, device* dev, kptr<iommu_device_ser> ser) {
  if (int err = should_fail(w, fault_site::op_preserve_device))
    return err;
  return preserve_driver_page(w, &dev->driver_page, ser);
}

void mock_unpreserve_device(World& w, device* dev, kptr<iommu_device_ser> ser) {
  (void)ser->devid;
  unpreserve_driver_page(w, &dev->driver_page);
}

int mock_domain_preserve(World& w, iommu_domain* domain, kptr<iommu_domain_ser> ser) {
  if (int err = should_fail(w, fault_site::op_domain_preserve))
    return err;
  ser->token = static_cast<u64>(domain->id);
  return preserve_driver_page(w, &domain->driver_page, ser);
}

void mock_domain_unpreserve(World& w, iommu_domain* domain, kptr<iommu_domain_ser> ser) {
  (void)ser->token;
  unpreserve_driver_page(w, &domain->driver_page);
}

}  // namespace

// Absent ops keep their names, so an oops says which op was missing.
iommu_ops mock_iommu_ops(u8 op_mask, int iommu) {
  op_owner owner{false, iommu, op_mask};
  iommu_ops ops;
  ops.owner = owner;
  ops.preserve = {"iommu_ops.preserve", owner, IOMMU_OP_PRESERVE, mock_iommu_preserve};
  ops.unpreserve = {"iommu_ops.unpreserve", owner, IOMMU_OP_UNPRESERVE, mock_iommu_unpreserve};
  ops.preserve_device = {"iommu_ops.preserve_device", owner, IOMMU_OP_PRESERVE_DEVICE, mock_preserve_device};
  ops.unpreserve_device = {"iommu_ops.unpreserve_device", owner, IOMMU_OP_UNPRESERVE_DEVICE, mock_unpreserve_device};
  return ops;
}

iommu_domain_ops mock_domain_ops(u8 op_mask, int domain) {
  op_owner owner{true, domain, op_mask};
  iommu_domain_ops ops;
  ops.owner = owner;
  ops.preserve = {"domain_ops.preserve", owner, DOMAIN_OP_PRESERVE, mock_domain_preserve};
  ops.unpreserve = {"domain_ops.unpreserve", owner, DOMAIN_OP_UNPRESERVE, mock_domain_unpreserve};
  return ops;
}

}  // namespace luv::impl
