// Lazy op-set choices: searching the choices with the same twins as one,
// each node standing for the choices that answered its path's questions
// alike, finds exactly the properties a search per choice finds, on every
// shipped variant and mode and every mutant; each of its counterexamples
// shows its violation when run on its own op sets; and it searches fewer
// states.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "explore/explore.h"
#include "explore/visited_set.h"
#include "explore/tests/same_search.h"
#include "impl/variant.h"
#include "properties/runner.h"

namespace luv {
namespace {

explorer::ChoiceSet set(std::uint64_t bits) { return explorer::ChoiceSet::from_bits(bits); }

std::set<PropertyId> violated(const ExploreResult& r) {
  std::set<PropertyId> out;
  for (const ExploreFinding& f : r.findings) out.insert(f.property);
  return out;
}

// The lazy search against a search per choice (equivalent op sets, which
// equivalence_test.cpp holds to every choice's own search); returns both.
std::pair<ExploreResult, ExploreResult> expect_same_verdicts(const ExploreOptions& o, const std::string& what) {
  ExploreOptions lazy = o, each = o;
  lazy.lazy_op_sets = true;
  each.one_search = false;  // a search per choice
  ExploreResult a = explore(lazy), b = explore(each);
  EXPECT_EQ(violated(a), violated(b)) << what;
  EXPECT_EQ(a.stats.complete, b.stats.complete) << what;
  for (const ExploreFinding& f : a.findings) {
    RunResult r = run(f.counterexample);
    EXPECT_NE(r.verdict.first_of(f.property), nullptr) << what << ": " << property_name(f.property);
  }
  return {a, b};
}

TEST(LazyOpSets, every_shipped_variant_and_mode_finds_what_a_search_per_choice_finds) {
  for (const impl::variant_rules& v : impl::shipped_variants())
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      std::string what = std::string(v.name) + " " + caller_mode_name(mode);
      auto [lazy, each] = expect_same_verdicts(testing_search::small_bound(v.name, mode), what);
      EXPECT_LT(lazy.stats.states_searched, each.stats.states_searched) << what;
    }
}

// The strong form, state by state: every state a choice's own search
// searches, the lazy search searches for that choice (its key, with the
// choice in the set it is searched for, or widened to it), and every call
// a choice's own search runs alone (by its start) the lazy search runs
// alone for that choice, or covers for it. One twin group
// (domain1: domain 1's op sets) is one lazy search, run alone so that a key
// and a bit name one state of one choice. With variants searched together
// (ExploreOptions::searched_with), each variant's choices are choices of
// the one search, variant by variant. The number of states missed.
int states_missed(ExploreOptions lazy, const std::vector<unsigned char>& domain1, const std::string& what) {
  lazy.lazy_op_sets = true;
  lazy.domain1_ops = domain1;
  std::vector<Topology> choices = op_set_choices(lazy);
  std::vector<std::string> variants{lazy.variant};
  variants.insert(variants.end(), lazy.searched_with.begin(), lazy.searched_with.end());
  std::map<std::uint64_t, explorer::ChoiceSet> searched_for, run_alone_for;  // key (start) -> choices
  lazy.on_search = [&](std::uint64_t key, explorer::ChoiceSet c) { searched_for[key] |= c; };
  lazy.on_alone = [&](std::uint64_t start, explorer::ChoiceSet c) { run_alone_for[start] |= c; };
  ExploreResult r = explore(lazy);
  EXPECT_EQ(r.stats.covered, static_cast<int>(choices.size()) - 1) << what;  // one search
  int missed = 0;
  for (size_t v = 0; v < variants.size(); ++v)
    for (size_t i = 0; i < choices.size(); ++i) {
      ExploreOptions own = lazy;
      own.variant = variants[v];
      own.searched_with.clear();
      own.lazy_op_sets = own.one_search = false;
      int bit = static_cast<int>(v * choices.size() + i);
      auto miss_unless = [&](const std::map<std::uint64_t, explorer::ChoiceSet>& done, std::uint64_t key) {
        auto it = done.find(key);
        if (it == done.end() || !it->second.has(bit)) ++missed;
      };
      own.on_search = [&](std::uint64_t key, explorer::ChoiceSet) { miss_unless(searched_for, key); };
      own.on_alone = [&](std::uint64_t start, explorer::ChoiceSet) { miss_unless(run_alone_for, start); };
      own.iommu1_ops = {choices[i].iommus[1].ops};
      own.domain1_ops = {choices[i].domains[1].ops};
      explore(own);
    }
  return missed;
}

// Mutants change which questions the code asks of the op sets and when: v2
// and a mutant that warns about a missing unpreserve op but goes on, in both
// modes, each twin group (domain 1 with every op, and the others).
TEST(LazyOpSets, every_state_of_every_choice_is_searched_for_it) {
  const std::vector<std::vector<unsigned char>> groups = {{DOMAIN_OPS_ALL}, {0, 1, 2}};
  for (const char* variant : {"v2", "reference+mutant:warn_without_refusing"})
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial})
      for (const std::vector<unsigned char>& domain1 : groups) {
        std::string what = std::string(variant) + " " + caller_mode_name(mode) + ", " +
                           std::to_string(domain1.size()) + " domain 1 op sets";
        EXPECT_EQ(states_missed(testing_search::small_bound(variant, mode), domain1, what), 0) << what;
      }
}

