// LUO's side, as far as the IOMMU core depends on it: files count towards
// the FLB, whose preserve/unpreserve callbacks the first and last file run.
#include "liveupdate.h"

#include "iommu_liveupdate.h"
#include "linux/errno.h"
#include "world.h"

namespace luv::impl {

namespace {
void flb_teardown(World& w, liveupdate_flb* flb) {
  iommu_flb_unpreserve(w, flb->outgoing);
  flb->outgoing = nullptr;
}
}  // namespace

task<int> liveupdate_preserve_file(World& w, int file) {
  liveupdate_flb* flb = &w.iommu_flb;
  auto guard = co_await guard_mutex(w, &flb->lock);

  if (w.file_preserved[file] && w.rules.mut != mutant::skip_file_busy_check)
    co_return -EBUSY;
  // The object can outlive its last file while a reference holds it (rule 4).
  if (flb->count == 0 && !flb->outgoing) {
    int ret = iommu_flb_preserve(w, &flb->outgoing);
    if (ret)
      co_return ret;
  }
  flb->count++;
  w.file_preserved[file] = true;
  co_return 0;
}

task<int> liveupdate_unpreserve_file(World& w, int file) {
  liveupdate_flb* flb = &w.iommu_flb;
  auto guard = co_await guard_mutex(w, &flb->lock);

  if (!w.file_preserved[file])
    co_return -ENOENT;
  w.file_preserved[file] = false;
  if (--flb->count == 0 && flb->users == 0)
    flb_teardown(w, flb);
  co_return 0;
}

task<int> liveupdate_flb_get_outgoing(World& w, liveupdate_flb* flb, kptr<iommu_flb_obj>* obj) {
  auto guard = co_await guard_mutex(w, &flb->lock);

  if (w.rules.hold_flb_reference) {
    if (flb->count == 0 && w.rules.mut != mutant::flb_get_without_file)
      co_return -ENOENT;
    flb->users++;
  }
  *obj = flb->outgoing;
  co_return 0;
}

void liveupdate_flb_put_outgoing(World& w, liveupdate_flb* flb) {
  // Runs where the caller returns, with no preemption point, so LUO's lock
  // (only ever held without one) is free here.
  if (--flb->users == 0 && flb->count == 0 && flb->outgoing)
    flb_teardown(w, flb);
}

}  // namespace luv::impl
