// `luv check`: the RapidCheck engine (check/check.h) from the command line.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "check/check.h"
#include "cli/command.h"
#include "cli/interrupt.h"
#include "cli/shard.h"
#include "verify/reports.h"

namespace luv::cli {

namespace {

struct check_flags {
  std::string variant = "reference";
  std::string mode = "contract";
  int tests = 1000;
  std::uint64_t seed = 1;
  std::string save;
  std::string json;
  std::string shard;
  double budget = 0;
  GenOptions bounds;
};

// The progress line, on a terminal only.
void show_progress(const CheckProgress& p) {
  std::fprintf(stderr, "\r%d/%d scenarios, %d violated%s   ", p.tests_done, p.tests_total, p.violated,
               p.shrinking ? ", shrinking" : "");
  std::fflush(stderr);
}

CheckResult run_check(CheckOptions c) {
  bool tty = isatty(fileno(stderr));
  if (tty) c.progress = show_progress;
  CheckResult r;
  try {
    r = check(c);
  } catch (const std::invalid_argument& e) {
    throw BadInput{e.what()};
  }
  if (tty) std::fprintf(stderr, "\r%60s\r", "");
  return r;
}

// Prints each finding, and saves it into `save` when asked (--save).
void report_findings(const std::string& save, const CheckResult& r) {
  for (const CheckFinding& f : r.findings) {
    std::printf("\n%s: %s\n", property_name(f.property), f.violation.message.c_str());
    if (save.empty()) continue;
    try {
      std::string path = save_counterexample(save, f);
      std::printf("  replay: luv replay %s   (its trace: luv run %s)\n", path.c_str(), path.c_str());
    } catch (const std::runtime_error& e) {
      throw BadInput{std::string("--save: ") + e.what()};
    }
  }
}

// The JSON report: engine_report_json (verify/reports.h), each finding as its file.
nlohmann::ordered_json check_report(const CheckResult& r) {
  nlohmann::ordered_json outcomes = nlohmann::ordered_json::array();
  for (const PropertyOutcome& out : r.report.outcomes) {
    std::optional<Counterexample> file;
    for (const CheckFinding& f : r.findings)
      if (f.property == out.property) file = finding_file(f);
    outcomes.push_back(outcome_json(out, file));
  }
  nlohmann::ordered_json j = engine_report_json(r.report, outcomes);
  j["tests"] = r.tests;
  j["runs"] = r.runs;
  j["calls"] = r.calls;
  return j;
}

// What one run prints, saves and writes of `r` (a shard's part, or the
// merged shards), with the shard's object in the JSON report when there is
// one; the exit code.
int finish_check(const CheckOptions& c, const CheckResult& r, const std::string& save, const std::string& json_out,
                 const nlohmann::ordered_json& shard) {
  std::printf("luv check: variant %s, %s mode, seed %llu: %d scenarios (%lld runs, %lld calls checked) in %.1f s\n",
              c.variant.c_str(), caller_mode_name(c.mode), static_cast<unsigned long long>(c.seed), r.tests, r.runs,
              r.calls, r.report.seconds);
  bool violated = false;
  for (const PropertyOutcome& out : r.report.outcomes) {
    std::string status = status_name(out.status);
    if (out.status == Status::violated) {
      violated = true;
      status += " (" + scenario_size(*out.counterexample) + ")";
    }
    std::printf("  %-26s %s\n", property_name(out.property), status.c_str());
  }
  report_findings(save, r);
  nlohmann::ordered_json report = check_report(r);
  if (!shard.is_null()) report["shard"] = shard;
  if (!json_out.empty() && !write_report(json_out, report.dump(2) + "\n"))
    throw BadInput{"--json: " + json_out + ": cannot write"};
  return violated ? EXIT_VIOLATION : EXIT_OK;
}

// The options every shard must share: what decides the Scenarios generated.
nlohmann::ordered_json shard_options_json(const CheckOptions& c) {
  return {{"variant", c.variant}, {"mode", caller_mode_name(c.mode)}, {"tests", c.tests}, {"seed", c.seed},
          {"threads_max", c.gen.threads_max}, {"calls_max", c.gen.calls_per_thread_max},
          {"faults_max", c.gen.faults_max}, {"schedule_max", c.gen.schedule_max}};
}

CheckOptions check_options_from_json(const nlohmann::json& j) {
  CheckOptions c;
  c.variant = checked_variant(j.at("variant").get<std::string>());
  c.mode = parse_mode(j.at("mode").get<std::string>());
  c.tests = j.at("tests"), c.seed = j.at("seed");
  c.gen.threads_max = j.at("threads_max"), c.gen.calls_per_thread_max = j.at("calls_max");
  c.gen.faults_max = j.at("faults_max"), c.gen.schedule_max = j.at("schedule_max");
  return c;
}

// The shard's tallies and findings, whole: what merge_checks() reads.
nlohmann::ordered_json check_shard_json(const CheckOptions& c, const Shard& shard, const CheckResult& r) {
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const CheckFinding& f : r.findings)
    findings.push_back({{"test", f.test}, {"shrink_steps", f.shrink_steps}, {"shrink_runs", f.shrink_runs},
                        {"checked", property_set_json(f.checked)}, {"violation", full_violation_json(f.violation)},
                        {"scenario", scenario_to_json(f.counterexample)}});
  return shard_json("check", shard, shard_options_json(c),
                    {{"tests", r.tests}, {"runs", r.runs}, {"calls", r.calls}, {"seconds", r.report.seconds},
                     {"undecided", r.undecided}, {"first_undecided_test", r.first_undecided_test},
                     {"first_undecided", r.first_undecided}, {"runs_ended", r.runs_ended},
                     {"unjudged", property_set_json(r.unjudged)}, {"cut", r.cut}, {"findings", findings}});
}

CheckResult check_shard_from_json(const nlohmann::json& j) {
  CheckResult r;
  r.tests = j.at("tests"), r.runs = j.at("runs"), r.calls = j.at("calls"), r.report.seconds = j.at("seconds");
  r.undecided = j.at("undecided"), r.first_undecided_test = j.at("first_undecided_test");
  r.first_undecided = j.at("first_undecided"), r.runs_ended = j.at("runs_ended");
  r.unjudged = property_set_from_json(j.at("unjudged"));
  r.cut = j.at("cut");
  for (const nlohmann::json& f : j.at("findings")) {
    CheckFinding x;
    x.violation = violation_from_json(f.at("violation"));
    x.property = x.violation.property;
    x.test = f.at("test"), x.shrink_steps = f.at("shrink_steps"), x.shrink_runs = f.at("shrink_runs");
    x.checked = property_set_from_json(f.at("checked"));
    x.counterexample = scenario_from_json(f.at("scenario"));
    r.findings.push_back(std::move(x));
  }
  return r;
}

int check_command(const check_flags& o) {
  CheckOptions c;
  c.variant = checked_variant(o.variant);
  c.tests = o.tests;
  c.seed = o.seed;
  c.gen = o.bounds;
  c.mode = parse_mode(o.mode);
  c.deadline = deadline_after(o.budget);
  Shard shard = parse_shard(o.shard);
  c.shard = shard.index, c.shards = shard.count;
  check_report_paths({{"--json", o.json}});  // before the run, so a bad path costs nothing
  set_phase("check " + c.variant + " (" + o.mode + " mode)");
  CheckResult r = run_check(c);
  throw_if_interrupted();
  nlohmann::ordered_json shard_object;
  if (shard.given) shard_object = check_shard_json(c, shard, r);
  return finish_check(c, r, o.save, o.json, shard_object);
}

// `luv merge` of check shards: merge_checks() over them, reported as one run.
int merge_check(const std::vector<ShardFile>& shards, const MergeOutput& out) {
  CheckOptions c;
  read_shard(shards.front(), [&](const nlohmann::json& s) { c = check_options_from_json(s.at("options")); });
  std::vector<CheckResult> results;
  for (const ShardFile& f : shards) read_shard(f, [&](const nlohmann::json& s) { results.push_back(check_shard_from_json(s)); });
  check_report_paths({{"--json", out.json_out}});
  return finish_check(c, merge_checks(c, results), out.cx_dir, out.json_out, nullptr);
}

[[maybe_unused]] const bool merges_check = register_merger("check", merge_check);

}  // namespace