// Three calls reach a state by two paths whose calls in progress were
// answered differently (same reads, so the same key, but other frames):
// a state searched for one choice must not widen to a choice whose own
// state at that key is another (docs/DESIGN.md, "Choices searched alike").
TEST(LazyOpSets, three_calls_every_state_of_every_choice_is_searched_for_it) {
  ExploreOptions o = testing_search::small_bound("reference", CallerMode::adversarial);
  o.calls = 3;
  EXPECT_EQ(states_missed(o, {DOMAIN_OPS_ALL}, "reference adversarial, 3 calls"), 0);
}

TEST(LazyOpSets, every_mutant_finds_what_a_search_per_choice_finds) {
  for (int m = 1; m < impl::MUTANT_COUNT; ++m) {  // 0 is none
    std::string variant = std::string("reference+mutant:") + impl::mutant_name(static_cast<impl::mutant>(m));
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      ExploreOptions o = testing_search::small_bound(variant, mode);
      o.calls = 1;
      expect_same_verdicts(o, variant + " " + caller_mode_name(mode));
    }
  }
}

// Three calls reach the questions a second call asks after a first one's
// answers split the choices.
TEST(LazyOpSets, three_calls_on_v2_find_what_a_search_per_choice_finds) {
  ExploreOptions o = testing_search::small_bound("v2", CallerMode::adversarial);
  o.calls = 3;
  o.jobs = 2;
  expect_same_verdicts(o, "v2 adversarial, 3 calls");
}

// Each search is one group of choices, done on whichever thread: the
// report does not depend on the jobs.
TEST(LazyOpSets, two_jobs_report_what_one_does) {
  ExploreOptions one = testing_search::small_bound("v4", CallerMode::adversarial), two = one;
  one.lazy_op_sets = two.lazy_op_sets = true;
  one.jobs = 1;
  two.jobs = 2;
  ExploreResult a = explore(one), b = explore(two);
  testing_search::expect_same_counts(a.stats, b.stats, "v4");
  EXPECT_EQ(a.stats.states_searched, b.stats.states_searched);
  testing_search::expect_same_findings(a.findings, b.findings, "v4");
}

// ---- one search of every choice (docs/DESIGN.md) ----------------------------------

// Both twin groups in one search: a call covered by one group's twins is
// started for the other group's choices only. Every state of every
// choice's own search (each with its own twins) is searched for it.
TEST(OneSearch, every_state_of_every_choice_is_searched_for_it) {
  const std::vector<unsigned char> every_domain1 = {0, 1, 2, DOMAIN_OPS_ALL};
  for (const char* variant : {"v2", "reference+mutant:warn_without_refusing"})
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      ExploreOptions o = testing_search::small_bound(variant, mode);
      o.one_search = true;
      std::string what = std::string(variant) + " " + caller_mode_name(mode) + ", one search";
      EXPECT_EQ(states_missed(o, every_domain1, what), 0) << what;
    }
  // Three calls, on three of IOMMU 1's op sets (both twin groups still).
  ExploreOptions o = testing_search::small_bound("reference", CallerMode::adversarial);
  o.one_search = true;
  o.calls = 3;
  o.iommu1_ops = {0, 9, IOMMU_OPS_ALL};
  EXPECT_EQ(states_missed(o, every_domain1, "reference adversarial, 3 calls, one search"), 0);
  ExploreOptions together = testing_search::small_bound("v2", CallerMode::adversarial);
  together.one_search = true;
  together.searched_with = {"v2-warn"};
  EXPECT_EQ(states_missed(together, every_domain1, "v2 with v2-warn, one search"), 0);
}

