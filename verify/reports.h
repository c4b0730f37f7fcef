// `luv verify`'s matrix (variant x property x engine) and its reports:
// text, JSON, JUnit XML and SARIF 2.1.0.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "counterexamples/counterexample.h"
#include "properties/outcome.h"

namespace luv {

// How a cell compares with what is expected of the shipped variants.
enum class CellJudgement : unsigned char {
  match,     // as expected
  mismatch,  // a violation where none is expected, or a proof of what the corpus shows violated
  missed,    // a known violation this engine did not reach within its bound (not a failure)
};
const char* cell_judgement_name(CellJudgement j);
CellJudgement judge_cell(bool expected_violated, Status got);

struct MatrixCell {
  std::string variant;
  PropertyId property = PropertyId::no_leak;
  std::string engine;
  Status status = Status::not_checked;
  std::string how;
  bool expected_violated = false;
  CellJudgement judgement = CellJudgement::match;
  // The file that replays `violation` (FORMAT.md): with `checked` and
  // `expected`, so the JSON report's copy replays as the saved file does.
  std::optional<Counterexample> counterexample;
  std::optional<Violation> violation;
  std::string location_file;  // impl/ file and line of the violating step (SARIF)
  int location_line = 0;
  double seconds = 0;
};

struct VerifyReport {
  std::vector<std::string> variants;
  std::vector<std::string> engines;
  std::vector<MatrixCell> cells;
  std::vector<std::string> notes;  // engines skipped, budget cuts, saved files
  double seconds = 0;
  bool passed() const;
};

// The engines' JSON reports (luv check, explore, prove, and each cell of
// luv verify's), built one way from the shared outcome type.
// A violation: property, step, thread, call, message.
nlohmann::ordered_json violation_json(const Violation& v);
// One property: property, status, how; with a violation, the violation and
// the counterexample, the file itself (FORMAT.md) or, once saved, its path.
nlohmann::ordered_json outcome_json(const PropertyOutcome& o, const std::optional<Counterexample>& file,
                                    const std::string& saved_path = "");
// An engine's report: engine, variant, mode, seconds, then `list_key`
// ("outcomes"; prove keeps "properties") holding `outcomes` in order.
nlohmann::ordered_json engine_report_json(const EngineReport& r, nlohmann::ordered_json outcomes,
                                          const char* list_key = "outcomes");

std::string matrix_text(const VerifyReport& r);
nlohmann::ordered_json report_json(const VerifyReport& r);
// One <testcase> per (variant, property, engine); a mismatch is a <failure>,
// not_checked a <skipped>.
std::string report_junit(const VerifyReport& r);
// One result per violation, located at the impl/ line of the breaking step.
nlohmann::ordered_json report_sarif(const VerifyReport& r);

}  // namespace luv
