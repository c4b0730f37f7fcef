// One op-set choice's search: depth-first (or breadth-first for shortest
// counterexamples) over execution prefixes, pruned by the visited set at
// quiescent and keyed states and by sleep sets (POR); each call a thread
// starts is also run alone (error-path-deleted). explore() runs one per
// op-set choice, `jobs` at once, and merges their results.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "explore/explore.h"
#include "explore/replay.h"
#include "explore/twins.h"
#include "explore/visited_set.h"

namespace luv::explorer {

// Progress shared by the searches running at once.
struct Live {
  std::atomic<long long> states{0}, frontier{0};
  std::atomic<bool> over_memory{false};  // the calling thread watches memory_max_bytes
  // A luv bug in a search (an exception): every search stops, and the
  // calling thread rethrows the first once all have (rethrow_failure).
  std::atomic<bool> failed{false};
  void fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> hold(failure_lock_);
    if (!failure_) failure_ = e;
    failed = true;
  }
  void rethrow_failure() const {
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  std::mutex failure_lock_;
  std::exception_ptr failure_;
};

// One search (an op-set choice's, or a lazy search's of several) and what it found.
struct ChoiceResult {
  ExploreStats stats;
  std::vector<ExploreFinding> findings;
  std::string divergence;
  std::optional<Scenario> divergence_scenario;
};

// The nodes waiting: a stack (DFS), or a queue by fewest calls, then fewest
// steps, then order of arrival (BFS). Keeps the frontier's stats and its
// share of Live::frontier.
class Frontier {
 public:
  Frontier(bool bfs, Live& live, ExploreStats& stats) : bfs_(bfs), live_(live), stats_(stats) {}
  Frontier(const Frontier&) = delete;
  Frontier& operator=(const Frontier&) = delete;
  void push(Node n);
  bool empty() const { return bfs_ ? queue_.empty() : stack_.empty(); }
  Node pop();
  // The search is over: its nodes leave Live::frontier.
  void close();

 private:
  struct Entry {
    int calls, steps;
    std::uint64_t seq;
    Node node;
    bool operator>(const Entry& b) const { return std::tie(calls, steps, seq) > std::tie(b.calls, b.steps, b.seq); }
  };
  void note();

  bool bfs_;
  Live& live_;
  ExploreStats& stats_;
  std::vector<Node> stack_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue_;
  std::uint64_t seq_ = 0;
  long long last_size_ = 0;
};

// Lazy op-set choices: a state being searched, until every node its
// expansion made is done. Then the choices it stands for widen to every
// choice of the search that would have searched it alike: one that, at
// every transition, answers the step's questions as one of its classes did
// and is covered where that class went, and for which every call started
// here has run alone (docs/DESIGN.md, "Choices searched alike").
struct Pending {
  std::shared_ptr<Pending> up;  // the state whose expansion made this one's node (null: the root)
  int up_transition = -1;
  ChoiceSet alike = ChoiceSet::every();  // the node's Node::alike
  // Its visited-set entry, and the sleep set (the key's threads) and racing
  // objects it is searched with.
  std::uint64_t key = 0;
  unsigned sleep = 0;
  std::uint8_t racing = 0;
  ChoiceSet covered;   // the choices it is searched for, or the entry covered already
  ChoiceSet in_state;  // the choices whose state at this key is this one (Node::call_alike)
  ChoiceSet alone = ChoiceSet::every();  // the choices for which every call started here has run alone
  // Per transition: the choices it concerns (a fault sibling's: those alike
  // in the step it faults), and those covered where its classes went.
  std::vector<std::pair<ChoiceSet, ChoiceSet>> transitions;
  int open = 1;  // nodes made and not done, and 1 while expanding
};

// Source sets (Search::step_pair): what the path of thread B's steps alone,
// after thread A's quiet step from a state where only A and B can step,
// showed of whether A's step commutes with all of them.
struct SourceWatch {
  int thread;                // B
  StepFootprint first;       // A's step
  bool ended = false;        // B's call ended on the path
  bool dependent = false;    // a step of B's on it did not commute with A's, or split or judged
};

class Search {
 public:
  // `choices`: a lazy search of these choices (null: o.variant on topology alone).
  Search(const ExploreOptions& o, const Topology& topology, long long states_max, Live& live,
         const LazyChoices* choices = nullptr);
  ChoiceResult go();

