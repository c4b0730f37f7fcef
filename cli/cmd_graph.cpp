// `luv graph FILE [--step N] --format dot|svg`: the object graph of a run at
// a step, leaked and dangling objects in red. SVG through Graphviz's dot.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "cli/command.h"
#include "cli/judged_file.h"
#include "verify/render.h"

namespace luv::cli {

namespace {
// Graphviz lays the graph out; a missing `dot` is bad input, not a crash.
std::string dot_to_svg(const std::string& dot) {
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::string in = (dir / ("luv_graph_" + std::to_string(::getpid()) + ".dot")).string();
  std::string out = in + ".svg";
  std::ofstream(in) << dot;
  std::string cmd = "dot -Tsvg '" + in + "' -o '" + out + "' 2>/dev/null";
  int rc = std::system(cmd.c_str());
  std::filesystem::remove(in);
  if (rc != 0) throw BadInput{"--format svg: Graphviz's dot failed or is not installed (try --format dot)"};
  std::ifstream svg(out, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  std::filesystem::remove(out);
  return text;
}
}  // namespace

LUV_COMMAND(graph, "graph", "Draw the object graph of a Scenario's run at a step (dot or SVG)") {
  struct options {
    std::string path;
    int step = -1;
    std::string format = "dot";
    std::string output;
  };
  auto o = std::make_shared<options>();
  cmd->add_option("FILE", o->path, "Counterexample or Scenario file")->required();
  cmd->add_option("--step", o->step, "The state after this step (default: the last step of the threads, before kexec)");
  cmd->add_option("--format", o->format, "dot or svg")->check(CLI::IsMember({"dot", "svg"}));
  cmd->add_option("-o,--output", o->output, "Write here instead of standard output");
  return [o] {
    Counterexample c = read_judged_file(o->path);
    if (o->step < -1) throw BadInput{"--step: must be 0 or more"};
    std::string text;
    try {
      text = graph_dot_at(c.scenario, o->step);
    } catch (const std::invalid_argument& e) {
      throw BadInput{e.what()};
    }
    if (o->format == "svg") text = dot_to_svg(text);
    write_drawing(o->output, text);
    // The drawing shows the state whatever it breaks; the exit code is the
    // file's verdict, as run and trace give it.
    Verdict v = judged_run(c, false).verdict;
    if (v.violation) std::fprintf(stderr, "VIOLATION %s\n", describe_expected(expected_from(v)).c_str());
    return exit_of(v);
  };
}

}  // namespace luv::cli
