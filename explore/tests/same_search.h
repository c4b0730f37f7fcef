// Two searches of one bound compared on what they report but the work
// they took (time, snapshots, states searched): the differential tests of
// snapshots against replays and of equivalent op sets against every
// choice's own search.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "explore/explore.h"

namespace luv::testing_search {

// The bound the differential tests search: 2 threads, 2 calls, 1 fault.
inline ExploreOptions small_bound(const std::string& variant, CallerMode mode) {
  ExploreOptions o;
  o.variant = variant;
  o.mode = mode;
  o.calls = 2;
  o.faults = 1;
  return o;
}

inline void expect_same_counts(const ExploreStats& a, const ExploreStats& b, const std::string& what) {
  EXPECT_EQ(a.states, b.states) << what;
  EXPECT_EQ(a.transitions, b.transitions) << what;
  EXPECT_EQ(a.pruned_visited, b.pruned_visited) << what;
  EXPECT_EQ(a.pruned_sleep, b.pruned_sleep) << what;
  EXPECT_EQ(a.pruned_source, b.pruned_source) << what;
  EXPECT_EQ(a.visited, b.visited) << what;
  EXPECT_EQ(a.paths_ended, b.paths_ended) << what;
  EXPECT_EQ(a.unjudged, b.unjudged) << what;
  EXPECT_EQ(a.complete, b.complete) << what;
  EXPECT_EQ(a.cut_by, b.cut_by) << what;
}

inline void expect_same_findings(const std::vector<ExploreFinding>& a, const std::vector<ExploreFinding>& b,
                                 const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    const ExploreFinding &x = a[i], &y = b[i];
    std::string at = what + " " + property_name(x.property);
    EXPECT_EQ(x.property, y.property) << at;
    EXPECT_EQ(x.counterexample, y.counterexample) << at;
    EXPECT_EQ(x.checked, y.checked) << at;
    EXPECT_EQ(x.calls, y.calls) << at;
    EXPECT_EQ(x.steps, y.steps) << at;
    EXPECT_EQ(x.violation.step, y.violation.step) << at;
    EXPECT_EQ(x.violation.thread, y.violation.thread) << at;
    EXPECT_EQ(x.violation.message, y.violation.message) << at;
    EXPECT_EQ(x.violation.snapshot, y.violation.snapshot) << at;
  }
}

}  // namespace luv::testing_search
