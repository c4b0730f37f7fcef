#include "verify/verify.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "check/check.h"
#include "explore/explore.h"
#include "impl/variant.h"
#include "properties/assert.h"
#include "properties/stop.h"
#include "solver/invariant.h"
#include "solver/prove.h"
#include "verify/judges.h"
#include "verify/source_map.h"

namespace luv {

namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

// `fraction` of the time from now to `end`, as a deadline.
clock_type::time_point share_of(clock_type::time_point end, double fraction) {
  auto now = clock_type::now();
  if (end <= now) return now;
  return now + std::chrono::duration_cast<clock_type::duration>((end - now) * fraction);
}

const CallerMode both_modes[] = {CallerMode::contract, CallerMode::adversarial};

// The explore column's bound for `variant` in `mode`: docs/SPEC.md's default
// bound, or `calls` calls when not 0 (VerifyOptions::explore_calls).
ExploreOptions column_bound(const std::string& variant, CallerMode mode, int calls) {
  ExploreOptions eo;
  eo.variant = variant;
  eo.mode = mode;
  if (calls > 0) eo.calls = calls;
  return eo;
}

// The explore column's bound (the proof's topology, both modes) searched
// again with the proof's inductive invariant held at every quiescent state:
// "" when every state lies within it (or nothing was proved), else the first
// state outside with its Scenario. A cut by `end` leaves the rest unchecked.
std::string invariant_divergence(const solver::ProveOptions& po, const solver::ProveResult& pr, int calls,
                                 clock_type::time_point end) {
  solver::InvariantCheck invariant(po, pr);
  if (invariant.empty()) return "";
  std::mutex one_context;  // InvariantCheck keeps one Z3 context
  for (CallerMode mode : both_modes) {
    ExploreOptions eo = column_bound(po.variant, mode, calls);
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

// An engine's finding of `p` as a counterexample file, judged on `p` alone.
Counterexample finding_file(const Scenario& s, PropertyId p, const std::string& engine, const Violation& found) {
  return finding_counterexample(s, only(p), engine,
                                "luv verify (" + engine + ") found " + property_name(p) + " in " + s.variant,
                                found.message);
}

// A whole default bound, both modes, searched on a thread of its own from the
// start of the run (docs/SPEC.md, "What `luv verify` runs"): a variant
// expected to violate nothing (the reference), or variants alike but in the
// rules the code asks (impl::alike_but_asked: v2 and v2-warn) as one lazy
// search (docs/DESIGN.md, "Variants searched together"). One job each
// (`one_search`: 0.7x the work of a search per twin group) beside the other
// rows' engines, so that the two cores stay busy to the end of the run.
class whole_search {
 public:
  struct mode_result {
    CallerMode mode;
    EngineReport report;
    bool cut;  // by the budget (or an interrupt): what it did not find is unknown
  };

  whole_search(std::vector<std::string> variants, int calls, clock_type::time_point deadline)
      : variants_(std::move(variants)),
        thread_([this, calls, deadline](std::stop_token stop) { run(stop, calls, deadline); }) {}

  const std::vector<std::string>& variants() const { return variants_; }
  bool done() const { return done_.load(); }
  // "v2+v2-warn, adversarial mode, 1234 states", for the progress line.
  std::string progress() const {
    std::string names;
    for (const std::string& v : variants_) names += (names.empty() ? "" : "+") + v;
    return names + ", " + caller_mode_name(both_modes[mode_.load()]) + " mode, " + std::to_string(states_.load()) +
           " states";
  }
  // v's result, mode by mode, once done(); rethrows what the search threw.
  const std::vector<mode_result>& result(const std::string& v) const {
    LUV_ASSERT(done());
    if (failed_) std::rethrow_exception(failed_);
    return results_.at(v);
  }
  double seconds() const { return seconds_; }

 private:
  void run(std::stop_token stop, int calls, clock_type::time_point deadline) {
    auto t = clock_type::now();
    try {
      for (int m = 0; m < 2; ++m) {
        mode_ = m;
        ExploreOptions eo = column_bound(variants_[0], both_modes[m], calls);
        eo.searched_with.assign(variants_.begin() + 1, variants_.end());
        eo.deadline = m == 0 ? share_of(deadline, 0.5) : deadline;
        eo.abandon = stop;
        eo.lazy_op_sets = true;
        eo.one_search = true;
        eo.progress = [this](const ExploreStats& s) { states_ = s.states; };
        ExploreResult r = explore(eo);
        bool cut = !r.stats.complete;
        results_[variants_[0]].push_back({eo.mode, std::move(r.report), cut});
        for (size_t i = 1; i < variants_.size(); ++i)
          results_[variants_[i]].push_back({eo.mode, std::move(r.searched_with[i - 1].report), cut});
      }
    } catch (...) {
      failed_ = std::current_exception();
    }
    seconds_ = since(t);
    done_ = true;
  }

  const std::vector<std::string> variants_;
  std::map<std::string, std::vector<mode_result>> results_;
  std::exception_ptr failed_;
  double seconds_ = 0;
  std::atomic<int> mode_{0};
  std::atomic<long long> states_{0};
  std::atomic<bool> done_{false};
  std::jthread thread_;  // last: started once the rest is built, joined before it goes
};

// What the whole run shares: the options, the clock, the report being built.
struct run_state {
  const VerifyOptions& o;
  clock_type::time_point start;
  clock_type::time_point end;  // start + the budget
  double per_variant = 0;      // the budget's share of one variant, in seconds
  VerifyReport report;
  std::vector<std::string> cut_engines;  // "v2 check (contract)": engines that ran into their deadline
  std::vector<std::string> sampled;      // variants whose explore column searched a sample of the bound

  void show(const std::string& what) const {
    if (o.progress) o.progress(what, since(start));
  }
  void phase(const std::string& what) const {
    if (o.phase) o.phase(what);
  }
  void checkpoint() const {
    if (o.checkpoint) o.checkpoint();
  }
};

// One variant's row of cells, engine by engine; each column is one function.
class variant_run {
 public:
  // `whole`: the search of v's whole bound, on its own thread (null: this
  // row's explore column searches a sample).
  variant_run(run_state& r, const std::string& v, clock_type::time_point variant_end, const whole_search* whole)
      : r_(r), v_(v), end_(variant_end), whole_(whole), expected_(r.o.corpus.violated.count(v) ? r.o.corpus.violated.at(v)
                                                                               : std::set<PropertyId>{}) {
    for (const std::string& e : r_.report.engines)
      for (int p = 0; p < PROPERTY_COUNT; ++p) cell(e, static_cast<PropertyId>(p));
  }

  // Every column but a whole search's explore column (take_whole()).
  void run_columns() {
    replay_column();
    check_column();
    explore_and_prove_columns();
  }

  // The row's end, once its whole search (if any) is done: that search's
  // explore column, then every cell judged and added to the report.
  void finish() {
    if (whole_) take_whole();
    judge_cells();
  }

 private:
  // The explore column from the whole search.
  void take_whole() {
    for (const whole_search::mode_result& m : whole_->result(v_)) {
      merge_explore(m.report, m.mode);
      note_cut(std::string("explore (") + caller_mode_name(m.mode) + ")", m.cut);
    }
    for (auto& [p, c] : cells_["explore"]) c.seconds = whole_->seconds();
  }

  MatrixCell& cell(const std::string& engine, PropertyId p) {
    MatrixCell& c = cells_[engine][p];
    c.variant = v_, c.property = p, c.engine = engine, c.expected_violated = expected_.count(p) > 0;
    return c;
  }

  // Whether an engine ran into its deadline (then its cells say so).
  void note_cut(const std::string& engine, clock_type::time_point deadline) {
    note_cut(engine, clock_type::now() >= deadline);
  }
  void note_cut(const std::string& engine, bool cut) {
    if (cut) r_.cut_engines.push_back(v_ + " " + engine);
  }

  void time_column(const std::string& engine, clock_type::time_point t) {
    for (auto& [p, c] : cells_[engine]) c.seconds = since(t);
  }

  // 1. replay: the corpus files of this variant, by the Runner, and judged
  // by the model and the Z3 encoding too within a quarter of the share
  // (the Z3 judge takes up to a second a file; the Runner milliseconds).
  void replay_column() {
    auto t = clock_type::now();
    auto judged_end = share_of(end_, 0.25);
    r_.phase(v_ + ": replay");
    r_.show(v_ + ": replaying the corpus");
    int files = 0, ok_files = 0, runner_only = 0;
    std::vector<Judge> judges = linked_judges();
    for (const auto& [path, cx] : r_.o.corpus.files) {
      if (cx.scenario.variant != v_) continue;
      r_.checkpoint();
      ++files;
      bool judged = !must_stop(judged_end);
      runner_only += !judged;
      ReplayReport rep = replay(cx, judged ? judges : std::vector<Judge>{}, false);
      ok_files += replay_file(std::filesystem::path(path).filename().string(), cx, rep);
    }
    r_.checkpoint();
    for (auto& [p, c] : cells_["replay"]) {
      c.seconds = since(t);
      if (c.status == Status::not_checked && files > 0 && ok_files > 0) {
        c.status = Status::holds;
        c.how = std::to_string(ok_files) + " corpus file(s) replay ok";
      }
    }
    if (runner_only > 0)
      r_.report.notes.push_back(v_ + ": " + std::to_string(runner_only) + " of " + std::to_string(files) +
                                " corpus file(s) replayed by the Runner alone, not judged by the model and the Z3 "
                                "encoding too (cut by the budget)");
  }

  // One corpus file's replay into the replay column; true when it ran ok.
  bool replay_file(const std::string& name, const Counterexample& cx, const ReplayReport& rep) {
    if (!rep.passed())
      r_.report.notes.push_back("replay " + name + ": " + (rep.mismatch.empty() ? rep.disagreement->message : rep.mismatch));
    if (!rep.result.verdict.violation) {
      if (!rep.mismatch.empty()) cell("replay", cx.expected.property).judgement = CellJudgement::mismatch;
      return true;
    }
    PropertyOutcome out;
    out.property = rep.result.verdict.violation->property;
    out.status = Status::violated;
    out.how = name + (rep.passed() ? "" : " (replays differently)");
    out.violation = rep.result.verdict.violation;
    MatrixCell& c = cell("replay", out.property);
    merge(c, out, "");
    c.counterexample = cx;  // the corpus file itself
    // A replay that does not give the expected verdict fails verify.
    if (!rep.mismatch.empty()) c.judgement = CellJudgement::mismatch;
    return false;
  }

  // 2. check: random Scenarios, both caller modes, a tenth of the share.
  void check_column() {
    auto t = clock_type::now();
    auto check_end = share_of(end_, 0.1);
    for (CallerMode mode : both_modes) {
      CheckOptions co;
      co.variant = v_;
      co.mode = mode;
      co.tests = static_cast<int>(std::clamp(r_.per_variant * 40.0, 100.0, 20000.0));
      co.seed = 1;
      co.deadline = mode == CallerMode::contract ? share_of(check_end, 0.5) : check_end;
      std::string label = v_ + ": check, " + caller_mode_name(mode) + " mode";
      r_.phase(label);
      co.progress = [&](const CheckProgress& p) {
        r_.show(label + ", " + std::to_string(p.tests_done) + "/" + std::to_string(p.tests_total) +
                (p.shrinking ? " (shrinking)" : ""));
      };
      EngineReport er = check_variant(co);
      r_.checkpoint();
      for (const PropertyOutcome& out : er.outcomes) merge(cell("check", out.property), out, caller_mode_name(mode));
      note_cut(std::string("check (") + caller_mode_name(mode) + ")", co.deadline);
    }
    time_column("check", t);
  }

  // 3. explore, a sample: docs/SPEC.md's default bound ("The default bound"), every
  // schedule, cut by a state limit (a variant searched whole is a whole_search:
  // there "holds" is the verdict that matters, here its findings) and by a
  // deadline, a third of the share.
  void explore_column() {
    auto t = clock_type::now();
    auto explore_end = share_of(end_, 1.0 / 3.0);
    double share = r_.per_variant * 0.3;
    for (CallerMode mode : both_modes) {
      ExploreOptions eo = column_bound(v_, mode, r_.o.explore_calls);
      eo.deadline = mode == CallerMode::contract ? share_of(explore_end, 0.5) : explore_end;
      eo.jobs = default_jobs();
      eo.lazy_op_sets = true;
      // Half the share each mode, at 20k states a second a core, so that a
      // slower or busier machine still ends on the state limit (the same
      // states every run), not the deadline, and verify's time does not
      // grow. The choices are searched lazily (docs/DESIGN.md, "Lazy op-set
      // choices"), whose limit counts distinct states: a search cut early
      // searches more (some again for other choices: 1.3-1.4 times as many
      // on the reference since choices searched alike), at 100-200k a second
      // a core (bench/RESULTS.md, which has verify's time with this limit
      // against the search per choice's).
      eo.states_max = static_cast<long long>(std::max(2000.0, share / 2 * 20000.0 * eo.jobs));
      std::string label = v_ + ": explore, " + caller_mode_name(mode) + " mode";
      r_.phase(label);
      eo.progress = [&](const ExploreStats& s) { r_.show(label + ", " + std::to_string(s.states) + " states"); };
      EngineReport er = explore_variant(eo);
      r_.checkpoint();
      merge_explore(er, mode);
      note_cut(std::string("explore (") + caller_mode_name(mode) + ")", eo.deadline);
    }
    r_.sampled.push_back(v_);
    time_column("explore", t);
  }

  void merge_explore(const EngineReport& er, CallerMode mode) {
    for (const PropertyOutcome& out : er.outcomes) merge(cell("explore", out.property), out, caller_mode_name(mode));
  }

  // 3 and 4 at once: Z3 proves on a thread of its own while the explorer
  // searches a sample (a row searched whole proves alone here: its search
  // has a thread of its own from the start).
  void explore_and_prove_columns() {
    solver::ProveOptions po;
    po.variant = v_;
    po.depth = r_.per_variant >= 60 ? 3 : 2;
    po.deadline = share_of(end_, 0.9);  // the rest: the invariant held to the implementation
    po.keep_context = true;  // deleting it would take seconds past the deadline
    po.describe_ctis = false;  // the matrix shows none
    // A cell names the lemmas of the Houdini fixpoint, not the fewest each
    // proof needs: they are what the invariant below holds anyway, and
    // dropping them one at a time took half the reference's prove
    // (bench/RESULTS.md); `luv prove` names the fewest.
    po.minimise = false;
    solver::ProveResult pr;
    double prove_seconds = 0;
    std::exception_ptr failed;
    {
      // Joined on every way out: an interrupt (a checkpoint's throw) stops
      // the prover too, at its next solver call.
      std::jthread prover([&] {
        auto t = clock_type::now();
        try {
          pr = solver::prove(po);
        } catch (...) {
          failed = std::current_exception();
        }
        prove_seconds = since(t);
      });
      if (!whole_) explore_column();
      r_.phase(v_ + ": prove");
      r_.show(v_ + ": prove (Z3)");
    }
    if (failed) std::rethrow_exception(failed);
    r_.checkpoint();
    for (const PropertyOutcome& out : pr.report.outcomes) merge(cell("prove", out.property), out, "");
    note_cut("prove", po.deadline);
    auto t = clock_type::now();
    hold_invariant_to_impl(po, pr);
    for (auto& [p, c] : cells_["prove"]) c.seconds = prove_seconds + since(t);
  }

  // PROVED is about the encoding: hold its invariant to the states the
  // implementation reaches within the explore column's bound, in a slice
  // of the share, so that a proof done early does not stretch the run.
  void hold_invariant_to_impl(const solver::ProveOptions& po, const solver::ProveResult& pr) {
    auto invariant_end =
        std::min(end_, clock_type::now() + std::chrono::milliseconds(static_cast<long long>(r_.per_variant * 150.0)));
    r_.phase(v_ + ": prove (the invariant held to the implementation)");
    std::string divergence = invariant_divergence(po, pr, r_.o.explore_calls, invariant_end);
    r_.checkpoint();
    if (divergence.empty()) return;
    r_.report.notes.push_back(v_ + ": the implementation left the proof's invariant (an encoding or impl/ bug): " +
                              divergence);
    for (auto& [p, c] : cells_["prove"])
      if (c.status == Status::proved) c.judgement = CellJudgement::mismatch;
  }

  // Judges every cell, makes each finding a file (saved when asked), and
  // adds the row to the report.
  void judge_cells() {
    for (const std::string& e : r_.report.engines) {
      for (auto& [p, c] : cells_[e]) {
        if (c.judgement != CellJudgement::mismatch) c.judgement = judge_cell(c.expected_violated, c.status);
        if (c.violation && c.counterexample) {
          if (e != "replay") c.counterexample = finding_file(c.counterexample->scenario, p, e, *c.violation);
          SourceLocation l = violation_location(c.counterexample->scenario, *c.violation);
          c.location_file = l.file;
          c.location_line = l.line;
        }
        if (!r_.o.save_dir.empty() && e != "replay" && c.status == Status::violated && c.counterexample && c.violation) {
          std::string path = r_.o.save_dir + "/" + v_ + "." + property_name(p) + "." + e + ".json";
          if (write_counterexample_file(path, *c.counterexample)) r_.report.notes.push_back("saved " + path);
        }
        r_.report.cells.push_back(c);
      }
    }
  }

  run_state& r_;
  const std::string v_;
  const clock_type::time_point end_;
  const whole_search* const whole_;
  // The corpus says what each variant violates; a variant with no file
  // there (a mutant) must hold everything.
  const std::set<PropertyId> expected_;
  std::map<std::string, std::map<PropertyId, MatrixCell>> cells_;
};

// Proofs take the longest, so the variants expected to violate least go
// last, where they get what the others left of their shares.
std::vector<std::string> run_order(const VerifyOptions& o) {
  std::vector<std::string> order = o.variants;
  auto violated = [&](const std::string& v) { return o.corpus.violated.count(v) ? o.corpus.violated.at(v).size() : 0; };
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& a, const std::string& b) { return violated(a) > violated(b); });
  return order;
}

// Waits for the whole searches, showing their progress; an interrupt (a
// checkpoint's throw) abandons them.
void wait_for(const run_state& r, const std::vector<std::unique_ptr<whole_search>>& wholes) {
  for (const auto& w : wholes) {
    r.phase("explore, the whole bound: " + w->progress());
    while (!w->done()) {
      r.checkpoint();
      r.show("explore, the whole bound: " + w->progress());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  r.checkpoint();
}

}  // namespace

std::vector<std::vector<std::string>> whole_groups(const VerifyOptions& o) {
  std::vector<std::vector<std::string>> groups;
  std::set<std::string> grouped;
  for (size_t i = 0; i < o.variants.size(); ++i) {
    const std::string& v = o.variants[i];
    if (grouped.count(v)) continue;
    std::vector<std::string> g{v};
    for (size_t j = i + 1; j < o.variants.size(); ++j)
      if (impl::alike_but_asked(*impl::find_variant(v), *impl::find_variant(o.variants[j])))
        g.push_back(o.variants[j]);
    if (g.size() < 2 && o.corpus.violated.count(v)) continue;
    grouped.insert(g.begin(), g.end());
    groups.push_back(std::move(g));
  }
  return groups;
}

std::string sampled_note(const std::vector<std::string>& sampled) {
  std::string list;
  for (const std::string& v : sampled) list += (list.empty() ? "" : ", ") + v;
  return "explore searched a sample of the default bound for " + list +
         " (what it did not find says unknown); the whole bound: luv explore --variant V --mode M";
}

Corpus read_corpus(const std::string& dir) {
  Corpus c;
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  for (const std::string& p : paths) {
    Counterexample cx = read_counterexample_file(p);
    if (!cx.expected.ok) c.violated[cx.scenario.variant].insert(cx.expected.property);
    c.files.emplace_back(p, std::move(cx));
  }
  return c;
}

VerifyReport verify(const VerifyOptions& o) {
  // The budget is a hard limit: each variant gets an equal share of what is
  // left, and each engine a deadline within it (prove, last, the rest).
  // Replay is not cut: it is what the expectations are judged by.
  run_state r{o, clock_type::now(), {}, o.budget_seconds / static_cast<double>(o.variants.size()), {}, {}, {}};
  r.end = r.start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.budget_seconds));
  r.report.variants = o.variants;
  r.report.engines = {"replay", "check", "explore", "prove"};
  // The whole searches first, each on its thread, until nine tenths of the
  // budget (the rest: judging the cells, their files and the reports); then
  // the rows beside them, each judged once its whole search is done.
  std::vector<std::unique_ptr<whole_search>> wholes;
  std::map<std::string, const whole_search*> whole_of;
  for (std::vector<std::string>& g : whole_groups(o)) {
    wholes.push_back(std::make_unique<whole_search>(std::move(g), o.explore_calls, share_of(r.end, 0.9)));
    for (const std::string& v : wholes.back()->variants()) whole_of[v] = wholes.back().get();
  }
  std::vector<std::string> order = run_order(o);
  std::vector<variant_run> rows;
  rows.reserve(order.size());
  for (size_t vi = 0; vi < order.size(); ++vi) {
    auto w = whole_of.find(order[vi]);
    rows.emplace_back(r, order[vi], share_of(r.end, 1.0 / static_cast<double>(order.size() - vi)),
                      w == whole_of.end() ? nullptr : w->second);
    rows.back().run_columns();
  }
  wait_for(r, wholes);
  for (variant_run& row : rows) row.finish();
  r.report.seconds = since(r.start);
  if (!r.cut_engines.empty()) {
    std::string list;
    for (const std::string& e : r.cut_engines) list += (list.empty() ? "" : ", ") + e;
    r.report.notes.push_back("cut by the budget (their undecided cells say unknown): " + list);
  }
  if (!r.sampled.empty()) r.report.notes.push_back(sampled_note(r.sampled));
  return std::move(r.report);
}

}  // namespace luv
