// What the explorer reads off a step's components: only_took_lasting_lock,
// the test behind lock movers (docs/DESIGN.md, "Lock movers"); and the
// components kept up to date from a step's reads and writes, against the
// whole World's (docs/DESIGN.md, "Components kept up to date").
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "explore/explore.h"
#include "explore/fingerprint.h"
#include "explore/tests/same_search.h"
#include "impl/liveupdate.h"
#include "impl/shim/arena.h"
#include "impl/shim/linux/kexec_handover.h"
#include "impl/variant.h"
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
    for (const auto& [i, content] : c.list)
      if (i == id) return mutex_as_seen_by(content, reader);
    ADD_FAILURE() << "no component for LUO's lock";
    return std::uint64_t{0};
  };
  EXPECT_EQ(seen(free_lock, 0), seen(theirs, 0));
  EXPECT_NE(seen(mine, 0), seen(theirs, 0));
  EXPECT_EQ(seen(mine, 0), seen(theirs, 1)) << "each held by its reader: the same to either thread";
  EXPECT_NE(seen(freed, 0), seen(free_lock, 0));
}

// What the shims note of a step's writes, and the components updated from
// them alone: the same as the whole World's.
struct step_noted {
  Scenario s;
  impl::World w{s, *impl::find_variant("reference")};
  Components before, kept, whole;
  std::vector<impl::read_event> reads;
  std::vector<const void*> writes;
  step_noted() {
    s.threads = {{}, {}};
    world_components(w, before);
    impl::step_reads = &reads;
    impl::step_writes = &writes;
  }
  ~step_noted() {
    impl::step_reads = nullptr;
    impl::step_writes = nullptr;
  }
  // The components kept up to date equal the whole World's.
  bool agree() {
    impl::step_reads = nullptr;
    impl::step_writes = nullptr;
    std::vector<std::uint64_t> touched;
    for (const impl::read_event& e : reads)
      if (std::uint64_t id = component_of(w, e)) touched.push_back(id);
    for (const void* at : writes)
      if (std::uint64_t id = component_of(w, impl::read_event{at, impl::read_kind::variable})) touched.push_back(id);
    update_components(w, before, touched, kept, &footprint);
    world_components(w, whole);
    return kept == whole;
  }
  StepFootprint footprint;  // agree()'s
};

TEST(ComponentsKept, a_write_of_a_watched_variable_or_a_kptr_is_noted) {
  step_noted count;
  count.w.iommu_flb.count = 1;  // a write without a read
  EXPECT_EQ(count.writes.size(), 1u);
  EXPECT_TRUE(count.agree());

  step_noted pointer;
  pointer.w.iommu_flb.outgoing = pointer.w.flb_cache.alloc();
  EXPECT_TRUE(pointer.agree()) << "an FLB object added (its three components) and LUO's pointer to it";

  step_noted page;
  impl::kptr<impl::kho_page> p = impl::kho_alloc_preserve(page.w, impl::kho_page_kind::driver_private,
                                                          impl::fault_site::kho_flb_root);
  p->preserved = false;  // through the kptr: a read of the page stands for it
  EXPECT_TRUE(page.agree()) << "a page allocated, then written";
}

TEST(ComponentsKept, a_write_the_shims_do_not_see_is_a_difference) {
  step_noted unseen;
  unseen.w.sessions[0].files.push_back({0, 0});
  EXPECT_TRUE(unseen.writes.empty());
  EXPECT_FALSE(unseen.agree()) << "the session's list changed without a note";
}

// A step's footprint (explore/independence.h): what it touched and what it
// changed, so that two steps commute when neither changed what the other
// touched.
TEST(StepFootprint, steps_commute_unless_one_changed_what_the_other_touched) {
  step_noted count;  // LUO's count written
  count.w.iommu_flb.count = 1;
  ASSERT_TRUE(count.agree());
  step_noted reader;  // LUO's count read, nothing changed
  EXPECT_EQ(reader.w.iommu_flb.count, 0);
  ASSERT_TRUE(reader.agree());
  step_noted lock;  // LUO's lock taken
  lock.reads.push_back(impl::read_event{&lock.w.iommu_flb.lock, impl::read_kind::mutex});  // as the shim notes it
  lock.w.iommu_flb.lock.owner = 0;
  ASSERT_TRUE(lock.agree());

  EXPECT_NE(count.footprint.changed, 0u);
  EXPECT_EQ(count.footprint.changed & ~count.footprint.touched, 0u) << "what a step changed, it touched";
  EXPECT_EQ(reader.footprint.changed, 0u);
  EXPECT_NE(reader.footprint.touched, 0u);
  EXPECT_FALSE(commute(count.footprint, reader.footprint)) << "the reader sees the write or not";
  EXPECT_TRUE(commute(reader.footprint, reader.footprint)) << "two reads";
  EXPECT_TRUE(commute(count.footprint, lock.footprint)) << "different components";
  EXPECT_FALSE(commute(count.footprint, count.footprint)) << "two writes of one component";
  EXPECT_FALSE(commute(count.footprint, StepFootprint{})) << "a step whose reads were not noted";
}

