// `luv replay` as CI and a user meet it: the corpus passes (exit 0), an
// altered expected verdict fails (exit 1), bad files are refused in one line
// (exit 2).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/tests/luv_process.h"

namespace {

using luv_test::lines;
using luv_test::Outcome;

Outcome luv(const std::string& args) { return luv_test::run_luv(args, luv_test::Stderr::apart); }
std::string read(const std::string& path) { return luv_test::read_file(path); }
std::string write_file(const std::string& name, const std::string& text) {
  return luv_test::write_temp_file("luv_replay_cli_test", name, text);
}

std::string corpus(const std::string& name) { return std::string(LUV_CORPUS_DIR) + "/" + name; }

std::string replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(LuvReplay, whole_corpus_passes_with_exit_0) {
  Outcome o = luv("replay -q " + std::string(LUV_CORPUS_DIR) + "/*.json");
  EXPECT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_EQ(o.out.find("FAIL"), std::string::npos) << o.out;
}

TEST(LuvReplay, prints_the_trace_and_the_story) {
  Outcome o = luv("replay " + corpus("v2.no-dangling.json"));
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("Check-then-act race"), std::string::npos);
  EXPECT_NE(o.out.find("[ 10] T1 iommufd_unpreserve(domain0)"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("PASS"), std::string::npos);
}

TEST(LuvReplay, altered_expected_step_makes_it_exit_1) {
  std::string text = replace(read(corpus("v2.no-dangling.json")), "\"step\": 19", "\"step\": 18");
  Outcome o = luv("replay -q " + write_file("altered_step.json", text));
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("step 18 -> 19"), std::string::npos) << o.out;
}

TEST(LuvReplay, altered_expected_property_makes_it_exit_1) {
  std::string text = replace(read(corpus("v2.no-leak.json")), "\"property\": \"no-leak\"", "\"property\": \"no-dangling\"");
  Outcome o = luv("replay -q " + write_file("altered_property.json", text));
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("expected no-dangling"), std::string::npos) << o.out;
}

TEST(LuvReplay, a_violation_expected_ok_makes_it_exit_1) {
  std::string text = read(corpus("v2.no-null-op.json"));
  size_t at = text.find("\"expected\"");
  ASSERT_NE(at, std::string::npos);
  text = text.substr(0, at) + "\"expected\": {\"verdict\": \"ok\"}\n}\n";
  Outcome o = luv("replay -q " + write_file("expected_ok.json", text) + " " + corpus("v2.no-leak.json"));
  EXPECT_EQ(o.exit_code, 1) << o.out;
  EXPECT_NE(o.out.find("PASS"), std::string::npos) << "the good file still passes";
}

struct BadFile {
  const char* name;
  const char* from;  // text of v2.no-leak.json to replace
  const char* to;
  const char* field;  // the error must name it
};

class LuvReplayBadFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(LuvReplayBadFile, exits_2_with_one_line_naming_file_and_field) {
  const BadFile& b = GetParam();
  std::string text = replace(read(corpus("v2.no-leak.json")), b.from, b.to);
  std::string path = write_file(std::string(b.name) + ".json", text);
  Outcome o = luv("replay " + path);
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_EQ(lines(o.err), 1) << o.err;
  EXPECT_NE(o.err.find(path), std::string::npos) << o.err;
  EXPECT_NE(o.err.find(b.field), std::string::npos) << o.err;
}

INSTANTIATE_TEST_SUITE_P(
    Files, LuvReplayBadFile,
    ::testing::Values(BadFile{"unknown_property", "\"property\": \"no-leak\"", "\"property\": \"no-leek\"", "expected.property"},
                      BadFile{"step_not_int", "\"step\": 9", "\"step\": \"nine\"", "expected.step"},
                      BadFile{"no_expected", ",\n  \"expected\"", ",\n  \"unexpected\"", "unexpected"},
                      BadFile{"bad_verdict", "\"violation\"", "\"maybe\"", "expected.verdict"},
                      BadFile{"two_line_story", "Repeated preserve:", "Repeated\\npreserve:", "description"},
                      BadFile{"format_2", "\"format\": 1", "\"format\": 2", "format"},
                      BadFile{"bad_call", "\"iommu_domain_preserve\"", "\"iommu_domain_preserv\"", "threads[0][1].call"},
                      BadFile{"not_json", "{", "{{", "not valid JSON"},
                      BadFile{"thread_out_of_range", "\"thread\": 0", "\"thread\": 3", "expected.thread"},
                      BadFile{"group_of_a_later_device", "{\"iommu\":1},{\"iommu\":1}]",
                              "{\"iommu\":1,\"group\":2},{\"iommu\":1}]", "topology.devices[1].group"}),
    [](const ::testing::TestParamInfo<BadFile>& info) { return std::string(info.param.name); });

TEST(LuvReplay, missing_file_is_bad_input) {
  Outcome o = luv("replay /nonexistent/x.json");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(lines(o.err), 1) << o.err;
}

TEST(LuvReplay, bless_rewrites_the_expected_verdict) {
  std::string text = replace(read(corpus("v2.no-dangling.json")), "\"step\": 19", "\"step\": 18");
  std::string path = write_file("bless.json", text);
  ASSERT_EQ(luv("replay -q " + path).exit_code, 1);
  ASSERT_EQ(luv("replay --bless " + path).exit_code, 0);
  EXPECT_EQ(luv("replay -q " + path).exit_code, 0);
  EXPECT_EQ(read(path), read(corpus("v2.no-dangling.json"))) << "the writer's text is the corpus's text";
}

}  // namespace

