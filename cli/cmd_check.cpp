// `luv check`: the RapidCheck engine (check/check.h) from the command line.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "check/check.h"
#include "cli/command.h"
#include "cli/interrupt.h"
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

// Prints each finding, and saves it when asked (--save).
void report_findings(const check_flags& o, const CheckResult& r) {
  for (const CheckFinding& f : r.findings) {
    std::printf("\n%s: %s\n", property_name(f.property), f.violation.message.c_str());
    if (o.save.empty()) continue;
    try {
      std::string path = save_counterexample(o.save, f);
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

int check_command(const check_flags& o) {
  CheckOptions c;
  c.variant = checked_variant(o.variant);
  c.tests = o.tests;
  c.seed = o.seed;
  c.gen = o.bounds;
  c.mode = parse_mode(o.mode);
  c.deadline = deadline_after(o.budget);
  check_report_paths({{"--json", o.json}});  // before the run, so a bad path costs nothing
  set_phase("check " + c.variant + " (" + o.mode + " mode)");
  CheckResult r = run_check(c);
  throw_if_interrupted();
  std::printf("luv check: variant %s, %s mode, seed %llu: %d scenarios (%lld runs, %lld calls checked) in %.1f s\n",
              c.variant.c_str(), o.mode.c_str(), static_cast<unsigned long long>(c.seed), r.tests, r.runs, r.calls,
              r.report.seconds);
  bool violated = false;
  for (const PropertyOutcome& out : r.report.outcomes) {
    std::string status = status_name(out.status);
    if (out.status == Status::violated) {
      violated = true;
      status += " (" + scenario_size(*out.counterexample) + ")";
    }
    std::printf("  %-26s %s\n", property_name(out.property), status.c_str());
  }
  report_findings(o, r);
  if (!o.json.empty() && !write_report(o.json, check_report(r).dump(2) + "\n"))
    throw BadInput{"--json: " + o.json + ": cannot write"};
  return violated ? EXIT_VIOLATION : EXIT_OK;
}

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
