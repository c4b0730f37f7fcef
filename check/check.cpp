#include "check/check.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "counterexamples/counterexample.h"
#include "counterexamples/scenario_json.h"
#include "impl/variant.h"
#include "properties/refinement.h"
#include "properties/stop.h"

namespace luv {

std::string scenario_size(const Scenario& s) {
  auto plural = [](size_t n, const char* what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); };
  return plural(static_cast<size_t>(s.calls_total()), "call") + ", " + plural(s.threads.size(), "thread") + ", " +
         plural(s.faults.size(), "fault") + ", schedule " + std::to_string(s.schedule.size());
}

namespace {

struct judged {
  std::optional<Violation> violation;
  int calls = 0;
  std::string undecided;  // the linearizability check stopped at its bound (a limit, not a violation)
  std::string divergence;  // a state outside CheckOptions::invariant
  PropertySet unjudged;    // checked but not judged past the oops or deadlock that ended the run
  bool ended = false;      // an oops or a deadlock ended the run (whatever was checked)
};

// The Scenarios o's shard runs: indices i-1, i-1+N, ... below o.tests.
int planned_tests(const CheckOptions& o) { return o.tests >= o.shard ? (o.tests - o.shard) / o.shards + 1 : 0; }

// "seed 1", or "seed 1, shard 2/4" for a shard's own report.
std::string seed_text(const CheckOptions& o) {
  std::string text = "seed " + std::to_string(o.seed);
  if (o.shards > 1) text += ", shard " + std::to_string(o.shard) + "/" + std::to_string(o.shards);
  return text;
}

// One outcome per property of o.properties, from r's findings and tallies
// (check() and merge_checks() both end here, so shards merge into one run's text).
void judge_outcomes(const CheckOptions& o, CheckResult& r) {
  r.report.engine = "check";
  r.report.variant = o.variant;
  r.report.mode = caller_mode_name(o.mode);
  r.report.outcomes.clear();
  for (int p = 0; p < PROPERTY_COUNT; ++p) {
    PropertyId id = static_cast<PropertyId>(p);
    if (!has(o.properties, id)) continue;
    PropertyOutcome out;
    out.property = id;
    auto found = std::find_if(r.findings.begin(), r.findings.end(), [&](const CheckFinding& f) { return f.property == id; });
    if (found != r.findings.end()) {
      out.status = Status::violated;
      out.how = "shrunk to " + scenario_size(found->counterexample) + " (scenario " + std::to_string(found->test) +
                " of " + seed_text(o) + ")";
      out.counterexample = found->counterexample;
      out.violation = found->violation;
    } else if (id == PropertyId::model_refinement && r.undecided > 0) {
      out.status = Status::unknown;
      out.how = std::to_string(r.undecided) + " of " + std::to_string(r.tests) +
                " random scenarios undecided by the linearizability check (scenario " +
                std::to_string(r.first_undecided_test) + ": " + r.first_undecided + ")";
    } else if (!r.cut.empty()) {
      out.status = Status::unknown;
      out.how = r.cut + " after " + std::to_string(r.tests) + " of " + std::to_string(planned_tests(o)) +
                " random scenarios, " + seed_text(o);
    } else {
      out.status = Status::holds;
      out.how = std::to_string(r.tests) + " random scenarios, " + seed_text(o);
      if (r.unjudged.test(static_cast<size_t>(p)))
        out.how += "; not judged past the oops or deadlock that ended " + std::to_string(r.runs_ended) + " of them";
    }
    r.report.outcomes.push_back(std::move(out));
  }
}

class engine {
 public:
  explicit engine(const CheckOptions& o) : o_(o), go_(o.gen) {
    go_.variant = o.variant;
    go_.mode = o.mode;
    gen_.emplace(scenario_gen(go_));
  }

  CheckResult go() {
    auto t0 = std::chrono::steady_clock::now();
    PropertySet remaining = o_.properties;
    rc::Random random(o_.seed);
    int last_judged = -1;  // the Scenario judged last: it is judged again after a finding
    // With no property left, the Scenarios still run for the invariant.
    for (int i = 0; i < o_.tests && (remaining.any() || o_.invariant);) {
      if (i % o_.shards != o_.shard - 1) {  // another shard's: generated only to keep the stream
        random.split();
        ++i;
        continue;
      }
      if (past_deadline()) {
        result_.cut = stop_reason();
        break;
      }
      rc::Shrinkable<Scenario> s = (*gen_)(random.split(), rc::kNominalSize);
      judged j = judge(s.value(), remaining);
      if (!j.divergence.empty() && result_.divergence.empty()) {
        result_.divergence = j.divergence;
        result_.divergence_scenario = s.value();
      }
      if (i != last_judged) tally(i, j);
      last_judged = i;
      if (!j.violation) {
        ++i;
        if (o_.progress && (result_.tests % 50 == 0 || result_.tests == planned_tests(o_))) report_progress(false);
        continue;
      }
      // Shrink, record, drop the property, and look at the same Scenario again.
      // The shrink checks that property alone, so that no other one, seen
      // first in a smaller Scenario, can stop it.
      CheckFinding f = shrink(s, *j.violation, only(j.violation->property));
      f.test = i;
      remaining.reset(static_cast<size_t>(f.property));
      result_.findings.push_back(std::move(f));
      random = rc::Random(o_.seed);  // regenerate Scenario i from the same stream
      for (int k = 0; k < i; ++k) random.split();
    }
    result_.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    judge_outcomes(o_, result_);
    return std::move(result_);
  }

