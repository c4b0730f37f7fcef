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

#include "impl/scenario.h"

namespace luv::cli {

inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_VIOLATION = 1;
inline constexpr int EXIT_BAD_INPUT = 2;
// A bug of luv itself (a failed LUV_ASSERT, a search's own check): one line, never an abort.
inline constexpr int EXIT_LUV_BUG = 3;

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

// --variant, the same for every command that takes one, its help naming the
// shipped rows; check it with checked_variant() (BadInput "--variant:
// unknown variant 'v9' ..."). `what` says what the command does with it.
CLI::Option* add_variant_option(CLI::App* cmd, std::string& variant, const std::string& what = "");
const std::string& checked_variant(const std::string& variant);
// --variant's list for commands that default to every shipped variant:
// `variant` alone (checked), or every shipped one when it is empty.
std::vector<std::string> variants_or_shipped(const std::string& variant);

// --mode: "contract" or "adversarial"; BadInput "--mode: unknown mode 'x'
// (expected contract or adversarial)" otherwise.
CallerMode parse_mode(const std::string& text);

// The topology options, the same for every command that takes them: the
// counts (0: the default topology's), each device's IOMMU, objects per KHO
// array page, the op masks of the IOMMUs and domains whose ops are fixed, and
// each device's IOMMU group (the device whose group it is in; itself: its own).
struct TopologyFlags {
  int iommus = 0, domains = 0, devices = 0, objects_per_page = 2;
  std::string device_iommus, device_groups, iommu_ops, domain_ops;
};
void add_topology_options(CLI::App* cmd, TopologyFlags& flags);
// default_topology() with the flags applied; BadInput naming the option.
Topology topology_from(const TopologyFlags& flags);

}  // namespace luv::cli
