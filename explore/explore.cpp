#include "explore/explore.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <numeric>
#include <queue>
#include <set>
#include <stdexcept>
#include <string>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <unistd.h>

#include "explore/fingerprint.h"
#include "impl/callers.h"
#include "impl/variant.h"
#include "impl/world.h"
#include "properties/stop.h"

namespace luv {

using std::uint64_t;

long long peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return 0;
}

long long rss_bytes() {
  long long pages = 0, resident = 0;
  std::ifstream in("/proc/self/statm");
  if (!(in >> pages >> resident)) return 0;
  return resident * ::sysconf(_SC_PAGESIZE);
}

const char* cut_by_name(CutBy c) {
  switch (c) {
    case CutBy::none: return "nothing";
    case CutBy::first_violation: return "the first violation";
    case CutBy::states: return "the state limit";
    case CutBy::budget: return "the budget";
    case CutBy::memory: return "the memory limit";
    case CutBy::interrupted: return "an interrupt";
  }
  return "?";
}

int default_jobs() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

std::vector<Call> call_alphabet(CallerMode mode, const Topology& t) { return impl::calls_of_mode(mode, t); }

std::string validate(const ExploreOptions& o) {
  if (std::string bad = impl::unknown_variant(o.variant); !bad.empty()) return "--variant: " + bad;
  if (o.threads < 1 || o.threads > 8) return "--threads: " + std::to_string(o.threads) + " is outside 1..8";
  if (o.calls < 0 || o.calls > 16) return "--calls: " + std::to_string(o.calls) + " is outside 0..16";
  if (o.faults < 0 || o.faults > 4) return "--faults: " + std::to_string(o.faults) + " is outside 0..4";
  if (o.topology.iommus.size() < 2 || o.topology.domains.size() < 2)
    return "topology: the op-set choices need at least 2 IOMMUs and 2 domains";
  for (unsigned char m : o.iommu1_ops)
    if (m > IOMMU_OPS_ALL) return "--iommu1-ops: " + std::to_string(m) + " is not an op set (0..15)";
  for (unsigned char m : o.domain1_ops)
    if (m > DOMAIN_OPS_ALL) return "--domain1-ops: " + std::to_string(m) + " is not an op set (0..3)";
  Scenario probe;
  probe.variant = o.variant;
  probe.mode = o.mode;
  probe.topology = o.topology;
  probe.threads.assign(static_cast<size_t>(o.threads), {});
  return validate(probe);
}

namespace {

// The visited set: 64-bit fingerprints in open addressing, 8 bytes a slot,
// grown at 1/2 load, so 16..32 bytes per fingerprint stored; with POR, one
// more byte a slot: the sleep set the state was last expanded with.
class VisitedSet {
 public:
  explicit VisitedSet(bool sleeps) : slots_(1u << 10, 0), sleeps_(sleeps ? slots_.size() : 0, 0) {}
  enum Visit { fresh, seen, again };
  // A state seen before with a sleep set inside `sleep` explored everything
  // this visit would (seen). Otherwise it is expanded (again) with only what
  // both visits let sleep, which explores at least what either would.
  Visit visit(uint64_t fp, unsigned& sleep) {
    if (fp == 0) fp = 1;  // 0 marks an empty slot
    if ((size_ + 1) * 2 > slots_.size()) grow();
    size_t i = place(slots_, fp);
    if (slots_[i] == 0) {
      slots_[i] = fp;
      if (!sleeps_.empty()) sleeps_[i] = static_cast<uint8_t>(sleep);
      ++size_;
      return fresh;
    }
    if (sleeps_.empty() || (sleeps_[i] & ~sleep) == 0) return seen;
    sleeps_[i] &= static_cast<uint8_t>(sleep);
    sleep = sleeps_[i];
    return again;
  }
  long long size() const { return static_cast<long long>(size_); }
  long long bytes() const { return static_cast<long long>(slots_.size() * sizeof(uint64_t) + sleeps_.size()); }

