#include "solver/invariant.h"

#include <stdexcept>

#include "impl/world.h"
#include "solver/describe.h"
#include "solver/heap.h"
#include "solver/snapshot.h"

namespace luv::solver {

struct InvariantCheck::impl_ {
  ProveOptions options;
  ProofInvariant inv;
  const impl::variant_rules* rules = nullptr;
  std::vector<const Lemma*> lemmas;
  mutable z3::context c;
};

namespace {

const impl::variant_rules& rules_of(const std::string& variant) {
  const impl::variant_rules* r = impl::find_variant(variant);
  if (r == nullptr) throw std::invalid_argument("--variant: " + impl::unknown_variant(variant));
  return *r;
}

// The abstraction of a World as literal terms (intent is not in the World:
// no lemma reads it).
State literal_state(z3::context& c, const Layout& l, const AbstractState& a, const Topology& t) {
  State s(c);
  auto bools = [&](const std::vector<bool>& xs) {
    std::vector<z3::expr> out;
    for (bool x : xs) out.push_back(c.bool_val(x));
    return out;
  };
  auto ints = [&](const std::vector<int>& xs) {
    std::vector<z3::expr> out;
    for (int x : xs) out.push_back(c.int_val(x));
    return out;
  };
  s.file = bools(a.file), s.set = bools(a.set), s.deleted = bools(a.deleted), s.freed = bools(a.freed);
  s.rc = ints(a.rc), s.page = bools(a.page), s.dev_dom = ints(a.dev_dom), s.hw_stale = bools(a.hw_stale);
  s.claim = bools(a.claim), s.grown = bools(a.grown);
  s.intent = bools(std::vector<bool>(a.set.size(), false));
  for (int k = 0; k < 3; ++k) s.fill.push_back(c.int_val(a.flb ? a.fill[k] : 0));
  for (int i = 0; i < l.I; ++i)
    for (int bit = 0; bit < 4; ++bit) s.iommu_ops.push_back(c.bool_val(t.iommus[i].ops >> bit & 1));
  for (int d = 0; d < l.D; ++d)
    for (int bit = 0; bit < 2; ++bit) s.domain_ops.push_back(c.bool_val(t.domains[d].ops >> bit & 1));
  s.count = c.int_val(a.count), s.flb = c.bool_val(a.flb), s.warned = c.bool_val(a.warned);
  s.stray = c.bool_val(a.stray);
  return s;
}

// A closed formula's value (every term is a literal).
bool is_true(z3::context& c, const z3::expr& e) {
  z3::expr v = e.simplify();
  if (v.is_true() || v.is_false()) return v.is_true();
  z3::solver s(c);
  z3::params p(c);
  p.set("ctrl_c", false);  // Z3 would take SIGINT for itself (cli/interrupt.cpp)
  s.set(p);
  s.add(!e);
  return s.check() == z3::unsat;
}

// The states the encoding represents: every live record is some object's
// state (a leaked record is outside them; a leaked driver page is not).
std::string unrepresented(z3::context& c, const Heap& h) {
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) {
    z3::expr owned = c.bool_val(false);
    for (const z3::expr& p : h.ptr) owned = owned || p == s;
    if (is_true(c, h.live(s) && !owned)) return "a live record that no kernel object holds";
  }
  return "";
}

std::string property_breach(z3::context& c, const Heap& h, PropertyId p) {
  switch (p) {
    case PropertyId::refcount_balanced:
      return is_true(c, refcount_violated(h)) ? "a HW record's ref_count, an IOMMU's outgoing state or the FLB count is off" : "";
    case PropertyId::no_dangling:
      return is_true(c, dangling_violated(h)) ? "a pointer names a record or page that is not live" : "";
    case PropertyId::no_leak:
      return is_true(c, orphan_violated(h)) ? "something preserved that nothing owns" : "";
    default:
      return "";  // a call-level property: nothing to see in a state
  }
}

}  // namespace

InvariantCheck::InvariantCheck(const ProveOptions& options, const ProveResult& result) : p_(std::make_unique<impl_>()) {
  p_->options = options;
  p_->inv = result.invariant;
  p_->rules = &rules_of(options.variant);
  for (const std::string& name : p_->inv.lemmas) {
    const Lemma* found = nullptr;
    for (const Lemma& l : lemmas())
      if (l.name == name) found = &l;
    if (found == nullptr) throw std::invalid_argument("invariant: unknown lemma '" + name + "'");
    p_->lemmas.push_back(found);
  }
}

InvariantCheck::InvariantCheck(const ProveOptions& options) : InvariantCheck(options, prove(options)) {}
InvariantCheck::~InvariantCheck() = default;
InvariantCheck::InvariantCheck(InvariantCheck&&) noexcept = default;

bool InvariantCheck::empty() const { return p_->inv.lemmas.empty() && p_->inv.properties.empty(); }
const ProofInvariant& InvariantCheck::invariant() const { return p_->inv; }

bool InvariantCheck::covers(const impl::World& w) const {
  const Topology& mine = p_->options.topology;
  const Topology& t = w.topology;
  // A mutant of the proof's variant is covered: it stands for a fault
  // planted in impl/, which the check is there to catch.
  std::string name = w.rules.name, base = p_->rules->name;
  if (name != base && name.rfind(base + "+mutant:", 0) != 0) return false;
  if (t.objects_per_page != mine.objects_per_page || t.devices != mine.devices ||
      t.iommus.size() != mine.iommus.size() || t.domains.size() != mine.domains.size())
    return false;
  OpsMode ops = p_->options.ops;
  for (size_t i = 0; i < t.iommus.size(); ++i)
    if (!(ops == OpsMode::all || (ops == OpsMode::spec && i == 1)) && t.iommus[i] != mine.iommus[i]) return false;
  for (size_t d = 0; d < t.domains.size(); ++d)
    if (!(ops == OpsMode::all || (ops == OpsMode::spec && d == 1)) && t.domains[d] != mine.domains[d]) return false;
  return true;
}

std::string InvariantCheck::check(const impl::World& w) const {
  if (empty() || !covers(w)) return "";
  z3::context& c = p_->c;
  const std::string head = "state outside the proof's invariant ";
  Heap h = world_heap(c, w);
  std::string why = unrepresented(c, h);
  if (!why.empty()) return head + "(the encoding's states): " + why;
  Layout l(w.topology);
  State s = literal_state(c, l, abstract_world(w), w.topology);
  for (const Lemma* lemma : p_->lemmas)
    if (!is_true(c, lemma->holds(l, *p_->rules, s))) return head + lemma->name + ": not so that " + lemma->meaning;
  for (PropertyId p : p_->inv.properties) {
    why = property_breach(c, h, p);
    if (!why.empty()) return head + property_name(p) + ": " + why;
  }
  return "";
}

}  // namespace luv::solver