// The same verdicts as a search per choice on every shipped variant and
// mode, and on every mutant, with fewer states searched than the twin
// groups apart.
TEST(OneSearch, every_variant_and_mutant_finds_what_a_search_per_choice_finds) {
  for (const impl::variant_rules& v : impl::shipped_variants())
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      std::string what = std::string(v.name) + " " + caller_mode_name(mode) + ", one search";
      ExploreOptions o = testing_search::small_bound(v.name, mode), apart = o;
      o.one_search = true;
      auto [one, each] = expect_same_verdicts(o, what);
      apart.lazy_op_sets = true;
      EXPECT_LT(one.stats.states_searched, explore(apart).stats.states_searched) << what;
    }
  for (int m = 1; m < impl::MUTANT_COUNT; ++m) {
    std::string variant = std::string("reference+mutant:") + impl::mutant_name(static_cast<impl::mutant>(m));
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      ExploreOptions o = testing_search::small_bound(variant, mode);
      o.calls = 1;
      o.one_search = true;
      expect_same_verdicts(o, variant + " " + caller_mode_name(mode) + ", one search");
    }
  }
}

// One search of every choice is a lazy search: with anything that is not,
// one line.
TEST(OneSearch, only_as_a_lazy_search) {
  ExploreOptions o = testing_search::small_bound("v2", CallerMode::contract);
  o.lazy_op_sets = o.one_search = true;
  EXPECT_EQ(validate(o), "");
  for (auto off : {&ExploreOptions::lazy_op_sets, &ExploreOptions::op_set_equivalence}) {
    ExploreOptions x = o;
    x.*off = false;
    EXPECT_EQ(validate(x).rfind("--one-search: needs a lazy search", 0), 0u) << validate(x);
  }
  ExploreOptions sharded = o;
  sharded.shards = 2;
  EXPECT_EQ(validate(sharded).rfind("--one-search: needs a lazy search", 0), 0u) << validate(sharded);
}

// ---- variants searched together (docs/DESIGN.md) ---------------------------------

// v2 and v2-warn differ only in an asked rule: searched as one, every state
// each variant's own search of each choice searches is searched for it (each
// twin group, both modes). Fails when the rule's question does not split the
// choices it tells apart (impl::ask_rule without its note in the footprint).
TEST(VariantsTogether, every_state_of_every_variant_and_choice_is_searched_for_it) {
  const std::vector<std::vector<unsigned char>> groups = {{DOMAIN_OPS_ALL}, {0, 1, 2}};
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial})
    for (const std::vector<unsigned char>& domain1 : groups) {
      ExploreOptions o = testing_search::small_bound("v2", mode);
      o.searched_with = {"v2-warn"};
      std::string what = std::string("v2 with v2-warn, ") + caller_mode_name(mode) + ", " +
                         std::to_string(domain1.size()) + " domain 1 op sets";
      EXPECT_EQ(states_missed(o, domain1, what), 0) << what;
    }
}

