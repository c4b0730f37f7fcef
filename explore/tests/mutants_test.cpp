// Each kill of `luv mutants` is a test: the counterexample the explorer
// found (recorded in mutant_kills.json by `luv mutants --json`) violates its
// property on the mutant and nothing on the reference.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "mutants.h"
#include "scenario_json.h"
#include "variant.h"

namespace luv {
namespace {

nlohmann::json kills() {
  std::ifstream in(LUV_MUTANT_KILLS);
  std::stringstream text;
  text << in.rdbuf();
  return parse_json_text(text.str());
}

TEST(Mutants, catalogue_has_at_least_25_named_mutants_none_a_shipped_variant) {
  std::vector<std::string> names = mutant_catalogue();
  EXPECT_GE(names.size(), 25u);
  for (const std::string& n : names) {
    const impl::variant_rules* v = impl::find_variant("reference+mutant:" + n);
    ASSERT_NE(v, nullptr) << n;
    EXPECT_NE(v->mut, impl::mutant::none);
  }
}

class MutantKill : public testing::TestWithParam<int> {};

TEST_P(MutantKill, counterexample_kills_the_mutant_and_not_the_reference) {
  const nlohmann::json row = kills()[static_cast<size_t>(GetParam())];
  ASSERT_TRUE(row.at("killed").get<bool>()) << row.at("mutant");
  Scenario s = scenario_from_json(row.at("counterexample"));
  EXPECT_EQ(s.variant, "reference+mutant:" + row.at("mutant").get<std::string>());
  PropertyId want;
  ASSERT_TRUE(property_parse(row.at("property").get<std::string>(), want));
  RunResult on_mutant = run(s);
  ASSERT_TRUE(on_mutant.verdict.violation) << row.at("mutant");
  EXPECT_EQ(on_mutant.verdict.violation->property, want) << row.at("mutant");
  s.variant = "reference";
  RunResult on_reference = run(s);
  EXPECT_TRUE(on_reference.verdict.ok()) << row.at("mutant") << ": " << on_reference.verdict.violation->message;
}

std::vector<int> killed_rows() {
  std::vector<int> out;
  nlohmann::json k = kills();
  for (size_t i = 0; i < k.size(); ++i)
    if (k[i].at("killed").get<bool>()) out.push_back(static_cast<int>(i));
  return out;
}

INSTANTIATE_TEST_SUITE_P(Kills, MutantKill, testing::ValuesIn(killed_rows()), [](const testing::TestParamInfo<int>& i) {
  return kills()[static_cast<size_t>(i.param)].at("mutant").get<std::string>();
});

}  // namespace
}  // namespace luv
