// impl/liveupdate.cpp, mirrored: LUO's files and the FLB they count towards.
#include "solver/encoding/liveupdate.h"

#include "impl/unpreserve_twin.h"
#include "linux/errno.h"

namespace luv::solver::encoding {

using z3::expr;

expr liveupdate::liveupdate_preserve_file(const Fn& caller, int file) {
  Fn f = frame(caller);
  ret_if(f, h_.file[file], -EBUSY);
  expr need = h_.count == 0 && !h_.flb;
  expr ret = iommu_flb_preserve(Fn{f.active && need, c_.int_val(0)});
  ret_if(f, need && ret != 0, ret);
  set(h_.count, g(f), h_.count + 1);
  set(h_.file[file], g(f), c_.bool_val(true));
  return f.ret;
}

expr liveupdate::liveupdate_unpreserve_file(const Fn& caller, int file) {
  Fn f = frame(caller);
  ret_if(f, !h_.file[file], -ENOENT);
  set(h_.file[file], g(f), c_.bool_val(false));
  set(h_.count, g(f), h_.count - 1);
  // users is 0 between calls: a reference never outlives its call here.
  iommu_flb_unpreserve(g(f) && h_.count == 0);
  return f.ret;
}

// Returns (err, the object is NULL). The object is always the live one or NULL.
expr liveupdate::liveupdate_flb_get_outgoing(const Fn& caller, expr& obj_null) {
  Fn f = frame(caller);
  if (r_.hold_flb_reference) ret_if(f, h_.count == 0, -ENOENT);
  obj_null = !h_.flb;
  return f.ret;
}

}  // namespace luv::solver::encoding
