// Lazy op-set choices: searching the choices with the same twins as one,
// each node standing for the choices that answered its path's questions
// alike, finds exactly the properties a search per choice finds, on every
// shipped variant and mode and every mutant; each of its counterexamples
// shows its violation when run on its own op sets; and it searches fewer
// states.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "explore/explore.h"
#include "explore/replay.h"
#include "explore/tests/same_search.h"
#include "impl/variant.h"
#include "properties/runner.h"

namespace luv {
namespace {

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

// Mutants change which questions the code asks of the op sets and when.
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

// A state reached for some choices and for others is two states: their
// futures may ask questions the paths so far did not.
TEST(LazyOpSets, the_key_tells_the_classes_of_choices_apart) {
  ExploreOptions o = testing_search::small_bound("reference", CallerMode::adversarial);
  ASSERT_EQ(validate(o), "");  // as explore() does first (its lookups' statics are made outside the arena)
  std::vector<Topology> choices = op_set_choices(o);
  ExploreStats stats;
  explorer::Replayer replayer(o, choices.front(), stats, &choices);
  explorer::Node n;
  n.threads.assign(2, {});
  n.choices = replayer.all_choices();
  EXPECT_EQ(replayer.replay(n), 0u);  // the start asks nothing
  explorer::Node half = n;
  half.choices &= 0xffffffffull;
  EXPECT_NE(replayer.key(n, false), replayer.key(half, false));
  EXPECT_NE(replayer.key(n, true), replayer.key(half, true));
}

}  // namespace
}  // namespace luv
