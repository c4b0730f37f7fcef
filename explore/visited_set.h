// The explorer's visited set: 64-bit fingerprints in open addressing, with
// beside each the sleep set the state was last expanded with (POR), the
// racing objects it had (racing subsumption) and the choices it was searched
// for (lazy op-set choices, as an id in a table of the sets met: a search
// meets a few dozen): 12 bytes a slot, in one place, so that a probe misses
// the cache once, not once per array (bench/RESULTS.md, thirteenth session).
// Grown at 7/10 load, so 17.1..34.3 bytes per fingerprint stored. One per
// search; not shared between threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "explore/choice_set.h"
#include "explore/huge_page_allocator.h"
#include "properties/assert.h"

namespace luv::explorer {

class VisitedSet {
 public:
  // `sleeps`: keep each state's sleep set (POR); `racing`: and the objects
  // restore-matches left out when it was searched (racing subsumption).
  // `choices`: and the op-set choices it was searched for (lazy op-set choices).
  VisitedSet(bool sleeps, bool racing, bool choices = false)
      : slots_(1u << 10), sleeps_(sleeps), racing_(racing), choices_(choices) {
    if (choices) sets_.push_back(ChoiceSet{}), id_of_[ChoiceSet{}] = 0;  // id 0: no choice
  }
  enum Visit { fresh, seen, again };
  // What a visit brings: the sleep set it would expand with, and the racing
  // objects its path has (a bit each; all ones when restore-matches is not
  // judged on it).
  // With lazy op-set choices, `choices` holds the arrival's; a visit that
  // is not `seen` leaves there the choices to search it for.
  // `covered` comes back holding the entry's choices when the entry
  // explored everything this visit would (none otherwise).
  struct Arrival {
    unsigned sleep = 0;
    std::uint8_t racing = 0;
    ChoiceSet choices;
    ChoiceSet covered;
  };
  // A state searched before with a sleep set inside the arrival's and racing
  // objects among the arrival's explored everything this visit would: the
  // fewer objects left out, the more restore-matches judges (seen).
  // Otherwise it is expanded (again): with the same racing objects, with
  // only what both visits let sleep, which explores at least what either
  // would; else as it arrives, and it becomes the entry if it leaves out no
  // more than the entry did.
  //
  // With choices: the entry holds the choices searched with its sleep set
  // and racing objects. An arrival for which the entry explored everything
  // is seen for the entry's choices and searched for its others only (with
  // the entry's sleep set, and then they join the entry, when the racing
  // objects are the same); any other is searched for all its choices, as
  // above, and when the entry changes to what that search used, it holds
  // only those.
  Visit visit(std::uint64_t fp, Arrival& a) {
    fp = stored(fp);
    if (over_load(size_ + 1)) grow();
    size_t i = place(slots_, fp);
    Slot& slot = slots_[i];
    if (slot.empty()) {
      slot.set_fp(fp);
      if (sleeps_) slot.sleep = static_cast<std::uint8_t>(a.sleep);
      if (racing_) slot.racing = a.racing;
      if (choices_) set_choices(i, a.choices);
      ++size_;
      LUV_ASSERT(!over_load(size_));  // the load bound that keeps place() finite
      return fresh;
    }
    LUV_ASSERT(slot.fp() == fp);
    std::uint8_t had = racing_ ? slot.racing : a.racing;
    bool explored = explores(sleep_of(i, a.sleep), had, a.sleep, a.racing);
    if (choices_) {
      a.covered = explored ? choices(i) : ChoiceSet{};
      if (explored) {
        ChoiceSet others = a.choices & ~choices(i);
        if (others.empty()) return seen;
        a.choices = others;  // the entry's were searched as this arrival needs
        if (had == a.racing) {  // searched with the entry's sleep set, which sleeps no more, they join it
          if (sleeps_) a.sleep = slot.sleep;
          set_choices(i, choices(i) | others);
        }
        return again;
      }
      if (had == a.racing || (a.racing & ~had) == 0) set_choices(i, a.choices);  // the entry becomes this search's
    } else if (explored) {
      return seen;
    }
    if (had == a.racing) {
      LUV_ASSERT(sleeps_);  // else it was seen
      slot.sleep &= static_cast<std::uint8_t>(a.sleep);
      a.sleep = slot.sleep;
    } else if ((a.racing & ~had) == 0) {
      slot.racing = a.racing;
      if (sleeps_) slot.sleep = static_cast<std::uint8_t>(a.sleep);
    }
    return again;
  }
  // With choices: fp's entry, searched with `sleep` and `racing` (as a
  // visit left them in its Arrival), now also stands for `choices`, when
  // that search explored everything the entry's sleep set and racing
  // objects would (docs/DESIGN.md, "Choices searched alike"). The entry's
  // choices after.
  ChoiceSet widen(std::uint64_t fp, unsigned sleep, std::uint8_t racing, ChoiceSet choices) {
    LUV_ASSERT(choices_);
    fp = stored(fp);
    size_t i = place(slots_, fp);
    LUV_ASSERT(slots_[i].fp() == fp);  // visited before
    if (explores(sleep, racing, sleep_of(i, sleep), racing_ ? slots_[i].racing : racing))
      set_choices(i, this->choices(i) | choices);
    return this->choices(i);
  }
  long long size() const { return static_cast<long long>(size_); }
  long long bytes() const {
    return static_cast<long long>(slots_.size() * sizeof(Slot) + sets_.size() * 3 * sizeof(ChoiceSet));
  }

