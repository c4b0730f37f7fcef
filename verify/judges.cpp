#include "verify/judges.h"

#include <algorithm>
#include <limits>
#include <map>

#include "check/check.h"
#include "impl/world.h"
#include "model/model.h"
#include "solver/predict.h"

namespace luv {

namespace {

// Per call: when it started and ended (steps) and the faults fired inside it.
struct CallSpan {
  int thread = 0, index = 0;
  int first = 0, last = -1;  // last -1: still running when the run ended
  std::vector<model::FaultHit> faults;
};

class span_observer : public RunObserver {
 public:
  std::vector<CallSpan> spans;  // in the order the calls started
  void on_call_start(const impl::World&, int thread, const Call&) override {
    if (open_.size() <= static_cast<size_t>(thread)) open_.resize(static_cast<size_t>(thread) + 1, -1);
    open_[thread] = static_cast<int>(spans.size());
    spans.push_back({thread, next_index_[thread]++, step_, -1, {}});
  }
  void on_step(const impl::World& w, int thread) override {
    for (; seen_ < w.faults_fired.size(); ++seen_)
      if (CallSpan* s = open(thread)) s->faults.push_back({w.faults_fired[seen_].site, w.faults_fired[seen_].err});
    ++step_;
  }
  std::optional<std::string> on_call_end(const impl::World&, const CallRecord& r) override {
    if (CallSpan* s = open(r.thread)) s->last = r.last_step;
    open_[r.thread] = -1;
    return std::nullopt;
  }

