#include "linearizability.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>

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

// Fixed-width byte strings, each stored once in one arena: the memo holds
// up to millions of configurations, and a node-based set would cost an
// allocation and ~50 bytes of overhead for each.
class key_set {
 public:
  explicit key_set(size_t width) : width_(width), slots_(size_t{1} << 12, 0) {}

  // True when `key` was not in the set; it is now.
  bool insert(const std::uint8_t* key) {
    if ((count_ + 1) * 4 > slots_.size() * 3) grow();
    std::uint64_t h = hash(key);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == 0) {
        arena_.insert(arena_.end(), key, key + width_);
        slots_[i] = slot(h, count_++);
        return true;
      }
      if ((slots_[i] >> 32) == (h >> 32) && std::equal(key, key + width_, at(slots_[i]))) return false;
    }
  }
  size_t size() const { return count_; }

 private:
  // A slot: the hash's high half beside the key's index plus one (0 is empty).
  static std::uint64_t slot(std::uint64_t h, size_t index) { return (h >> 32 << 32) | (index + 1); }
  const std::uint8_t* at(std::uint64_t slot) const { return arena_.data() + ((slot & 0xffffffffu) - 1) * width_; }
  std::uint64_t hash(const std::uint8_t* key) const {
    return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(key), width_));
  }
  void grow() {
    std::vector<std::uint64_t> old(slots_.size() * 2, 0);
    old.swap(slots_);
    for (std::uint64_t s : old) {
      if (s == 0) continue;
      std::uint64_t h = hash(at(s));
      size_t i = h & (slots_.size() - 1);
      while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
    }
  }

  size_t width_;
  std::vector<std::uint8_t> arena_;
  std::vector<std::uint64_t> slots_;
  size_t count_ = 0;
};

// More than the Runner can schedule (a 32-bit mask of runnable threads).
constexpr int THREADS_MAX = 64;

// The general search: depth first over configurations, each thread's
// position changed in place and restored on the way back.
class searcher {
 public:
  searcher(const model::Model& m, const std::vector<HistoryCall>& calls, const model::Abstract& target,
           const LinearizeOptions& options)
      : m_(m), calls_(calls), target_(target), options_(options), seen_(key_width(m, calls)) {
    int threads = 0;
    for (const HistoryCall& c : calls) threads = std::max(threads, c.thread + 1);
    by_thread_.resize(threads);
    for (int i = 0; i < static_cast<int>(calls.size()); ++i) by_thread_[calls[i].thread].push_back(i);
    for (auto& list : by_thread_)
      std::sort(list.begin(), list.end(), [&](int a, int b) { return calls[a].index < calls[b].index; });
    real_time_order();
    pos_.assign(threads, thread_pos{});
    key_.resize(key_width(m, calls));
  }

  // First the goal-directed search; when it finds no linearization, the
  // plain one again for the message (the closest order and its state diff).
  Linearization run(const std::vector<State>& starts) {
    goals_ = end_candidates(starts);
    found_.assign(goals_.size(), false);
    search(starts, true);
    Linearization r;
    r.nodes = static_cast<long long>(seen_.size());
    if (cut_) {
      r.undecided = true;
      r.why = "undecided: the linearizability search of " + std::to_string(calls_.size()) + " overlapping calls of " +
              std::to_string(by_thread_.size()) + " threads stopped at its bound of " +
              std::to_string(options_.configurations_max) + " configurations (a limit of the checker)";
      return r;
    }
    r.finals = finals_;
    if (finals_.empty()) {
      search(starts, false);
      r.why = failure_message();
    }
    return r;
  }

 private:
  struct thread_pos {
    std::uint16_t done = 0;  // calls of this thread completed in the order
    Progress progress;
    bool fault_used = false;
  };

  // Bytes of a configuration: the model state (files, domains, the
  // topology's devices, warnings, teardown) and 6 per thread.
  static size_t key_width(const model::Model& m, const std::vector<HistoryCall>& calls) {
    int threads = 0;
    for (const HistoryCall& c : calls) threads = std::max(threads, c.thread + 1);
    return 9 + m.topology().devices.size() + 6 * static_cast<size_t>(threads);
  }

