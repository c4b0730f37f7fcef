#include "properties/linearizability.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "impl/shim/arena.h"
#include "linux/errno.h"
#include "properties/assert.h"
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

// Why no outcome of call c alone fits: what the model expected. Only on a
// violation, so it runs the call again rather than keep every outcome on
// the way (the success path builds no string and no list).
std::string one_call_failure(const model::Model& m, const std::vector<State>& starts, const HistoryCall& c,
                             const FaultHit* fault, const model::Abstract& target) {
  std::string name = describe_call(c.call), got = impl::errno_name(c.ret);
  std::vector<model::CallOutcome> allowed;
  for (const State& s : starts)
    for (const model::CallOutcome& o : model::run_call(m, s, c.call, fault)) allowed.push_back(o);
  if (allowed.empty())
    return name + ": fault " + impl::fault_site_name(fault->site) + " fired where the model has no such allocation or op call";
  for (const model::CallOutcome& o : allowed)
    if (o.ret == c.ret)
      return name + " returned " + got + " as the model allows, but the state differs: " +
             model::abstract_diff(m.project(o.next), target);
  return name + " returned " + got + "; the model allows " + results_text(allowed, m);
}

// One call alone between two quiescent points: the common case, and the one
// whose message can say exactly what the model expected.
Linearization linearize_one(const model::Model& m, const std::vector<State>& starts, const HistoryCall& c,
                            const model::Abstract& target) {
  Linearization r;
  if (c.faults.size() > 1) {
    r.why = describe_call(c.call) + ": " + std::to_string(c.faults.size()) + " faults fired in one call; the first must end it";
    return r;
  }
  const FaultHit* fault = c.faults.empty() ? nullptr : &c.faults.front();
  for (const State& s : starts) {
    for (const model::CallOutcome& o : model::run_call(m, s, c.call, fault)) {
      r.nodes++;
      if (o.ret == c.ret && m.project(o.next) == target &&
          std::find(r.finals.begin(), r.finals.end(), o.next) == r.finals.end())
        r.finals.push_back(o.next);
    }
  }
  if (r.finals.empty()) r.why = one_call_failure(m, starts, c, fault, target);
  return r;
}

// A buffer kept between searches is given back when a search grew it past
// this: a thread keeps a few megabytes, not a big search's hundreds.
constexpr size_t KEEP_BYTES = size_t{1} << 20;
template <class V>
void clear_keeping_small(V& v) {
  if (v.capacity() * sizeof(typename V::value_type) > KEEP_BYTES) V().swap(v);
  v.clear();
}

