#include "impl/callers.h"

#include <iterator>

#include "impl/iommu_liveupdate.h"
#include "impl/liveupdate.h"
#include "impl/world.h"
#include "linux/bug.h"
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

namespace {
// A Call's ids index World's fixed arrays; validate() keeps them in range.
iommu_domain* domain_of(World& w, const Call& c) {
  BUG_ON(c.domain < 0 || c.domain >= static_cast<int>(w.domains.size()));
  return &w.domains[c.domain];
}
device* device_of(World& w, const Call& c) {
  BUG_ON(c.device < 0 || c.device >= static_cast<int>(w.devices.size()));
  return &w.devices[c.device];
}

// The adaptors of the entry-point table: one Call's arguments to the
// kernel function's.
task<int> run_luo_preserve_file(World& w, const Call& c) { co_return co_await liveupdate_preserve_file(w, c.file); }
task<int> run_luo_unpreserve_file(World& w, const Call& c) {
  co_return co_await liveupdate_unpreserve_file(w, c.file);
}
task<int> run_iommu_domain_preserve(World& w, const Call& c) {
  co_return co_await iommu_domain_preserve(w, domain_of(w, c));
}
task<int> run_iommu_domain_unpreserve(World& w, const Call& c) {
  co_await iommu_domain_unpreserve(w, domain_of(w, c));
  co_return 0;
}
task<int> run_iommu_preserve_device(World& w, const Call& c) {
  u64 preserved_state = 0;
  co_return co_await iommu_preserve_device(w, domain_of(w, c), device_of(w, c), &preserved_state);
}
task<int> run_iommu_unpreserve_device(World& w, const Call& c) {
  co_await iommu_unpreserve_device(w, domain_of(w, c), device_of(w, c));
  co_return 0;
}
// VFIO gives back its device's DMA ownership claim (when the device is
// unbound from iommufd); it releases only a claim it holds.
task<int> run_iommu_device_release_dma_owner(World& w, const Call& c) {
  device* dev = device_of(w, c);
  if (dev->dma_owner_held) {
    dev->dma_owner_held = false;
    iommu_device_release_dma_owner(dev);
  }
  co_return 0;
}
task<int> run_iommu_group_add_device(World& w, const Call& c) {
  co_return iommu_group_add_device(w, device_of(w, c)->iommu_group);
}
task<int> run_iommufd_preserve(World& w, const Call& c) { co_return co_await iommufd_preserve(w, c.domain); }
task<int> run_iommufd_unpreserve(World& w, const Call& c) { co_return co_await iommufd_unpreserve(w, c.domain); }
task<int> run_vfio_preserve(World& w, const Call& c) { co_return co_await vfio_preserve(w, c.device, c.domain); }
task<int> run_vfio_unpreserve(World& w, const Call& c) { co_return co_await vfio_unpreserve(w, c.device, c.domain); }
task<int> run_luo_session_release(World& w, const Call& c) { co_return co_await luo_session_release(w, c.session); }

// In CallKind order (checked below).
constexpr entry_point kEntryPoints[] = {
    {CallKind::luo_preserve_file, "liveupdate_preserve_file", false, run_luo_preserve_file},
    {CallKind::luo_unpreserve_file, "liveupdate_unpreserve_file", false, run_luo_unpreserve_file},
    {CallKind::iommu_domain_preserve, "iommu_domain_preserve", false, run_iommu_domain_preserve},
    {CallKind::iommu_domain_unpreserve, "iommu_domain_unpreserve", true, run_iommu_domain_unpreserve},
    {CallKind::iommu_preserve_device, "iommu_preserve_device", false, run_iommu_preserve_device},
    {CallKind::iommu_unpreserve_device, "iommu_unpreserve_device", true, run_iommu_unpreserve_device},
    {CallKind::iommu_device_release_dma_owner, "iommu_device_release_dma_owner", true,
     run_iommu_device_release_dma_owner},
    {CallKind::iommu_group_add_device, "iommu_group_add_device", false, run_iommu_group_add_device},
    {CallKind::iommufd_preserve, "iommu_domain_preserve", false, run_iommufd_preserve},
    {CallKind::iommufd_unpreserve, "iommu_domain_unpreserve", false, run_iommufd_unpreserve},
    {CallKind::vfio_preserve, "iommu_preserve_device", false, run_vfio_preserve},
    {CallKind::vfio_unpreserve, "iommu_unpreserve_device", false, run_vfio_unpreserve},
    {CallKind::luo_session_release, "luo_session_release", false, run_luo_session_release},
};
static_assert(std::size(kEntryPoints) == CALL_KIND_COUNT, "an entry point for every call kind");
constexpr bool in_kind_order() {
  for (int k = 0; k < CALL_KIND_COUNT; ++k)
    if (static_cast<int>(kEntryPoints[k].kind) != k) return false;
  return true;
}
static_assert(in_kind_order(), "kEntryPoints in CallKind order");
}  // namespace

const entry_point& entry_point_of(CallKind kind) {
  int k = static_cast<int>(kind);
  BUG_ON(k < 0 || k >= CALL_KIND_COUNT);
  return kEntryPoints[k];
}

bool call_returns_void(CallKind kind) { return entry_point_of(kind).returns_void; }

task<int> invoke(World& w, const Call& call) { co_return co_await entry_point_of(call.kind).run(w, call); }

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
    } else if (call_takes_device(kind) && !call_takes_domain(kind)) {
      push_each(out, c, devices, &Call::device);
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
