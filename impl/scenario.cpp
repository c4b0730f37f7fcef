#include "impl/scenario.h"

#include <algorithm>
#include <string>

namespace luv {

namespace {
struct call_info {
  CallKind kind;
  const char* name;
  bool file, domain, device, session, contract, preserve;
};
constexpr call_info kCalls[CALL_KIND_COUNT] = {
    {CallKind::luo_preserve_file, "luo_preserve_file", true, false, false, false, false, true},
    {CallKind::luo_unpreserve_file, "luo_unpreserve_file", true, false, false, false, false, false},
    {CallKind::iommu_domain_preserve, "iommu_domain_preserve", false, true, false, false, false, true},
    {CallKind::iommu_domain_unpreserve, "iommu_domain_unpreserve", false, true, false, false, false, false},
    {CallKind::iommu_preserve_device, "iommu_preserve_device", false, true, true, false, false, true},
    {CallKind::iommu_unpreserve_device, "iommu_unpreserve_device", false, true, true, false, false, false},
    {CallKind::iommu_device_release_dma_owner, "iommu_device_release_dma_owner", false, false, true, false, false, false},
    {CallKind::iommu_group_add_device, "iommu_group_add_device", false, false, true, false, false, false},
    {CallKind::iommufd_preserve, "iommufd_preserve", false, true, false, false, true, true},
    {CallKind::iommufd_unpreserve, "iommufd_unpreserve", false, true, false, false, true, false},
    {CallKind::vfio_preserve, "vfio_preserve", false, true, true, false, true, true},
    {CallKind::vfio_unpreserve, "vfio_unpreserve", false, true, true, false, true, false},
    {CallKind::luo_session_release, "luo_session_release", false, false, false, true, true, false},
};
const call_info& info(CallKind kind) { return kCalls[static_cast<int>(kind)]; }
}  // namespace

const char* caller_mode_name(CallerMode mode) {
  return mode == CallerMode::contract ? "contract" : "adversarial";
}

const char* call_kind_name(CallKind kind) { return info(kind).name; }
bool call_takes_file(CallKind kind) { return info(kind).file; }
bool call_takes_domain(CallKind kind) { return info(kind).domain; }
bool call_takes_device(CallKind kind) { return info(kind).device; }
bool call_takes_session(CallKind kind) { return info(kind).session; }
bool call_is_contract(CallKind kind) { return info(kind).contract; }
bool call_is_preserve(CallKind kind) { return info(kind).preserve; }
bool call_acts_on_group(CallKind kind) {
  return kind == CallKind::iommu_device_release_dma_owner || kind == CallKind::iommu_group_add_device;
}

bool call_kind_parse(const std::string& name, CallKind& out) {
  for (const call_info& c : kCalls) {
    if (name == c.name) {
      out = c.kind;
      return true;
    }
  }
  return false;
}

Topology default_topology(impl::u8 iommu1_ops, impl::u8 domain1_ops) {
  Topology t;
  t.objects_per_page = 2;
  t.iommus = {IommuSpec{IOMMU_OPS_ALL}, IommuSpec{iommu1_ops}};
  t.domains = {DomainSpec{DOMAIN_OPS_ALL}, DomainSpec{domain1_ops}};
  t.devices = {DeviceSpec{0}, DeviceSpec{1}, DeviceSpec{1}};
  return t;
}

int Topology::session_count() const {
  int n = sessions.empty() ? files() : 0;
  for (int s : sessions) n = std::max(n, s + 1);
  return n;
}

bool Topology::group_is_singleton(int d) const {
  for (int other = 0; other < static_cast<int>(devices.size()); ++other)
    if (other != d && group_of(other) == group_of(d)) return false;
  return true;
}

std::vector<int> Topology::files_of_session(int session) const {
  std::vector<int> out;
  for (int f = 0; f < files(); ++f)
    if (session_of(f) == session) out.push_back(f);
  return out;
}

int Scenario::calls_total() const {
  int n = 0;
  for (const auto& t : threads) n += static_cast<int>(t.size());
  return n;
}

namespace {
const char* article(const char* noun) { return noun[0] == 'I' ? "an " : "a "; }

std::string out_of_range(const std::string& field, int value, const char* what, size_t count) {
  return field + ": " + std::to_string(value) + " is not " + article(what) + what + " (topology has " + std::to_string(count) +
         ")";
}
}  // namespace

namespace {
// A device joins the group of an earlier device that heads its own group;
// the devices of a group sit behind one IOMMU (a group is one unit's) and
// agree on its DMA owner (the group has one).
std::string group_error(const Topology& t, size_t i) {
  const DeviceSpec& d = t.devices[i];
  std::string field = "topology.devices[" + std::to_string(i) + "].group";
  if (d.group < -1) return field + ": " + std::to_string(d.group) + " is not a device (-1: its own group)";
  if (d.group < 0) return "";
  if (d.group >= static_cast<int>(i))
    return field + ": " + std::to_string(d.group) + " is not an earlier device (a device joins the group of one before it)";
  if (t.devices[static_cast<size_t>(d.group)].group >= 0)
    return field + ": device " + std::to_string(d.group) + " is itself in another device's group; name that one";
  if (t.devices[static_cast<size_t>(d.group)].iommu != d.iommu)
    return "topology.devices[" + std::to_string(i) + "].iommu: differs from its group's (device " +
           std::to_string(d.group) + "); a group is behind one IOMMU";
  if (t.devices[static_cast<size_t>(d.group)].dma_owner != d.dma_owner)
    return "topology.devices[" + std::to_string(i) + "].dma_owner: differs from its group's (device " +
           std::to_string(d.group) + "); a group has one DMA owner";
  return "";
}

// "threads: 33 is more than the limit of 16", or "" within it.
std::string over_limit(const std::string& field, size_t n, int limit) {
  if (n <= static_cast<size_t>(limit)) return "";
  return field + ": " + std::to_string(n) + " is more than the limit of " + std::to_string(limit);
}
}  // namespace

std::string validate(const Scenario& s) {
  const Topology& t = s.topology;
  for (const std::string& why :
       {over_limit("topology.iommus", t.iommus.size(), SCENARIO_IOMMUS_MAX),
        over_limit("topology.domains", t.domains.size(), SCENARIO_DOMAINS_MAX),
        over_limit("topology.devices", t.devices.size(), SCENARIO_DEVICES_MAX),
        over_limit("faults", s.faults.size(), SCENARIO_FAULTS_MAX), over_limit("threads", s.threads.size(), SCENARIO_THREADS_MAX),
        over_limit("schedule", s.schedule.size(), SCENARIO_SCHEDULE_MAX)})
    if (!why.empty()) return why;
  for (size_t ti = 0; ti < s.threads.size(); ++ti)
    if (std::string why = over_limit("threads[" + std::to_string(ti) + "]", s.threads[ti].size(),
                                     SCENARIO_CALLS_PER_THREAD_MAX);
        !why.empty())
      return why;
  // Summed as size_t: no thread is past the limit here, so the sum cannot wrap.
  size_t calls = 0;
  for (const auto& thread : s.threads) calls += thread.size();
  if (std::string why = over_limit("threads (calls in all)", calls, SCENARIO_CALLS_MAX); !why.empty()) return why;
  if (t.objects_per_page < 1 || t.objects_per_page > impl::KHO_OBJS_PER_PAGE_MAX)
    return "topology.objects_per_page: " + std::to_string(t.objects_per_page) + " is outside 1.." +
           std::to_string(impl::KHO_OBJS_PER_PAGE_MAX);
  if (t.iommus.empty()) return "topology.iommus: at least one IOMMU is needed";
  for (size_t i = 0; i < t.iommus.size(); ++i)
    if (t.iommus[i].ops > IOMMU_OPS_ALL) return "topology.iommus[" + std::to_string(i) + "].ops: unknown op bits";
  for (size_t i = 0; i < t.domains.size(); ++i)
    if (t.domains[i].ops > DOMAIN_OPS_ALL) return "topology.domains[" + std::to_string(i) + "].ops: unknown op bits";
  for (size_t i = 0; i < t.devices.size(); ++i) {
    int iommu = t.devices[i].iommu;
    if (iommu < 0 || iommu >= static_cast<int>(t.iommus.size()))
      return out_of_range("topology.devices[" + std::to_string(i) + "].iommu", iommu, "IOMMU", t.iommus.size());
    if (std::string why = group_error(t, i); !why.empty()) return why;
  }
  if (!t.sessions.empty() && static_cast<int>(t.sessions.size()) != t.files())
    return "topology.sessions: " + std::to_string(t.sessions.size()) + " entries for " + std::to_string(t.files()) +
           " files (one session index per file, or none)";
  for (size_t f = 0; f < t.sessions.size(); ++f)
    if (t.sessions[f] < 0 || t.sessions[f] >= t.files())
      return "topology.sessions[" + std::to_string(f) + "]: " + std::to_string(t.sessions[f]) + " is outside 0.." +
             std::to_string(t.files() - 1);
  for (size_t f = 0; f < s.faults.size(); ++f)
    if (s.faults[f].nth < 1) return "faults[" + std::to_string(f) + "].nth: must be 1 or more";
  if (s.threads.empty()) return "threads: at least one thread is needed";
  for (size_t ti = 0; ti < s.threads.size(); ++ti) {
    for (size_t ci = 0; ci < s.threads[ti].size(); ++ci) {
      const Call& c = s.threads[ti][ci];
      std::string at = "threads[" + std::to_string(ti) + "][" + std::to_string(ci) + "]";
      if (s.mode == CallerMode::contract && !call_is_contract(c.kind))
        return at + ".call: " + call_kind_name(c.kind) +
               " is not a contract-mode call (use iommufd_*, vfio_* or luo_session_release)";
      if (call_takes_file(c.kind) && (c.file < 0 || c.file >= t.files()))
        return out_of_range(at + ".file", c.file, "file", static_cast<size_t>(t.files()));
      if (call_takes_domain(c.kind) && (c.domain < 0 || c.domain >= static_cast<int>(t.domains.size())))
        return out_of_range(at + ".domain", c.domain, "domain", t.domains.size());
      if (call_takes_device(c.kind) && (c.device < 0 || c.device >= static_cast<int>(t.devices.size())))
        return out_of_range(at + ".device", c.device, "device", t.devices.size());
      if (call_takes_session(c.kind) && (c.session < 0 || c.session >= t.session_count()))
        return out_of_range(at + ".session", c.session, "session", static_cast<size_t>(t.session_count()));
    }
  }
  for (size_t i = 0; i < s.schedule.size(); ++i) {
    int th = s.schedule[i];
    if (th < 0 || th >= static_cast<int>(s.threads.size()))
      return out_of_range("schedule[" + std::to_string(i) + "]", th, "thread", s.threads.size());
  }
  return "";
}

}  // namespace luv
