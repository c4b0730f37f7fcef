#include "properties/checks.h"

#include <algorithm>
#include <stdexcept>

#include "impl/hex.h"
#include "impl/mutants.h"
#include "impl/unpreserve_twin.h"
#include "impl/world.h"
#include "linux/errno.h"
#include "properties/assert.h"
#include "properties/scheduler.h"

namespace luv {

using impl::hex;


PropertyId property_of(impl::oops_kind kind) {
  switch (kind) {
    case impl::oops_kind::use_after_free: return PropertyId::no_use_after_free;
    case impl::oops_kind::lockdep:
    case impl::oops_kind::deadlock: return PropertyId::lock_discipline;
    default: return PropertyId::no_null_op;
  }
}

Checks::Checks(const Scenario& s, const RunOptions& o, impl::World& w, const Scheduler& sched,
               const CallersMemory& callers)
    : s_(s), o_(o), w_(w), sched_(sched), callers_(callers) {
  if (s.calls_total() >= o.watch_from_calls) watch_.emplace();
}

void Checks::fail(PropertyId p, int thread, int call, std::string message) {
  if (!enabled(p) || violated(p)) return;
  violated_.set(static_cast<size_t>(p));
  Violation v{p, sched_.step(), thread, call, std::move(message), describe_world(w_)};
  if (!verdict_.violation) verdict_.violation = v;
  verdict_.violations.push_back(std::move(v));
}

void Checks::end_run(PropertyId p, int thread, int call, std::string message) {
  LUV_ASSERT(!ended());  // nothing runs past the end
  verdict_.ended = Violation{p, sched_.step(), thread, call, message, {}};
  fail(p, thread, call, std::move(message));
}

const Unfreed& Checks::unfreed() {
  unfreed_.update(w_);
  return unfreed_;
}

std::vector<Fact> Checks::facts_now() {
  if (!watch_) return abstract_facts(w_, unfreed().pages());
  watch_->update(w_);
  return abstract_facts(w_, *watch_);
}

void Checks::splats(int thread, int call) {
  if (w_.splats.empty()) return;
  fail(property_of(w_.splats.front().kind), thread, call, w_.splats.front().message);
  w_.splats.clear();
}

void Checks::locks_at_return(const CallRecord& r) {
  auto held = [&](const impl::mutex& lock) {  // the text only for a finding: this runs at every return
    fail(PropertyId::lock_discipline, r.thread, r.index, describe_call(r.call) + " returns holding " + lock.name);
  };
  if (w_.iommu_flb.lock.owner == r.thread) held(w_.iommu_flb.lock);
  unfreed_.update_flb_objects(w_);
  for (const impl::iommu_flb_obj* obj : unfreed_.flb_objects())
    if (obj->lock.owner == r.thread) held(obj->lock);
}

void Checks::error_path(const CallStart& start, const CallRecord& r) {
  if (!enabled(PropertyId::error_path_deleted)) return;
  auto what = [&] { return describe_call(r.call) + " failed with " + impl::errno_name(r.ret); };
  for (impl::phys_addr_t phys : w_.call_allocations[static_cast<size_t>(r.thread)]) {
    impl::kho_page* page = impl::kho_page_at(w_, phys);
    LUV_ASSERT(page != nullptr);
    const impl::iommu_obj_ser& rec = page->objects[(phys - page->phys - impl::KHO_SLOT_OFFSET) / impl::KHO_SLOT_SIZE];
    if (!page->freed && !rec.hdr.deleted) {
      fail(PropertyId::error_path_deleted, r.thread, r.index,
           what() + " but left the " + impl::kho_page_kind_name(page->kind) + " record " + hex(phys) +
               " it allocated live (not flagged deleted)");
      return;
    }
  }
  if (!start.alone) return;  // another thread's steps may have changed the state meanwhile
  std::string diff = facts_diff(start.facts, facts_now());
  if (!diff.empty()) fail(PropertyId::error_path_deleted, r.thread, r.index, what() + " but changed the state: " + diff);
}

// The object of a call whose driver lacks an unpreserve op, and what the
// call saw of it.
struct Checks::twinless {
  std::string who;
  bool holds_state = false;  // it still holds preserved state
  bool pci = true;
  bool reached = true;  // the call reached its driver
};

std::optional<Checks::twinless> Checks::twinless_object(const CallRecord& r) const {
  const Call& c = r.call;
  if (call_acts_on_group(c.kind)) return std::nullopt;  // neither end: the device keeps what it holds
  bool enoent = call_is_contract(c.kind) && r.ret == -ENOENT;
  if (call_takes_device(c.kind)) {
    const impl::device& dev = w_.devices[static_cast<size_t>(c.device)];
    const impl::iommu_device& iommu = *dev.iommu->iommu_dev;
    if (!impl::iommu_lacks_unpreserve_twin(s_.topology, iommu.id)) return std::nullopt;
    twinless t;
    t.who = "dev" + std::to_string(dev.id) + " behind iommu" + std::to_string(iommu.id);
    t.holds_state = dev.iommu->device_ser || dev.driver_page;
    t.pci = dev.is_pci;
    // The core's unpreserve returns before it looks at the driver for a
    // non-PCI device or (but for rule 6) an unclaimed group, and VFIO before
    // the core for a file it does not hold: those returns say nothing of the
    // driver. A release is never undone, so the claim read here is the one
    // the call saw, unless a release raced the call (then this misses it).
    t.reached = t.pci && !impl::unpreserve_refused_unowned(w_, &dev) && !enoent;
    return t;
  }
  if (call_takes_domain(c.kind)) {
    const impl::iommu_domain& domain = w_.domains[static_cast<size_t>(c.domain)];
    if (!impl::domain_lacks_unpreserve_twin(s_.topology, domain.id)) return std::nullopt;
    twinless t;
    t.who = "domain" + std::to_string(domain.id);
    t.holds_state = domain.preserved_state || domain.driver_page;
    t.reached = !enoent;
    return t;
  }
  return std::nullopt;
}

void Checks::missing_unpreserve(const CallRecord& r) {
  if (!enabled(PropertyId::missing_unpreserve_warns)) return;
  std::optional<twinless> o = twinless_object(r);
  if (!o) return;
  const Call& c = r.call;
  bool warned = !w_.warnings.empty();
  std::string how = warned ? "" : " and no warning";
  std::string name = describe_call(c);
  auto fail_here = [&](std::string message) {
    fail(PropertyId::missing_unpreserve_warns, r.thread, r.index, std::move(message));
  };
  if (call_is_preserve(c.kind) && r.ret == 0)
    fail_here(name + " preserved " + o->who + ", whose driver lacks an unpreserve op: the state can never be released" + how);
  else if (call_is_preserve(c.kind) && r.ret == -EOPNOTSUPP && o->pci && !warned)
    fail_here(name + " refused " + o->who + ", whose driver lacks an unpreserve op, without a warning");
  else if (!call_is_preserve(c.kind) && o->holds_state)
    fail_here(name + " returned but " + o->who + " (driver lacks an unpreserve op) still holds preserved state" + how);
  else if (!call_is_preserve(c.kind) && o->reached && !warned)  // the other end: a silent return
    fail_here(name + " returned on " + o->who + ", whose driver lacks an unpreserve op, without a warning");
}

// Whether the object graph may hold a finding that a property still judged
// here would report. Without a watch, or when the watch cannot rule it out,
// the graph is built and checked whole.
bool Checks::graph_may_report() {
  if (!watch_) return true;
  watch_->update(w_);
  unfreed_.update_flb_objects(w_);
  PossibleFindings p = watch_->possible(w_, unfreed_.flb_objects());
  return (judged(PropertyId::refcount_balanced) && p.refcount) || (judged(PropertyId::no_dangling) && p.dangling) ||
         (judged(PropertyId::no_leak) && (p.orphans || (callers_.everything_unpreserved(w_) && p.remaining)));
}

// Whether a verdict the graph would word (or decide) concerns a property still judged here.
bool Checks::needs_graph(const GraphVerdicts& v) {
  auto open = [](Tri t) { return t != Tri::no; };
  return (judged(PropertyId::refcount_balanced) && open(v.refcount)) ||
         (judged(PropertyId::no_dangling) && open(v.dangling)) ||
         (judged(PropertyId::no_leak) &&
          (open(v.orphans) || (open(v.remaining) && callers_.everything_unpreserved(w_))));
}

// The graph's findings, or none where the incremental verdicts say the graph
// has none for what is still judged (RunOptions::graph_checks).
GraphFindings Checks::graph_findings() {
  auto graph = [&] { return check_object_graph(build_judged_graph(w_, unfreed())); };
  if (o_.graph_checks == GraphChecks::graph) return graph_may_report() ? graph() : GraphFindings{};
  bool differential = o_.graph_checks == GraphChecks::both;
  if (!differential && !graph_may_report()) return {};
  GraphVerdicts v = judge_.judge(w_, unfreed());
  if (!differential && !needs_graph(v)) return {};
  GraphFindings f = graph();
  // The graph is built: check the verdicts against it (luv relies on them where it is not).
  std::string why = disagreement(v, f);
  if (!why.empty())
    throw std::logic_error("luv bug: incremental object-graph verdicts differ from the graph at step " +
                           std::to_string(sched_.step()) + ": " + why);
  return f;
}

void Checks::object_graph(int thread, int call) {
  bool asked = enabled(PropertyId::refcount_balanced) || enabled(PropertyId::no_dangling) ||
               enabled(PropertyId::no_leak);
  bool all_found = violated(PropertyId::refcount_balanced) && violated(PropertyId::no_dangling) &&
                   violated(PropertyId::no_leak);
  if (!asked || all_found) return;
  GraphFindings f = graph_findings();
  if (!f.refcount.empty()) fail(PropertyId::refcount_balanced, thread, call, f.refcount.front());
  int preserved_files = static_cast<int>(std::count(w_.file_preserved.begin(), w_.file_preserved.end(), true));
  if (w_.iommu_flb.count != preserved_files)
    fail(PropertyId::refcount_balanced, thread, call,
         "FLB count " + std::to_string(w_.iommu_flb.count) + " but " + std::to_string(preserved_files) +
             " file(s) preserved");
  if (!f.dangling.empty()) fail(PropertyId::no_dangling, thread, call, f.dangling.front());
  if (!f.orphans.empty()) fail(PropertyId::no_leak, thread, call, f.orphans.front());
  if (callers_.everything_unpreserved(w_) && !f.remaining.empty())
    fail(PropertyId::no_leak, thread, call, "everything was unpreserved, but " + f.remaining.front());
}

void Checks::restore(const impl::next_kernel_result& want, const impl::next_kernel_result& got) {
  if (got.retrieve_err != 0) return;
  std::string why = callers_.restore_mismatch(s_.topology, want, got);
  if (!why.empty())
    fail(PropertyId::restore_matches, -1, -1,
         why + ": the callers kept " + describe_restore(want) + "; restored " + describe_restore(got));
}

void Checks::pages_after_next_kernel() {
  for (const impl::kho_page& p : w_.kho.pages)
    if (p.preserved)
      fail(PropertyId::no_leak, -1, -1,
           std::string("after the next kernel finished, page ") + hex(p.phys) + " (" + impl::kho_page_kind_name(p.kind) +
               ") is still preserved");
}

}  // namespace luv