 private:
  // The thread's call in progress, if any (each thread runs one call at a time).
  CallSpan* open(int thread) {
    if (thread < 0 || static_cast<size_t>(thread) >= open_.size() || open_[thread] < 0) return nullptr;
    return &spans[static_cast<size_t>(open_[thread])];
  }
  std::map<int, int> next_index_;
  std::vector<int> open_;  // per thread: index in spans of its open call, -1 none
  size_t seen_ = 0;
  int step_ = 0;
};

// Which spans overlap another in time (a span still running when the run
// ended lasts for ever), in O(n log n): spans are in start order, so those
// starting no later than a span's end are a prefix; it overlaps one of them
// (other than itself) when the latest end in that prefix, leaving itself
// out, is no earlier than its start.
std::vector<bool> overlapping(const std::vector<CallSpan>& spans) {
  auto end_of = [](const CallSpan& s) { return s.last < 0 ? std::numeric_limits<int>::max() : s.last; };
  size_t n = spans.size();
  std::vector<int> best(n), second(n);  // per prefix [0, i]: the latest end, and the latest but for best's span
  std::vector<size_t> best_at(n);
  for (size_t i = 0; i < n; ++i) {
    int e = end_of(spans[i]);
    int b = i ? best[i - 1] : std::numeric_limits<int>::min(), s2 = i ? second[i - 1] : std::numeric_limits<int>::min();
    size_t at = i ? best_at[i - 1] : 0;
    if (e >= b) s2 = b, b = e, at = i;
    else s2 = std::max(s2, e);
    best[i] = b, second[i] = s2, best_at[i] = at;
  }
  std::vector<bool> out(n, false);
  for (size_t i = 0; i < n; ++i) {
    // The prefix of spans starting at or before this one's end.
    size_t k = static_cast<size_t>(std::upper_bound(spans.begin(), spans.end(), end_of(spans[i]),
                                                    [](int v, const CallSpan& s) { return v < s.first; }) -
                                   spans.begin());
    if (k == 0) continue;
    int latest = best_at[k - 1] == i ? second[k - 1] : best[k - 1];
    out[i] = latest >= spans[i].first;
  }
  return out;
}

}  // namespace

Judge model_judge([[maybe_unused]] int wrong_call) {
  return Judge{"model", [wrong_call](const Scenario& s, const RunResult& r, const PropertySet&) {
                 JudgeOpinion o;
                 if (s.variant != "reference") {
                   o.applies = false;
                   o.why_not = "the model specifies the reference only";
                   return o;
                 }
                 if (std::string why = model::model_supports(s.topology); !why.empty()) {
                   o.applies = false;
                   o.why_not = why;
                   return o;
                 }
                 span_observer spans;
                 RunOptions options;
                 options.observer = &spans;
                 options.properties = PropertySet();  // the calls as they run, whatever they break
                 run(s, options);
                 model::Model m(s.topology);
                 model::State state = m.initial();
                 int judged = 0;
                 std::vector<bool> overlaps = overlapping(spans.spans);
                 std::vector<size_t> done;  // indices of calls that returned, in the order they did
                 for (size_t i = 0; i < spans.spans.size(); ++i)
                   if (spans.spans[i].last >= 0) done.push_back(i);
                 std::stable_sort(done.begin(), done.end(),
                                  [&](size_t a, size_t b) { return spans.spans[a].last < spans.spans[b].last; });
                 std::map<std::pair<int, int>, int> runner_ret;  // (thread, index) -> what the Runner's call returned
                 for (const CallRecord& rec : r.calls) runner_ret[{rec.thread, rec.index}] = rec.ret;
                 for (size_t i : done) {
                   const CallSpan& c = spans.spans[i];
                   // Overlapping calls are linearizability's business (model-refinement).
                   if (overlaps[i] || c.faults.size() > 1) break;
                   const Call& call = s.threads[c.thread][c.index];
                   std::vector<model::CallOutcome> outs =
                       model::run_call(m, state, call, c.faults.empty() ? nullptr : &c.faults.front());
                   if (outs.empty()) break;
                   // The model may allow several outcomes: it agrees when the Runner's is one of them.
                   const model::CallOutcome* pick = &outs.front();
                   if (auto it = runner_ret.find({c.thread, c.index}); it != runner_ret.end())
                     for (const model::CallOutcome& out : outs)
                       if (out.ret == it->second) pick = &out;
                   int ret = pick->ret;
                   state = pick->next;
                   o.calls.push_back({c.thread, c.index, ret});
                   if (judged == wrong_call) o.calls.back().ret = ret == 0 ? -22 : 0;
                   ++judged;
                 }
                 if (judged == 0) {
                   o.applies = false;
                   o.why_not = "no call ran alone (calls overlap: model-refinement judges those)";
                 }
                 return o;
               }};
}

Judge solver_judge() {
  return Judge{"solver", [](const Scenario& s, const RunResult& r, const PropertySet& checked) {
                 JudgeOpinion o;
                 solver::Prediction p = solver::predict(s);
                 if (!p.unsupported.empty()) {
                   o.applies = false;
                   o.why_not = p.unsupported;
                   return o;
                 }
                 for (size_t i = 0; i < p.rets.size() && i < p.origin.size(); ++i)
                   o.calls.push_back({p.origin[i].first, p.origin[i].second, p.rets[i]});
                 const std::optional<Violation>& seen = r.verdict.violation;
                 bool masked = p.violation && seen && seen->property == PropertyId::model_refinement &&
                               seen->thread == p.origin[p.violation_call].first &&
                               seen->call == p.origin[p.violation_call].second;
                 if (masked) {
                   // The Runner reports model-refinement at a call's return before the
                   // quiescent-point checks; the encoding does not decide it.
                 } else if (p.violation) {
                   // The first property of the checked set violated at that call; the
                   // encoding's paths end there, so with none checked it says nothing.
                   std::optional<PropertyId> first;
                   for (PropertyId q : solver::CHECKED)
                     if (!first && has(checked, q) &&
                         std::find(p.violated.begin(), p.violated.end(), q) != p.violated.end())
                       first = q;
                   if (!first) return o;
                   ExpectedVerdict v;
                   v.ok = false;
                   v.property = *first;
                   v.thread = p.origin[p.violation_call].first;
                   v.call = p.origin[p.violation_call].second;
                   o.verdict = v;
                   o.verdict_has_place = true;
                 } else if (r.verdict.violation && r.verdict.violation->thread >= 0 &&
                            solver::checked_index(r.verdict.violation->property) >= 0) {
                   // The encoding decides this property at calls: its silence is a verdict.
                   o.verdict = ExpectedVerdict{};
                 }
                 return o;
               }};
}

std::vector<Judge> linked_judges() { return {model_judge(), solver_judge()}; }

}  // namespace luv
