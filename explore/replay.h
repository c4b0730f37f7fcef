// The explorer's nodes and how it reaches them: a node is an execution
// prefix (calls started, schedule, faults fired), keyed for the visited set
// on what the rest of the run can depend on. Its state is reached from its
// parent's saved state by one step (snapshots, depth-first), or by re-running
// the prefix from the start through the Runner (breadth-first, or no arena).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "explore/choice_set.h"
#include "explore/explore.h"
#include "explore/fingerprint.h"
#include "impl/op_footprint.h"
#include "impl/scenario.h"
#include "impl/shim/arena.h"
#include "impl/variant.h"
#include "properties/assert.h"
#include "properties/property.h"
#include "properties/runner.h"

namespace luv::explorer {

struct Pending;      // explore/search.h
struct SourceWatch;  // explore/search.h

// validate(ExploreOptions) allows at most this many threads.
inline constexpr int THREADS_MAX = 8;

// An execution prefix and what its replay showed.
struct Node {
  Node() { call_alike.fill(ChoiceSet::every()); }
  int calls_used = 0;
  int faults_used = 0;
  // The path's calls, schedule and faults, kept inline up to the default
  // bound's size (4 calls over 2 threads, 64 steps, 1 fault), so that a
  // child, which copies them, costs no allocation.
  boost::container::small_vector<boost::container::small_vector<Call, 4>, 2> threads;
  boost::container::small_vector<std::uint8_t, 64> schedule;  // thread ids, below THREADS_MAX
  boost::container::small_vector<Fault, 2> faults;
  PropertySet masked;  // properties switched off to go on past their violation on this path
  unsigned sleep = 0;  // threads whose next step sleep sets skip
  // Per thread in `sleep`: the footprint of its next step (taken from an
  // ancestor, which none of the steps since touched).
  std::array<StepFootprint, THREADS_MAX> asleep{};
  std::uint64_t named = 0;  // the devices and domains the path's calls named (Twins::named_by)
  // Lazy op-set choices: choice i of the search's (LazyChoices) answers
  // every question the path asked as the lowest does; empty: one choice.
  ChoiceSet choices;
  // From the replay, with lazy op-set choices: every choice of the search
  // that answers the last step's questions as the lowest of `choices` did
  // (all ones without).
  ChoiceSet alike = ChoiceSet::every();
  // Per thread: the choices that answered every question its current call
  // asked on this path as the lowest of `choices` did (all ones for an idle
  // thread). The key holds what each call read, not what it was answered,
  // so only these choices are in this node's state at its key, frames and
  // all (Search::finish).
  std::array<ChoiceSet, THREADS_MAX> call_alike;
  // Lazy op-set choices: the state whose expansion made this node, waiting
  // for its children (null: none, or the root), and which of its
  // transitions this node is a class of (Search::push).
  std::shared_ptr<Pending> up;
  int up_transition = -1;
  // Source sets (Search::step_pair): the watch whose path this node is on,
  // and the watch that decides whether this node is searched at all.
  std::shared_ptr<SourceWatch> watch, skip_if;
  // Per busy thread: a hash of its call and of the World at each of its
  // resumes in this call (with the faults its steps injected), which
  // determines its coroutine's locals; 0 for an idle thread.
  std::array<std::uint64_t, THREADS_MAX> chain{};
  // Per busy thread: the World where its call started, which the Runner's
  // error-path-deleted compares with while the call runs alone.
  std::array<std::uint64_t, THREADS_MAX> start_world{}, start_mirror{};
  bool retrieve_fault = false;  // a terminal-only sibling: the next kernel's FLB retrieve fails
  std::uint64_t seq = 0;
  // From the replay:
  std::uint64_t world = 0;         // world_fingerprint()
  std::uint64_t world_mirror = 0;  // the same with threads 0 and 1 swapped (symmetry only)
  std::uint64_t observed = 0;      // what the last step read: components with their content before it
  bool took_lock = false;          // the last step only took a lock that lasts the run (only_took_lasting_lock)
  StepFootprint footprint;         // what the last step touched and changed
  // Lock movers: the bit of the thread whose last step only took a lasting
  // lock, so that it alone goes on from here while it can (docs/DESIGN.md,
  // "Lock movers"); 0 for none.
  unsigned mover = 0;
  // The Runner's memory where the replay ended (RunResult::callers): a hash
  // of what the callers believe, and the busy threads whose call has run
  // alone (error-path-deleted compares their start with the state then).
  std::uint64_t callers = 0;
  unsigned alone = 0;
  // The racing objects restore-matches leaves out, a bit each (domains
  // first, then devices), when the visited set keeps them apart from the key.
  std::uint8_t racing = 0;
  std::array<int, impl::FAULT_SITE_COUNT> visits{};
  unsigned in_call = 0, runnable = 0;
  bool quiescent = false;
  bool leaf = false;  // nothing runs past it (an oops, a deadlock, a terminal-only sibling)
  std::vector<std::pair<Violation, PropertySet>> violations;  // seen, with the properties masked then
  // Snapshots: the saved state a replay starts from (an ancestor's; null:
  // the run's start), and, once the node is expanded, its own.
  std::shared_ptr<const impl::arena::Snapshot> base, state;
  // Which states those are (Replayer::holds_ names the one the arena holds):
  // base_id, base's (0 with no base: the run's start); state_id, the node's
  // own once reached, 0 when the arena no longer holds it unsaved.
  std::uint64_t base_id = 0, state_id = 0;
  // The parent's state while the arena may still hold it unsaved (a call
  // run alone steps on from it): 0 when the parent was saved.
  std::uint64_t parent_id = 0;
};

// The properties the explorer judges: o.properties less model-refinement
// (it runs no model observer: run() would attach the model for it, at a cost
// per state).
inline PropertySet judged_by_explorer(const ExploreOptions& o) {
  PropertySet judged = o.properties;
  judged.reset(static_cast<size_t>(PropertyId::model_refinement));
  return judged;
}

// Whether calls are run alone (ExploreOptions::alone_runs): not breadth-first,
// where a run alone would report its finding before the shorter ones the
// queue reaches later.
inline bool runs_alone(const ExploreOptions& o) { return o.alone_runs && !o.bfs; }

// Whether a thread whose step only took a lasting lock goes on alone
// (ExploreOptions::lock_movers): depth-first, with read-keyed frames (the
// step's reads tell what it did).
inline bool lock_movers(const ExploreOptions& o) { return o.lock_movers && !o.bfs && o.read_frames; }

// Whether source sets skip steps (ExploreOptions::source_sets): a part of POR.
inline bool source_sets(const ExploreOptions& o) { return o.por && o.source_sets; }

// Whether twins stand for each other (ExploreOptions::twins): not while an
// invariant is held (ExploreOptions::invariant, `luv verify`'s check of a
// proof's invariant): twins are alike by the implementation's symmetry,
// and the invariant, which is on trial there, need not share it.
inline bool twins(const ExploreOptions& o) { return o.twins && !o.invariant; }

// A call as one word (its kind and every argument, 12 bits each: validate()
// bounds them far below), for the hashes: different calls, different words.
inline std::uint64_t call_word(const Call& c) {
  static_assert(CALL_KIND_COUNT <= 16);
  auto field = [](int x, int shift) {
    LUV_ASSERT(x >= -1 && x < 0xfff);
    return static_cast<std::uint64_t>(x + 1) << shift;
  };
  return static_cast<std::uint64_t>(c.kind) << 60 | field(c.file, 48) | field(c.session, 36) | field(c.domain, 24) |
         field(c.device, 12);
}

// Bits of threads 0 and 1 swapped (the symmetry of two threads).
inline unsigned swap_threads(unsigned bits) { return (bits & ~3u) | (bits & 1u) << 1 | (bits >> 1 & 1u); }

// A lazy search's choices (docs/DESIGN.md, "Lazy op-set choices"): each of
// its variants (ExploreOptions::variant, then those searched with it) with
// each of its op-set choices, variant by variant, so that choice c is
// variant c / topologies.size() on topology c % topologies.size().
struct LazyChoices {
  std::vector<std::string> variants;
  std::vector<Topology> topologies;
  int size() const { return static_cast<int>(variants.size() * topologies.size()); }
  const Topology& topology(int c) const { return topologies[static_cast<size_t>(c) % topologies.size()]; }
  size_t variant_index(int c) const { return static_cast<size_t>(c) / topologies.size(); }
  const std::string& variant(int c) const { return variants[variant_index(c)]; }
};

// Replays nodes of one search (an op-set choice's, or a lazy search's of
// several) and keys them.
class Replayer {
 public:
  // `choices`: lazy op-set choices (null: o.variant on topology alone),
  // whose first must be `topology`.
  Replayer(const ExploreOptions& o, const Topology& topology, ExploreStats& stats,
           const LazyChoices* choices = nullptr);
  // The choices of a lazy search, as the root's Node::choices (empty: none).
  ChoiceSet all_choices() const;