// Each variant's result is what its own lazy search finds: the same
// properties violated, each counterexample its own variant's, showing the
// violation when run; and the one search costs less than the two.
TEST(VariantsTogether, each_variant_finds_what_its_own_search_finds) {
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    ExploreOptions together = testing_search::small_bound("v2", mode);
    together.calls = 3;
    together.jobs = 2;
    together.lazy_op_sets = true;
    together.searched_with = {"v2-warn"};
    ExploreResult r = explore(together);
    ASSERT_EQ(r.searched_with.size(), 1u);
    long long alone_searched = 0;
    for (const ExploreResult* mine : {&r, &r.searched_with.front()}) {
      ExploreOptions own = together;
      own.variant = mine->report.variant;
      own.searched_with.clear();
      ExploreResult theirs = explore(own);
      alone_searched += theirs.stats.states_searched;
      std::string what = own.variant + " " + caller_mode_name(mode);
      EXPECT_EQ(violated(*mine), violated(theirs)) << what;
      EXPECT_TRUE(mine->stats.complete) << what;
      for (const ExploreFinding& f : mine->findings) {
        EXPECT_EQ(f.counterexample.variant, own.variant) << what;
        RunResult run_result = run(f.counterexample);
        EXPECT_NE(run_result.verdict.first_of(f.property), nullptr) << what << ": " << property_name(f.property);
      }
    }
    EXPECT_LT(r.stats.states_searched, alone_searched) << caller_mode_name(mode);
  }
}

// Variants that differ in a rule read straight from the World cannot share
// a search, nor can a search that is not one lazy search: one line each.
TEST(VariantsTogether, only_variants_alike_but_in_asked_rules_in_one_lazy_search) {
  ExploreOptions o = testing_search::small_bound("v2", CallerMode::contract);
  o.lazy_op_sets = true;
  o.searched_with = {"v2-warn"};
  EXPECT_EQ(validate(o), "");
  auto says = [&](ExploreOptions x, const std::string& part) {
    std::string bad = validate(x);
    EXPECT_EQ(bad.rfind("--searched-with: ", 0), 0u) << bad;
    EXPECT_NE(bad.find(part), std::string::npos) << bad;
  };
  ExploreOptions other = o;
  other.searched_with = {"reference"};
  says(other, "differs from v2 in more than the rules the code asks");
  other.searched_with = {"v9"};
  says(other, "unknown variant 'v9'");
  other.searched_with = {"v2-warn", "v2-warn"};
  says(other, "v2-warn is named twice");
  other.searched_with = {"v2"};
  says(other, "v2 is named twice");
  for (auto off : {&ExploreOptions::lazy_op_sets, &ExploreOptions::op_set_equivalence}) {
    other = o;
    other.*off = false;
    says(other, "needs one lazy search");
  }
  other = o;
  other.shards = 2;
  says(other, "needs one lazy search");
  other = o;
  other.first_violation_only = true;
  says(other, "needs one lazy search");
}

// A state searched for some choices is searched again only for choices it
// was not searched for, or when its sleep set or racing objects explored
// less than the arrival needs, and then the entry holds what that search
// was for.
TEST(LazyOpSets, a_state_is_searched_once_per_choice) {
  explorer::VisitedSet v(true, true, true);
  auto visit = [&](unsigned sleep, unsigned racing, std::uint64_t choices, std::uint64_t searched_for,
                   explorer::VisitedSet::Visit expected) {
    explorer::VisitedSet::Arrival a{sleep, static_cast<std::uint8_t>(racing), set(choices), {}};
    EXPECT_EQ(v.visit(7, a), expected) << sleep << " " << racing << " " << choices;
    if (expected != explorer::VisitedSet::seen) {
      EXPECT_EQ(a.choices, set(searched_for)) << choices;
    }
  };
  using explorer::VisitedSet;
  visit(0, 0, 0b0011, 0b0011, VisitedSet::fresh);
  visit(0, 0, 0b0001, 0, VisitedSet::seen);            // searched for it
  visit(0, 0, 0b0110, 0b0100, VisitedSet::again);      // only the one not searched for
  visit(0b01, 0, 0b0111, 0, VisitedSet::seen);         // sleeps more: the entry explored it, for all three
  visit(0, 0b01, 0b1111, 0b1000, VisitedSet::again);   // leaves out more: the entry explored it, but for 3
  visit(0, 0, 0b1000, 0b1000, VisitedSet::again);      // not searched for with the entry's racing objects
  visit(0, 0, 0b1000, 0, VisitedSet::seen);            // now it was
  explorer::VisitedSet w(true, true, true);
  auto visit_w = [&](unsigned sleep, unsigned racing, std::uint64_t choices, explorer::VisitedSet::Visit expected) {
    explorer::VisitedSet::Arrival a{sleep, static_cast<std::uint8_t>(racing), set(choices), {}};
    EXPECT_EQ(w.visit(7, a), expected) << sleep << " " << racing << " " << choices;
    return a;
  };
  visit_w(0b01, 0b10, 0b0011, VisitedSet::fresh);
  // Fewer racing objects: searched for its choices, and the entry holds only those.
  EXPECT_EQ(visit_w(0b01, 0, 0b0001, VisitedSet::again).choices, set(0b0001));
  EXPECT_EQ(visit_w(0b01, 0, 0b0010, VisitedSet::again).choices, set(0b0010));
  // Less asleep: searched with what both let sleep, for its choices only.
  explorer::VisitedSet::Arrival a = visit_w(0b10, 0, 0b0001, VisitedSet::again);
  EXPECT_EQ(a.sleep, 0u);
  EXPECT_EQ(a.choices, set(0b0001));
  visit_w(0, 0, 0b0001, VisitedSet::seen);
  EXPECT_EQ(visit_w(0, 0, 0b0011, VisitedSet::again).choices, set(0b0010));
}

