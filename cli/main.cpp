// luv: verification of the Linux IOMMU live-update lifecycle.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "counterexamples/output_file.h"
#include "counterexamples/scenario_json.h"
#include "properties/stop.h"

namespace luv::cli {

namespace {
struct entry {
  const char* name;
  const char* help;
  Setup setup;
};
std::vector<entry>& commands() {
  static std::vector<entry> list;
  return list;
}
}  // namespace

bool register_command(const char* name, const char* help, Setup setup) {
  commands().push_back({name, help, std::move(setup)});
  return true;
}

void check_report_paths(const std::vector<std::pair<const char*, std::string>>& option_paths) {
  for (const auto& [option, path] : option_paths) {
    if (path.empty()) continue;
    std::string why = cannot_write_reason(path);
    if (!why.empty()) throw BadInput{std::string(option) + ": " + path + ": cannot write (" + why + ")"};
  }
  for (const auto& [option, path] : option_paths)
    if (!path.empty()) will_write(path);
}

void check_output_dir(const char* option, const std::string& dir) {
  std::error_code ec;
  std::string why = !std::filesystem::is_directory(dir, ec) ? "no such directory"
                    : ::access(dir.c_str(), W_OK) != 0     ? "not writable"
                                                           : "";
  if (!why.empty()) throw BadInput{std::string(option) + ": " + dir + ": cannot write there (" + why + ")"};
}

std::string counterexample_dir(const std::string& cx_dir, const std::string& json_out) {
  check_report_paths({{"--json", json_out}});
  if (!cx_dir.empty()) {
    check_output_dir("--counterexamples", cx_dir);
    return cx_dir;
  }
  if (json_out.empty()) return "";
  size_t slash = json_out.rfind('/');
  return slash == std::string::npos ? "." : json_out.substr(0, slash);
}

std::chrono::steady_clock::time_point deadline_after(double seconds) {
  using clock = std::chrono::steady_clock;
  if (seconds <= 0) return clock::time_point::max();
  return clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
}

CLI::Validator integer_range(long long lo, unsigned long long hi) {
  std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  auto check = [lo, hi, range](std::string& text) -> std::string {
    const char* first = text.c_str();
    char* end = nullptr;
    errno = 0;
    bool negative = text.find('-') != std::string::npos;
    bool inside = negative ? std::strtoll(first, &end, 0) >= lo : std::strtoull(first, &end, 0) <= hi;
    if (end == first || *end != '\0') return "'" + text + "' is not an integer (" + range + ")";
    if (errno == ERANGE || !inside) return text + " is outside " + range;
    return "";
  };
  return CLI::Validator(check, "INT in " + range);
}

std::vector<int> parse_number_list(const std::string& text, const char* option, int max, const char* what) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 0);
    if (item.empty() || *end != '\0' || v < 0 || v > max)
      throw BadInput{std::string(option) + ": '" + item + "' is not " + what + " (0.." + std::to_string(max) + ")"};
    out.push_back(static_cast<int>(v));
  }
  return out;
}

}  // namespace luv::cli

int main(int argc, char** argv) {
  using namespace luv::cli;
  CLI::App app{"luv: verification suite for the Linux IOMMU live-update preserve/unpreserve lifecycle"};
  app.require_subcommand(1);
  // Registration order depends on link order; list commands by name.
  std::vector<entry> list = commands();
  std::sort(list.begin(), list.end(), [](const entry& a, const entry& b) { return std::string(a.name) < b.name; });
  std::vector<std::pair<CLI::App*, Action>> actions;
  for (entry& e : list) {
    CLI::App* cmd = app.add_subcommand(e.name, e.help);
    actions.emplace_back(cmd, e.setup(cmd));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "luv: %s\n", luv::printable_line(e.what()).c_str());
    return EXIT_BAD_INPUT;
  }
  // Before the command starts any thread (interrupt.h).
  install_interrupt_handling();
  try {
    for (auto& [cmd, action] : actions) {
      if (!cmd->parsed()) continue;
      set_phase(cmd->get_name());
      int code = action();
      // A command that ended without seeing the stop still reports it.
      if (luv::stop_requested()) exit_interrupted();
      return code;
    }
    return EXIT_BAD_INPUT;
  } catch (const Interrupted&) {
    exit_interrupted();
  } catch (const BadInput& e) {
    std::fprintf(stderr, "luv: %s\n", luv::printable_line(e.message).c_str());
    return EXIT_BAD_INPUT;
  }
}
