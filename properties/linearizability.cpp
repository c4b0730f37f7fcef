#include "properties/linearizability.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <string_view>

#include "linux/errno.h"
#include "properties/runner.h"

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

  // The key's index (in order of insertion), and whether it is new.
  std::pair<size_t, bool> insert(const std::uint8_t* key) {
    if ((count_ + 1) * 4 > slots_.size() * 3) grow();
    std::uint64_t h = hash(key);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == 0) {
        arena_.insert(arena_.end(), key, key + width_);
        slots_[i] = slot(h, count_++);
        return {count_ - 1, true};
      }
      if ((slots_[i] >> 32) == (h >> 32) && std::equal(key, key + width_, at(slots_[i])))
        return {(slots_[i] & 0xffffffffu) - 1, false};
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

// The general search: depth first over configurations, each thread's
// position changed in place and restored on the way back.
// Each thread's calls (indices into calls), in the thread's order.
std::vector<std::vector<int>> threads_of(const std::vector<HistoryCall>& calls) {
  int threads = 0;
  for (const HistoryCall& c : calls) threads = std::max(threads, c.thread + 1);
  std::vector<std::vector<int>> by_thread(static_cast<size_t>(threads));
  for (int i = 0; i < static_cast<int>(calls.size()); ++i) by_thread[calls[i].thread].push_back(i);
  for (auto& list : by_thread)
    std::sort(list.begin(), list.end(), [&](int a, int b) { return calls[a].index < calls[b].index; });
  return by_thread;
}

// Real time: a call may be linearized only after every call that returned
// before it started. Each thread's calls are sequential, so those of
// thread u are a prefix of its list: need_[c][u] is that prefix's length,
// found by binary search on the thread's return steps (which grow along
// its list). A call overlaps another when some call starting no later
// than its return returns no earlier than its start. O(n log n) in the
// calls, for segments of thousands of calls.
class real_time {
 public:
  real_time(const std::vector<HistoryCall>& calls, const std::vector<std::vector<int>>& by_thread)
      : calls_(calls), need_(calls.size(), std::vector<std::uint16_t>(by_thread.size(), 0)) {
    std::vector<std::vector<int>> returns(by_thread.size());
    for (size_t u = 0; u < by_thread.size(); ++u)
      for (int ci : by_thread[u]) returns[u].push_back(calls[ci].last_step);
    for (size_t a = 0; a < calls.size(); ++a)
      for (size_t u = 0; u < by_thread.size(); ++u)
        need_[a][u] = static_cast<std::uint16_t>(
            std::lower_bound(returns[u].begin(), returns[u].end(), calls[a].first_step) - returns[u].begin());
    overlapped_ = overlapping_calls();
  }

  // Whether call ci may be linearized once thread u has `done(u)` calls in the order.
  template <class Done>
  bool may_start(int ci, size_t threads, Done done) const {
    for (size_t u = 0; u < threads; ++u)
      if (done(u) < need_[ci][u]) return false;
    return true;
  }
  bool overlapped(int ci) const { return overlapped_[static_cast<size_t>(ci)]; }

 private:
  std::vector<bool> overlapping_calls() const {
    size_t n = calls_.size();
    std::vector<size_t> by_start(n);
    for (size_t i = 0; i < n; ++i) by_start[i] = i;
    std::sort(by_start.begin(), by_start.end(),
              [&](size_t a, size_t b) { return calls_[a].first_step < calls_[b].first_step; });
    // Over by_start[0..i]: the latest return, where it is, and the latest but for that call.
    std::vector<int> latest(n), second(n);
    std::vector<size_t> latest_at(n);
    for (size_t i = 0; i < n; ++i) {
      int e = calls_[by_start[i]].last_step;
      int l = i ? latest[i - 1] : std::numeric_limits<int>::min(), s2 = i ? second[i - 1] : std::numeric_limits<int>::min();
      size_t at = i ? latest_at[i - 1] : by_start[i];
      if (e >= l) s2 = l, l = e, at = by_start[i];
      else s2 = std::max(s2, e);
      latest[i] = l, second[i] = s2, latest_at[i] = at;
    }
    std::vector<bool> out(n, false);
    for (size_t a = 0; a < n; ++a) {
      size_t k = static_cast<size_t>(
          std::upper_bound(by_start.begin(), by_start.end(), calls_[a].last_step,
                           [&](int v, size_t b) { return v < calls_[b].first_step; }) - by_start.begin());
      if (k == 0) continue;
      int other = latest_at[k - 1] == a ? second[k - 1] : latest[k - 1];
      out[a] = other >= calls_[a].first_step;
    }
    return out;
  }

