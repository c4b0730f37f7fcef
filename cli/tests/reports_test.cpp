// The verify reports: JUnit parses as XML (xmllint) with one testcase per
// (variant, property, engine); SARIF validates against the official SARIF
// 2.1.0 schema and Microsoft's SARIF validator (scripts/validate_sarif.js,
// with the tools scripts/setup.sh installs), and a broken log is rejected.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "cli/tests/luv_process.h"
#include "counterexamples/counterexample.h"
#include "verify/reports.h"
#include "verify/source_map.h"

namespace luv {
namespace {

std::string corpus(const std::string& name) { return std::string(LUV_CORPUS_DIR) + "/" + name; }

// A report like verify's: three variants, two engines, every property, with
// real violations from corpus files.
VerifyReport sample_report() {
  VerifyReport r;
  r.variants = {"reference", "v2", "v2-warn"};
  r.engines = {"replay", "check"};
  for (const std::string& v : r.variants) {
    for (const std::string& e : r.engines) {
      for (int p = 0; p < PROPERTY_COUNT; ++p) {
        MatrixCell c;
        c.variant = v, c.engine = e, c.property = static_cast<PropertyId>(p);
        c.status = e == "check" ? Status::holds : Status::not_checked;
        c.how = "sample <&> \"quoted\"";
        r.cells.push_back(c);
      }
    }
  }
  for (const char* f : {"v2.no-dangling.json", "v2-warn.no-use-after-free.json", "v2.restore-matches.json"}) {
    Counterexample cx = read_counterexample_file(corpus(f));
    RunOptions o;
    o.properties = cx.checked;
    RunResult run_result = run(cx.scenario, o);
    for (MatrixCell& c : r.cells) {
      if (c.variant != cx.scenario.variant || c.engine != "replay" || c.property != cx.expected.property) continue;
      c.status = Status::violated;
      c.expected_violated = true;
      c.counterexample = cx;
      c.violation = run_result.verdict.violation;
      SourceLocation l = violation_location(cx.scenario, *c.violation);
      c.location_file = l.file, c.location_line = l.line;
    }
  }
  for (MatrixCell& c : r.cells) c.judgement = judge_cell(c.expected_violated, c.status);
  return r;
}

TEST(VerifyReports, junit_parses_as_xml_with_one_testcase_per_variant_property_engine) {
  VerifyReport r = sample_report();
  std::string xml = report_junit(r);
  std::string path = (std::filesystem::temp_directory_path() / "luv_reports_test.xml").string();
  std::ofstream(path) << xml;
  if (std::system("command -v xmllint >/dev/null 2>&1") != 0) GTEST_SKIP() << "xmllint not installed (libxml2-utils)";
  EXPECT_EQ(std::system(("xmllint --noout " + path).c_str()), 0) << xml;
  std::string count_cmd = "xmllint --xpath 'count(//testcase)' " + path;
  FILE* p = popen(count_cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[64] = {};
  size_t n = fread(buf, 1, sizeof buf - 1, p);
  pclose(p);
  std::string count(buf, n);
  while (!count.empty() && (count.back() == '\n' || count.back() == ' ')) count.pop_back();
  EXPECT_EQ(count, std::to_string(3 * 2 * PROPERTY_COUNT));
  // Each (variant, property, engine) once.
  std::set<std::string> seen;
  std::regex testcase("<testcase classname=\"luv\\.([^\"]+)\" name=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), testcase); it != std::sregex_iterator(); ++it)
    EXPECT_TRUE(seen.insert((*it)[1].str() + "/" + (*it)[2].str()).second) << (*it)[0];
  EXPECT_EQ(seen.size(), static_cast<size_t>(3 * 2 * PROPERTY_COUNT));
}

TEST(VerifyReports, junit_marks_a_mismatch_as_failure) {
  VerifyReport r = sample_report();
  r.cells[0].status = Status::violated;  // reference violating something: not expected
  r.cells[0].judgement = judge_cell(false, Status::violated);
  std::string xml = report_junit(r);
  EXPECT_NE(xml.find("<failure"), std::string::npos);
  EXPECT_FALSE(r.passed());
}

TEST(VerifyReports, sarif_has_the_required_fields_of_2_1_0) {
  VerifyReport r = sample_report();
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(report_sarif(r).dump());
  EXPECT_EQ(j.at("version"), "2.1.0");
  ASSERT_TRUE(j.at("runs").is_array());
  ASSERT_EQ(j["runs"].size(), 1u);
  const auto& run = j["runs"][0];
  EXPECT_EQ(run.at("tool").at("driver").at("name"), "luv");
  const auto& rules = run["tool"]["driver"].at("rules");
  ASSERT_EQ(rules.size(), static_cast<size_t>(PROPERTY_COUNT));
  ASSERT_TRUE(run.at("results").is_array());
  EXPECT_EQ(run["results"].size(), 3u) << "one result per violation";
  static const std::set<std::string> levels = {"none", "note", "warning", "error"};
  for (const auto& res : run["results"]) {
    std::string rule = res.at("ruleId");
    PropertyId id;
    EXPECT_TRUE(property_parse(rule, id)) << rule;
    EXPECT_EQ(rules[res.at("ruleIndex").get<int>()].at("id"), rule);
    EXPECT_TRUE(levels.count(res.at("level").get<std::string>()));
    EXPECT_FALSE(res.at("message").at("text").get<std::string>().empty());
    ASSERT_FALSE(res.at("locations").empty());
    const auto& phys = res["locations"][0].at("physicalLocation");
    std::string uri = phys.at("artifactLocation").at("uri");
    EXPECT_EQ(uri.rfind("impl/", 0), 0u) << uri;
    EXPECT_TRUE(std::filesystem::exists(std::string(LUV_SOURCE_ROOT) + "/" + uri)) << uri;
    EXPECT_GE(phys.at("region").at("startLine").get<int>(), 1);
  }
}

// ---- SARIF validation by the official schema and the SARIF multitool ------------

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "false" && std::string(ci) != "0";
}

// What is missing for validate_sarif.js, or "" when it can run.
std::string sarif_tools_missing() {
  std::filesystem::path tools(LUV_SARIF_TOOLS);
  if (std::system("command -v node >/dev/null 2>&1") != 0) return "node not installed";
  for (const char* f : {"node_modules/ajv/dist/2020.js", "node_modules/ajv-formats/package.json",
                        "node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json",
                        "node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"})
    if (!std::filesystem::exists(tools / f)) return (tools / f).string() + " missing";
  return "";
}

// In CI a missing validator fails the test; elsewhere it is skipped.
#define REQUIRE_SARIF_TOOLS()                                                              \
  do {                                                                                     \
    std::string missing = sarif_tools_missing();                                           \
    if (!missing.empty()) {                                                                \
      if (in_ci()) FAIL() << "SARIF validators: " << missing << " (run scripts/setup.sh)"; \
      GTEST_SKIP() << "SARIF validators: " << missing << " (run scripts/setup.sh)";        \
    }                                                                                      \
  } while (0)

struct Validation {
  int exit_code = -1;  // 0 valid, 1 invalid, 2 the validators could not run
  std::string output;
};

// only: "" (both validators), "schema" or "multitool".
Validation validate_sarif(const nlohmann::ordered_json& log, const std::string& name, const std::string& only = "") {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("luv_reports_test." + std::to_string(::getpid()) + "." + name + ".sarif");
  std::ofstream(path) << log.dump(2) << "\n";
  luv_test::Outcome o = luv_test::run_shell("node " + std::string(LUV_SCRIPTS_DIR) + "/validate_sarif.js " +
                                            (only.empty() ? "" : "--only " + only + " ") + LUV_SARIF_TOOLS + " " +
                                            path.string() + " 2>&1");
  std::filesystem::remove(path);
  return Validation{o.exit_code, o.out};
}

TEST(VerifyReports, sarif_validates_against_the_official_schema_and_the_sarif_multitool) {
  REQUIRE_SARIF_TOOLS();
  nlohmann::ordered_json log = report_sarif(sample_report());
  ASSERT_EQ(log["runs"][0]["results"].size(), 3u);
  Validation v = validate_sarif(log, "valid");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_NE(v.output.find("valid SARIF 2.1.0 (schema and multitool)"), std::string::npos) << v.output;
}

TEST(VerifyReports, sarif_schema_rejects_a_level_outside_the_enum) {
  REQUIRE_SARIF_TOOLS();
  nlohmann::ordered_json log = report_sarif(sample_report());
  log["runs"][0]["results"][0]["level"] = "fatal";
  Validation v = validate_sarif(log, "fatal", "schema");
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_NE(v.output.find("/runs/0/results/0/level"), std::string::npos) << v.output;
}

TEST(VerifyReports, sarif_validators_both_reject_a_result_without_message) {
  REQUIRE_SARIF_TOOLS();
  nlohmann::ordered_json log = report_sarif(sample_report());
  log["runs"][0]["results"][1].erase("message");
  Validation schema = validate_sarif(log, "nomessage", "schema");
  EXPECT_EQ(schema.exit_code, 1) << schema.output;
  EXPECT_NE(schema.output.find("required property 'message'"), std::string::npos) << schema.output;
  Validation multitool = validate_sarif(log, "nomessage", "multitool");
  EXPECT_EQ(multitool.exit_code, 1) << multitool.output;
  EXPECT_NE(multitool.output.find("'message' is missing"), std::string::npos) << multitool.output;
}

// A real report: `luv verify` on v2 within a small budget writes SARIF with
// the corpus's violations (exit 0: v2 is judged against its corpus files).
TEST(VerifyReports, sarif_of_a_real_luv_verify_run_validates) {
  REQUIRE_SARIF_TOOLS();
  std::string path = (std::filesystem::temp_directory_path() /
                      ("luv_reports_test." + std::to_string(::getpid()) + ".verify.sarif"))
                         .string();
  std::string cmd = std::string(LUV_BINARY) + " verify --variant v2 --budget 3 -q --sarif " + path +
                    " --corpus " + LUV_CORPUS_DIR + " >/dev/null 2>&1";
  EXPECT_EQ(luv_test::run_shell(cmd).exit_code, 0) << cmd;
  nlohmann::ordered_json log = nlohmann::ordered_json::parse(std::ifstream(path));
  std::filesystem::remove(path);
  ASSERT_GE(log["runs"][0]["results"].size(), 6u) << "v2's corpus violations, at least";
  for (const auto& res : log["runs"][0]["results"])
    EXPECT_EQ(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].get<std::string>().rfind("impl/", 0),
              0u);
  Validation v = validate_sarif(log, "verify");
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

// What the schema cannot see and the multitool does: a ruleIndex past the rules.
TEST(VerifyReports, sarif_multitool_rejects_a_rule_index_the_schema_lets_through) {
  REQUIRE_SARIF_TOOLS();
  nlohmann::ordered_json log = report_sarif(sample_report());
  log["runs"][0]["results"][0]["ruleIndex"] = PROPERTY_COUNT + 5;
  Validation schema = validate_sarif(log, "ruleindex", "schema");
  EXPECT_EQ(schema.exit_code, 0) << schema.output;
  Validation multitool = validate_sarif(log, "ruleindex", "multitool");
  EXPECT_EQ(multitool.exit_code, 1) << multitool.output;
  EXPECT_NE(multitool.output.find("SARIF1009"), std::string::npos) << multitool.output;
}

TEST(VerifyReports, a_violation_is_located_at_the_line_of_its_step) {
  // The check-then-act race breaks no-dangling when T0's vfio_preserve
  // returns: located in iommu_preserve_device, after its definition.
  Counterexample cx = read_counterexample_file(corpus("v2.no-dangling.json"));
  RunOptions o;
  o.properties = cx.checked;
  Violation v = *run(cx.scenario, o).verdict.violation;
  SourceLocation l = violation_location(cx.scenario, v);
  SourceLocation def = function_location("iommu_preserve_device");
  EXPECT_EQ(l.file, "impl/iommu_liveupdate.cpp");
  EXPECT_EQ(def.file, "impl/iommu_liveupdate.cpp");
  EXPECT_GT(l.line, def.line);
  // The line really is in the source tree at that number and names the point.
  std::ifstream src(std::string(LUV_SOURCE_ROOT) + "/" + l.file);
  std::string line;
  for (int i = 0; i < l.line && std::getline(src, line); ++i) {
  }
  EXPECT_NE(line.find("preserve_device"), std::string::npos) << line;
}

TEST(VerifyReports, judge_cell_follows_the_expectations) {
  EXPECT_EQ(judge_cell(false, Status::holds), CellJudgement::match);
  EXPECT_EQ(judge_cell(false, Status::violated), CellJudgement::mismatch);
  EXPECT_EQ(judge_cell(true, Status::violated), CellJudgement::match);
  EXPECT_EQ(judge_cell(true, Status::proved), CellJudgement::mismatch);
  EXPECT_EQ(judge_cell(true, Status::holds), CellJudgement::missed);
}

}  // namespace
}  // namespace luv
