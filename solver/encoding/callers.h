// impl/callers.cpp, mirrored: iommufd's and VFIO's calls, and the dispatch
// of one Call.
#pragma once
#include "solver/encoding/iommu_liveupdate.h"

namespace luv::solver::encoding {

using z3::expr;

class callers : public iommu_liveupdate {
 public:
  using iommu_liveupdate::iommu_liveupdate;

 protected:
  expr iommufd_preserve(const Fn& caller, int d);
  expr iommufd_unpreserve(const Fn& caller, int d);
  expr vfio_preserve(const Fn& caller, int v, int d);
  expr vfio_unpreserve(const Fn& caller, int v, int d);
  expr invoke(const Call& call);
};

}  // namespace luv::solver::encoding
