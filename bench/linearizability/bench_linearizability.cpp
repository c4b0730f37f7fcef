// bench_linearizability: the cost of deciding linearizability of one
// history of T threads x 16 calls against the model, T = 2..8.
//
// Back of the envelope: a configuration (each thread's position and the
// model state) costs one model step, a copy of a 30-byte state and a hash
// of a ~60-byte key, well under a microsecond. With every call overlapping
// a few others per thread, the configurations reachable are about
// (calls) x (interleavings of the few calls open at once) x (model states
// they leave), i.e. 10^3-10^5 for 8 threads: milliseconds per history.
// Without the memo the orders of a segment's open calls multiply instead
// (8 open calls alone have 8! = 40320 orders), which is why the old search
// was bounded at 64 calls.
//
// Histories are recorded from real runs of the reference (adversarial mode,
// the generator's mix: half contract calls, half any entry point, one fault
// in a third of them) under a random schedule over the whole run, so the
// threads never rest at once and a history is one or a few segments. Each
// benchmark iteration judges one history, cycling through 24 of them; the
// round-robin rows are the worst case, every thread one step at a time.
//
// Usage: bench_linearizability [--benchmark_repetitions=N] (medians are reported)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "check/check.h"
#include "properties/refinement.h"

namespace {

using luv::Call;
using luv::CallKind;

constexpr int CALLS_PER_THREAD = 16;
constexpr int HISTORIES = 24;
const CallKind kContract[] = {CallKind::iommufd_preserve, CallKind::vfio_preserve, CallKind::vfio_unpreserve,
                              CallKind::iommufd_unpreserve};

struct history {
  luv::model::Model model{luv::default_topology()};
  std::vector<luv::RefinementObserver::Segment> segments;
  size_t calls = 0;
};

Call random_call(std::mt19937& rng, const luv::Topology& t) {
  Call c;
  c.kind = rng() % 2 ? kContract[rng() % 4] : static_cast<CallKind>(rng() % luv::CALL_KIND_COUNT);
  if (luv::call_takes_file(c.kind)) c.file = static_cast<int>(rng() % t.files());
  if (luv::call_takes_domain(c.kind)) c.domain = static_cast<int>(rng() % t.domains.size());
  if (luv::call_takes_device(c.kind)) c.device = static_cast<int>(rng() % t.devices.size());
  if (luv::call_takes_session(c.kind)) c.session = static_cast<int>(rng() % static_cast<unsigned>(t.session_count()));
  return c;
}

luv::Scenario scenario(int threads, unsigned seed, bool round_robin) {
  std::mt19937 rng(seed);
  luv::Scenario s;
  s.mode = luv::CallerMode::adversarial;
  s.threads.resize(threads);
  for (auto& calls : s.threads)
    for (int j = 0; j < CALLS_PER_THREAD; ++j) calls.push_back(random_call(rng, s.topology));
  if (!round_robin && seed % 3 == 0)
    s.faults.push_back(luv::Fault{static_cast<luv::impl::fault_site>(rng() % luv::impl::FAULT_SITE_COUNT),
                                  static_cast<int>(1 + rng() % 3), 0});
  // Enough entries for every step of the run: calls are a few steps each.
  for (int i = 0; i < threads * CALLS_PER_THREAD * 12; ++i)
    s.schedule.push_back(round_robin ? i % threads : static_cast<int>(rng() % threads));
  return s;
}

// Runs the Scenario with the model-refinement observer and keeps its segments.
history record(const luv::Scenario& s) {
  history h;
  luv::RefinementObserver observer;
  observer.keep_segments(&h.segments);
  luv::RunOptions o;
  o.properties = luv::only(luv::PropertyId::model_refinement);
  o.observer = &observer;
  luv::RunResult r = luv::run(s, o);
  if (!r.verdict.ok() || !observer.undecided().empty()) {
    std::fprintf(stderr, "bench_linearizability: the reference run is not decided linearizable: %s%s\n",
                 r.verdict.ok() ? "" : r.verdict.violation->message.c_str(), observer.undecided().c_str());
    std::exit(1);
  }
  h.calls = r.calls.size();
  return h;
}

const std::vector<history>& histories(int threads, bool round_robin) {
  static std::vector<history> cache[2][9];
  std::vector<history>& hs = cache[round_robin][threads];
  if (hs.empty())
    for (int i = 0; i < (round_robin ? 1 : HISTORIES); ++i) hs.push_back(record(scenario(threads, 1000 * threads + i, round_robin)));
  return hs;
}

long long judge(const history& h) {
  long long configurations = 0;
  for (const auto& seg : h.segments) {
    luv::Linearization lin = luv::linearize(h.model, seg.starts, seg.calls, seg.target);
    if (lin.finals.empty()) std::abort();  // recorded from a decided, linearizable run
    configurations += lin.nodes;
  }
  return configurations;
}

void run_bench(benchmark::State& state, bool round_robin) {
  const std::vector<history>& hs = histories(static_cast<int>(state.range(0)), round_robin);
  size_t i = 0;
  long long configurations = 0;
  for (auto _ : state) {
    configurations += judge(hs[i]);
    i = (i + 1) % hs.size();
  }
  // Per history: calls, its longest segment, configurations memoised (the
  // worst of the set too: the memo's size is the bound left).
  size_t calls = 0, longest = 0;
  long long worst = 0;
  for (const history& h : hs) {
    calls += h.calls;
    for (const auto& seg : h.segments) longest = std::max(longest, seg.calls.size());
    worst = std::max(worst, judge(h));
  }
  state.counters["calls"] = static_cast<double>(calls) / static_cast<double>(hs.size());
  state.counters["longest_segment"] = static_cast<double>(longest);
  state.counters["configs"] = static_cast<double>(configurations) / static_cast<double>(state.iterations());
  state.counters["configs_worst"] = static_cast<double>(worst);
}

void BM_linearize_random_schedule(benchmark::State& state) { run_bench(state, false); }
void BM_linearize_round_robin(benchmark::State& state) { run_bench(state, true); }

BENCHMARK(BM_linearize_random_schedule)->DenseRange(2, 8)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_linearize_round_robin)->DenseRange(2, 8)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
