// Every corpus file replays to its expected verdict, and every judge built
// in agrees. One test per file, named after it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "verify/judges.h"

namespace luv {
namespace {

std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(LUV_CORPUS_DIR))
    if (e.path().extension() == ".json") files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

class Corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(Corpus, replays_to_its_expected_verdict_and_judges_agree) {
  Counterexample c = read_counterexample_file(std::string(LUV_CORPUS_DIR) + "/" + GetParam());
  ReplayReport r = replay(c, linked_judges(), false);
  EXPECT_EQ(r.mismatch, "") << c.description;
  EXPECT_FALSE(r.disagreement.has_value()) << (r.disagreement ? r.disagreement->message : "");
}

// The file name says what it holds: VARIANT.PROPERTY.json violates PROPERTY
// on VARIANT; reference.ok-*.json expects ok.
TEST_P(Corpus, file_name_matches_variant_and_expected_property) {
  Counterexample c = read_counterexample_file(std::string(LUV_CORPUS_DIR) + "/" + GetParam());
  std::string stem = std::filesystem::path(GetParam()).stem().string();
  size_t dot = stem.find('.');
  ASSERT_NE(dot, std::string::npos);
  EXPECT_EQ(stem.substr(0, dot), c.scenario.variant);
  std::string rest = stem.substr(dot + 1);
  if (rest.rfind("ok-", 0) == 0) {
    EXPECT_TRUE(c.expected.ok);
  } else {
    ASSERT_FALSE(c.expected.ok);
    std::string property = property_name(c.expected.property);
    // VARIANT.PROPERTY.json, or VARIANT.PROPERTY.WHAT.json for a second finding.
    EXPECT_TRUE(rest == property || rest.rfind(property + ".", 0) == 0) << rest;
  }
}

TEST(CorpusShape, reference_files_expect_ok_and_each_violation_is_small) {
  for (const std::string& f : corpus_files()) {
    Counterexample c = read_counterexample_file(std::string(LUV_CORPUS_DIR) + "/" + f);
    if (c.scenario.variant == "reference") {
      EXPECT_TRUE(c.expected.ok) << f;
    }
    EXPECT_LE(c.scenario.calls_total(), 6) << f << ": shrink it";
    EXPECT_LE(c.scenario.threads.size(), 2u) << f;
  }
}

// What the reference's corpus must guard: every fault site fires
// in some file, every errno of a refusal and a warning are expected somewhere,
// a HW record is shared, and each reference file asserts its path (steps and
// results), so that a changed error path, count or lock shows in a replay.
TEST(CorpusShape, reference_files_cover_every_fault_site_and_refusal) {
  std::set<impl::fault_site> sites;
  std::set<std::string> results;
  bool shared_hw = false;
  for (const std::string& f : corpus_files()) {
    Counterexample c = read_counterexample_file(std::string(LUV_CORPUS_DIR) + "/" + f);
    if (c.scenario.variant != "reference") continue;
    EXPECT_TRUE(c.expected.steps.has_value()) << f << ": assert the steps";
    EXPECT_FALSE(c.expected.returns.empty()) << f << ": assert the results";
    for (const Fault& x : c.scenario.faults) sites.insert(x.site);
    for (const auto& thread : c.expected.returns) results.insert(thread.begin(), thread.end());
    RunResult r = run(c.scenario);
    EXPECT_EQ(r.faults_fired, static_cast<int>(c.scenario.faults.size())) << f << ": a planned fault did not fire";
    int behind_iommu1 = 0;
    for (const auto& t : c.scenario.threads)
      for (const Call& call : t)
        behind_iommu1 += call.kind == CallKind::vfio_preserve && c.scenario.topology.devices[call.device].iommu == 1;
    shared_hw |= behind_iommu1 >= 2 && r.verdict.ok();
  }
  EXPECT_EQ(static_cast<int>(sites.size()), impl::FAULT_SITE_COUNT) << "a fault site no reference file fires";
  for (const char* want : {"-EOPNOTSUPP", "-EBUSY", "-ENOMEM", "-EIO", "void"})
    EXPECT_TRUE(results.count(want)) << "no reference file expects " << want;
  EXPECT_TRUE(shared_hw) << "no reference file shares a HW record";
}

INSTANTIATE_TEST_SUITE_P(Files, Corpus, ::testing::ValuesIn(corpus_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = std::filesystem::path(info.param).stem().string();
                           for (char& ch : name)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace luv
