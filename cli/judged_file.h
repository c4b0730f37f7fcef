// What `luv run`, `luv trace` and `luv graph` share: one file, one verdict.
// Each reads a counterexample or Scenario file the same way and judges it as
// `luv replay` does (the Runner with the model-refinement observer, on the
// file's `checked` properties), so the three exit alike: 0 ok, 1 violated.
#pragma once
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "counterexamples/counterexample.h"
#include "counterexamples/output_file.h"
#include "verify/judges.h"

namespace luv::cli {

// A counterexample or plain Scenario file ("-": standard input); a format
// error is bad input.
inline Counterexample read_judged_file(const std::string& path) {
  try {
    return read_scenario_file(path);
  } catch (const FormatError& e) {
    throw BadInput{e.message};
  }
}

// The file's run as replay judges it.
inline RunResult judged_run(const Counterexample& c, bool trace) {
  RunOptions o;
  o.trace = trace;
  o.properties = c.checked;
  return run(c.scenario, o);
}

inline int exit_of(const Verdict& v) { return v.ok() ? EXIT_OK : EXIT_VIOLATION; }

// To standard output when `output` is empty.
inline void write_drawing(const std::string& output, const std::string& text) {
  if (output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  if (!write_whole_file(output, text)) throw BadInput{output + ": cannot write"};
}

}  // namespace luv::cli