 private:
  // The slot holding fp, or the empty slot where it goes.
  static size_t place(const std::vector<uint64_t>& slots, uint64_t fp) {
    size_t mask = slots.size() - 1;
    size_t i = fp & mask;
    while (slots[i] != fp && slots[i] != 0) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<uint64_t> bigger(slots_.size() * 2, 0);
    std::vector<uint8_t> bigger_sleeps(sleeps_.empty() ? 0 : bigger.size(), 0);
    for (size_t j = 0; j < slots_.size(); ++j) {
      if (slots_[j] == 0) continue;
      size_t i = place(bigger, slots_[j]);
      bigger[i] = slots_[j];
      if (!sleeps_.empty()) bigger_sleeps[i] = sleeps_[j];
    }
    slots_.swap(bigger);
    sleeps_.swap(bigger_sleeps);
  }
  std::vector<uint64_t> slots_;
  std::vector<uint8_t> sleeps_;
  size_t size_ = 0;
};

// An execution prefix and what its replay showed.
struct Node {
  int calls_used = 0;
  int faults_used = 0;
  std::vector<std::vector<Call>> threads;
  std::vector<int> schedule;
  std::vector<Fault> faults;
  PropertySet masked;  // properties switched off to go on past their violation on this path
  unsigned sleep = 0;  // threads whose next step sleep sets skip
  // Per busy thread: a hash of its call and of the World at each of its
  // resumes in this call (with the faults its steps injected), which
  // determines its coroutine's locals; 0 for an idle thread.
  std::array<uint64_t, 8> chain{};
  unsigned alone = 0;  // the Runner's per-call "no other thread stepped" flags
  // Per busy thread: the World where its call started, which the Runner's
  // error-path-deleted compares with while the call runs alone.
  std::array<uint64_t, 8> start_world{}, start_mirror{};
  bool retrieve_fault = false;  // a terminal-only sibling: the next kernel's FLB retrieve fails
  uint64_t seq = 0;
  // From the replay:
  uint64_t world = 0;   // world_fingerprint()
  uint64_t world_mirror = 0;  // the same with threads 0 and 1 swapped (symmetry only)
  uint64_t observed = 0;  // what the last step read: components with their content before it
  uint64_t intent = 0;  // intent_hash() of the Runner's callers_view
  std::array<int, impl::FAULT_SITE_COUNT> visits{};
  unsigned in_call = 0, runnable = 0;
  bool quiescent = false;
  bool leaf = false;    // nothing runs past it (an oops, a deadlock, a terminal-only sibling)
  std::vector<std::pair<Violation, PropertySet>> violations;  // seen, with the properties masked then
};

// Reads the World where the replay ends.
class Capture : public RunObserver {
 public:
  explicit Capture(bool mirror) : mirror_(mirror) {}
  void on_reads_step(const impl::World& w) override {
    reader_ = w.current;
    explorer::world_components(w, before_);
  }
  void on_stop(const impl::World& w) override { take(w); }
  std::optional<std::string> on_threads_done(const impl::World& w) override {
    take(w);
    return std::nullopt;
  }
  bool got = false;
  uint64_t world = 0, world_mirror = 0, observed = 0;
  unsigned in_call = 0, runnable = 0;
  std::vector<impl::read_event> reads;

 private:
  void take(const impl::World& w) {
    got = true;
    explorer::world_components(w, after_);
    world = explorer::world_fingerprint(w, after_);
    if (mirror_) world_mirror = explorer::world_fingerprint(w, after_, true);
    observe(w);
    in_call = runnable = 0;
    for (size_t t = 0; t < w.threads.size(); ++t) {
      const impl::kthread& k = w.threads[t];
      if (k.point == nullptr) continue;
      in_call |= 1u << t;
      const impl::mutex* m = k.blocked_on;
      if (m == nullptr || m->owner < 0 || m->poisoned) runnable |= 1u << t;
    }
  }

