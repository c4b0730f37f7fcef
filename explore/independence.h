// Which steps of two threads commute, for the sleep sets (docs/DESIGN.md,
// "Partial-order reduction").
//
// A step's footprint is the World components it touched (read or wrote)
// and those it changed, each as a 64-bit mask with one bit per component
// (a component's id hashed to a bit). Two steps taken from one state commute
// when neither changed a component the other touched: each then reads the
// same values in either order and writes what the other never sees, so both
// orders end in the same World with each thread at the same point. Bits
// shared by two different components only make steps look dependent, which
// costs reduction, never soundness.
#pragma once
#include <cstdint>

namespace luv::explorer {

struct StepFootprint {
  // All ones: unknown (the step's reads were not noted), dependent on every
  // step that changed anything.
  std::uint64_t touched = ~std::uint64_t{0};
  std::uint64_t changed = ~std::uint64_t{0};
  bool operator==(const StepFootprint&) const = default;
};

// The component's bit (ids are dense in their low bits and kinds in their
// top byte, so both are mixed in).
inline std::uint64_t footprint_bit(std::uint64_t component) {
  return std::uint64_t{1} << ((component * 0x9e3779b97f4a7c15ull) >> 58);
}

inline bool commute(const StepFootprint& a, const StepFootprint& b) {
  return (a.changed & b.touched) == 0 && (b.changed & a.touched) == 0;
}

}  // namespace luv::explorer
