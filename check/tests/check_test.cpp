// The RapidCheck engine with fixed seeds: the reference holds in both caller
// modes; v2 and v2-warn violate exactly the properties they really violate
// (found by running the engine), each with
// a small shrunk counterexample that replays; the mutants break the
// properties v2 leaves standing; the generators reach every fault site.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "check/check.h"
#include "counterexamples/counterexample.h"
#include "counterexamples/scenario_json.h"
#include "linux/errno.h"
#include "properties/stop.h"

namespace luv {
namespace {

constexpr int kTests = 3000;

CheckResult run_engine(const std::string& variant, CallerMode mode, int tests = kTests, std::uint64_t seed = 1) {
  CheckOptions o;
  o.variant = variant;
  o.mode = mode;
  o.tests = tests;
  o.seed = seed;
  return check(o);
}

std::set<std::string> violated(const CheckResult& r) {
  std::set<std::string> out;
  for (const PropertyOutcome& o : r.report.outcomes)
    if (o.status == Status::violated) out.insert(property_name(o.property));
  return out;
}

const CheckFinding& finding(const CheckResult& r, PropertyId p) {
  for (const CheckFinding& f : r.findings)
    if (f.property == p) return f;
  static CheckFinding none;
  ADD_FAILURE() << "no finding for " << property_name(p);
  return none;
}

// Every finding replays to its property, with the properties it was found with.
void expect_findings_replay(const CheckResult& r) {
  for (const CheckFinding& f : r.findings) {
    RunOptions o;
    o.properties = f.checked;
    RunResult again = run(f.counterexample, o);
    ASSERT_TRUE(again.verdict.violation) << property_name(f.property);
    EXPECT_EQ(again.verdict.violation->property, f.property);
    EXPECT_EQ(again.verdict.violation->step, f.violation.step);
    EXPECT_EQ(again.verdict.violation->message, f.violation.message);
  }
}

// Per property, each judged on its own (docs/SPEC.md). Contract mode has no
// use after free: a contract caller's own file keeps the FLB alive, and LUO's
// session mutex keeps another caller of that file out (docs/LUO.md).
const std::set<std::string> kV2ContractViolations = {"missing-unpreserve-warns", "no-leak", "no-dangling",
                                                     "no-null-op", "refcount-balanced", "restore-matches",
                                                     "model-refinement"};
std::set<std::string> v2_violations(CallerMode mode) {
  std::set<std::string> out = kV2ContractViolations;
  if (mode == CallerMode::adversarial) out.insert("no-use-after-free");
  return out;
}

TEST(Check, reference_holds_in_contract_mode) {
  CheckResult r = run_engine("reference", CallerMode::contract, 5000);
  EXPECT_TRUE(violated(r).empty()) << r.findings.front().violation.message;
  EXPECT_EQ(r.tests, 5000);
}

TEST(Check, reference_holds_in_adversarial_mode) {
  CheckResult r = run_engine("reference", CallerMode::adversarial, 5000);
  EXPECT_TRUE(violated(r).empty()) << r.findings.front().violation.message;
}

TEST(Check, v2_violates_seven_properties_in_contract_mode_eight_in_adversarial) {
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    CheckResult r = run_engine("v2", mode);
    EXPECT_EQ(violated(r), v2_violations(mode)) << caller_mode_name(mode);
    expect_findings_replay(r);
  }
}

TEST(Check, v2_warn_violates_the_same_properties) {
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    CheckResult r = run_engine("v2-warn", mode);
    EXPECT_EQ(violated(r), v2_violations(mode)) << caller_mode_name(mode);
    expect_findings_replay(r);
  }
}