// A word at a time, then murmur3's finaliser: the keys are tens of bytes,
// and a byte-wise hash was a tenth of the search. The memo's keys are
// padded to whole words; the tail is for the sets' 4-byte elements.
std::uint64_t hash_bytes(const void* data, size_t n) {
  constexpr std::uint64_t mul = 0x9e3779b97f4a7c15ull;
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint64_t h = n * mul;
  auto mix = [&h](std::uint64_t w) {
    h = (h ^ w) * mul;
    h ^= h >> 32;
  };
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    mix(w);
  }
  if (n > 0) {
    std::uint64_t w = 0;
    size_t i = 0;
    if (n >= 4) {
      std::uint32_t half;
      std::memcpy(&half, p, 4);
      w = half, i = 4;
    }
    for (; i < n; ++i) w |= std::uint64_t{p[i]} << (8 * i);
    mix(w);
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

// Open addressing over the indices of entries a caller stores itself (in
// order of insertion, in arenas): the memo holds up to millions of
// configurations, and a node-based set would cost an allocation and ~50
// bytes of overhead for each. A slot is the hash's high half beside the
// entry's index plus one (0 is empty).
class index_table {
 public:
  // Empty again; a table much bigger than its last use starts small again,
  // or each small search would clear a big search's table.
  void clear() {
    if (slots_.size() > INITIAL && slots_.size() > 8 * count_) std::vector<std::uint64_t>(INITIAL, 0).swap(slots_);
    else std::fill(slots_.begin(), slots_.end(), 0);
    count_ = 0;
  }
  bool big() const { return slots_.size() * sizeof(std::uint64_t) > KEEP_BYTES; }
  // Empty, and small again.
  void drop() {
    std::vector<std::uint64_t>(INITIAL, 0).swap(slots_);
    count_ = 0;
  }

  // The index of the entry of hash h for which same(index) holds, else
  // the next index (entries so far), now taken, and true: the caller
  // stores the entry. hash_of(index) is an entry's hash, for growing.
  template <class Same, class HashOf>
  std::pair<size_t, bool> find_or_add(std::uint64_t h, Same same, HashOf hash_of) {
    if ((count_ + 1) * 4 > slots_.size() * 3) grow(hash_of);
    for (size_t i = h & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i] == 0) {
        slots_[i] = (h >> 32 << 32) | (count_ + 1);
        return {count_++, true};
      }
      if ((slots_[i] >> 32) == (h >> 32) && same(index(slots_[i]))) return {index(slots_[i]), false};
    }
  }
  size_t size() const { return count_; }

 private:
  static constexpr size_t INITIAL = 256;
  static size_t index(std::uint64_t slot) { return (slot & 0xffffffffu) - 1; }
  template <class HashOf>
  void grow(HashOf hash_of) {
    std::vector<std::uint64_t> old(slots_.size() * 2, 0);
    old.swap(slots_);
    for (std::uint64_t s : old) {
      if (s == 0) continue;
      size_t i = hash_of(index(s)) & (slots_.size() - 1);
      while (slots_[i] != 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
    }
  }

  std::vector<std::uint64_t> slots_ = std::vector<std::uint64_t>(INITIAL, 0);
  size_t count_ = 0;
};

// Fixed-width byte strings, each stored once in one arena.
class key_set {
 public:
  void reset(size_t width) {
    width_ = width;
    arena_.clear();
    table_.clear();
  }
  void release_if_big() {
    if (!table_.big() && arena_.capacity() <= KEEP_BYTES) return;
    std::vector<std::uint8_t>().swap(arena_);
    table_.drop();
  }
  // The key's index (in order of insertion), and whether it is new.
  std::pair<size_t, bool> insert(const std::uint8_t* key) {
    auto same = [&](size_t i) { return std::equal(key, key + width_, at(i)); };
    auto r = table_.find_or_add(hash(key), same, [&](size_t i) { return hash(at(i)); });
    if (r.second) arena_.insert(arena_.end(), key, key + width_);
    return r;
  }
  size_t size() const { return table_.size(); }

 private:
  const std::uint8_t* at(size_t index) const { return arena_.data() + index * width_; }
  std::uint64_t hash(const std::uint8_t* key) const { return hash_bytes(key, width_); }

  size_t width_ = 0;
  std::vector<std::uint8_t> arena_;
  index_table table_;
};

// Sets of 32-bit values (sorted, no repeats), each stored once in one
// arena and named by its index in order of interning; 0 is the empty set.
class set_table {
 public:
  void reset() {
    data_.clear();
    begin_.assign(2, 0);  // the empty set
    table_.clear();
  }
  void release_if_big() {
    if (!table_.big() && data_.capacity() * sizeof(std::uint32_t) <= KEEP_BYTES &&
        begin_.capacity() * sizeof(size_t) <= KEEP_BYTES)
      return;
    std::vector<std::uint32_t>().swap(data_);
    std::vector<size_t>(2, 0).swap(begin_);
    table_.drop();
  }
  // Sorts [first, last) and drops its repeats (in place), then names it.
  std::uint32_t intern(std::uint32_t* first, std::uint32_t* last) {
    std::sort(first, last);
    last = std::unique(first, last);
    if (first == last) return 0;
    size_t n = static_cast<size_t>(last - first);
    auto same = [&](size_t i) { return size(i + 1) == n && std::equal(first, last, begin(i + 1)); };
    auto hash_of = [&](size_t i) { return hash_bytes(begin(i + 1), size(i + 1) * sizeof(std::uint32_t)); };
    auto [index, fresh] = table_.find_or_add(hash_bytes(first, n * sizeof(std::uint32_t)), same, hash_of);
    if (fresh) {
      data_.insert(data_.end(), first, last);
      begin_.push_back(data_.size());
    }
    return static_cast<std::uint32_t>(index + 1);
  }
  const std::uint32_t* begin(size_t id) const { return data_.data() + begin_[id]; }
  const std::uint32_t* end(size_t id) const { return data_.data() + begin_[id + 1]; }

