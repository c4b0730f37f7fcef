// impl/callers.cpp, mirrored: iommufd's and VFIO's calls, and the dispatch
// of one Call.
#include "solver/encoding/callers.h"

#include "impl/unpreserve_twin.h"
#include "linux/errno.h"

namespace luv::solver::encoding {

using z3::expr;

expr callers::iommufd_preserve(const Fn& caller, int d) {
  Fn f = frame(caller);
  int file = l_.topo.iommufd_file(d);
  expr ret = liveupdate_preserve_file(f, file);
  ret_if(f, ret != 0, ret);
  ret = iommu_domain_preserve(f, d);
  liveupdate_unpreserve_file(Fn{f.active && ret != 0, c_.int_val(0)}, file);
  ret_if(f, c_.bool_val(true), ret);
  return f.ret;
}

expr callers::iommufd_unpreserve(const Fn& caller, int d) {
  Fn f = frame(caller);
  int file = l_.topo.iommufd_file(d);
  ret_if(f, !h_.file[file], -ENOENT);
  iommu_domain_unpreserve(f, d);
  expr ret = liveupdate_unpreserve_file(f, file);
  ret_if(f, c_.bool_val(true), ret);
  return f.ret;
}

expr callers::vfio_preserve(const Fn& caller, int v, int d) {
  Fn f = frame(caller);
  int file = l_.topo.vfio_file(v);
  expr ret = liveupdate_preserve_file(f, file);
  ret_if(f, ret != 0, ret);
  ret = iommu_preserve_device(f, d, v);
  liveupdate_unpreserve_file(Fn{f.active && ret != 0, c_.int_val(0)}, file);
  ret_if(f, c_.bool_val(true), ret);
  return f.ret;
}

expr callers::vfio_unpreserve(const Fn& caller, int v, int d) {
  Fn f = frame(caller);
  int file = l_.topo.vfio_file(v);
  ret_if(f, !h_.file[file], -ENOENT);
  iommu_unpreserve_device(f, d, v);
  expr ret = liveupdate_unpreserve_file(f, file);
  ret_if(f, c_.bool_val(true), ret);
  return f.ret;
}

expr callers::invoke(const Call& call) {
  Fn top{c_.bool_val(true), c_.int_val(0)};
  switch (call.kind) {
    case CallKind::luo_preserve_file: return liveupdate_preserve_file(top, call.file);
    case CallKind::luo_unpreserve_file: return liveupdate_unpreserve_file(top, call.file);
    case CallKind::iommu_domain_preserve: return iommu_domain_preserve(top, call.domain);
    case CallKind::iommu_domain_unpreserve: iommu_domain_unpreserve(top, call.domain); return c_.int_val(0);
    case CallKind::iommu_preserve_device: return iommu_preserve_device(top, call.domain, call.device);
    case CallKind::iommu_unpreserve_device:
      iommu_unpreserve_device(top, call.domain, call.device);
      return c_.int_val(0);
    case CallKind::iommufd_preserve: return iommufd_preserve(top, call.domain);
    case CallKind::iommufd_unpreserve: return iommufd_unpreserve(top, call.domain);
    case CallKind::vfio_preserve: return vfio_preserve(top, call.device, call.domain);
    case CallKind::vfio_unpreserve: return vfio_unpreserve(top, call.device, call.domain);
    case CallKind::iommu_device_release_dma_owner:
      set(claim_[call.device], g(top), c_.bool_val(false));  // VFIO gives back a claim it holds
      return c_.int_val(0);
    case CallKind::iommu_group_add_device: return iommu_group_add_device(top, call.device);
    // Atomic calls: a session's teardown is its files' unpreserves in a
    // row, which the paths already make one call at a time (all_calls).
    case CallKind::luo_session_release: break;
  }
  throw std::logic_error(std::string("the encoding has no ") + call_kind_name(call.kind));
}

}  // namespace luv::solver::encoding
