// The Z3 snapshot checks against the C++ object-graph checks, on the same
// implementation states: they must agree on every snapshot, and both must
// see a known leak.
#include <gtest/gtest.h>

#include "counterexamples/scenario_json.h"
#include "impl/world.h"
#include "properties/runner.h"
#include "solver/snapshot.h"
#include "solver/tests/random_scenarios.h"

namespace luv::solver {
namespace {

TEST(SolverSnapshot, z3_and_cpp_checks_agree_on_random_runs_including_interleaved_ones) {
  std::mt19937 rng(7);
  int snapshots = 0, violated = 0;
  for (int i = 0; i < 60; ++i) {
    Scenario s = testing::random_scenario(rng, 6);
    if (s.threads.size() > 1 && i % 2 == 0)  // half of the two-thread runs interleave
      for (int k = 0; k < 12; ++k) s.schedule.push_back(static_cast<int>(rng() % s.threads.size()));
    CrossCheckObserver cross;
    RunOptions ro;
    ro.observer = &cross;
    RunResult r = run(s, ro);
    ASSERT_TRUE(cross.disagreements().empty()) << cross.disagreements().front() << "\n"
                                               << scenario_to_json(s).dump(2);
    snapshots += cross.snapshots_checked();
    violated += !r.verdict.ok();
  }
  EXPECT_GT(snapshots, 80);
  EXPECT_GT(violated, 5);
}

// Judges the snapshot after the last call both ways.
class last_snapshot : public RunObserver {
 public:
  SnapshotFindings z3, cpp;
  std::optional<std::string> on_call_end(const impl::World& w, const CallRecord&) override {
    z3 = snapshot_check(w, false);
    cpp = graph_check(w, false);
    return std::nullopt;
  }
};

Scenario preserve_device_twice(const std::string& variant) {
  Scenario s;
  s.variant = variant;
  s.mode = CallerMode::adversarial;
  s.kexec = false;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}, Call{CallKind::vfio_preserve, -1, 0, 0},
                Call{CallKind::iommu_preserve_device, -1, 0, 0}}};
  return s;
}

TEST(SolverSnapshot, v2_second_device_preserve_orphans_the_first_record_in_both_checks) {
  last_snapshot obs;
  RunOptions ro;
  ro.observer = &obs;
  ro.properties = PropertySet();  // observe every call, stop at none
  run(preserve_device_twice("v2"), ro);
  EXPECT_TRUE(obs.z3.orphan);
  EXPECT_TRUE(obs.cpp.orphan);
  EXPECT_FALSE(obs.z3.refcount);
  EXPECT_FALSE(obs.z3.dangling);
}

TEST(SolverSnapshot, reference_refuses_the_second_preserve_and_both_checks_see_it_clean) {
  last_snapshot obs;
  RunOptions ro;
  ro.observer = &obs;
  run(preserve_device_twice("reference"), ro);
  EXPECT_FALSE(obs.z3.orphan || obs.z3.refcount || obs.z3.dangling || obs.z3.remaining);
  EXPECT_FALSE(obs.cpp.orphan || obs.cpp.refcount || obs.cpp.dangling || obs.cpp.remaining);
}

}  // namespace
}  // namespace luv::solver
