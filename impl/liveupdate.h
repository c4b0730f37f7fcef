// The Live Update Orchestrator as the IOMMU core sees it
// (include/linux/liveupdate.h): files, and the FLB that lives while any file
// depending on it is preserved.
#pragma once
#include "iommu.h"

namespace luv::impl {

struct liveupdate_flb {
  mutex lock{"luo->flb_lock"};        // LUO's own lock
  watched<int> count = 0;             // preserved files that depend on this FLB
  watched<int> users = 0;             // references held through get_outgoing (rule 4)
  kptr<iommu_flb_obj> outgoing;       // the FLB object while count > 0 (or users > 0)
  phys_addr_t incoming = 0;           // next kernel: the root ser page handed over by KHO
};

// LUO preserves a file: the first file depending on the FLB runs the FLB's
// preserve callback. -EBUSY when the file is already preserved.
task<int> liveupdate_preserve_file(World& w, int file);
// LUO unpreserves a file: the last one runs the FLB's unpreserve callback.
// -ENOENT when the file is not preserved.
task<int> liveupdate_unpreserve_file(World& w, int file);

// The FLB object of the outgoing kernel. As v2 was written against: taken
// under LUO's lock, no reference, null when no file is preserved. With
// rule 4 (hold_flb_reference): -ENOENT when none, else a reference that
// liveupdate_flb_put_outgoing() drops.
task<int> liveupdate_flb_get_outgoing(World& w, liveupdate_flb* flb, kptr<iommu_flb_obj>* obj);
void liveupdate_flb_put_outgoing(World& w, liveupdate_flb* flb);

}  // namespace luv::impl
