// What `luv graph` and `luv trace` share: reading the file they draw, and
// writing the drawing to standard output or to --output.
#pragma once
#include <cstdio>
#include <string>

#include "command.h"
#include "counterexample.h"
#include "output_file.h"

namespace luv::cli {

// A counterexample or bare Scenario file; a format error is bad input.
inline Counterexample read_drawn_file(const std::string& path) {
  try {
    return read_scenario_file(path);
  } catch (const FormatError& e) {
    throw BadInput{e.message};
  }
}

// To standard output when `output` is empty.
inline void write_drawing(const std::string& output, const std::string& text) {
  if (output.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  if (!write_whole_file(output, text)) throw BadInput{output + ": cannot write"};
}

}  // namespace luv::cli
