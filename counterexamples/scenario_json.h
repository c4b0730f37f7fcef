// A Scenario as JSON: the body of every counterexample file (FORMAT.md) and
// what `luv run` reads.
#pragma once
#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "impl/scenario.h"

namespace luv {

inline constexpr int SCENARIO_FORMAT_VERSION = 1;
// The largest file a reader takes (FORMAT.md, "Reading and errors"): ample for the
// largest Scenario the limits of scenario.h allow.
inline constexpr size_t SCENARIO_FILE_BYTES_MAX = size_t{16} << 20;

// `text` as one printable line, whatever a file or an option held: control
// characters escaped (\xNN), anything past `max` characters cut ("..."), so
// a NUL, a newline or a megabyte-long number cannot garble an error.
inline constexpr size_t FORMAT_ERROR_MAX = 300;
std::string printable_line(const std::string& text, size_t max = FORMAT_ERROR_MAX);

// Thrown with a one-line message naming the field and what was expected,
// e.g. "threads[0][1].call: unknown call 'vfio_preserv'"; the message is
// made a printable_line().
struct FormatError {
  explicit FormatError(const std::string& text);
  std::string message;
};

// Throws FormatError "FIELD: WHAT" (FIELD is a path such as
// "topology.iommus[1].ops").
[[noreturn]] void format_error(const std::string& field, const std::string& what);

// Refuses any member of `obj` not in `allowed`: a misspelt key ("opps" for
// "ops") is an error naming it, never silently ignored.
void only_fields(const nlohmann::json& obj, const std::string& path, std::initializer_list<const char*> allowed);

Scenario scenario_from_json(const nlohmann::json& j);  // throws FormatError
nlohmann::json scenario_to_json(const Scenario& s);

// Text to JSON, with a parse error turned into a FormatError naming the line,
// and a key given twice in one object refused (JSON leaves it undefined; a
// reader that kept the last would hide the first).
nlohmann::json parse_json_text(const std::string& text);

}  // namespace luv
