// LUO's side, as far as the IOMMU core and its callers depend on it: files
// count towards the FLB, whose preserve/unpreserve callbacks the first and
// last file run; sessions hold files and tear them down (docs/LUO.md).
#include "impl/liveupdate.h"

#include <vector>

#include "impl/iommu_liveupdate.h"
#include "impl/world.h"
#include "linux/bug.h"
#include "linux/errno.h"

namespace luv::impl {

namespace {
void flb_teardown(World& w, liveupdate_flb* flb) {
  iommu_flb_unpreserve(w, flb->outgoing);
  flb->outgoing = nullptr;
}

// The session's list and LUO's table of preserved files are both LUO's:
// a file leaves the one when it leaves the other.
void session_forget_file(World& w, int file) {
  std::vector<luo_session::entry>& files = file_session(w, file)->files;
  note_write(&files);
  std::erase_if(files, [file](const luo_session::entry& e) { return e.file == file; });
}
}  // namespace

luo_session* file_session(World& w, int file) {
  int session = w.topology.session_of(file);
  BUG_ON(session < 0 || session >= static_cast<int>(w.sessions.size()));
  return &w.sessions[session];
}

void luo_session_add_file(World& w, int file, int domain) {
  std::vector<luo_session::entry>& files = file_session(w, file)->files;
  note_write(&files);
  files.push_back(luo_session::entry{file, domain});
}

task<int> luo_session_release(World& w, int session_id) {
  BUG_ON(session_id < 0 || session_id >= static_cast<int>(w.sessions.size()));
  luo_session* session = &w.sessions[session_id];
  auto guard = co_await guard_mutex(w, &session->lock);

  // The list is read under the mutex, so it cannot change between the reads.
  note_read(&session->files, read_kind::variable);
  while (!session->files.empty()) {
    luo_session::entry last = session->files.back();
    int warns_before = w.threads[w.current].warn_conditions;
    co_await file_handler_unpreserve(w, last.file, last.domain);
    w.call_released[w.current].push_back({last, w.threads[w.current].warn_conditions > warns_before});
    co_await liveupdate_unpreserve_file(w, last.file);
    // Unpreserving the file took it off the list; make sure, so the loop ends.
    if (!session->files.empty() && session->files.back().file == last.file) {
      note_write(&session->files);
      session->files.pop_back();
    }
  }
  co_return 0;
}

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
  session_forget_file(w, file);
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

int liveupdate_flb_get_incoming(World& w, liveupdate_flb* flb, kho_page** obj) {
  if (flb->incoming == 0)
    return -ENODATA;
  if (flb->incoming_obj == nullptr) {
    // The FLB's retrieve: the data KHO handed over must be a preserved root page.
    if (int err = should_fail(w, fault_site::flb_retrieve))
      return err;
    kho_page* root = kho_page_at(w, flb->incoming);
    if (root == nullptr || !root->preserved || root->kind != kho_page_kind::ser_root)
      return -EINVAL;
    flb->incoming_obj = root;
  }
  if (w.rules.hold_incoming_flb)
    flb->incoming_users++;
  *obj = flb->incoming_obj;
  return 0;
}

void liveupdate_flb_put_incoming(World& w, liveupdate_flb* flb) {
  BUG_ON(!w.rules.hold_incoming_flb || flb->incoming_users <= 0);
  flb->incoming_users--;
}

}  // namespace luv::impl
