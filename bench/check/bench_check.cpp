// bench_check: how fast the RapidCheck engine checks calls and Scenarios.
//
// Back of the envelope, before measuring: a call of the lifecycle is tens of
// field updates (a few ns each), so the implementation alone could run
// ~10^7 calls/s. Every check adds to that, per call: the Runner's coroutine
// frames and scheduler steps (3-6 steps a call, ~100 ns each with
// allocation), error-path-deleted's sorted string facts before each call
// (~30 strings, ~3 us), the Boost.Graph object graph at each quiescent
// point (a vertex per page, record and object, maps by address, ~10 us),
// and the model (abstraction + one step, ~1 us). So "every check on" is
// bounded by the string facts and the graph at ~10^5 calls/s, not by the
// model; 10^6 calls/s/core would need the graph and the facts replaced by
// incremental checks. The rows below measure each layer separately; the
// object-graph properties are now decided incrementally (graph_verdicts.h),
// and the "graph path" rows run the old path in the same binary.
//
// Usage: bench_check [seconds_per_sample=0.5] [samples=5] [ROW]
// ROW: run only the rows whose name contains it (for a profiler).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "check/check.h"

namespace {

using luv::Call;
using luv::CallKind;
using clock_type = std::chrono::steady_clock;

Call call(CallKind kind, int domain = -1, int device = -1) { return Call{kind, -1, domain, device}; }

// docs/SPEC.md's default bound (2 IOMMUs, 2 domains, 3 devices, 2 objects per
// page): the contract lifecycle of one VMM, and two VMMs racing.
std::vector<luv::Scenario> workload() {
  luv::Scenario one;
  one.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 0),
                  call(CallKind::vfio_preserve, 0, 1), call(CallKind::vfio_preserve, 0, 2),
                  call(CallKind::vfio_unpreserve, 0, 0), call(CallKind::vfio_unpreserve, 0, 1),
                  call(CallKind::vfio_unpreserve, 0, 2), call(CallKind::iommufd_unpreserve, 0)}};
  luv::Scenario two;
  two.threads = {{call(CallKind::iommufd_preserve, 0), call(CallKind::vfio_preserve, 0, 1),
                  call(CallKind::vfio_unpreserve, 0, 1), call(CallKind::iommufd_unpreserve, 0)},
                 {call(CallKind::iommufd_preserve, 1), call(CallKind::vfio_preserve, 1, 2),
                  call(CallKind::vfio_unpreserve, 1, 2), call(CallKind::iommufd_unpreserve, 1)}};
  two.schedule = {0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1};
  return {one, two};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Calls per second over `samples` samples of about `seconds` each.
double calls_per_second(const std::vector<luv::Scenario>& work, luv::RunOptions options, double seconds,
                        int samples) {
  std::vector<double> rates;
  for (int i = 0; i < samples; ++i) {
    long long calls = 0;
    auto t0 = clock_type::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      for (const luv::Scenario& s : work) {
        luv::RunResult r = luv::run(s, options);
        if (!r.verdict.ok()) {
          std::fprintf(stderr, "bench_check: the workload violates %s\n", luv::property_name(r.verdict.violation->property));
          std::exit(1);
        }
        calls += static_cast<long long>(r.calls.size());
      }
      elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
    }
    rates.push_back(static_cast<double>(calls) / elapsed);
  }
  return median(rates);
}

double scenarios_per_second(luv::CallerMode mode, int tests, int samples, double* calls_rate) {
  std::vector<double> rates, call_rates;
  for (int i = 0; i < samples; ++i) {
    luv::CheckOptions o;
    o.mode = mode;
    o.tests = tests;
    o.seed = static_cast<std::uint64_t>(i + 1);
    auto t0 = clock_type::now();
    luv::CheckResult r = luv::check(o);
    double elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
    rates.push_back(r.tests / elapsed);
    call_rates.push_back(static_cast<double>(r.calls) / elapsed);
  }
  *calls_rate = median(call_rates);
  return median(rates);
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 0.5;
  int samples = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string only_rows = argc > 3 ? argv[3] : "";
  auto wanted = [&](const std::string& row) { return row.find(only_rows) != std::string::npos; };
  if (seconds <= 0 || samples < 1) {
    std::fprintf(stderr, "usage: bench_check [seconds_per_sample>0] [samples>=1]\n");
    return 2;
  }
  std::vector<luv::Scenario> work = workload();
  std::printf("bench_check: median of %d samples of %.2f s, default topology, trace off\n", samples, seconds);

  // Which checks cost what: the Runner with a property set (the model's
  // observer runs when model-refinement is in it).
  struct config {
    const char* what;
    luv::PropertySet properties;
    luv::GraphChecks graph_checks = luv::GraphChecks::incremental;
  };
  luv::PropertySet no_model = luv::all_properties();
  no_model.reset(static_cast<size_t>(luv::PropertyId::model_refinement));
  const config configs[] = {
      {"every check + model-refinement", luv::all_properties()},
      {"every check, no model", no_model},
      // The old path in the same binary: the object graph at every quiescent point.
      {"every check + model, graph path", luv::all_properties(), luv::GraphChecks::graph},
      {"every check, no model, graph path", no_model, luv::GraphChecks::graph},
      {"model-refinement only", luv::only(luv::PropertyId::model_refinement)},
      {"object graph only (no-dangling)", luv::only(luv::PropertyId::no_dangling)},
      {"object graph only, graph path", luv::only(luv::PropertyId::no_dangling), luv::GraphChecks::graph},
      {"error-path-deleted only (facts)", luv::only(luv::PropertyId::error_path_deleted)},
      {"no checks (implementation alone)", luv::PropertySet()},
  };
  for (const config& c : configs) {
    if (!wanted(c.what)) continue;
    luv::RunOptions options;
    options.properties = c.properties;
    options.graph_checks = c.graph_checks;
    std::printf("  runner, %-36s %10.0f calls/s\n", (std::string(c.what) + ":").c_str(),
                calls_per_second(work, options, seconds, samples));
  }

  for (luv::CallerMode mode : {luv::CallerMode::contract, luv::CallerMode::adversarial}) {
    if (!wanted(std::string("luv check ") + luv::caller_mode_name(mode))) continue;
    double call_rate = 0;
    double rate = scenarios_per_second(mode, 5000, samples, &call_rate);
    std::printf("  luv check reference %-11s: %10.0f scenarios/s (%8.0f calls/s, generation included)\n",
                luv::caller_mode_name(mode), rate, call_rate);
  }
  return 0;
}
