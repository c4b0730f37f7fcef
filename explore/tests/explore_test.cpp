// The explorer on small bounds: verdicts, counterexamples that replay,
// reductions that change no verdict, shortest counterexamples.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stop_token>

#include "counterexamples/scenario_json.h"
#include "explore/explore.h"
#include "explore/search.h"
#include "impl/variant.h"
#include "impl/world.h"
#include "properties/stop.h"

namespace luv {
namespace {

ExploreOptions small(const std::string& variant, CallerMode mode, int calls = 2) {
  ExploreOptions o;
  o.variant = variant;
  o.mode = mode;
  o.calls = calls;
  o.faults = 1;
  o.iommu1_ops = {15, 5};  // every op; preserve ops without their unpreserve twins
  o.domain1_ops = {3, 1};
  return o;
}

Status status_of(const ExploreResult& r, PropertyId p) {
  for (const PropertyOutcome& o : r.report.outcomes)
    if (o.property == p) return o.status;
  return Status::not_checked;
}

TEST(Explore, reference_holds_exhaustively_in_both_modes_on_a_small_bound) {
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    ExploreResult r = explore(small("reference", mode));
    EXPECT_TRUE(r.stats.complete);
    EXPECT_GT(r.stats.states, 1000);
    EXPECT_TRUE(r.findings.empty()) << caller_mode_name(mode) << ": " << property_name(r.findings[0].property)
                                    << ": " << r.findings[0].violation.message;
    EXPECT_EQ(status_of(r, PropertyId::no_leak), Status::holds);
  }
}

// A search whose result is no longer wanted (ExploreOptions::abandon, luv
// verify's whole searches when the run ends early) stops at once, cut, and
// claims nothing: lazily and as one search, as verify runs it, abandoned
// before it starts (3 calls, so that a search not abandoned ends too).
TEST(Explore, an_abandoned_search_stops_at_once_and_says_unknown) {
  for (bool one_search : {false, true}) {
    ExploreOptions o;
    o.calls = 3;
    o.lazy_op_sets = true;
    o.one_search = one_search;
    std::stop_source abandon;
    o.abandon = abandon.get_token();
    abandon.request_stop();
    ExploreResult r = explore(o);
    EXPECT_FALSE(r.stats.complete);
    EXPECT_EQ(r.stats.cut_by, CutBy::interrupted);
    EXPECT_LT(r.stats.states, 100);
    for (const PropertyOutcome& out : r.report.outcomes)
      EXPECT_NE(out.status, Status::holds) << property_name(out.property) << ": " << out.how;
  }
}

TEST(Explore, every_counterexample_replays_to_its_property) {
  for (const char* variant : {"v2", "v2-warn"}) {
    ExploreResult r = explore(small(variant, CallerMode::adversarial));
    ASSERT_FALSE(r.findings.empty()) << variant;
    for (const ExploreFinding& f : r.findings) {
      RunOptions ro;
      ro.properties = f.checked;
      RunResult rr = run(f.counterexample, ro);
      ASSERT_TRUE(rr.verdict.violation) << variant << " " << property_name(f.property);
      EXPECT_EQ(rr.verdict.violation->property, f.property) << variant;
      // And the file form reads back to the same Scenario.
      EXPECT_EQ(scenario_from_json(scenario_to_json(f.counterexample)), f.counterexample);
    }
  }
}

// A finding says which properties an earlier violation on its path masked:
// never model-refinement, which the explorer does not judge (no model
// observer), so it was never violated there. v2's no-null-op is found first
// on its path (1 call, 2 steps): nothing masked.
TEST(Explore, a_finding_names_only_judged_properties_as_seen_past) {
  ExploreOptions o = small("v2", CallerMode::adversarial);
  o.bfs = true;
  ExploreResult r = explore(o);
  for (const PropertyOutcome& out : r.report.outcomes)
    EXPECT_EQ(out.how.find("model-refinement"), std::string::npos) << property_name(out.property) << ": " << out.how;
  auto null_op = std::find_if(r.report.outcomes.begin(), r.report.outcomes.end(),
                              [](const PropertyOutcome& x) { return x.property == PropertyId::no_null_op; });
  ASSERT_NE(null_op, r.report.outcomes.end());
  EXPECT_EQ(null_op->how, "explore --bfs: 1 call(s), 2 step(s)");
}

// POR, the thread symmetry, calls run alone, racing subsumption, lock
// movers, twins and the visited set may only prune, never change a
// verdict.
TEST(Explore, verdicts_agree_with_and_without_reductions_on_every_variant_and_mode) {
  for (const char* variant : {"reference", "v2", "v2-warn"}) {
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      ExploreOptions on = small(variant, mode);
      on.iommu1_ops = {5};
      on.domain1_ops = {1};
      ExploreOptions no_por = on, no_symmetry = on, no_alone_runs = on, no_racing = on, no_movers = on, no_twins = on;
      no_movers.lock_movers = false;
      no_twins.twins = false;
      no_por.por = false;
      no_symmetry.symmetry = false;
      no_alone_runs.alone_runs = false;
      no_racing.racing_subsumption = false;
      ExploreResult a = explore(on), b = explore(no_por), c = explore(no_symmetry), d = explore(no_alone_runs);
      ExploreResult e = explore(no_racing), f = explore(no_movers), g = explore(no_twins);
      for (int p = 0; p < PROPERTY_COUNT; ++p) {
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(b, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p));
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(c, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p)) << " (symmetry)";
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(d, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p)) << " (alone runs)";
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(e, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p)) << " (racing)";
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(f, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p)) << " (lock movers)";
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(g, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p)) << " (twins)";
      }
      // Sleep sets skip transitions into states reached another way, never a state.
      EXPECT_EQ(a.stats.states, b.stats.states) << variant << " " << caller_mode_name(mode);
      EXPECT_LT(a.stats.transitions, b.stats.transitions) << variant << " " << caller_mode_name(mode);
      EXPECT_LT(a.stats.states, c.stats.states);
      EXPECT_LT(a.stats.states, d.stats.states);
      EXPECT_LE(a.stats.states, e.stats.states);
      EXPECT_LE(a.stats.states, f.stats.states);
      EXPECT_LT(a.stats.transitions, f.stats.transitions) << "lock movers skip steps";
      EXPECT_LT(a.stats.states, g.stats.states) << "twins skip calls";
    }
  }
}

