// The command-line tool as a user meets it: `luv run` on good and bad files.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "cli/tests/luv_process.h"

namespace {

using luv_test::lines;
using luv_test::Outcome;

// stdout and stderr together, in `out`.
Outcome luv(const std::string& args) { return luv_test::run_luv(args, luv_test::Stderr::merged); }
std::string write_file(const std::string& name, const std::string& text) {
  return luv_test::write_temp_file("luv_cli_test", name, text);
}

const char* kTopology =
    R"("topology":{"objects_per_page":2,"iommus":[{},{}],"domains":[{},{}],
        "devices":[{"iommu":0},{"iommu":1},{"iommu":1}]})";

std::string scenario(const std::string& variant, const std::string& threads, const std::string& schedule) {
  return R"({"format":1,"variant":")" + variant + R"(","mode":"adversarial",)" + kTopology +
         R"(,"threads":)" + threads + R"(,"schedule":)" + schedule + "}";
}

// T0 takes the FLB object without a reference; T1 unpreserves the last file
// in the window between liveupdate_flb_get_outgoing() and the mutex_lock.
const char* kRaceThreads =
    R"([[{"call":"luo_preserve_file","file":0},{"call":"iommu_domain_preserve","domain":0}],
        [{"call":"luo_unpreserve_file","file":0}]])";
const char* kRaceSchedule = "[0,0,0,0,1,1,0,0,0]";

TEST(LuvRun, two_thread_schedule_switches_at_named_points) {
  Outcome o = luv("run " + write_file("race_v2.json", scenario("v2", kRaceThreads, kRaceSchedule)));
  EXPECT_EQ(o.exit_code, 1) << o.out;
  // T0 stops at the FLB object's lock; T1 runs there; T0 resumes into freed memory.
  size_t t0_stops = o.out.find("T0   .. mutex_lock(flb_obj->lock)");
  size_t t1_runs = o.out.find("T1 luo_unpreserve_file(file0) = 0");
  size_t t0_oops = o.out.find("T0   BUG: mutex_lock on freed flb_obj->lock");
  ASSERT_NE(t0_stops, std::string::npos) << o.out;
  ASSERT_NE(t1_runs, std::string::npos) << o.out;
  ASSERT_NE(t0_oops, std::string::npos) << o.out;
  EXPECT_LT(t0_stops, t1_runs);
  EXPECT_LT(t1_runs, t0_oops);
  EXPECT_NE(o.out.find("VIOLATION no-use-after-free at step 6, T0 call 1"), std::string::npos) << o.out;
}

TEST(LuvRun, reference_survives_the_same_schedule) {
  Outcome o = luv("run " + write_file("race_ref.json", scenario("reference", kRaceThreads, kRaceSchedule)));
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("WARN_ON_ONCE in iommu_release_all"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("ok: no property violated"), std::string::npos) << o.out;
}

TEST(LuvRun, same_scenario_prints_byte_identical_output) {
  std::string path = write_file("race_twice.json", scenario("v2", kRaceThreads, kRaceSchedule));
  Outcome a = luv("run " + path);
  Outcome b = luv("run " + path);
  EXPECT_GT(lines(a.out), 10);
  EXPECT_EQ(a.out, b.out);
}

// One file, one verdict: `luv run` judges a counterexample file with its
// `checked`, as replay does (it ignored it and printed model-refinement).
TEST(LuvRun, a_counterexample_file_is_judged_with_its_checked_properties) {
  Outcome o = luv(std::string("run -q ") + LUV_CORPUS_DIR + "/v2.no-leak.json");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_EQ(o.out.rfind("VIOLATION no-leak at step 9", 0), 0u) << o.out;
  EXPECT_EQ(o.out.find("model-refinement"), std::string::npos) << o.out;
}

TEST(LuvRun, reads_stdin) {
  std::string path = write_file("stdin.json", scenario("reference", kRaceThreads, "[]"));
  Outcome o = luv("run - < " + path);
  EXPECT_EQ(o.exit_code, 0) << o.out;
}

