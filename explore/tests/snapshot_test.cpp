// Snapshots: the arena gives a state back byte for byte, and a depth-first
// search that steps from saved states finds exactly what one that replays
// every prefix finds (states, transitions, prunings, verdicts,
// counterexamples, violations), on every shipped variant and mutant.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "explore/explore.h"
#include "explore/tests/same_search.h"
#include "impl/shim/arena.h"
#include "impl/variant.h"

namespace luv {
namespace {

using impl::arena::Arena;

// The compiler may keep what it knows of memory that never escaped from a
// `new` across a restore (arena.h): the explorer's states are reached
// through pointers that did.
void escape(const void* p) { asm volatile("" : : "r"(p) : "memory"); }

TEST(Arena, a_restore_gives_back_every_object_allocated_before_the_save) {
  if (!impl::arena::supported()) GTEST_SKIP() << "no arena under AddressSanitizer";
  Arena a;
  std::vector<std::string>* words = nullptr;
  {
    impl::arena::inside in(a);
    words = new std::vector<std::string>{"preserve", "a string longer than the small-string buffer"};
  }
  escape(words);
  EXPECT_TRUE(a.owns(words) && a.owns(words->data()) && a.owns((*words)[1].data()));
  auto saved = a.save();
  EXPECT_EQ(saved->bytes(), a.used());
  {
    impl::arena::inside in(a);
    words->push_back("unpreserve");  // grows: frees the old buffer into the arena's free lists
    (*words)[0] = "changed past the small-string buffer, so that it allocates";
    EXPECT_EQ(words->size(), 3u);
  }
  a.restore(*saved);
  ASSERT_EQ(words->size(), 2u);
  EXPECT_EQ((*words)[0], "preserve");
  EXPECT_EQ((*words)[1], "a string longer than the small-string buffer");
  {
    impl::arena::inside in(a);
    words->push_back("again");  // the allocator's free lists came back with the bytes
    EXPECT_EQ(words->back(), "again");
  }
}

// A snapshot copies a block's unused tail too: past 1 KiB a block is at
// most a quarter larger than asked (up to 64 KiB), and a freed block is
// handed out again for the next request of its class.
TEST(Arena, a_large_block_wastes_at_most_a_quarter_and_is_reused) {
  if (!impl::arena::supported()) GTEST_SKIP() << "no arena under AddressSanitizer";
  for (std::size_t size : {1025u, 1280u, 1281u, 2184u, 4097u, 40000u, 65536u}) {
    Arena a;
    std::size_t before = a.used();
    void* p = a.allocate(size);
    std::size_t block = a.used() - before - 16;  // less the block's header
    EXPECT_GE(block, size);
    EXPECT_LE(block, size + size / 4) << size;
    a.release(p);
    EXPECT_EQ(a.allocate(size), p) << size;
  }
}

TEST(Arena, outside_and_without_it_allocations_come_from_malloc) {
  if (!impl::arena::supported()) GTEST_SKIP() << "no arena under AddressSanitizer";
  Arena a;
  auto* before = new int(1);
  EXPECT_FALSE(a.owns(before));
  impl::arena::inside in(a);
  auto* within = new int(2);
  EXPECT_TRUE(a.owns(within));
  {
    impl::arena::outside out;
    auto* mine = new int(3);
    EXPECT_FALSE(a.owns(mine));
    delete mine;
  }
  delete before;  // malloc's, freed while the arena is in use: back to malloc
  delete within;
}

ExploreOptions bound(const std::string& variant, CallerMode mode) {
  ExploreOptions o = testing_search::small_bound(variant, mode);
  o.iommu1_ops = {15, 5};  // every op; preserve ops without their unpreserve twins
  o.domain1_ops = {3, 1};
  return o;
}

// The two searches of one bound, compared on everything they report but time.
void expect_same_search(const ExploreOptions& o, const std::string& what) {
  ExploreOptions replays = o;
  replays.snapshots = false;
  ExploreResult a = explore(o), b = explore(replays);
  EXPECT_GT(a.stats.snapshots, 0) << what;
  EXPECT_EQ(b.stats.snapshots, 0) << what;
  testing_search::expect_same_counts(a.stats, b.stats, what);
  testing_search::expect_same_findings(a.findings, b.findings, what);
}

TEST(Snapshots, every_shipped_variant_and_mode_finds_what_replays_find) {
  if (!impl::arena::supported()) GTEST_SKIP() << "no arena under AddressSanitizer";
  for (const impl::variant_rules& v : impl::shipped_variants())
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial})
      expect_same_search(bound(v.name, mode), std::string(v.name) + " " + caller_mode_name(mode));
}

// Mutants oops (paths that end), violate several properties on one path
// (masked past the first) and fail in error paths: the parts of a state a
// restore must bring back besides the World.
TEST(Snapshots, every_mutant_finds_what_replays_find) {
  if (!impl::arena::supported()) GTEST_SKIP() << "no arena under AddressSanitizer";
  for (int m = 1; m < impl::MUTANT_COUNT; ++m) {  // 0 is none
    std::string variant = std::string("reference+mutant:") + impl::mutant_name(static_cast<impl::mutant>(m));
    ExploreOptions o = bound(variant, CallerMode::adversarial);
    o.iommu1_ops = {5};
    o.domain1_ops = {1};
    expect_same_search(o, variant);
  }
}

// Three threads (no symmetry), a cut by the state limit, the first
// violation only, the coarser World keys and source sets: the search's
// other paths.
TEST(Snapshots, other_search_options_find_what_replays_find) {
  if (!impl::arena::supported()) GTEST_SKIP() << "no arena under AddressSanitizer";
  ExploreOptions three = bound("v4", CallerMode::contract);
  three.threads = 3;
  three.faults = 0;
  three.iommu1_ops = {15};
  three.domain1_ops = {3};
  expect_same_search(three, "v4, 3 threads");
  ExploreOptions cut = bound("v2", CallerMode::adversarial);
  cut.calls = 3;
  cut.states_max = 5000;
  expect_same_search(cut, "v2, cut at 5000 states");
  ExploreOptions first = bound("v3", CallerMode::adversarial);
  first.first_violation_only = true;
  expect_same_search(first, "v3, first violation only");
  ExploreOptions world_keys = bound("v2-warn", CallerMode::adversarial);
  world_keys.read_frames = false;
  expect_same_search(world_keys, "v2-warn, World keys");
  ExploreOptions source_sets = bound("v3", CallerMode::adversarial);
  source_sets.faults = 0;  // where they skip at 2 calls
  source_sets.source_sets = true;
  expect_same_search(source_sets, "v3, source sets");
}

}  // namespace
}  // namespace luv
