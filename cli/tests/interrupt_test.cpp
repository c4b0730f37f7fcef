// Interrupts, budgets and the options that bound a run, as a user meets
// them: `luv` started as a process, sent SIGINT or SIGTERM mid-run, its exit
// code, stderr and files looked at. LUV_TEST_BINARY, when set, replaces the
// binary under test (to show these tests failing on an older luv).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/tests/luv_process.h"

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

std::string binary() {
  const char* other = std::getenv("LUV_TEST_BINARY");
  return other != nullptr ? other : LUV_BINARY;
}

// A folder of this test's own (ctest runs tests in parallel processes).
fs::path scratch(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("luv_interrupt." + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

struct Ended {
  int exit_code = -1;  // -1: killed by a signal
  double after_signal = 0;  // seconds from the signal to the exit
  std::string err;
};

// Runs `luv ARGS...` in `cwd` with SIGINT and SIGTERM at their defaults,
// sends `sig` after `delay`, and waits for it to end.
Ended interrupt_luv(const std::vector<std::string>& args, const fs::path& cwd, double delay, int sig = SIGINT) {
  std::string err_path = (cwd / "stderr.txt").string();
  std::vector<std::string> argv_s{binary()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(127);
    int out = ::open("/dev/null", O_WRONLY), err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  auto sent = clock_type::now();
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Ended e;
  e.after_signal = std::chrono::duration<double>(clock_type::now() - sent).count();
  e.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  e.err = luv_test::read_file(err_path);
  return e;
}

// Generous for a loaded CI machine; the measured figure is in bench/RESULTS.md.
constexpr double kPromptly = 3.0;

void expect_interrupted(const Ended& e, const std::string& during) {
  EXPECT_EQ(e.exit_code, 130) << e.err;
  EXPECT_LT(e.after_signal, kPromptly) << e.err;
  EXPECT_NE(e.err.find("luv: interrupted during " + during), std::string::npos) << e.err;
}

TEST(Interrupt, verify_exits_130_promptly_and_writes_no_report) {
  fs::path d = scratch("verify");
  Ended e = interrupt_luv({"verify", "--budget", "60", "-q", "--json", "report.json", "--junit", "report.xml",
                           "--corpus", LUV_CORPUS_DIR},
                          d, 1.5);
  expect_interrupted(e, "verify ");
  EXPECT_NE(e.err.find("no report written"), std::string::npos) << e.err;
  EXPECT_FALSE(fs::exists(d / "report.json"));
  EXPECT_FALSE(fs::exists(d / "report.xml"));
  // Nothing half-written left beside it either.
  for (const auto& f : fs::directory_iterator(d)) EXPECT_EQ(f.path().filename(), "stderr.txt") << f.path();
}

// An earlier run's report at the same path would pass for this run's: it is
// removed, and the line says so.
TEST(Interrupt, verify_removes_an_earlier_report_at_its_path) {
  fs::path d = scratch("verify_earlier");
  luv_test::write_temp_file(d.lexically_relative(fs::temp_directory_path()).string(), "report.json", "{\"old\": 1}\n");
  Ended e = interrupt_luv({"verify", "--budget", "60", "-q", "--json", "report.json", "--corpus", LUV_CORPUS_DIR},
                          d, 1.0, SIGTERM);
  expect_interrupted(e, "verify ");
  EXPECT_NE(e.err.find("an earlier run's removed: report.json"), std::string::npos) << e.err;
  EXPECT_FALSE(fs::exists(d / "report.json"));
}

TEST(Interrupt, prove_exits_130_promptly_and_writes_no_report) {
  fs::path d = scratch("prove");
  Ended e = interrupt_luv({"prove", "--variant", "reference", "--json", "prove.json"}, d, 2.0);
  expect_interrupted(e, "prove reference");
  EXPECT_FALSE(fs::exists(d / "prove.json"));
}

TEST(Interrupt, explore_exits_130_promptly_and_writes_no_report) {
  fs::path d = scratch("explore");
  Ended e = interrupt_luv({"explore", "--variant", "reference", "--calls", "6", "-q", "--json", "explore.json"}, d, 1.5);
  expect_interrupted(e, "explore reference");
  EXPECT_FALSE(fs::exists(d / "explore.json"));
}

TEST(Interrupt, check_exits_130_promptly_and_writes_no_report) {
  fs::path d = scratch("check");
  Ended e = interrupt_luv({"check", "--tests", "100000000", "--json", "check.json"}, d, 1.5);
  expect_interrupted(e, "check reference");
  EXPECT_FALSE(fs::exists(d / "check.json"));
}

// ---- budgets: a cut is unknown, never holds, PROVED or a violation --------------

nlohmann::json json_of(const fs::path& p) { return nlohmann::json::parse(luv_test::read_file(p.string())); }

TEST(Budget, explore_cut_by_its_budget_is_unknown) {
  fs::path d = scratch("explore_budget");
  std::string json = (d / "e.json").string();
  luv_test::Outcome o = luv_test::run_shell(binary() + " explore --variant reference --calls 6 -q --budget 1 --json " +
                                            json + " 2>&1");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  nlohmann::json r = json_of(json);
  EXPECT_EQ(r["stats"]["complete"], false);
  EXPECT_EQ(r["stats"]["cut_by"], "the budget");
  for (const auto& x : r["outcomes"]) {
    if (x["status"] == "-") continue;  // not checked by the explorer
    EXPECT_EQ(x["status"], "unknown") << x.dump();
    EXPECT_NE(x["how"].get<std::string>().find("cut by the budget"), std::string::npos) << x.dump();
  }
}

TEST(Budget, explore_bfs_stops_cleanly_at_its_memory_limit) {
  fs::path d = scratch("explore_memory");
  std::string json = (d / "e.json").string();
  // 1 MiB: below what the process holds at start, so the first look stops it.
  luv_test::Outcome o = luv_test::run_shell(binary() + " explore --variant reference --calls 6 --bfs -q --memory-max 1 --json " +
                                            json + " 2>&1");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  nlohmann::json r = json_of(json);
  EXPECT_EQ(r["stats"]["cut_by"], "the memory limit");
  for (const auto& x : r["outcomes"])
    if (x["status"] != "-") {
      EXPECT_EQ(x["status"], "unknown") << x.dump();
    }
}

TEST(Budget, check_cut_by_its_budget_is_unknown) {
  fs::path d = scratch("check_budget");
  std::string json = (d / "c.json").string();
  luv_test::Outcome o =
      luv_test::run_shell(binary() + " check --tests 100000000 --budget 1 --json " + json + " 2>&1");
  EXPECT_EQ(o.exit_code, 0) << o.out;
  for (const auto& x : json_of(json)["outcomes"]) {
    EXPECT_EQ(x["status"], "unknown") << x.dump();
    // model-refinement may say first that a history was undecided (also unknown).
    std::string how = x["how"];
    EXPECT_TRUE(how.find("cut by the budget") != std::string::npos || how.find("undecided") != std::string::npos)
        << x.dump();
  }
}

TEST(Budget, prove_cut_by_its_budget_proves_nothing_and_says_so_up_front) {
  fs::path d = scratch("prove_budget");
  std::string json = (d / "p.json").string();
  luv_test::Outcome o = luv_test::run_shell(binary() + " prove --variant reference --budget 1 --json " + json + " 2>&1");
  EXPECT_EQ(o.exit_code, 1) << o.out;  // not every property proved
  EXPECT_EQ(o.out.rfind("luv prove: variant reference", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("budget 1 s"), std::string::npos) << o.out;
  for (const auto& x : json_of(json)["properties"]) {
    EXPECT_EQ(x["status"], "unknown") << x.dump();
    EXPECT_NE(x["why"].get<std::string>().find("cut by the budget"), std::string::npos) << x.dump();
  }
}

// ---- outputs where the user asked, checked before the work -----------------------

TEST(Outputs, prove_without_json_or_save_writes_nothing_into_the_working_directory) {
  fs::path d = scratch("prove_cwd");
  luv_test::Outcome o = luv_test::run_shell("cd " + d.string() + " && " + binary() +
                                            " prove --variant v2 --depth 2 --budget 120 2>&1");
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("violated"), std::string::npos) << o.out;
  EXPECT_TRUE(fs::is_empty(d)) << fs::directory_iterator(d)->path();
}

TEST(Outputs, a_report_path_that_cannot_be_written_is_refused_before_any_work) {
  for (const char* cmd : {"verify --budget 60", "prove --variant reference", "check", "explore --variant reference",
                          "mutants"}) {
    auto t0 = clock_type::now();
    luv_test::Outcome o = luv_test::run_shell(binary() + " " + cmd + " --json /nonexistent-dir/r.json 2>&1");
    double took = std::chrono::duration<double>(clock_type::now() - t0).count();
    EXPECT_EQ(o.exit_code, 2) << cmd << ": " << o.out;
    EXPECT_NE(o.out.find("--json: /nonexistent-dir/r.json: cannot write"), std::string::npos) << cmd << ": " << o.out;
    EXPECT_LT(took, 2.0) << cmd;
  }
  luv_test::Outcome o = luv_test::run_shell(binary() + " prove --variant v2 --save /nonexistent-dir 2>&1");
  EXPECT_EQ(o.exit_code, 2) << o.out;
}

// ---- out-of-range values: exit 2, one line naming option, value and range ---------

TEST(OptionRanges, negative_values_are_refused_with_the_allowed_range) {
  struct Case {
    std::string args, line;
  };
  for (const Case& c : std::vector<Case>{
           {"explore --variant reference --states-max -5", "luv: --states-max: -5 is outside 0.."},
           {"check --seed -1", "luv: --seed: -1 is outside 0..18446744073709551615"},
           {"mutants --seed -3", "luv: --seed: -3 is outside 0..18446744073709551615"},
           {"prove --variant reference --spacer-timeout -1", "luv: --spacer-timeout: -1 is outside 0..3600000"},
           {"explore --variant reference --budget -1", "luv: --budget: "},
           {"prove --variant reference --budget -2", "luv: --budget: "},
       }) {
    luv_test::Outcome o = luv_test::run_shell(binary() + " " + c.args + " 2>&1");
    EXPECT_EQ(o.exit_code, 2) << c.args << ": " << o.out;
    EXPECT_EQ(o.out.rfind(c.line, 0), 0u) << c.args << ": " << o.out;
    EXPECT_EQ(luv_test::lines(o.out), 1) << c.args << ": " << o.out;
  }
}

}  // namespace