// The reductions that skip paths rather than merge states: sleep sets (a
// step that commutes with a sibling's is not taken again after it); a lock
// mover (a thread whose step only took a lock lasting the run) goes on
// alone, the orders it skips searched from before its step (docs/DESIGN.md,
// "Lock movers"); a call on a twin device or domain is searched on the
// lower twin only ("Twin devices and domains"). Every mutant's every verdict, in
// both modes, must be the one the search without each gives: they oops,
// fail in error paths, race and leak, each a path a reduction must not lose.
TEST(Explore, skipping_reductions_keep_every_verdict_of_every_mutant) {
  for (int m = 1; m < impl::MUTANT_COUNT; ++m) {  // 0 is none
    std::string variant = std::string("reference+mutant:") + impl::mutant_name(static_cast<impl::mutant>(m));
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      ExploreOptions movers = small(variant, mode);
      movers.iommu1_ops = {15};
      movers.domain1_ops = {3};
      ExploreOptions every_order = movers, every_device = movers, no_sleep = movers;
      every_order.lock_movers = false;
      every_device.twins = false;
      no_sleep.por = false;
      ExploreResult a = explore(movers), b = explore(every_order), c = explore(every_device), d = explore(no_sleep);
      for (int p = 0; p < PROPERTY_COUNT; ++p) {
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(d, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p)) << " (sleep sets)";
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(b, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p)) << " (lock movers)";
        EXPECT_EQ(status_of(a, PropertyId(p)), status_of(c, PropertyId(p)))
            << variant << " " << caller_mode_name(mode) << " " << property_name(PropertyId(p)) << " (twins)";
      }
      EXPECT_GT(a.stats.mover_states, 0) << variant << " " << caller_mode_name(mode);
      EXPECT_EQ(a.stats.states, d.stats.states) << variant << " " << caller_mode_name(mode) << " (sleep sets)";
      EXPECT_LT(a.stats.states, c.stats.states) << variant << " " << caller_mode_name(mode);
    }
  }
}

