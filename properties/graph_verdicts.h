// The object-graph properties (refcount-balanced, no-dangling, no-leak)
// decided straight from the World, without building the Boost.Graph object
// graph: the Runner asks this at every quiescent point and builds the graph
// (object_graph.h) only for a state this says violates a property (the
// report's message is the graph's) or cannot decide. The graph stays the
// oracle: RunOptions::graph_checks selects the graph alone, or both with a
// check that they agree (properties/tests/graph_verdicts_test.cpp).
//
// Why it equals the graph's verdict: check_object_graph() reads the judged
// graph only through what an address resolves to (a page, a record slot below
// the page's count, or nowhere) and whether that vertex is live; this reads
// the same addresses with the same resolution (resolve() below), the same
// kernel objects, the same unfreed pages and FLB objects. The one finding
// whose existence depends on the graph's edge order is a page-chain cycle
// (a DFS back edge of kind next_page): a state with any cycle among what the
// FLB objects reach is left undecided, and the graph decides it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "linux/types.h"

namespace luv::impl {
struct World;
struct kho_page;
}

namespace luv {

class Unfreed;
struct GraphFindings;

// yes: check_object_graph() has a finding of that kind; no: it has none;
// unsure: build the graph to know.
enum class Tri : unsigned char { no, yes, unsure };

struct GraphVerdicts {
  Tri refcount = Tri::unsure;   // GraphFindings::refcount
  Tri dangling = Tri::unsure;   // GraphFindings::dangling
  Tri orphans = Tri::unsure;    // GraphFindings::orphans
  Tri remaining = Tri::unsure;  // GraphFindings::remaining
};

// What the graph's findings say, kind by kind (never unsure).
GraphVerdicts verdicts_of(const GraphFindings& f);

// "" when every decided verdict of `v` equals the graph's, else which kind
// differs and what the graph says (the differential test's message).
std::string disagreement(const GraphVerdicts& v, const GraphFindings& f);

// A vertex of the judged graph named by what an address resolves to: the
// graph's target() (object_graph.cpp) for the same World.
struct Node {
  enum kind_t : unsigned char { nowhere, page, record } kind = nowhere;
  std::uint32_t page_index = 0;  // index in w.kho.pages
  std::uint32_t slot = 0;        // records
  // One number per vertex, for sorting and marks: 0 is nowhere.
  std::uint64_t id() const;
};
Node resolve(const impl::World& w, impl::phys_addr_t addr);

// Decides the verdicts of a World. Keeps its scratch buffers between calls,
// so that a check at a quiescent point allocates nothing once warm.
class GraphJudge {
 public:
  // `unfreed` must be up to date for w (Unfreed::update).
  GraphVerdicts judge(const impl::World& w, const Unfreed& unfreed);

 private:
  void kernel_objects(const impl::World& w, GraphVerdicts& v);
  void live_records(const impl::World& w, const Unfreed& unfreed, GraphVerdicts& v);
  void hw_records(const Unfreed& unfreed, GraphVerdicts& v);
  void iommu_states(const impl::World& w, GraphVerdicts& v);
  void chains(const impl::World& w, const Unfreed& unfreed, GraphVerdicts& v);
  bool finds_cycle(const impl::World& w, const Unfreed& unfreed);
  void out_edges(const impl::World& w, const Node& n, std::vector<Node>& out) const;
  bool marked(std::uint64_t id) const { return id < mark_.size() && mark_[id] == epoch_; }
  void mark(std::uint64_t id);
  void next_epoch();

  std::vector<std::uint64_t> owned_records_;  // preserved in-edges from kernel objects, one per edge
  std::vector<std::uint64_t> owned_pages_;    // driver_page in-edges from kernel objects
  std::vector<std::uint64_t> iommu_targets_;  // where live device records' iommu_phys lead
  std::vector<std::uint32_t> mark_;           // == epoch_: reached by the current walk
  std::vector<unsigned char> on_stack_;       // the cycle search's gray vertices
  std::uint32_t epoch_ = 0;
  std::vector<bool> behind_;
  std::vector<Node> stack_, edges_;
  struct frame {
    Node node;
    std::uint32_t first, next, end;  // its out-edges in edges_
  };
  std::vector<frame> frames_;
};

}  // namespace luv