 private:
  size_t size(size_t id) const { return begin_[id + 1] - begin_[id]; }

  std::vector<std::uint32_t> data_;
  std::vector<size_t> begin_ = std::vector<size_t>(2, 0);  // set id is data_[begin_[id] .. begin_[id + 1])
  index_table table_;          // the non-empty sets, id - 1
};

// Each thread's calls (indices into the segment's calls), in the thread's
// order: thread t's are list_[first_[t] .. first_[t + 1]).
class thread_calls {
 public:
  void reset(const std::vector<HistoryCall>& calls) {
    int threads = 0;
    for (const HistoryCall& c : calls) threads = std::max(threads, c.thread + 1);
    list_.resize(calls.size());
    for (size_t i = 0; i < calls.size(); ++i) list_[i] = static_cast<int>(i);
    std::sort(list_.begin(), list_.end(), [&](int a, int b) {
      return calls[a].thread != calls[b].thread ? calls[a].thread < calls[b].thread : calls[a].index < calls[b].index;
    });
    first_.assign(static_cast<size_t>(threads) + 1, 0);
    for (const HistoryCall& c : calls) first_[static_cast<size_t>(c.thread) + 1]++;
    for (size_t t = 0; t < static_cast<size_t>(threads); ++t) first_[t + 1] += first_[t];
  }
  size_t threads() const { return first_.size() - 1; }
  size_t count(size_t t) const { return first_[t + 1] - first_[t]; }
  size_t first(size_t t) const { return first_[t]; }
  int call(size_t t, size_t k) const { return list_[first_[t] + k]; }
  const std::vector<int>& list() const { return list_; }

 private:
  std::vector<int> list_;
  std::vector<size_t> first_;
};

// Real time: a call may be linearized only after every call that returned
// before it started. Each thread's calls are sequential, so those of
// thread u are a prefix of its list: need(c, u) is that prefix's length,
// found by binary search on the thread's return steps (which grow along
// its list). A call overlaps another when some call starting no later
// than its return returns no earlier than its start. O(n log n) in the
// calls, for segments of thousands of calls.
class real_time {
 public:
  void reset(const std::vector<HistoryCall>& calls, const thread_calls& threads) {
    threads_ = threads.threads();
    returns_.resize(calls.size());
    for (size_t i = 0; i < calls.size(); ++i) returns_[i] = calls[threads.list()[i]].last_step;
    need_.resize(calls.size() * threads_);
    for (size_t a = 0; a < calls.size(); ++a)
      for (size_t u = 0; u < threads_; ++u) {
        auto first = returns_.begin() + static_cast<std::ptrdiff_t>(threads.first(u));
        auto last = first + static_cast<std::ptrdiff_t>(threads.count(u));
        need_[a * threads_ + u] = static_cast<std::uint16_t>(std::lower_bound(first, last, calls[a].first_step) - first);
      }
    find_overlapping(calls);
  }

  // Whether call ci may be linearized once thread u has `done(u)` calls in the order.
  template <class Done>
  bool may_start(int ci, Done done) const {
    for (size_t u = 0; u < threads_; ++u)
      if (done(u) < need_[static_cast<size_t>(ci) * threads_ + u]) return false;
    return true;
  }
  bool overlapped(int ci) const { return overlapped_[static_cast<size_t>(ci)]; }

