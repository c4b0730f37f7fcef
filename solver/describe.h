// The abstract state in plain values: read off a Z3 model or off an
// implementation World, compared by the differential test, printed in
// reports (counterexamples to induction) as text and as a dot graph.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <z3++.h>

#include "solver/encoding.h"

namespace luv::impl {
struct World;
}

namespace luv::solver {

struct AbstractState {
  std::vector<bool> file, set, page;
  std::vector<bool> deleted, freed;  // per object: the record it names is flagged deleted / on a freed page
  std::vector<bool> hw_stale;        // per device: iommu_phys names a dead record its IOMMU no longer holds
  std::vector<bool> claim;           // per device: it holds its claim on its group's DMA ownership
  std::vector<bool> grown;           // per device: a new device joined the group it heads
  std::vector<int> rc, dev_dom;      // dev_dom -1: links a dead record no domain holds
  bool stray = false;                // a preserved driver page no object holds
  std::array<int, 3> fill{};  // meaningful only while the FLB object exists
  int count = 0;
  bool flb = false, warned = false;
  bool operator==(const AbstractState& o) const;
  std::string describe(const Layout& l) const;
  std::string dot(const Layout& l, const std::string& title) const;
};

AbstractState read_state(const z3::model& m, const Layout& l, const State& s);
// The implementation's state, abstracted the same way (exact for the states
// the encoding represents: no live record or page that nothing holds).
AbstractState abstract_world(const impl::World& w);

std::string describe_state(const z3::model& m, const Layout& l, const State& s);

}  // namespace luv::solver
