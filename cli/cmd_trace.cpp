// `luv trace FILE --format svg|txt`: a run as swim lanes, one per thread:
// calls and returns, interleaving points, lock holds, WARNs, faults, and the
// violating step marked.
#include <memory>

#include "cli/command.h"
#include "cli/judged_file.h"
#include "verify/render.h"

namespace luv::cli {

LUV_COMMAND(trace, "trace", "Draw a Scenario's run as swim lanes, one per thread (SVG or text)") {
  struct options {
    std::string path;
    std::string format = "txt";
    std::string output;
  };
  auto o = std::make_shared<options>();
  cmd->add_option("FILE", o->path, "Counterexample or Scenario file")->required();
  cmd->add_option("--format", o->format, "svg or txt")->check(CLI::IsMember({"svg", "txt"}));
  cmd->add_option("-o,--output", o->output, "Write here instead of standard output");
  return [o] {
    Counterexample c = read_judged_file(o->path);
    std::string title = o->path + ": " + c.scenario.variant + ", " + caller_mode_name(c.scenario.mode) + " mode";
    if (!c.description.empty()) title += " - " + c.description;
    Lanes lanes = lanes_of(c.scenario, c.checked, title);
    std::string text = o->format == "svg" ? lanes_svg(lanes) : lanes_txt(lanes);
    write_drawing(o->output, text);
    return lanes.violation ? EXIT_VIOLATION : EXIT_OK;  // as judged_run() would say
  };
}

}  // namespace luv::cli
