// A Scenario as JSON: the body of every counterexample file (FORMAT.md) and
// what `luv run` reads.
#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "scenario.h"

namespace luv {

inline constexpr int SCENARIO_FORMAT_VERSION = 1;

// Thrown with a one-line message naming the field and what was expected,
// e.g. "threads[0][1].call: unknown call 'vfio_preserv'".
struct FormatError {
  std::string message;
};

Scenario scenario_from_json(const nlohmann::json& j);  // throws FormatError
nlohmann::json scenario_to_json(const Scenario& s);

// Text to JSON, with a parse error turned into a FormatError naming the line.
nlohmann::json parse_json_text(const std::string& text);

// A field name read from a file, its control characters escaped (\xNN), so
// that an error naming it stays one line.
std::string printable_field(const std::string& field);

}  // namespace luv