// Out-of-range prove options are refused before any solving (--iommus 0 was
// taken as the default bound, negative timeouts accepted).
TEST(LuvProve, out_of_range_options_are_bad_input) {
  for (const char* bad : {"--iommus 0", "--domains -1", "--devices 99", "--spacer-timeout -5", "--depth 0"}) {
    Outcome o = luv(std::string("prove --variant reference ") + bad);
    EXPECT_EQ(o.exit_code, 2) << bad << ": " << o.out;
    EXPECT_EQ(lines(o.out), 1) << o.out;
    EXPECT_NE(o.out.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos) << o.out;
  }
}

// Bad input: one line naming what was wrong, exit 2.
struct BadCase {
  const char* name;
  std::string text;
  const char* must_say;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class LuvRunBadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(LuvRunBadInput, one_line_error_naming_the_field_and_exit_2) {
  const BadCase& c = GetParam();
  Outcome o = luv("run " + write_file(std::string(c.name) + ".json", c.text));
  EXPECT_EQ(o.exit_code, 2) << o.out;
  EXPECT_EQ(lines(o.out), 1) << o.out;
  EXPECT_NE(o.out.find(c.must_say), std::string::npos) << o.out;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, LuvRunBadInput,
    ::testing::Values(
        BadCase{"malformed", R"({"variant": "v2", "mode": )", "not valid JSON"},
        BadCase{"unknown_variant", scenario("v9", "[[]]", "[]"), "variant: unknown variant 'v9'"},
        BadCase{"unknown_op",
                R"({"variant":"v2","mode":"contract","topology":{"iommus":[{"ops":["preserve","flush"]}],
                   "domains":[{}],"devices":[{"iommu":0}]},"threads":[[]]})",
                "topology.iommus[0].ops[1]: unknown op 'flush'"},
        BadCase{"device_behind_missing_iommu",
                R"({"variant":"v2","mode":"contract","topology":{"iommus":[{}],"domains":[{}],
                   "devices":[{"iommu":0},{"iommu":3}]},"threads":[[]]})",
                "topology.devices[1].iommu: 3 is not an IOMMU"},
        BadCase{"group_not_an_earlier_device",
                R"({"variant":"v4","mode":"contract","topology":{"iommus":[{}],"domains":[{}],
                   "devices":[{"iommu":0},{"iommu":0,"group":1}]},"threads":[[]]})",
                "topology.devices[1].group: 1 is not an earlier device"},
        BadCase{"schedule_names_missing_thread", scenario("v2", kRaceThreads, "[0,2]"),
                "schedule[1]: 2 is not a thread"},
        BadCase{"unknown_call", scenario("v2", R"([[{"call":"iommu_preserve_everything"}]])", "[]"),
                "threads[0][0].call: unknown call 'iommu_preserve_everything'"},
        BadCase{"missing_argument", scenario("v2", R"([[{"call":"iommu_domain_preserve"}]])", "[]"),
                "threads[0][0].domain: missing"},
        BadCase{"contract_mode_raw_call",
                R"({"variant":"v2","mode":"contract",)" + std::string(kTopology) +
                    R"(,"threads":[[{"call":"luo_preserve_file","file":0}]]})",
                "threads[0][0].call: luo_preserve_file is not a contract-mode call"},
        BadCase{"unknown_fault_site",
                R"({"variant":"v2","mode":"contract",)" + std::string(kTopology) +
                    R"(,"faults":[{"site":"cosmic_ray"}],"threads":[[]]})",
                "faults[0].site: unknown fault site 'cosmic_ray'"},
        BadCase{"not_an_object", "[1,2,3]", "expected a JSON object"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(LuvRun, missing_file_is_bad_input) {
  Outcome o = luv("run /nonexistent/luv.json");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.out.find("/nonexistent/luv.json: cannot open"), std::string::npos) << o.out;
}

TEST(LuvCli, unknown_subcommand_is_bad_input) {
  Outcome o = luv("frobnicate");
  EXPECT_EQ(o.exit_code, 2) << o.out;
}