  // Every model state the segment may end in: one that projects to the
  // target. The preserved files, domains and devices are read off the
  // target; only which WARN_ON_ONCE sites fired is ambiguous (several sites
  // warn from one function), and warnings are never cleared, so a site a
  // start state has fired has fired at the end too.
  std::vector<State> end_candidates(const std::vector<State>& starts) const {
    State base;
    base.files = target_.files_preserved;
    for (int d = 0; d < target_.domains && d < model::DOMAINS_MAX; ++d)
      if (target_.domain[d] == 1) base.domains |= static_cast<std::uint16_t>(1u << d);
    for (int v = 0; v < target_.devices && v < model::DEVICES_MAX; ++v)
      if (target_.device[v] >= 0) base.device_domain[v] = target_.device[v];
    std::vector<State> out;
    for (unsigned warned = 0; warned < 1u << model::WARN_SITE_COUNT; ++warned) {
      State c = base;
      c.warned = static_cast<std::uint16_t>(warned);
      bool after_a_start = std::any_of(starts.begin(), starts.end(),
                                       [&](const State& s) { return (s.warned & ~c.warned) == 0; });
      if (after_a_start && m_.project(c) == target_) out.push_back(c);
    }
    return out;
  }

  // `goal_directed`: prune every configuration whose warnings already
  // exclude each end state not yet reached, and stop once all are reached.
  // Otherwise the whole space, for the closest mismatch.
  void search(const std::vector<State>& starts, bool goal_directed) {
    goal_directed_ = goal_directed;
    seen_ = key_set(key_.size());
    stop_ = false;
    for (const State& s : starts) visit(s);
  }

  bool may_reach_a_goal(const State& s) const {
    for (size_t g = 0; g < goals_.size(); ++g)
      if (!found_[g] && (s.warned & ~goals_[g].warned) == 0) return true;
    return false;
  }

  // Real time: a call may be linearized only after every call that returned
  // before it started. Each thread's calls are sequential, so those of
  // thread u are a prefix of its list: need_[c][u] is that prefix's length.
  void real_time_order() {
    need_.assign(calls_.size(), std::vector<std::uint16_t>(by_thread_.size(), 0));
    overlapped_.assign(calls_.size(), false);
    for (size_t a = 0; a < calls_.size(); ++a)
      for (size_t b = 0; b < calls_.size(); ++b) {
        if (calls_[b].last_step < calls_[a].first_step) need_[a][calls_[b].thread]++;
        if (a != b && calls_[b].first_step <= calls_[a].last_step && calls_[a].first_step <= calls_[b].last_step)
          overlapped_[a] = true;
      }
  }

  bool may_start(int ci) const {
    for (size_t u = 0; u < pos_.size(); ++u)
      if (pos_[u].done < need_[ci][u]) return false;
    return true;
  }

  void write_key(const State& s) {
    std::uint8_t* k = key_.data();
    auto put = [&k](const void* p, size_t n) {
      std::memcpy(k, p, n);
      k += n;
    };
    put(&s.files, 4);
    put(&s.domains, 2);
    put(s.device_domain.data(), m_.topology().devices.size());
    put(&s.warned, 2);
    *k++ = s.teardown_pending ? 1 : 0;
    for (const thread_pos& p : pos_) {
      put(&p.done, 2);
      *k++ = p.progress.pc;
      put(&p.progress.saved, 2);
      *k++ = p.fault_used ? 1 : 0;
    }
  }

  void visit(const State& s) {
    if (cut_ || stop_) return;
    if (goal_directed_ && !may_reach_a_goal(s)) return;
    write_key(s);
    if (!seen_.insert(key_.data())) return;
    if (static_cast<long long>(seen_.size()) >= options_.configurations_max) {
      // Only the goal-directed search decides; the plain one only words the message.
      if (goal_directed_) cut_ = true;
      stop_ = true;
      return;
    }
    // The call holding the FLB returns here and the deferred teardown runs.
    if (s.teardown_pending && !s.flb()) visit(model::teardown(s));
    // Threads whose current call returned first go first: the implementation
    // took effect in about that order, so the first path tried usually fits.
    std::array<std::uint8_t, THREADS_MAX> threads;
    size_t open = 0;
    for (size_t t = 0; t < by_thread_.size(); ++t)
      if (pos_[t].done < by_thread_[t].size()) threads[open++] = static_cast<std::uint8_t>(t);
    std::sort(threads.begin(), threads.begin() + open,
              [&](int a, int b) { return current(a).last_step < current(b).last_step; });
    for (size_t i = 0; i < open; ++i) step(s, threads[i]);
    if (open == 0 && !s.teardown_pending) reached_end(s);
  }

  const HistoryCall& current(int t) const { return calls_[by_thread_[t][pos_[t].done]]; }

