#include "linearizability.h"

#include <algorithm>
#include <unordered_set>

#include "linux/errno.h"
#include "runner.h"

namespace luv {

using model::FaultHit;
using model::Progress;
using model::State;

std::string describe_history_call(const HistoryCall& c) {
  std::string out = "T" + std::to_string(c.thread) + " call " + std::to_string(c.index) + " " + describe_call(c.call);
  out += " = " + impl::errno_name(c.ret);
  out += " (steps " + std::to_string(c.first_step) + "-" + std::to_string(c.last_step) + ")";
  for (const FaultHit& f : c.faults)
    out += std::string(" [fault ") + impl::fault_site_name(f.site) + " " + impl::errno_name(f.err) + "]";
  return out;
}

namespace {

std::string results_text(const std::vector<model::CallOutcome>& outs, const model::Model& m) {
  std::string text;
  for (const model::CallOutcome& o : outs)
    text += (text.empty() ? "" : " or ") + impl::errno_name(o.ret) + " leaving " + describe(m.project(o.next));
  return text;
}

// One call alone between two quiescent points: the common case, and the one
// whose message can say exactly what the model expected.
Linearization linearize_one(const model::Model& m, const std::vector<State>& starts, const HistoryCall& c,
                            const model::Abstract& target) {
  Linearization r;
  std::string name = describe_call(c.call);
  if (c.faults.size() > 1) {
    r.why = name + ": " + std::to_string(c.faults.size()) + " faults fired in one call; the first must end it";
    return r;
  }
  const FaultHit* fault = c.faults.empty() ? nullptr : &c.faults.front();
  std::vector<model::CallOutcome> allowed;
  for (const State& s : starts) {
    for (const model::CallOutcome& o : model::run_call(m, s, c.call, fault)) {
      r.nodes++;
      allowed.push_back(o);
      if (o.ret == c.ret && m.project(o.next) == target &&
          std::find(r.finals.begin(), r.finals.end(), o.next) == r.finals.end())
        r.finals.push_back(o.next);
    }
  }
  if (!r.finals.empty()) return r;
  std::string got = impl::errno_name(c.ret);
  if (allowed.empty()) {
    r.why = name + ": fault " + impl::fault_site_name(fault->site) +
            " fired where the model has no such allocation or op call";
    return r;
  }
  for (const model::CallOutcome& o : allowed) {
    if (o.ret != c.ret) continue;
    r.why = name + " returned " + got + " as the model allows, but the state differs: " +
            model::abstract_diff(m.project(o.next), target);
    return r;
  }
  r.why = name + " returned " + got + "; the model allows " + results_text(allowed, m);
  return r;
}

// The general search. Threads and calls of the segment are few (the caller
// bounds them); the key packs each thread's position and the model state.
class searcher {
 public:
  searcher(const model::Model& m, const std::vector<HistoryCall>& calls, const model::Abstract& target)
      : m_(m), calls_(calls), target_(target) {
    int threads = 0;
    for (const HistoryCall& c : calls) threads = std::max(threads, c.thread + 1);
    by_thread_.resize(threads);
    for (int i = 0; i < static_cast<int>(calls.size()); ++i) by_thread_[calls[i].thread].push_back(i);
    for (auto& list : by_thread_)
      std::sort(list.begin(), list.end(), [&](int a, int b) { return calls[a].index < calls[b].index; });
    before_.assign(calls.size(), 0);
    overlapped_.assign(calls.size(), false);
    for (size_t a = 0; a < calls.size(); ++a)
      for (size_t b = 0; b < calls.size(); ++b) {
        if (calls[b].last_step < calls[a].first_step) before_[a] |= 1ull << b;
        if (a != b && calls[b].first_step <= calls[a].last_step && calls[a].first_step <= calls[b].last_step)
          overlapped_[a] = true;
      }
  }

  Linearization run(const std::vector<State>& starts) {
    for (const State& s : starts) {
      node n;
      n.state = s;
      n.pos.assign(by_thread_.size(), thread_pos{});
      visit(n);
    }
    Linearization r;
    r.finals = finals_;
    r.nodes = nodes_;
    if (finals_.empty()) {
      std::string list;
      for (const HistoryCall& c : calls_) list += (list.empty() ? "" : "; ") + describe_history_call(c);
      if (!mismatch_.empty())
        r.why = "the overlapping calls [" + list + "] fit the model's results in the order [" + mismatch_order_ +
                "] but the state differs: " + mismatch_;
      else
        r.why = "no order of the overlapping calls [" + list + "] gives the results they returned";
    }
    return r;
  }

