// impl/liveupdate.cpp, mirrored: LUO's files and the FLB they count towards.
#pragma once
#include "solver/encoding/mock_driver.h"

namespace luv::solver::encoding {

using z3::expr;

class liveupdate : public mock_driver {
 public:
  using mock_driver::mock_driver;

 protected:
  // The FLB's callbacks (impl/iommu_liveupdate.cpp), which LUO calls
  // through the FLB's ops as the kernel does.
  virtual expr iommu_flb_preserve(const Fn& caller) = 0;
  virtual void iommu_flb_unpreserve(const expr& guard) = 0;

  expr liveupdate_preserve_file(const Fn& caller, int file);
  expr liveupdate_unpreserve_file(const Fn& caller, int file);
  expr liveupdate_flb_get_outgoing(const Fn& caller, expr& obj_null);
};

}  // namespace luv::solver::encoding