  // The components the step read, each with its content before the step
  // (a component the step created has none).
  void observe(const impl::World& w) {
    std::vector<uint64_t> ids;
    for (const impl::read_event& e : reads)
      if (uint64_t id = explorer::component_of(w, e)) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    explorer::Hasher h;
    for (uint64_t id : ids) {
      auto it = std::lower_bound(before_.begin(), before_.end(), std::make_pair(id, uint64_t{0}));
      bool existed = it != before_.end() && it->first == id;
      h.add(id);
      if (!existed) h.add(0x6e657700ull);
      else h.add(explorer::is_mutex_component(id) ? explorer::mutex_as_seen_by(it->second, reader_) : it->second);
    }
    observed = h.h;
  }
  bool mirror_;
  int reader_ = -1;
  explorer::Components before_, after_;
};

// Progress shared by the searches running at once.
struct Live {
  std::atomic<long long> states{0}, frontier{0};
  std::atomic<bool> over_memory{false};  // the calling thread watches memory_max_bytes
};

// One op-set choice's search and what it found.
struct ChoiceResult {
  ExploreStats stats;
  std::vector<ExploreFinding> findings;
  std::string divergence;
  std::optional<Scenario> divergence_scenario;
};

class Engine {
 public:
  Engine(const ExploreOptions& o, const Topology& topology, long long states_max, Live& live)
      : o_(o), topology_(topology), states_max_(states_max), live_(live),
        symmetric_(o.symmetry && o.threads == 2 && o.read_frames), visited_(o.por),
        start_(std::chrono::steady_clock::now()) {
    alphabet_ = call_alphabet(o.mode, topology);
    // The explorer runs no model observer: model-refinement is not judged
    // (run() would attach the model for it, at a cost per state).
    judged_ = o.properties;
    judged_.reset(static_cast<size_t>(PropertyId::model_refinement));
  }

  ChoiceResult go() {
    Node root;
    root.threads.assign(static_cast<size_t>(o_.threads), {});
    generate(std::move(root));
    drain();
    stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    stats_.visited = visited_.size();
    stats_.visited_bytes = visited_.bytes();
    stats_.collision_odds = double(stats_.visited) * double(stats_.visited) / 3.6893488147419103e19;
    live_.frontier -= last_frontier_;
    ChoiceResult out;
    out.stats = stats_;
    out.findings = std::move(findings_);
    out.divergence = std::move(divergence_);
    out.divergence_scenario = std::move(divergence_scenario_);
    return out;
  }

 private:
  // ---- the frontier -------------------------------------------------------
  void push(Node n) {
    n.seq = seq_++;
    if (o_.bfs) queue_.push(Entry{n.calls_used, static_cast<int>(n.schedule.size()), n.seq, std::move(n)});
    else stack_.push_back(std::move(n));
    note_frontier();
  }

  void note_frontier() {
    long long size = static_cast<long long>(o_.bfs ? queue_.size() : stack_.size());
    stats_.frontier = size;
    stats_.frontier_max = std::max(stats_.frontier_max, size);
    live_.frontier += size - last_frontier_;
    last_frontier_ = size;
  }

  void drain() {
    while (!cut_ && (o_.bfs ? !queue_.empty() : !stack_.empty())) {
      Node n;
      if (o_.bfs) {
        n = std::move(const_cast<Entry&>(queue_.top()).node);
        queue_.pop();
      } else {
        n = std::move(stack_.back());
        stack_.pop_back();
      }
      note_frontier();
      visit(n);
    }
  }

  struct Entry {
    int calls, steps;
    uint64_t seq;
    Node node;
    bool operator>(const Entry& b) const { return std::tie(calls, steps, seq) > std::tie(b.calls, b.steps, b.seq); }
  };

  // ---- replay ---------------------------------------------------------------
  Scenario scenario_of(const Node& n) const {
    Scenario s;
    s.variant = o_.variant;
    s.mode = o_.mode;
    s.topology = topology_;
    s.faults = n.faults;
    s.threads = n.threads;
    s.schedule = n.schedule;
    s.kexec = true;
    return s;
  }