 private:
  struct thread_pos {
    int done = 0;  // calls of this thread completed in the order
    Progress progress;
    bool fault_used = false;
  };
  struct node {
    State state;
    std::vector<thread_pos> pos;
    unsigned long long completed = 0;
    std::vector<int> order;  // completed calls, for messages
  };

  std::string key(const node& n) const {
    std::string k(reinterpret_cast<const char*>(&n.state.files), sizeof n.state.files);
    k.append(reinterpret_cast<const char*>(&n.state.domains), sizeof n.state.domains);
    k.append(reinterpret_cast<const char*>(n.state.device_domain.data()), n.state.device_domain.size());
    k.append(reinterpret_cast<const char*>(&n.state.warned), sizeof n.state.warned);
    k.push_back(n.state.teardown_pending ? 1 : 0);
    for (const thread_pos& p : n.pos) {
      k.push_back(static_cast<char>(p.done));
      k.push_back(static_cast<char>(p.progress.pc));
      k.append(reinterpret_cast<const char*>(&p.progress.saved), sizeof p.progress.saved);
      k.push_back(p.fault_used ? 1 : 0);
    }
    return k;
  }

  void visit(const node& n) {
    if (!seen_.insert(key(n)).second) return;
    nodes_++;
    if (n.state.teardown_pending && !n.state.flb()) {
      // The call holding the FLB returns here and the deferred teardown runs.
      node next = n;
      next.state = model::teardown(n.state);
      visit(next);
    }
    bool all_done = true;
    for (size_t t = 0; t < by_thread_.size(); ++t) {
      const thread_pos& p = n.pos[t];
      if (p.done >= static_cast<int>(by_thread_[t].size())) continue;
      all_done = false;
      int ci = by_thread_[t][p.done];
      const HistoryCall& c = calls_[ci];
      bool starting = p.progress.pc == 0;
      if (starting && (before_[ci] & ~n.completed) != 0) continue;  // real time: a predecessor is still open
      if (c.faults.size() > 1) continue;  // the model fails a call at its first fault
      const FaultHit* fault = c.faults.empty() || p.fault_used ? nullptr : &c.faults.front();
      std::optional<model::Op> op = model::call_next_op(m_.topology(), c.call, p.progress);
      if (!op) continue;
      std::vector<model::OpOutcome> outs;
      model::apply(m_, n.state, *op, fault, outs, overlapped_[ci]);
      for (const model::OpOutcome& o : outs) {
        node next = n;
        next.state = o.next;
        thread_pos& np = next.pos[t];
        np.fault_used = p.fault_used || o.fault_used;
        int ret = 0;
        if (model::call_advance(c.call, np.progress, o.ret, &ret)) {
          if (ret != c.ret || np.fault_used != !c.faults.empty()) continue;
          np = thread_pos{p.done + 1, Progress{}, false};
          next.completed |= 1ull << ci;
          next.order.push_back(ci);
        }
        visit(next);
      }
    }
    if (!all_done || n.state.teardown_pending) return;
    model::Abstract got = m_.project(n.state);
    if (got == target_) {
      if (std::find(finals_.begin(), finals_.end(), n.state) == finals_.end()) finals_.push_back(n.state);
    } else if (mismatch_.empty()) {
      mismatch_ = model::abstract_diff(got, target_);
      for (int ci : n.order)
        mismatch_order_ += (mismatch_order_.empty() ? "" : ", ") + std::string("T") +
                           std::to_string(calls_[ci].thread) + " call " + std::to_string(calls_[ci].index);
    }
  }

  const model::Model& m_;
  const std::vector<HistoryCall>& calls_;
  const model::Abstract& target_;
  std::vector<std::vector<int>> by_thread_;
  std::vector<unsigned long long> before_;
  std::vector<bool> overlapped_;  // the call overlaps another in real time
  std::unordered_set<std::string> seen_;
  std::vector<State> finals_;
  std::string mismatch_, mismatch_order_;
  int nodes_ = 0;
};

}  // namespace

Linearization linearize(const model::Model& m, const std::vector<State>& starts, const std::vector<HistoryCall>& calls,
                        const model::Abstract& target) {
  if (calls.size() == 1) return linearize_one(m, starts, calls.front(), target);
  if (calls.size() > 64) {
    Linearization r;
    r.why = "a segment of " + std::to_string(calls.size()) + " overlapping calls exceeds the search bound of 64";
    return r;
  }
  if (calls.empty()) {
    Linearization r;
    for (const State& s : starts)
      if (m.project(s) == target) r.finals.push_back(s);
    if (r.finals.empty() && !starts.empty()) r.why = "the state differs: " + model::abstract_diff(m.project(starts.front()), target);
    return r;
  }
  return searcher(m, calls, target).run(starts);
}

}  // namespace luv
