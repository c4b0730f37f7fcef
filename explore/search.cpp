#include "explore/search.h"

#include <algorithm>
#include <bit>

#include "impl/world.h"
#include "properties/assert.h"
#include "properties/stop.h"

namespace luv::explorer {

using std::uint64_t;

namespace {
// The step from `parent` to `c` with one of its fault-site visits failing
// instead, each in turn while faults are left: f(that node, not yet
// replayed; the fault's word for Replayer::advance).
template <typename F>
void each_faulted_step(const Node& parent, const Node& c, int faults, F f) {
  if (c.faults_used >= faults) return;
  for (int site = 0; site < impl::FAULT_SITE_COUNT; ++site) {
    if (site == static_cast<int>(impl::fault_site::flb_retrieve)) continue;  // next kernel only
    LUV_ASSERT(parent.visits[site] <= c.visits[site]);  // a step only adds visits
    for (int nth = parent.visits[site] + 1; nth <= c.visits[site]; ++nth) {
      Node x = c;
      x.violations.clear();
      x.leaf = false;
      x.masked = parent.masked;
      x.faults.push_back(Fault{static_cast<impl::fault_site>(site), nth, 0});
      x.faults_used++;
      x.sleep = 0;
      f(std::move(x), static_cast<uint64_t>(site + 1) << 32 | static_cast<uint64_t>(nth - parent.visits[site]));
    }
  }
}
}  // namespace

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

namespace {
// The twins of each choice, by class: one class for a search per choice or
// a lazy search of one twin group; one per twin group for one search of
// every choice (ExploreOptions::one_search).
std::vector<std::pair<Twins, ChoiceSet>> twin_classes(const Topology& topology, const LazyChoices* choices) {
  if (!choices) return {{Twins(topology), ChoiceSet::every()}};
  std::vector<std::pair<Twins, ChoiceSet>> classes;
  for (int c = 0; c < choices->size(); ++c) {
    Twins t(choices->topology(c));
    auto same = std::find_if(classes.begin(), classes.end(), [&](const auto& x) { return x.first == t; });
    if (same == classes.end()) classes.emplace_back(t, ChoiceSet::just(c));
    else same->second |= ChoiceSet::just(c);
  }
  return classes;
}

// Each variant's choices (LazyChoices: variant by variant); one, every
// choice, without lazy op-set choices.
std::vector<ChoiceSet> variant_classes(const LazyChoices* choices) {
  if (!choices) return {ChoiceSet::every()};
  const int per_variant = static_cast<int>(choices->topologies.size());
  std::vector<ChoiceSet> out;
  for (int v = 0; v < static_cast<int>(choices->variants.size()); ++v)
    out.push_back(ChoiceSet::first(per_variant * (v + 1)) & ~ChoiceSet::first(per_variant * v));
  return out;
}
}  // namespace

Search::Search(const ExploreOptions& o, const Topology& topology, long long states_max, Live& live,
               const LazyChoices* choices)
    : o_(o), states_max_(states_max), live_(live), start_(std::chrono::steady_clock::now()),
      replayer_(o, topology, stats_, choices), frontier_(o.bfs, live, stats_),
      visited_(o.por, replayer_.racing_apart(), choices != nullptr), alone_started_(false, false, choices != nullptr),
      lazy_(choices != nullptr), widen_(lazy_ && o.widen_choices && o.hashing),
      alphabet_(call_alphabet(o.mode, topology)), twins_(twin_classes(topology, choices)),
      variant_choices_(variant_classes(choices)), found_(variant_choices_.size()) {
  // What a call names depends on the topology's files and sessions, which every choice shares.
  for (const Call& call : alphabet_) alphabet_named_.push_back(twins_.front().first.named_by(call));
}

ChoiceResult Search::go() {
  Node root;
  root.threads.assign(static_cast<size_t>(o_.threads), {});
  root.choices = replayer_.all_choices();
  generate(std::move(root), -1);
  while (!cut_ && !frontier_.empty()) {
    Node n = frontier_.pop();
    visit(n);
  }
  stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  stats_.states_searched += stats_.states;
  stats_.visited = visited_.size();
  stats_.visited_bytes = visited_.bytes() + alone_started_.bytes();
  // A fingerprint shared by two starts of a call run alone would skip one.
  double alone = double(alone_started_.size());
  stats_.collision_odds = (double(stats_.visited) * double(stats_.visited) + alone * alone) / 3.6893488147419103e19;
  frontier_.close();
  ChoiceResult out;
  out.stats = stats_;
  out.findings = std::move(findings_);
  out.divergence = std::move(replayer_.divergence);
  out.divergence_scenario = std::move(replayer_.divergence_scenario);
  return out;
}

template <typename F>
void Search::replay_each_class(Node c, bool alone, F f) {
  for (;;) {
    // What the replay changes that the next class's replay starts from.
    size_t violations = c.violations.size();
    PropertySet masked = c.masked;
    bool leaf = c.leaf;
    ChoiceSet rest = replayer_.replay(c, alone);
    if (rest.empty()) {
      f(c);
      return;
    }
    ++stats_.class_splits;
    Node next = c;
    next.violations.resize(violations);
    next.masked = masked;
    next.leaf = leaf;
    next.choices = rest;
    f(c);
    c = std::move(next);
  }
}

void Search::generate(Node n, int transition) {
  replay_each_class(std::move(n), false, [&](Node& x) { push(std::move(x), transition); });
}

VisitedSet::Visit Search::look_up(Node& n, uint64_t& key, VisitedSet::Arrival& a) {
  if (!o_.hashing) return VisitedSet::fresh;
  key = replayer_.key(n, false);
  bool mirrored = false;
  if (replayer_.symmetric()) {
    uint64_t m = replayer_.key(n, true);
    if (m < key) key = m, mirrored = true;
  }
  a = VisitedSet::Arrival{mirrored ? swap_threads(n.sleep) : n.sleep, replayer_.racing(n), n.choices, {}};
  VisitedSet::Visit v = visited_.visit(key, a);
  n.sleep = mirrored ? swap_threads(a.sleep) : a.sleep;
  n.choices = a.choices;  // lazy op-set choices: those not searched from this state yet
  if (v != VisitedSet::seen && o_.on_search) o_.on_search(key, n.choices);
  return v;
}

void Search::visit(Node& n) {
  if (n.skip_if && n.skip_if->ended && !n.skip_if->dependent) {
    ++stats_.pruned_source;
    return done(n, {});  // covers no choice: the state is not widened for it
  }
  for (const auto& [v, masked] : n.violations) {
    record(n, v, masked);
    if (o_.on_violation) o_.on_violation(v);
  }
  if (n.quiescent && o_.on_quiescent) o_.on_quiescent(n.world, n.callers);
  if (n.leaf) return done(n, ChoiceSet::every());  // nothing runs past it, for any choice alike
  uint64_t key = 0;
  VisitedSet::Arrival a;
  switch (look_up(n, key, a)) {
    case VisitedSet::seen:
      ++stats_.pruned_visited;
      return done(n, a.covered);
    case VisitedSet::again:
      ++stats_.states_searched;  // searched again, with less asleep or fewer racing objects
      return search_from(n, key, a);
    case VisitedSet::fresh: break;
  }
  ++stats_.states;
  ++live_.states;
  if (CutBy why = limit_reached(); why != CutBy::none) cut(why);
  search_from(n, key, a);
}

void Search::search_from(Node& n, uint64_t key, const VisitedSet::Arrival& a) {
  if (!widen_) return expand(n);
  auto p = std::make_shared<Pending>();
  p->up = std::move(n.up);
  p->up_transition = n.up_transition;
  p->alike = n.alike;
  p->key = key, p->sleep = a.sleep, p->racing = a.racing;
  p->covered = a.covered | n.choices;
  p->in_state = ChoiceSet::every();
  for (ChoiceSet calls : n.call_alike) p->in_state &= calls;
  expanding_ = p;
  expand(n);
  expanding_ = nullptr;
  fold(std::move(p), -1, {});  // expanded: the 1 of `open` it held
}

// ---- choices searched alike (docs/DESIGN.md) ------------------------------------

int Search::open_transition(ChoiceSet alike) {
  if (!expanding_) return -1;
  expanding_->transitions.emplace_back(alike, ChoiceSet{});
  return static_cast<int>(expanding_->transitions.size()) - 1;
}

void Search::push(Node c, int transition) {
  if (transition >= 0) {
    LUV_ASSERT(expanding_ && transition < static_cast<int>(expanding_->transitions.size()));
    c.up = expanding_;
    c.up_transition = transition;
    ++expanding_->open;
  }
  frontier_.push(std::move(c));
}

void Search::done(Node& n, ChoiceSet covered) {
  if (n.up) fold(std::move(n.up), n.up_transition, n.alike & covered);
}

// A class of p's transition done, covering `covered`; when that was the
// last node p waited for, p is finished, and so up the chain.
void Search::fold(std::shared_ptr<Pending> p, int transition, ChoiceSet covered) {
  while (p && !cut_) {  // a cut search leaves its states as searched
    if (transition >= 0) p->transitions[static_cast<size_t>(transition)].second |= covered;
    LUV_ASSERT(p->open > 0);
    if (--p->open > 0) return;
    covered = p->alike & finish(*p);
    transition = p->up_transition;
    p = std::move(p->up);
  }
}

// p's subtree is done: the choices it covers, its entry widened to them.
ChoiceSet Search::finish(const Pending& p) {
  ChoiceSet alike = p.alone & p.in_state & replayer_.all_choices();
  for (const auto& [concerns, covered] : p.transitions) alike &= covered | ~concerns;
  ChoiceSet wider = alike & ~p.covered;
  if (wider.empty()) return p.covered;
  ++stats_.widened;
  if (o_.on_search) o_.on_search(p.key, wider);
  visited_.widen(p.key, p.sleep, p.racing, wider);
  return p.covered | wider;
}

CutBy Search::limit_reached() const {
  if (stop_requested() || o_.abandon.stop_requested()) return CutBy::interrupted;
  if (live_.over_memory.load(std::memory_order_relaxed)) return CutBy::memory;
  if (live_.failed.load(std::memory_order_relaxed)) return CutBy::interrupted;  // another search's luv bug
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
  replayer_.prepare(n, steps_from(n) > 1);
  retrieve_fault_sibling(n);
  // A lock mover goes on alone while it can; the calls the others could
  // start here are still run alone, as error-path-deleted compares from
  // where each starts.
  int mover = (n.mover & n.runnable) ? std::countr_zero(n.mover) : -1;
  if (mover >= 0) ++stats_.mover_states;
  if (mover < 0 && step_pair(n)) return;
  Explored explored;
  for (int t = 0; t < o_.threads; ++t) {
    if (n.in_call >> t & 1u) {
      if (mover < 0 || t == mover) step_busy(n, t, explored);
      continue;
    }
    // Idle threads are interchangeable: only the lowest idle one starts a call.
    if (n.calls_used >= o_.calls) continue;  // another thread may still be inside its call
    bool lowest_idle = true;
    for (int u = 0; u < t; ++u) lowest_idle &= (n.in_call >> u & 1u) != 0;
    if (lowest_idle) start_calls(n, t, mover < 0);
  }
}

// How many steps expand(n) may take from n's state (more than one: it is
// worth saving). Exact when no fault is left and no call can start: then
// only the busy threads step, each once.
int Search::steps_from(const Node& n) const {
  unsigned threads = (1u << o_.threads) - 1;
  bool idle = (n.in_call & threads) != threads;
  if (n.faults_used < o_.faults || (idle && n.calls_used < o_.calls)) return 2;  // fault siblings, calls to start
  unsigned stepping = n.in_call & n.runnable & ~n.sleep;
  if (n.mover & n.runnable) stepping &= n.mover;
  return std::popcount(stepping);
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
  generate(std::move(f), open_transition(ChoiceSet::every()));
}

// Busy thread t takes its next step, unless it is blocked or its sleep set
// says a sibling's subtree covers it.
void Search::step_busy(const Node& n, int t, Explored& explored) {
  if (!(n.runnable >> t & 1u)) return;
  if (n.sleep >> t & 1u) {
    ++stats_.pruned_sleep;
    return;
  }
  int transition = open_transition(ChoiceSet::every());
  replay_each_class(replayer_.child(n, t), false, [&](Node& c) {
    settle(n, t, c, explored);
    push(std::move(c), transition);
  });
}

// c, replayed, is n's child by busy thread t's step. A quiet step (no call
// ended, no fault site visited, nothing judged) lets the later siblings'
// steps that commute with it sleep on it (docs/DESIGN.md, "Partial-order
// reduction").
void Search::settle(const Node& n, int t, Node& c, Explored& explored) {
  replayer_.advance(n, c, t, nullptr, 0);
  // Quiet: it ended no call, judged nothing (no fault site visited, no
  // violation, the run not stopped) and left the callers' memory alone.
  bool quiet = !c.leaf && c.violations.empty() && c.visits == n.visits && (c.in_call >> t & 1u) &&
               c.callers == n.callers && c.racing == n.racing;
  c.sleep = 0;
  if (o_.por && quiet) fall_asleep(n, explored, c);
  bool mover = lock_movers(o_) && quiet && c.took_lock;
  // One step for every choice of n (a class of fewer: not for the others).
  // A lock mover's siblings may not sleep on it: its own subtree defers
  // their steps past it, trusting theirs to take them first.
  if (quiet && c.choices == n.choices && !mover) {
    explored.threads |= 1u << t;
    explored.footprint[static_cast<size_t>(t)] = c.footprint;
  }
  faults_after(n, c, t);
  if (mover) c.mover = 1u << t;
  if (n.watch && n.watch->thread == t) follow(n, c);
}

// ---- source sets (docs/DESIGN.md, "Source sets") --------------------------------

// At a state where exactly two busy threads step and nothing else can
// happen (no call left to start, no fault left to inject), the higher
// thread A's step is searched first. When it is quiet, the path from its
// child on which the lower thread B alone steps to the end of its call is
// watched: if each of B's steps on it commutes with A's, then every run
// from here has an equivalent one that takes A's step first, and B's step
// from here is skipped when its turn comes (visit()). Returns whether it
// expanded n so.
bool Search::step_pair(const Node& n) {
  const unsigned busy = n.in_call;
  if (!source_sets(o_) || n.watch || std::popcount(busy) != 2 || (n.runnable & busy) != busy || (n.sleep & busy) != 0 ||
      n.calls_used < o_.calls || n.faults_used < o_.faults)
    return false;
  const int a = std::bit_width(busy) - 1, b = std::countr_zero(busy);
  // B's call ran alone so far: error-path-deleted judges its end, or not,
  // by whether A's step comes first.
  if (n.alone >> b & 1u) return false;
  int first_transition = open_transition(ChoiceSet::every()), later = open_transition(ChoiceSet::every());
  std::vector<Node> first;
  replay_each_class(replayer_.child(n, a), false, [&](Node& c) { first.push_back(std::move(c)); });
  Explored explored;
  for (Node& c : first) settle(n, a, c, explored);
  std::shared_ptr<SourceWatch> watch;
  if (first.size() == 1 && (explored.threads >> a & 1u)) {
    watch = std::make_shared<SourceWatch>(SourceWatch{b, first.front().footprint});
    first.front().watch = watch;
  }
  // B's children wait below A's on the stack (depth-first), so A's subtree,
  // which decides them, is searched first.
  replay_each_class(replayer_.child(n, b), false, [&](Node& c) {
    settle(n, b, c, explored);
    c.skip_if = watch;
    push(std::move(c), later);
  });
  for (Node& c : first) push(std::move(c), first_transition);
  return true;
}

// c is n's child by the watched thread B, on the watched path: the path
// goes on in c, ends with B's call, or no longer shows A's step first.
void Search::follow(const Node& n, Node& c) {
  SourceWatch& w = *n.watch;
  const int b = w.thread;
  bool plain = c.choices == n.choices && c.violations.empty() && !c.leaf && c.racing == n.racing;
  if (!plain || !commute(w.first, c.footprint)) {
    w.dependent = true;
    return;
  }
  if (c.in_call >> b & 1u) c.watch = n.watch;
  else w.ended = true;
}

// c is n's child by a quiet step: asleep in c are the threads asleep in n
// and those whose step from n a sibling's subtree explored, each if its step
// commutes with c's.
void Search::fall_asleep(const Node& n, const Explored& explored, Node& c) {
  for (unsigned candidates = n.sleep | explored.threads; candidates != 0; candidates &= candidates - 1) {
    auto v = static_cast<size_t>(std::countr_zero(candidates));
    const StepFootprint& f = (n.sleep >> v & 1u) ? n.asleep[v] : explored.footprint[v];
    if (!commute(f, c.footprint)) continue;
    c.sleep |= 1u << v;
    c.asleep[v] = f;
  }
}

// Idle thread t starts each call of the alphabet; `searched`: else only the
// calls due to run alone are started, and only run alone.
void Search::start_calls(const Node& n, int t, bool searched) {
  for (size_t k = 0; k < alphabet_.size(); ++k) {
    const Call& call = alphabet_[k];
    // The choices whose own search starts this call here (docs/DESIGN.md,
    // "Twin devices and domains"); the call concerns only them.
    ChoiceSet starts = not_twin_covered(alphabet_named_[k], n.named);
    if (starts.empty() || (lazy_ && (n.choices & starts).empty())) continue;
    std::optional<uint64_t> start;
    ChoiceSet alone = alone_run_due(n, t, call, start, starts);
    if (!searched && alone.empty()) {
      note_alone_start(start, false, {}, starts);
      continue;
    }
    Node c = for_choices(replayer_.child(n, t), starts);
    c.threads[static_cast<size_t>(t)].push_back(call);
    c.calls_used++;
    c.named |= alphabet_named_[k];
    if (!searched) {
      note_alone_start(start, true, alone_step(n, for_choices(std::move(c), alone), t), starts);
      continue;
    }
    int transition = open_transition(starts);
    ChoiceSet alike_alone;  // the choices whose runs alone from here are alike
    replay_each_class(std::move(c), false, [&](Node& c) {
      replayer_.advance(n, c, t, &call, 0);
      c.sleep = 0;
      ChoiceSet class_alone = c.alike;
      if (!alone.empty()) class_alone &= run_alone(for_choices(c, alone), t);
      class_alone &= faults_after(n, c, t, alone);
      alike_alone |= class_alone;
      push(std::move(c), transition);
    });
    note_alone_start(start, !alone.empty(), alike_alone, starts);
  }
}

// ---- calls run alone (docs/DESIGN.md, "Calls run alone") ---------------------------

// The states' keys leave out which calls have run alone, so a call's run
// alone may be merged into one where another thread stepped meanwhile, which
// error-path-deleted does not compare. Each call is therefore also run alone
// from where it starts: once per World, thread, call and faults used, all
// the run alone depends on (the other threads do not step), and with lazy
// op-set choices once per choice. The choices to run it for: none, all
// (without lazy op-set choices), or those of n not run alone from there.
ChoiceSet Search::alone_run_due(const Node& n, int t, const Call& call, std::optional<uint64_t>& start,
                                ChoiceSet starts) {
  constexpr PropertyId p = PropertyId::error_path_deleted;
  start.reset();
  if (!runs_alone(o_) || found_everywhere(p) || !replayer_.judged().test(static_cast<size_t>(p)) ||
      n.masked.test(static_cast<size_t>(p)))
    return {};
  Hasher h;
  h.add(n.world);
  h.add(static_cast<uint64_t>(t) << 8 | static_cast<uint64_t>(n.faults_used));
  h.add(call_word(call));
  start = h.h;
  VisitedSet::Arrival a{0, 0, lazy_ ? n.choices & starts : n.choices, {}};
  if (alone_started_.visit(h.h, a) == VisitedSet::seen) return {};
  ++stats_.alone_runs;
  if (o_.on_alone) o_.on_alone(h.h, a.choices);
  return lazy_ ? a.choices : ChoiceSet::every();
}

// The state being expanded is covered only for the choices that have run
// alone from every call's start there.
void Search::note_alone_start(const std::optional<uint64_t>& start, bool ran, ChoiceSet covered, ChoiceSet starts) {
  if (!expanding_ || !start) return;
  ChoiceSet done = alone_started_.widen(*start, 0, 0, ran && !cut_ ? covered : ChoiceSet{});
  if (o_.on_alone) o_.on_alone(*start, done);
  expanding_->alone &= done | ~starts;  // a choice whose own search does not start the call runs none alone
}

ChoiceSet Search::not_twin_covered(std::uint64_t objects, std::uint64_t named) const {
  if (!twins(o_)) return ChoiceSet::every();
  ChoiceSet starts;
  for (const auto& [t, choices] : twins_)
    if (!t.covered(objects, named)) starts |= choices;
  return starts;
}

Node Search::for_choices(Node x, ChoiceSet choices) const {
  if (lazy_) x.choices &= choices;
  return x;
}

// x: thread t's call has run alone from its start up to x. t steps on alone
// until its call returns, blocks or the path ends; while faults are left,
// each fault-site visit fails on a run of its own.
ChoiceSet Search::run_alone(Node x, int t) {
  if (cut_ || (lazy_ && x.choices.empty())) return {};
  if (x.leaf || !(x.in_call >> t & 1u) || !(x.runnable >> t & 1u)) return ChoiceSet::every();  // the run is over
  return alone_step(x, replayer_.child(x, t), t);
}

// d: thread t's step from x in a run alone, replayed here, then the run
// goes on; each of its fault-site visits fails on a run of its own while
// faults are left.
ChoiceSet Search::alone_step(const Node& x, Node d, int t) {
  ChoiceSet alike;
  replay_each_class(std::move(d), true, [&](Node& e) {
    note_alone(e);
    ChoiceSet class_alike = e.alike;
    each_faulted_step(x, e, o_.faults, [&](Node f, uint64_t) {
      ChoiceSet faulted;
      replay_each_class(std::move(f), true, [&](Node& g) {
        note_alone(g);
        faulted |= g.alike & run_alone(std::move(g), t);
      });
      class_alike &= faulted;
    });
    alike |= class_alike & run_alone(std::move(e), t);
  });
  return alike;
}

// Only error-path-deleted's findings: every other property is judged alike
// whether or not a call ran alone, so the search's own states judge it.
void Search::note_alone(const Node& n) {
  for (const auto& [v, masked] : n.violations)
    if (v.property == PropertyId::error_path_deleted) record(n, v, masked);
}

// Siblings of the step just taken with one of its fault-site visits failing.
ChoiceSet Search::faults_after(const Node& parent, const Node& c, int t, ChoiceSet alone) {
  ChoiceSet alike_alone = ChoiceSet::every();
  each_faulted_step(parent, c, o_.faults, [&](Node f, uint64_t fault) {
    int transition = open_transition(c.alike);
    ChoiceSet faulted;
    replay_each_class(std::move(f), false, [&](Node& f) {
      const Call* started = (parent.in_call >> t & 1u) ? nullptr : &f.threads[static_cast<size_t>(t)].back();
      replayer_.advance(parent, f, t, started, fault);
      if (!alone.empty()) faulted |= f.alike & run_alone(for_choices(f, alone), t);
      push(std::move(f), transition);
    });
    alike_alone &= faulted;  // c's class_alone in start_calls is within c.alike
  });
  return alike_alone;
}

void Search::record(const Node& n, const Violation& v, const PropertySet& masked) {
  size_t p = static_cast<size_t>(v.property);
  LUV_ASSERT(p < PROPERTY_COUNT);
  for (size_t vi = 0; vi < variant_choices_.size(); ++vi) {
    if (o_.first_violation_only && !findings_.empty()) return;
    if (found_[vi][p]) continue;
    // Every choice of n reaches n's state alike, so the path shows the
    // violation on each; the finding names the variant's lowest.
    Node x = for_choices(n, variant_choices_[vi]);
    if (lazy_ && x.choices.empty()) continue;
    found_[vi][p] = true;
    ExploreFinding f;
    f.property = v.property;
    f.counterexample = replayer_.counterexample_of(x);
    f.violation = v;
    f.checked = replayer_.judged() & ~masked;
    f.calls = n.calls_used;
    f.steps = static_cast<int>(n.schedule.size());
    findings_.push_back(std::move(f));
    if (o_.first_violation_only) cut(CutBy::first_violation);
  }
}

bool Search::found_everywhere(PropertyId p) const {
  for (const auto& found : found_)
    if (!found[static_cast<size_t>(p)]) return false;
  return true;
}

}  // namespace luv::explorer
