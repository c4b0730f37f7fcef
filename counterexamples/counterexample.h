// A counterexample file (FORMAT.md): a Scenario, the one-line story of what
// goes wrong, and the verdict replaying it must reproduce exactly.
//
// The Scenario's JSON (scenario_json.h) is the body; a counterexample adds
// `description` and `expected`, so `luv run` reads these files as they are.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "counterexamples/scenario_json.h"
#include "impl/scenario.h"
#include "properties/runner.h"

namespace luv {

// What replaying the file must give: ok, or one violation.
struct ExpectedVerdict {
  bool ok = true;
  PropertyId property = PropertyId::no_leak;
  int step = 0;
  int thread = -1;
  int call = -1;
  std::optional<std::string> message;  // compared when present
  // Optional, asserted when present: the run's steps, and each call's
  // result per thread ("0", "-EOPNOTSUPP", "void"), so that a file expecting
  // ok (or a refusal) notices a changed path too.
  std::optional<int> steps;
  std::vector<std::vector<std::string>> returns;
  bool operator==(const ExpectedVerdict&) const = default;
};

struct Counterexample {
  Scenario scenario;
  std::string description;  // one line: the state, the steps, what went wrong
  ExpectedVerdict expected;
  std::string found_by;     // "hand", "check", "explore", "prove", "mutants" (informational)
  // The properties the verdict was judged with. A property found earlier in
  // the same run (e.g. model-refinement at a call's return) would mask one
  // seen later (no-leak at the next quiescent point); leaving it out of this
  // set is how a file shows the later one.
  PropertySet checked = all_properties();
};

ExpectedVerdict expected_from(const Verdict& v);
// An engine's finding as a file: the one way every engine (check, explore,
// prove, verify) makes one. The Scenario, the properties it is judged with,
// who found it, and `expected` from the Runner's verdict on it with those
// properties (run(), as `luv replay` runs it), so the file replays to PASS.
// The description is `story` + ": " + the violation's message (`found`'s
// when the Runner sees none) on one line (newlines become spaces).
Counterexample finding_counterexample(const Scenario& s, const PropertySet& checked, const std::string& found_by,
                                      const std::string& story, const std::string& found);
// "" when `actual` is what `expected` says, else one line saying what differs.
std::string verdict_mismatch(const ExpectedVerdict& expected, const Verdict& actual);
// The optional steps and returns of `expected` against a run (empty: they match).
std::string path_mismatch(const ExpectedVerdict& expected, const RunResult& actual);
// `e` with the run's steps and per-call results filled in (what `luv replay
// --bless` writes for a file that asserts them).
ExpectedVerdict with_path(ExpectedVerdict e, const RunResult& r);
// "ok" or "no-leak at step 11, T0 call 1: message"
std::string describe_expected(const ExpectedVerdict& e);

// Throws FormatError naming the field ("expected.step: expected an integer").
Counterexample counterexample_from_json(const nlohmann::json& j);
nlohmann::ordered_json counterexample_to_json(const Counterexample& c);
// The text a file holds: one key per line, each thread's calls on one line,
// so a diff of two corpus files reads like a diff of their stories.
std::string counterexample_to_text(const Counterexample& c);

// A file's text ("-": standard input), refused past SCENARIO_FILE_BYTES_MAX
// without reading further; throws FormatError naming the path.
std::string read_text_file(const std::string& path);
// Reads a file; throws FormatError whose message starts with the path:
// "corpus/x.json: expected.property: unknown property 'no-leek'".
Counterexample read_counterexample_file(const std::string& path);
// Parses text already read; `name` prefixes errors.
Counterexample read_counterexample_text(const std::string& text, const std::string& name);
// A counterexample file, or a plain Scenario file (then `expected` is left
// ok; `description` and `checked` are read when present); for commands that
// run or draw. "-" reads standard input.
Counterexample read_scenario_file(const std::string& path);
// Writes atomically enough for a corpus (whole file at once); false on failure.
bool write_counterexample_file(const std::string& path, const Counterexample& c);

}  // namespace luv
