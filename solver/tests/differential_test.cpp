// The encoding against the implementation: for many random sequential
// Scenarios, the return values, the abstract state after every call and the
// first violation the encoding predicts must be what the Runner observes.
#include <gtest/gtest.h>

#include <iostream>
#include <map>

#include "counterexamples/scenario_json.h"
#include "impl/world.h"
#include "linux/errno.h"
#include "properties/runner.h"
#include "solver/predict.h"
#include "solver/tests/random_scenarios.h"

namespace luv::solver {
namespace {

// Records the implementation's abstract state after every call, and counts
// the calls that ran v4's singleton-group rollback: the driver's
// preserve_device was reached, yet the call returned -EOPNOTSUPP (a fault
// there returns -EIO or -ENOMEM; only the rollback refuses past it).
class capture : public RunObserver {
 public:
  std::vector<AbstractState> states;
  int rollbacks = 0;
  std::optional<std::string> on_call_end(const impl::World& w, const CallRecord& r) override {
    states.push_back(abstract_world(w));
    int visits = w.fault_visits[static_cast<int>(impl::fault_site::op_preserve_device)];
    rollbacks += visits > preserve_device_visits_ && r.ret == -EOPNOTSUPP;
    preserve_device_visits_ = visits;
    return std::nullopt;
  }

 private:
  int preserve_device_visits_ = 0;
};

// Where the encoding's prediction and the Runner's run of s part, or "".
std::string first_difference(const Scenario& s, const Prediction& p, const RunResult& r,
                             const std::vector<AbstractState>& states) {
  Layout l(s.topology);
  // Calls the Runner completed, in order (an oops ends a call without a record).
  size_t ran = r.calls.size();
  size_t followed = p.lost_call >= 0 ? static_cast<size_t>(p.lost_call) + 1 : p.rets.size();
  if (ran > followed && p.lost_call < 0)
    return "the encoding stopped at call " + std::to_string(p.rets.size()) + " but the Runner went on";
  if (ran < followed && p.lost_call != static_cast<int>(ran))
    return "the Runner stopped after " + std::to_string(ran) + " call(s), the encoding went on to " +
           std::to_string(followed);
  for (size_t k = 0; k < std::min(ran, followed); ++k) {
    int want = r.calls[k].ret;
    if (p.rets[k] != want)
      return "call " + std::to_string(k) + " " + describe_call(p.calls[k]) + ": encoding returns " +
             std::to_string(p.rets[k]) + ", implementation " + std::to_string(want);
    if (p.lost_call != static_cast<int>(k) && !(p.states[k] == states[k]))
      return "after call " + std::to_string(k) + " " + describe_call(p.calls[k]) + ":\n  encoding:       " +
             p.states[k].describe(l) + "\n  implementation: " + states[k].describe(l);
  }
  // Each property's first violation, up to the last call both followed.
  int last = static_cast<int>(followed) - 1;
  std::vector<PropertyId> judged(CHECKED.begin(), CHECKED.end());
  judged.push_back(PropertyId::no_use_after_free);
  for (PropertyId q : judged) {
    auto mine = std::find_if(p.firsts.begin(), p.firsts.end(), [&](const auto& f) { return f.first == q; });
    int at = mine == p.firsts.end() ? -1 : mine->second;
    const Violation* v = r.verdict.first_of(q);
    int index = -1;
    for (size_t k = 0; v && k < p.origin.size(); ++k)
      if (p.origin[k] == std::make_pair(v->thread, v->call)) index = static_cast<int>(k);
    if (index > last) index = -1;  // past what the encoding follows
    if (at != index)
      return std::string(property_name(q)) + ": encoding's first violation at call " + std::to_string(at) +
             ", Runner's at call " + std::to_string(index) + (v ? " (" + v->message + ")" : "");
  }
  return "";
}

struct Comparison {
  std::string diff;  // "" when the encoding and the Runner agree
  RunResult run;
  int rollbacks = 0;
};

// Compares one Scenario, the encoding running `encoded` (s.variant's row,
// or a deliberately wrong copy) and the implementation s.variant's row.
// Both go on past violations (each property is judged on its own): the
// Runner up to an oops, the encoding up to the first call it cannot follow.
Comparison compare(const Scenario& s, const impl::variant_rules& encoded) {
  Comparison out;
  Prediction p = predict(s, encoded);
  if (!p.unsupported.empty()) {
    out.diff = "unsupported: " + p.unsupported;
    return out;
  }
  capture cap;
  RunOptions ro;
  ro.observer = &cap;
  out.run = run(s, ro);
  out.rollbacks = cap.rollbacks;
  out.diff = first_difference(s, p, out.run, cap.states);
  return out;
}

Comparison compare(const Scenario& s) { return compare(s, *impl::find_variant(s.variant)); }

TEST(SolverDifferential, random_sequential_scenarios_match_the_implementation) {
  std::mt19937 rng(20260507);
  int violations = 0, faults_fired = 0, rollbacks = 0, releases = 0, joins = 0;
  std::map<std::string, int> per_variant;
  const int total = 300;
  for (int i = 0; i < total; ++i) {
    Scenario s = testing::random_scenario(rng);
    Comparison c = compare(s);
    ASSERT_EQ(c.diff, "") << "scenario " << i << ":\n" << scenario_to_json(s).dump(2);
    violations += !c.run.verdict.ok();
    faults_fired += c.run.faults_fired;
    rollbacks += c.rollbacks;
    for (const auto& thread : s.threads)
      for (const Call& x : thread) {
        releases += x.kind == CallKind::iommu_device_release_dma_owner;
        joins += x.kind == CallKind::iommu_group_add_device;
      }
    ++per_variant[s.variant];
  }
  // The sample must exercise both outcomes, the fault paths, every shipped
  // variant, the singleton-group rollback (reference and v4), and the two
  // group events (a DMA owner's release, a device joining).
  EXPECT_GT(violations, 10);
  EXPECT_LT(violations, total - 10);
  EXPECT_GT(faults_fired, 10);
  std::cout << "[ differential ] " << total << " scenarios, " << violations << " violating, " << faults_fired
            << " faults fired, " << rollbacks << " singleton-group rollbacks, " << releases
            << " DMA owner releases, " << joins << " group joins; by variant:";
  for (const impl::variant_rules& v : impl::shipped_variants()) {
    std::cout << " " << v.name << " " << per_variant[v.name];
    EXPECT_GE(per_variant[v.name], 15) << v.name;
  }
  std::cout << "\n";
  EXPECT_GE(rollbacks, 3);
  EXPECT_GE(releases, 20);
  EXPECT_GE(joins, 20);
}

// Devices 1 and 2 share IOMMU 1's group: the reference and v4 preserve
// device 1, find its group shared and undo it all (-EOPNOTSUPP); v3 keeps it.
TEST(SolverDifferential, the_singleton_group_rollback_is_predicted_as_the_implementation_runs_it) {
  Scenario s;
  s.mode = CallerMode::contract;
  s.kexec = false;
  s.topology = default_topology();
  testing::join_group(s.topology, 2, 1);
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}, Call{CallKind::vfio_preserve, -1, 0, 1},
                Call{CallKind::vfio_preserve, -1, 0, 0}, Call{CallKind::vfio_unpreserve, -1, 0, 0},
                Call{CallKind::iommufd_unpreserve, -1, 0, -1}}};
  for (const char* variant : {"reference", "v4", "v3"}) {
    s.variant = variant;
    Comparison c = compare(s);
    EXPECT_EQ(c.diff, "") << variant;
    bool refuses = impl::find_variant(variant)->refuse_non_singleton_group;
    EXPECT_EQ(c.rollbacks, refuses ? 1 : 0) << variant;
    ASSERT_GE(c.run.calls.size(), 2u) << variant;
    EXPECT_EQ(c.run.calls[1].ret, refuses ? -EOPNOTSUPP : 0) << variant;
  }
}