  // A counterexample file: the prefix, without threads that never ran.
  Scenario counterexample_of(const Node& n) const {
    Scenario s = scenario_of(n);
    while (s.threads.size() > 1 && s.threads.back().empty()) s.threads.pop_back();
    return s;
  }

  // Runs the node's prefix; fills its replay fields and its violations. The
  // Runner goes on past a violation, so one run judges every property; a
  // property violated on this path is masked in its children's runs (its
  // finding is made), and an oops or a deadlock makes the node a leaf.
  void replay(Node& n) {
    Scenario s = scenario_of(n);
    Capture cap(symmetric_);
    RunOptions ro;
    ro.properties = judged_ & ~n.masked;
    ro.observer = &cap;
    ro.steps_stop = n.retrieve_fault ? -1 : static_cast<int>(n.schedule.size());
    // The parent's replay checked every step but the last (a retrieve-fault
    // sibling: every thread step).
    ro.checks_from = static_cast<int>(n.schedule.size()) - (n.retrieve_fault ? 0 : 1);
    if (o_.read_frames && !n.retrieve_fault) {
      ro.reads_step = static_cast<int>(n.schedule.size()) - 1;
      ro.reads = &cap.reads;
    }
    ro.invariant = o_.invariant;
    RunResult r = run(s, ro);
    ++stats_.transitions;
    if (r.divergence && divergence_.empty()) {
      divergence_ = *r.divergence;
      divergence_scenario_ = counterexample_of(n);
    }
    n.visits = r.fault_visits;
    n.intent = intent_hash(r.callers_view);
    for (const Violation& v : r.verdict.violations) {
      n.violations.emplace_back(v, n.masked);
      n.masked.set(static_cast<size_t>(v.property));
    }
    if (r.verdict.ended) note_ended(judged_ & ~n.masked);
    if (r.verdict.ended || !cap.got) {  // !cap.got: an oops or deadlock ended the run before the stop
      n.leaf = true;
      return;
    }
    take(n, cap);
    if (n.retrieve_fault) n.leaf = true;
  }

  void note_ended(const PropertySet& unjudged) {
    ++stats_.paths_ended;
    stats_.unjudged |= unjudged;
  }

  void take(Node& n, const Capture& cap) {
    n.world = cap.world;
    n.world_mirror = cap.world_mirror;
    n.observed = cap.observed;
    n.in_call = cap.in_call;
    n.runnable = cap.runnable;
    n.quiescent = cap.in_call == 0;
  }

  // ---- the search ---------------------------------------------------------------
  // A replayed node enters the frontier (or is recorded).
  void generate(Node n) {
    replay(n);
    push(std::move(n));
  }

  void visit(Node& n) {
    for (const auto& [v, masked] : n.violations) record(n, v, masked);
    if (n.leaf) return;
    if (o_.hashing) {
      uint64_t k = key(n, false);
      bool mirrored = false;
      if (symmetric_) {
        uint64_t m = key(n, true);
        if (m < k) k = m, mirrored = true;
      }
      unsigned sleep = mirrored ? swap_threads(n.sleep) : n.sleep;
      VisitedSet::Visit v = visited_.visit(k, sleep);
      n.sleep = mirrored ? swap_threads(sleep) : sleep;
      if (v == VisitedSet::seen) {
        ++stats_.pruned_visited;
        return;
      }
      if (v == VisitedSet::again) {
        expand(n);
        return;
      }
    }
    ++stats_.states;
    ++live_.states;
    if (CutBy why = limit_reached(); why != CutBy::none) cut(why);
    expand(n);
  }

  CutBy limit_reached() const {
    if (stop_requested()) return CutBy::interrupted;
    if (live_.over_memory.load(std::memory_order_relaxed)) return CutBy::memory;
    if (states_max_ > 0 && stats_.states >= states_max_) return CutBy::states;
    if (std::chrono::steady_clock::now() >= o_.deadline) return CutBy::budget;
    return CutBy::none;
  }