// --budget is a hard limit: a small one cuts the engines, and a cell where
// an engine (in any caller mode) was cut before deciding is unknown, never
// holds or PROVED. (No timing assertion: the wall times are in bench/RESULTS.md.)
// One second: since Z3 proves beside the explorer, the reference's proofs
// fit in five (2026-12-01).
TEST(LuvVerify, a_small_budget_cuts_engines_and_their_cells_say_unknown) {
  std::string json = write_file("verify_budget.json", "");
  Outcome o = luv("verify --variant reference --budget 1 -q --json " + json + " --corpus " + LUV_CORPUS_DIR);
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("note: cut by the budget"), std::string::npos) << o.out;
  nlohmann::json report = nlohmann::json::parse(luv_test::read_file(json));
  int cut = 0;
  for (const auto& c : report.at("cells")) {
    // Each mode's part of `how` starts with its status.
    std::string how = c.at("how"), status = c.at("status");
    // The reference is expected to hold everything, so its explore column
    // searches the whole bound: the budget cuts it, never a state limit.
    if (c.at("engine") == "explore") {
      EXPECT_EQ(how.find("state limit"), std::string::npos) << c.dump();
    }
    if (how.find("unknown, cut by the budget") == std::string::npos && how.find("unknown, search cut") == std::string::npos)
      continue;
    ++cut;
    EXPECT_NE(status, "holds") << c.dump();
    EXPECT_NE(status, "proved") << c.dump();
    EXPECT_EQ(status, "unknown") << c.dump();
  }
  EXPECT_GT(cut, 0) << o.out;
}

// One file, one verdict: run, trace and graph judge a file as replay does
// (the model attached, the file's `checked`), so they exit alike and name
// the same property. Before, trace ran without the model (v2.model-refinement
// traced as no-leak) and graph always exited 0.
TEST(OneVerdict, run_trace_and_graph_judge_every_corpus_file_as_replay_does) {
  for (const char* name : {"v2.model-refinement.json", "v2.no-leak.json", "v2-warn.restore-matches.json",
                           "reference.ok-session-release.json"}) {
    std::string path = std::string(LUV_CORPUS_DIR) + "/" + name;
    std::string expected = nlohmann::json::parse(luv_test::read_file(path))["expected"].value("property", "ok");
    int code = expected == "ok" ? 0 : 1;
    Outcome run = luv("run -q " + path);
    Outcome trace = luv("trace " + path);
    Outcome graph = luv("graph " + path);
    EXPECT_EQ(run.exit_code, code) << name << run.out;
    EXPECT_EQ(trace.exit_code, code) << name;
    EXPECT_EQ(graph.exit_code, code) << name;
    if (code == 0) continue;
    std::string named = "VIOLATION " + expected;
    EXPECT_EQ(run.out.find(named), 0u) << name << run.out;
    EXPECT_NE(trace.out.find(expected), std::string::npos) << name;
    EXPECT_NE(graph.out.find(named), std::string::npos) << name;
    EXPECT_EQ(luv("replay -q " + path).exit_code, 0) << name;
  }
}

TEST(OneVerdict, a_plain_scenario_read_from_stdin_is_judged_too) {
  std::string path = write_file("plain_ok.json", scenario("reference", kRaceThreads, kRaceSchedule));
  Outcome o = luv_test::run_shell(std::string(LUV_BINARY) + " run -q - < " + path + " 2>&1");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  Outcome typo = luv_test::run_shell("sed 's/\"schedule\"/\"shedule\"/' " + path + " | " + LUV_BINARY + " run - 2>&1");
  EXPECT_EQ(typo.exit_code, 2) << typo.out;
  EXPECT_EQ(typo.out, "luv: <stdin>: shedule: unknown field (expected format, description, found_by, variant, mode, "
                      "topology, faults, threads, schedule, kexec, expected, checked)\n");
}

// An option's value is echoed on one printable line, whatever it holds.
TEST(BadOptions, an_echoed_value_stays_one_printable_line) {
  Outcome o = luv_test::run_shell(std::string(LUV_BINARY) + " verify --variant \"$(printf 'v\\n\\001x')\" 2>&1");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.out.rfind("luv: --variant: unknown variant 'v\\x0a\\x01x' (expected one of reference, ", 0), 0u) << o.out;
  EXPECT_EQ(lines(o.out), 1);
}

}  // namespace