// A state's entry widens to more choices only for a search that explored
// all the entry's sleep set and racing objects would; an arrival the entry
// explored for learns the entry's choices (Arrival::covered).
TEST(LazyOpSets, a_state_widens_for_a_search_that_explored_what_its_entry_would) {
  using explorer::VisitedSet;
  VisitedSet v(true, true, true);
  VisitedSet::Arrival a{0b01, 0b01, set(0b0001), {}};
  EXPECT_EQ(v.visit(7, a), VisitedSet::fresh);
  EXPECT_EQ(v.widen(7, 0b11, 0b01, set(0b0010)), set(0b0001));  // slept more than the entry
  EXPECT_EQ(v.widen(7, 0b01, 0b11, set(0b0010)), set(0b0001));  // left out more
  EXPECT_EQ(v.widen(7, 0b01, 0b01, set(0b0010)), set(0b0011));
  EXPECT_EQ(v.widen(7, 0, 0, set(0b0100)), set(0b0111));
  VisitedSet::Arrival b{0b11, 0b01, set(0b0110), {}};
  EXPECT_EQ(v.visit(7, b), VisitedSet::seen);
  VisitedSet::Arrival c{0b01, 0b01, set(0b1100), {}};
  EXPECT_EQ(v.visit(7, c), VisitedSet::again);
  EXPECT_EQ(c.covered, set(0b0111));
  EXPECT_EQ(c.choices, set(0b1000));
  VisitedSet::Arrival d{0, 0b01, set(0b0001), {}};  // sleeps less: the entry did not explore it
  EXPECT_EQ(v.visit(7, d), VisitedSet::again);
  EXPECT_EQ(d.covered, set(0));
}

// The visited set keeps a table of the choice sets it met, 2 bytes a slot;
// past 65,536 sets, a state whose set is new keeps fewer choices than it
// was searched for (none, or what it held), so it is searched again: never
// seen for a choice it was not searched for.
TEST(LazyOpSets, a_full_table_of_choice_sets_keeps_fewer_choices_not_more) {
  using explorer::VisitedSet;
  VisitedSet v(false, false, true);
  constexpr std::uint64_t N = 70000;
  for (std::uint64_t k = 1; k <= N; ++k) {
    VisitedSet::Arrival a{0, 0, set(k), {}};
    ASSERT_EQ(v.visit(k, a), VisitedSet::fresh);
  }
  int seen = 0;
  for (std::uint64_t k = 1; k <= N; ++k) {
    VisitedSet::Arrival a{0, 0, set(k), {}};
    VisitedSet::Visit x = v.visit(k, a);
    seen += x == VisitedSet::seen;
    if (x != VisitedSet::seen) {
      EXPECT_TRUE(a.choices.within(set(k))) << k;  // searched only for its own
    }
  }
  EXPECT_EQ(seen, 0xffff);  // the sets that got an id
  VisitedSet::Arrival a{0, 0, set(1), {}};
  EXPECT_EQ(v.visit(N, a), VisitedSet::again);  // N's entry kept none of its choices
  EXPECT_EQ(v.widen(1, 0, 0, set(1ull << 40)), set(1));  // a new set: 1 keeps what it held
}

}  // namespace
}  // namespace luv