 private:
  void generate(Node n, int transition);  // replayed, then into the frontier
  void visit(Node& n);
  // n in the visited set, under its key or its mirror's (fresh without
  // hashing): that key, and the arrival as the visited set left it.
  VisitedSet::Visit look_up(Node& n, std::uint64_t& key, VisitedSet::Arrival& a);
  // n expanded; with widening, as a Pending.
  void search_from(Node& n, std::uint64_t key, const VisitedSet::Arrival& a);
  void expand(Node& n);
  // Widening (docs/DESIGN.md, "Choices searched alike"): a transition of
  // the state being expanded, concerning the choices `alike` (-1: none
  // kept); c into the frontier as a class of it; n done, covered for
  // `covered`; a transition's class done, up to every state it finishes.
  int open_transition(ChoiceSet alike);
  void push(Node c, int transition);
  void done(Node& n, ChoiceSet covered);
  void fold(std::shared_ptr<Pending> p, int transition, ChoiceSet covered);
  ChoiceSet finish(const Pending& p);
  int steps_from(const Node& n) const;
  void retrieve_fault_sibling(const Node& n);
  // The busy threads whose quiet step from the node being expanded has
  // been explored, with its footprint: the later siblings may sleep on them.
  struct Explored {
    unsigned threads = 0;
    std::array<StepFootprint, THREADS_MAX> footprint{};
  };
  void step_busy(const Node& n, int t, Explored& explored);
  void settle(const Node& n, int t, Node& c, Explored& explored);
  bool step_pair(const Node& n);
  void follow(const Node& n, Node& c);
  void fall_asleep(const Node& n, const Explored& explored, Node& c);
  void start_calls(const Node& n, int t, bool searched);
  // `alone`: c starts a call that is also to be run alone (run_alone) for
  // these choices (alone_run_due), and so is each fault sibling of its
  // first step; the choices whose runs alone from those siblings are all
  // alike (all ones when none is run).
  ChoiceSet faults_after(const Node& parent, const Node& c, int t, ChoiceSet alone = {});
  // `start`: the call's start as alone_started_ keys it, none when it is
  // not to be run alone at all.
  // `starts`: the choices whose own search starts the call (not_twin_covered).
  ChoiceSet alone_run_due(const Node& n, int t, const Call& call, std::optional<std::uint64_t>& start,
                          ChoiceSet starts);
  // After a call's runs alone from `start`, covering `covered` if `ran`:
  // the choices whose run alone from there is done.
  void note_alone_start(const std::optional<std::uint64_t>& start, bool ran, ChoiceSet covered, ChoiceSet starts);
  // The choices whose own search starts a call naming `objects` from a path
  // that named `named`: those whose twins do not cover it (all without twins).
  ChoiceSet not_twin_covered(std::uint64_t objects, std::uint64_t named) const;
  // x for only these of its lazy op-set choices (x itself without them).
  Node for_choices(Node x, ChoiceSet choices) const;
  // The runs alone return the choices of the search that would have run
  // alike (lazy op-set choices; none when cut).
  ChoiceSet run_alone(Node x, int t);
  ChoiceSet alone_step(const Node& x, Node d, int t);
  // c replayed, once per class of its choices that answer the step's
  // questions alike (once without lazy op-set choices): f(each).
  template <typename F>
  void replay_each_class(Node c, bool alone, F f);
  void note_alone(const Node& n);
  // A violation at n: a finding for each variant of the search that has a
  // choice in n.choices and none of that property yet.
  void record(const Node& n, const Violation& v, const PropertySet& masked);
  // Whether every variant of the search has a finding of p.
  bool found_everywhere(PropertyId p) const;
  CutBy limit_reached() const;
  void cut(CutBy why);

  const ExploreOptions& o_;
  long long states_max_;
  Live& live_;
  std::chrono::steady_clock::time_point start_;
  ExploreStats stats_;
  Replayer replayer_;
  Frontier frontier_;
  VisitedSet visited_;
  // The (World, thread, call, faults used) a call was run alone from, hashed
  // (and, lazily, the choices it was run alone for).
  VisitedSet alone_started_;
  const bool lazy_;  // lazy op-set choices
  const bool widen_;  // and choices searched alike widened (ExploreOptions::widen_choices)
  std::shared_ptr<Pending> expanding_;  // the state expand() is expanding, when widening
  std::vector<Call> alphabet_;
  // Per twin class of the search's choices: its twins, and its choices
  // (every choice without lazy op-set choices).
  std::vector<std::pair<Twins, ChoiceSet>> twins_;
  std::vector<std::uint64_t> alphabet_named_;  // per call of the alphabet: Twins::named_by, worked out once
  std::vector<ExploreFinding> findings_;
  // Per variant of the search (one without lazy op-set choices), its
  // choices and the properties it has a finding of.
  std::vector<ChoiceSet> variant_choices_;
  std::vector<std::array<bool, PROPERTY_COUNT>> found_;
  bool cut_ = false;
};

}  // namespace luv::explorer
