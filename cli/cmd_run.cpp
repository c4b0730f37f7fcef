// `luv run FILE`: one Scenario, its trace like a kernel log.
#include <cstdio>
#include <memory>

#include "command.h"
#include "counterexample.h"
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
    std::string name = o->path == "-" ? std::string("<stdin>") : o->path;
    Counterexample c;  // a counterexample file is judged with its `checked`, as replay judges it
    try {
      std::string text = read_input(o->path);
      nlohmann::json j = parse_json_text(text);
      if (j.is_object() && j.contains("expected")) c = read_counterexample_text(text, name);
      else c.scenario = scenario_from_json(j);
    } catch (const FormatError& e) {
      throw BadInput{e.message.rfind(name, 0) == 0 ? e.message : name + ": " + e.message};
    }
    RunOptions options;
    options.trace = true;
    options.properties = c.checked;
    RunResult r = linked_run(c.scenario, options);  // with the model, so model-refinement is judged too
    if (o->quiet) {
      for (const std::string& line : r.trace)  // the verdict lines: every violation, or ok
        if (line.rfind("VIOLATION", 0) == 0 || line.rfind("ok:", 0) == 0 || line.rfind("not judged", 0) == 0)
          std::puts(line.c_str());
    } else {
      for (const std::string& line : r.trace) std::puts(line.c_str());
      if (r.verdict.violation) std::printf("state at the violation:\n%s", r.verdict.violation->snapshot.c_str());
    }
    return r.verdict.ok() ? EXIT_OK : EXIT_VIOLATION;
  };
}

}  // namespace luv::cli
