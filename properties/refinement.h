// The model-refinement property as a RunObserver.
//
// Design: the observer records each call (its thread, return value, first
// and last step, and the faults injected while it ran, attributed by the
// step that fired them) and judges the history at every quiescent point,
// i.e. whenever a call returns and no other thread is inside a call. The
// calls since the previous quiescent point form a segment; it must be
// linearizable (linearizability.h) from the model states the previous
// segment could end in, and end in a state abstracting to the World's.
// A run of one thread, or of threads that never overlap, makes every
// segment one call: then this is the plain check "after each call the
// result is one the model allows and the abstraction equals the model
// state", with a message naming the expected results or the differing
// fields. Mid-segment states are not compared: there another thread is
// half-way through a call, and only its linearization point is defined.
//
// A segment the search cannot decide within its bound (linearizability.h)
// is no violation: the observer records it in undecided() and judges
// nothing more of that run, since the model states the next segment starts
// from are unknown. RunObserver has no channel for it yet; an engine reads
// undecided() after the run (see check.cpp).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "properties/linearizability.h"
#include "properties/object_graph.h"
#include "properties/runner.h"

namespace luv {

class RefinementObserver : public RunObserver {
 public:
  void on_start(const impl::World& w) override;
  void on_call_start(const impl::World& w, int thread, const Call& call) override;
  void on_step(const impl::World& w, int thread) override;
  std::optional<std::string> on_call_end(const impl::World& w, const CallRecord& record) override;

  int segments_checked() const { return segments_; }
  long long search_nodes() const { return nodes_; }
  // Empty when every segment of the last run was decided; else why not.
  const std::string& undecided() const { return undecided_; }

  // The search's bound, for every segment of the following runs.
  void set_linearize_options(const LinearizeOptions& o) { options_ = o; }
  // Every segment judged from now on is appended here (benchmarks, tests).
  struct Segment {
    std::vector<model::State> starts;
    std::vector<HistoryCall> calls;
    model::Abstract target;
  };
  void keep_segments(std::vector<Segment>* out) { kept_ = out; }

 private:
  std::optional<model::Model> model_;
  std::string unsupported_;  // the model cannot represent this topology
  std::vector<model::State> states_;  // where the history may be, at the last quiescent point
  std::vector<std::vector<model::FaultHit>> faults_;  // per thread: faults of its current call
  std::vector<bool> in_call_;
  std::vector<HistoryCall> segment_;
  size_t faults_seen_ = 0;
  int in_flight_ = 0;
  int segments_ = 0;
  long long nodes_ = 0;
  std::string undecided_;
  LinearizeOptions options_;
  std::vector<Segment>* kept_ = nullptr;
  Unfreed unfreed_;  // the World's unfreed pages, for the abstraction at each quiescent point
};

}  // namespace luv
