// A 64-bit fingerprint of a World's shared state, for the explorer's
// visited set. See README.md for what it covers and why that is enough.
#pragma once
#include <cstdint>

#include <string>
#include <utility>
#include <vector>

#include "explore/independence.h"

namespace luv::impl {
struct World;
struct read_event;
}

namespace luv::explorer {

// Order-sensitive mixing of 64-bit words (splitmix64's finaliser).
struct Hasher {
  std::uint64_t h = 0x9e3779b97f4a7c15ull;
  // Inlined always: GCC 12 at -O2 kept it out of line in every caller, a
  // call per word hashed (bench/RESULTS.md, twelfth session).
  [[gnu::always_inline]] void add(std::uint64_t v) {
    std::uint64_t z = h ^ v;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    h = z ^ (z >> 31);
  }
};

// The shared state in components that a step can read separately: LUO's
// FLB and files, each mutex, each FLB object (whether it is live; its array
// pointers), each kernel object's pointers, each KHO page with its records
// (raw physical addresses: equal fingerprints mean equal allocation
// histories' results, not merely isomorphic ones), the allocators, the
// WARN_ON_ONCE sites. (id, hash of its content; a mutex's owner and poison
// unhashed), sorted by id; with the sums world_fingerprint() is made of,
// kept with the list so that a step's changes update both.
struct Components {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> list;
  // Each component's word mixed on its own, summed: over all of them, over
  // the mutexes, and over the mutexes with threads 0 and 1 swapped.
  std::uint64_t sum = 0, mutexes = 0, renamed_mutexes = 0;
  bool operator==(const Components&) const = default;
};
void world_components(const impl::World& w, Components& out);

// The components of w after a step that read or wrote only the components
// `touched` (ids, in any order, repeats allowed), given `before`, those of the
// World it started from: `before` with those hashed again, and with the
// pages and FLB objects the step allocated (whose allocator it read).
// `footprint`, when not null, gets the components touched and those whose
// content changed (explore/independence.h).
void update_components(const impl::World& w, const Components& before, const std::vector<std::uint64_t>& touched,
                       Components& out, StepFootprint* footprint = nullptr);

// What the Runner reads of the World after a step (properties/runner.cpp),
// outside the shims' notes, as footprint bits: after every step, whether the
// FLB is torn down (LUO's FLB object and files, forget_kept_after_teardown);
// after a step that ended a call (`call_ended`), also what the return's
// checks read: LUO's FLB and files, which FLB objects live (whose locks
// locks_at_return looks at), the IOMMUs, domains, devices, groups and
// sessions (missing_unpreserve, a session release's object calls).
// error_path reads more but only of a call that ran alone, and a warning or
// splat is no component (a step that adds one changed everything).
std::uint64_t runner_reads(const Components& c, bool call_ended);

// "KHO page 3": a component's kind and index, for messages.
std::string component_name(std::uint64_t id);

// Everything in the World that a later step can read, except thread
// positions and fault-site visit counts: the components, whether anything
// warned, how many splats (lockdep, KASAN) are pending. Thread positions are
// added by the caller where needed. `mirror`, when not null, gets the
// fingerprint as if threads 0 and 1 were swapped (lock owners renamed), for
// the symmetry of two threads, computed in the same pass.
std::uint64_t world_fingerprint(const impl::World& w, const Components& c, std::uint64_t* mirror = nullptr);

// The component a noted read touched, or 0 when it is not shared state (a
// kptr local to a coroutine frame).
std::uint64_t component_of(const impl::World& w, const impl::read_event& e);

// A mutex component's content is its owner and poison, unhashed, so that the
// reader can see it relative to itself: held by itself or not, and poisoned
// or not. That is all a frame can tell: the shims compare an owner only with
// the current thread (recursion, lockdep, unlock), and resume a thread at a
// lock only once it is free, so a lock found free and one found held by
// another leave the same frame (and thread ids would break the symmetry).
bool is_mutex_component(std::uint64_t id);

// Whether a step of thread `t` that read the components `read` (ids) and
// changed `before` into `after` did nothing another thread could see but
// take a lock that lasts the run: LUO's FLB lock or a session's, whose
// objects are never freed (an FLB object's lock is not: freeing it poisons
// it). Such a step is a right mover (docs/DESIGN.md, "Lock movers").
bool only_took_lasting_lock(const Components& before, const Components& after, const std::vector<std::uint64_t>& read,
                            int t);
std::uint64_t mutex_as_seen_by(std::uint64_t content, int reader);

}  // namespace luv::explorer
