// impl/mock_driver.cpp, mirrored: the drivers' ops on their private pages.
#include "solver/encoding/mock_driver.h"

#include "impl/unpreserve_twin.h"
#include "linux/errno.h"

namespace luv::solver::encoding {

using z3::expr;

// preserve_driver_page: a second preserve overwrites the first page's pointer.
expr mock_driver::preserve_driver_page(const expr& guard, int o) {
  auto [err, p] = alloc_driver_page(guard, o);
  set(h_.pgptr[o], guard && alive_ && err == 0, c_.int_val(p));
  return err;
}

void mock_driver::unpreserve_driver_page(const expr& guard, int o) {
  deref_page(guard, h_.pgptr[o]);
  if (auto q = slot_of(h_.pgptr[o])) {
    if (page_slot(*q)) set(h_.pages[*q].freed, guard && alive_, c_.bool_val(true));
  } else {
    for (int q = 0; q < static_cast<int>(h_.pages.size()); ++q)
      set(h_.pages[q].freed, guard && alive_ && h_.pgptr[o] == q, c_.bool_val(true));
  }
  set(h_.pgptr[o], guard && alive_, c_.int_val(-1));
}

expr mock_driver::mock_preserve(const expr& guard, impl::fault_site op_site, int o, const expr& ser) {
  expr err = should_fail(guard, op_site);
  expr go = guard && err == 0;
  deref(go, ser);  // ser->token = ...
  expr page_err = preserve_driver_page(go, o);
  return z3::ite(err != 0, err, page_err);
}

void mock_driver::mock_unpreserve(const expr& guard, int o, const expr& ser) {
  deref(guard, ser);  // the driver reads its record
  unpreserve_driver_page(guard, o);
}

}  // namespace luv::solver::encoding