 private:
  void find_overlapping(const std::vector<HistoryCall>& calls) {
    size_t n = calls.size();
    by_start_.resize(n);
    for (size_t i = 0; i < n; ++i) by_start_[i] = i;
    std::sort(by_start_.begin(), by_start_.end(),
              [&](size_t a, size_t b) { return calls[a].first_step < calls[b].first_step; });
    // Over by_start_[0..i]: the latest return, where it is, and the latest but for that call.
    latest_.resize(n), second_.resize(n), latest_at_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      int e = calls[by_start_[i]].last_step;
      int l = i ? latest_[i - 1] : std::numeric_limits<int>::min(), s2 = i ? second_[i - 1] : std::numeric_limits<int>::min();
      size_t at = i ? latest_at_[i - 1] : by_start_[i];
      if (e >= l) s2 = l, l = e, at = by_start_[i];
      else s2 = std::max(s2, e);
      latest_[i] = l, second_[i] = s2, latest_at_[i] = at;
    }
    overlapped_.assign(n, false);
    for (size_t a = 0; a < n; ++a) {
      size_t k = static_cast<size_t>(
          std::upper_bound(by_start_.begin(), by_start_.end(), calls[a].last_step,
                           [&](int v, size_t b) { return v < calls[b].first_step; }) - by_start_.begin());
      if (k == 0) continue;
      int other = latest_at_[k - 1] == a ? second_[k - 1] : latest_[k - 1];
      overlapped_[a] = other >= calls[a].first_step;
    }
  }

  size_t threads_ = 0;
  std::vector<int> returns_;  // by position in thread_calls::list(): the call's last step
  std::vector<std::uint16_t> need_;  // need_[c * threads + u]: calls of thread u that returned before c started
  std::vector<bool> overlapped_;  // the call overlaps another in real time
  std::vector<size_t> by_start_, latest_at_;
  std::vector<int> latest_, second_;
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
size_t key_width(const model::Model& m, size_t threads) {
  return 13 + m.topology().devices.size() + 2 * static_cast<size_t>(m.topology().files()) + 6 * threads;
}
// The key: key_width() bytes, then zeros to a whole word (hashed and
// compared a word at a time), in a buffer with KEY_SLACK bytes more:
// write_key() copies each of State's arrays whole, one copy of a size known
// when compiling (a copy of the topology's few bytes is a call to memcpy or
// a loop a byte at a time, and was a fifth of the key's cost), and moves
// on by the bytes the topology uses; what is copied past them is written
// over by the fields after them, or lies past the key.
size_t padded(size_t width) { return (width + 7) / 8 * 8; }
constexpr size_t KEY_SLACK = std::max(model::DEVICES_MAX, model::FILES_MAX);

// The key of configuration (pos, s), into key (padded(width) + KEY_SLACK bytes).
void write_key(std::vector<std::uint8_t>& key, size_t width, const model::Model& m, const State& s,
               const std::vector<thread_pos>& pos) {
  std::uint8_t* k = key.data();
  auto put = [&k](const void* p, size_t n) {
    std::memcpy(k, p, n);
    k += n;
  };
  auto put_array = [&k](const auto& a, size_t used) {
    std::memcpy(k, a.data(), sizeof a);
    k += used;
  };
  put(&s.files, 4);
  put(&s.domains, 2);
  put_array(s.device_domain, m.topology().devices.size());
  put(&s.warned, 2);
  put(&s.released, 2);
  put(&s.grown, 2);
  *k++ = s.teardown_pending ? 1 : 0;
  put_array(s.listed, static_cast<size_t>(m.topology().files()));
  put_array(s.listed_domain, static_cast<size_t>(m.topology().files()));
  for (const thread_pos& p : pos) {
    put(&p.done, 2);
    *k++ = p.progress.pc;
    put(&p.progress.saved, 2);
    *k++ = p.fault_used ? 1 : 0;
  }
  // key_width() and this must agree byte for byte, or two configurations may share a key.
  if (k != key.data() + width) throw std::logic_error("write_key: the key is not key_width() bytes");
  std::memset(k, 0, 8);  // the padding (under 8 bytes), which an array's copy may have reached
}

}  // namespace

