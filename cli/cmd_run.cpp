// `luv run FILE`: one Scenario, its trace like a kernel log.
#include <cstdio>
#include <memory>

#include "command.h"
#include "judges.h"
#include "runner.h"
#include "scenario_json.h"

namespace luv::cli {

LUV_COMMAND(run, "run", "Run one Scenario (JSON file, - for stdin) and print its trace") {
  struct options {
    std::string path;
    bool quiet = false;
  };
  auto o = std::make_shared<options>();
  cmd->add_option("FILE", o->path, "Scenario or counterexample file")->required();
  cmd->add_flag("-q,--quiet", o->quiet, "Print only the verdict line");
  return [o] {
    Scenario s;
    try {
      s = scenario_from_json(parse_json_text(read_input(o->path)));
    } catch (const FormatError& e) {
      throw BadInput{(o->path == "-" ? std::string("<stdin>") : o->path) + ": " + e.message};
    }
    RunOptions options;
    options.trace = true;
    RunResult r = linked_run(s, options);  // with the model, so model-refinement is judged too
    if (o->quiet) {
      std::puts(r.trace.back().c_str());
    } else {
      for (const std::string& line : r.trace) std::puts(line.c_str());
      if (r.verdict.violation) std::printf("state at the violation:\n%s", r.verdict.violation->snapshot.c_str());
    }
    return r.verdict.ok() ? EXIT_OK : EXIT_VIOLATION;
  };
}

}  // namespace luv::cli