namespace {

TEST(LuvGraph, the_seeds_leak_marks_the_hw_record_and_driver_pages) {
  std::string seed = std::string(LUV_CORPUS_DIR) + "/../../docs/pictures/seed-v2.scenario.json";
  Outcome o = luv("graph " + seed + " --step 16 --format dot");
  ASSERT_EQ(o.exit_code, 1) << o.err;  // the drawing, and the seed's verdict: v2 breaks a property
  std::regex leaked_hw("HW record 0x[0-9a-f]+\\\\nref_count=1\\\\n\\[leaked\\]");
  EXPECT_TRUE(std::regex_search(o.out, leaked_hw)) << o.out;
  std::regex leaked_page("driver page\\)\\\\n\\[leaked\\]");
  int pages = static_cast<int>(std::distance(std::sregex_iterator(o.out.begin(), o.out.end(), leaked_page),
                                             std::sregex_iterator()));
  EXPECT_EQ(pages, 2) << o.out;
}

TEST(LuvGraph, a_step_past_the_end_is_bad_input) {
  Outcome o = luv("graph " + corpus("v2.no-leak.json") + " --step 999");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(lines(o.err), 1) << o.err;
  EXPECT_NE(o.err.find("--step"), std::string::npos);
}

TEST(LuvTrace, lanes_show_both_threads_and_mark_the_violating_step) {
  Outcome o = luv("trace " + corpus("v2.no-dangling.json") + " --format txt");
  EXPECT_EQ(o.exit_code, 1) << "a violation";
  EXPECT_NE(o.out.find("| T1"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("  19!"), std::string::npos) << o.out;
  Outcome svg = luv("trace " + corpus("v2.no-dangling.json") + " --format svg");
  EXPECT_EQ(svg.out.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.out.find("VIOLATION no-dangling at step 19"), std::string::npos);
}

// With --variant, a variant is judged against its own corpus files (it was
// judged against "holds everything", so `--variant v2` could never pass).
// Every counterexample its JSON report embeds is a whole file (with
// `checked` and `expected`) that replays to its cell's finding.
TEST(LuvVerify, a_variant_filter_keeps_the_corpus_expectations) {
  std::string json = write_file("verify_v2.json", "");
  Outcome o = luv("verify --variant v2 --budget 8 --quiet --json " + json + " --corpus " + std::string(LUV_CORPUS_DIR));
  EXPECT_EQ(o.exit_code, 0) << o.out;
  EXPECT_NE(o.out.find("* VIOLATED "), std::string::npos) << o.out;
  int embedded = 0;
  nlohmann::json report = nlohmann::json::parse(read(json));
  for (const nlohmann::json& cell : report["cells"]) {
    // v2 is expected to violate: its explore column is a sample (the
    // reference's is searched whole: cli_test's budget test), cut by its
    // state limit or, on a loaded machine, by its share of the budget: the
    // limit is sized from the budget, so which comes first depends on the
    // machine (CI beside ctest's other jobs: the budget, at 43,653 states).
    if (cell["engine"] == "explore" && cell["status"] == "unknown") {
      const std::string how = cell["how"];
      EXPECT_TRUE(how.find("cut by the state limit") != std::string::npos ||
                  how.find("cut by the budget") != std::string::npos)
          << cell.dump();
    }
    if (!cell.contains("counterexample")) continue;
    ++embedded;
    EXPECT_TRUE(cell["counterexample"].contains("expected")) << cell.dump();
    std::string file = write_file("embedded.json", cell["counterexample"].dump());
    Outcome r = luv("replay -q " + file);
    EXPECT_EQ(r.exit_code, 0) << cell["engine"] << " " << cell["property"] << ": " << r.out;
    EXPECT_NE(r.out.find("PASS"), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(read(file))["expected"]["property"], cell["property"]);
  }
  EXPECT_GT(embedded, 8);
}

// Every engine's finding becomes the same counterexample file (FORMAT.md,
// with `checked` and `expected`), through finding_counterexample: each file
// check, explore and prove save replays to PASS, and names its engine.
TEST(LuvEngines, each_engines_saved_findings_replay_to_pass) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / "luv_replay_cli_test" / "engines";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string d = dir.string();
  EXPECT_EQ(luv("check --variant v2 --mode adversarial --tests 300 --save " + d).exit_code, 1);
  EXPECT_EQ(luv("explore --variant v2 --threads 1 --calls 2 --faults 0 -q --counterexamples " + d).exit_code, 1);
  EXPECT_EQ(luv("prove --variant v2 --depth 2 --budget 120 --save " + d).exit_code, 1);
  std::map<std::string, int> files;  // per engine
  for (const auto& e : fs::directory_iterator(dir)) {
    nlohmann::json j = nlohmann::json::parse(read(e.path().string()));
    ++files[j.at("found_by").get<std::string>()];
    EXPECT_TRUE(j.contains("checked") && j.contains("expected")) << e.path();
    EXPECT_EQ(j["expected"]["verdict"], "violation") << e.path();
    Outcome r = luv("replay -q " + e.path().string());
    EXPECT_EQ(r.exit_code, 0) << e.path() << ": " << r.out << r.err;
  }
  EXPECT_GT(files["check"], 0);
  EXPECT_GT(files["explore"], 0);
  EXPECT_GT(files["prove"], 0);
}

TEST(LuvVerify, unknown_variant_is_bad_input) {
  Outcome o = luv("verify --variant v9");
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(lines(o.err), 1) << o.err;
  EXPECT_NE(o.err.find("--variant"), std::string::npos);
}

}  // namespace
