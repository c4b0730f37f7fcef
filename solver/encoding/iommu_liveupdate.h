// impl/iommu_liveupdate.cpp, mirrored line by line: patch 03's domain calls,
// patch 04's device and IOMMU HW calls, the FLB callbacks. A revision's
// lines sit here beside impl/'s, each reading the same variant_rules switch.
#pragma once
#include "solver/encoding/liveupdate.h"

namespace luv::solver::encoding {

using z3::expr;

class iommu_liveupdate : public liveupdate {
 public:
  using liveupdate::liveupdate;

 protected:
  std::pair<expr, int> alloc_object_ser(const expr& guard, int array, Kind kind, int owner);
  expr iommu_flb_preserve(const Fn& caller) override;
  void iommu_release_all(const expr& guard);
  void iommu_flb_unpreserve(const expr& guard) override;
  expr iommu_domain_preserve(const Fn& caller, int d);
  void iommu_domain_unpreserve(const Fn& caller, int d);
  expr iommu_preserve_locked(const Fn& caller, int i);
  void iommu_unpreserve_locked(const Fn& caller, int i);
  expr iommu_lacks_unpreserve(int i) const;
  expr device_ops_missing(int i) const;
  void unpreserve_get_failed(Fn& f, const expr& ret);
  expr refuse_non_singleton_group(const Fn& ok, int v, const expr& ser);
  expr iommu_preserve_device(const Fn& caller, int d, int v);
  void iommu_unpreserve_device(const Fn& caller, int d, int v);
  // impl/iommu.cpp's iommu_group_add_device() on v's group, with rule 6's
  // iommu_group_has_preserved_device().
  expr iommu_group_add_device(const Fn& caller, int v);
};

}  // namespace luv::solver::encoding