 private:
  // Whether a search with sleep set `sleep` and racing objects `racing`
  // explored everything one with `other_sleep` and `other_racing` would: it
  // let no more sleep, and left out no more objects (so judged no less).
  static bool explores(unsigned sleep, std::uint8_t racing, unsigned other_sleep, std::uint8_t other_racing) {
    return (sleep & ~other_sleep) == 0 && (racing & ~other_racing) == 0;
  }
  // Slot i's sleep set; without sleep sets kept, `otherwise`.
  unsigned sleep_of(size_t i, unsigned otherwise) const { return sleeps_ ? slots_[i].sleep : otherwise; }
  // A fingerprint as a slot holds it: 0 marks an empty slot, so 0 is kept as 1.
  static std::uint64_t stored(std::uint64_t fp) { return fp == 0 ? 1 : fp; }
  // At most 7 in 10 slots hold a fingerprint: a linear probe then takes a
  // few steps on average, and a slot of 10 bytes keeps a state under 32.
  bool over_load(size_t n) const { return n * 10 > slots_.size() * 7; }
  // The slot holding fp, or the empty slot where it goes (the table is
  // never full: over_load() keeps three slots in ten empty).
  // A fingerprint and what is kept beside it; the fingerprint in two
  // halves, so that the slot aligns to 4 bytes and takes 12.
  struct Slot {
    std::uint32_t fp_low = 0, fp_high = 0;
    std::uint8_t sleep = 0, racing = 0;
    std::uint16_t choices = 0;  // an id in sets_
    std::uint64_t fp() const { return std::uint64_t{fp_high} << 32 | fp_low; }
    void set_fp(std::uint64_t fp) {
      fp_low = static_cast<std::uint32_t>(fp);
      fp_high = static_cast<std::uint32_t>(fp >> 32);
    }
    bool empty() const { return (fp_low | fp_high) == 0; }
  };
  static_assert(sizeof(Slot) == 12);
  using Slots = std::vector<Slot, HugePageAllocator<Slot>>;
  static size_t place(const Slots& slots, std::uint64_t fp) {
    size_t mask = slots.size() - 1;
    size_t i = fp & mask;
    while (slots[i].fp() != fp && !slots[i].empty()) i = (i + 1) & mask;
    return i;
  }
  void grow() {
    Slots bigger(slots_.size() * 2);
    size_t moved = 0;
    for (const Slot& s : slots_) {
      if (s.empty()) continue;
      size_t i = place(bigger, s.fp());
      LUV_ASSERT(bigger[i].empty());  // every fingerprint is stored once
      bigger[i] = s;
      ++moved;
    }
    LUV_ASSERT(moved == size_);
    slots_.swap(bigger);
  }
  Slots slots_;  // a power of two of them
  // What the slots keep besides the fingerprint.
  bool sleeps_, racing_, choices_;
  // Slot i's choices.
  ChoiceSet choices(size_t i) const { return sets_[slots_[i].choices]; }
  // Slot i now holds `set`; or, once the table is full and `set` is new,
  // what it held if that is within `set`, else no choice: fewer choices
  // than searched, which only searches a state again.
  void set_choices(size_t i, ChoiceSet set) {
    auto it = id_of_.find(set);
    std::uint16_t& id = slots_[i].choices;
    if (it != id_of_.end()) {
      id = it->second;
    } else if (sets_.size() <= SET_ID_MAX) {
      id = static_cast<std::uint16_t>(sets_.size());
      id_of_.emplace(set, id);
      sets_.push_back(set);
    } else if (!choices(i).within(set)) {
      id = 0;
    }
  }
  static constexpr size_t SET_ID_MAX = 0xffff;
  std::vector<ChoiceSet> sets_;  // by id
  std::unordered_map<ChoiceSet, std::uint16_t, ChoiceSetHash> id_of_;
  size_t size_ = 0;
};

}  // namespace luv::explorer