  void cut(CutBy why) {
    cut_ = true;
    stats_.complete = false;
    stats_.cut_by = std::max(stats_.cut_by, why);
  }

  // The visited-set key; `mirror`: of the state with threads 0 and 1 swapped.
  uint64_t key(const Node& n, bool mirror) const {
    auto who = [&](int t) { return static_cast<size_t>(mirror ? 1 - t : t); };  // the thread in place t
    unsigned alone = mirror ? swap_threads(n.alone) : n.alone;
    explorer::Hasher h;
    h.add(mirror ? n.world_mirror : n.world);
    h.add(static_cast<uint64_t>(n.calls_used) << 8 | static_cast<uint64_t>(n.faults_used));
    h.add(n.intent);
    h.add(alone);
    for (int t = 0; t < o_.threads; ++t) h.add(n.chain[who(t)]);
    if (o_.read_frames)
      for (int t = 0; t < o_.threads; ++t)
        if (alone >> t & 1u) h.add(mirror ? n.start_mirror[who(t)] : n.start_world[who(t)]);
    return h.h;
  }

  static unsigned swap_threads(unsigned bits) { return (bits & ~3u) | (bits & 1u) << 1 | (bits >> 1 & 1u); }

  // The Runner's per-run memory of what callers preserved (track_intent in
  // runner.cpp): each device and domain a caller believes preserved, and
  // against which domain each device was last preserved.
  static uint64_t intent_hash(const std::vector<int>& callers_view) {
    explorer::Hasher h;
    for (int x : callers_view) h.add(static_cast<uint64_t>(static_cast<int64_t>(x)));
    return h.h;
  }

  void expand(const Node& n) {
    // Terminal-only sibling: the next kernel's FLB retrieve fails.
    if (n.quiescent && n.faults_used < o_.faults && n.visits[static_cast<int>(impl::fault_site::flb_retrieve)] > 0) {
      Node f = n;
      f.violations.clear();
      f.retrieve_fault = true;
      f.faults.push_back(Fault{impl::fault_site::flb_retrieve, n.visits[static_cast<int>(impl::fault_site::flb_retrieve)], 0});
      f.faults_used++;
      generate(std::move(f));
    }
    unsigned explored_pure = 0;
    for (int t = 0; t < o_.threads; ++t) {
      bool busy = n.in_call >> t & 1u;
      if (busy) {
        if (!(n.runnable >> t & 1u)) continue;
        if (n.sleep >> t & 1u) {
          ++stats_.pruned_sleep;
          continue;
        }
        Node c = child(n, t);
        replay(c);
        advance(n, c, t, nullptr, 0);
        bool pure = !c.leaf && c.violations.empty() && c.world == n.world && c.visits == n.visits && (c.in_call >> t & 1u);
        c.sleep = (o_.por && pure) ? (n.sleep | explored_pure) : 0;
        if (pure) explored_pure |= 1u << t;
        faults_after(n, c, t);
        push_replayed(std::move(c));
        continue;
      }
      // Idle threads are interchangeable: only the lowest idle one starts a call.
      if (n.calls_used >= o_.calls) continue;  // another thread may still be inside its call
      bool lowest_idle = true;
      for (int u = 0; u < t; ++u) lowest_idle &= (n.in_call >> u & 1u) != 0;
      if (!lowest_idle) continue;
      for (const Call& call : alphabet_) {
        Node c = child(n, t);
        c.threads[t].push_back(call);
        c.calls_used++;
        replay(c);
        advance(n, c, t, &call, 0);
        c.sleep = 0;
        faults_after(n, c, t);
        push_replayed(std::move(c));
      }
    }
  }