// Source sets (docs/DESIGN.md, "Source sets") skip a thread's step where
// the other's, searched first, commutes with all the first does alone to
// its call's end. They may skip steps and states, never a verdict: every
// mutant's every verdict in both modes, at 2 calls without faults (where
// they skip), and every variant's at 3 calls with a fault, must be the
// one the search without POR gives. The variants are also where they show
// what they cut: steps always, states on v2 and v3 in adversarial mode.
TEST(Explore, source_sets_keep_every_verdict_of_every_variant_and_mutant) {
  auto check = [](const std::string& variant, CallerMode mode, int calls, int faults, std::vector<unsigned char> iommu1,
                  std::vector<unsigned char> domain1) {
    ExploreOptions on = small(variant, mode, calls);
    on.faults = faults;
    on.iommu1_ops = std::move(iommu1);
    on.domain1_ops = std::move(domain1);
    on.source_sets = true;
    ExploreOptions off = on;
    off.por = false;
    // The states where no call runs, and so every run's last, are all reached.
    // So is every violation, each seen on some run (a path past a violation
    // is judged on, so this asks more than the verdicts do).
    std::set<std::pair<std::uint64_t, std::uint64_t>> quiescent_on, quiescent_off;
    std::set<std::pair<PropertyId, std::string>> seen_on, seen_off;
    on.on_quiescent = [&](std::uint64_t w, std::uint64_t c) { quiescent_on.emplace(w, c); };
    off.on_quiescent = [&](std::uint64_t w, std::uint64_t c) { quiescent_off.emplace(w, c); };
    on.on_violation = [&](const Violation& v) { seen_on.emplace(v.property, v.message); };
    off.on_violation = [&](const Violation& v) { seen_off.emplace(v.property, v.message); };
    ExploreResult a = explore(on), b = explore(off);
    std::string what = variant + " " + caller_mode_name(mode) + " at " + std::to_string(calls) + " calls";
    for (int p = 0; p < PROPERTY_COUNT; ++p)
      EXPECT_EQ(status_of(a, PropertyId(p)), status_of(b, PropertyId(p))) << what << " " << property_name(PropertyId(p));
    EXPECT_LE(a.stats.states, b.stats.states) << what;
    EXPECT_TRUE(quiescent_on == quiescent_off) << what << ": " << quiescent_on.size() << " of " << quiescent_off.size();
    EXPECT_TRUE(seen_on == seen_off) << what << ": " << seen_on.size() << " of " << seen_off.size();
    return std::make_pair(a.stats, b.stats);
  };
  for (int m = 1; m < impl::MUTANT_COUNT; ++m)  // 0 is none
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial})
      check(std::string("reference+mutant:") + impl::mutant_name(static_cast<impl::mutant>(m)), mode, 2, 0, {15, 5},
            {3, 1});
  for (const char* variant : {"reference", "v2", "v2-warn", "v3", "v4"}) {
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      auto [a, b] = check(variant, mode, 3, 1, {5}, {1});
      if (std::string(variant) != "v4") {  // v4 skips none here
        EXPECT_GT(a.pruned_source, 0) << variant << " " << caller_mode_name(mode);
      }
    }
  }
  for (const char* variant : {"v2", "v3"}) {  // every op-set choice
    auto [a, b] = check(variant, CallerMode::adversarial, 2, 0, {}, {});
    EXPECT_LT(a.states, b.states) << variant;
  }
}

// Each call starts from the run's start once, so each runs alone once: the
// calls that differ in their session alone (luo_session_release of each)
// are different calls, not one call run alone once for all of them.
TEST(Explore, every_call_of_the_alphabet_runs_alone_from_the_start) {
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    ExploreOptions o = small("reference", mode, 1);
    o.faults = 0;
    o.iommu1_ops = {15};
    o.domain1_ops = {3};
    o.twins = false;  // which would start no call on dev2 or domain 1 here
    ExploreResult r = explore(o);
    EXPECT_EQ(r.stats.alone_runs, static_cast<long long>(call_alphabet(mode, op_set_choices(o)[0]).size()))
        << caller_mode_name(mode);
  }
}