// The general search: depth first over configurations. Its buffers live
// from one segment to the next (Linearizer); run() starts by resetting them.
class Linearizer::searcher {
 public:
  // Decides, then, when no order fits, searches again for the message
  // (the closest order and its state diff).
  Linearization run(const model::Model& m, const std::vector<State>& starts, const std::vector<HistoryCall>& calls,
                    const model::Abstract& target, const LinearizeOptions& options) {
    prepare(m, calls, target, options);
    Linearization r;
    for (const State& start : starts) {
      State bare = start;
      bare.warned = 0;
      std::uint32_t ends = decide(bare);
      if (cut_) break;
      for (const std::uint32_t* e = sets_.begin(ends); e != sets_.end(ends); ++e) {
        State end = end_bares_[*e >> 16];
        end.warned = static_cast<std::uint16_t>(start.warned | (*e & 0xffffu));
        if (m.project(end) == target && std::find(r.finals.begin(), r.finals.end(), end) == r.finals.end())
          r.finals.push_back(end);
      }
    }
    r.nodes = static_cast<long long>(seen_.size());
    if (cut_) {
      r.finals.clear();
      r.undecided = true;
      r.why = "undecided: the linearizability search of " + std::to_string(calls.size()) + " overlapping calls of " +
              std::to_string(threads_.threads()) + " threads stopped at its bound of " +
              std::to_string(options.configurations_max) + " configurations (a limit of the checker)";
    } else if (r.finals.empty()) {
      seen_.reset(padded(key_used_));
      for (const State& start : starts) explain(start);
      r.why = failure_message();
    }
    return r;
  }

  // Gives back what a big search grew (KEEP_BYTES).
  void trim() {
    clear_keeping_small(moves_);
    clear_keeping_small(stack_);
    clear_keeping_small(frame_pos_);
    clear_keeping_small(ends_found_);
    clear_keeping_small(ends_);
    seen_.release_if_big();
    sets_.release_if_big();
  }

 private:
  // A move from a configuration: the state it leads to, the call it
  // completes (-1 none), and the thread it moves to pos (-1: the deferred
  // teardown, which moves none).
  struct move {
    State next;
    int completed;
    int thread;
    thread_pos pos;
  };

  // A configuration on the search's stack. Its moves are moves_[moves_begin
  // .. moves_end), its positions the frame's slice of frame_pos_: every
  // frame's are above its parent's, so they are stacks too, and a warm
  // search allocates nothing.
  struct frame {
    State s;            // decide(): without warnings; explain(): with them
    size_t index;       // decide(): the configuration's index in the memo
    int completed;      // explain(): the call the move here completed, -1 none
    size_t moves_begin, moves_end;
    size_t next;        // the move being followed
    size_t ends_begin;  // decide(): the ends found through it so far are ends_found_[ends_begin ..]
  };

  void prepare(const model::Model& m, const std::vector<HistoryCall>& calls, const model::Abstract& target,
               const LinearizeOptions& options) {
    m_ = &m, calls_ = &calls, target_ = &target, options_ = &options;
    threads_.reset(calls);
    order_.reset(calls, threads_);
    mutex_of_.clear();
    for (const HistoryCall& c : calls) mutex_of_.push_back(model::call_session_mutex(m.topology(), c.call));
    key_used_ = key_width(m, threads_.threads());
    key_.assign(padded(key_used_) + KEY_SLACK, 0);
    seen_.reset(padded(key_used_));
    ends_.clear();
    sets_.reset();
    end_bares_.clear();
    cut_ = false;
    mismatch_.clear();
    mismatch_order_.clear();
  }