  // Thread t took the step from `parent` to `c` (starting `started` when not
  // null; `fault` names the fault it injected, 0 for none).
  void advance(const Node& parent, Node& c, int t, const Call* started, uint64_t fault) const {
    size_t i = static_cast<size_t>(t);
    explorer::Hasher h;
    if (started) {
      h.add(static_cast<uint64_t>(started->kind) << 48 ^ static_cast<uint64_t>(started->file + 1) << 32 ^
            static_cast<uint64_t>(started->domain + 1) << 16 ^ static_cast<uint64_t>(started->device + 1));
      c.alone = parent.alone | 1u << t;
    } else {
      h.add(parent.chain[i]);
      c.alone = parent.alone;
    }
    // A coroutine is deterministic: its frame is a function of its call and
    // of what each of its steps read (or, coarser, of the World it saw).
    h.add(o_.read_frames ? c.observed : parent.world);
    h.add(fault);
    c.chain = parent.chain;
    c.chain[i] = h.h;
    c.start_world = parent.start_world;
    c.start_mirror = parent.start_mirror;
    if (started) c.start_world[i] = parent.world, c.start_mirror[i] = parent.world_mirror;
    c.alone &= 1u << t;  // every other thread's call now has company
    if (!(c.in_call >> t & 1u)) {
      c.chain[i] = 0;
      c.start_world[i] = c.start_mirror[i] = 0;
      c.alone &= ~(1u << t);
    }
  }

  Node child(const Node& n, int t) const {
    Node c;
    c.calls_used = n.calls_used;
    c.faults_used = n.faults_used;
    c.threads = n.threads;
    c.schedule = n.schedule;
    c.schedule.push_back(t);
    c.faults = n.faults;
    c.masked = n.masked;
    return c;
  }

  // Siblings of the step just taken with one of its fault-site visits failing.
  void faults_after(const Node& parent, const Node& c, int t) {
    if (c.faults_used >= o_.faults) return;
    for (int site = 0; site < impl::FAULT_SITE_COUNT; ++site) {
      if (site == static_cast<int>(impl::fault_site::flb_retrieve)) continue;  // next kernel only
      for (int nth = parent.visits[site] + 1; nth <= c.visits[site]; ++nth) {
        Node f = c;
        f.violations.clear();
        f.leaf = false;
        f.masked = parent.masked;
        f.faults.push_back(Fault{static_cast<impl::fault_site>(site), nth, 0});
        f.faults_used++;
        f.sleep = 0;
        replay(f);
        const Call* started = (parent.in_call >> t & 1u) ? nullptr : &f.threads[t].back();
        advance(parent, f, t, started, static_cast<uint64_t>(site + 1) << 32 | static_cast<uint64_t>(nth - parent.visits[site]));
        push_replayed(std::move(f));
      }
    }
  }

  void push_replayed(Node c) { push(std::move(c)); }

  void record(const Node& n, const Violation& v, const PropertySet& masked) {
    size_t p = static_cast<size_t>(v.property);
    if (found_[p] || (o_.first_violation_only && !findings_.empty())) return;
    found_[p] = true;
    ExploreFinding f;
    f.property = v.property;
    f.counterexample = counterexample_of(n);
    f.violation = v;
    f.checked = judged_ & ~masked;
    f.calls = n.calls_used;
    f.steps = static_cast<int>(n.schedule.size());
    findings_.push_back(std::move(f));
    if (o_.first_violation_only) cut(CutBy::first_violation);
  }