  // The properties judged: o.properties less model-refinement.
  const PropertySet& judged() const { return judged_; }
  // Two threads with read-keyed frames: a state and its mirror are one.
  bool symmetric() const { return symmetric_; }

  Replayer(const Replayer&) = delete;
  Replayer& operator=(const Replayer&) = delete;
  ~Replayer();

  // Runs the node's prefix; fills its replay fields and its violations. The
  // Runner goes on past a violation, so one run judges every property; a
  // property violated on this path is masked in its children's runs (its
  // finding is made), and an oops or a deadlock makes the node a leaf.
  // `alone`: a step of a call run alone (counted as such, not as a
  // transition, and not keyed: its World and reads are left unhashed).
  // Lazy op-set choices: the step runs on the lowest of n.choices, which
  // keeps those that answer its questions (the next kernel's too) alike;
  // the rest are returned, to be replayed as a node of their own.
  ChoiceSet replay(Node& n, bool alone = false);
  // Before n's children are replayed: brings n's state into the arena and,
  // when `save` (more than one child will step from it), saves it for them
  // (snapshots). Unsaved, a child steps on from the arena while it holds n,
  // and from n's own base otherwise.
  void prepare(Node& n, bool save);
  // The node one step of thread t past n, not yet replayed.
  Node child(const Node& n, int t) const;
  // Thread t took the step from `parent` to `c` (starting `started` when not
  // null; `fault` names the fault it injected, 0 for none).
  void advance(const Node& parent, Node& c, int t, const Call* started, std::uint64_t fault) const;
  // Whether the visited set keeps the racing objects apart from the key
  // (ExploreOptions::racing_subsumption, on a topology of at most 8 domains
  // and devices: a bit each).
  bool racing_apart() const { return racing_apart_; }
  // n's racing objects for the visited set: all ones where restore-matches
  // is not judged on n's path (they change nothing then).
  std::uint8_t racing(const Node& n) const;
  // The visited-set key; `mirror`: of the state with threads 0 and 1 swapped.
  std::uint64_t key(const Node& n, bool mirror) const;
  // A counterexample file: the prefix, without threads that never ran.
  Scenario counterexample_of(const Node& n) const;

