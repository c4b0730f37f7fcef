// `luv mutants`: each one-line mutant of the reference, and what kills it.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/interrupt.h"
#include "cli/shard.h"
#include "counterexamples/counterexample.h"
#include "verify/mutants.h"

namespace luv::cli {

namespace {

struct mutants_flags {
  std::vector<std::string> only;
  std::string json_out, shard;
  MutantCheckBudget budget;
};

// The table's row of one mutant's verdict (what --json lists).
nlohmann::json row_json(const MutantVerdict& v) {
  nlohmann::json row = {{"mutant", v.mutant}, {"killed", v.killed}, {"states", v.states}, {"seconds", v.seconds}};
  if (v.runs > 0) row["runs"] = v.runs;
  if (v.killed) {
    row["engine"] = v.engine;
    row["property"] = property_name(v.property);
    row["calls"] = v.calls;
    row["steps"] = v.steps;
    row["counterexample"] = counterexample_to_json(kill_file(v));
  } else {
    row["survived_because"] = v.survived_because;
  }
  return row;
}

// A row as its line of text: "NAME -> killed by ENGINE, PROPERTY, ..." or "NAME -> survived: why".
void print_row(const nlohmann::json& row) {
  std::string name = row.at("mutant");
  if (row.at("killed").get<bool>())
    std::printf("%-32s -> killed by %s, %s, %d call(s) %d step(s)\n", name.c_str(),
                row.at("engine").get<std::string>().c_str(), row.at("property").get<std::string>().c_str(),
                row.at("calls").get<int>(), row.at("steps").get<int>());
  else
    std::printf("%-32s -> survived: %s\n", name.c_str(), row.at("survived_because").get<std::string>().c_str());
  std::fflush(stdout);
}

// The summary line, the JSON table (with the shard's object when there is
// one), the exit code: what one run ends with, and `luv merge` too.
int finish_mutants(const nlohmann::json& table, double seconds, const std::string& json_out,
                   const nlohmann::ordered_json& shard) {
  size_t survived = 0;
  for (const nlohmann::json& row : table) survived += !row.at("killed").get<bool>();
  std::printf("%zu mutants, %zu killed, %zu survived in %.1f s\n", table.size(), table.size() - survived, survived,
              seconds);
  nlohmann::json report = table;
  if (!shard.is_null()) report = {{"mutants", table}, {"shard", shard}};
  if (!json_out.empty() && !write_report(json_out, report.dump(1) + "\n")) throw BadInput{json_out + ": cannot write"};
  return survived == 0 ? EXIT_OK : EXIT_VIOLATION;
}

// The mutants to run: the catalogue, or --only's (each checked).
std::vector<std::string> selected(const std::vector<std::string>& only) {
  std::vector<std::string> names = mutant_catalogue();
  for (const std::string& n : only)
    if (std::find(names.begin(), names.end(), n) == names.end()) throw BadInput{"--only: unknown mutant '" + n + "'"};
  return only.empty() ? names : only;
}

nlohmann::ordered_json shard_options_json(const mutants_flags& o) {
  return {{"only", o.only}, {"check_tests", o.budget.tests}, {"seed", o.budget.seed}};
}

int mutants_command(const mutants_flags& o) {
  std::vector<std::string> names = selected(o.only);
  Shard shard = parse_shard(o.shard);
  if (static_cast<size_t>(shard.count) > names.size())
    throw BadInput{"--shard: " + std::to_string(shard.count) + " shards for " + std::to_string(names.size()) +
                   " mutants (at most one shard per mutant)"};
  names = mutant_shard(names, shard.index, shard.count);
  check_report_paths({{"--json", o.json_out}});
  nlohmann::json table = nlohmann::json::array();
  auto start = std::chrono::steady_clock::now();
  for (const std::string& n : names) {
    set_phase("mutants " + n);
    MutantVerdict v = run_mutant(n, o.budget);
    throw_if_interrupted();  // an interrupted engine kills nothing: not "survived"
    table.push_back(row_json(v));
    print_row(table.back());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::ordered_json shard_object;
  if (shard.given) shard_object = shard_json("mutants", shard, shard_options_json(o), {{"seconds", seconds}});
  return finish_mutants(table, seconds, o.json_out, shard_object);
}

// `luv merge` of mutants shards: the rows in the order one run makes them.
int merge_mutants(const std::vector<ShardFile>& shards, const MergeOutput& out) {
  std::vector<std::string> names;
  std::vector<nlohmann::json> rows;
  double seconds = 0;
  for (const ShardFile& f : shards)
    read_shard(f, [&](const nlohmann::json& s) {
      if (names.empty()) names = selected(s.at("options").at("only").get<std::vector<std::string>>());
      seconds += s.at("seconds").get<double>();
      for (const nlohmann::json& row : f.report.at("mutants")) rows.push_back(row);
    });
  check_report_paths({{"--json", out.json_out}});
  nlohmann::json table = nlohmann::json::array();
  for (const std::string& n : names) {
    auto row = std::find_if(rows.begin(), rows.end(), [&](const nlohmann::json& r) { return r.at("mutant") == n; });
    if (row == rows.end()) throw BadInput{"merge: mutant " + n + " is in no shard"};
    table.push_back(*row);
    print_row(*row);
  }
  return finish_mutants(table, seconds, out.json_out, nullptr);
}

[[maybe_unused]] const bool merges_mutants = register_merger("mutants", merge_mutants);

}  // namespace

LUV_COMMAND(mutants, "mutants", "Run the engines on every named mutant of the reference: killed by what, or survived") {
  auto o = std::make_shared<mutants_flags>();
  cmd->add_option("--only", o->only, "run only these mutants");
  cmd->add_option("--json", o->json_out, "write the table here as JSON");
  cmd->add_option("--check-tests", o->budget.tests, "check stage: generated Scenarios per caller mode")
      ->check(CLI::Range(1, 1000000))->capture_default_str();
  cmd->add_option("--seed", o->budget.seed, "check stage: random seed; the same seed gives the same kills")
      ->check(integer_range(0, UINT64_MAX))
      ->capture_default_str();
  add_shard_option(cmd, o->shard, "the mutants of the catalogue (or of --only)");
  return [o] { return mutants_command(*o); };
}

}  // namespace luv::cli