// Violations that take both twins (docs/DESIGN.md, "Twin devices and
// domains"): without its reference to the HW record of IOMMU 1, the second
// device preserved behind it (dev1 and dev2, the twin devices) leaves the
// record's count one short; with its array of records one slot short, the
// second domain record (domain 0 and 1, twin domains) overruns its page.
// Twins may share no call's subtree once one of them is named.
TEST(Explore, twins_keep_the_violations_that_need_both_twins) {
  struct row {
    const char* mutant;
    CallerMode mode;
    PropertyId property;
  };
  for (const row& r : {row{"skip_refcount_get", CallerMode::adversarial, PropertyId::refcount_balanced},
                       row{"alloc_object_ser_off_by_one", CallerMode::contract, PropertyId::no_leak}}) {
    ExploreOptions o = small(std::string("reference+mutant:") + r.mutant, r.mode, 3);
    o.iommu1_ops = {15};
    o.domain1_ops = {3};
    o.properties = PropertySet{}.set(static_cast<size_t>(r.property));
    ExploreOptions every_object = o;
    every_object.twins = false;
    ExploreResult a = explore(o), b = explore(every_object);
    EXPECT_EQ(status_of(b, r.property), Status::violated) << r.mutant;
    EXPECT_EQ(status_of(a, r.property), Status::violated) << r.mutant;
    EXPECT_LT(a.stats.states, b.stats.states) << r.mutant;
  }
}

// An invariant held to every state (luv verify's check of a proof's
// invariant) is the encoding's and need not share the implementation's
// symmetry: twins do not stand for each other then. One asymmetric in the
// twin devices is left once dev2 is preserved (its domain first).
TEST(Explore, an_invariant_is_held_to_the_states_of_every_twin) {
  ExploreOptions o = small("reference", CallerMode::adversarial, 2);
  o.faults = 0;
  o.iommu1_ops = {15};
  o.domain1_ops = {3};
  o.invariant = [](const impl::World& w) {
    return w.dev_iommus[2].device_ser ? std::string("dev2 preserved") : std::string();
  };
  ExploreResult r = explore(o);
  EXPECT_NE(r.divergence.find("dev2 preserved"), std::string::npos) << r.divergence;
}

// restore-matches leaves out the objects whose calls raced; the visited set
// prunes a state reached again with as many or more of them (docs/DESIGN.md,
// "Racing objects"). It must find every restore-matches violation the key
// with the racing objects finds: v2's, and a mutant's that restores a
// deleted record.
TEST(Explore, racing_subsumption_finds_what_the_racing_key_finds) {
  struct row {
    const char* variant;
    CallerMode mode;
  };
  for (const row& r : {row{"v2", CallerMode::adversarial}, row{"reference+mutant:restore_deleted", CallerMode::contract}}) {
    std::string what = std::string(r.variant) + " " + caller_mode_name(r.mode);
    ExploreOptions pruned = small(r.variant, r.mode, 3);
    pruned.iommu1_ops = {15};
    pruned.domain1_ops = {3};
    pruned.properties = PropertySet{}.set(static_cast<size_t>(PropertyId::restore_matches));
    ExploreOptions keyed = pruned;
    keyed.racing_subsumption = false;
    ExploreResult a = explore(pruned), b = explore(keyed);
    EXPECT_EQ(status_of(b, PropertyId::restore_matches), Status::violated) << what;
    EXPECT_EQ(status_of(a, PropertyId::restore_matches), Status::violated) << what;
    EXPECT_LT(a.stats.states, b.stats.states) << what;
  }
}

// The visited set's entry for a state: pruned when it judged no less (no
// more racing objects, no more asleep); a stricter visit is searched and
// becomes the entry; an incomparable one is searched and leaves it.
TEST(VisitedSet, a_state_with_fewer_racing_objects_is_searched_again_and_kept) {
  explorer::VisitedSet v(true, true);
  auto visit = [&](unsigned sleep, unsigned racing) {
    explorer::VisitedSet::Arrival a{sleep, static_cast<std::uint8_t>(racing), {}, {}};
    return v.visit(42, a);
  };
  EXPECT_EQ(visit(0, 0b010), explorer::VisitedSet::fresh);
  EXPECT_EQ(visit(0, 0b011), explorer::VisitedSet::seen);   // leaves out more: judges less
  EXPECT_EQ(visit(1, 0b010), explorer::VisitedSet::seen);   // more asleep
  EXPECT_EQ(visit(0, 0b001), explorer::VisitedSet::again);  // incomparable: searched, the entry stays
  EXPECT_EQ(visit(0, 0b011), explorer::VisitedSet::seen);
  EXPECT_EQ(visit(0, 0b000), explorer::VisitedSet::again);  // stricter: searched, and the entry now
  EXPECT_EQ(visit(0, 0b001), explorer::VisitedSet::seen);
  EXPECT_EQ(visit(0, 0b000), explorer::VisitedSet::seen);
  EXPECT_EQ(v.size(), 1);
}