// What the Runner reads past the shims (properties/runner.cpp): after every
// step, whether LUO tore the FLB down; after a return, also the objects its
// checks look at. A step that changed LUO's FLB object so commutes with no
// step, and one that changed a domain's record with no return.
TEST(StepFootprint, what_the_runner_reads_after_a_step_and_a_return_is_touched) {
  Scenario s;
  s.threads = {{}, {}};
  impl::World w(s, *impl::find_variant("reference"));
  Components c;
  world_components(w, c);
  auto bit = [&](const void* at, impl::read_kind kind) { return footprint_bit(component_of(w, impl::read_event{at, kind})); };
  const std::uint64_t outgoing = bit(&w.iommu_flb.outgoing, impl::read_kind::pointer);
  const std::uint64_t domain = bit(&w.domains[0], impl::read_kind::object);
  const std::uint64_t step = runner_reads(c, false), ret = runner_reads(c, true);
  EXPECT_NE(step & outgoing, 0u);
  EXPECT_NE(ret & domain, 0u);
  EXPECT_EQ(step & ~ret, 0u) << "a return is a step";
  EXPECT_FALSE(commute(StepFootprint{outgoing, outgoing}, StepFootprint{step, 0}));
  EXPECT_FALSE(commute(StepFootprint{domain, domain}, StepFootprint{ret, 0}));
}

// The differential test: every step of every shipped variant, both modes,
// and of every mutant, its components kept up to date compared with the
// whole World's (a logic_error, through explore(), where they differ).
TEST(ComponentsKept, every_step_of_every_variant_and_mutant_agrees_with_the_whole_world) {
  for (const impl::variant_rules& v : impl::shipped_variants())
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      ExploreOptions o = testing_search::small_bound(v.name, mode);
      o.components_checked = true;
      ExploreResult r;
      EXPECT_NO_THROW(r = explore(o)) << v.name << " " << caller_mode_name(mode);
      EXPECT_TRUE(r.stats.complete) << v.name;
    }
  // Under AddressSanitizer (replays, no arena) the variants' steps alone:
  // the mutants' would take minutes there.
  if (!impl::arena::supported()) return;
  for (int m = 1; m < impl::MUTANT_COUNT; ++m) {  // 0 is none
    ExploreOptions o = testing_search::small_bound(
        std::string("reference+mutant:") + impl::mutant_name(static_cast<impl::mutant>(m)), CallerMode::adversarial);
    o.iommu1_ops = {15, 5};  // every op; preserve ops without their unpreserve twins
    o.domain1_ops = {3, 1};
    o.components_checked = true;
    EXPECT_NO_THROW(explore(o)) << o.variant;
  }
}

// A luv bug inside a search (here a hook that throws at the 100th state)
// reaches the caller as an exception, whichever search and jobs, and the
// other searches stop: never std::terminate.
TEST(ComponentsKept, a_luv_bug_in_a_search_reaches_the_caller) {
  for (bool lazy : {true, false})
    for (int jobs : {1, 2}) {
      ExploreOptions o = testing_search::small_bound("reference", CallerMode::adversarial);
      o.lazy_op_sets = lazy;
      o.jobs = jobs;
      std::atomic<int> states{0};
      o.on_search = [&](std::uint64_t, ChoiceSet) {
        if (++states == 100) throw std::logic_error("luv bug: planted");
      };
      EXPECT_THROW(explore(o), std::logic_error) << "lazy " << lazy << ", jobs " << jobs;
    }
}

}  // namespace
}  // namespace luv::explorer