  const ExploreOptions& o_;
  PropertySet judged_;  // o_.properties less model-refinement
  Topology topology_;
  long long states_max_;
  Live& live_;
  bool symmetric_;  // two threads with read-keyed frames: a state and its mirror are one
  long long last_frontier_ = 0;
  std::vector<Call> alphabet_;
  std::vector<Node> stack_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue_;
  VisitedSet visited_;
  ExploreStats stats_;
  std::vector<ExploreFinding> findings_;
  std::string divergence_;
  std::optional<Scenario> divergence_scenario_;
  std::array<bool, PROPERTY_COUNT> found_{};
  uint64_t seq_ = 0;
  bool cut_ = false;
  std::chrono::steady_clock::time_point start_;
};

std::vector<Topology> op_set_choices(const ExploreOptions& o) {
  std::vector<unsigned char> iommu1 = o.iommu1_ops, domain1 = o.domain1_ops;
  if (iommu1.empty())
    for (int m = 0; m <= IOMMU_OPS_ALL; ++m) iommu1.push_back(static_cast<unsigned char>(m));
  if (domain1.empty())
    for (int m = 0; m <= DOMAIN_OPS_ALL; ++m) domain1.push_back(static_cast<unsigned char>(m));
  std::vector<Topology> out;
  for (unsigned char i : iommu1)
    for (unsigned char d : domain1) {
      Topology t = o.topology;
      t.iommus[1].ops = i;
      t.domains[1].ops = d;
      out.push_back(t);
    }
  return out;
}

// The choices' results in choice order: sums, and per property the finding
// of the first choice (DFS) or the shortest one, ties to the first (BFS).
ExploreResult merge(const ExploreOptions& o, std::vector<ChoiceResult>& choices, double seconds) {
  ExploreResult out;
  ExploreStats& s = out.stats;
  s.topologies = static_cast<int>(choices.size());
  // Per property: the finding and the choice it came from.
  std::array<std::pair<const ExploreFinding*, size_t>, PROPERTY_COUNT> best{};
  // Earlier: shorter (BFS), then from an earlier choice, then found earlier in it.
  auto before = [&](const ExploreFinding& a, size_t ca, const ExploreFinding& b, size_t cb) {
    auto rank = [&](const ExploreFinding& f, size_t c) {
      size_t nth = static_cast<size_t>(&f - choices[c].findings.data());
      return o.bfs ? std::tuple(f.calls, f.steps, c, nth) : std::tuple(0, 0, c, nth);
    };
    return rank(a, ca) < rank(b, cb);
  };
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceResult& c = choices[i];
    const ExploreStats& x = c.stats;
    s.states += x.states, s.transitions += x.transitions, s.pruned_visited += x.pruned_visited;
    s.pruned_sleep += x.pruned_sleep, s.visited += x.visited, s.visited_bytes += x.visited_bytes;
    s.frontier_max = std::max(s.frontier_max, x.frontier_max);
    s.collision_odds += x.collision_odds;
    s.complete &= x.complete;
    s.cut_by = std::max(s.cut_by, x.cut_by);
    if (out.divergence.empty() && !c.divergence.empty()) {
      out.divergence = c.divergence;
      out.divergence_scenario = c.divergence_scenario;
    }
    s.paths_ended += x.paths_ended;
    s.unjudged |= x.unjudged;
    s.topology++;
    for (const ExploreFinding& f : c.findings) {
      size_t p = static_cast<size_t>(f.property);
      if (best[p].first == nullptr || before(f, i, *best[p].first, best[p].second)) best[p] = {&f, i};
    }
  }
  s.seconds = seconds;
  s.peak_rss_bytes = peak_rss_bytes();
  std::vector<std::pair<const ExploreFinding*, size_t>> found;
  for (const auto& b : best)
    if (b.first) found.push_back(b);
  std::sort(found.begin(), found.end(),
            [&](const auto& a, const auto& b) { return before(*a.first, a.second, *b.first, b.second); });
  // With first_violation_only, one finding: the shortest (BFS) or the first choice's (DFS).
  if (o.first_violation_only && found.size() > 1) found.resize(1);
  out.report.engine = "explore";
  out.report.variant = o.variant;
  out.report.mode = caller_mode_name(o.mode);
  out.report.seconds = seconds;
  std::string bound = std::to_string(o.threads) + " threads, " + std::to_string(o.calls) + " calls, " +
                      std::to_string(o.faults) + " fault(s), " + std::to_string(choices.size()) + " op-set choices";
  for (int p = 0; p < PROPERTY_COUNT; ++p) {
    PropertyId id = static_cast<PropertyId>(p);
    auto f = std::find_if(found.begin(), found.end(), [&](const auto& x) { return x.first->property == id; });
    PropertyOutcome po;
    po.property = id;
    if (!has(o.properties, id) || (id == PropertyId::model_refinement)) {
      po.status = Status::not_checked;
      po.how = id == PropertyId::model_refinement ? "the explorer runs no model observer" : "not asked for";
    } else if (f != found.end()) {
      po.status = Status::violated;
      const ExploreFinding& x = *f->first;
      po.counterexample = x.counterexample;
      po.violation = x.violation;
      po.how = "explore" + std::string(o.bfs ? " --bfs" : "") + ": " + std::to_string(x.calls) + " call(s), " +
               std::to_string(x.steps) + " step(s)";
      std::string names = property_list(o.properties & ~x.checked);
      if (!names.empty()) po.how += "; seen past an earlier violation of " + names;
    } else if (!s.complete) {
      po.status = Status::unknown;
      po.how = s.cut_by == CutBy::interrupted ? "interrupted" : std::string("cut by ") + cut_by_name(s.cut_by);
      po.how += " at " + std::to_string(s.states) + " states (" + bound + ")";
    } else {
      po.status = Status::holds;
      po.how = "exhaustive within " + bound + ": " + std::to_string(s.states) + " states";
      if (s.unjudged.test(static_cast<size_t>(p)))
        po.how += "; not judged past the oops or deadlock that ended " + std::to_string(s.paths_ended) + " path(s)";
    }
    out.report.outcomes.push_back(std::move(po));
  }
  for (const auto& f : found) out.findings.push_back(*f.first);
  return out;
}

}  // namespace

