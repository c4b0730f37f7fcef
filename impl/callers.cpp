#include "impl/callers.h"

#include "impl/iommu_liveupdate.h"
#include "impl/liveupdate.h"
#include "impl/world.h"
#include "linux/errno.h"

namespace luv::impl {

namespace {

// iommufd's file preserve, through LUO's PRESERVE_FD: under the file's
// session mutex, LUO preserves the file (creating the FLB for the first one),
// then iommufd preserves the file's domain; a failure unwinds the file.
task<int> iommufd_preserve(World& w, int domain) {
  int file = w.topology.iommufd_file(domain);
  auto session = co_await guard_mutex(w, &file_session(w, file)->lock);
  int ret = co_await liveupdate_preserve_file(w, file);
  if (ret)
    co_return ret;
  luo_session_add_file(w, file, domain);
  ret = co_await iommu_domain_preserve(w, &w.domains[domain]);
  if (ret)
    co_await liveupdate_unpreserve_file(w, file);
  co_return ret;
}

// iommufd unpreserves only what it preserved: it knows its own file. Under
// the session mutex, as LUO's per-file unpreserve (docs/LUO.md).
task<int> iommufd_unpreserve(World& w, int domain) {
  int file = w.topology.iommufd_file(domain);
  auto session = co_await guard_mutex(w, &file_session(w, file)->lock);
  if (!w.file_preserved[file])
    co_return -ENOENT;
  co_await iommu_domain_unpreserve(w, &w.domains[domain]);
  co_return co_await liveupdate_unpreserve_file(w, file);
}

task<int> vfio_preserve(World& w, int dev, int domain) {
  int file = w.topology.vfio_file(dev);
  auto session = co_await guard_mutex(w, &file_session(w, file)->lock);
  int ret = co_await liveupdate_preserve_file(w, file);
  if (ret)
    co_return ret;
  luo_session_add_file(w, file, domain);
  u64 preserved_state = 0;
  ret = co_await iommu_preserve_device(w, &w.domains[domain], &w.devices[dev], &preserved_state);
  if (ret)
    co_await liveupdate_unpreserve_file(w, file);
  co_return ret;
}

task<int> vfio_unpreserve(World& w, int dev, int domain) {
  int file = w.topology.vfio_file(dev);
  auto session = co_await guard_mutex(w, &file_session(w, file)->lock);
  if (!w.file_preserved[file])
    co_return -ENOENT;
  co_await iommu_unpreserve_device(w, &w.domains[domain], &w.devices[dev]);
  co_return co_await liveupdate_unpreserve_file(w, file);
}

}  // namespace

// The handlers' .unpreserve, as the session teardown calls them: iommufd
// unpreserves its file's domain, VFIO its device against the domain it was
// preserved with.
task<void> file_handler_unpreserve(World& w, int file, int domain) {
  int dev = w.topology.file_device(file);
  if (dev < 0)
    co_await iommu_domain_unpreserve(w, &w.domains[w.topology.file_domain(file)]);
  else
    co_await iommu_unpreserve_device(w, &w.domains[domain], &w.devices[dev]);
}

bool call_returns_void(CallKind kind) {
  return kind == CallKind::iommu_domain_unpreserve || kind == CallKind::iommu_unpreserve_device;
}

task<int> invoke(World& w, const Call& call) {
  switch (call.kind) {
    case CallKind::luo_preserve_file:
      co_return co_await liveupdate_preserve_file(w, call.file);
    case CallKind::luo_unpreserve_file:
      co_return co_await liveupdate_unpreserve_file(w, call.file);
    case CallKind::iommu_domain_preserve:
      co_return co_await iommu_domain_preserve(w, &w.domains[call.domain]);
    case CallKind::iommu_domain_unpreserve:
      co_await iommu_domain_unpreserve(w, &w.domains[call.domain]);
      co_return 0;
    case CallKind::iommu_preserve_device: {
      u64 preserved_state = 0;
      co_return co_await iommu_preserve_device(w, &w.domains[call.domain], &w.devices[call.device],
                                               &preserved_state);
    }
    case CallKind::iommu_unpreserve_device:
      co_await iommu_unpreserve_device(w, &w.domains[call.domain], &w.devices[call.device]);
      co_return 0;
    case CallKind::iommufd_preserve:
      co_return co_await iommufd_preserve(w, call.domain);
    case CallKind::iommufd_unpreserve:
      co_return co_await iommufd_unpreserve(w, call.domain);
    case CallKind::vfio_preserve:
      co_return co_await vfio_preserve(w, call.device, call.domain);
    case CallKind::vfio_unpreserve:
      co_return co_await vfio_unpreserve(w, call.device, call.domain);
    case CallKind::luo_session_release:
      co_return co_await luo_session_release(w, call.session);
  }
  co_return -EINVAL;
}

namespace {
void push_each(std::vector<Call>& out, Call c, int n, int Call::*field) {
  for (int i = 0; i < n; ++i) {
    c.*field = i;
    out.push_back(c);
  }
}
}  // namespace

std::vector<Call> calls_of_mode(CallerMode mode, const Topology& t) {
  std::vector<Call> out;
  int domains = static_cast<int>(t.domains.size()), devices = static_cast<int>(t.devices.size());
  for (int k = 0; k < CALL_KIND_COUNT; ++k) {
    CallKind kind = static_cast<CallKind>(k);
    if (mode == CallerMode::contract && !call_is_contract(kind)) continue;
    Call c;
    c.kind = kind;
    if (call_takes_file(kind)) {
      push_each(out, c, t.files(), &Call::file);
    } else if (call_takes_device(kind)) {
      for (int d = 0; d < domains; ++d) {
        c.domain = d;
        push_each(out, c, devices, &Call::device);
      }
    } else if (call_takes_domain(kind)) {
      push_each(out, c, domains, &Call::domain);
    } else if (call_takes_session(kind)) {
      push_each(out, c, t.session_count(), &Call::session);
    }
  }
  return out;
}

std::vector<Call> release_as_unpreserves(const Topology& t, int session) {
  std::vector<Call> out;
  for (int file : t.files_of_session(session)) {
    Call c;
    int dev = t.file_device(file);
    c.kind = dev < 0 ? CallKind::iommufd_unpreserve : CallKind::vfio_unpreserve;
    c.domain = dev < 0 ? t.file_domain(file) : -1;
    c.device = dev;
    out.push_back(c);
  }
  return out;
}

}  // namespace luv::impl