TEST(Check, v2_counterexamples_shrink_to_what_a_reviewer_writes) {
  CheckResult r = run_engine("v2", CallerMode::adversarial);
  // One call: a domain preserved with no file preserved dereferences the null FLB.
  const CheckFinding& null_op = finding(r, PropertyId::no_null_op);
  EXPECT_EQ(null_op.counterexample.calls_total(), 1);
  EXPECT_EQ(null_op.counterexample.threads[0][0].kind, CallKind::iommu_domain_preserve);
  // One call: a driver lacking an unpreserve op is accepted without a warning.
  EXPECT_EQ(finding(r, PropertyId::missing_unpreserve_warns).counterexample.calls_total(), 1);
  // A race needs two threads and a schedule, and nothing else; LUO's session
  // mutex keeps iommufd's calls on one file apart, so it takes raw LUO calls.
  const CheckFinding& uaf = finding(r, PropertyId::no_use_after_free);
  EXPECT_EQ(uaf.counterexample.threads.size(), 2u);
  EXPECT_LE(uaf.counterexample.calls_total(), 4);
  EXPECT_FALSE(uaf.counterexample.schedule.empty());
  // The stale outgoing_preserved_state: preserve a domain and a device, drop the file.
  EXPECT_LE(finding(r, PropertyId::refcount_balanced).counterexample.calls_total(), 4);
  for (const CheckFinding& f : r.findings) {
    const Scenario& s = f.counterexample;
    EXPECT_LE(s.calls_total(), 4) << property_name(f.property);
    // Shrinking drops calls and threads but does not merge two threads'
    // calls into one: a race of three one-call threads can stay as it is.
    EXPECT_LE(s.threads.size(), 3u) << property_name(f.property);
    EXPECT_TRUE(s.faults.empty()) << property_name(f.property);
    EXPECT_EQ(s.topology.iommus.size(), 1u) << property_name(f.property);
    EXPECT_LE(s.topology.domains.size(), 2u) << property_name(f.property);
    EXPECT_EQ(s.topology.devices.size(), 1u) << property_name(f.property);
  }
}

// The properties v2 does not break, each broken by a seeded mutant of the reference.
TEST(Check, mutants_break_the_properties_v2_keeps) {
  struct want {
    const char* variant;
    PropertyId property;
  };
  for (const want& w : {want{"reference+mutant:skip_refcount_get", PropertyId::refcount_balanced},
                        want{"reference+mutant:keep_error_record_live", PropertyId::error_path_deleted},
                        want{"reference+mutant:drop_lock_early", PropertyId::lock_discipline},
                        want{"reference+mutant:restore_deleted", PropertyId::restore_matches}}) {
    CheckOptions o;
    o.variant = w.variant;
    o.mode = CallerMode::adversarial;
    o.tests = kTests;
    o.properties = all_properties();
    o.properties.reset(static_cast<size_t>(PropertyId::model_refinement));  // it would see most of them first
    CheckResult r = check(o);
    EXPECT_TRUE(violated(r).count(property_name(w.property))) << w.variant;
    expect_findings_replay(r);
  }
}

TEST(Check, generators_reach_every_fault_site_thread_count_and_caller_mode) {
  std::set<int> sites;
  std::set<size_t> threads;
  int scheduled = 0;
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    GenOptions g;
    g.mode = mode;
    rc::Gen<Scenario> gen = scenario_gen(g);
    rc::Random random(99);
    for (int i = 0; i < 3000; ++i) {
      Scenario s = gen(random.split(), rc::kNominalSize).value();
      ASSERT_EQ(validate(s), "");
      threads.insert(s.threads.size());
      scheduled += !s.schedule.empty();
      RunOptions o;
      o.properties = PropertySet();
      RunResult r = run(s, o);
      for (const Fault& f : s.faults)
        if (r.fault_visits[static_cast<int>(f.site)] >= f.nth) sites.insert(static_cast<int>(f.site));
    }
  }
  EXPECT_EQ(sites.size(), static_cast<size_t>(impl::FAULT_SITE_COUNT));
  EXPECT_EQ(threads, (std::set<size_t>{1, 2, 3}));
  EXPECT_GT(scheduled, 1000);
}

