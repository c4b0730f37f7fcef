// Each `luv` subcommand lives in its own file (cmd_*.cpp) and registers
// itself with LUV_COMMAND, so adding a command touches no other file.
// Exit codes, for every command: 0 all good, 1 a property is violated (or a
// verdict differs from what was expected), 2 bad input, 130 interrupted
// (SIGINT or SIGTERM; no report written: interrupt.h).
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace luv::cli {

inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_VIOLATION = 1;
inline constexpr int EXIT_BAD_INPUT = 2;

// Thrown by a command for bad input; main prints "luv: <message>" and exits 2.
struct BadInput {
  std::string message;
};

// setup() adds the subcommand's options to `cmd` and returns what to run
// when the subcommand is given (options are bound before it runs).
using Action = std::function<int()>;
using Setup = std::function<Action(CLI::App* cmd)>;
bool register_command(const char* name, const char* help, Setup setup);

#define LUV_COMMAND(ident, name, help) \
  static luv::cli::Action setup_##ident(CLI::App* cmd); \
  [[maybe_unused]] static const bool registered_##ident = luv::cli::register_command(name, help, setup_##ident); \
  static luv::cli::Action setup_##ident(CLI::App* cmd)

// Checks, before any work, that each report path can be written (BadInput
// "--json: PATH: why" otherwise), and names it to the interrupt handling,
// which removes it if the run is interrupted. Empty paths are skipped.
void check_report_paths(const std::vector<std::pair<const char*, std::string>>& option_paths);

// A folder files will be written into (counterexamples): BadInput
// "--save: DIR: why" unless it is an existing, writable directory.
void check_output_dir(const char* option, const std::string& dir);

// Where explore and prove write counterexample files: `cx_dir` (checked),
// else the folder of `json_out`, else nowhere (""); `json_out` is checked
// too, all before any work.
std::string counterexample_dir(const std::string& cx_dir, const std::string& json_out);

// `seconds` from now; no deadline (time_point::max) when seconds <= 0.
std::chrono::steady_clock::time_point deadline_after(double seconds);

// A CLI11 check that an integer option lies in lo..hi, so that a negative
// value is refused rather than wrapped ("-1 is outside 0..1000"; exit 2).
CLI::Validator integer_range(long long lo, unsigned long long hi);

// "1,0,3": numbers in 0..max; BadInput naming the option and the item
// otherwise ("--iommu-ops: '16' is not an op set (0..15)" with what = "an op set").
std::vector<int> parse_number_list(const std::string& text, const char* option, int max, const char* what);

}  // namespace luv::cli