  // Every thread at its first call, the stack empty.
  void start_search() {
    pos_.assign(threads_.threads(), thread_pos{});
    stack_.clear();
    moves_.clear();
    frame_pos_.clear();
    ends_found_.clear();
  }

  // Appends to moves_ every move from configuration (pos_, s): the deferred
  // teardown, and the next operation of each thread with every outcome the
  // model allows that fits the history.
  void add_moves(const State& s) {
    // The call holding the FLB returns here and the deferred teardown runs.
    if (s.teardown_pending && !s.flb()) moves_.push_back(move{model::teardown(s), -1, -1, thread_pos{}});
    for (size_t t = 0; t < threads_.threads(); ++t)
      if (pos_[t].done < threads_.count(t)) step(s, t);
  }

  void step(const State& s, size_t t) {
    const thread_pos p = pos_[t];
    int ci = threads_.call(t, p.done);
    const HistoryCall& c = (*calls_)[static_cast<size_t>(ci)];
    if (p.progress.pc == 0) {
      if (!order_.may_start(ci, [this](size_t u) { return pos_[u].done; })) return;
      if (session_held(t, mutex_of_[static_cast<size_t>(ci)])) return;  // it waits for the session's mutex
    }
    if (c.faults.size() > 1) return;  // the model fails a call at its first fault
    const FaultHit* fault = c.faults.empty() || p.fault_used ? nullptr : &c.faults.front();
    std::optional<model::Op> op = model::call_next_op(m_->topology(), c.call, p.progress);
    if (!op) return;
    outs_.clear();
    model::apply(*m_, s, *op, fault, outs_, order_.overlapped(ci));
    for (const model::OpOutcome& o : outs_) {
      thread_pos np = p;
      np.fault_used = p.fault_used || o.fault_used;
      int ret = 0;
      bool returned = model::call_advance(c.call, np.progress, o.ret, &ret);
      if (returned) {
        if (ret != c.ret || np.fault_used != !c.faults.empty()) continue;
        np = thread_pos{static_cast<std::uint16_t>(p.done + 1), Progress{}, false};
      }
      moves_.emplace_back(o.next, returned ? ci : -1, static_cast<int>(t), np);  // in place: one copy of the state
    }
  }

  // Whether a thread other than t is inside a call holding session's mutex
  // (one that has run an operation and not returned: pc 0 is only a call's
  // start). The kernel's calls holding one session's mutex never
  // interleave, so neither do their operations here.
  bool session_held(size_t t, int session) const {
    if (session < 0) return false;
    for (size_t u = 0; u < pos_.size(); ++u) {
      if (u == t || pos_[u].done >= threads_.count(u) || pos_[u].progress.pc == 0) continue;
      if (mutex_of_[static_cast<size_t>(threads_.call(u, pos_[u].done))] == session) return true;
    }
    return false;
  }

  bool all_done() const {
    for (size_t t = 0; t < pos_.size(); ++t)
      if (pos_[t].done < threads_.count(t)) return false;
    return true;
  }

  // Pushes configuration (pos_, s) with its moves. s must not live in
  // moves_, which this grows.
  void push_frame(const State& s, size_t index, int completed) {
    size_t begin = moves_.size();
    add_moves(s);
    stack_.emplace_back(s, index, completed, begin, moves_.size(), begin, ends_found_.size());
    frame_pos_.insert(frame_pos_.end(), pos_.begin(), pos_.end());
  }
  void pop_frame() {
    const frame& f = stack_.back();
    moves_.resize(f.moves_begin);
    ends_found_.resize(f.ends_begin);
    frame_pos_.resize(frame_pos_.size() - pos_.size());
    stack_.pop_back();
  }
  // pos_ back to the top frame's configuration.
  void load_top_pos() { std::copy(frame_pos_.end() - static_cast<std::ptrdiff_t>(pos_.size()), frame_pos_.end(), pos_.begin()); }
  // pos_ to where move mi of the top frame leads; its state.
  State follow(size_t mi) {
    load_top_pos();
    const move& mv = moves_[mi];
    if (mv.thread >= 0) pos_[static_cast<size_t>(mv.thread)] = mv.pos;
    return mv.next;
  }

