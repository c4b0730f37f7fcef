// What a run asked of its driver op sets, and so which other op sets it
// could have had and run the same.
//
// The code under test, the model and the checks see an IOMMU's or a domain's
// op set only through questions: is this op there, does the driver lack an
// unpreserve twin. Each question goes through ask_ops(), which answers it
// from the run's own mask and, when the thread keeps a footprint, narrows
// that object's entry to the masks that give the same answer. Two op sets
// that agree on every answer make the same run, step for step; the explorer
// uses that to search one op-set choice for all the choices its footprint
// holds (docs/DESIGN.md, "Op-set choices, and equivalent op sets"). That
// rests on every read of an op mask during a run being a question: a read
// that is not one lets the explorer take a search for a choice that would
// have run otherwise (explore/tests/equivalence_test.cpp catches one).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>

#include "impl/scenario.h"
#include "impl/thread_scope.h"

namespace luv::impl {

struct variant_rules;  // impl/variant.h

// The op set an op, or a table of them, belongs to.
struct op_owner {
  bool domain = false;  // a domain's op set (else an IOMMU's)
  int index = -1;       // the IOMMU's or domain's index; -1: none (a table not built from a topology)
  u8 mask = 0;          // the run's op set (IommuOp or DomainOp bits)
};

// Bit m of the entry of IOMMU i (domain i): op mask m answers every
// question asked so far of that object's op set as its own mask did. Only
// the thread whose questions narrow it writes it; the explorer reads it
// from another thread while the search runs (to put off the choices it may
// yet hold), hence the atomics, relaxed: a stale entry only holds more.
class op_footprint {
 public:
  op_footprint() {
    for (auto& e : iommus_) e.store(0xffff, std::memory_order_relaxed);
    for (auto& e : domains_) e.store(0xffff, std::memory_order_relaxed);
  }
  op_footprint(const op_footprint& o) { *this = o; }
  op_footprint& operator=(const op_footprint& o) {
    for (size_t i = 0; i < iommus_.size(); ++i) iommus_[i].store(o.iommus_[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
    for (size_t i = 0; i < domains_.size(); ++i) domains_[i].store(o.domains_[i].load(std::memory_order_relaxed), std::memory_order_relaxed);
    rules_asked_ = o.rules_asked_;
    rules_answered_ = o.rules_answered_;
    return *this;
  }
  // An asked rule (impl/variant.h, asked_rule r) got `answer`. Only the
  // explorer's search of several variants reads these (a run asks each rule
  // of one variant, so it gets one answer each time), on its own thread.
  void note_rule(int r, bool answer) {
    rules_asked_ = static_cast<std::uint8_t>(rules_asked_ | 1u << r);
    rules_answered_ = static_cast<std::uint8_t>((rules_answered_ & ~(1u << r)) | unsigned(answer) << r);
  }
  // Whether rule r was asked, and what it answered.
  bool rule_asked(int r) const { return rules_asked_ >> r & 1u; }
  bool rule_answer(int r) const { return rules_answered_ >> r & 1u; }
  // Keeps only the masks in `alike` for that object.
  void narrow(bool domain, int index, std::uint16_t alike) {
    std::atomic<std::uint16_t>& e = (domain ? domains_ : iommus_)[static_cast<size_t>(index)];
    e.store(static_cast<std::uint16_t>(e.load(std::memory_order_relaxed) & alike), std::memory_order_relaxed);
  }
  // The masks that answer alike for that object.
  std::uint16_t alike(bool domain, int index) const {
    return (domain ? domains_ : iommus_)[static_cast<size_t>(index)].load(std::memory_order_relaxed);
  }
  // Whether every op set of `t` answers alike: a run on t asks the same
  // questions, gets the same answers, and so runs the same.
  bool holds(const Topology& t) const {
    for (size_t i = 0; i < t.iommus.size(); ++i)
      if (!(iommus_[i].load(std::memory_order_relaxed) >> t.iommus[i].ops & 1u)) return false;
    for (size_t d = 0; d < t.domains.size(); ++d)
      if (!(domains_[d].load(std::memory_order_relaxed) >> t.domains[d].ops & 1u)) return false;
    return true;
  }

 private:
  std::array<std::atomic<std::uint16_t>, SCENARIO_IOMMUS_MAX> iommus_;
  std::array<std::atomic<std::uint16_t>, SCENARIO_DOMAINS_MAX> domains_;
  std::uint8_t rules_asked_ = 0, rules_answered_ = 0;
};

// The footprint this thread's questions narrow (null: none is kept). The
// explorer sets it for the length of one op-set choice's search.
inline thread_local op_footprint* thread_op_footprint = nullptr;

// Keeps `f` as the thread's footprint while it lives.
struct op_footprint_scope : thread_scope<op_footprint*> {
  explicit op_footprint_scope(op_footprint* f) : thread_scope(thread_op_footprint, f) {}
};

// The op sets this thread's questions are answered from instead of the
// owners' own masks (null: the owners'), and the rules its asked rules are
// (impl/variant.h; null: the World's). The explorer's lazy op-set search
// (docs/DESIGN.md, "Lazy op-set choices") runs one World for a whole class
// of choices, each step with the class's representative.
struct op_masks {
  std::array<u8, SCENARIO_IOMMUS_MAX> iommus{};
  std::array<u8, SCENARIO_DOMAINS_MAX> domains{};
  const variant_rules* rules = nullptr;
};
inline thread_local const op_masks* thread_op_masks = nullptr;

// Answers this thread's questions from `m` (null: the owners' masks) while it lives.
struct op_masks_scope : thread_scope<const op_masks*> {
  explicit op_masks_scope(const op_masks* m) : thread_scope(thread_op_masks, m) {}
};

// question(mask) -> bool, asked of `who`'s op set; noted in the thread's footprint.
template <typename Q>
bool ask_ops(const op_owner& who, Q question) {
  u8 mask = who.mask;
  if (thread_op_masks != nullptr && who.index >= 0)
    mask = (who.domain ? thread_op_masks->domains : thread_op_masks->iommus)[static_cast<size_t>(who.index)];
  bool answer = question(mask);
  op_footprint* f = thread_op_footprint;
  if (f == nullptr || who.index < 0) return answer;
  int masks = who.domain ? DOMAIN_OPS_ALL + 1 : IOMMU_OPS_ALL + 1;
  std::uint16_t alike = 0;
  for (int m = 0; m < masks; ++m)
    if (question(static_cast<u8>(m)) == answer) alike = static_cast<std::uint16_t>(alike | 1u << m);
  f->narrow(who.domain, who.index, alike);
  return answer;
}

// The same, of a topology's op sets.
template <typename Q>
bool ask_iommu_ops(const Topology& t, int iommu, Q question) {
  return ask_ops(op_owner{false, iommu, t.iommus[static_cast<size_t>(iommu)].ops}, question);
}
template <typename Q>
bool ask_domain_ops(const Topology& t, int domain, Q question) {
  return ask_ops(op_owner{true, domain, t.domains[static_cast<size_t>(domain)].ops}, question);
}

}  // namespace luv::impl
