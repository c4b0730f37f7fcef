// Solver-backed snapshot checks: the state-level properties (refcount-balanced,
// no-dangling, no-leak) asserted as Z3 formulas over one implementation
// snapshot, a second opinion beside the C++ checks of properties/object_graph.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "properties/runner.h"
#include "solver/heap.h"

namespace luv::impl {
struct World;
}

namespace luv::solver {

struct SnapshotFindings {
  bool refcount = false;   // refcount-balanced violated (HW records and the FLB count)
  bool dangling = false;   // no-dangling violated
  bool orphan = false;     // no-leak: something preserved that nothing owns
  bool remaining = false;  // no-leak: everything was unpreserved, yet something remains
};

// Every record of every array page as a slot, every driver page as a page
// slot, and the kernel objects' pointers into them.
Heap world_heap(z3::context& c, const impl::World& w);

// `everything_unpreserved`: what the Runner believes (no outstanding preserve, no file).
SnapshotFindings snapshot_check(const impl::World& w, bool everything_unpreserved);

// The same four judgements by the C++ checks, for comparison.
SnapshotFindings graph_check(const impl::World& w, bool everything_unpreserved);

// A RunObserver that, at every call's end, judges the snapshot both ways and
// records each disagreement (a bug in one of the two checks). It never fails
// the run itself; it forwards to an inner observer when given one.
class CrossCheckObserver : public RunObserver {
 public:
  explicit CrossCheckObserver(RunObserver* inner = nullptr) : inner_(inner) {}
  void on_start(const impl::World& w) override;
  void on_call_start(const impl::World& w, int thread, const Call& call) override;
  std::optional<std::string> on_call_end(const impl::World& w, const CallRecord& record) override;
  std::optional<std::string> on_threads_done(const impl::World& w) override;

  const std::vector<std::string>& disagreements() const { return disagreements_; }
  int snapshots_checked() const { return checked_; }

 private:
  RunObserver* inner_;
  std::vector<std::string> disagreements_;
  int checked_ = 0;
};

}  // namespace luv::solver