  const std::vector<HistoryCall>& calls_;
  std::vector<std::vector<std::uint16_t>> need_;  // need_[c][u]: calls of thread u that returned before c started
  std::vector<bool> overlapped_;  // the call overlaps another in real time
};

static_assert(SCENARIO_CALLS_PER_THREAD_MAX <= 0xffff, "thread_pos::done and need_ count a thread's calls in 16 bits");
struct thread_pos {
  std::uint16_t done = 0;  // calls of this thread completed in the order
  Progress progress;
  bool fault_used = false;
};


// Bytes of a configuration: the model state (files, domains, the
// topology's devices, warnings, the groups' claims and joins, teardown, the
// sessions' lists of files)
// and 6 per thread. Every field of model::State must be in it: two
// configurations the key cannot tell apart are searched once.
static_assert(sizeof(model::State) == 96, "a new model::State field must go into write_key() and key_width()");
size_t key_width(const model::Model& m, const std::vector<HistoryCall>& calls) {
  int threads = 0;
  for (const HistoryCall& c : calls) threads = std::max(threads, c.thread + 1);
  return 13 + m.topology().devices.size() + 2 * static_cast<size_t>(m.topology().files()) +
         6 * static_cast<size_t>(threads);
}


// The key of configuration (pos, s), into key (key_width bytes).
void write_key(std::vector<std::uint8_t>& key, const model::Model& m, const State& s, const std::vector<thread_pos>& pos) {
  std::uint8_t* k = key.data();
  auto put = [&k](const void* p, size_t n) {
    std::memcpy(k, p, n);
    k += n;
  };
  put(&s.files, 4);
  put(&s.domains, 2);
  put(s.device_domain.data(), m.topology().devices.size());
  put(&s.warned, 2);
  put(&s.released, 2);
  put(&s.grown, 2);
  *k++ = s.teardown_pending ? 1 : 0;
  put(s.listed.data(), static_cast<size_t>(m.topology().files()));
  put(s.listed_domain.data(), static_cast<size_t>(m.topology().files()));
  for (const thread_pos& p : pos) {
    put(&p.done, 2);
    *k++ = p.progress.pc;
    put(&p.progress.saved, 2);
    *k++ = p.fault_used ? 1 : 0;
  }
  // key_width() and this must agree byte for byte, or two configurations may share a key.
  if (k != key.data() + key.size()) throw std::logic_error("write_key: the key is not key_width() bytes");
}


class searcher {
 public:
  searcher(const model::Model& m, const std::vector<HistoryCall>& calls, const model::Abstract& target,
           const LinearizeOptions& options)
      : m_(m), calls_(calls), target_(target), options_(options), by_thread_(threads_of(calls)),
        order_(calls, by_thread_), seen_(key_width(m, calls)) {
    pos_.assign(by_thread_.size(), thread_pos{});
    key_.resize(key_width(m, calls));
    for (const HistoryCall& c : calls) mutex_of_.push_back(model::call_session_mutex(m.topology(), c.call));
  }

  // Decides, then, when no order fits, searches again for the message
  // (the closest order and its state diff).
  Linearization run(const std::vector<State>& starts) {
    Linearization r;
    for (const State& start : starts) {
      State bare = start;
      bare.warned = 0;
      std::uint32_t ends = decide(bare);
      if (cut_) break;
      for (std::uint32_t e : sets_[ends]) {
        State end = end_bares_[e >> 16];
        end.warned = static_cast<std::uint16_t>(start.warned | (e & 0xffffu));
        if (m_.project(end) == target_ && std::find(r.finals.begin(), r.finals.end(), end) == r.finals.end())
          r.finals.push_back(end);
      }
    }
    r.nodes = static_cast<long long>(seen_.size());
    if (cut_) {
      r.finals.clear();
      r.undecided = true;
      r.why = "undecided: the linearizability search of " + std::to_string(calls_.size()) + " overlapping calls of " +
              std::to_string(by_thread_.size()) + " threads stopped at its bound of " +
              std::to_string(options_.configurations_max) + " configurations (a limit of the checker)";
      return r;
    }
    if (r.finals.empty()) {
      seen_ = key_set(key_.size());
      for (const State& start : starts) explain(start);
      r.why = failure_message();
    }
    return r;
  }

 private:
  // Calls f(next, call) for every move from configuration (pos_, s): the
  // deferred teardown, and the next operation of each thread with every
  // outcome the model allows that fits the history; `call` is the call the
  // move completes, -1 for none. pos_ is the moved-to configuration's during
  // f, and restored after.
  template <typename F>
  void successors(const State& s, F&& f) {
    // The call holding the FLB returns here and the deferred teardown runs.
    if (s.teardown_pending && !s.flb()) f(model::teardown(s), -1);
    for (size_t t = 0; t < by_thread_.size(); ++t)
      if (pos_[t].done < by_thread_[t].size()) step(s, t, f);
  }