 private:
  // An interrupt stops the pass as the deadline does (stop.h).
  bool past_deadline() const { return must_stop(o_.deadline); }

  // Scenario i's first judgement, counted once however often it is judged.
  void tally(int i, const judged& j) {
    result_.tests++;
    if (j.ended) result_.runs_ended++;
    result_.unjudged |= j.unjudged;
    if (j.undecided.empty()) return;
    if (result_.undecided++ == 0) {
      result_.first_undecided_test = i;
      result_.first_undecided = j.undecided;
    }
  }

  judged judge(const Scenario& s, const PropertySet& properties) {
    RunOptions options;
    options.properties = properties;
    options.invariant = o_.invariant;
    if (has(properties, PropertyId::model_refinement)) options.observer = &observer_;
    RunResult r = run(s, options);
    result_.runs++;
    result_.calls += static_cast<long long>(r.calls.size());
    return judged{r.verdict.violation, static_cast<int>(r.calls.size()),
                  options.observer ? observer_.undecided() : std::string(), r.divergence.value_or(""),
                  r.verdict.unjudged_after_end(properties), r.verdict.ended.has_value()};
  }

  CheckFinding shrink(rc::Shrinkable<Scenario> cur, Violation v, const PropertySet& checked) {
    CheckFinding f;
    f.property = v.property;
    f.checked = checked;
    bool improved = true;
    while (improved && f.shrink_runs < o_.shrink_runs_max && !past_deadline()) {
      improved = false;
      rc::Seq<rc::Shrinkable<Scenario>> shrinks = cur.shrinks();
      while (rc::Maybe<rc::Shrinkable<Scenario>> next = shrinks.next()) {
        if (f.shrink_runs >= o_.shrink_runs_max || past_deadline()) break;
        f.shrink_runs++;
        judged j = judge(next->value(), checked);
        if (j.violation && j.violation->property == f.property) {
          cur = std::move(*next);
          v = *j.violation;
          f.shrink_steps++;
          improved = true;
          if (o_.progress && f.shrink_steps % 10 == 0) report_progress(true);
          break;
        }
      }
    }
    f.counterexample = cur.value();
    f.violation = v;
    polish(f);
    return f;
  }

  // Shrinks RapidCheck's tree cannot express, because they renumber
  // threads: drop a thread (and the schedule entries naming it), merge
  // threads that run one after the other anyway (no schedule), then drop
  // single schedule entries, then make faults plain.
  void polish(CheckFinding& f) {
    auto keep_if_fails = [&](const Scenario& candidate) {
      if (f.shrink_runs >= o_.shrink_runs_max || past_deadline()) return false;
      f.shrink_runs++;
      judged j = judge(candidate, f.checked);
      if (!j.violation || j.violation->property != f.property) return false;
      f.counterexample = candidate;
      f.violation = *j.violation;
      f.shrink_steps++;
      return true;
    };
    for (bool changed = true; changed;) {
      changed = false;
      const Scenario& s = f.counterexample;
      for (int t = 0; t < static_cast<int>(s.threads.size()) && !changed; ++t) {
        if (s.threads.size() == 1) break;
        // An entry naming a thread that cannot run lets the last one go on:
        // first try that thread in its place, then no entry at all.
        for (bool substitute : {true, false}) {
          if (changed) break;
          Scenario c = s;
          c.threads.erase(c.threads.begin() + t);
          c.schedule.clear();
          for (int th : s.schedule) {
            if (th != t) c.schedule.push_back(th > t ? th - 1 : th);
            else if (substitute) c.schedule.push_back(c.schedule.empty() ? 0 : c.schedule.back());
          }
          if (c.threads.size() == 1) c.schedule.clear();
          changed = keep_if_fails(c);
        }
      }
      if (s.schedule.empty() && s.threads.size() > 1 && !changed) {
        // Without a schedule the threads run one after the other: as one thread.
        Scenario c = s;
        c.threads.assign(1, {});
        for (const auto& calls : s.threads) c.threads[0].insert(c.threads[0].end(), calls.begin(), calls.end());
        changed = keep_if_fails(c);
      }
      for (int i = static_cast<int>(s.schedule.size()) - 1; i >= 0 && !changed; --i) {
        Scenario c = s;
        c.schedule.erase(c.schedule.begin() + i);
        changed = keep_if_fails(c);
      }
      for (size_t i = 0; i < s.faults.size() && !changed; ++i) {
        if (s.faults[i].err == 0) continue;
        Scenario c = s;
        c.faults[i].err = 0;
        changed = keep_if_fails(c);
      }
    }
  }