  // The next operation of thread t's current call, every outcome the model allows.
  void step(const State& s, size_t t) {
    const thread_pos p = pos_[t];
    int ci = by_thread_[t][p.done];
    const HistoryCall& c = calls_[ci];
    if (p.progress.pc == 0 && !may_start(ci)) return;
    if (c.faults.size() > 1) return;  // the model fails a call at its first fault
    const FaultHit* fault = c.faults.empty() || p.fault_used ? nullptr : &c.faults.front();
    std::optional<model::Op> op = model::call_next_op(m_.topology(), c.call, p.progress);
    if (!op) return;
    std::vector<model::OpOutcome> outs;
    model::apply(m_, s, *op, fault, outs, overlapped_[ci]);
    for (const model::OpOutcome& o : outs) {
      thread_pos np = p;
      np.fault_used = p.fault_used || o.fault_used;
      int ret = 0;
      bool returned = model::call_advance(c.call, np.progress, o.ret, &ret);
      if (returned) {
        if (ret != c.ret || np.fault_used != !c.faults.empty()) continue;
        np = thread_pos{static_cast<std::uint16_t>(p.done + 1), Progress{}, false};
        order_.push_back(ci);
      }
      pos_[t] = np;
      visit(o.next);
      pos_[t] = p;
      if (returned) order_.pop_back();
    }
  }

  void reached_end(const State& s) {
    if (goal_directed_) {
      for (size_t g = 0; g < goals_.size(); ++g) {
        if (found_[g] || !(goals_[g] == s)) continue;
        found_[g] = true;
        finals_.push_back(s);
        stop_ = std::find(found_.begin(), found_.end(), false) == found_.end();
      }
      return;
    }
    if (!mismatch_.empty()) return;
    model::Abstract got = m_.project(s);
    if (got == target_) return;  // not after a goal-directed search that found none
    mismatch_ = model::abstract_diff(got, target_);
    for (int ci : order_)
      mismatch_order_ += (mismatch_order_.empty() ? "" : ", ") + std::string("T") + std::to_string(calls_[ci].thread) +
                         " call " + std::to_string(calls_[ci].index);
    stop_ = true;  // the first mismatch is the message
  }

  std::string failure_message() const {
    std::string list;
    for (const HistoryCall& c : calls_) list += (list.empty() ? "" : "; ") + describe_history_call(c);
    if (!mismatch_.empty())
      return "the overlapping calls [" + list + "] fit the model's results in the order [" + mismatch_order_ +
             "] but the state differs: " + mismatch_;
    return "no order of the overlapping calls [" + list + "] gives the results they returned";
  }

  const model::Model& m_;
  const std::vector<HistoryCall>& calls_;
  const model::Abstract& target_;
  const LinearizeOptions& options_;
  std::vector<std::vector<int>> by_thread_;
  std::vector<std::vector<std::uint16_t>> need_;
  std::vector<bool> overlapped_;  // the call overlaps another in real time
  std::vector<thread_pos> pos_;   // the configuration being expanded
  std::vector<int> order_;        // calls completed on the way to it, for messages
  std::vector<std::uint8_t> key_;
  key_set seen_;
  std::vector<State> goals_;  // the end states that project to the target
  std::vector<bool> found_;
  bool goal_directed_ = true;
  bool stop_ = false;  // every goal reached, or the message found
  bool cut_ = false;   // the goal-directed search reached its bound: undecided
  std::vector<State> finals_;
  std::string mismatch_, mismatch_order_;
};

}  // namespace

Linearization linearize(const model::Model& m, const std::vector<State>& starts, const std::vector<HistoryCall>& calls,
                        const model::Abstract& target, const LinearizeOptions& options) {
  if (calls.size() == 1) return linearize_one(m, starts, calls.front(), target);
  for (const HistoryCall& c : calls) {
    if (c.thread < THREADS_MAX) continue;
    Linearization r;
    r.undecided = true;
    r.why = "undecided: the linearizability search takes at most " + std::to_string(THREADS_MAX) + " threads";
    return r;
  }
  if (calls.empty()) {
    Linearization r;
    for (const State& s : starts)
      if (m.project(s) == target) r.finals.push_back(s);
    if (r.finals.empty() && !starts.empty()) r.why = "the state differs: " + model::abstract_diff(m.project(starts.front()), target);
    return r;
  }
  return searcher(m, calls, target, options).run(starts);
}

}  // namespace luv
