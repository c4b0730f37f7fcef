// `luv explore`: every Scenario within a bound, run through the Runner.
//
// A node is an execution prefix (calls started so far, schedule so far,
// faults fired so far), reached from its parent's saved state by one step
// (snapshots, depth-first) or by re-running the prefix from the start
// (breadth-first, --no-snapshots, ASan). Calls and faults are chosen
// lazily, when a thread starts a call and when a fault site is visited,
// so the bound's call sequences share their prefixes. Each op-set choice
// is a search of its own (`jobs` of them at once), unless an equivalent
// choice's search already stands for it. See README.md.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "explore/choice_set.h"
#include "impl/scenario.h"
#include "properties/outcome.h"
#include "properties/property.h"
#include "properties/runner.h"

namespace luv {

// What stopped a search short of the whole bound; the later, the stronger
// (a merged search reports the strongest of its op-set choices').
enum class CutBy : unsigned char { none, first_violation, states, budget, memory, interrupted };
// "the state limit", "the budget", "interrupted", ...
const char* cut_by_name(CutBy c);

struct ExploreStats {
  long long states = 0;           // execution prefixes reached and expanded
  long long transitions = 0;      // nodes reached (a step from a saved state, or a replay of the prefix)
  long long pruned_visited = 0;   // quiescent states reached again (subtree skipped)
  long long pruned_sleep = 0;     // steps skipped by sleep sets
  long long pruned_source = 0;    // steps skipped by source sets (and their subtrees)
  // Calls run alone from where a thread starts them (ExploreOptions::alone_runs),
  // and the steps those runs took past each call's first (not transitions).
  long long alone_runs = 0, alone_steps = 0;
  // States from which one thread alone went on (ExploreOptions::lock_movers).
  long long mover_states = 0;
  // Lazy op-set choices: steps whose questions split a node's choices (each
  // class past the first is a replay of its own).
  long long class_splits = 0;
  // And searched states whose choices widened, when their subtree was done,
  // to others that would have searched it alike (ExploreOptions::widen_choices).
  long long widened = 0;
  long long visited = 0;          // fingerprints in the visited set
  long long visited_bytes = 0;    // memory of the visited set (and of the calls run alone's starts)
  long long frontier = 0;         // nodes waiting (stack or queue)
  long long frontier_max = 0;
  // Snapshots: states saved (one per expanded node) and the largest, in
  // bytes (0 when the search replayed its prefixes).
  long long snapshots = 0, snapshot_bytes_max = 0;
  long long peak_rss_bytes = 0;
  double seconds = 0;
  // Paths an oops or a deadlock ended (nothing runs past them), and the
  // properties left unjudged past such an end on at least one of them.
  long long paths_ended = 0;
  PropertySet unjudged;
  bool complete = true;           // false when a limit cut the search (cut_by says which)
  CutBy cut_by = CutBy::none;
  int topology = 0, topologies = 0;  // op-set choices finished, of
  // Op-set choices whose search was an equivalent choice's, not their own
  // (docs/DESIGN.md, "Op-set choices, and equivalent op sets"): their
  // counts above are that search's, and only the choices searched add to
  // states_searched, the work done. Which choice stands for which can
  // depend on `jobs`' timing; the counts and verdicts cannot.
  int covered = 0;
  long long states_searched = 0;
  // Odds that two distinct visited states share a 64-bit fingerprint: the
  // sum over the op-set choices (each has its own visited set) of n^2/2^65.
  double collision_odds = 0;
  double states_per_second() const { return seconds > 0 ? states_searched / seconds : 0; }
  double bytes_per_visited() const { return visited > 0 ? double(visited_bytes) / double(visited) : 0; }
};

struct ExploreOptions {
  std::string variant = "reference";
  // Variants searched in the same lazy search as `variant`, each a choice
  // more per op-set choice (docs/DESIGN.md, "Variants searched together"):
  // each must differ from it only in rules the code asks (impl/variant.h,
  // asked_rule), so that a path is shared until a question tells them
  // apart. Their results are ExploreResult::searched_with, in this order.
  std::vector<std::string> searched_with;
  CallerMode mode = CallerMode::adversarial;
  int threads = 2;
  int calls = 4;   // in total, over all threads
  int faults = 1;  // at most, over the whole run (next kernel included)
  // IOMMU 1's and domain 1's op sets are replaced by each choice below
  // (empty: every subset); the rest of the topology is taken as is.
  Topology topology = default_topology();
  std::vector<unsigned char> iommu1_ops;
  std::vector<unsigned char> domain1_ops;
  bool bfs = false;      // shortest counterexamples: fewest calls, then fewest steps
  bool por = true;       // sleep sets, and source sets when source_sets
  // Where two busy threads are all that can step, one's step is searched
  // first and the other's skipped when the first commutes with all the
  // other does alone (docs/DESIGN.md, "Source sets"). Only with por; off
  // by default, as it cuts no state on any variant measured.
  bool source_sets = false;
  bool hashing = true;   // visited set at quiescent points
  // A paused thread is keyed on what its steps read (true) or, coarser, on
  // the whole World at each of its resumes (false; kept to check the first).
  bool read_frames = true;
  // Every step's components, kept up to date from what it read and wrote,
  // also computed from the whole World and compared: a logic_error when
  // they differ (the differential test of docs/DESIGN.md, "Components kept
  // up to date").
  bool components_checked = false;
  // Two threads: a state and its mirror (the threads swapped) are one.
  bool symmetry = true;
  // Depth-first: a node is reached by restoring its parent's saved state
  // and taking one step (impl/shim/arena.h), not by replaying its prefix.
  // Same states and verdicts either way; off for BFS (its frontier would
  // keep a state per parent) and where the arena is not built (ASan).
  bool snapshots = true;
  // A choice inside the footprint of a choice already searched takes that
  // search's result instead of its own (impl/op_footprint.h; off: every
  // choice is searched, kept to check the first).
  bool op_set_equivalence = true;
  // error-path-deleted compares a failing call's end with its start only
  // when no other thread stepped in between (the call ran alone). On: each
  // call a thread starts is also run alone to its end, once per World it
  // starts from, and a state's key leaves out which calls have run alone so
  // far (docs/DESIGN.md, "Calls run alone"). Off, and breadth-first: the
  // key keeps them.
  bool alone_runs = true;
  // restore-matches leaves out the objects whose calls raced (the callers
  // cannot know which won), so of two states that differ only there, the
  // one with fewer racing objects judges all the other does. On: the key
  // leaves them out, the visited set keeps each state's, and a state reached
  // again with those or more is pruned (docs/DESIGN.md, "Racing objects").
  // Off: the key keeps them.
  bool racing_subsumption = true;
  // A step that only took a lock lasting the run (LUO's FLB lock, a
  // session's) commutes with every step another thread could take next, so
  // its thread alone goes on from the state it reaches, while it can: the
  // other orders are searched from before the step (docs/DESIGN.md, "Lock
  // movers"). Off: every thread steps from every state.
  bool lock_movers = true;
  // Twins (explore/twins.h): a call on a device or domain no call of the
  // path has named is searched only on its lowest such twin. Off (and while
  // an invariant is held): on every one.
  bool twins = true;
  // Lazy op-set choices (docs/DESIGN.md, "Lazy op-set choices"): the choices
  // with the same twins searched as one, a node standing for the choices
  // that answered its path's questions alike. Off: a search per choice.
  // Only where lazily() says so.
  bool lazy_op_sets = false;
  // Lazily, every op-set choice in one search (one job), the choices whose
  // twins differ included: a call is started only for the choices whose
  // twins do not cover it (docs/DESIGN.md, "One search of every choice").
  // Off: one search per twin group, `jobs` of them at once.
  bool one_search = false;
  // And a searched state, once its subtree is done, also stands for every
  // choice that would have searched it alike, so that reaching it again for
  // one skips it (docs/DESIGN.md, "Choices searched alike"). Off: only for
  // the choices it was searched for.
  bool widen_choices = true;
  PropertySet properties = all_properties();
  // 0: no limit. Else each op-set choice gets an equal share of it (a lazy
  // search, its choices' shares), so the outcome does not depend on `jobs`;
  // a cut search says "unknown".
  long long states_max = 0;
  int jobs = 1;  // searches at once (a choice's, or a lazy search's; results merged in choice order)
  // --shard i/N: search only the op-set choices whose index in choice order
  // is i-1 mod N (1 <= i <= N <= the choices); `luv merge` combines the N
  // shards' reports into one run's. states_max keeps its share per choice
  // of the whole bound, so a choice searches the same in any shard.
  int shard = 1, shards = 1;
  bool first_violation_only = false;  // stop at the first violation (mutant killing)
  std::function<void(const ExploreStats&)> progress;  // about once a second, from the calling thread
  // Tests: each state searched, by its key and the lazy op-set choices it is
  // searched for (0 without), from the search's thread.
  std::function<void(std::uint64_t key, explorer::ChoiceSet choices)> on_search;
  // Tests: each arrival at a state where no thread is in a call, by its
  // World (world_fingerprint) and the callers' memory (Node::callers); and
  // each violation seen, at every arrival.
  std::function<void(std::uint64_t world, std::uint64_t callers)> on_quiescent;
  std::function<void(const Violation&)> on_violation;
  // Tests: each call run alone, by its start (the World, thread, call and
  // faults used, hashed), and the choices it is run for, or covered for.
  std::function<void(std::uint64_t start, explorer::ChoiceSet choices)> on_alone;
  // A hard limit (luv verify's and luv explore's budget): past it the search
  // stops as at states_max. A stop request (stop.h) stops it the same way.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // A search whose result is no longer wanted (luv verify's background
  // search, when the run ends early) stops as at an interrupt once this is
  // requested.
  std::stop_token abandon;
  // 0: no limit. Else the search stops, as at states_max, once the process's
  // resident memory passes it (a BFS frontier grows without end otherwise).
  long long memory_max_bytes = 0;
  // Held at every quiescent state reached (RunOptions::invariant); called
  // from the `jobs` threads, so it must be safe to call at once.
  std::function<std::string(const impl::World&)> invariant;
};

struct ExploreFinding {
  PropertyId property = PropertyId::no_leak;
  Scenario counterexample;  // replays to `violation` with run() and `checked`
  // The properties to replay it with: those not violated earlier on its path,
  // so that this one is the first violation replaying shows.
  PropertySet checked = all_properties();
  Violation violation;
  int calls = 0;
  int steps = 0;  // the steps of the counterexample's schedule
};

struct ExploreResult {
  EngineReport report;
  ExploreStats stats;
  std::vector<ExploreFinding> findings;  // shortest first (BFS), else by op-set choice, then in the order found
  // The first state outside ExploreOptions::invariant (in op-set choice order), and its prefix.
  std::string divergence;
  std::optional<Scenario> divergence_scenario;
  // Per variant of ExploreOptions::searched_with, its result; the counts
  // (stats) are the one search's, the same in each.
  std::vector<ExploreResult> searched_with;
};

namespace explorer {
struct ChoiceResult;  // one search's result (explore/search.h)
}

// Empty when the options can run, else one line naming the option at fault.
std::string validate(const ExploreOptions& o);
// Whether the choices are searched lazily: asked for, and neither a shard
// (its unit is a choice), nor every choice on its own
// (op_set_equivalence off), nor an invariant held (it reads whole masks).
bool lazily(const ExploreOptions& o);
// Throws std::invalid_argument when validate() is not empty. The shard's
// choices (all of them without --shard), merged by merge_choices().
ExploreResult explore(const ExploreOptions& o);

// The bound's op-set choices (IOMMU 1's op set x domain 1's), in choice order.
std::vector<Topology> op_set_choices(const ExploreOptions& o);
// The indices, in choice order, of the choices o's shard searches.
std::vector<size_t> shard_choices(const ExploreOptions& o);
// Searches the shard's choices, `jobs` at once; their results in the order
// of shard_choices(). Throws std::invalid_argument as explore() does.
std::vector<explorer::ChoiceResult> explore_choices(const ExploreOptions& o);
// Choice results, in choice order, as one search's result: sums of the
// counts, and per property the first choice's finding (DFS) or the shortest,
// ties to the earlier choice (BFS). explore() merges its own choices so, and
// `luv merge` the choices of every shard; `seconds` is the time reported.
ExploreResult merge_choices(const ExploreOptions& o, const std::vector<explorer::ChoiceResult>& choices,
                            double seconds);
// merge_choices() per variant searched (ExploreOptions::searched_with): the
// result of o.variant, with each other variant's in searched_with. explore()
// merges its choices so.
ExploreResult merge_variants(const ExploreOptions& o, const std::vector<explorer::ChoiceResult>& choices,
                             double seconds);
// For `luv verify`: the report alone.
EngineReport explore_variant(const ExploreOptions& o);

// The calls a thread may start in `mode` on `topology` (the call alphabet).
std::vector<Call> call_alphabet(CallerMode mode, const Topology& topology);

// The machine's cores: how many op-set choices to search at once by default.
int default_jobs();

// Peak resident memory of this process, from /proc (0 when unknown).
long long peak_rss_bytes();
// Resident memory of this process now, from /proc (0 when unknown).
long long rss_bytes();

}  // namespace luv