  // The first state outside ExploreOptions::invariant, and its prefix.
  std::string divergence;
  std::optional<Scenario> divergence_scenario;

 private:
  class Capture;
  static constexpr size_t READS_RESERVED = 4096;  // reads one step may note (a few dozen in practice)
  RunOptions run_options(const PropertySet& properties);
  Scenario scenario_of(const Node& n) const;
  // `keyed`: n is keyed (its World hashed, its last step's reads resolved).
  void rerun(Node& n, bool keyed);
  void step_to(Node& n, bool keyed);
  // The stepped run caught up with n's prefix from n.base; `capture`: its
  // last step's reads and the state it ends in go to the Capture.
  void catch_up(const Node& n, bool capture);
  void step(int t, bool reads);
  template <typename F>
  void in_arena(F f);
  void take(Node& n, const Verdict& v, size_t first_new, const std::array<int, impl::FAULT_SITE_COUNT>& visits,
            const CallersMemory& callers, const std::optional<std::string>& divergence);
  void note_ended(const PropertySet& unjudged);
  // The topology n's steps run on: its lowest choice's (topology_ without lazy op-set choices).
  const Topology& topology_of(const Node& n) const;
  // The variant n's steps run as: its lowest choice's (o_.variant without lazy op-set choices).
  const std::string& variant_of(const Node& n) const;
  // The op sets and rules n's steps answer from: topology_of(n)'s and
  // variant_of(n)'s (null without lazy op-set choices).
  const impl::op_masks* masks_of(const Node& n);
  // f() run; the choices that answered its questions alike (all without lazy op-set choices).
  template <typename F>
  ChoiceSet choices_alike_in(F f);

  const ExploreOptions& o_;
  Topology topology_;
  const LazyChoices* choices_;
  impl::op_masks masks_;
  // Lazy op-set choices: [object][mask], the choices giving that IOMMU
  // (domain) that mask, and [asked rule][answer], the choices whose variant
  // answers that, so that a footprint's choices are a few ANDs.
  std::vector<std::array<ChoiceSet, 16>> iommu_choices_, domain_choices_;
  std::array<std::array<ChoiceSet, 2>, impl::ASKED_RULE_COUNT> rule_choices_;
  std::vector<const impl::variant_rules*> variant_rules_;  // per variant of choices_
  ChoiceSet choices_alike(const impl::op_footprint& asked) const;
  ExploreStats& stats_;
  PropertySet judged_;
  bool symmetric_;
  bool racing_apart_;
  Components before_, after_;  // Capture's buffers, reused by every replay
  std::unique_ptr<Capture> capture_;
  ExploreHook hook_;
  // Snapshots: the arena, the run inside it, the state where it started,
  // and which node's state the arena holds now (0: none).
  std::unique_ptr<impl::arena::Arena> arena_;
  SteppedRun* run_ = nullptr;
  std::shared_ptr<const impl::arena::Snapshot> start_;
  // The state the arena holds now (0: none known) and the last id given;
  // the run's start is START.
  static constexpr std::uint64_t START = 1;
  std::uint64_t holds_ = 0, last_id_ = START;
  size_t base_violations_ = 0;  // violations of the state a step_to started from
  // The components of the last state prepare() was given, for its children's steps.
  Components parent_components_;
  std::uint64_t components_of_ = 0;  // the state they are of
};

}  // namespace luv::explorer
