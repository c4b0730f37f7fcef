// `luv verify`: every engine built in, on every shipped variant (or one),
// within a time budget; the matrix variant x property x engine; JSON, JUnit
// and SARIF reports; new counterexamples saved. Exit 0 only when every
// verdict is what is expected of the shipped variants: the reference holds
// everything, v2 / v2-warn violate exactly the properties the corpus has a
// file for (counterexamples/corpus/VARIANT.PROPERTY.json).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "check/check.h"
#include "cli/command.h"
#include "cli/interrupt.h"
#include "counterexamples/counterexample.h"
#include "explore/explore.h"
#include "impl/variant.h"
#include "properties/stop.h"
#include "solver/invariant.h"
#include "solver/prove.h"
#include "verify/judges.h"
#include "verify/reports.h"
#include "verify/source_map.h"

namespace luv::cli {

namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

// `fraction` of the time from now to `end`, as a deadline.
clock_type::time_point share_of(clock_type::time_point end, double fraction) {
  auto now = clock_type::now();
  if (end <= now) return now;
  return now + std::chrono::duration_cast<clock_type::duration>((end - now) * fraction);
}

// The explore column's bound (the proof's topology, both modes) searched
// again with the proof's inductive invariant held at every quiescent state:
// "" when every state lies within it (or nothing was proved), else the first
// state outside with its Scenario. A cut by `end` leaves the rest unchecked.
std::string invariant_divergence(const solver::ProveOptions& po, const solver::ProveResult& pr,
                                 clock_type::time_point end) {
  solver::InvariantCheck invariant(po, pr);
  if (invariant.empty()) return "";
  std::mutex one_context;  // InvariantCheck keeps one Z3 context
  for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
    ExploreOptions eo;
    eo.variant = po.variant;
    eo.mode = mode;
    eo.jobs = default_jobs();
    eo.properties.reset();  // the states alone; their properties are the explore column's
    eo.deadline = mode == CallerMode::contract ? share_of(end, 0.5) : end;
    eo.invariant = [&](const impl::World& w) {
      std::lock_guard<std::mutex> hold(one_context);
      return invariant.check(w);
    };
    ExploreResult r = explore(eo);
    if (!r.divergence.empty())
      return std::string(caller_mode_name(mode)) + " mode, " + r.divergence + "; Scenario " +
             scenario_to_json(*r.divergence_scenario).dump();
  }
  return "";
}


struct verify_options {
  std::string variant;
  double budget = 150;
  std::string json, junit, sarif, save;
  std::string corpus;
  bool quiet = false;
};

