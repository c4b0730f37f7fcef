// The explorer's visited set: 64-bit fingerprints in open addressing, 8
// bytes a slot, grown at 1/2 load, so 16..32 bytes per fingerprint stored;
// with POR, one more byte a slot: the sleep set the state was last expanded
// with. One per op-set choice's search; not shared between threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "properties/assert.h"

namespace luv::explorer {

class VisitedSet {
 public:
  explicit VisitedSet(bool sleeps) : slots_(1u << 10, 0), sleeps_(sleeps ? slots_.size() : 0, 0) {}
  enum Visit { fresh, seen, again };
  // A state seen before with a sleep set inside `sleep` explored everything
  // this visit would (seen). Otherwise it is expanded (again) with only what
  // both visits let sleep, which explores at least what either would.
  Visit visit(std::uint64_t fp, unsigned& sleep) {
    if (fp == 0) fp = 1;  // 0 marks an empty slot
    if ((size_ + 1) * 2 > slots_.size()) grow();
    size_t i = place(slots_, fp);
    if (slots_[i] == 0) {
      slots_[i] = fp;
      if (!sleeps_.empty()) sleeps_[i] = static_cast<std::uint8_t>(sleep);
      ++size_;
      LUV_ASSERT(size_ * 2 <= slots_.size());  // the load bound that keeps place() finite
      return fresh;
    }
    LUV_ASSERT(slots_[i] == fp);
    if (sleeps_.empty() || (sleeps_[i] & ~sleep) == 0) return seen;
    sleeps_[i] &= static_cast<std::uint8_t>(sleep);
    sleep = sleeps_[i];
    return again;
  }
  long long size() const { return static_cast<long long>(size_); }
  long long bytes() const { return static_cast<long long>(slots_.size() * sizeof(std::uint64_t) + sleeps_.size()); }

 private:
  // The slot holding fp, or the empty slot where it goes (the table is
  // never full: size_ stays at most half the slots).
  static size_t place(const std::vector<std::uint64_t>& slots, std::uint64_t fp) {
    size_t mask = slots.size() - 1;
    size_t i = fp & mask;
    while (slots[i] != fp && slots[i] != 0) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    std::vector<std::uint64_t> bigger(slots_.size() * 2, 0);
    std::vector<std::uint8_t> bigger_sleeps(sleeps_.empty() ? 0 : bigger.size(), 0);
    size_t moved = 0;
    for (size_t j = 0; j < slots_.size(); ++j) {
      if (slots_[j] == 0) continue;
      size_t i = place(bigger, slots_[j]);
      LUV_ASSERT(bigger[i] == 0);  // every fingerprint is stored once
      bigger[i] = slots_[j];
      if (!sleeps_.empty()) bigger_sleeps[i] = sleeps_[j];
      ++moved;
    }
    LUV_ASSERT(moved == size_);
    slots_.swap(bigger);
    sleeps_.swap(bigger_sleeps);
  }
  std::vector<std::uint64_t> slots_;  // a power of two of them
  std::vector<std::uint8_t> sleeps_;
  size_t size_ = 0;
};

}  // namespace luv::explorer
