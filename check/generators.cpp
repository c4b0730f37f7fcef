#include "check/generators.h"

#include <algorithm>
#include <tuple>

#include "linux/errno.h"

namespace luv {

namespace {

constexpr int kFullSize = rc::kNominalSize;

// A vector of at most `max` elements; the elements keep the full size, so
// their numbers range over everything (the length bound alone is scaled).
template <typename T>
rc::Gen<std::vector<T>> bounded_vector(int max, rc::Gen<T> elem) {
  return rc::gen::resize(max, rc::gen::container<std::vector<T>>(rc::gen::resize(kFullSize, std::move(elem))));
}

// True with probability 1/n; shrinks to false.
rc::Gen<bool> rarely(int n) {
  return rc::gen::map(rc::gen::inRange(0, n), [n](int x) { return x == n - 1; });
}

// An op mask as the set of ops missing (0: every op present), mostly 0.
rc::Gen<int> missing_ops(int all) {
  return rc::gen::map(rc::gen::pair(rarely(3), rc::gen::inRange(0, all + 1)),
                      [](const std::pair<bool, int>& p) { return p.first ? p.second : 0; });
}

struct RawDevice {
  int iommu;
  bool not_pci;
  bool no_dma_owner;
  bool joins_group;  // in the IOMMU group of an earlier device (else its own)
  int group;         // which of the earlier group heads, modulo their count
};
struct RawCall {
  int kind;
  int domain;
  int device;
  int file;
};
struct RawFault {
  int site;
  int nth;
  int err;
};

// The order in which iommufd, VFIO and LUO make their calls in one VMM's
// life: preserve the files, unpreserve them one by one, close the session.
const CallKind kContractKinds[] = {CallKind::iommufd_preserve, CallKind::vfio_preserve, CallKind::vfio_unpreserve,
                                   CallKind::iommufd_unpreserve, CallKind::luo_session_release};

int contract_phase(CallKind k) {
  for (int i = 0; i < 5; ++i)
    if (kContractKinds[i] == k) return i;
  return 5;
}

// A contract call kind from a raw number in 0..39: with session_release,
// one in ten is a session teardown; the rest spread over the per-file calls.
static_assert(static_cast<int>(CallKind::luo_session_release) == CALL_KIND_COUNT - 1, "the teardown is the last kind");
CallKind contract_kind(const GenOptions& o, int raw) {
  if (!o.session_release) return kContractKinds[raw % 4];
  int x = raw % 20;
  return x >= 18 ? CallKind::luo_session_release : kContractKinds[x % 4];
}

int errno_of(int raw) {
  switch (raw) {
    case 1: return -EIO;
    case 2: return -ENOSPC;
    case 3: return -EINVAL;
    default: return 0;  // the site's usual errno
  }
}

// Sessions: mostly none given (each file in its own session); else a raw
// session number per file, taken modulo the file count.
using RawSessions = std::pair<bool, std::vector<int>>;
using RawTopology = std::tuple<int, std::vector<int>, std::vector<int>, std::vector<RawDevice>, RawSessions>;
using RawThreads = std::pair<std::vector<std::vector<RawCall>>, bool>;
using RawScenario = std::tuple<RawTopology, RawThreads, std::pair<int, std::vector<RawFault>>, std::vector<int>, bool>;

Topology fit_topology(const GenOptions& o, const RawTopology& raw) {
  const auto& [per_page, iommus, domains, devices, sessions] = raw;
  Topology t;
  t.objects_per_page = std::min(per_page, o.objects_per_page_max);
  for (int m : iommus)
    if (static_cast<int>(t.iommus.size()) < o.iommus_max) t.iommus.push_back(IommuSpec{static_cast<impl::u8>(IOMMU_OPS_ALL ^ m)});
  if (t.iommus.empty()) t.iommus.push_back(IommuSpec{});
  for (int m : domains)
    if (static_cast<int>(t.domains.size()) < o.domains_max) t.domains.push_back(DomainSpec{static_cast<impl::u8>(DOMAIN_OPS_ALL ^ m)});
  if (t.domains.empty()) t.domains.push_back(DomainSpec{});
  for (const RawDevice& d : devices) {
    if (static_cast<int>(t.devices.size()) >= o.devices_max) break;
    DeviceSpec spec{d.iommu % static_cast<int>(t.iommus.size()), !d.not_pci, !d.no_dma_owner};
    // A device joins the group of an earlier one that heads its own, and
    // takes that group's IOMMU and DMA owner (validate(): a group has one of each).
    std::vector<int> heads;
    for (int j = 0; j < static_cast<int>(t.devices.size()); ++j)
      if (t.devices[j].group < 0) heads.push_back(j);
    if (o.shared_groups && d.joins_group && !heads.empty()) {
      spec.group = heads[d.group % heads.size()];
      spec.iommu = t.devices[spec.group].iommu;
      spec.dma_owner = t.devices[spec.group].dma_owner;
    }
    t.devices.push_back(spec);
  }
  if (t.devices.empty()) t.devices.push_back(DeviceSpec{});
  if (sessions.first) {
    for (int f = 0; f < t.files(); ++f)
      t.sessions.push_back(f < static_cast<int>(sessions.second.size()) ? sessions.second[f] % t.files() : f);
  }
  return t;
}

Call fit_call(const GenOptions& o, const Topology& t, const RawCall& raw) {
  Call c;
  // Adversarial threads draw half their calls from the contract kinds, which
  // build up state (files, domains, devices) for the other half to misuse.
  if (o.mode == CallerMode::contract || raw.kind < 20)
    c.kind = contract_kind(o, raw.kind);
  else
    c.kind = static_cast<CallKind>(raw.kind % (o.session_release ? CALL_KIND_COUNT : CALL_KIND_COUNT - 1));
  if (call_takes_file(c.kind)) c.file = raw.file % t.files();
  if (call_takes_session(c.kind)) c.session = raw.file % t.session_count();
  if (call_takes_domain(c.kind)) c.domain = raw.domain % static_cast<int>(t.domains.size());
  if (call_takes_device(c.kind)) c.device = raw.device % static_cast<int>(t.devices.size());
  return c;
}

Scenario fit(const GenOptions& o, const RawScenario& raw) {
  const auto& [topology, threads, faults, schedule, no_kexec] = raw;
  Scenario s;
  s.variant = o.variant;
  s.mode = o.mode;
  s.topology = fit_topology(o, topology);
  for (const auto& calls : threads.first) {
    if (static_cast<int>(s.threads.size()) >= o.threads_max) break;
    std::vector<Call> fitted;
    for (const RawCall& rc : calls)
      if (static_cast<int>(fitted.size()) < o.calls_per_thread_max) fitted.push_back(fit_call(o, s.topology, rc));
    // Contract threads follow a VMM's life unless the raw flag says otherwise.
    if (o.mode == CallerMode::contract && !threads.second)
      std::stable_sort(fitted.begin(), fitted.end(),
                       [](const Call& a, const Call& b) { return contract_phase(a.kind) < contract_phase(b.kind); });
    s.threads.push_back(std::move(fitted));
  }
  if (s.threads.empty()) s.threads.emplace_back();
  for (int i = 0; i < std::min<int>(faults.first, static_cast<int>(faults.second.size())); ++i) {
    const RawFault& f = faults.second[i];
    s.faults.push_back(Fault{static_cast<impl::fault_site>(f.site % impl::FAULT_SITE_COUNT), f.nth, errno_of(f.err)});
  }
  if (s.threads.size() > 1)
    for (int th : schedule) s.schedule.push_back(th % static_cast<int>(s.threads.size()));
  s.kexec = !no_kexec;
  return s;
}

}  // namespace

rc::Gen<Scenario> scenario_gen(const GenOptions& o) {
  namespace gen = rc::gen;
  // One device in five joins an earlier device's IOMMU group.
  auto device = gen::map(gen::tuple(gen::inRange(0, 8), rarely(10), rarely(10), rarely(5), gen::inRange(0, 8)),
                         [](const std::tuple<int, bool, bool, bool, int>& d) {
                           return RawDevice{std::get<0>(d), std::get<1>(d), std::get<2>(d), std::get<3>(d),
                                            std::get<4>(d)};
                         });
  auto sessions = gen::pair(rarely(3), bounded_vector(o.domains_max + o.devices_max, gen::inRange(0, 24)));
  auto topology = gen::tuple(gen::inRange(1, o.objects_per_page_max + 1), bounded_vector(o.iommus_max, missing_ops(IOMMU_OPS_ALL)),
                             bounded_vector(o.domains_max, missing_ops(DOMAIN_OPS_ALL)),
                             bounded_vector(o.devices_max, device), sessions);
  auto call = gen::map(gen::tuple(gen::inRange(0, 40), gen::inRange(0, 24), gen::inRange(0, 24), gen::inRange(0, 24)),
                       [](const std::tuple<int, int, int, int>& c) {
                         return RawCall{std::get<0>(c), std::get<1>(c), std::get<2>(c), std::get<3>(c)};
                       });
  // At least one thread: a Scenario without one checks nothing. A thread may
  // be empty, so that shrinking can empty it before dropping it (check.cpp).
  auto threads = gen::pair(gen::nonEmpty(bounded_vector(o.threads_max, bounded_vector(o.calls_per_thread_max, call))),
                           rarely(4));
  auto fault = gen::map(gen::tuple(gen::inRange(0, impl::FAULT_SITE_COUNT), gen::inRange(1, 3), gen::inRange(0, 8)),
                        [](const std::tuple<int, int, int>& f) {
                          return RawFault{std::get<0>(f), std::get<1>(f), std::get<2>(f)};
                        });
  // Most Scenarios get no fault, many one, some up to faults_max.
  auto fault_count = gen::map(gen::inRange(0, 8), [max = o.faults_max](int x) { return std::min(max, x / 3); });
  auto faults = gen::pair(fault_count, bounded_vector(o.faults_max, fault));
  auto schedule = bounded_vector(o.schedule_max, gen::inRange(0, 6));
  return gen::map(gen::tuple(topology, threads, faults, schedule, rarely(8)),
                  [o](const RawScenario& raw) { return fit(o, raw); });
}

}  // namespace luv
