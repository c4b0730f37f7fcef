// Random runs for the Runner-level differential tests (page_watch_test.cpp,
// graph_verdicts_test.cpp): every variant and mutant, random Scenarios on
// docs/SPEC.md's topology, and a verdict as text to compare runs by.
#pragma once
#include <random>
#include <string>
#include <vector>

#include "impl/variant.h"
#include "properties/runner.h"

namespace luv::testing_runs {

// The second pass of scripts/test.sh runs the unit tests again under
// AddressSanitizer in a Debug build, 20-50 times slower; there these
// differential tests take one sample in SAMPLE_DIVISOR, which is what that
// pass is for (memory errors on the code paths), and the normal build runs
// them whole.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr int SAMPLE_DIVISOR = 10;
#else
inline constexpr int SAMPLE_DIVISOR = 1;
#endif

inline std::string verdict_text(const RunResult& r) {
  std::string out = r.verdict.ended ? "ended at step " + std::to_string(r.verdict.ended->step) + "\n" : "";
  for (const Violation& v : r.verdict.violations)
    out += std::string(property_name(v.property)) + " at step " + std::to_string(v.step) + ", T" +
           std::to_string(v.thread) + " call " + std::to_string(v.call) + ": " + v.message + "\n";
  return out.empty() ? "ok" : out;
}

// Every shipped variant, and the reference with each mutant.
inline std::vector<std::string> variants() {
  std::vector<std::string> out;
  for (const impl::variant_rules& v : impl::shipped_variants()) out.push_back(v.name);
  for (int m = 1; m < impl::MUTANT_COUNT; ++m)
    out.push_back(std::string("reference+mutant:") + impl::mutant_name(static_cast<impl::mutant>(m)));
  return out;
}

// A random Scenario on docs/SPEC.md's topology: any call the callers can make,
// long enough for record arrays to chain several pages, some faults.
inline Scenario random_scenario(std::mt19937& rng, const std::string& variant) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Scenario s;
  s.variant = variant;
  s.mode = pick(0, 1) ? CallerMode::contract : CallerMode::adversarial;
  s.topology = default_topology(static_cast<impl::u8>(pick(0, 1) ? 15 : pick(0, 15)), static_cast<impl::u8>(pick(0, 3)));
  s.topology.objects_per_page = pick(1, 2);
  s.kexec = pick(0, 1);
  std::vector<Call> calls;
  for (int d = 0; d < static_cast<int>(s.topology.domains.size()); ++d) {
    calls.push_back(Call{CallKind::iommufd_preserve, -1, d, -1});
    calls.push_back(Call{CallKind::iommufd_unpreserve, -1, d, -1});
    for (int v = 0; v < static_cast<int>(s.topology.devices.size()); ++v) {
      calls.push_back(Call{CallKind::vfio_preserve, -1, d, v});
      calls.push_back(Call{CallKind::vfio_unpreserve, -1, d, v});
      if (s.mode == CallerMode::adversarial) {
        calls.push_back(Call{CallKind::iommu_preserve_device, -1, d, v});
        calls.push_back(Call{CallKind::iommu_unpreserve_device, -1, d, v});
      }
    }
  }
  int threads = pick(1, 2), n = pick(1, 40);
  s.threads.assign(static_cast<size_t>(threads), {});
  for (int k = 0; k < n; ++k)
    s.threads[static_cast<size_t>(pick(0, threads - 1))].push_back(calls[static_cast<size_t>(pick(0, static_cast<int>(calls.size()) - 1))]);
  for (auto& t : s.threads)
    if (t.empty()) t.push_back(calls[0]);
  for (int f = pick(0, 2); f > 0; --f)
    s.faults.push_back(Fault{static_cast<impl::fault_site>(pick(0, impl::FAULT_SITE_COUNT - 2)), pick(1, 6), 0});
  for (int i = pick(0, 1) ? 0 : 4 * n; i > 0; --i) s.schedule.push_back(pick(0, threads - 1));
  return s;
}

}  // namespace luv::testing_runs
