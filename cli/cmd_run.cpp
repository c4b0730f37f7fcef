// `luv run FILE`: one Scenario, its trace like a kernel log.
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/judged_file.h"

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
    Counterexample c = read_judged_file(o->path);
    RunResult r = judged_run(c, true);
    if (o->quiet) {
      for (const std::string& line : r.trace)  // the verdict lines: every violation, or ok
        if (line.rfind("VIOLATION", 0) == 0 || line.rfind("ok:", 0) == 0 || line.rfind("not judged", 0) == 0)
          std::puts(line.c_str());
    } else {
      for (const std::string& line : r.trace) std::puts(line.c_str());
      if (r.verdict.violation) std::printf("state at the violation:\n%s", r.verdict.violation->snapshot.c_str());
    }
    return exit_of(r.verdict);
  };
}

}  // namespace luv::cli
