// Equivalent op sets: a choice that takes the search of a choice whose
// footprint holds it reports exactly what its own search reports (counts,
// verdicts, counterexamples, violations), on every shipped variant and
// mode and every mutant; and only a search no clock cut stands for others.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "explore/explore.h"
#include "explore/search.h"
#include "explore/tests/same_search.h"
#include "impl/variant.h"

namespace luv {
namespace {

using explorer::ChoiceResult;

// All 64 op-set choices, one job.
ExploreOptions bound(const std::string& variant, CallerMode mode) {
  ExploreOptions o = testing_search::small_bound(variant, mode);
  o.jobs = 1;
  return o;
}

// What a choice reports, but the work it took.
void expect_same_choice(const ChoiceResult& a, const ChoiceResult& b, const std::string& what) {
  testing_search::expect_same_counts(a.stats, b.stats, what);
  testing_search::expect_same_findings(a.findings, b.findings, what);
}

// Each choice with equivalence against its own search; the choices taken
// from another's search.
int expect_same_choices(const ExploreOptions& o, const std::string& what) {
  ExploreOptions own = o;
  own.op_set_equivalence = false;
  std::vector<ChoiceResult> a = explore_choices(o), b = explore_choices(own);
  std::vector<Topology> choices = op_set_choices(o);
  EXPECT_EQ(a.size(), b.size()) << what;
  int covered = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    EXPECT_EQ(b[i].stats.covered, 0) << what;
    covered += a[i].stats.covered;
    std::string at = what + ", iommu1 ops " + std::to_string(choices[i].iommus[1].ops) + ", domain1 ops " +
                     std::to_string(choices[i].domains[1].ops);
    expect_same_choice(a[i], b[i], at);
  }
  return covered;
}

TEST(EquivalentOpSets, every_shipped_variant_and_mode_reports_what_each_choice_own_search_does) {
  for (const impl::variant_rules& v : impl::shipped_variants())
    for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
      std::string what = std::string(v.name) + " " + caller_mode_name(mode);
      // 64 choices: the point is that many stand for each other.
      EXPECT_GE(expect_same_choices(bound(v.name, mode), what), 32) << what;
    }
}

// Mutants change which questions the code asks of the op sets and when
// (a rule-1 check dropped, a refusal without its warning).
TEST(EquivalentOpSets, every_mutant_reports_what_each_choice_own_search_does) {
  for (int m = 1; m < impl::MUTANT_COUNT; ++m) {  // 0 is none
    std::string variant = std::string("reference+mutant:") + impl::mutant_name(static_cast<impl::mutant>(m));
    ExploreOptions o = bound(variant, CallerMode::adversarial);
    o.calls = 1;
    o.first_violation_only = true;  // as luv mutants runs them
    expect_same_choices(o, variant);
  }
}

// A cut by the state limit stops each choice at the same point of its
// search, so a cut search stands for the others; a clock does not.
TEST(EquivalentOpSets, a_state_limit_cut_stands_for_others_and_a_budget_cut_does_not) {
  ExploreOptions cut = bound("v2", CallerMode::adversarial);
  cut.calls = 3;
  cut.states_max = 64 * 300;
  EXPECT_GT(expect_same_choices(cut, "v2, cut at 300 states a choice"), 0);
  ExploreOptions late = bound("reference", CallerMode::contract);
  late.deadline = std::chrono::steady_clock::now();
  ExploreResult r = explore(late);
  EXPECT_FALSE(r.stats.complete);
  EXPECT_EQ(r.stats.covered, 0);
}

// Two jobs: which choice stands for which depends on timing, what each
// choice reports does not.
TEST(EquivalentOpSets, two_jobs_report_what_one_does) {
  ExploreOptions one = bound("v4", CallerMode::adversarial), two = one;
  two.jobs = 2;
  std::vector<ChoiceResult> a = explore_choices(one), b = explore_choices(two);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) expect_same_choice(a[i], b[i], "v4, choice " + std::to_string(i));
  ExploreResult merged = merge_choices(one, a, 0);
  EXPECT_LT(merged.stats.states_searched, merged.stats.states);
}

}  // namespace
}  // namespace luv