// The progress line: rewritten in place on a terminal, silent otherwise.
class progress {
 public:
  explicit progress(bool on) : on_(on && isatty(STDERR_FILENO)) {}
  void show(const std::string& what, double elapsed, double budget) {
    if (!on_) return;
    std::fprintf(stderr, "\r\033[K[verify %3.0fs / %3.0fs] %s", elapsed, budget, what.c_str());
    std::fflush(stderr);
  }
  void done() {
    if (on_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool on_;
};

// What the corpus expects: per variant, the properties it has a file for.
struct corpus_view {
  std::map<std::string, std::set<PropertyId>> violated;
  std::vector<std::pair<std::string, Counterexample>> files;
};

corpus_view read_corpus(const std::string& dir) {
  corpus_view c;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw BadInput{"--corpus: " + dir + " is not a directory"};
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  for (const std::string& p : paths) {
    Counterexample cx;
    try {
      cx = read_counterexample_file(p);
    } catch (const FormatError& e) {
      throw BadInput{e.message};
    }
    if (!cx.expected.ok) c.violated[cx.scenario.variant].insert(cx.expected.property);
    c.files.emplace_back(p, std::move(cx));
  }
  return c;
}

// Merges one engine's outcome for a property (one caller mode's) into the
// cell: a violation wins; otherwise the weakest claim stands, so a mode the
// budget cut (unknown) leaves the cell unknown, and a proof in one mode with
// "holds" in another is "holds".
int strength(Status s) {
  switch (s) {
    case Status::proved: return 3;
    case Status::holds: return 2;
    case Status::unknown: return 1;
    case Status::violated:
    case Status::not_checked: return 0;
  }
  return 0;
}

void merge(MatrixCell& cell, const PropertyOutcome& o, const std::string& mode) {
  std::string how = (mode.empty() ? "" : mode + ": ") + std::string(status_name(o.status)) + (o.how.empty() ? "" : ", " + o.how);
  cell.how += (cell.how.empty() ? "" : "; ") + how;
  bool take = false;
  if (cell.status == Status::violated || o.status == Status::not_checked) take = false;
  else if (o.status == Status::violated || cell.status == Status::not_checked) take = true;
  else take = strength(o.status) < strength(cell.status);
  if (take) {
    cell.status = o.status;
    cell.counterexample.reset();
    if (o.counterexample) cell.counterexample.emplace().scenario = *o.counterexample;  // finding_file() completes it
    cell.violation = o.violation;
  }
}

void phase(const std::string& what) { set_phase("verify " + what); }

// An engine's finding of `p` as a counterexample file: judged on `p` alone,
// its `expected` from the Runner as replay runs it, so the saved file and
// the report's copy replay to the finding.
Counterexample finding_file(const Scenario& s, PropertyId p, const std::string& engine, const Violation& found) {
  RunOptions ro;
  ro.properties = only(p);
  Verdict replayed = run(s, ro).verdict;
  const std::string& message = replayed.violation ? replayed.violation->message : found.message;
  return finding_counterexample(s, ro.properties, engine,
                                "luv verify (" + engine + ") found " + property_name(p) + " in " + s.variant + ": " + message,
                                replayed);
}

}  // namespace

LUV_COMMAND(verify, "verify",
            "Run every engine on every shipped variant within a budget; print the matrix; write reports") {
  auto o = std::make_shared<verify_options>();
  cmd->add_option("--variant", o->variant, "Only this variant (exit 0 only when it holds everything)");
  cmd->add_option("--budget", o->budget, "Time budget in seconds for the whole run (engines are sized to it)")
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--json", o->json, "Write the matrix as JSON here");
  cmd->add_option("--junit", o->junit, "Write JUnit XML here (one testcase per variant, property, engine)");
  cmd->add_option("--sarif", o->sarif, "Write SARIF 2.1.0 here (each violation at its impl/ source line)");
  cmd->add_option("--save", o->save, "Save each engine's new counterexamples here (corpus format)");
  cmd->add_option("--corpus", o->corpus, "The corpus that says what to expect (default: counterexamples/corpus)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress line");
  return [o] {
    auto start = clock_type::now();
    std::string corpus_dir = o->corpus;
    if (corpus_dir.empty()) {
      corpus_dir = "counterexamples/corpus";
      if (!std::filesystem::is_directory(corpus_dir)) corpus_dir = std::string(LUV_SOURCE_DIR) + "/counterexamples/corpus";
    }
    std::vector<std::string> variants;
    for (const auto& v : impl::shipped_variants()) variants.push_back(v.name);
    if (!o->variant.empty()) {
      if (std::string bad = impl::unknown_variant(o->variant); !bad.empty()) throw BadInput{"--variant: " + bad};
      variants = {o->variant};
    }
    check_report_paths({{"--json", o->json}, {"--junit", o->junit}, {"--sarif", o->sarif}});
    if (!o->save.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(o->save, ec);
      if (ec) throw BadInput{"--save: cannot create " + o->save};
    }
    corpus_view corpus = read_corpus(corpus_dir);

    VerifyReport report;
    report.variants = variants;
    report.engines.push_back("replay");
    report.engines.push_back("check");
    report.engines.push_back("explore");
    report.engines.push_back("prove");
    progress bar(!o->quiet);
    // Budget shares per variant: explore and prove take the most; check is cheap.
    double per_variant = o->budget / static_cast<double>(variants.size());
    const int tests_per_mode = static_cast<int>(std::clamp(per_variant * 40.0, 100.0, 20000.0));
    // The budget is a hard limit: each variant gets an equal share of what is
    // left, and each engine a deadline within it (prove, last, the rest).
    // Replay is not cut: it is what the expectations are judged by.
    const clock_type::time_point end =
        start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o->budget));
    std::vector<std::string> cut_engines;

