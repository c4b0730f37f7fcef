#include "explore/search.h"

#include <algorithm>

#include "impl/world.h"
#include "properties/assert.h"
#include "properties/stop.h"

namespace luv::explorer {

using std::uint64_t;

// ---- the frontier ---------------------------------------------------------------

void Frontier::push(Node n) {
  n.seq = seq_++;
  if (bfs_) queue_.push(Entry{n.calls_used, static_cast<int>(n.schedule.size()), n.seq, std::move(n)});
  else stack_.push_back(std::move(n));
  note();
}

Node Frontier::pop() {
  LUV_ASSERT(!empty());
  Node n;
  if (bfs_) {
    n = std::move(const_cast<Entry&>(queue_.top()).node);
    queue_.pop();
  } else {
    n = std::move(stack_.back());
    stack_.pop_back();
  }
  note();
  return n;
}

void Frontier::note() {
  long long size = static_cast<long long>(bfs_ ? queue_.size() : stack_.size());
  stats_.frontier = size;
  stats_.frontier_max = std::max(stats_.frontier_max, size);
  live_.frontier += size - last_size_;
  last_size_ = size;
}

void Frontier::close() {
  live_.frontier -= last_size_;
  last_size_ = 0;
}

// ---- the search -----------------------------------------------------------------

Search::Search(const ExploreOptions& o, const Topology& topology, long long states_max, Live& live)
    : o_(o), states_max_(states_max), live_(live), start_(std::chrono::steady_clock::now()),
      replayer_(o, topology, stats_), frontier_(o.bfs, live, stats_), visited_(o.por),
      alphabet_(call_alphabet(o.mode, topology)) {}

ChoiceResult Search::go() {
  Node root;
  root.threads.assign(static_cast<size_t>(o_.threads), {});
  generate(std::move(root));
  while (!cut_ && !frontier_.empty()) {
    Node n = frontier_.pop();
    visit(n);
  }
  stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  stats_.states_searched = stats_.states;
  stats_.visited = visited_.size();
  stats_.visited_bytes = visited_.bytes();
  stats_.collision_odds = double(stats_.visited) * double(stats_.visited) / 3.6893488147419103e19;
  frontier_.close();
  ChoiceResult out;
  out.stats = stats_;
  out.findings = std::move(findings_);
  out.divergence = std::move(replayer_.divergence);
  out.divergence_scenario = std::move(replayer_.divergence_scenario);
  return out;
}

void Search::generate(Node n) {
  replayer_.replay(n);
  frontier_.push(std::move(n));
}

VisitedSet::Visit Search::look_up(Node& n) {
  if (!o_.hashing) return VisitedSet::fresh;
  uint64_t k = replayer_.key(n, false);
  bool mirrored = false;
  if (replayer_.symmetric()) {
    uint64_t m = replayer_.key(n, true);
    if (m < k) k = m, mirrored = true;
  }
  unsigned sleep = mirrored ? swap_threads(n.sleep) : n.sleep;
  VisitedSet::Visit v = visited_.visit(k, sleep);
  n.sleep = mirrored ? swap_threads(sleep) : sleep;
  return v;
}

void Search::visit(Node& n) {
  for (const auto& [v, masked] : n.violations) record(n, v, masked);
  if (n.leaf) return;
  switch (look_up(n)) {
    case VisitedSet::seen: ++stats_.pruned_visited; return;
    case VisitedSet::again: expand(n); return;
    case VisitedSet::fresh: break;
  }
  ++stats_.states;
  ++live_.states;
  if (CutBy why = limit_reached(); why != CutBy::none) cut(why);
  expand(n);
}

CutBy Search::limit_reached() const {
  if (stop_requested()) return CutBy::interrupted;
  if (live_.over_memory.load(std::memory_order_relaxed)) return CutBy::memory;
  if (states_max_ > 0 && stats_.states >= states_max_) return CutBy::states;
  if (std::chrono::steady_clock::now() >= o_.deadline) return CutBy::budget;
  return CutBy::none;
}

void Search::cut(CutBy why) {
  cut_ = true;
  stats_.complete = false;
  stats_.cut_by = std::max(stats_.cut_by, why);
}

void Search::expand(Node& n) {
  replayer_.prepare(n);
  retrieve_fault_sibling(n);
  unsigned explored_pure = 0;
  for (int t = 0; t < o_.threads; ++t) {
    if (n.in_call >> t & 1u) {
      step_busy(n, t, explored_pure);
      continue;
    }
    // Idle threads are interchangeable: only the lowest idle one starts a call.
    if (n.calls_used >= o_.calls) continue;  // another thread may still be inside its call
    bool lowest_idle = true;
    for (int u = 0; u < t; ++u) lowest_idle &= (n.in_call >> u & 1u) != 0;
    if (lowest_idle) start_calls(n, t);
  }
}

// Terminal-only sibling: the next kernel's FLB retrieve fails.
void Search::retrieve_fault_sibling(const Node& n) {
  constexpr int site = static_cast<int>(impl::fault_site::flb_retrieve);
  static_assert(site < impl::FAULT_SITE_COUNT);
  if (!n.quiescent || n.faults_used >= o_.faults || n.visits[site] == 0) return;
  Node f = n;
  f.violations.clear();
  f.base = n.state;
  f.base_id = n.state_id;
  f.state = nullptr;
  f.retrieve_fault = true;
  f.faults.push_back(Fault{impl::fault_site::flb_retrieve, n.visits[site], 0});
  f.faults_used++;
  generate(std::move(f));
}

// Busy thread t takes its next step, unless it is blocked or its sleep set
// says a sibling's subtree covers it. A step that changed nothing the others
// can see (pure) lets the later siblings sleep on it.
void Search::step_busy(const Node& n, int t, unsigned& explored_pure) {
  if (!(n.runnable >> t & 1u)) return;
  if (n.sleep >> t & 1u) {
    ++stats_.pruned_sleep;
    return;
  }
  Node c = replayer_.child(n, t);
  replayer_.replay(c);
  replayer_.advance(n, c, t, nullptr, 0);
  bool pure = !c.leaf && c.violations.empty() && c.world == n.world && c.visits == n.visits && (c.in_call >> t & 1u);
  c.sleep = (o_.por && pure) ? (n.sleep | explored_pure) : 0;
  if (pure) explored_pure |= 1u << t;
  faults_after(n, c, t);
  frontier_.push(std::move(c));
}

// Idle thread t starts each call of the alphabet.
void Search::start_calls(const Node& n, int t) {
  for (const Call& call : alphabet_) {
    Node c = replayer_.child(n, t);
    c.threads[static_cast<size_t>(t)].push_back(call);
    c.calls_used++;
    replayer_.replay(c);
    replayer_.advance(n, c, t, &call, 0);
    c.sleep = 0;
    faults_after(n, c, t);
    frontier_.push(std::move(c));
  }
}

// Siblings of the step just taken with one of its fault-site visits failing.
void Search::faults_after(const Node& parent, const Node& c, int t) {
  if (c.faults_used >= o_.faults) return;
  for (int site = 0; site < impl::FAULT_SITE_COUNT; ++site) {
    if (site == static_cast<int>(impl::fault_site::flb_retrieve)) continue;  // next kernel only
    LUV_ASSERT(parent.visits[site] <= c.visits[site]);  // a step only adds visits
    for (int nth = parent.visits[site] + 1; nth <= c.visits[site]; ++nth) {
      Node f = c;
      f.violations.clear();
      f.leaf = false;
      f.masked = parent.masked;
      f.faults.push_back(Fault{static_cast<impl::fault_site>(site), nth, 0});
      f.faults_used++;
      f.sleep = 0;
      replayer_.replay(f);
      const Call* started = (parent.in_call >> t & 1u) ? nullptr : &f.threads[static_cast<size_t>(t)].back();
      replayer_.advance(parent, f, t, started,
                        static_cast<uint64_t>(site + 1) << 32 | static_cast<uint64_t>(nth - parent.visits[site]));
      frontier_.push(std::move(f));
    }
  }
}

void Search::record(const Node& n, const Violation& v, const PropertySet& masked) {
  size_t p = static_cast<size_t>(v.property);
  LUV_ASSERT(p < found_.size());
  if (found_[p] || (o_.first_violation_only && !findings_.empty())) return;
  found_[p] = true;
  ExploreFinding f;
  f.property = v.property;
  f.counterexample = replayer_.counterexample_of(n);
  f.violation = v;
  f.checked = replayer_.judged() & ~masked;
  f.calls = n.calls_used;
  f.steps = static_cast<int>(n.schedule.size());
  findings_.push_back(std::move(f));
  if (o_.first_violation_only) cut(CutBy::first_violation);
}

}  // namespace luv::explorer
