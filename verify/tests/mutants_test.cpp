// Each kill of `luv mutants` is a test: the counterexample an engine found
// (recorded in mutant_kills.json by `luv mutants --json`, a counterexample
// file as FORMAT.md has it) replays to its `expected` kill on the mutant,
// with its `checked` properties (an explorer kill: all but
// model-refinement; a check kill: the killing property alone), and the
// reference passes every property, model-refinement included.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "check/check.h"
#include "counterexamples/counterexample.h"
#include "counterexamples/scenario_json.h"
#include "impl/variant.h"
#include "verify/mutants.h"

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

// The recorded table covers the whole catalogue, in order, and every row is
// a kill: no mutant survives `luv mutants`.
TEST(Mutants, recorded_table_kills_every_mutant_of_the_catalogue) {
  std::vector<std::string> names = mutant_catalogue();
  const nlohmann::json table = kills();
  ASSERT_EQ(table.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(table[i].at("mutant").get<std::string>(), names[i]);
    EXPECT_TRUE(table[i].at("killed").get<bool>()) << names[i];
  }
}

// A check-stage kill is what the seed gives: the check stage run again with
// the recorded budget finds the same shrunk counterexample.
TEST(Mutants, check_stage_kills_reproduce_from_their_seed) {
  int replayed = 0;
  for (const nlohmann::json& row : kills()) {
    if (!row.at("killed").get<bool>() || row.at("engine").get<std::string>().rfind("check", 0) != 0) continue;
    MutantCheckBudget budget;  // the defaults `luv mutants --json` was run with
    MutantVerdict v = check_mutant(row.at("mutant").get<std::string>(), budget);
    ASSERT_TRUE(v.killed) << row.at("mutant");
    EXPECT_EQ(v.engine, row.at("engine").get<std::string>());
    EXPECT_EQ(property_name(v.property), row.at("property").get<std::string>());
    EXPECT_EQ(v.calls, row.at("calls").get<int>());
    EXPECT_EQ(v.steps, row.at("steps").get<int>());
    EXPECT_EQ(v.counterexample, counterexample_from_json(row.at("counterexample")).scenario) << row.at("mutant");
    ++replayed;
  }
  EXPECT_GE(replayed, 1) << "no kill of the check stage recorded";
}

class MutantKill : public testing::TestWithParam<int> {};

TEST_P(MutantKill, counterexample_kills_the_mutant_and_not_the_reference) {
  const nlohmann::json row = kills()[static_cast<size_t>(GetParam())];
  ASSERT_TRUE(row.at("killed").get<bool>()) << row.at("mutant");
  Counterexample c = counterexample_from_json(row.at("counterexample"));
  Scenario s = c.scenario;
  EXPECT_EQ(s.variant, "reference+mutant:" + row.at("mutant").get<std::string>());
  PropertyId want;
  ASSERT_TRUE(property_parse(row.at("property").get<std::string>(), want));
  RunOptions found_with;
  found_with.properties = c.checked;
  RunResult on_mutant = run(s, found_with);
  ASSERT_TRUE(on_mutant.verdict.violation) << row.at("mutant");
  EXPECT_EQ(on_mutant.verdict.violation->property, want) << row.at("mutant");
  EXPECT_EQ(on_mutant.verdict.violation->step + 1, row.at("steps").get<int>()) << row.at("mutant");
  EXPECT_EQ(verdict_mismatch(c.expected, on_mutant.verdict), "") << row.at("mutant");
  s.variant = "reference";
  RunResult on_reference = run(s);  // every property, model-refinement included
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
