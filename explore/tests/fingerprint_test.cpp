// What the explorer reads off a step's components: only_took_lasting_lock,
// the test behind lock movers (docs/DESIGN.md, "Lock movers").
#include <gtest/gtest.h>

#include <vector>

#include "explore/fingerprint.h"
#include "impl/world.h"

namespace luv::explorer {
namespace {

struct step_seen {
  Scenario s;
  impl::World w{s, *impl::find_variant("reference")};
  Components before, after;
  std::vector<std::uint64_t> read;
  step_seen() {
    s.threads = {{}, {}};
    world_components(w, before);
  }
  void reads(const void* at, impl::read_kind kind) { read.push_back(component_of(w, impl::read_event{at, kind})); }
  bool only_took_lasting_lock(int t) {
    world_components(w, after);
    return explorer::only_took_lasting_lock(before, after, read, t);
  }
};

TEST(Fingerprint, taking_luo_or_a_session_lock_is_all_a_lock_mover_did) {
  step_seen luo;
  luo.reads(&luo.w.iommu_flb.lock, impl::read_kind::mutex);
  luo.w.iommu_flb.lock.owner = 0;
  EXPECT_TRUE(luo.only_took_lasting_lock(0));
  EXPECT_FALSE(luo.only_took_lasting_lock(1)) << "the lock went to thread 0, not 1";

  step_seen session;
  session.reads(&session.w.sessions[0].lock, impl::read_kind::mutex);
  session.reads(&session.w.iommu_flb.lock, impl::read_kind::mutex);  // the next lock's point reads it
  session.w.sessions[0].lock.owner = 1;
  EXPECT_TRUE(session.only_took_lasting_lock(1));
}

TEST(Fingerprint, a_step_that_did_more_than_take_a_lasting_lock_is_no_lock_mover) {
  step_seen read_count;
  read_count.reads(&read_count.w.iommu_flb.count, impl::read_kind::variable);
  read_count.w.iommu_flb.lock.owner = 0;
  EXPECT_FALSE(read_count.only_took_lasting_lock(0)) << "it read LUO's count";

  step_seen wrote_count;
  wrote_count.w.iommu_flb.lock.owner = 0;
  wrote_count.w.iommu_flb.count = 1;
  EXPECT_FALSE(wrote_count.only_took_lasting_lock(0)) << "it changed LUO's count";

  step_seen two_locks;
  two_locks.w.iommu_flb.lock.owner = 0;
  two_locks.w.sessions[0].lock.owner = 0;
  EXPECT_FALSE(two_locks.only_took_lasting_lock(0));

  step_seen released;
  released.w.sessions[0].lock.owner = 0;
  world_components(released.w, released.before);
  released.w.sessions[0].lock.owner = -1;
  EXPECT_FALSE(released.only_took_lasting_lock(0)) << "a release is not a right mover";

  step_seen nothing;
  EXPECT_FALSE(nothing.only_took_lasting_lock(0));
}

// An FLB object's lock is freed with its object (poisoned), so another
// thread can change what taking it does: not a lasting lock.
TEST(Fingerprint, taking_an_flb_objects_lock_is_no_lock_mover) {
  step_seen flb_obj;
  flb_obj.w.flb_cache.objects.emplace_back();
  world_components(flb_obj.w, flb_obj.before);
  flb_obj.reads(&flb_obj.w.flb_cache.objects[0].lock, impl::read_kind::mutex);
  flb_obj.w.flb_cache.objects[0].lock.owner = 0;
  EXPECT_FALSE(flb_obj.only_took_lasting_lock(0));
}

// A read chain holds what a frame can tell of a lock: whether the reader
// holds it, and whether it is poisoned; free and held by another thread
// are one (no shim tells them apart).
TEST(Fingerprint, a_lock_is_seen_as_held_by_the_reader_or_not) {
  impl::mutex free_lock, mine, theirs, freed;
  mine.owner = 0;
  theirs.owner = 1;
  freed.poisoned = true;
  auto seen = [](const impl::mutex& m, int reader) {
    Scenario s;
    s.threads = {{}, {}};
    impl::World w(s, *impl::find_variant("reference"));
    w.iommu_flb.lock.owner = m.owner;
    w.iommu_flb.lock.poisoned = m.poisoned;
    Components c;
    world_components(w, c);
    std::uint64_t id = component_of(w, impl::read_event{&w.iommu_flb.lock, impl::read_kind::mutex});
    for (const auto& [i, content] : c)
      if (i == id) return mutex_as_seen_by(content, reader);
    ADD_FAILURE() << "no component for LUO's lock";
    return std::uint64_t{0};
  };
  EXPECT_EQ(seen(free_lock, 0), seen(theirs, 0));
  EXPECT_NE(seen(mine, 0), seen(theirs, 0));
  EXPECT_EQ(seen(mine, 0), seen(theirs, 1)) << "each held by its reader: the same to either thread";
  EXPECT_NE(seen(freed, 0), seen(free_lock, 0));
}

}  // namespace
}  // namespace luv::explorer