  // Configuration (pos_, s) into the memo: its index, and whether it is new.
  std::pair<size_t, bool> memo(const State& s) {
    write_key(key_, key_used_, *m_, s, pos_);
    return seen_.insert(key_.data());
  }
  bool memo_full() const { return static_cast<long long>(seen_.size()) >= options_->configurations_max; }

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

  // The configuration (pos_, bare): its set of ends in *known when the memo
  // has it; else pushed on the stack to be expanded (true). cut_ when the
  // memo is full.
  bool enter(const State& bare, std::uint32_t* known) {
    auto [index, fresh] = memo(bare);
    if (!fresh) {
      *known = ends_[index];
      return false;
    }
    if (memo_full()) {
      cut_ = true;
      return false;
    }
    ends_.push_back(0);
    push_frame(bare, index, -1);
    return true;
  }

  // The ends reached through the top frame's current move, then the next move.
  void take(std::uint32_t set) {
    frame& f = stack_.back();
    std::uint16_t warned = moves_[f.next].next.warned;
    for (const std::uint32_t* e = sets_.begin(set); e != sets_.end(set); ++e) ends_found_.push_back(*e | warned);
    f.next++;
  }

  // From the segment's start (every thread at its first call) in state s,
  // without warnings.
  std::uint32_t decide(const State& s) {
    start_search();
    std::uint32_t id = 0;
    if (!enter(s, &id)) return cut_ ? 0 : id;
    while (!stack_.empty()) {
      if (cut_) return 0;
      frame& f = stack_.back();
      if (f.next < f.moves_end) {
        State bare = follow(f.next);
        bare.warned = 0;
        if (enter(bare, &id) || cut_) continue;
        take(id);
        continue;
      }
      load_top_pos();
      if (all_done() && !f.s.teardown_pending && fits_target_but_warnings(f.s))
        ends_found_.push_back(end_bare_index(f.s) << 16);
      id = sets_.intern(ends_found_.data() + f.ends_begin, ends_found_.data() + ends_found_.size());
      ends_[f.index] = id;
      pop_frame();
      if (!stack_.empty()) take(id);
    }
    return id;
  }

  bool fits_target_but_warnings(const State& s) const {
    model::Abstract got = m_->project(s);
    got.warnings = target_->warnings;
    return got == *target_;
  }

  // The end states fitting the target differ at most in their warnings;
  // they are kept apart all the same, each by its index here.
  std::uint32_t end_bare_index(const State& s) {
    auto it = std::find(end_bares_.begin(), end_bares_.end(), s);
    if (it != end_bares_.end()) return static_cast<std::uint32_t>(it - end_bares_.begin());
    end_bares_.push_back(s);
    return static_cast<std::uint32_t>(end_bares_.size() - 1);
  }

  // The plain search, warnings and all, stopping at the first end state
  // that fits the results but not the target: the order and state diff the
  // message shows when no order fits. On the same stack as decide().
  bool explain_enter(const State& s, int completed) {
    if (!memo(s).second || memo_full()) return false;
    push_frame(s, 0, completed);
    return true;
  }

  void explain(const State& start) {
    if (!mismatch_.empty()) return;
    start_search();
    explain_enter(start, -1);
    while (!stack_.empty()) {
      frame& f = stack_.back();
      if (f.next < f.moves_end) {
        size_t mi = f.next++;
        State next = follow(mi);
        explain_enter(next, moves_[mi].completed);
        continue;
      }
      load_top_pos();
      if (all_done() && !f.s.teardown_pending && note_mismatch(f.s)) return;
      pop_frame();
    }
  }

