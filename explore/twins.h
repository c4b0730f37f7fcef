// Interchangeable devices (docs/DESIGN.md, "Twin devices"): two devices
// behind the same IOMMU, with the same spec, each alone in its IOMMU group
// and its VFIO file alone in its LUO session, are twins: swapping them
// (with their files, sessions and groups) maps the topology onto itself.
// While no call of a path has named either, the state is the same under the
// swap, so a call on the higher one reaches, swapped, what the same call on
// the lower one reaches; only the lower one is searched.
#pragma once
#include <cstdint>
#include <vector>

#include "impl/scenario.h"

namespace luv::explorer {

class Twins {
 public:
  explicit Twins(const Topology& t);
  // The devices a call names (directly, by its file, or by its session's
  // files), a bit each.
  std::uint32_t named_by(const Call& c) const;
  // Whether the call, from a path whose calls named `touched`, is the swap
  // of a call on a lower twin that no call named either: it reaches what
  // that call reaches, swapped.
  bool covered(const Call& c, std::uint32_t touched) const;

 private:
  Topology t_;
  std::vector<int> lowest_twin_;  // per device: the lowest device it is a twin of (itself: none lower)
};

}  // namespace luv::explorer