// The differential catches an encoding that mirrors a revision's switch
// wrongly: the implementation runs the variant's row, the encoding a copy
// with one switch flipped; some random scenario of that variant must tell
// them apart. Returns the first disagreement, or "".
std::string first_disagreement(const std::string& variant, bool impl::variant_rules::*flip) {
  impl::variant_rules wrong = *impl::find_variant(variant);
  wrong.*flip = !(wrong.*flip);
  std::mt19937 rng(20261201);
  for (int i = 0; i < 200; ++i) {
    Scenario s = testing::random_scenario(rng);
    s.variant = variant;
    std::string diff = compare(s, wrong).diff;
    if (!diff.empty()) return "scenario " + std::to_string(i) + ": " + diff + "\n" + scenario_to_json(s).dump();
  }
  return "";
}

// v3 reads domain->preserved_state under flb_obj->lock only; an encoding
// that still reads it first, unlocked, refuses before the DMA-owner and
// ops checks (and before a missing FLB object oopses).
TEST(SolverDifferential, catches_an_encoding_of_v3_that_reads_the_domain_unlocked) {
  std::string diff = first_disagreement("v3", &impl::variant_rules::domain_checked_under_lock_only);
  EXPECT_NE(diff, "");
  std::cout << "[ differential on v3 ] " << diff << "\n";
}

