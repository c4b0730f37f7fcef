// `luv mutants`: each one-line mutant of the reference, and what kills it.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include "command.h"
#include "mutants.h"
#include "scenario_json.h"

namespace luv::cli {

LUV_COMMAND(mutants, "mutants", "Run the engines on every named mutant of the reference: killed by what, or survived") {
  struct options {
    std::vector<std::string> only;
    std::string json_out;
  };
  auto o = std::make_shared<options>();
  cmd->add_option("--only", o->only, "run only these mutants");
  cmd->add_option("--json", o->json_out, "write the table here as JSON");
  return [o] {
    std::vector<std::string> names = mutant_catalogue();
    for (const std::string& n : o->only)
      if (std::find(names.begin(), names.end(), n) == names.end()) throw BadInput{"--only: unknown mutant '" + n + "'"};
    if (!o->only.empty()) names = o->only;
    nlohmann::json table = nlohmann::json::array();
    int survived = 0;
    for (const std::string& n : names) {
      MutantVerdict v = run_mutant(n);
      nlohmann::json row = {{"mutant", n}, {"killed", v.killed}, {"states", v.states}, {"seconds", v.seconds}};
      if (v.killed) {
        std::printf("%-32s -> killed by %s, %s, %d call(s) %d step(s)\n", n.c_str(), v.engine.c_str(),
                    property_name(v.property), v.calls, v.steps);
        row["engine"] = v.engine;
        row["property"] = property_name(v.property);
        row["calls"] = v.calls;
        row["steps"] = v.steps;
        row["counterexample"] = scenario_to_json(v.counterexample);
      } else {
        ++survived;
        std::printf("%-32s -> survived: %s\n", n.c_str(), v.survived_because.c_str());
        row["survived_because"] = v.survived_because;
      }
      std::fflush(stdout);
      table.push_back(row);
    }
    std::printf("%zu mutants, %zu killed, %d survived\n", names.size(), names.size() - survived, survived);
    if (!o->json_out.empty()) {
      std::ofstream out(o->json_out);
      if (!out) throw BadInput{o->json_out + ": cannot write"};
      out << table.dump(2) << "\n";
    }
    return survived == 0 ? EXIT_OK : EXIT_VIOLATION;
  };
}

}  // namespace luv::cli
