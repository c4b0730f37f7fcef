// impl/mock_driver.cpp, mirrored: the drivers' ops on their private pages.
#pragma once
#include "solver/encoding/machine.h"

namespace luv::solver::encoding {

using z3::expr;

class mock_driver : public machine {
 public:
  using machine::machine;

 protected:
  expr preserve_driver_page(const expr& guard, int o);
  void unpreserve_driver_page(const expr& guard, int o);
  expr mock_preserve(const expr& guard, impl::fault_site op_site, int o, const expr& ser);
  void mock_unpreserve(const expr& guard, int o, const expr& ser);
  // Calling an op that may be absent: absent oopses (no-null-op).
  void call_op(const expr& guard, const expr& present) { oops_null(guard && !present); }
};

}  // namespace luv::solver::encoding