LUV_COMMAND(check, "check", "Random Scenarios (RapidCheck) for one variant and caller mode, shrunk counterexamples") {
  auto o = std::make_shared<check_flags>();
  add_variant_option(cmd, o->variant)->capture_default_str();
  cmd->add_option("--mode", o->mode, "contract or adversarial")->capture_default_str();
  cmd->add_option("--tests", o->tests, "generated Scenarios to run")->capture_default_str();
  cmd->add_option("--seed", o->seed, "random seed; the same seed gives the same run")
      ->check(integer_range(0, UINT64_MAX))
      ->capture_default_str();
  cmd->add_option("--budget", o->budget, "time budget in seconds: what it leaves untested is unknown (0: none)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--save", o->save, "write each shrunk counterexample into this directory");
  cmd->add_option("--json", o->json, "write the report as JSON to this file");
  add_shard_option(cmd, o->shard, "the generated Scenarios");
  cmd->add_option("--threads-max", o->bounds.threads_max, "threads per Scenario, at most")
      ->check(CLI::Range(1, 8))->capture_default_str();
  cmd->add_option("--calls-max", o->bounds.calls_per_thread_max, "calls per thread, at most")
      ->check(CLI::Range(0, 16))->capture_default_str();
  cmd->add_option("--faults-max", o->bounds.faults_max, "planned faults per Scenario, at most")
      ->check(CLI::Range(0, 8))->capture_default_str();
  cmd->add_option("--schedule-max", o->bounds.schedule_max, "schedule entries, at most")
      ->check(CLI::Range(0, 200))->capture_default_str();
  return [o] { return check_command(*o); };
}

}  // namespace luv::cli
