#include "counterexamples/replay.h"

#include <map>

#include "linux/errno.h"

namespace luv {

namespace {

struct Vote {
  std::string judge;
  std::string value;
};

// Who is out of line among votes that are not all equal: those outside a
// strict majority, or everyone when there is none.
std::vector<std::string> out_of_line(const std::vector<Vote>& votes) {
  std::map<std::string, int> count;
  for (const Vote& v : votes) count[v.value]++;
  std::vector<std::string> odd;
  for (const auto& [value, n] : count) {
    if (2 * n <= static_cast<int>(votes.size())) continue;
    for (const Vote& v : votes)
      if (v.value != value) odd.push_back(v.judge);
    return odd;
  }
  for (const Vote& v : votes) odd.push_back(v.judge);
  return odd;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

std::optional<Disagreement> judge_votes(const std::vector<Vote>& votes, int step, const std::string& what) {
  bool same = true;
  for (const Vote& v : votes) same &= v.value == votes.front().value;
  if (same) return std::nullopt;
  Disagreement d;
  d.judges = out_of_line(votes);
  d.step = step;
  std::string said;
  for (const Vote& v : votes) said += (said.empty() ? "" : ", ") + v.judge + " " + v.value;
  bool majority = d.judges.size() < votes.size();
  d.message = (majority ? join_names(d.judges) + (d.judges.size() == 1 ? " disagrees" : " disagree")
                        : join_names(d.judges) + " disagree") +
              " at step " + std::to_string(step) + " on " + what + ": " + said;
  return d;
}

std::string verdict_value(const ExpectedVerdict& v, bool place) {
  if (v.ok) return "ok";
  std::string out = property_name(v.property);
  if (place) out += " (T" + std::to_string(v.thread) + " call " + std::to_string(v.call) + ")";
  return out;
}

}  // namespace

std::optional<Disagreement> compare_judges(const RunResult& runner, const std::vector<std::string>& names,
                                           const std::vector<JudgeOpinion>& opinions) {
  // Each judge's predictions by call, in its order: looked up per call, not
  // searched, so the comparison grows with the calls, not with their square.
  std::vector<std::map<std::pair<int, int>, std::vector<int>>> predicted(opinions.size());
  for (size_t j = 0; j < opinions.size(); ++j)
    if (opinions[j].applies)
      for (const PredictedCall& p : opinions[j].calls) predicted[j][{p.thread, p.index}].push_back(p.ret);
  // Calls, in the order the Runner completed them: the earliest difference wins.
  for (const CallRecord& r : runner.calls) {
    if (r.returned_void) continue;
    std::vector<Vote> votes{{"runner", impl::errno_name(r.ret)}};
    for (size_t j = 0; j < opinions.size(); ++j) {
      auto it = predicted[j].find({r.thread, r.index});
      if (it == predicted[j].end()) continue;
      for (int ret : it->second) votes.push_back({names[j], impl::errno_name(ret)});
    }
    auto d = judge_votes(votes, r.last_step,
                         "the result of T" + std::to_string(r.thread) + " call " + std::to_string(r.index) + " " +
                             describe_call(r.call));
    if (d) return d;
  }
  // Then the verdict, where it was reached.
  ExpectedVerdict seen = expected_from(runner.verdict);
  int step = runner.verdict.violation ? runner.verdict.violation->step : runner.steps;
  for (int place = 0; place < 2; ++place) {
    std::vector<Vote> votes{{"runner", verdict_value(seen, place)}};
    for (size_t j = 0; j < opinions.size(); ++j) {
      const JudgeOpinion& o = opinions[j];
      if (!o.applies || !o.verdict || (place && !o.verdict_has_place)) continue;
      votes.push_back({names[j], verdict_value(*o.verdict, place)});
    }
    if (auto d = judge_votes(votes, step, "the verdict")) return d;
  }
  return std::nullopt;
}

ReplayReport replay(const Counterexample& c, const std::vector<Judge>& judges, bool trace) {
  ReplayReport report;
  report.counterexample = c;
  RunOptions options;
  options.trace = trace;
  options.properties = c.checked;
  report.result = run(c.scenario, options);
  report.mismatch = verdict_mismatch(c.expected, report.result.verdict);
  if (report.mismatch.empty()) report.mismatch = path_mismatch(c.expected, report.result);
  report.judges.push_back("runner");
  std::vector<std::string> names;
  std::vector<JudgeOpinion> opinions;
  for (const Judge& j : judges) {
    JudgeOpinion o = j.judge(c.scenario, report.result, c.checked);
    if (!o.applies) {
      report.not_judging.push_back(j.name + ": " + o.why_not);
      continue;
    }
    report.judges.push_back(j.name);
    names.push_back(j.name);
    opinions.push_back(std::move(o));
  }
  report.disagreement = compare_judges(report.result, names, opinions);
  return report;
}

}  // namespace luv