// v4 undoes the preserve of a device whose IOMMU group has others; an
// encoding without the rollback keeps the device preserved.
TEST(SolverDifferential, catches_an_encoding_of_v4_without_the_singleton_group_rollback) {
  std::string diff = first_disagreement("v4", &impl::variant_rules::refuse_non_singleton_group);
  EXPECT_NE(diff, "");
  std::cout << "[ differential on v4 ] " << diff << "\n";
}

// Rule 6: the reference unpreserves a device whose group's DMA owner was
// released; an encoding that returns early there, as the posted revisions
// do, keeps the record the implementation frees.
TEST(SolverDifferential, catches_an_encoding_of_the_reference_that_needs_the_owner_to_unpreserve) {
  std::string diff = first_disagreement("reference", &impl::variant_rules::unpreserve_ignores_owner);
  EXPECT_NE(diff, "");
  std::cout << "[ differential on reference ] " << diff << "\n";
}

// Rule 6: the reference refuses a device joining the group of a preserved
// device, the posted revisions accept it; the encoding follows each, and one
// that lets the reference's group grow is caught. (Random sequences rarely
// preserve a device and then join its group, so this one is written out.)
TEST(SolverDifferential, a_join_of_a_preserved_group_is_predicted_and_a_wrong_encoding_caught) {
  Scenario s;
  s.mode = CallerMode::adversarial;
  s.kexec = false;
  s.topology = default_topology();
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}, Call{CallKind::vfio_preserve, -1, 0, 0},
                Call{CallKind::iommu_group_add_device, -1, -1, 0}, Call{CallKind::vfio_unpreserve, -1, 0, 0},
                Call{CallKind::iommu_group_add_device, -1, -1, 0}, Call{CallKind::vfio_preserve, -1, 0, 0}}};
  for (const impl::variant_rules& v : impl::shipped_variants()) {
    s.variant = v.name;
    Comparison c = compare(s);
    EXPECT_EQ(c.diff, "") << v.name;
    ASSERT_EQ(c.run.calls.size(), 6u) << v.name;
    EXPECT_EQ(c.run.calls[2].ret, v.refuse_growth_of_preserved_group ? -EBUSY : 0) << v.name;
  }
  s.variant = "reference";
  impl::variant_rules wrong = *impl::find_variant("reference");
  wrong.refuse_growth_of_preserved_group = false;
  std::string diff = compare(s, wrong).diff;
  EXPECT_NE(diff, "");
  std::cout << "[ differential on reference ] " << diff << "\n";
}

// Every term of a step, each simplified on its own, as text.
std::vector<std::string> step_values(StepResult& r) {
  std::vector<std::string> out;
  for (z3::expr* x : step_terms(r)) out.push_back(x->simplify().to_string());
  return out;
}

// predict folds values while it builds a step (a pointer selects its slot);
// the prover builds the same step as terms over every slot. From the same
// concrete states, both must come to the same values, term by term.
TEST(SolverDifferential, folded_steps_equal_the_terms_the_prover_builds) {
  std::mt19937 rng(20261130);
  z3::context c;
  int steps = 0;
  for (int i = 0; i < 40; ++i) {
    Scenario s = testing::random_scenario(rng);
    if (!predict(s).unsupported.empty()) continue;
    Layout l(s.topology);
    State state = initial_values(c, l).first;
    FaultOracle oracle = planned_faults(c, s.faults);
    std::array<z3::expr, impl::FAULT_SITE_COUNT> visits{c, c, c, c, c, c, c, c, c};
    for (auto& v : visits) v = c.int_val(0);
    bool lost = false;
    for (const auto& thread : s.threads)
      for (const Call& call : thread) {
        if (lost) break;
        StepResult folded = step(l, *impl::find_variant(s.variant), state, call, oracle, visits, true);
        StepResult plain = step(l, *impl::find_variant(s.variant), state, call, oracle, visits, false);
        ASSERT_EQ(step_values(folded), step_values(plain))
            << "scenario " << i << ", " << describe_call(call) << ":\n" << scenario_to_json(s).dump(2);
        for (z3::expr* x : step_terms(plain)) *x = x->simplify();
        state = plain.post;
        visits = plain.visits_after;
        lost = !plain.exact.is_true();
        ++steps;
      }
  }
  EXPECT_GT(steps, 100);
}

TEST(SolverDifferential, interleaved_schedules_are_out_of_scope) {
  Scenario s;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}}, {Call{CallKind::iommufd_preserve, -1, 1, -1}}};
  s.schedule = {0, 1, 0};
  EXPECT_NE(predict(s).unsupported, "");
}

}  // namespace
}  // namespace luv::solver