  // When s, an end state, does not fit the target: the diff, and the order
  // of the calls on the stack that led to it.
  bool note_mismatch(const State& s) {
    model::Abstract got = m_->project(s);
    if (got == *target_) return false;
    mismatch_ = model::abstract_diff(got, *target_);
    for (const frame& on_path : stack_) {
      if (on_path.completed < 0) continue;
      const HistoryCall& c = (*calls_)[static_cast<size_t>(on_path.completed)];
      mismatch_order_ += (mismatch_order_.empty() ? "" : ", ") + std::string("T") + std::to_string(c.thread) +
                         " call " + std::to_string(c.index);
    }
    return true;
  }

  std::string failure_message() const {
    std::string list;
    for (const HistoryCall& c : *calls_) list += (list.empty() ? "" : "; ") + describe_history_call(c);
    if (!mismatch_.empty())
      return "the overlapping calls [" + list + "] fit the model's results in the order [" + mismatch_order_ +
             "] but the state differs: " + mismatch_;
    return "no order of the overlapping calls [" + list + "] gives the results they returned";
  }

  // The segment being decided (set by prepare()).
  const model::Model* m_ = nullptr;
  const std::vector<HistoryCall>* calls_ = nullptr;
  const model::Abstract* target_ = nullptr;
  const LinearizeOptions* options_ = nullptr;
  thread_calls threads_;
  real_time order_;
  std::vector<int> mutex_of_;  // by call: the session whose mutex it holds, -1 none
  // The search.
  std::vector<thread_pos> pos_;  // the configuration being expanded
  std::vector<frame> stack_;
  std::vector<move> moves_;
  std::vector<thread_pos> frame_pos_;  // each frame's positions, pos_.size() per frame
  std::vector<std::uint32_t> ends_found_;  // each frame's ends so far, stacked
  std::vector<model::OpOutcome> outs_;  // step()'s outcomes of one op
  std::vector<std::uint8_t> key_;  // padded(key_used_) bytes and KEY_SLACK
  size_t key_used_ = 0;  // key_width()
  key_set seen_;
  std::vector<std::uint32_t> ends_;  // by configuration index: its set of ends (sets_)
  set_table sets_;
  std::vector<State> end_bares_;  // end states fitting the target but for warnings, warnings cleared
  bool cut_ = false;  // decide() reached the bound: undecided
  std::string mismatch_, mismatch_order_;
};

Linearizer::Linearizer() = default;
Linearizer::~Linearizer() = default;
Linearizer::Linearizer(Linearizer&&) noexcept = default;
Linearizer& Linearizer::operator=(Linearizer&&) noexcept = default;

Linearization Linearizer::operator()(const model::Model& m, const std::vector<State>& starts,
                                     const std::vector<HistoryCall>& calls, const model::Abstract& target,
                                     const LinearizeOptions& options) {
  if (calls.size() == 1) return linearize_one(m, starts, calls.front(), target);
  if (calls.empty()) {
    Linearization r;
    for (const State& s : starts)
      if (m.project(s) == target) r.finals.push_back(s);
    if (r.finals.empty() && !starts.empty()) r.why = "the state differs: " + model::abstract_diff(m.project(starts.front()), target);
    return r;
  }
  if (!searcher_) searcher_ = std::make_unique<searcher>();
  Linearization r = searcher_->run(m, starts, calls, target, options);
  searcher_->trim();
  return r;
}

Linearization linearize(const model::Model& m, const std::vector<State>& starts, const std::vector<HistoryCall>& calls,
                        const model::Abstract& target, const LinearizeOptions& options) {
  // Its buffers outlive the run: never from a run's arena (the explorer
  // judges no model-refinement, so none calls this inside one).
  LUV_ASSERT(impl::arena::active() == nullptr);
  thread_local Linearizer linearizer;
  return linearizer(m, starts, calls, target, options);
}

}  // namespace luv