  void report_progress(bool shrinking) {
    CheckProgress p;
    p.tests_done = result_.tests;
    p.tests_total = planned_tests(o_);
    p.violated = static_cast<int>(result_.findings.size());
    p.shrinking = shrinking;
    o_.progress(p);
  }

  const CheckOptions& o_;
  GenOptions go_;
  std::optional<rc::Gen<Scenario>> gen_;
  RefinementObserver observer_;
  CheckResult result_;
};

}  // namespace

CheckResult check(const CheckOptions& o) {
  if (std::string bad = impl::unknown_variant(o.variant); !bad.empty()) throw std::invalid_argument("--variant: " + bad);
  if (o.tests < 1) throw std::invalid_argument("--tests: must be 1 or more, got " + std::to_string(o.tests));
  std::string shard = std::to_string(o.shard) + "/" + std::to_string(o.shards);
  if (o.shards < 1 || o.shard < 1 || o.shard > o.shards)
    throw std::invalid_argument("--shard: " + shard + " is not i/N with 1 <= i <= N");
  if (o.shards > o.tests)
    throw std::invalid_argument("--shard: " + std::to_string(o.shards) + " shards for " + std::to_string(o.tests) +
                                " tests (at most one shard per test)");
  CheckOptions fixed = o;
  fixed.gen.variant = o.variant;
  fixed.gen.mode = o.mode;
  return engine(fixed).go();
}

EngineReport check_variant(const CheckOptions& o) { return check(o).report; }

CheckResult merge_checks(const CheckOptions& o, const std::vector<CheckResult>& shards) {
  CheckResult out;
  for (const CheckResult& r : shards) {
    out.tests += r.tests, out.runs += r.runs, out.calls += r.calls;
    out.report.seconds += r.report.seconds;
    out.undecided += r.undecided, out.runs_ended += r.runs_ended;
    out.unjudged |= r.unjudged;
    if (r.first_undecided_test >= 0 && (out.first_undecided_test < 0 || r.first_undecided_test < out.first_undecided_test))
      out.first_undecided_test = r.first_undecided_test, out.first_undecided = r.first_undecided;
    if (out.cut.empty()) out.cut = r.cut;
    if (out.divergence.empty()) out.divergence = r.divergence, out.divergence_scenario = r.divergence_scenario;
    out.findings.insert(out.findings.end(), r.findings.begin(), r.findings.end());
  }
  // One pass finds each property at the lowest index that shows it, and a
  // Scenario's findings in the order its run shows them (kept by the stable sort).
  std::stable_sort(out.findings.begin(), out.findings.end(),
                   [](const CheckFinding& a, const CheckFinding& b) { return a.test < b.test; });
  PropertySet seen;
  std::erase_if(out.findings, [&](const CheckFinding& f) {
    bool again = has(seen, f.property);
    seen.set(static_cast<size_t>(f.property));
    return again;
  });
  judge_outcomes(o, out);
  return out;
}

Counterexample finding_file(const CheckFinding& f) {
  // Judged on its own property alone, so that no property found earlier masks it.
  std::string calls;
  for (size_t t = 0; t < f.counterexample.threads.size(); ++t)
    for (const Call& c : f.counterexample.threads[t])
      calls += (calls.empty() ? "" : ", ") + std::string("T") + std::to_string(t) + " " + describe_call(c);
  return finding_counterexample(f.counterexample, f.checked, "check",
                                "luv check: " + calls + (f.counterexample.schedule.empty() ? "" : " (scheduled)"),
                                f.violation.message);
}

std::string save_counterexample(const std::string& dir, const CheckFinding& f) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create directory (" + ec.message() + ")");
  std::string path = (std::filesystem::path(dir) / (f.counterexample.variant + "-" + caller_mode_name(f.counterexample.mode) +
                                                     "-" + property_name(f.property) + ".json"))
                         .string();
  if (!write_counterexample_file(path, finding_file(f))) throw std::runtime_error(path + ": cannot write");
  return path;
}

}  // namespace luv
