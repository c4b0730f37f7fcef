// luv: verification of the Linux IOMMU live-update lifecycle.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

#include "cli/command.h"
#include "cli/interrupt.h"
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "luv: %s\n", luv::printable_line(e.what()).c_str());
    return EXIT_LUV_BUG;
  }
}