ExploreResult explore(const ExploreOptions& o) {
  std::string bad = validate(o);
  if (!bad.empty()) throw std::invalid_argument(bad);
  std::vector<Topology> topologies = op_set_choices(o);
  size_t n = topologies.size();
  long long share = o.states_max > 0 ? std::max(1LL, (o.states_max + static_cast<long long>(n) - 1) / static_cast<long long>(n)) : 0;
  std::vector<ChoiceResult> results(n);
  Live live;
  // Choices with more ops present reach more code and take longest: start
  // them first so that no large one runs alone at the end. Results stay in
  // choice order, so the order of work changes no output.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  auto ops_present = [&](size_t i) {
    return std::popcount(static_cast<unsigned>(topologies[i].iommus[1].ops)) +
           std::popcount(static_cast<unsigned>(topologies[i].domains[1].ops));
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ops_present(a) > ops_present(b); });
  std::atomic<size_t> next{0};
  int done = 0;  // guarded by done_mutex
  std::mutex done_mutex;
  std::condition_variable done_cv;
  auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (size_t k; (k = next++) < n;) {
      size_t i = order[k];
      Engine e(o, topologies[i], share, live);
      results[i] = e.go();
      std::lock_guard<std::mutex> hold(done_mutex);
      ++done;
      done_cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  int jobs = std::clamp(o.jobs, 1, static_cast<int>(n));
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  // The calling thread watches memory and reports progress while the searches run.
  auto last = start;
  for (;;) {
    {
      std::unique_lock<std::mutex> hold(done_mutex);
      if (done_cv.wait_for(hold, std::chrono::milliseconds(100), [&] { return done == static_cast<int>(n); })) break;
    }
    if (o.memory_max_bytes > 0 && rss_bytes() > o.memory_max_bytes) live.over_memory = true;
    if (!o.progress || std::chrono::steady_clock::now() - last < std::chrono::seconds(1)) continue;
    last = std::chrono::steady_clock::now();
    ExploreStats p;
    p.states = live.states.load();
    p.frontier = live.frontier.load();
    {
      std::lock_guard<std::mutex> hold(done_mutex);
      p.topology = done;
    }
    p.topologies = static_cast<int>(n);
    p.seconds = elapsed();
    p.peak_rss_bytes = peak_rss_bytes();
    o.progress(p);
  }
  for (std::thread& t : pool) t.join();
  return merge(o, results, elapsed());
}

EngineReport explore_variant(const ExploreOptions& o) { return explore(o).report; }

}  // namespace luv
