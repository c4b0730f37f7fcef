// The verify reports: JUnit parses as XML (xmllint) with one testcase per
// (variant, property, engine); SARIF has what SARIF 2.1.0 requires of a log,
// a run, a result and a location. Full schema validation needs the schema
// file, which is not available offline; the constraints below are its
// required fields for what luv writes.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "counterexample.h"
#include "reports.h"
#include "source_map.h"

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
      c.counterexample = cx.scenario;
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
