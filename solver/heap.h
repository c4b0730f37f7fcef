// A small heap of serialized records and driver pages as Z3 terms, and the
// properties as formulas over it. A step builds one from the abstract state
// (plus what the call allocates); the snapshot check builds one from a
// World. The same formulas judge both.
#pragma once
#include <vector>

#include <z3++.h>

namespace luv::solver {

enum class Kind : unsigned char { hw, domain, device };

struct RecSlot {
  Kind kind;
  int owner;         // the object whose record it was made for (an object index)
  z3::expr alloc;    // it exists
  z3::expr deleted;  // flagged deleted
  z3::expr freed;    // its array page is freed
  z3::expr rc;       // ref_count
  z3::expr dom_link; // device record: slot index of its domain_phys target, -1 for none
  z3::expr hw_link;  // device record: slot index of its iommu_phys target, -1 for none
};

struct PageSlot {
  int owner;       // the object whose driver page it was
  z3::expr alloc;  // allocated (and preserved)
  z3::expr freed;  // unpreserved and freed
};

// Kernel objects are numbered IOMMUs, domains, devices (Layout).
struct Heap {
  std::vector<RecSlot> recs;
  std::vector<PageSlot> pages;
  std::vector<Kind> object_kind;
  std::vector<int> iommu_of;     // per object: a device's IOMMU (object index), -1 for the others
  std::vector<z3::expr> ptr;     // per object: slot index of its record, -1 for NULL
  std::vector<z3::expr> pgptr;   // per object: page slot index of its driver page, -1 for none
  std::vector<z3::expr> file;    // per file
  z3::expr count;                // FLB file count
  z3::expr flb;                  // FLB object allocated
  z3::expr core_pages_live;      // some root/array page is preserved
  // Every term of the heap is a value (predict's concrete run): the
  // formulas below are computed on the values as they are built, so that a
  // pointer selects its slot instead of naming every slot in a term. Unset
  // (the prover, the snapshot check), they build exactly the terms they
  // always built.
  bool fold = false;

  explicit Heap(z3::context& c) : count(c), flb(c), core_pages_live(c) {}

  z3::expr live(int s) const;
  z3::expr page_live(int p) const;
  // The slot a pointer names is live and of the kind wanted.
  z3::expr points_live(const z3::expr& link, Kind kind) const;
};

// Term builders that fold values when `fold` is set: with both operands
// values they return the value, otherwise exactly z3's term.
bool is_value(const z3::expr& x);
z3::expr fold_and(bool fold, const z3::expr& a, const z3::expr& b);
z3::expr fold_or(bool fold, const z3::expr& a, const z3::expr& b);
z3::expr fold_not(bool fold, const z3::expr& a);
z3::expr fold_eq(bool fold, const z3::expr& a, int v);  // a == v
// The value of a term built of values (Z3's rewriter for what it cannot read).
z3::expr fold_value(const z3::expr& x);

// Each is true when the property is violated in the heap.
z3::expr refcount_violated(const Heap& h);
z3::expr dangling_violated(const Heap& h);
z3::expr orphan_violated(const Heap& h);
// no-leak's second half: everything was unpreserved, yet something remains.
z3::expr remaining_violated(const Heap& h, const z3::expr& everything_unpreserved);

}  // namespace luv::solver
