// Explorer throughput: states per second and bytes per visited state, and
// what each reduction saves, on fixed bounds of the reference.
//
// Back of the envelope: a state costs one Runner replay of its prefix
// (World construction, ~10-20 steps, abstract-state snapshots at each call,
// an object graph at quiescent points): tens of microseconds, so tens of
// thousands of states per second per core; a visited fingerprint is 8 bytes
// in a table kept at most half full (16-32 bytes per state).
#include <cstdio>

#include "explore.h"

namespace {

luv::ExploreResult one(luv::CallerMode mode, int calls, bool por, bool hashing, bool all_choices = false, int jobs = 1) {
  luv::ExploreOptions o;
  o.variant = "reference";
  o.mode = mode;
  o.calls = calls;
  o.faults = 1;
  if (!all_choices) {
    o.iommu1_ops = {15};
    o.domain1_ops = {3};
  }
  o.jobs = jobs;
  o.por = por;
  o.hashing = hashing;
  return luv::explore(o);
}

void row(const char* what, const luv::ExploreResult& r) {
  const luv::ExploreStats& s = r.stats;
  std::printf("%-52s %10lld %12lld %10.0f %8.1f %9.1f %8.2f\n", what, s.states, s.transitions, s.states_per_second(),
              s.bytes_per_visited(), double(s.peak_rss_bytes) / (1024.0 * 1024.0), s.seconds);
}

}  // namespace

int main() {
  std::printf("%-52s %10s %12s %10s %8s %9s %8s\n", "bound (reference; IOMMU 1, domain 1 all ops unless said)", "states",
              "replays", "states/s", "B/state", "peak MiB", "seconds");
  row("contract, 2 threads, 2 calls, 1 fault", one(luv::CallerMode::contract, 2, true, true));
  row("  same, --no-por", one(luv::CallerMode::contract, 2, false, true));
  row("  same, --no-por --no-hashing", one(luv::CallerMode::contract, 2, false, false));
  row("adversarial, 2 threads, 2 calls, 1 fault", one(luv::CallerMode::adversarial, 2, true, true));
  row("  same, --no-por", one(luv::CallerMode::adversarial, 2, false, true));
  row("contract, 2 threads, 3 calls, 1 fault", one(luv::CallerMode::contract, 3, true, true));
  row("adversarial, 2 calls, all 64 op-set choices, 1 job", one(luv::CallerMode::adversarial, 2, true, true, true, 1));
  row("  same, 2 jobs", one(luv::CallerMode::adversarial, 2, true, true, true, 2));
  return 0;
}
