// The Linearizer keeps its search's buffers (memo, stack, moves, interned
// sets) from one segment to the next, and linearize() uses one per thread:
// a segment must be decided exactly as by a fresh one, whatever the
// segments before it left behind (a bigger search, one cut at its bound, a
// violation's second search for the message).
#include <algorithm>
#include <random>

#include <gtest/gtest.h>

#include "properties/linearizability.h"
#include "properties/refinement.h"
#include "properties/tests/random_runs.h"

namespace luv {
namespace {

using testing_runs::random_scenario;
using testing_runs::SAMPLE_DIVISOR;
using testing_runs::variants;

struct judged_segment {
  model::Model model;
  RefinementObserver::Segment segment;
  LinearizeOptions options;
};

// The segments the model's observer judged in a run of s.
std::vector<RefinementObserver::Segment> segments_of_run(const Scenario& s) {
  std::vector<RefinementObserver::Segment> kept;
  RefinementObserver observer;
  observer.keep_segments(&kept);
  RunOptions o;
  o.properties = only(PropertyId::model_refinement);
  o.observer = &observer;
  run(s, o);
  return kept;
}

// The segments of random runs of `variant`, a fifth of them with 2-4 threads
// under a random schedule (long overlapping segments); each judged at the
// default bound and at a small one, so that some searches are cut.
std::vector<judged_segment> segments_of(const std::string& variant, std::mt19937& rng, int runs) {
  std::vector<judged_segment> out;
  for (int i = 0; i < runs; ++i) {
    Scenario s = random_scenario(rng, variant);
    if (i % 5 == 4) {
      int threads = 2 + static_cast<int>(rng() % 3);
      s.threads.resize(static_cast<size_t>(threads));
      for (auto& t : s.threads)
        if (t.empty()) t = s.threads[0];
      s.schedule.clear();
      for (int k = 0; k < 400; ++k) s.schedule.push_back(static_cast<int>(rng() % static_cast<unsigned>(threads)));
    }
    for (RefinementObserver::Segment& seg : segments_of_run(s)) {
      LinearizeOptions small;
      small.configurations_max = 1 + static_cast<long long>(rng() % 60);
      out.push_back(judged_segment{model::Model(s.topology), seg, LinearizeOptions{}});
      out.push_back(judged_segment{model::Model(s.topology), std::move(seg), small});
    }
  }
  return out;
}

Linearization judge(Linearizer& l, const judged_segment& j) {
  return l(j.model, j.segment.starts, j.segment.calls, j.segment.target, j.options);
}

TEST(LinearizerReuse, a_warm_linearizer_decides_every_segment_as_a_fresh_one) {
  std::mt19937 rng(2026);
  Linearizer warm;
  long long multi = 0, violations = 0, undecided = 0;
  for (const std::string& v : variants()) {
    for (const judged_segment& j : segments_of(v, rng, 40 / SAMPLE_DIVISOR)) {
      Linearizer fresh;
      Linearization a = judge(warm, j), b = judge(fresh, j);
      ASSERT_EQ(a.finals, b.finals) << v << ": " << j.segment.calls.size() << " calls";
      ASSERT_EQ(a.undecided, b.undecided) << v;
      ASSERT_EQ(a.why, b.why) << v;
      ASSERT_EQ(a.nodes, b.nodes) << v;
      // linearize() keeps a Linearizer of its own, warm by now too.
      Linearization c = linearize(j.model, j.segment.starts, j.segment.calls, j.segment.target, j.options);
      ASSERT_EQ(c.finals, b.finals) << v;
      ASSERT_EQ(c.why, b.why) << v;
      multi += j.segment.calls.size() > 1;
      violations += b.finals.empty() && !b.undecided;
      undecided += b.undecided;
    }
  }
  // The mix exercised what it is for: searches of many calls, cut ones, violations.
  EXPECT_GT(multi, 100);
  EXPECT_GT(undecided, 10);
  EXPECT_GT(violations, 10);
}

// The longest segment of a run of the reference with 7 threads of 16 calls
// taken from a random Scenario's, one step each in turn: tens of thousands
// of configurations, past what a Linearizer keeps between searches.
judged_segment a_big_segment(std::mt19937& rng) {
  Scenario s = random_scenario(rng, "reference");
  std::vector<Call> pool;
  for (const auto& t : s.threads) pool.insert(pool.end(), t.begin(), t.end());
  s.mode = CallerMode::adversarial;
  s.threads.assign(7, {});
  for (size_t t = 0; t < 7; ++t)
    for (size_t j = 0; j < 16; ++j) s.threads[t].push_back(pool[(t * 5 + j * 3) % pool.size()]);
  s.faults.clear();
  s.schedule.clear();
  for (int i = 0; i < 7 * 16 * 12; ++i) s.schedule.push_back(i % 7);
  std::vector<RefinementObserver::Segment> kept = segments_of_run(s);
  auto longest = std::max_element(kept.begin(), kept.end(),
                                  [](const auto& a, const auto& b) { return a.calls.size() < b.calls.size(); });
  return judged_segment{model::Model(s.topology), *longest, LinearizeOptions{}};
}

TEST(LinearizerReuse, small_searches_after_a_big_one_are_decided_as_by_a_fresh_linearizer) {
  std::mt19937 rng(7);
  std::vector<judged_segment> small = segments_of("reference", rng, 10);
  judged_segment big = a_big_segment(rng);
  Linearizer warm;
  auto same_as_fresh = [&warm](const judged_segment& j) {
    Linearizer fresh;
    Linearization a = judge(warm, j), b = judge(fresh, j);
    EXPECT_EQ(a.finals, b.finals);
    EXPECT_EQ(a.why, b.why);
    EXPECT_EQ(a.nodes, b.nodes);
    return b.nodes;
  };
  for (const judged_segment& j : small) same_as_fresh(j);
  EXPECT_GT(same_as_fresh(big), 30'000);  // its buffers grew past KEEP_BYTES, given back after
  for (const judged_segment& j : small) same_as_fresh(j);
}

}  // namespace
}  // namespace luv
