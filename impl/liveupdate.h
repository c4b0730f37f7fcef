// The Live Update Orchestrator as the IOMMU core sees it
// (include/linux/liveupdate.h): files, and the FLB that lives while any file
// depending on it is preserved.
#pragma once
#include <vector>

#include "impl/iommu.h"

namespace luv::impl {

struct liveupdate_flb {
  mutex lock{"luo->flb_lock"};        // LUO's own lock
  watched<int> count = 0;             // preserved files that depend on this FLB
  watched<int> users = 0;             // references held through get_outgoing (rule 4)
  kptr<iommu_flb_obj> outgoing;       // the FLB object while count > 0 (or users > 0)
  phys_addr_t incoming = 0;           // next kernel: the root ser page handed over by KHO
  // Next kernel: LUO's incoming side. The object is the root page, once
  // retrieved; incoming_users counts the references liveupdate_flb_get_incoming()
  // handed out (hold_incoming_flb), and LUO runs the FLB's finish only when
  // it is back to 0.
  kho_page* incoming_obj = nullptr;
  int incoming_users = 0;
};

// A LUO session (luo_session.c): the files preserved through it, in the
// order they were preserved, and the mutex that serialises its file calls
// (docs/LUO.md). Which file belongs to which session is the topology's.
struct luo_session {
  mutex lock{"session->mutex"};
  struct entry {
    int file;
    int domain;  // what the handler preserved against (a VFIO device's domain)
  };
  std::vector<entry> files;  // LUO's files_list: the last entry was preserved last
};

luo_session* file_session(World& w, int file);
// After LUO preserved `file` through its session (the handler's private data
// is `domain`); liveupdate_unpreserve_file() takes it off the list again.
void luo_session_add_file(World& w, int file, int domain);
// Closing a session's fd: under its mutex, each of its files, last preserved
// first, goes through its handler's unpreserve and then LUO's. Returns 0.
task<int> luo_session_release(World& w, int session);
// The handler's .unpreserve for `file` (iommufd: its domain; VFIO: its device
// against `domain`), called by the teardown. Defined with the handlers.
task<void> file_handler_unpreserve(World& w, int file, int domain);

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

// Next kernel: the FLB object KHO handed over (its root page). -ENODATA when
// none was handed over. The first call runs the FLB's retrieve (the fault
// site flb_retrieve; -EINVAL when the handed-over address is no root page),
// and every call until one succeeds runs it again, as LUO does (luv's next
// kernel makes no call after a failed one). With hold_incoming_flb each
// success takes a reference that liveupdate_flb_put_incoming() drops, and
// LUO runs the FLB's finish only once none is held; before v4 there is none.
int liveupdate_flb_get_incoming(World& w, liveupdate_flb* flb, kho_page** obj);
void liveupdate_flb_put_incoming(World& w, liveupdate_flb* flb);

}  // namespace luv::impl
