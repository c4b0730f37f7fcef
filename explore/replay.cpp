#include "explore/replay.h"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>
#include <tuple>

#include "explore/fingerprint.h"
#include "impl/op_footprint.h"
#include "impl/variant.h"
#include "impl/world.h"
#include "properties/assert.h"

namespace luv::explorer {

using std::uint64_t;

// Reads the World where the replay ends. Its hooks run inside a step, so
// what they fill is kept out of the arena (the explorer's, not a state's).
class Replayer::Capture : public RunObserver {
 public:
  // `before` and `after` are buffers the Replayer keeps, so that a replay
  // does not allocate them again.
  // `checked`: the components kept up to date are compared with the whole
  // World's at every step (ExploreOptions::components_checked).
  Capture(bool mirror, bool checked, Components& before, Components& after)
      : mirror_(mirror), checked_(checked), before_(before), after_(after) {}
  // `keyed`: the node is keyed, so its World is hashed and its step's reads
  // resolved; a step of a call run alone only needs who is in a call.
  void reset(bool keyed) {
    keyed_ = keyed;
    got = false;
    reads.clear();
    known_before = nullptr;
    reader_ = -1;
    took_lock = false;
    footprint = StepFootprint{};
    before_view_ = &before_;  // a step without noted reads reads none of it
  }
  void on_reads_step(const impl::World& w) override {
    reader_ = w.current;
    warns_before_ = w.threads[w.current].warn_conditions;
    reports_before_ = reports(w);
    if (known_before) {
      before_view_ = known_before;
      return;
    }
    impl::arena::outside malloc_here;
    world_components(w, before_);
    before_view_ = &before_;
  }
  void on_stop(const impl::World& w) override { take(w); }
  std::optional<std::string> on_threads_done(const impl::World& w) override {
    take(w);
    return std::nullopt;
  }
  void take(const impl::World& w) {
    impl::arena::outside malloc_here;
    got = true;
    if (keyed_) {
      observe(w);
      components_after(w);
      world = world_fingerprint(w, after_, mirror_ ? &world_mirror : nullptr);
      took_lock = reader_ >= 0 && w.threads[reader_].warn_conditions == warns_before_ &&
                  only_took_lasting_lock(*before_view_, after_, ids_, reader_);
    }
    in_call = runnable = 0;
    for (size_t t = 0; t < w.threads.size(); ++t) {
      const impl::kthread& k = w.threads[t];
      if (k.point == nullptr) continue;
      in_call |= 1u << t;
      const impl::mutex* m = k.blocked_on;
      if (m == nullptr || m->owner < 0 || m->poisoned) runnable |= 1u << t;
    }
  }
  bool got = false;
  // The components of the state the step starts from, when the Replayer
  // has them (the parent's, shared by its children's steps).
  const Components* known_before = nullptr;
  uint64_t world = 0, world_mirror = 0, observed = 0;
  // The step's reads were noted, and all it did that another thread could
  // see was take a lock that lasts the run (only_took_lasting_lock).
  bool took_lock = false;
  // What the step touched and changed (unknown when its reads were not noted).
  StepFootprint footprint;
  unsigned in_call = 0, runnable = 0;
  std::vector<impl::read_event> reads;
  std::vector<const void*> writes;  // the step's writes without a read first

