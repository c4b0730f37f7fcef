// Explorer throughput: states per second and bytes per visited state, and
// what each reduction saves, on fixed bounds of the reference.
//
// Back of the envelope: with snapshots (the default, depth-first) a state
// costs its parent's saved bytes copied back (10-40 KB), one step, the World's
// components and fingerprint, and its own bytes saved when it is expanded:
// a few microseconds, so a few hundred thousand states per second per core.
// Replaying instead (--no-snapshots) costs one or two Runner runs of the
// prefix (World construction, ~10-30 steps): tens of microseconds. A visited
// fingerprint is 8 bytes in a table kept at most half full, plus a byte of
// sleep set with POR (18-36 bytes per state).
#include <cstdio>
#include <string>

#include "explore/explore.h"

namespace {

struct bound {
  luv::CallerMode mode;
  int calls = 4;  // docs/SPEC.md's default: 2 threads, 4 calls, 1 fault
  bool por = true, hashing = true, read_frames = true, all_choices = false, symmetry = true, snapshots = true;
  int jobs = 1;
  long long states_max = 0;
};

luv::ExploreResult one(const bound& b) {
  luv::ExploreOptions o;
  o.variant = "reference";
  o.mode = b.mode;
  o.calls = b.calls;
  o.faults = 1;
  if (!b.all_choices) {
    o.iommu1_ops = {15};
    o.domain1_ops = {3};
  }
  o.jobs = b.jobs;
  o.por = b.por;
  o.hashing = b.hashing;
  o.read_frames = b.read_frames;
  o.symmetry = b.symmetry;
  o.snapshots = b.snapshots;
  o.states_max = b.states_max;
  return luv::explore(o);
}

void row(const char* what, const luv::ExploreResult& r) {
  const luv::ExploreStats& s = r.stats;
  std::printf("%-60s %10lld %12lld %10.0f %8.1f %9.1f %8.2f %9lld%s\n", what, s.states, s.transitions,
              s.states_per_second(), s.bytes_per_visited(), double(s.peak_rss_bytes) / (1024.0 * 1024.0), s.seconds,
              s.snapshot_bytes_max, s.complete ? "" : " (cut)");
}

}  // namespace

int main() {
  using luv::CallerMode;
  std::printf("%-60s %10s %12s %10s %8s %9s %8s %9s\n", "bound (reference; 2 threads, 1 fault; IOMMU 1, domain 1 all ops)",
              "states", "replays", "states/s", "B/state", "peak MiB", "seconds", "snapshot");
  // docs/SPEC.md's default bound, on its largest op-set choice.
  row("contract, 4 calls (the default bound)", one({.mode = CallerMode::contract}));
  row("  same, --no-snapshots", one({.mode = CallerMode::contract, .snapshots = false}));
  row("adversarial, 4 calls (the default bound), first 2M states",
      one({.mode = CallerMode::adversarial, .states_max = 2000000}));
  row("  same, --no-snapshots", one({.mode = CallerMode::adversarial, .snapshots = false, .states_max = 2000000}));
  // What each reduction saves.
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    std::string name = std::string(luv::caller_mode_name(mode)) + ", 3 calls";
    row(name.c_str(), one({.mode = mode, .calls = 3}));
    row("  same, --no-symmetry", one({.mode = mode, .calls = 3, .symmetry = false}));
    row("  same, --world-frames (no symmetry either)", one({.mode = mode, .calls = 3, .read_frames = false}));
  }
  row("contract, 2 calls", one({.mode = CallerMode::contract, .calls = 2}));
  row("  same, --no-por", one({.mode = CallerMode::contract, .calls = 2, .por = false}));
  row("  same, --no-por --no-hashing", one({.mode = CallerMode::contract, .calls = 2, .por = false, .hashing = false}));
  row("adversarial, 2 calls", one({.mode = CallerMode::adversarial, .calls = 2}));
  row("  same, --no-por", one({.mode = CallerMode::adversarial, .calls = 2, .por = false}));
  // --jobs: op-set choices at once.
  row("adversarial, 2 calls, all 64 op-set choices, 1 job",
      one({.mode = CallerMode::adversarial, .calls = 2, .all_choices = true}));
  row("  same, 2 jobs", one({.mode = CallerMode::adversarial, .calls = 2, .all_choices = true, .jobs = 2}));
  return 0;
}
