// A proof's minimised lemmas (prove_induction.cpp's minimise(), which starts
// from the lemmas the proof leans on by unsat cores): each set proves its
// property as Houdini and the induction step check it, and no lemma of it
// can be dropped. Held to the checks themselves, not to a list of names.
// Proved as luv verify proves (no CTI described): the reference's other
// tests read a proof that describes them (reference_proof.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "impl/variant.h"
#include "solver/houdini.h"
#include "solver/prove.h"
#include "solver/tests/reference_proof.h"

namespace luv::solver {
namespace {

std::vector<int> ids_of(const std::vector<std::string>& names) {
  std::vector<int> ids;
  for (const std::string& n : names) {
    auto it = std::find_if(lemmas().begin(), lemmas().end(), [&](const Lemma& l) { return l.name == n; });
    EXPECT_NE(it, lemmas().end()) << n;
    if (it != lemmas().end()) ids.push_back(static_cast<int>(it - lemmas().begin()));
  }
  return ids;
}

// The check minimise() makes of a set: Houdini keeps it whole, and under it
// no call violates the property.
bool proves(Houdini& h, const std::vector<int>& ids, int k) {
  std::optional<Lemmas> fixpoint = h.houdini(ids);
  return fixpoint && fixpoint->ids.size() == ids.size() && h.step_violates(*fixpoint, k) == z3::unsat;
}

// As minimise() drops one: the rest's own fixpoint, under which no call violates it.
bool proves_without(Houdini& h, const std::vector<int>& ids, int dropped, int k) {
  std::vector<int> fewer;
  for (int id : ids)
    if (id != dropped) fewer.push_back(id);
  std::optional<Lemmas> fixpoint = h.houdini(fewer);
  return fixpoint && h.step_violates(*fixpoint, k) == z3::unsat;
}

TEST(SolverMinimise, each_reference_proof_names_lemmas_that_prove_it_and_none_it_could_drop) {
  ProveOptions o = testing::reference_options();
  o.minimise = true;
  o.describe_ctis = false;  // as luv verify proves: the same proofs, no CTI searched
  ProveResult r = prove(o);
  // The reference's six and its lemmas are inductive together, so its proofs
  // (and minimise()) go over clean steps.
  ASSERT_EQ(r.invariant.properties.size(), static_cast<size_t>(CHECKED_COUNT));
  ProofSession session(o, *impl::find_variant(o.variant));
  Houdini h(session);
  h.over_exact = false;
  int strengthened = 0;
  for (const PropertyDetail& d : r.details) {
    ASSERT_EQ(d.status, Status::proved) << property_name(d.property);
    EXPECT_EQ(d.cti, "") << property_name(d.property);
    if (d.lemmas.empty()) continue;
    ++strengthened;
    int k = checked_index(d.property);
    std::vector<int> ids = ids_of(d.lemmas);
    EXPECT_LT(ids.size(), r.inductive_lemmas.size()) << property_name(d.property);
    EXPECT_TRUE(proves(h, ids, k)) << property_name(d.property);
    for (int id : ids)
      EXPECT_FALSE(proves_without(h, ids, id, k)) << property_name(d.property) << " without " << lemmas()[id].name;
  }
  EXPECT_EQ(strengthened, CHECKED_COUNT);  // none is inductive alone (the CTIs of the test above)
}

}  // namespace
}  // namespace luv::solver
