// Twins (docs/DESIGN.md, "Twin devices and domains"): two devices behind
// the same IOMMU with the same spec, each alone in its IOMMU group and its
// VFIO file alone in its LUO session, are twins; so are two domains with
// the same op set whose iommufd files are each alone in a session. Swapping
// twins (with their groups, files and sessions) maps the topology onto
// itself. While no call of a path has named either twin, the state is the
// same under the swap, so a call on the higher one reaches, swapped, what
// the same call on the lower one reaches; only the lower one is searched.
#pragma once
#include <cstdint>
#include <vector>

#include "impl/scenario.h"

namespace luv::explorer {

class Twins {
 public:
  explicit Twins(const Topology& t);
  // The objects a call names (directly, by its file, or by its session's
  // files): device d is bit d, domain m bit 32 + m.
  std::uint64_t named_by(const Call& c) const;
  // Whether a call naming `objects` (named_by), from a path whose calls
  // named `named`, is the swap of a call on a lower twin that no call named
  // either: it reaches what that call reaches, swapped.
  bool covered(std::uint64_t objects, std::uint64_t named) const;
  bool covered(const Call& c, std::uint64_t named) const { return covered(named_by(c), named); }
  // The same objects are twins (what a search with them skips depends on
  // nothing else: equivalent op sets need it, explore.cpp's ChoiceQueue).
  bool operator==(const Twins& b) const { return lowest_twin_ == b.lowest_twin_; }

 private:
  Topology t_;
  // Per object (by its bit): the lowest object it is a twin of (itself when
  // none is lower).
  std::vector<int> lowest_twin_;
};

}  // namespace luv::explorer