  template <typename F>
  void step(const State& s, size_t t, F& f) {
    const thread_pos p = pos_[t];
    int ci = by_thread_[t][p.done];
    const HistoryCall& c = calls_[ci];
    if (p.progress.pc == 0) {
      if (!order_.may_start(ci, pos_.size(), [this](size_t u) { return pos_[u].done; })) return;
      if (session_held(t, mutex_of_[ci])) return;  // it waits for the session's mutex
    }
    if (c.faults.size() > 1) return;  // the model fails a call at its first fault
    const FaultHit* fault = c.faults.empty() || p.fault_used ? nullptr : &c.faults.front();
    std::optional<model::Op> op = model::call_next_op(m_.topology(), c.call, p.progress);
    if (!op) return;
    std::vector<model::OpOutcome> outs;
    model::apply(m_, s, *op, fault, outs, order_.overlapped(ci));
    for (const model::OpOutcome& o : outs) {
      thread_pos np = p;
      np.fault_used = p.fault_used || o.fault_used;
      int ret = 0;
      bool returned = model::call_advance(c.call, np.progress, o.ret, &ret);
      if (returned) {
        if (ret != c.ret || np.fault_used != !c.faults.empty()) continue;
        np = thread_pos{static_cast<std::uint16_t>(p.done + 1), Progress{}, false};
      }
      pos_[t] = np;
      f(o.next, returned ? ci : -1);
      pos_[t] = p;
    }
  }

  // Whether a thread other than t is inside a call holding session's mutex
  // (one that has run an operation and not returned: pc 0 is only a call's
  // start). The kernel's calls holding one session's mutex never
  // interleave, so neither do their operations here.
  bool session_held(size_t t, int session) const {
    if (session < 0) return false;
    for (size_t u = 0; u < pos_.size(); ++u) {
      if (u == t || pos_[u].done >= by_thread_[u].size() || pos_[u].progress.pc == 0) continue;
      if (mutex_of_[by_thread_[u][pos_[u].done]] == session) return true;
    }
    return false;
  }

  // A move: the configuration it leads to and the call it completes (-1 none).
  struct move {
    std::vector<thread_pos> pos;
    State next;
    int completed;
  };
  std::vector<move> moves(const State& s) {
    std::vector<move> out;
    successors(s, [&](const State& next, int completed) { out.push_back(move{pos_, next, completed}); });
    return out;
  }

  bool all_done() const {
    for (size_t t = 0; t < by_thread_.size(); ++t)
      if (pos_[t].done < by_thread_[t].size()) return false;
    return true;
  }

  // The warnings no op reads: the model only sets them (WARN_ON_ONCE) and
  // project() counts them. So what a configuration can still do does not
  // depend on the warnings fired so far, and the memo leaves them out: a
  // configuration (positions, state without warnings) maps to the set of
  // ends fitting the target it can reach, each (end state without warnings,
  // warnings the moves to it add): an interned set of (index in end_bares_
  // << 16 | warning bits); empty when no end fits. This is what keeps
  // the search exhaustive yet small: the end states of a segment differ
  // only in which of several sites of one function warned, and proving one
  // unreachable costs no more than finding another.
  //
  // The search runs on an explicit stack, not the call stack: a segment of
  // thousands of overlapping calls is as many configurations deep.
  struct frame {
    size_t index;  // in the memo
    State bare;
    std::vector<thread_pos> pos;
    std::vector<move> moves;
    size_t next = 0;  // the move being followed
    std::vector<std::uint32_t> ends;
  };

  // The configuration (pos_, bare): its set of ends in *known when the memo
  // has it; else pushed on the stack to be expanded (true). cut_ when the
  // memo is full.
  bool enter(std::vector<frame>& stack, const State& bare, std::uint32_t* known) {
    write_key(key_, m_, bare, pos_);
    auto [index, fresh] = seen_.insert(key_.data());
    if (!fresh) {
      *known = ends_[index];
      return false;
    }
    if (static_cast<long long>(seen_.size()) >= options_.configurations_max) {
      cut_ = true;
      return false;
    }
    ends_.push_back(0);
    stack.push_back(frame{index, bare, pos_, moves(bare), 0, {}});
    return true;
  }

  // The ends reached through the top frame's current move, then the next move.
  void take(std::vector<frame>& stack, std::uint32_t set) {
    frame& f = stack.back();
    for (std::uint32_t e : sets_[set]) f.ends.push_back(e | f.moves[f.next].next.warned);
    f.next++;
  }