 private:
  // The World's components after the step: those it started from with the
  // ones it read or wrote hashed again (docs/DESIGN.md, "Components kept up
  // to date"); all of them when its reads were not noted.
  void components_after(const impl::World& w) {
    if (reader_ < 0) return world_components(w, after_);
    touched_.assign(ids_.begin(), ids_.end());
    for (const void* at : writes)
      if (uint64_t id = component_of(w, impl::read_event{at, impl::read_kind::variable})) touched_.push_back(id);
    update_components(w, *before_view_, touched_, after_, &footprint);
    footprint.touched |= runner_reads(after_, w.threads[reader_].point == nullptr);
    // A warning or splat is not a component; the Runner judges the lists in order.
    if (reports(w) != reports_before_) footprint.changed = ~uint64_t{0};
    if (!checked_) return;
    world_components(w, whole_);
    if (whole_ != after_) throw std::logic_error("luv bug: a step changed a part of the World it did not note (" +
                                                 first_difference(whole_, after_) + ")");
  }
  static std::string first_difference(const Components& whole, const Components& kept) {
    for (size_t i = 0; i < std::min(whole.list.size(), kept.list.size()); ++i)
      if (whole.list[i] != kept.list[i]) return component_name(whole.list[i].first);
    return whole.list.size() != kept.list.size() ? "the components' count" : "the fingerprint's sums";
  }
  // The components the step read, each with its content before the step
  // (a component the step created has none).
  void observe(const impl::World& w) {
    // A step reads a few places many times: each (place, kind) is resolved once.
    distinct_.assign(reads.begin(), reads.end());
    auto order = [](const impl::read_event& a, const impl::read_event& b) {
      return std::tie(a.at, a.kind) < std::tie(b.at, b.kind);
    };
    auto same = [](const impl::read_event& a, const impl::read_event& b) { return a.at == b.at && a.kind == b.kind; };
    std::sort(distinct_.begin(), distinct_.end(), order);
    distinct_.erase(std::unique(distinct_.begin(), distinct_.end(), same), distinct_.end());
    ids_.clear();
    for (const impl::read_event& e : distinct_)
      if (uint64_t id = component_of(w, e)) ids_.push_back(id);
    std::sort(ids_.begin(), ids_.end());
    ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
    Hasher h;
    const auto& before = before_view_->list;
    for (uint64_t id : ids_) {
      auto it = std::lower_bound(before.begin(), before.end(), std::make_pair(id, uint64_t{0}));
      bool existed = it != before.end() && it->first == id;
      h.add(id);
      if (!existed) h.add(0x6e657700ull);
      else h.add(is_mutex_component(id) ? mutex_as_seen_by(it->second, reader_) : it->second);
    }
    observed = h.h;
  }
  std::vector<impl::read_event> distinct_;  // observe()'s buffers, kept from one step to the next
  std::vector<uint64_t> ids_, touched_;
  Components whole_;  // checked_: the whole World's, to compare
  bool mirror_;
  bool checked_;
  bool keyed_ = true;
  int reader_ = -1;  // the thread whose step's reads are noted; -1: none noted
  // The warnings and splats pending, and whether the next kernel runs.
  static std::tuple<size_t, size_t, bool> reports(const impl::World& w) {
    return {w.warnings.size(), w.splats.size(), w.after_kexec};
  }
  std::tuple<size_t, size_t, bool> reports_before_;
  int warns_before_ = 0;
  const Components* before_view_ = nullptr;
  Components& before_;
  Components& after_;
};

namespace {

// The Runner's memory of what the callers believe (RunResult::callers) as
// one word of the key: each device and domain a caller believes preserved,
// what it kept and against which domain, what raced.
// `racing`: with the racing objects (else the visited set keeps them).
uint64_t callers_hash(const CallersMemory& m, bool racing) {
  Hasher h;
  m.each_number([&](int x) { h.add(static_cast<uint64_t>(static_cast<int64_t>(x))); }, racing);
  return h.h;
}

// Domain d is bit d, device d bit `domains` + d.
std::uint8_t racing_bits(const CallersMemory& m, int domains) {
  unsigned bits = 0;
  for (int d : m.racing_domains()) bits |= 1u << d;
  for (int d : m.racing_devices()) bits |= 1u << (domains + d);
  LUV_ASSERT(bits <= 0xff);  // racing_apart_: the topology's objects fit
  return static_cast<std::uint8_t>(bits);
}

}  // namespace

Replayer::Replayer(const ExploreOptions& o, const Topology& topology, ExploreStats& stats,
                   const LazyChoices* choices)
    : o_(o), topology_(topology), choices_(choices), stats_(stats), symmetric_(o.symmetry && o.threads == 2 && o.read_frames),
      racing_apart_(o.racing_subsumption && topology.domains.size() + topology.devices.size() <= 8),
      capture_(std::make_unique<Capture>(symmetric_, o.components_checked, before_, after_)) {
  LUV_ASSERT(o.threads >= 1 && o.threads <= THREADS_MAX);
  judged_ = judged_by_explorer(o);
  if (choices_) {
    LUV_ASSERT(choices_->size() >= 1 && choices_->size() <= ChoiceSet::MAX);
    LUV_ASSERT(choices_->variants.front() == o.variant);
    for (const std::string& v : choices_->variants) {
      variant_rules_.push_back(impl::find_variant(v));
      LUV_ASSERT(variant_rules_.back() && impl::alike_but_asked(*variant_rules_.front(), *variant_rules_.back()));
    }
    iommu_choices_.assign(topology.iommus.size(), {});
    domain_choices_.assign(topology.domains.size(), {});
    for (int c = 0; c < choices_->size(); ++c) {
      const Topology& t = choices_->topology(c);
      LUV_ASSERT(t.iommus.size() == iommu_choices_.size() && t.domains.size() == domain_choices_.size());
      for (size_t i = 0; i < t.iommus.size(); ++i) iommu_choices_[i][t.iommus[i].ops] |= ChoiceSet::just(c);
      for (size_t d = 0; d < t.domains.size(); ++d) domain_choices_[d][t.domains[d].ops] |= ChoiceSet::just(c);
      const impl::variant_rules& rules = *variant_rules_[choices_->variant_index(c)];
      for (int r = 0; r < impl::ASKED_RULE_COUNT; ++r)
        rule_choices_[static_cast<size_t>(r)][rules.*impl::rule_field(static_cast<impl::asked_rule>(r))] |=
            ChoiceSet::just(c);
    }
  }
  if (o.snapshots && !o.bfs && impl::arena::supported()) {
    arena_ = std::make_unique<impl::arena::Arena>();
    Node root;
    root.threads.assign(static_cast<size_t>(o.threads), {});
    root.choices = all_choices();
    Scenario s = scenario_of(root);
    RunOptions ro = run_options(judged_);
    ChoiceSet alike = choices_alike_in([&] { in_arena([&] { run_ = new SteppedRun(s, ro); }); });
    LUV_ASSERT(root.choices.within(alike));  // the World is built alike for every choice
    start_ = arena_->save();
    holds_ = START;
  }
}

// The run, its World and their frames are dropped with the arena.
Replayer::~Replayer() = default;

RunOptions Replayer::run_options(const PropertySet& properties) {
  RunOptions ro;
  ro.properties = properties;
  ro.observer = capture_.get();
  ro.explore = &hook_;
  ro.invariant = o_.invariant;
  return ro;
}

ChoiceSet Replayer::all_choices() const {
  if (choices_ == nullptr) return {};
  return ChoiceSet::first(choices_->size());
}

ChoiceSet Replayer::choices_alike(const impl::op_footprint& asked) const {
  ChoiceSet alike = ChoiceSet::every();
  auto narrow = [&](const std::vector<std::array<ChoiceSet, 16>>& by_mask, bool domain) {
    for (size_t i = 0; i < by_mask.size(); ++i) {
      std::uint16_t masks = asked.alike(domain, static_cast<int>(i));
      if (masks == 0xffff) continue;  // nothing asked of it
      ChoiceSet any;
      for (int m = 0; m < 16; ++m)
        if (masks >> m & 1u) any |= by_mask[i][static_cast<size_t>(m)];
      alike &= any;
    }
  };
  narrow(iommu_choices_, false);
  narrow(domain_choices_, true);
  for (int r = 0; r < impl::ASKED_RULE_COUNT; ++r)
    if (asked.rule_asked(r)) alike &= rule_choices_[static_cast<size_t>(r)][asked.rule_answer(r)];
  return alike;
}

template <typename F>
ChoiceSet Replayer::choices_alike_in(F f) {
  if (choices_ == nullptr) {
    f();
    return ChoiceSet::every();
  }
  impl::op_footprint asked;
  {
    impl::op_footprint_scope scope(&asked);
    f();
  }
  return choices_alike(asked);
}

const Topology& Replayer::topology_of(const Node& n) const {
  if (choices_ == nullptr) return topology_;
  return choices_->topology(n.choices.lowest());
}

const std::string& Replayer::variant_of(const Node& n) const {
  if (choices_ == nullptr) return o_.variant;
  return choices_->variant(n.choices.lowest());
}


const impl::op_masks* Replayer::masks_of(const Node& n) {
  if (choices_ == nullptr) return nullptr;
  const Topology& t = topology_of(n);
  for (size_t i = 0; i < t.iommus.size(); ++i) masks_.iommus[i] = t.iommus[i].ops;
  for (size_t d = 0; d < t.domains.size(); ++d) masks_.domains[d] = t.domains[d].ops;
  masks_.rules = variant_rules_[choices_->variant_index(n.choices.lowest())];
  return &masks_;
}

Scenario Replayer::scenario_of(const Node& n) const {
  Scenario s;
  s.variant = variant_of(n);
  s.mode = o_.mode;
  s.topology = topology_of(n);
  s.faults.assign(n.faults.begin(), n.faults.end());
  for (const auto& calls : n.threads) s.threads.emplace_back(calls.begin(), calls.end());
  s.schedule.assign(n.schedule.begin(), n.schedule.end());
  s.kexec = true;
  return s;
}

Scenario Replayer::counterexample_of(const Node& n) const {
  Scenario s = scenario_of(n);
  while (s.threads.size() > 1 && s.threads.back().empty()) s.threads.pop_back();
  return s;
}

ChoiceSet Replayer::replay(Node& n, bool alone) {
  ++(alone ? stats_.alone_steps : stats_.transitions);
  capture_->reset(!alone);
  n.state_id = 0;
  ChoiceSet alike = choices_alike_in([&] {
    impl::op_masks_scope masks(masks_of(n));
    if (run_) step_to(n, !alone);
    else rerun(n, !alone);
  });
  ChoiceSet rest = n.choices & ~alike;
  n.choices &= ~rest;
  n.alike = alike;
  Capture& cap = *capture_;
  if (n.leaf || !cap.got) {  // !cap.got: an oops or deadlock ended the run before the stop
    n.leaf = true;
    return rest;
  }
  if (!alone) {
    n.world = cap.world, n.world_mirror = cap.world_mirror, n.observed = cap.observed, n.took_lock = cap.took_lock;
    n.footprint = cap.footprint;
  }
  n.in_call = cap.in_call;
  n.runnable = cap.runnable;
  n.quiescent = cap.in_call == 0;
  if (n.retrieve_fault) n.leaf = true;
  return rest;
}

// From the start: the Runner stops before the step past the prefix.
void Replayer::rerun(Node& n, bool keyed) {
  int steps = static_cast<int>(n.schedule.size());
  hook_.steps_stop = n.retrieve_fault ? -1 : steps;
  // The parent's replay checked every step but the last (a retrieve-fault
  // sibling: every thread step).
  hook_.checks_from = steps - (n.retrieve_fault ? 0 : 1);
  hook_.reads_step = keyed && o_.read_frames && !n.retrieve_fault ? steps - 1 : -1;
  hook_.reads = &capture_->reads;
  hook_.writes = &capture_->writes;
  RunResult r = run(scenario_of(n), run_options(judged_ & ~n.masked));
  take(n, r.verdict, 0, r.fault_visits, r.callers, r.divergence);
}

// From the saved state of n's parent (or an older ancestor's): the steps
// past it, and the next kernel when every thread has finished.
void Replayer::step_to(Node& n, bool keyed) {
  catch_up(n, keyed);
  const Verdict& v = run_->verdict();
  if (!v.ended && run_->all_finished()) {
    holds_ = 0;  // kexec changes the state: the arena no longer holds n's
    in_arena([&] { run_->finish(); });  // Capture::on_threads_done takes the state first
  } else if (!v.ended) {
    capture_->take(run_->world());
    holds_ = n.state_id = ++last_id_;
  }
  take(n, v, base_violations_, run_->world().fault_visits, run_->callers(), run_->divergence());
}

void Replayer::catch_up(const Node& n, bool capture) {
  std::uint64_t from = n.base ? n.base_id : START;
  bool parent_held = n.parent_id != 0 && n.parent_id == holds_;  // one step past what the arena holds
  if (!parent_held && from != holds_) arena_->restore(n.base ? *n.base : *start_);  // else: just saved
  holds_ = 0;
  base_violations_ = run_->verdict().violations.size();
  hook_.checks_from = 0;
  hook_.reads_step = -1;
  hook_.reads = &capture_->reads;
  hook_.writes = &capture_->writes;
  const Scenario& s = run_->scenario();
  int last = static_cast<int>(n.schedule.size()) - 1;
  if (capture && (parent_held ? n.parent_id : from) == components_of_ && run_->steps() == last)
    capture_->known_before = &parent_components_;
  in_arena([&] {
    for (size_t t = 0; t < n.threads.size(); ++t)
      for (size_t k = s.threads[t].size(); k < n.threads[t].size(); ++k)
        run_->start(static_cast<int>(t), n.threads[t][k]);
    for (size_t k = s.faults.size(); k < n.faults.size(); ++k) run_->add_fault(n.faults[k]);
    for (int i = run_->steps(); i <= last && !run_->verdict().ended; ++i) step(n.schedule[static_cast<size_t>(i)], capture && i == last);
  });
}

// One step of thread t, its reads noted when `reads`.
void Replayer::step(int t, bool reads) {
  reads &= o_.read_frames;
  size_t capacity = 0, write_capacity = 0;
  if (reads) {
    impl::arena::outside malloc_here;
    capture_->reads.reserve(READS_RESERVED);
    capture_->writes.reserve(READS_RESERVED);
    capacity = capture_->reads.capacity();
    write_capacity = capture_->writes.capacity();
  }
  hook_.reads_step = reads ? run_->steps() : -1;
  run_->step(t);
  // A buffer grown inside the arena would be lost with the state.
  if (reads && (capture_->reads.capacity() != capacity || capture_->writes.capacity() != write_capacity))
    throw std::logic_error("luv bug: a step noted more than " + std::to_string(capacity) + " reads or writes");
}

// f with this thread allocating from the arena. An exception's message,
// allocated there, is copied out before the arena can go.
template <typename F>
void Replayer::in_arena(F f) {
  std::string failure;
  try {
    impl::arena::inside in(*arena_);
    f();
    return;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  throw std::logic_error("explore, stepping a saved state: " + failure);
}

void Replayer::prepare(Node& n, bool save) {
  if (!run_) return;
  if (holds_ == n.state_id && n.state_id != 0) {
    std::swap(parent_components_, after_);  // n's, from its replay just now
  } else {
    impl::op_masks_scope masks(masks_of(n));
    catch_up(n, false);
    world_components(run_->world(), parent_components_);
  }
  holds_ = n.state_id = components_of_ = ++last_id_;
  if (!save) return;
  n.state = arena_->save();
  ++stats_.snapshots;
  stats_.snapshot_bytes_max = std::max(stats_.snapshot_bytes_max, static_cast<long long>(n.state->bytes()));
}

// What a run (from the start or from a saved state) showed, past the
// violations the state it started from had already shown.
void Replayer::take(Node& n, const Verdict& v, size_t first_new, const std::array<int, impl::FAULT_SITE_COUNT>& visits,
                    const CallersMemory& callers, const std::optional<std::string>& divergence_seen) {
  if (divergence_seen && divergence.empty()) {
    divergence = *divergence_seen;
    divergence_scenario = counterexample_of(n);
  }
  n.visits = visits;
  n.callers = callers_hash(callers, !racing_apart_);
  if (racing_apart_) n.racing = racing_bits(callers, static_cast<int>(topology_.domains.size()));
  for (size_t i = first_new; i < v.violations.size(); ++i) {
    n.violations.emplace_back(v.violations[i], n.masked);
    n.masked.set(static_cast<size_t>(v.violations[i].property));
  }
  if (v.ended) {
    note_ended(judged_ & ~n.masked);
    n.leaf = true;
  }
  n.alone = callers.alone_mask(capture_->in_call);
}

void Replayer::note_ended(const PropertySet& unjudged) {
  ++stats_.paths_ended;
  stats_.unjudged |= unjudged;
}

std::uint8_t Replayer::racing(const Node& n) const {
  constexpr size_t p = static_cast<size_t>(PropertyId::restore_matches);
  if (!racing_apart_) return 0;
  return judged_.test(p) && !n.masked.test(p) ? n.racing : std::uint8_t{0xff};
}

uint64_t Replayer::key(const Node& n, bool mirror) const {
  auto who = [&](int t) { return static_cast<size_t>(mirror ? 1 - t : t); };  // the thread in place t
  unsigned alone = runs_alone(o_) ? 0u : mirror ? swap_threads(n.alone) : n.alone;
  Hasher h;
  h.add(mirror ? n.world_mirror : n.world);
  h.add(static_cast<uint64_t>(n.calls_used) << 8 | static_cast<uint64_t>(n.faults_used));
  h.add(n.callers);
  h.add(alone);
  for (int t = 0; t < o_.threads; ++t) h.add(n.chain[who(t)]);
  // The thread that goes on alone (Node::mover) is searched differently.
  h.add(mirror ? swap_threads(n.mover) : n.mover);
  if (o_.read_frames)
    for (int t = 0; t < o_.threads; ++t)
      if (alone >> t & 1u) h.add(mirror ? n.start_mirror[who(t)] : n.start_world[who(t)]);
  return h.h;
}

void Replayer::advance(const Node& parent, Node& c, int t, const Call* started, uint64_t fault) const {
  LUV_ASSERT(t >= 0 && t < o_.threads);
  size_t i = static_cast<size_t>(t);
  Hasher h;
  if (started) {
    h.add(call_word(*started));
  } else {
    h.add(parent.chain[i]);
  }
  // A coroutine is deterministic: its frame is a function of its call and
  // of what each of its steps read (or, coarser, of the World it saw).
  h.add(o_.read_frames ? c.observed : parent.world);
  h.add(fault);
  c.chain = parent.chain;
  c.chain[i] = h.h;
  // A step that left the World as it was changed nothing, whether its reads
  // were noted or not.
  if (c.world == parent.world) c.footprint.changed = 0;
  c.start_world = parent.start_world;
  c.start_mirror = parent.start_mirror;
  if (started) c.start_world[i] = parent.world, c.start_mirror[i] = parent.world_mirror;
  c.call_alike = parent.call_alike;
  c.call_alike[i] = (started ? ChoiceSet::every() : parent.call_alike[i]) & c.alike;
  if (!(c.in_call >> t & 1u)) {
    c.chain[i] = 0;
    c.start_world[i] = c.start_mirror[i] = 0;
    c.call_alike[i] = ChoiceSet::every();
  }
}

Node Replayer::child(const Node& n, int t) const {
  Node c;
  c.calls_used = n.calls_used;
  c.faults_used = n.faults_used;
  c.threads = n.threads;
  c.schedule = n.schedule;
  c.schedule.push_back(static_cast<std::uint8_t>(t));
  c.faults = n.faults;
  c.masked = n.masked;
  c.named = n.named;
  c.choices = n.choices;
  // From n's saved state; or, before n is saved, from n's own base and
  // from n's state while the arena still holds it.
  c.base = n.state ? n.state : n.base;
  c.base_id = n.state ? n.state_id : n.base_id;
  c.parent_id = n.state ? 0 : n.state_id;
  return c;
}

}  // namespace luv::explorer
