#include "properties/callers_memory.h"

#include <algorithm>
#include <tuple>

#include "impl/world.h"
#include "linux/errno.h"
#include "properties/assert.h"

namespace luv {

namespace {

bool no_file_preserved(const impl::World& w) {
  return std::none_of(w.file_preserved.begin(), w.file_preserved.end(), [](bool b) { return b; });
}

}  // namespace

void CallersMemory::note_returned(const CallRecord& r, bool warned) {
  const Call& c = r.call;
  bool device = call_takes_device(c.kind);
  if (!device && !call_takes_domain(c.kind)) return;  // LUO file calls: w.file_preserved says
  if (call_acts_on_group(c.kind)) return;  // keeps what was preserved
  int id = device ? c.device : c.domain;
  std::set<int>& outstanding = device ? devices_outstanding_ : domains_outstanding_;
  std::map<int, int>& kept = device ? devices_kept_ : domains_kept_;
  if (call_is_preserve(c.kind)) {
    if (r.ret != 0) return;
    outstanding.insert(id);
    kept[id] = device ? c.domain : -1;
  } else if (!(call_is_contract(c.kind) && r.ret == -ENOENT)) {
    outstanding.erase(id);
    if (!warned) kept.erase(id);
  }
}

void CallersMemory::forget_kept() { devices_kept_.clear(), domains_kept_.clear(); }

namespace {
constexpr int DEVICE = 1000;  // devices after domains, in one numbering of the objects

int file_object(const Topology& t, int file) {
  return t.file_device(file) >= 0 ? DEVICE + t.file_device(file) : t.file_domain(file);
}

// Calls f on each object a call acts on: its domain or device; a raw LUO
// call's, the object of its file; a session's teardown, the objects of the
// session's files. No allocation: it runs at every overlapping call's return.
template <typename F>
void for_each_object(const Topology& t, const Call& x, F f) {
  if (x.kind == CallKind::luo_session_release) {
    for (int file = 0; file < t.files(); ++file)
      if (t.session_of(file) == x.session) f(file_object(t, file));
  } else if (call_takes_file(x.kind)) {
    f(file_object(t, x.file));
  } else if (call_takes_device(x.kind)) {
    f(DEVICE + x.device);
  } else if (call_takes_domain(x.kind)) {
    f(x.domain);
  }
}
}  // namespace

void CallersMemory::note_overlap(const Topology& t, const Call& returned, const Call& other) {
  // A teardown unpreserves; a raw LUO call may drop a file under a call.
  auto unsure = [](const Call& x) { return x.kind == CallKind::luo_session_release || call_takes_file(x.kind); };
  // A group's event changes no record; a preserve it races says by its return.
  if (call_acts_on_group(returned.kind) || call_acts_on_group(other.kind)) return;
  if (!unsure(returned) && !unsure(other) && call_is_preserve(other.kind) == call_is_preserve(returned.kind)) return;
  for_each_object(t, returned, [&](int id) {
    for_each_object(t, other, [&](int theirs) {
      if (theirs != id) return;
      if (id >= DEVICE) racing_devices_.insert(id - DEVICE);
      else racing_domains_.insert(id);
    });
  });
}

bool CallersMemory::everything_unpreserved(const impl::World& w) const {
  return devices_outstanding_.empty() && domains_outstanding_.empty() && no_file_preserved(w);
}

impl::next_kernel_result CallersMemory::expected_restore(const impl::World& w, const Topology& t) const {
  impl::next_kernel_result want;
  if (no_file_preserved(w)) return want;
  for (const auto& [d, domain] : devices_kept_) {
    LUV_ASSERT(d >= 0 && d < static_cast<int>(t.devices.size()));
    int iommu = t.devices[d].iommu;
    want.devices.push_back({d, domain, iommu});
    want.iommus.push_back(iommu);
    want.domains.push_back(domain);  // a kept device brings its domain
  }
  for (const auto& kept : domains_kept_) want.domains.push_back(kept.first);
  for (auto* v : {&want.iommus, &want.domains}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return want;
}

std::string CallersMemory::restore_mismatch(const Topology& t, impl::next_kernel_result want,
                                            impl::next_kernel_result got) const {
  std::set<int> racing_iommus;
  for (int d : racing_devices_) racing_iommus.insert(t.devices[d].iommu);
  for (auto* r : {&want, &got}) {
    std::erase_if(r->devices, [&](const impl::restored_device& d) { return racing_devices_.count(d.device) > 0; });
    std::erase_if(r->domains, [&](int d) { return racing_domains_.count(d) > 0; });
    std::erase_if(r->iommus, [&](int i) { return racing_iommus.count(i) > 0; });
    std::sort(r->devices.begin(), r->devices.end(), [](const auto& a, const auto& b) {
      return std::tie(a.device, a.domain, a.iommu) < std::tie(b.device, b.domain, b.iommu);
    });
    std::sort(r->domains.begin(), r->domains.end());
    std::sort(r->iommus.begin(), r->iommus.end());
  }
  if (got.devices != want.devices) return "devices differ";
  if (got.domains != want.domains) return "domains differ";
  if (got.iommus != want.iommus) return "IOMMUs differ";
  // A consistent hand-over restores whole; a record the next kernel must
  // refuse (e.g. a deleted one it walked) is a mismatch even when the
  // drivers' checks kept the restored set right.
  if (!got.errors.empty()) return "the next kernel refused records it was handed";
  return {};
}

CallStart& CallersMemory::started(int thread) {
  LUV_ASSERT(thread >= 0 && thread < threads());
  return started_[static_cast<size_t>(thread)];
}

const CallStart& CallersMemory::started(int thread) const {
  LUV_ASSERT(thread >= 0 && thread < threads());
  return started_[static_cast<size_t>(thread)];
}

void CallersMemory::note_step(int t) {
  for (int u = 0; u < threads(); ++u)
    if (u != t) started_[static_cast<size_t>(u)].alone = false;
}

unsigned CallersMemory::alone_mask(unsigned in_call) const {
  unsigned mask = 0;
  for (int t = 0; t < threads(); ++t)
    if (started_[static_cast<size_t>(t)].alone) mask |= 1u << t;
  return mask & in_call;
}

std::vector<std::pair<CallRecord, bool>> object_calls(const impl::World& w, const Topology& t, const CallRecord& r,
                                                      bool warned_in_call) {
  if (r.call.kind != CallKind::luo_session_release) return {{r, warned_in_call}};
  std::vector<std::pair<CallRecord, bool>> out;
  for (const impl::World::released_file& released : w.call_released[static_cast<size_t>(r.thread)]) {
    const impl::luo_session::entry& e = released.file;
    int dev = t.file_device(e.file);
    CallRecord one = r;
    one.call = dev < 0 ? Call{CallKind::iommufd_unpreserve, -1, t.file_domain(e.file), -1}
                       : Call{CallKind::vfio_unpreserve, -1, e.domain, dev};
    one.ret = 0;
    out.emplace_back(one, released.warned);
  }
  return out;
}

}  // namespace luv
