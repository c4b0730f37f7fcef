// Typos are never silent: a misspelt or duplicated key at any depth, a call
// argument the call does not take, and a top-level key of a plain Scenario
// are errors naming the field. Errors stay one printable line whatever the
// file holds, and a file past the size limit is refused without reading on.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "counterexamples/counterexample.h"
#include "counterexamples/replay.h"
#include "verify/judges.h"

namespace luv {
namespace {

// A small valid counterexample with `patch` replacing `from`.
std::string error_of(const std::string& from, const std::string& to) {
  std::string text = R"({"format":1,"description":"x","variant":"v2","mode":"contract",
    "topology":{"iommus":[{"ops":["preserve"]}],"domains":[{}],"devices":[{"iommu":0,"dma_owner":true}]},
    "faults":[{"site":"kho_array_page","errno":"-ENOMEM"}],
    "threads":[[{"call":"iommufd_preserve","domain":0}]],"schedule":[0],"expected":{"verdict":"ok"}})";
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  try {
    read_counterexample_text(text, "typo.json");
  } catch (const FormatError& e) {
    return e.message;
  }
  return "";
}

TEST(Typos, a_misspelt_key_below_the_top_level_is_named) {
  EXPECT_EQ(error_of(R"("ops")", R"("opps")"), "typo.json: topology.iommus[0].opps: unknown field (expected ops)");
  EXPECT_EQ(error_of(R"("dma_owner")", R"("dma_ownr")"),
            "typo.json: topology.devices[0].dma_ownr: unknown field (expected iommu, pci, dma_owner, group)");
  EXPECT_EQ(error_of(R"("errno")", R"("ernno")"), "typo.json: faults[0].ernno: unknown field (expected site, nth, errno)");
  EXPECT_EQ(error_of(R"("iommus")", R"("iommus_")").find("typo.json: topology.iommus_: unknown field"), 0u);
  EXPECT_EQ(error_of(R"("domain":0})", R"("domain":0,"device":0})"),
            "typo.json: threads[0][0].device: not an argument of iommufd_preserve (it takes call, domain)");
  EXPECT_EQ(error_of(R"({"verdict":"ok"})", R"({"verdict":"ok","stesp":3})").find("typo.json: expected.stesp: unknown"), 0u);
}

TEST(Typos, a_key_given_twice_is_named_at_its_path) {
  EXPECT_EQ(error_of(R"({"ops":["preserve"]})", R"({"ops":["preserve"],"ops":[]})"),
            "typo.json: topology.iommus[0].ops: given twice");
  EXPECT_EQ(error_of(R"("schedule":[0])", R"("schedule":[0],"schedule":[0])"), "typo.json: schedule: given twice");
  // The same key in two different objects is fine.
  EXPECT_EQ(error_of(R"("domains":[{}])", R"("domains":[{"ops":[]},{"ops":[]}])"), "");
}

TEST(Typos, a_plain_scenario_refuses_a_misspelt_top_level_key) {
  std::string path = ::testing::TempDir() + "luv_typo_scenario.json";
  std::ofstream(path) << R"({"variant":"v2","mode":"contract","topology":{"iommus":[{}],"domains":[{}],"devices":[]},
    "threads":[[{"call":"iommufd_preserve","domain":0}]],"shedule":[0]})";
  try {
    read_scenario_file(path);
    FAIL() << "shedule was ignored";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.message.substr(e.message.find(": ") + 2).find("shedule: unknown field"), 0u) << e.message;
  }
}

TEST(Typos, errors_stay_one_printable_bounded_line) {
  std::string nasty = error_of(R"("call":"iommufd_preserve")", "\"call\":\"iommufd\\n\\u0000preserve\"");
  EXPECT_EQ(nasty.find('\n'), std::string::npos);
  EXPECT_EQ(nasty.find('\0'), std::string::npos);
  EXPECT_NE(nasty.find("iommufd\\x0a\\x00preserve"), std::string::npos) << nasty;
  std::string huge = error_of(R"("errno")", "\"nth\":" + std::string(100000, '9') + ",\"errno\"");
  EXPECT_LE(huge.size(), FORMAT_ERROR_MAX + 3);
  EXPECT_NE(huge.find("typo.json: "), std::string::npos);
}

TEST(Typos, a_file_past_the_size_limit_is_refused_without_reading_on) {
  try {
    read_scenario_file("/dev/zero");
    FAIL() << "/dev/zero was read";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.message, "/dev/zero: larger than the limit of " + std::to_string(SCENARIO_FILE_BYTES_MAX) + " bytes");
  }
}

// FORMAT.md's example is a file that replays as written.
TEST(Typos, the_format_documents_example_replays) {
  std::ifstream in(std::string(LUV_CORPUS_DIR) + "/../FORMAT.md");
  std::stringstream doc;
  doc << in.rdbuf();
  std::smatch m;
  std::string text = doc.str();
  ASSERT_TRUE(std::regex_search(text, m, std::regex("```json\n([^`]*)```")));
  Counterexample c = read_counterexample_text(m[1].str(), "FORMAT.md");
  ReplayReport r = replay(c, linked_judges(), false);
  EXPECT_TRUE(r.passed()) << r.mismatch;
}

}  // namespace
}  // namespace luv