// Keying a paused thread on what it read merges more states than keying it
// on every World it saw; it must find the same things, as short. The races
// (no_recheck_under_lock: a check outside the lock) are where a read the
// key missed would show.
TEST(Explore, keying_threads_on_their_reads_finds_what_the_world_key_finds) {
  struct row {
    const char* variant;
    CallerMode mode;
    int calls, faults;
  };
  const std::vector<row> rows = {
      {"reference", CallerMode::contract, 2, 1},
      {"reference", CallerMode::adversarial, 2, 1},
      {"v2", CallerMode::contract, 2, 1},
      {"v2", CallerMode::adversarial, 2, 1},
      {"v2-warn", CallerMode::adversarial, 2, 1},
      {"reference+mutant:no_recheck_under_lock", CallerMode::contract, 3, 0},
      {"reference+mutant:skip_file_busy_check", CallerMode::adversarial, 2, 1},
  };
  for (const row& r : rows) {
    std::string what = std::string(r.variant) + " " + caller_mode_name(r.mode);
    ExploreOptions reads = small(r.variant, r.mode, r.calls);
    reads.faults = r.faults;
    if (r.calls > 2) reads.iommu1_ops = {15}, reads.domain1_ops = {3};
    reads.bfs = true;
    ExploreOptions world = reads;
    world.read_frames = false;
    ExploreResult a = explore(reads), b = explore(world);
    EXPECT_TRUE(a.stats.complete && b.stats.complete) << what;
    ASSERT_EQ(a.findings.size(), b.findings.size()) << what;
    for (size_t i = 0; i < a.findings.size(); ++i) {
      EXPECT_EQ(a.findings[i].property, b.findings[i].property) << what;
      EXPECT_EQ(std::make_pair(a.findings[i].calls, a.findings[i].steps),
                std::make_pair(b.findings[i].calls, b.findings[i].steps))
          << what << " " << property_name(a.findings[i].property);
    }
    for (int p = 0; p < PROPERTY_COUNT; ++p)
      EXPECT_EQ(status_of(a, PropertyId(p)), status_of(b, PropertyId(p))) << what << " " << property_name(PropertyId(p));
    EXPECT_LT(a.stats.states, b.stats.states) << what;
  }
}

TEST(Explore, visited_set_changes_no_verdict_on_a_tiny_bound) {
  for (const char* variant : {"reference", "v2"}) {
    ExploreOptions on = small(variant, CallerMode::contract);
    on.iommu1_ops = {5};
    on.domain1_ops = {3};
    on.faults = 0;
    ExploreOptions off = on;
    off.hashing = false;
    off.por = false;
    ExploreResult a = explore(on), b = explore(off);
    for (int p = 0; p < PROPERTY_COUNT; ++p)
      EXPECT_EQ(status_of(a, PropertyId(p)), status_of(b, PropertyId(p))) << variant << " " << property_name(PropertyId(p));
    EXPECT_LT(a.stats.states, b.stats.states);
  }
}