    // Proofs take the longest, so the variants expected to violate least go
    // last, where they get what the others left of their shares.
    std::vector<std::string> order = variants;
    std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
      return corpus.violated[a].size() > corpus.violated[b].size();
    });
    for (size_t vi = 0; vi < order.size(); ++vi) {
      const std::string& v = order[vi];
      const clock_type::time_point variant_end = share_of(end, 1.0 / static_cast<double>(variants.size() - vi));
      // Whether an engine ran into its deadline (then its cells say so).
      auto note_cut = [&](const std::string& engine, clock_type::time_point deadline) {
        if (clock_type::now() >= deadline) cut_engines.push_back(v + " " + engine);
      };
      // The corpus says what each variant violates, with --variant or without;
      // a variant with no file there (a mutant) must hold everything.
      std::set<PropertyId> expected = corpus.violated[v];
      std::map<std::string, std::map<PropertyId, MatrixCell>> cells;
      auto cell = [&](const std::string& engine, PropertyId p) -> MatrixCell& {
        MatrixCell& c = cells[engine][p];
        c.variant = v, c.property = p, c.engine = engine, c.expected_violated = expected.count(p) > 0;
        return c;
      };
      for (const std::string& e : report.engines)
        for (int p = 0; p < PROPERTY_COUNT; ++p) cell(e, static_cast<PropertyId>(p));

      // 1. replay: the corpus files of this variant, by the Runner, and judged
      // by the model and the Z3 encoding too within a quarter of the share
      // (the Z3 judge takes up to a second a file; the Runner milliseconds).
      {
        auto t = clock_type::now();
        auto judged_end = share_of(variant_end, 0.25);
        phase(v + ": replay");
        bar.show(v + ": replaying the corpus", since(start), o->budget);
        int files = 0, ok_files = 0, runner_only = 0;
        std::vector<Judge> judges = linked_judges();
        for (const auto& [path, cx] : corpus.files) {
          if (cx.scenario.variant != v) continue;
          throw_if_interrupted();
          ++files;
          bool judged = !must_stop(judged_end);
          runner_only += !judged;
          ReplayReport r = replay(cx, judged ? judges : std::vector<Judge>{}, false);
          std::string name = std::filesystem::path(path).filename().string();
          if (!r.passed()) {
            report.notes.push_back("replay " + name + ": " + (r.mismatch.empty() ? r.disagreement->message : r.mismatch));
          }
          if (r.result.verdict.violation) {
            PropertyOutcome out;
            out.property = r.result.verdict.violation->property;
            out.status = Status::violated;
            out.how = name + (r.passed() ? "" : " (replays differently)");
            out.violation = r.result.verdict.violation;
            merge(cell("replay", out.property), out, "");
            cell("replay", out.property).counterexample = cx;  // the corpus file itself
            // A replay that does not give the expected verdict fails verify.
            if (!r.mismatch.empty()) cell("replay", out.property).judgement = CellJudgement::mismatch;
          } else {
            ++ok_files;
            if (!r.mismatch.empty()) cell("replay", cx.expected.property).judgement = CellJudgement::mismatch;
          }
        }
        throw_if_interrupted();
        for (auto& [p, c] : cells["replay"]) {
          c.seconds = since(t);
          if (c.status == Status::not_checked && files > 0 && ok_files > 0) {
            c.status = Status::holds;
            c.how = std::to_string(ok_files) + " corpus file(s) replay ok";
          }
        }
        if (runner_only > 0)
          report.notes.push_back(v + ": " + std::to_string(runner_only) + " of " + std::to_string(files) +
                                 " corpus file(s) replayed by the Runner alone, not judged by the model and the Z3 "
                                 "encoding too (cut by the budget)");
      }

      // 2. check: random Scenarios, both caller modes, a tenth of the share.
      {
        auto t = clock_type::now();
        auto check_end = share_of(variant_end, 0.1);
        int tests = tests_per_mode;
        for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
          CheckOptions co;
          co.variant = v;
          co.mode = mode;
          co.tests = tests;
          co.seed = 1;
          co.deadline = mode == CallerMode::contract ? share_of(check_end, 0.5) : check_end;
          std::string label = v + ": check, " + caller_mode_name(mode) + " mode";
          phase(label);
          co.progress = [&](const CheckProgress& p) {
            bar.show(label + ", " + std::to_string(p.tests_done) + "/" + std::to_string(p.tests_total) +
                         (p.shrinking ? " (shrinking)" : ""),
                     since(start), o->budget);
          };
          EngineReport er = check_variant(co);
          throw_if_interrupted();
          for (const PropertyOutcome& out : er.outcomes) merge(cell("check", out.property), out, caller_mode_name(mode));
          note_cut(std::string("check (") + caller_mode_name(mode) + ")", co.deadline);
        }
        for (auto& [p, c] : cells["check"]) c.seconds = since(t);
      }

      // 3. explore: SPEC.md's default bound, every schedule, cut by a state
      // budget and by a deadline at a third of what is left of the share.
      {
        auto t = clock_type::now();
        double share = per_variant * 0.3;
        auto explore_end = share_of(variant_end, 1.0 / 3.0);
        for (CallerMode mode : {CallerMode::contract, CallerMode::adversarial}) {
          ExploreOptions eo;
          eo.variant = v;
          eo.mode = mode;
          eo.deadline = mode == CallerMode::contract ? share_of(explore_end, 0.5) : explore_end;
          // Measured: about 25k states a second a core; half the share each mode.
          eo.jobs = default_jobs();
          eo.states_max = static_cast<long long>(std::max(2000.0, share / 2 * 25000.0 * eo.jobs));
          std::string label = v + ": explore, " + caller_mode_name(mode) + " mode";
          phase(label);
          eo.progress = [&](const ExploreStats& s) {
            bar.show(label + ", " + std::to_string(s.states) + " states", since(start), o->budget);
          };
          EngineReport er = explore_variant(eo);
          throw_if_interrupted();
          for (const PropertyOutcome& out : er.outcomes)
            merge(cell("explore", out.property), out, caller_mode_name(mode));
          note_cut(std::string("explore (") + caller_mode_name(mode) + ")", eo.deadline);
        }
        for (auto& [p, c] : cells["explore"]) c.seconds = since(t);
      }

      // 4. prove: bounded search, then induction, for the six call-level properties.
      {
        auto t = clock_type::now();
        bar.show(v + ": prove (Z3)", since(start), o->budget);
        phase(v + ": prove");
        solver::ProveOptions po;
        po.variant = v;
        po.depth = per_variant >= 60 ? 3 : 2;
        po.deadline = share_of(variant_end, 0.9);  // the rest: the invariant held to the implementation
        po.keep_context = true;  // deleting it would take seconds past the deadline
        solver::ProveResult pr = solver::prove(po);
        throw_if_interrupted();
        for (const PropertyOutcome& out : pr.report.outcomes) merge(cell("prove", out.property), out, "");
        note_cut("prove", po.deadline);
        // PROVED is about the encoding: hold its invariant to the states the
        // implementation reaches within the explore column's bound.
        // A slice of the share, so that a proof done early does not stretch the run.
        auto invariant_end = std::min(variant_end, clock_type::now() + std::chrono::milliseconds(
                                                       static_cast<long long>(per_variant * 150.0)));
        phase(v + ": prove (the invariant held to the implementation)");
        std::string divergence = invariant_divergence(po, pr, invariant_end);
        throw_if_interrupted();
        if (!divergence.empty()) {
          report.notes.push_back(v + ": the implementation left the proof's invariant (an encoding or impl/ bug): " +
                                 divergence);
          for (auto& [p, c] : cells["prove"])
            if (c.status == Status::proved) c.judgement = CellJudgement::mismatch;
        }
        for (auto& [p, c] : cells["prove"]) c.seconds = since(t);
      }

      for (const std::string& e : report.engines) {
        for (auto& [p, c] : cells[e]) {
          if (c.judgement != CellJudgement::mismatch) c.judgement = judge_cell(c.expected_violated, c.status);
          if (c.violation && c.counterexample) {
            if (e != "replay") c.counterexample = finding_file(c.counterexample->scenario, p, e, *c.violation);
            SourceLocation l = violation_location(c.counterexample->scenario, *c.violation);
            c.location_file = l.file;
            c.location_line = l.line;
          }
          if (!o->save.empty() && e != "replay" && c.status == Status::violated && c.counterexample && c.violation) {
            std::string path = o->save + "/" + v + "." + property_name(p) + "." + e + ".json";
            if (write_counterexample_file(path, *c.counterexample)) report.notes.push_back("saved " + path);
          }
          report.cells.push_back(c);
        }
      }
    }
    bar.done();
    phase("writing the reports");
    throw_if_interrupted();
    report.seconds = since(start);
    if (!cut_engines.empty()) {
      std::string list;
      for (const std::string& e : cut_engines) list += (list.empty() ? "" : ", ") + e;
      report.notes.push_back("cut by the budget (their undecided cells say unknown): " + list);
    }

    std::printf("luv verify: %zu variant(s), engines:", report.variants.size());
    for (const std::string& e : report.engines) std::printf(" %s", e.c_str());
    std::printf(", %.1f s (budget %.0f s), corpus %s\n", report.seconds, o->budget, corpus_dir.c_str());
    std::fputs(matrix_text(report).c_str(), stdout);
    for (const std::string& n : report.notes) std::printf("note: %s\n", n.c_str());
    auto write = [](const std::string& path, const std::string& text) {
      if (!write_report(path, text)) throw BadInput{path + ": cannot write"};
    };
    if (!o->json.empty()) write(o->json, report_json(report).dump(2) + "\n");
    if (!o->junit.empty()) write(o->junit, report_junit(report));
    if (!o->sarif.empty()) write(o->sarif, report_sarif(report).dump(2) + "\n");
    int mismatches = 0;
    for (const MatrixCell& c : report.cells) mismatches += c.judgement == CellJudgement::mismatch;
    bool ok = report.passed();
    std::printf("%s: %d cell(s), %d differ from what is expected\n", ok ? "PASS" : "FAIL",
                static_cast<int>(report.cells.size()), mismatches);
    return ok ? EXIT_OK : EXIT_VIOLATION;
  };
}

}  // namespace luv::cli
