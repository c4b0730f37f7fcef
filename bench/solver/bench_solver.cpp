// Proof times of `luv prove`, per topology and per property.
//
// Back of the envelope, before measuring: a step is one whole call, so the
// transition relation is a disjunction over every call the mode allows
// (42 adversarial calls on docs/SPEC.md's default bound, 102 on 3 IOMMUs / 3
// domains / 6 devices). Induction asks one small query per call and
// property (the call fixed, 2-7 record slots, ~60 state terms), so a proof
// is ~6 x 42 queries of milliseconds each, plus Houdini's passes over the
// lemmas (9 lemmas x 42 calls per pass). Minimising each proof's lemmas
// reruns Houdini on subsets (cached), the dominant cost. Bounded search
// grows with depth: the unrolled formula is depth x calls.
//
// Usage: bench_solver [--quick]   (--quick: the default topology only)
#include <chrono>
#include <cstdio>
#include <cstring>

#include "solver/prove.h"

namespace luv::solver {
namespace {

Topology large_topology() {
  Topology t;
  t.objects_per_page = 2;
  t.iommus.assign(3, IommuSpec{});
  t.domains.assign(3, DomainSpec{});
  for (int v = 0; v < 6; ++v) t.devices.push_back(DeviceSpec{v / 2});
  return t;
}

void bench(const char* name, ProveOptions o) {
  auto t0 = std::chrono::steady_clock::now();
  ProveResult r = prove(o);
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s: variant %s, %zu IOMMUs, %zu domains, %zu devices, %zu calls per step, depth %d, minimise %s\n",
              name, o.variant.c_str(), o.topology.iommus.size(), o.topology.domains.size(),
              o.topology.devices.size(), all_calls(Layout(o.topology), o.mode).size(), o.depth,
              o.minimise ? "yes" : "no");
  for (const PropertyDetail& d : r.details) {
    std::printf("  %-26s %-9s %8.2f s  %s", property_name(d.property), status_name(d.status), d.seconds,
                d.method.c_str());
    for (const std::string& l : d.lemmas) std::printf(" %s", l.c_str());
    if (d.status == Status::violated) std::printf("%d call(s)", d.depth);
    if (!d.spacer.empty()) std::printf("; %s", d.spacer.c_str());
    std::printf("\n");
  }
  std::printf("  total %.2f s\n", total);
  std::fflush(stdout);
}

}  // namespace
}  // namespace luv::solver

int main(int argc, char** argv) {
  using luv::solver::bench;
  using luv::solver::large_topology;
  using luv::solver::OpsMode;
  using luv::solver::ProveOptions;
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  ProveOptions o;
  o.variant = "reference";
  o.depth = 1;  // the proofs do not need the bounded search; it only finds counterexamples
  bench("default bound, IOMMU 1 and domain 1 symbolic", o);
  o.ops = OpsMode::all;
  bench("default bound, every op set symbolic", o);
  o.ops = OpsMode::spec;
  o.minimise = false;
  o.spacer = true;
  bench("default bound, Spacer beside induction", o);
  o.spacer = false;
  ProveOptions v2;
  v2.variant = "v2";
  v2.depth = 2;
  v2.minimise = false;
  bench("v2 counterexamples", v2);
  if (quick) return 0;
  o.topology = large_topology();
  o.minimise = false;  // each Houdini pass costs ~1 min here; minimising reruns it per subset
  bench("3 IOMMUs, 3 domains, 6 devices", o);
  return 0;
}