// Some generated devices join an earlier device's IOMMU group, within what
// validate() allows (the head heads its own group; one DMA owner a group),
// and some Scenarios preserve such a device against a preserved domain: the
// reference's rollback (impl/iommu_liveupdate.cpp, the singleton check).
TEST(Check, generators_put_some_devices_in_shared_iommu_groups) {
  int shared = 0, refused = 0;
  const int n = 3000;
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    GenOptions g;
    g.mode = mode;
    rc::Gen<Scenario> gen = scenario_gen(g);
    rc::Random random(7);
    for (int i = 0; i < n; ++i) {
      Scenario s = gen(random.split(), rc::kNominalSize).value();
      ASSERT_EQ(validate(s), "");
      bool any = false;
      for (int d = 0; d < static_cast<int>(s.topology.devices.size()); ++d) any |= !s.topology.group_is_singleton(d);
      shared += any;
      if (!any) continue;
      RunOptions o;
      o.properties = PropertySet();
      RunResult r = run(s, o);
      for (const CallRecord& c : r.calls)
        refused += (c.call.kind == CallKind::vfio_preserve || c.call.kind == CallKind::iommu_preserve_device) &&
                   c.call.device >= 0 && !s.topology.group_is_singleton(c.call.device) && c.ret == -EOPNOTSUPP;
    }
  }
  EXPECT_GT(shared, 2 * n / 10);  // about a third of them
  EXPECT_LT(shared, 2 * n / 2);
  EXPECT_GT(refused, 100);
}

// The reference refines the model on a topology with a shared IOMMU group
// (dev2 in dev1's): the refusal, and its rollback under flb_obj->lock, racing
// a singleton device's preserve and a file's teardown, in both caller modes,
// each fault site the refused preserve passes on the way.
TEST(Check, reference_refines_the_model_on_a_shared_iommu_group) {
  Scenario s;
  s.topology = default_topology();
  s.topology.devices[2].group = 1;
  s.topology.objects_per_page = 1;
  s.threads = {{Call{CallKind::iommufd_preserve, -1, 0, -1}, Call{CallKind::vfio_preserve, -1, 0, 2},
                Call{CallKind::vfio_unpreserve, -1, 0, 2}, Call{CallKind::iommufd_unpreserve, -1, 0, -1}},
               {Call{CallKind::vfio_preserve, -1, 0, 0}, Call{CallKind::vfio_preserve, -1, 0, 1},
                Call{CallKind::vfio_unpreserve, -1, 0, 0}}};
  ASSERT_EQ(validate(s), "");
  int runs = 0;
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    s.mode = mode;
    for (int first = 0; first < 2; ++first) {
      for (int len = 0; len < 24; ++len) {
        s.schedule.assign(len, first);
        s.schedule.push_back(1 - first);
        RunResult r = run(s);
        ++runs;
        EXPECT_TRUE(r.verdict.ok()) << caller_mode_name(mode) << ", schedule " << len << " x T" << first << ": "
                                    << r.verdict.violation->message;
      }
    }
  }
  s.schedule.clear();
  for (impl::fault_site site : {impl::fault_site::kho_array_page, impl::fault_site::op_iommu_preserve,
                                impl::fault_site::op_preserve_device, impl::fault_site::kho_driver_page}) {
    for (int nth = 1; nth <= 4; ++nth) {
      s.faults = {Fault{site, nth, 0}};
      RunResult r = run(s);
      EXPECT_TRUE(r.verdict.ok()) << "fault " << static_cast<int>(site) << " nth " << nth << ": "
                                  << r.verdict.violation->message;
    }
  }
  EXPECT_EQ(runs, 96);
}

// v4's new lines, mutated, are found by `luv check`'s default pass (1000
// Scenarios, seed 1), each by the property its damage breaks, with two calls:
// preserve the domain, then a device in a shared group.
TEST(Check, the_singleton_mutants_are_killed_by_a_default_pass) {
  struct want {
    const char* mutant;
    PropertyId property;
  };
  for (const want& w : {want{"accept_shared_group", PropertyId::model_refinement},
                        want{"singleton_keep_device_ser", PropertyId::no_dangling},
                        want{"singleton_skip_unpreserve_device", PropertyId::no_leak}}) {
    CheckResult r = run_engine(std::string("reference+mutant:") + w.mutant, CallerMode::contract, 1000);
    ASSERT_TRUE(violated(r).count(property_name(w.property))) << w.mutant;
    const CheckFinding& f = finding(r, w.property);
    EXPECT_EQ(f.counterexample.calls_total(), 2) << w.mutant;
    bool shared = false;
    for (int d = 0; d < static_cast<int>(f.counterexample.topology.devices.size()); ++d)
      shared |= !f.counterexample.topology.group_is_singleton(d);
    EXPECT_TRUE(shared) << w.mutant;
    expect_findings_replay(r);
  }
}

