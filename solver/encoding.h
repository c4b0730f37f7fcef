// The Z3 encoding of the lifecycle at the level of calls: one transition is
// one whole entry-point call, run atomically from one quiescent state to the
// next (interleavings are the explorer's job).
//
// The state abstracts a World: per kernel object whether its record pointer
// is set, whether the record it names is flagged deleted or sits on a freed
// page, that record's ref_count and (for a device) which domain its record
// links; driver-private pages and whether a preserved page nobody holds
// exists; files, the FLB and its count; array page fill levels; whether any
// warning fired; what the Runner believes is still preserved; and which
// driver ops exist (symbolic, never changed by a step). A step runs the call
// on a small heap of record and page slots (the pre-state's records, a dead
// stand-in for each stale device link, and the records this call
// allocates), evaluates the properties on that heap, and projects it back.
//
// Each property is judged on its own, so a path goes on past another
// property's violation while the projection is exact (StepResult::exact):
// a pointer into a freed page or to a deleted record, a device record whose
// links name dead records, a leaked driver page. What it cannot represent
// ends the path there: an oops (the Runner's run ends there too) and a live
// record that no object holds (a leak whose record others may still link).
// The prover says so instead of claiming what lies past such a step.
//
// The variant's behaviour comes from impl::variant_rules: the step reads the
// same fields the implementation tests, so the two cannot drift apart.
#pragma once
#include <array>
#include <functional>
#include <string>
#include <vector>

#include <z3++.h>

#include "impl/scenario.h"
#include "impl/variant.h"
#include "linux/fault-inject.h"
#include "properties/property.h"

namespace luv::solver {

// The six call-level properties the encoding decides, in the order the
// Runner checks them at a call's end (its first violation wins).
inline constexpr int CHECKED_COUNT = 6;
inline constexpr std::array<PropertyId, CHECKED_COUNT> CHECKED = {
    PropertyId::no_null_op,        PropertyId::error_path_deleted, PropertyId::missing_unpreserve_warns,
    PropertyId::refcount_balanced, PropertyId::no_dangling,        PropertyId::no_leak,
};
int checked_index(PropertyId p);  // -1 when the encoding does not decide p

// Object indices: IOMMUs first, then domains, then devices.
struct Layout {
  Topology topo;
  int I = 0, D = 0, V = 0, F = 0;
  explicit Layout(const Topology& t);
  int iommu(int i) const { return i; }
  int domain(int d) const { return I + d; }
  int device(int v) const { return I + D + v; }
  int objects() const { return I + D + V; }
  int iommu_of_device(int v) const { return topo.devices[v].iommu; }
};

// The abstract state, as Z3 terms (constants or expressions).
struct State {
  std::vector<z3::expr> file;             // Bool, per file
  std::vector<z3::expr> set;              // Bool, per object: its record pointer is set
  std::vector<z3::expr> deleted;          // Bool, per object: ... to a record flagged deleted
  std::vector<z3::expr> freed;            // Bool, per object: ... to a record on a freed page
  std::vector<z3::expr> rc;               // Int, per object: that record's ref_count (0 when unset)
  std::vector<z3::expr> page;             // Bool, per object: it holds a driver-private page
  // Int, per device: the domain whose current record its record links (0
  // when unset), -1 for a dead record that no domain holds any more.
  std::vector<z3::expr> dev_dom;
  std::vector<z3::expr> hw_stale;         // Bool, per device: its record's iommu_phys names a dead record its IOMMU no longer holds
  std::vector<z3::expr> intent;           // Bool, per object (domains, devices): the Runner thinks it preserved
  std::vector<z3::expr> claim;            // Bool, per device: it holds its claim on its group's DMA ownership
  std::vector<z3::expr> grown;            // Bool, per device: a new device joined the group it heads
  std::vector<z3::expr> fill;             // Int x3 (hw, domain, device arrays): records in the current page
  std::vector<z3::expr> iommu_ops;        // Bool, 4 per IOMMU (IommuOp bit order)
  std::vector<z3::expr> domain_ops;       // Bool, 2 per domain (DomainOp bit order)
  z3::expr count, flb, warned;
  z3::expr stray;                         // Bool: a preserved driver page that no object holds