  // From the segment's start (every thread at its first call) in state s,
  // without warnings.
  std::uint32_t decide(const State& s) {
    pos_.assign(pos_.size(), thread_pos{});
    std::vector<frame> stack;
    std::uint32_t id = 0;
    if (!enter(stack, s, &id)) return cut_ ? 0 : id;
    while (!stack.empty()) {
      if (cut_) return 0;
      frame& f = stack.back();
      if (f.next < f.moves.size()) {
        pos_ = f.moves[f.next].pos;
        State bare = f.moves[f.next].next;
        bare.warned = 0;
        if (enter(stack, bare, &id) || cut_) continue;
        take(stack, id);
        continue;
      }
      pos_ = f.pos;
      if (all_done() && !f.bare.teardown_pending && fits_target_but_warnings(f.bare))
        f.ends.push_back(end_bare_index(f.bare) << 16);
      id = intern(std::move(f.ends));
      ends_[f.index] = id;
      stack.pop_back();
      if (!stack.empty()) take(stack, id);
    }
    return id;
  }

  bool fits_target_but_warnings(const State& s) const {
    model::Abstract got = m_.project(s);
    got.warnings = target_.warnings;
    return got == target_;
  }

  // The end states fitting the target differ at most in their warnings;
  // they are kept apart all the same, each by its index here.
  std::uint32_t end_bare_index(const State& s) {
    auto it = std::find(end_bares_.begin(), end_bares_.end(), s);
    if (it != end_bares_.end()) return static_cast<std::uint32_t>(it - end_bares_.begin());
    end_bares_.push_back(s);
    return static_cast<std::uint32_t>(end_bares_.size() - 1);
  }

  std::uint32_t intern(std::vector<std::uint32_t> set) {
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    auto [it, fresh] = set_ids_.try_emplace(set, static_cast<std::uint32_t>(sets_.size()));
    if (fresh) sets_.push_back(std::move(set));
    return it->second;
  }

  // The plain search, warnings and all, stopping at the first end state
  // that fits the results but not the target: the order and state diff the
  // message shows when no order fits. On an explicit stack, as decide().
  struct explain_frame {
    State s;
    std::vector<thread_pos> pos;
    int completed;  // the call the move here completed, -1 none
    std::vector<move> moves;
    size_t next = 0;
  };

  bool explain_enter(std::vector<explain_frame>& stack, const State& s, int completed) {
    write_key(key_, m_, s, pos_);
    if (!seen_.insert(key_.data()).second) return false;
    if (static_cast<long long>(seen_.size()) >= options_.configurations_max) return false;
    stack.push_back(explain_frame{s, pos_, completed, moves(s), 0});
    return true;
  }

  void explain(const State& start) {
    if (!mismatch_.empty()) return;
    pos_.assign(pos_.size(), thread_pos{});
    std::vector<explain_frame> stack;
    explain_enter(stack, start, -1);
    while (!stack.empty()) {
      explain_frame& f = stack.back();
      if (f.next < f.moves.size()) {
        const move& m = f.moves[f.next++];
        pos_ = m.pos;
        State next = m.next;
        explain_enter(stack, next, m.completed);
        continue;
      }
      pos_ = f.pos;
      if (all_done() && !f.s.teardown_pending) {
        model::Abstract got = m_.project(f.s);
        if (got != target_) {
          mismatch_ = model::abstract_diff(got, target_);
          for (const explain_frame& on_path : stack) {
            if (on_path.completed < 0) continue;
            const HistoryCall& c = calls_[on_path.completed];
            mismatch_order_ += (mismatch_order_.empty() ? "" : ", ") + std::string("T") + std::to_string(c.thread) +
                               " call " + std::to_string(c.index);
          }
          return;
        }
      }
      stack.pop_back();
    }
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
  std::vector<std::vector<int>> by_thread_;  // each thread's calls, in its order
  real_time order_;
  std::vector<int> mutex_of_;  // by call: the session whose mutex it holds, -1 none
  std::vector<thread_pos> pos_;   // the configuration being expanded
  std::vector<std::uint8_t> key_;
  key_set seen_;
  std::vector<std::uint32_t> ends_;  // by configuration index: its set of warnings to an end
  std::vector<std::vector<std::uint32_t>> sets_ = std::vector<std::vector<std::uint32_t>>(1);  // interned; 0 is {}
  std::map<std::vector<std::uint32_t>, std::uint32_t> set_ids_ = {{std::vector<std::uint32_t>(), 0}};
  std::vector<State> end_bares_;  // end states fitting the target but for warnings, warnings cleared
  bool cut_ = false;  // decide() reached the bound: undecided
  std::string mismatch_, mismatch_order_;
};

}  // namespace

Linearization linearize(const model::Model& m, const std::vector<State>& starts, const std::vector<HistoryCall>& calls,
                        const model::Abstract& target, const LinearizeOptions& options) {
  if (calls.size() == 1) return linearize_one(m, starts, calls.front(), target);
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
