// A set of a lazy search's choices (docs/DESIGN.md, "Lazy op-set choices"):
// bit i, choice i. 128 of them, so that two variants searched together
// ("Variants searched together") fit the default bound's larger twin group
// (48 op-set choices, 96 with two variants). A class of its own, not an
// integer, so that an all-ones word or a shift of one cannot pass for a set
// of a different width without the compiler saying so.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>

#include "properties/assert.h"

namespace luv::explorer {

class ChoiceSet {
 public:
  static constexpr int MAX = 128;
  constexpr ChoiceSet() = default;
  // Every choice there can be (with Replayer::all_choices, the search's).
  static constexpr ChoiceSet every() { return ChoiceSet(~0ull, ~0ull); }
  static constexpr ChoiceSet just(int i) {
    LUV_ASSERT(i >= 0 && i < MAX);
    return i < 64 ? ChoiceSet(1ull << i, 0) : ChoiceSet(0, 1ull << (i - 64));
  }
  // Choices i of `low` (0..63) and 64 + i of `high`, bit i each.
  static constexpr ChoiceSet from_bits(std::uint64_t low, std::uint64_t high = 0) { return ChoiceSet(low, high); }
  // Choices 0 .. n-1.
  static constexpr ChoiceSet first(int n) {
    LUV_ASSERT(n >= 0 && n <= MAX);
    if (n == MAX) return every();
    if (n >= 64) return ChoiceSet(~0ull, n == 64 ? 0 : (1ull << (n - 64)) - 1);
    return ChoiceSet(n == 0 ? 0 : (1ull << n) - 1, 0);
  }

  constexpr bool empty() const { return (lo_ | hi_) == 0; }
  constexpr bool has(int i) const { return !(*this & just(i)).empty(); }
  // The lowest choice; the set must not be empty.
  constexpr int lowest() const {
    LUV_ASSERT(!empty());
    return lo_ != 0 ? std::countr_zero(lo_) : 64 + std::countr_zero(hi_);
  }
  constexpr bool within(ChoiceSet b) const { return (*this & ~b).empty(); }

  constexpr ChoiceSet operator&(ChoiceSet b) const { return ChoiceSet(lo_ & b.lo_, hi_ & b.hi_); }
  constexpr ChoiceSet operator|(ChoiceSet b) const { return ChoiceSet(lo_ | b.lo_, hi_ | b.hi_); }
  constexpr ChoiceSet operator~() const { return ChoiceSet(~lo_, ~hi_); }
  constexpr ChoiceSet& operator&=(ChoiceSet b) { return *this = *this & b; }
  constexpr ChoiceSet& operator|=(ChoiceSet b) { return *this = *this | b; }
  constexpr bool operator==(const ChoiceSet&) const = default;

  // A hash of the set (VisitedSet's table of the sets it meets).
  std::size_t hash() const { return static_cast<std::size_t>(lo_ * 0x9e3779b97f4a7c15ull ^ hi_ * 0xbf58476d1ce4e5b9ull); }

 private:
  constexpr ChoiceSet(std::uint64_t lo, std::uint64_t hi) : lo_(lo), hi_(hi) {}
  std::uint64_t lo_ = 0, hi_ = 0;
};

struct ChoiceSetHash {
  std::size_t operator()(ChoiceSet s) const { return s.hash(); }
};

}  // namespace luv::explorer
