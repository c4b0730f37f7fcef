// PROVED is about the Z3 encoding; this ties it to the implementation. A
// proof rests on an inductive invariant: the states the encoding represents,
// its Houdini lemmas and the proved properties' state predicates. Every state
// the implementation reaches must lie within it; one outside is a divergence
// between encoding and implementation (a fault planted in impl/, or an
// encoding that misses a behaviour), whatever the properties say.
//
//   InvariantCheck inv(options, prove(options));   // or InvariantCheck inv(options)
//   std::string why = inv.check(world);            // at a quiescent point
//
// check() keeps one Z3 context: one InvariantCheck per thread.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "solver/prove.h"

namespace luv::impl {
struct World;
}

namespace luv::solver {

class InvariantCheck {
 public:
  // The invariant of a finished proof run with `options`.
  InvariantCheck(const ProveOptions& options, const ProveResult& result);
  // Runs the proof, then keeps its invariant.
  explicit InvariantCheck(const ProveOptions& options);
  ~InvariantCheck();
  InvariantCheck(InvariantCheck&&) noexcept;

  // At a quiescent point (no thread inside a call): "" when the World's state
  // lies within the invariant, or when the proof does not cover the World
  // (another variant, topology or op set: see covers()); else one line,
  // "state outside the proof's invariant <lemma or property>: <what>".
  std::string check(const impl::World& w) const;
  // The World is of the proof's variant and topology, with op sets the
  // proof covered.
  bool covers(const impl::World& w) const;
  // Nothing was proved: check() has nothing to hold the World to.
  bool empty() const;
  const ProofInvariant& invariant() const;

 private:
  struct impl_;
  std::unique_ptr<impl_> p_;
};

}  // namespace luv::solver
