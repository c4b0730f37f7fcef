#include "callers.h"

#include "iommu_liveupdate.h"
#include "linux/errno.h"
#include "liveupdate.h"
#include "world.h"

namespace luv::impl {

namespace {

// iommufd's file preserve: LUO preserves the file (creating the FLB for the
// first one), then iommufd preserves the file's domain; a failure unwinds the file.
task<int> iommufd_preserve(World& w, int domain) {
  int file = w.topology.iommufd_file(domain);
  int ret = co_await liveupdate_preserve_file(w, file);
  if (ret)
    co_return ret;
  ret = co_await iommu_domain_preserve(w, &w.domains[domain]);
  if (ret)
    co_await liveupdate_unpreserve_file(w, file);
  co_return ret;
}

// iommufd unpreserves only what it preserved: it knows its own file.
task<int> iommufd_unpreserve(World& w, int domain) {
  int file = w.topology.iommufd_file(domain);
  if (!w.file_preserved[file])
    co_return -ENOENT;
  co_await iommu_domain_unpreserve(w, &w.domains[domain]);
  co_return co_await liveupdate_unpreserve_file(w, file);
}

task<int> vfio_preserve(World& w, int dev, int domain) {
  int file = w.topology.vfio_file(dev);
  int ret = co_await liveupdate_preserve_file(w, file);
  if (ret)
    co_return ret;
  u64 preserved_state = 0;
  ret = co_await iommu_preserve_device(w, &w.domains[domain], &w.devices[dev], &preserved_state);
  if (ret)
    co_await liveupdate_unpreserve_file(w, file);
  co_return ret;
}

task<int> vfio_unpreserve(World& w, int dev, int domain) {
  int file = w.topology.vfio_file(dev);
  if (!w.file_preserved[file])
    co_return -ENOENT;
  co_await iommu_unpreserve_device(w, &w.domains[domain], &w.devices[dev]);
  co_return co_await liveupdate_unpreserve_file(w, file);
}

}  // namespace

bool call_returns_void(CallKind kind) {
  return kind == CallKind::iommu_domain_unpreserve || kind == CallKind::iommu_unpreserve_device;
}

task<int> invoke(World& w, const Call& call) {
  switch (call.kind) {
    case CallKind::luo_preserve_file:
      co_return co_await liveupdate_preserve_file(w, call.file);
    case CallKind::luo_unpreserve_file:
      co_return co_await liveupdate_unpreserve_file(w, call.file);
    case CallKind::iommu_domain_preserve:
      co_return co_await iommu_domain_preserve(w, &w.domains[call.domain]);
    case CallKind::iommu_domain_unpreserve:
      co_await iommu_domain_unpreserve(w, &w.domains[call.domain]);
      co_return 0;
    case CallKind::iommu_preserve_device: {
      u64 preserved_state = 0;
      co_return co_await iommu_preserve_device(w, &w.domains[call.domain], &w.devices[call.device],
                                               &preserved_state);
    }
    case CallKind::iommu_unpreserve_device:
      co_await iommu_unpreserve_device(w, &w.domains[call.domain], &w.devices[call.device]);
      co_return 0;
    case CallKind::iommufd_preserve:
      co_return co_await iommufd_preserve(w, call.domain);
    case CallKind::iommufd_unpreserve:
      co_return co_await iommufd_unpreserve(w, call.domain);
    case CallKind::vfio_preserve:
      co_return co_await vfio_preserve(w, call.device, call.domain);
    case CallKind::vfio_unpreserve:
      co_return co_await vfio_unpreserve(w, call.device, call.domain);
  }
  co_return -EINVAL;
}

}  // namespace luv::impl
