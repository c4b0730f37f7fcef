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

class Search {
 public:
  // `choices`: a lazy search of these op-set choices (null: topology's alone).
  Search(const ExploreOptions& o, const Topology& topology, long long states_max, Live& live,
         const std::vector<Topology>* choices = nullptr);
  ChoiceResult go();

 private:
  void generate(Node n);  // replayed, then into the frontier
  void visit(Node& n);
  // n in the visited set, under its key or its mirror's (fresh without hashing).
  VisitedSet::Visit look_up(Node& n);
  void expand(Node& n);
  int steps_from(const Node& n) const;
  void retrieve_fault_sibling(const Node& n);
  void step_busy(const Node& n, int t, unsigned& explored_pure);
  void start_calls(const Node& n, int t, bool searched);
  // `alone`: c starts a call that is also to be run alone (run_alone) for
  // these choices (alone_run_due), and so is each fault sibling of its first step.
  void faults_after(const Node& parent, const Node& c, int t, std::uint64_t alone = 0);
  std::uint64_t alone_run_due(const Node& n, int t, const Call& call);
  // x for only these of its lazy op-set choices (x itself without them).
  Node for_choices(Node x, std::uint64_t choices) const;
  void run_alone(Node x, int t);
  void alone_step(const Node& x, Node d, int t);
  // c replayed, once per class of its choices that answer the step's
  // questions alike (once without lazy op-set choices): f(each).
  template <typename F>
  void replay_each_class(Node c, bool alone, F f);
  void note_alone(const Node& n);
  void record(const Node& n, const Violation& v, const PropertySet& masked);
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
  std::vector<Call> alphabet_;
  Twins twins_;
  std::vector<std::uint64_t> alphabet_named_;  // per call of the alphabet: Twins::named_by, worked out once
  std::vector<ExploreFinding> findings_;
  std::array<bool, PROPERTY_COUNT> found_{};
  bool cut_ = false;
};

}  // namespace luv::explorer