// BFS: fewest calls first, then fewest steps, at 2 calls and 1 fault on the
// op-set choices below (IOMMU 1 without ops, domain 1 without or with only
// its preserve op). Contract mode at 2 calls finds no race any more: LUO's
// session mutex keeps the callers of one file apart (docs/LUO.md).
struct shortest {
  const char* variant;
  CallerMode mode;
  PropertyId property;
  int calls, steps;
};
TEST(Explore, bfs_gives_the_shortest_counterexample_of_each_v2_finding) {
  const std::vector<shortest> want = {
      {"v2", CallerMode::adversarial, PropertyId::missing_unpreserve_warns, 1, 6},
      {"v2", CallerMode::adversarial, PropertyId::no_leak, 2, 8},
      {"v2", CallerMode::adversarial, PropertyId::no_dangling, 2, 8},
      {"v2", CallerMode::adversarial, PropertyId::no_null_op, 1, 2},
      {"v2", CallerMode::adversarial, PropertyId::no_use_after_free, 2, 7},
      {"v2", CallerMode::adversarial, PropertyId::restore_matches, 2, 10},
      {"v2", CallerMode::contract, PropertyId::missing_unpreserve_warns, 1, 6},
      {"v2", CallerMode::contract, PropertyId::no_null_op, 2, 11},
      {"v2-warn", CallerMode::adversarial, PropertyId::missing_unpreserve_warns, 1, 6},
      {"v2-warn", CallerMode::adversarial, PropertyId::no_leak, 2, 8},
      {"v2-warn", CallerMode::adversarial, PropertyId::no_dangling, 2, 8},
      {"v2-warn", CallerMode::adversarial, PropertyId::no_null_op, 1, 2},
      {"v2-warn", CallerMode::adversarial, PropertyId::no_use_after_free, 2, 7},
      {"v2-warn", CallerMode::adversarial, PropertyId::restore_matches, 2, 10},
      {"v2-warn", CallerMode::contract, PropertyId::missing_unpreserve_warns, 1, 6},
      {"v2-warn", CallerMode::contract, PropertyId::no_null_op, 2, 11},
  };
  for (const char* variant : {"v2", "v2-warn"}) {
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      ExploreOptions o = small(variant, mode);
      o.iommu1_ops = {0};
      o.domain1_ops = {0, 1};
      o.bfs = true;
      ExploreResult r = explore(o);
      size_t expected = 0;
      for (const shortest& s : want) {
        if (std::string(s.variant) != variant || s.mode != mode) continue;
        ++expected;
        auto f = std::find_if(r.findings.begin(), r.findings.end(),
                              [&](const ExploreFinding& x) { return x.property == s.property; });
        ASSERT_NE(f, r.findings.end()) << variant << " " << caller_mode_name(mode) << " " << property_name(s.property);
        EXPECT_EQ(f->calls, s.calls) << variant << " " << caller_mode_name(mode) << " " << property_name(s.property);
        EXPECT_EQ(f->steps, s.steps) << variant << " " << caller_mode_name(mode) << " " << property_name(s.property);
      }
      EXPECT_EQ(r.findings.size(), expected) << variant << " " << caller_mode_name(mode);
    }
  }
}

TEST(Explore, bfs_is_never_longer_than_dfs) {
  ExploreOptions o = small("v2", CallerMode::adversarial);
  ExploreOptions b = o;
  b.bfs = true;
  ExploreResult dfs = explore(o), bfs = explore(b);
  for (const ExploreFinding& fb : bfs.findings) {
    for (const ExploreFinding& fd : dfs.findings) {
      if (fb.property == fd.property) {
        EXPECT_LE(std::make_pair(fb.calls, fb.steps), std::make_pair(fd.calls, fd.steps)) << property_name(fb.property);
      }
    }
  }
}

// Two searches of one bound gave the same counts, verdicts and counterexamples.
void expect_same_result(const ExploreResult& a, const ExploreResult& b, const std::string& what) {
  EXPECT_EQ(a.stats.states, b.stats.states) << what;
  EXPECT_EQ(a.stats.transitions, b.stats.transitions) << what;
  EXPECT_EQ(a.stats.collision_odds, b.stats.collision_odds) << what;
  EXPECT_EQ(a.stats.complete, b.stats.complete) << what;
  ASSERT_EQ(a.report.outcomes.size(), b.report.outcomes.size());
  for (size_t i = 0; i < a.report.outcomes.size(); ++i) {
    EXPECT_EQ(a.report.outcomes[i].status, b.report.outcomes[i].status) << what;
    EXPECT_EQ(a.report.outcomes[i].how, b.report.outcomes[i].how) << what;
    EXPECT_EQ(a.report.outcomes[i].counterexample, b.report.outcomes[i].counterexample) << what;
  }
}

// Each op-set choice is its own search, so how many run at once changes
// nothing: not the verdicts, the counterexamples, nor the counts.
TEST(Explore, jobs_change_nothing_in_the_result) {
  for (const char* variant : {"reference", "v2"}) {
    for (bool bfs : {false, true}) {
      ExploreOptions o = small(variant, CallerMode::adversarial);
      o.bfs = bfs;
      o.states_max = 3000;  // also the cut, shared by the choices the same way
      ExploreResult one = explore(o);
      o.jobs = 3;
      expect_same_result(one, explore(o), variant);
    }
  }
}