  explicit State(z3::context& c) : count(c), flb(c), warned(c), stray(c) {}
  static State fresh(z3::context& c, const Layout& l, const std::string& prefix);
  std::vector<z3::expr> vars() const;  // every term, in a fixed order
  std::vector<z3::expr> mutable_vars() const;  // all but the driver ops
  z3::expr iop(int i, int bit) const { return iommu_ops[4 * i + bit]; }
  z3::expr dop(int d, int bit) const { return domain_ops[2 * d + bit]; }
};

// Which ops are symbolic: the rest take the topology's op sets.
enum class OpsMode { fixed, spec, all };  // spec: IOMMU 1 and domain 1 (docs/SPEC.md's default bound)

z3::expr initial(const Layout& l, const State& s, OpsMode ops);
z3::expr state_equal(const State& a, const State& b);

// One visit of a fault site during a step.
struct FaultVisit {
  impl::fault_site site;
  z3::expr visited;  // the code reached the site
  z3::expr fails;    // ... and the fault fires there
};

// Decides whether a site's visit fails. `nth` is the visit's number for its
// site since the run began; `index` numbers the visits within one step.
struct FaultOracle {
  // Returns (fails, errno) for a visit.
  std::function<std::pair<z3::expr, z3::expr>(impl::fault_site site, const z3::expr& nth, int index)> decide;
};
FaultOracle free_faults(z3::context& c, const std::string& prefix);  // every visit a free Bool
FaultOracle planned_faults(z3::context& c, const std::vector<Fault>& plan);  // a Scenario's fault plan

struct StepResult {
  State post;
  z3::expr ret;                                 // Int, the call's return value (0 for void calls)
  std::array<z3::expr, CHECKED_COUNT> bad;      // Bool, by CHECKED order
  z3::expr other_oops;                          // an oops outside the six (use after free)
  // No oops, and `post` is exactly the heap the call left: the path may go on.
  z3::expr exact;
  z3::expr clean;                               // exact, and no property violated
  std::vector<FaultVisit> visits;
  std::array<z3::expr, impl::FAULT_SITE_COUNT> visits_after;  // per-site visit counts after the step
  explicit StepResult(z3::context& c);
};

// "" when the encoding mirrors `rules`: every switch of the variant table,
// and the mutants whose line has its twin here. Otherwise why not: step()
// then refuses (std::invalid_argument with this text) instead of encoding
// the reference in the mutant's place.
std::string not_mirrored(const impl::variant_rules& rules);

// One call from `pre`. `visits_before` counts each site's visits so far.
// `fold_values`: every term of `pre`, the visits and the oracle's answers is
// a value (predict's concrete run); the step then folds values as it builds
// its terms, and a pointer selects its slot instead of naming every slot, so
// a step costs about its state's size, not objects x slots. The terms mean
// the same either way; the prover, whose terms are symbolic, leaves it unset.
StepResult step(const Layout& l, const impl::variant_rules& rules, const State& pre, const Call& call,
                FaultOracle& oracle, const std::array<z3::expr, impl::FAULT_SITE_COUNT>& visits_before,
                bool fold_values = false);

// Property CHECKED[k] as a state predicate, for the plain induction's
// hypothesis: refcount-balanced, no-dangling and no-leak's orphans hold in s
// (true for the call-level properties).
z3::expr holds_in_state(const Layout& l, const impl::variant_rules& rules, const State& s, int k);

// Every call the transition system can make in a mode (adversarial includes the contract calls).
std::vector<Call> all_calls(const Layout& l, CallerMode mode);

// Strengthening invariants, by name, for the unbounded proofs.
struct Lemma {
  std::string name;
  std::string meaning;
  std::function<z3::expr(const Layout&, const impl::variant_rules&, const State&)> holds;
};
const std::vector<Lemma>& lemmas();

}  // namespace luv::solver
