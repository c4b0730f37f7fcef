// Seeded random sequential Scenarios for the solver's tests: small random
// topologies (some with shared IOMMU groups), any variant, any call with any
// arguments, a few faults.
#pragma once
#include <random>

#include "impl/scenario.h"
#include "impl/variant.h"
#include "solver/encoding.h"

namespace luv::solver::testing {

// Device v joins the IOMMU group of device `with` (or of the device whose
// group that one is in), taking the group's IOMMU and DMA owner as validate() asks.
inline void join_group(Topology& t, int v, int with) {
  int head = t.group_of(with);
  t.devices[v].group = head;
  t.devices[v].iommu = t.devices[head].iommu;
  t.devices[v].dma_owner = t.devices[head].dma_owner;
}

// Small topologies, a third of their later devices sharing an earlier one's
// IOMMU group (so that v4's singleton-group rollback runs).
inline Topology random_topology(std::mt19937& rng) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Topology t;
  t.objects_per_page = pick(1, 3);
  int iommus = pick(1, 3), domains = pick(1, 3), devices = pick(1, 4);
  for (int i = 0; i < iommus; ++i) t.iommus.push_back(IommuSpec{static_cast<impl::u8>(pick(0, 1) ? 15 : pick(0, 15))});
  for (int d = 0; d < domains; ++d) t.domains.push_back(DomainSpec{static_cast<impl::u8>(pick(0, 1) ? 3 : pick(0, 3))});
  for (int v = 0; v < devices; ++v) t.devices.push_back(DeviceSpec{pick(0, iommus - 1), pick(0, 9) != 0, pick(0, 9) != 0});
  for (int v = 1; v < devices; ++v)
    if (pick(0, 2) == 0) join_group(t, v, pick(0, v - 1));
  return t;
}

inline Scenario random_scenario(std::mt19937& rng, int calls_max = 8) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Scenario s;
  const auto& variants = impl::shipped_variants();
  s.variant = variants[pick(0, static_cast<int>(variants.size()) - 1)].name;
  s.mode = pick(0, 1) ? CallerMode::contract : CallerMode::adversarial;
  if (pick(0, 2)) {
    s.topology = default_topology(static_cast<impl::u8>(pick(0, 15)), static_cast<impl::u8>(pick(0, 3)));
    // IOMMU 1's two devices, one group; its driver complete, so that the
    // preserve reaches the group check.
    if (pick(0, 2) == 0) {
      join_group(s.topology, 2, 1);
      s.topology.iommus[1].ops = IOMMU_OPS_ALL;
    }
  } else {
    s.topology = random_topology(rng);
  }
  s.kexec = false;
  std::vector<Call> calls = all_calls(Layout(s.topology), s.mode);
  int n = pick(1, calls_max);
  int threads = pick(1, 2);
  s.threads.assign(threads, {});
  // Half the runs start as a caller would, preserving a domain, so that
  // the device preserves after it get past the domain checks.
  if (pick(0, 1))
    s.threads[0].push_back(Call{CallKind::iommufd_preserve, -1, pick(0, static_cast<int>(s.topology.domains.size()) - 1), -1});
  for (int k = 0; k < n; ++k) s.threads[pick(0, threads - 1)].push_back(calls[pick(0, static_cast<int>(calls.size()) - 1)]);
  for (auto& t : s.threads)
    if (t.empty()) t.push_back(calls[0]);
  int faults = pick(0, 2);
  for (int f = 0; f < faults; ++f)
    s.faults.push_back(Fault{static_cast<impl::fault_site>(pick(0, impl::FAULT_SITE_COUNT - 2)), pick(1, 3), 0});
  return s;
}

}  // namespace luv::solver::testing
