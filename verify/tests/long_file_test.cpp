// Long files: a file at the limit of 10,000 calls is
// read and replayed to its verdict by every judge; a file past a limit is
// refused when it is read, naming the field. Not timed: bench/replay measures
// how the cost grows.
#include <gtest/gtest.h>

#include "counterexamples/counterexample.h"
#include "verify/judges.h"

namespace luv {
namespace {

Call iommufd(CallKind kind, int domain) { return Call{kind, -1, domain, -1}; }
Call vfio(CallKind kind, int domain, int device) { return Call{kind, -1, domain, device}; }

// One VMM's lifecycle over the topology of docs/SPEC.md ("The default
// bound"), repeated to n calls (n a multiple of 8 leaves nothing preserved
// at kexec).
std::vector<Call> lifecycle_calls(int domain, const std::vector<int>& devices, int n) {
  std::vector<Call> cycle{iommufd(CallKind::iommufd_preserve, domain)};
  for (int d : devices) cycle.push_back(vfio(CallKind::vfio_preserve, domain, d));
  for (int d : devices) cycle.push_back(vfio(CallKind::vfio_unpreserve, domain, d));
  cycle.push_back(iommufd(CallKind::iommufd_unpreserve, domain));
  std::vector<Call> out;
  for (int i = 0; i < n; ++i) out.push_back(cycle[static_cast<size_t>(i) % cycle.size()]);
  return out;
}

// The Scenario through its file text and back, as `luv replay FILE` reads it.
ReplayReport replay_as_file(const Scenario& s) {
  Counterexample c;
  c.scenario = s;
  c.description = "a long run of the reference";
  c.found_by = "hand";
  Counterexample read = read_counterexample_text(counterexample_to_text(c), "long.json");
  return replay(read, linked_judges(), false);
}

TEST(LongFiles, ten_thousand_calls_in_one_thread_replay_to_ok_with_every_judge) {
  Scenario s;
  s.threads = {lifecycle_calls(0, {0, 1, 2}, SCENARIO_CALLS_MAX)};
  ReplayReport r = replay_as_file(s);
  EXPECT_TRUE(r.passed()) << (r.mismatch.empty() ? r.disagreement->message : r.mismatch);
  EXPECT_TRUE(r.result.verdict.ok());
  EXPECT_EQ(r.result.calls.size(), static_cast<size_t>(SCENARIO_CALLS_MAX));
  EXPECT_EQ(r.judges, (std::vector<std::string>{"runner", "model", "solver"}));
}

// Two threads interleaved one step at a time over the whole run: the calls
// overlap from the first to the last, one linearizability segment of 10,000
// calls (it overflowed the call stack before the search had its own stack).
TEST(LongFiles, ten_thousand_overlapping_calls_of_two_threads_replay_to_ok) {
  Scenario s;
  s.threads = {lifecycle_calls(0, {0}, SCENARIO_CALLS_MAX / 2), lifecycle_calls(1, {1, 2}, SCENARIO_CALLS_MAX / 2)};
  for (int i = 0; i < 12 * SCENARIO_CALLS_MAX; ++i) s.schedule.push_back(i % 2);
  ReplayReport r = replay_as_file(s);
  EXPECT_TRUE(r.passed()) << (r.mismatch.empty() ? r.disagreement->message : r.mismatch);
  EXPECT_TRUE(r.result.verdict.ok());
  EXPECT_EQ(r.result.calls.size(), static_cast<size_t>(SCENARIO_CALLS_MAX));
}

// The message of the FormatError reading `s` as a file gives, "" when read.
std::string read_error(const Scenario& s) {
  Counterexample c;
  c.scenario = s;
  c.description = "over a limit";
  try {
    read_counterexample_text(counterexample_to_text(c), "limits.json");
  } catch (const FormatError& e) {
    return e.message;
  }
  return "";
}

TEST(LongFiles, thirty_three_threads_are_refused_when_read) {
  Scenario s;
  s.threads.assign(33, {iommufd(CallKind::iommufd_preserve, 0)});
  EXPECT_EQ(read_error(s), "limits.json: threads: 33 is more than the limit of 16");
  s.threads.resize(SCENARIO_THREADS_MAX);
  EXPECT_EQ(read_error(s), "");
}

TEST(LongFiles, more_than_ten_thousand_calls_are_refused_when_read) {
  Scenario s;
  s.threads = {lifecycle_calls(0, {0, 1, 2}, SCENARIO_CALLS_MAX + 1)};
  EXPECT_EQ(read_error(s), "limits.json: threads[0]: 10001 is more than the limit of 10000");
  s.threads = {lifecycle_calls(0, {0}, SCENARIO_CALLS_MAX / 2), lifecycle_calls(1, {1}, SCENARIO_CALLS_MAX / 2 + 1)};
  EXPECT_EQ(read_error(s), "limits.json: threads (calls in all): 10001 is more than the limit of 10000");
}

// The Runner's bound on steps comes from the Scenario: a valid run never
// reaches it (it used to be a fixed 100,000 steps, which 50,000 calls passed).
TEST(LongFiles, a_valid_run_stays_under_its_step_bound) {
  Scenario s;
  s.threads = {lifecycle_calls(0, {0, 1, 2}, SCENARIO_CALLS_MAX)};
  RunOptions o;
  o.properties = PropertySet();
  RunResult r = run(s, o);
  EXPECT_EQ(r.calls.size(), static_cast<size_t>(SCENARIO_CALLS_MAX));
  EXPECT_LT(r.steps, steps_bound(s));
}

}  // namespace
}  // namespace luv