// --shard i/N: the shards partition the op-set choices, and their results,
// put back in choice order, merge into one run's (the cut included: a
// choice's share of states_max is of the whole bound, in any shard).
TEST(Explore, shards_merged_in_choice_order_are_one_run) {
  for (bool bfs : {false, true}) {
    ExploreOptions o = small("v2", CallerMode::adversarial);
    o.bfs = bfs;
    o.states_max = 6000;
    ExploreResult one = explore(o);
    for (int n : {2, 4}) {
      std::vector<explorer::ChoiceResult> choices(op_set_choices(o).size());
      for (int i = 1; i <= n; ++i) {
        ExploreOptions shard = o;
        shard.shard = i, shard.shards = n;
        std::vector<size_t> mine = shard_choices(shard);
        std::vector<explorer::ChoiceResult> results = explore_choices(shard);
        ASSERT_EQ(mine.size(), results.size());
        for (size_t k = 0; k < mine.size(); ++k) choices[mine[k]] = results[k];
      }
      expect_same_result(one, merge_choices(o, choices, 0),
                         std::string(bfs ? "bfs" : "dfs") + ", " + std::to_string(n) + " shards");
    }
  }
}

TEST(Explore, a_shard_is_i_of_n_with_at_most_one_shard_per_choice) {
  ExploreOptions o = small("reference", CallerMode::contract);  // 4 op-set choices
  for (auto [i, n] : {std::pair{0, 4}, {5, 4}, {1, 0}, {1, 5}}) {
    o.shard = i, o.shards = n;
    EXPECT_EQ(validate(o).rfind("--shard: ", 0), 0u) << i << "/" << n << ": " << validate(o);
  }
  o.shard = 3, o.shards = 4;
  EXPECT_EQ(validate(o), "");
  EXPECT_EQ(shard_choices(o), std::vector<size_t>{2});
}

TEST(Explore, bad_options_name_the_option) {
  ExploreOptions o;
  o.variant = "v9";
  EXPECT_NE(validate(o).find("--variant"), std::string::npos);
  o.variant = "reference";
  o.threads = 0;
  EXPECT_NE(validate(o).find("--threads"), std::string::npos);
  o.threads = 2;
  o.iommu1_ops = {16};
  EXPECT_NE(validate(o).find("--iommu1-ops"), std::string::npos);
  EXPECT_THROW(explore(o), std::invalid_argument);
}

TEST(Explore, mutant_variants_round_trip_through_the_file_format) {
  Scenario s;
  s.variant = "reference+mutant:skip_refcount_put";
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}}};
  EXPECT_EQ(scenario_from_json(scenario_to_json(s)).variant, s.variant);
}

// An interrupt (a stop request, stop.h) cuts the search as its deadline
// does: unknown, "interrupted", never holds.
TEST(Explore, a_stop_request_cuts_the_search_and_says_interrupted) {
  request_stop();
  ExploreOptions o;
  o.variant = "reference";
  ExploreResult r = explore(o);
  clear_stop();
  EXPECT_FALSE(r.stats.complete);
  EXPECT_EQ(r.stats.cut_by, CutBy::interrupted);
  for (const PropertyOutcome& po : r.report.outcomes) {
    if (po.status == Status::not_checked) continue;
    EXPECT_EQ(po.status, Status::unknown) << property_name(po.property);
    EXPECT_EQ(po.how.rfind("interrupted at", 0), 0u) << po.how;
  }
}

// The memory limit stops the search cleanly (1 byte: passed at the first look).
TEST(Explore, a_memory_limit_cuts_a_bfs_search_cleanly) {
  ExploreOptions o;
  o.variant = "reference";
  o.bfs = true;
  o.calls = 6;
  o.memory_max_bytes = 1;
  ExploreResult r = explore(o);
  EXPECT_EQ(r.stats.cut_by, CutBy::memory);
  for (const PropertyOutcome& po : r.report.outcomes) {
    if (po.status != Status::not_checked) {
      EXPECT_EQ(po.status, Status::unknown) << po.how;
    }
  }
}

}  // namespace
}  // namespace luv
