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
// holds (docs/DESIGN.md, "Equivalent op sets").
#pragma once
#include <array>
#include <cstdint>

#include "impl/scenario.h"

namespace luv::impl {

// The op set an op, or a table of them, belongs to.
struct op_owner {
  bool domain = false;  // a domain's op set (else an IOMMU's)
  int index = -1;       // the IOMMU's or domain's index; -1: none (a table not built from a topology)
  u8 mask = 0;          // the run's op set (IommuOp or DomainOp bits)
};

// Bit m of iommus[i] (domains[i]): op mask m answers every question asked
// so far of IOMMU i's (domain i's) op set as that object's own mask did.
struct op_footprint {
  std::array<std::uint16_t, SCENARIO_IOMMUS_MAX> iommus;
  std::array<std::uint16_t, SCENARIO_DOMAINS_MAX> domains;
  op_footprint() {
    iommus.fill(0xffff);
    domains.fill(0xffff);
  }
};

// The footprint this thread's questions narrow (null: none is kept). The
// explorer sets it for the length of one op-set choice's search.
inline thread_local op_footprint* thread_op_footprint = nullptr;

// Keeps `f` as the thread's footprint while it lives.
class op_footprint_scope {
 public:
  explicit op_footprint_scope(op_footprint* f) : outer_(thread_op_footprint) { thread_op_footprint = f; }
  ~op_footprint_scope() { thread_op_footprint = outer_; }
  op_footprint_scope(const op_footprint_scope&) = delete;
  op_footprint_scope& operator=(const op_footprint_scope&) = delete;

 private:
  op_footprint* outer_;
};

// Whether every op set of `t` answers alike in `f`: a run on t asks the
// same questions, gets the same answers, and so runs the same.
inline bool inside(const op_footprint& f, const Topology& t) {
  for (size_t i = 0; i < t.iommus.size(); ++i)
    if (!(f.iommus[i] >> t.iommus[i].ops & 1u)) return false;
  for (size_t d = 0; d < t.domains.size(); ++d)
    if (!(f.domains[d] >> t.domains[d].ops & 1u)) return false;
  return true;
}

// question(mask) -> bool, asked of `who`'s op set; noted in the thread's footprint.
template <typename Q>
bool ask_ops(const op_owner& who, Q question) {
  bool answer = question(who.mask);
  op_footprint* f = thread_op_footprint;
  if (f == nullptr || who.index < 0) return answer;
  int masks = who.domain ? DOMAIN_OPS_ALL + 1 : IOMMU_OPS_ALL + 1;
  std::uint16_t alike = 0;
  for (int m = 0; m < masks; ++m)
    if (question(static_cast<u8>(m)) == answer) alike = static_cast<std::uint16_t>(alike | 1u << m);
  auto& entries = who.domain ? f->domains : f->iommus;
  entries[static_cast<size_t>(who.index)] &= alike;
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