TEST(Check, same_seed_same_report) {
  auto text = [](const CheckResult& r) {
    std::string out = std::to_string(r.tests) + " " + std::to_string(r.runs) + " " + std::to_string(r.calls);
    for (const PropertyOutcome& o : r.report.outcomes) out += std::string("\n") + status_name(o.status) + " " + o.how;
    for (const CheckFinding& f : r.findings) out += "\n" + counterexample_to_text(finding_file(f));
    return out;
  };
  EXPECT_EQ(text(run_engine("v2", CallerMode::contract, 500, 5)), text(run_engine("v2", CallerMode::contract, 500, 5)));
}

TEST(Check, counterexample_file_reads_back_and_states_its_replay_verdict) {
  CheckResult r = run_engine("v2", CallerMode::adversarial, 500);
  ASSERT_FALSE(r.findings.empty());
  std::string dir = (std::filesystem::temp_directory_path() / "luv_check_test_save").string();
  for (const CheckFinding& f : r.findings) {
    std::string path = save_counterexample(dir, f);
    Counterexample c = read_counterexample_file(path);
    EXPECT_EQ(c.scenario, f.counterexample);
    EXPECT_EQ(c.checked, only(f.property));
    EXPECT_EQ(c.found_by, "check");
    // What `luv replay` does: run it with the properties it names, and the model.
    RunOptions o;
    o.properties = c.checked;
    EXPECT_EQ(verdict_mismatch(c.expected, run(c.scenario, o).verdict), "");
    EXPECT_EQ(c.expected.property, f.property);
  }
  std::filesystem::remove_all(dir);
}

// --shard i/N: each shard runs the Scenarios i-1, i-1+N, ... of the seed's
// stream; merged, the shards are one run: its verdicts, counterexamples
// (each from the lowest Scenario index that shows it) and outcome texts.
TEST(Check, shards_merged_are_one_run) {
  for (auto [variant, mode] : {std::pair{"v2", CallerMode::adversarial}, {"v2-warn", CallerMode::contract}}) {
    CheckOptions o;
    o.variant = variant, o.mode = mode, o.tests = 300, o.seed = 4;
    CheckResult one = check(o);
    for (int n : {2, 3, 5}) {
      std::vector<CheckResult> shards;
      for (int i = 1; i <= n; ++i) {
        CheckOptions s = o;
        s.shard = i, s.shards = n;
        shards.push_back(check(s));
      }
      CheckResult merged = merge_checks(o, shards);
      std::string what = std::string(variant) + ", " + std::to_string(n) + " shards";
      EXPECT_EQ(one.tests, merged.tests) << what;
      ASSERT_EQ(one.findings.size(), merged.findings.size()) << what;
      for (size_t k = 0; k < one.findings.size(); ++k) {
        EXPECT_EQ(one.findings[k].test, merged.findings[k].test) << what;
        EXPECT_EQ(one.findings[k].counterexample, merged.findings[k].counterexample) << what;
      }
      for (size_t p = 0; p < one.report.outcomes.size(); ++p)
        EXPECT_EQ(one.report.outcomes[p].how, merged.report.outcomes[p].how) << what;
    }
  }
}

TEST(Check, bad_options_name_the_option) {
  CheckOptions o;
  o.variant = "v9";
  try {
    check(o);
    ADD_FAILURE() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--variant: unknown variant 'v9'", 0), 0u) << e.what();
  }
  o.variant = "reference";
  o.tests = 0;
  EXPECT_THROW(check(o), std::invalid_argument);
}

// An interrupt (a stop request, stop.h) cuts the pass as the deadline does.
TEST(Check, a_stop_request_cuts_the_pass_and_says_interrupted) {
  request_stop();
  CheckOptions o;
  o.tests = 100;
  CheckResult r = check(o);
  clear_stop();
  EXPECT_EQ(r.tests, 0);
  for (const PropertyOutcome& po : r.report.outcomes) {
    EXPECT_EQ(po.status, Status::unknown) << po.how;
    EXPECT_EQ(po.how.rfind("interrupted after 0 of 100", 0), 0u) << po.how;
  }
}

}  // namespace
}  // namespace luv
