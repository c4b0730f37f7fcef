// `luv mutants`: each one-line mutant of the reference, and what kills it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "counterexamples/counterexample.h"
#include "verify/mutants.h"

namespace luv::cli {

LUV_COMMAND(mutants, "mutants", "Run the engines on every named mutant of the reference: killed by what, or survived") {
  struct options {
    std::vector<std::string> only;
    std::string json_out;
    MutantCheckBudget budget;
  };
  auto o = std::make_shared<options>();
  cmd->add_option("--only", o->only, "run only these mutants");
  cmd->add_option("--json", o->json_out, "write the table here as JSON");
  cmd->add_option("--check-tests", o->budget.tests, "check stage: generated Scenarios per caller mode")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  cmd->add_option("--seed", o->budget.seed, "check stage: random seed; the same seed gives the same kills")
      ->check(integer_range(0, UINT64_MAX))
      ->capture_default_str();
  return [o] {
    std::vector<std::string> names = mutant_catalogue();
    for (const std::string& n : o->only)
      if (std::find(names.begin(), names.end(), n) == names.end()) throw BadInput{"--only: unknown mutant '" + n + "'"};
    if (!o->only.empty()) names = o->only;
    check_report_paths({{"--json", o->json_out}});
    nlohmann::json table = nlohmann::json::array();
    int survived = 0;
    auto start = std::chrono::steady_clock::now();
    for (const std::string& n : names) {
      set_phase("mutants " + n);
      MutantVerdict v = run_mutant(n, o->budget);
      throw_if_interrupted();  // an interrupted engine kills nothing: not "survived"
      nlohmann::json row = {{"mutant", n}, {"killed", v.killed}, {"states", v.states}, {"seconds", v.seconds}};
      if (v.runs > 0) row["runs"] = v.runs;
      if (v.killed) {
        std::printf("%-32s -> killed by %s, %s, %d call(s) %d step(s)\n", n.c_str(), v.engine.c_str(),
                    property_name(v.property), v.calls, v.steps);
        row["engine"] = v.engine;
        row["property"] = property_name(v.property);
        row["calls"] = v.calls;
        row["steps"] = v.steps;
        row["counterexample"] = counterexample_to_json(kill_file(v));
      } else {
        ++survived;
        std::printf("%-32s -> survived: %s\n", n.c_str(), v.survived_because.c_str());
        row["survived_because"] = v.survived_because;
      }
      std::fflush(stdout);
      table.push_back(row);
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu mutants, %zu killed, %d survived in %.1f s\n", names.size(), names.size() - survived, survived,
                seconds);
    if (!o->json_out.empty() && !write_report(o->json_out, table.dump(1) + "\n"))
      throw BadInput{o->json_out + ": cannot write"};
    return survived == 0 ? EXIT_OK : EXIT_VIOLATION;
  };
}

}  // namespace luv::cli
