#include "properties/runner.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include "impl/callers.h"
#include "impl/hex.h"
#include "impl/world.h"
#include "linux/errno.h"
#include "properties/object_graph.h"
#include "properties/refinement.h"

namespace luv {

using impl::World;

namespace {

using impl::hex;

PropertyId property_of(impl::oops_kind kind) {
  switch (kind) {
    case impl::oops_kind::use_after_free: return PropertyId::no_use_after_free;
    case impl::oops_kind::lockdep:
    case impl::oops_kind::deadlock: return PropertyId::lock_discipline;
    default: return PropertyId::no_null_op;
  }
}

// Rule 1's condition, from the topology: a preserve op without its twin.
bool iommu_lacks_twin(impl::u8 ops) {
  return ((ops & IOMMU_OP_PRESERVE) && !(ops & IOMMU_OP_UNPRESERVE)) ||
         ((ops & IOMMU_OP_PRESERVE_DEVICE) && !(ops & IOMMU_OP_UNPRESERVE_DEVICE));
}
bool domain_lacks_twin(impl::u8 ops) { return (ops & DOMAIN_OP_PRESERVE) && !(ops & DOMAIN_OP_UNPRESERVE); }

// Facts that make up the abstract state a failed call must leave unchanged:
// files, the FLB, kernel objects' preserved state and driver pages, and live
// records with their links. Array pages are not in it: a chained page is an
// allocation detail, released with the FLB. Kept as numbers (taken at every
// call start); turned into text only when a failed call changed them.
struct fact {
  enum kind_t : impl::u8 { file, flb_count, flb_object, object_state, driver_page, record } kind;
  impl::u8 sub;      // object_state: who and what; record: the page kind
  int id;            // file, object
  impl::u64 a, b;    // phys, count, ref_count
  auto operator<=>(const fact&) const = default;
};
enum : impl::u8 { iommu_outgoing, iommu_driver_page, domain_preserved, domain_driver_page, dev_device_ser, dev_driver_page };

// The facts of files, the FLB and kernel objects.
std::vector<fact> object_facts(const World& w) {
  std::vector<fact> facts;
  for (size_t f = 0; f < w.file_preserved.size(); ++f)
    if (w.file_preserved[f]) facts.push_back({fact::file, 0, static_cast<int>(f), 0, 0});
  facts.push_back({fact::flb_count, 0, 0, static_cast<impl::u64>(w.iommu_flb.count), 0});
  facts.push_back({fact::flb_object, 0, 0, w.iommu_flb.outgoing ? 1u : 0u, 0});
  auto state = [&](impl::u8 what, int id, const auto& ptr) {
    if (ptr) facts.push_back({fact::object_state, what, id, ptr.get()->phys, 0});
  };
  for (const auto& i : w.iommus) {
    state(iommu_outgoing, i.id, i.outgoing_preserved_state);
    state(iommu_driver_page, i.id, i.driver_page);
  }
  for (const auto& d : w.domains) {
    state(domain_preserved, d.id, d.preserved_state);
    state(domain_driver_page, d.id, d.driver_page);
  }
  for (const auto& d : w.devices) {
    state(dev_device_ser, d.id, d.iommu->device_ser);
    state(dev_driver_page, d.id, d.driver_page);
  }
  return facts;
}

// `pages`: the World's unfreed pages (Unfreed), the only ones with facts.
std::vector<fact> abstract_facts(const World& w, const std::vector<const impl::kho_page*>& pages) {
  std::vector<fact> facts = object_facts(w);
  for (const impl::kho_page* page : pages) {
    const impl::kho_page& p = *page;
    if (p.kind == impl::kho_page_kind::driver_private) facts.push_back({fact::driver_page, 0, 0, p.phys, 0});
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
      const impl::iommu_obj_ser& o = p.objects[i];
      if (!o.hdr.deleted)
        facts.push_back({fact::record, static_cast<impl::u8>(p.kind), 0, o.phys, o.hdr.ref_count});
    }
  }
  std::sort(facts.begin(), facts.end());
  return facts;
}

// The same facts from a PageWatch brought up to date: its live records are
// the records not flagged deleted on unfreed pages, its driver pages the
// unfreed ones, so the sorted facts are equal.
std::vector<fact> abstract_facts(World& w, const PageWatch& watch) {
  std::vector<fact> facts = object_facts(w);
  for (impl::phys_addr_t phys : watch.live_driver_pages()) facts.push_back({fact::driver_page, 0, 0, phys, 0});
  for (impl::phys_addr_t phys : watch.live_records()) {
    const impl::kho_page* page = impl::kho_page_at(w, phys);
    const impl::iommu_obj_ser& o = page->objects[(phys - page->phys - impl::KHO_SLOT_OFFSET) / impl::KHO_SLOT_SIZE];
    facts.push_back({fact::record, static_cast<impl::u8>(page->kind), 0, phys, o.hdr.ref_count});
  }
  std::sort(facts.begin(), facts.end());
  return facts;
}

std::string fact_text(const fact& f) {
  static const char* const who[] = {"iommu", "iommu", "domain", "domain", "dev", "dev"};
  static const char* const what[] = {"outgoing_preserved_state", "driver page", "preserved_state",
                                     "driver page", "device_ser", "driver page"};
  switch (f.kind) {
    case fact::file: return "file " + std::to_string(f.id) + " preserved";
    case fact::flb_count: return "FLB count " + std::to_string(f.a);
    case fact::flb_object: return std::string("FLB object ") + (f.a ? "allocated" : "none");
    case fact::object_state: return who[f.sub] + std::to_string(f.id) + " " + what[f.sub] + " " + hex(f.a);
    case fact::driver_page: return "driver page " + hex(f.a) + " preserved";
    case fact::record:
      return std::string(impl::kho_page_kind_name(static_cast<impl::kho_page_kind>(f.sub))) + " record " + hex(f.a) +
             " live, ref_count " + std::to_string(f.b);
  }
  return {};
}

// What changed, as "was: ...; now: ..." in the order of the facts' text.
std::string facts_diff(const std::vector<fact>& before, const std::vector<fact>& after) {
  if (before == after) return {};
  auto texts = [](const std::vector<fact>& facts) {
    std::vector<std::string> out;
    for (const fact& f : facts) out.push_back(fact_text(f));
    std::sort(out.begin(), out.end());
    return out;
  };
  std::vector<std::string> was = texts(before), now = texts(after), gone, added;
  std::set_difference(was.begin(), was.end(), now.begin(), now.end(), std::back_inserter(gone));
  std::set_difference(now.begin(), now.end(), was.begin(), was.end(), std::back_inserter(added));
  std::string out;
  for (const auto& g : gone) out += (out.empty() ? "" : "; ") + std::string("was: ") + g;
  for (const auto& a : added) out += (out.empty() ? "" : "; ") + std::string("now: ") + a;
  return out;
}

struct thread_run {
  const std::vector<Call>* calls = nullptr;
  size_t next = 0;  // the next call to start
  std::optional<impl::task<int>> current;
  int first_step = 0;
  bool alone = true;  // no other thread has stepped since this call started
  int warn_conditions_before = 0;  // its kthread's WARN conditions when this call started
  std::vector<fact> facts_before;

  bool in_call() const { return current.has_value(); }
  bool finished() const { return !current && next >= calls->size(); }
};

class runner {
 public:
  runner(const Scenario& s, const RunOptions& o, const impl::variant_rules& rules)
      : s_(s), o_(o), w_(std::make_unique<World>(s, rules)) {
    threads_.resize(s.threads.size());
    for (size_t t = 0; t < s.threads.size(); ++t) threads_[t].calls = &s.threads[t];
    if (o.trace) w_->log = &log_;
    if (s.calls_total() >= o.watch_from_calls) watch_.emplace();
  }
  ~runner() {
    // Threads stopped mid-call are destroyed before the World they point into.
    w_->unwinding = true;
    threads_.clear();
  }

  RunResult go() {
    header();
    if (o_.observer) o_.observer->on_start(*w_);
    // steps_stop does not cut a run whose threads have all finished: it goes on to kexec.
    while (!done_ && !(o_.steps_stop >= 0 && step_ >= o_.steps_stop && !all_finished())) step();
    result_.stopped = !done_;
    if (result_.stopped) {
      if (o_.observer) o_.observer->on_stop(*w_);
    } else if (!ended_ && s_.kexec) {
      after_threads();
    }
    result_.steps = step_;
    result_.callers_view = callers_view_key();
    result_.fault_visits = w_->fault_visits;
    result_.faults_fired = static_cast<int>(w_->faults_fired.size());
    result_.warnings = static_cast<int>(w_->warnings.size());
    for (const Violation& v : result_.verdict.violations)
      trace("VIOLATION " + std::string(property_name(v.property)) + " at step " + std::to_string(v.step) +
            (v.thread >= 0 ? ", T" + std::to_string(v.thread) : "") +
            (v.call >= 0 ? " call " + std::to_string(v.call) : "") + ": " + v.message);
    if (result_.verdict.ok()) trace("ok: no property violated");
    PropertySet unjudged = result_.verdict.unjudged_after_end(o_.properties);
    if (unjudged.any()) trace("not judged past step " + std::to_string(result_.verdict.ended->step) + ": " + property_list(unjudged));
    result_.trace = std::move(trace_);
    return std::move(result_);
  }

 private:
  bool enabled(PropertyId p) const { return has(o_.properties, p); }

  void trace(const std::string& line) {
    if (o_.trace) trace_.push_back(line);
  }
  void trace_step(int t, const std::string& text) {
    if (!o_.trace) return;
    char prefix[32];
    if (t < 0)
      std::snprintf(prefix, sizeof prefix, "[%3d]    ", step_);  // after the threads: kexec, next kernel
    else
      std::snprintf(prefix, sizeof prefix, "[%3d] T%d ", step_, t);
    trace_.push_back(prefix + text);
  }
  void flush_log(int t) {
    for (const std::string& line : log_) trace_step(t, "  " + line);
    log_.clear();
  }

  void header() {
    trace("luv: variant " + s_.variant + ", " + caller_mode_name(s_.mode) + " mode, " +
          std::to_string(s_.threads.size()) + " thread(s), " + std::to_string(s_.calls_total()) + " call(s), " +
          std::to_string(s_.faults.size()) + " fault(s) planned");
  }

  // Records the first violation of p; the run goes on (each property is
  // judged on its own, docs/SPEC.md).
  void fail(PropertyId p, int thread, int call, std::string message) {
    if (!enabled(p) || violated(p)) return;
    violated_.set(static_cast<size_t>(p));
    Violation v{p, step_, thread, call, std::move(message), describe_world(*w_)};
    if (!result_.verdict.violation) result_.verdict.violation = v;
    result_.verdict.violations.push_back(std::move(v));
  }
  bool violated(PropertyId p) const { return violated_.test(static_cast<size_t>(p)); }

  // An oops or a deadlock: nothing meaningful runs past it, so the run ends
  // here and the properties not yet violated are judged only up to here.
  void end_run(PropertyId p, int thread, int call, std::string message) {
    result_.verdict.ended = Violation{p, step_, thread, call, message, {}};
    fail(p, thread, call, std::move(message));
    done_ = ended_ = true;
  }

  bool all_finished() const {
    return std::all_of(threads_.begin(), threads_.end(), [](const thread_run& r) { return r.finished(); });
  }

  bool runnable(int t) const {
    const thread_run& tr = threads_[t];
    if (tr.finished()) return false;
    if (!tr.in_call()) return true;
    const impl::mutex* m = w_->threads[t].blocked_on;
    return m == nullptr || m->owner < 0 || m->poisoned;
  }

  int choose(thread_mask mask) const {
    if (step_ < static_cast<int>(s_.schedule.size()) && (mask >> s_.schedule[step_] & 1u)) return s_.schedule[step_];
    if (last_ >= 0 && (mask >> last_ & 1u)) return last_;
    for (int t = 0; t < static_cast<int>(threads_.size()); ++t)
      if (mask >> t & 1u) return t;
    return -1;
  }

  void step() {
    thread_mask mask = 0;
    bool all_finished = true;
    for (int t = 0; t < static_cast<int>(threads_.size()); ++t) {
      if (runnable(t)) mask |= thread_mask{1} << t;
      all_finished &= threads_[t].finished();
    }
    if (all_finished) {
      done_ = true;
      return;
    }
    if (mask == 0) {
      std::string who;
      for (int t = 0; t < static_cast<int>(threads_.size()); ++t)
        if (threads_[t].in_call() && w_->threads[t].blocked_on)
          who += " T" + std::to_string(t) + " waits for " + w_->threads[t].blocked_on->name + " held by T" +
                 std::to_string(w_->threads[t].blocked_on->owner) + ";";
      end_run(PropertyId::lock_discipline, -1, -1, "deadlock:" + who);
      return;
    }
    if (step_ >= steps_bound_)
      throw std::logic_error("luv bug: the run reached " + std::to_string(steps_bound_) +
                             " steps, more than its calls can take (steps_bound)");

    int t = choose(mask);
    last_ = t;
    thread_run& tr = threads_[t];
    w_->current = t;
    for (int u = 0; u < static_cast<int>(threads_.size()); ++u)
      if (u != t) threads_[u].alone = false;

    if (!tr.in_call()) start_call(t);
    std::coroutine_handle<> h = w_->threads[t].resume_at;
    w_->threads[t].point = nullptr;
    bool explorer_reads = step_ == o_.reads_step && o_.reads;
    if (explorer_reads) {
      o_.reads->clear();
      if (o_.observer) o_.observer->on_reads_step(*w_);
      impl::step_reads = o_.reads;
    } else if (watch_) {
      step_events_.clear();
      impl::step_reads = &step_events_;
    }
    h.resume();
    impl::step_reads = nullptr;
    if (watch_) watch_->touched(explorer_reads ? *o_.reads : step_events_);
    flush_log(t);
    if (o_.observer) o_.observer->on_step(*w_, t);

    if (o_.record_steps) result_.steps_taken.push_back(StepRecord{t, mask, tr.current->done() ? nullptr : w_->threads[t].point});
    if (tr.current->done()) {
      end_call(t);
    } else {
      const impl::mutex* waits = w_->threads[t].blocked_on;
      if (o_.trace)
        trace_step(t, std::string("  .. ") + w_->threads[t].point + (waits ? std::string("(") + waits->name + ")" : ""));
      check_splats(t, static_cast<int>(tr.next));
    }
    ++step_;
  }

  void start_call(int t) {
    thread_run& tr = threads_[t];
    const Call& call = (*tr.calls)[tr.next];
    tr.current.emplace(impl::invoke(*w_, call));
    tr.first_step = step_;
    tr.alone = true;
    tr.warn_conditions_before = w_->threads[t].warn_conditions;
    if (enabled(PropertyId::error_path_deleted)) tr.facts_before = facts_now();
    w_->threads[t].resume_at = tr.current->start_handle();
    w_->call_allocations[t].clear();
    w_->call_released[t].clear();
    if (o_.trace) trace_step(t, describe_call(call));
    if (o_.observer) o_.observer->on_call_start(*w_, t, call);
  }

  void check_splats(int t, int call) {
    if (w_->splats.empty()) return;
    fail(property_of(w_->splats.front().kind), t, call, w_->splats.front().message);
    w_->splats.clear();
  }

  void end_call(int t) {
    thread_run& tr = threads_[t];
    int index = static_cast<int>(tr.next);
    const Call& call = (*tr.calls)[index];
    int ret = 0;
    try {
      ret = tr.current->result();
    } catch (const impl::Oops& oops) {
      trace_step(t, "  BUG: " + oops.message);
      end_run(property_of(oops.kind), t, index, describe_call(call) + ": " + oops.message);
      return;
    }
    bool is_void = impl::call_returns_void(call.kind);
    if (o_.trace) trace_step(t, describe_call(call) + (is_void ? " returns" : " = " + impl::errno_name(ret)));
    check_splats(t, index);
    if (w_->iommu_flb.lock.owner == t)
      fail(PropertyId::lock_discipline, t, index, describe_call(call) + " returns holding " + w_->iommu_flb.lock.name);
    unfreed_.update_flb_objects(*w_);
    for (const impl::iommu_flb_obj* obj : unfreed_.flb_objects())
      if (obj->lock.owner == t)
        fail(PropertyId::lock_discipline, t, index, describe_call(call) + " returns holding " + obj->lock.name);

    CallRecord record{t, index, call, ret, is_void, tr.first_step, step_};
    if (ret < 0 && !is_void) check_error_path(tr, record);
    // A WARN condition met during the call (printed or, once printed, not).
    bool warned_in_call = w_->threads[t].warn_conditions > tr.warn_conditions_before;
    for_each_object_call(record, warned_in_call, [&](const CallRecord& object_call, bool warned) {
      check_missing_unpreserve(object_call);
      update_views(object_call, warned);
    });
    forget_kept_after_teardown();
    note_racing_opposite(t, call);
    if (o_.observer) {
      if (auto msg = o_.observer->on_call_end(*w_, record)) fail(PropertyId::model_refinement, t, index, *msg);
    }
    result_.calls.push_back(record);
    tr.current.reset();
    tr.next++;
    w_->call_allocations[t].clear();

    bool quiescent = std::none_of(threads_.begin(), threads_.end(), [](const thread_run& r) { return r.in_call(); });
    if (quiescent && step_ >= o_.checks_from) check_quiescent(t, index);
  }

  // error-path-deleted
  void check_error_path(const thread_run& tr, const CallRecord& r) {
    if (!enabled(PropertyId::error_path_deleted)) return;
    auto what = [&] { return describe_call(r.call) + " failed with " + impl::errno_name(r.ret); };
    for (impl::phys_addr_t phys : w_->call_allocations[r.thread]) {
      impl::kho_page* page = impl::kho_page_at(*w_, phys);
      const impl::iommu_obj_ser& rec = page->objects[(phys - page->phys - impl::KHO_SLOT_OFFSET) / impl::KHO_SLOT_SIZE];
      if (!page->freed && !rec.hdr.deleted) {
        fail(PropertyId::error_path_deleted, r.thread, r.index,
             what() + " but left the " + impl::kho_page_kind_name(page->kind) + " record " + hex(phys) +
                 " it allocated live (not flagged deleted)");
        return;
      }
    }
    if (!tr.alone) return;  // another thread's steps may have changed the state meanwhile
    std::string diff = facts_diff(tr.facts_before, facts_now());
    if (!diff.empty()) fail(PropertyId::error_path_deleted, r.thread, r.index, what() + " but changed the state: " + diff);
  }

  // missing-unpreserve-warns
  void check_missing_unpreserve(const CallRecord& r) {
    if (!enabled(PropertyId::missing_unpreserve_warns)) return;
    const Call& c = r.call;
    std::string who;  // built only when it is needed
    bool lacks = false, holds_state = false, pci = true, reached = true;
    if (call_takes_device(c.kind)) {
      const impl::device& dev = w_->devices[c.device];
      const impl::iommu_device& iommu = *dev.iommu->iommu_dev;
      lacks = iommu_lacks_twin(s_.topology.iommus[iommu.id].ops);
      holds_state = dev.iommu->device_ser || dev.driver_page;
      pci = dev.is_pci;
      // The core's unpreserve returns before it looks at the driver for a
      // non-PCI device or an unclaimed group, and VFIO before the core for a
      // file it does not hold: those returns say nothing of the driver.
      reached = pci && impl::iommu_group_dma_owner_claimed(dev.iommu_group) && !(call_is_contract(c.kind) && r.ret == -ENOENT);
      if (lacks) who = "dev" + std::to_string(dev.id) + " behind iommu" + std::to_string(iommu.id);
    } else if (call_takes_domain(c.kind)) {
      const impl::iommu_domain& domain = w_->domains[c.domain];
      lacks = domain_lacks_twin(s_.topology.domains[domain.id].ops);
      holds_state = domain.preserved_state || domain.driver_page;
      if (lacks) who = "domain" + std::to_string(domain.id);
      reached = !(call_is_contract(c.kind) && r.ret == -ENOENT);
    }
    if (!lacks) return;
    bool warned = !w_->warnings.empty();
    std::string how = warned ? "" : " and no warning";
    std::string name = describe_call(c);
    if (call_is_preserve(c.kind) && r.ret == 0)
      fail(PropertyId::missing_unpreserve_warns, r.thread, r.index,
           name + " preserved " + who + ", whose driver lacks an unpreserve op: the state can never be released" + how);
    else if (call_is_preserve(c.kind) && r.ret == -EOPNOTSUPP && pci && !warned)
      fail(PropertyId::missing_unpreserve_warns, r.thread, r.index,
           name + " refused " + who + ", whose driver lacks an unpreserve op, without a warning");
    else if (!call_is_preserve(c.kind) && holds_state)
      fail(PropertyId::missing_unpreserve_warns, r.thread, r.index,
           name + " returned but " + who + " (driver lacks an unpreserve op) still holds preserved state" + how);
    else if (!call_is_preserve(c.kind) && reached && !warned)  // the other end: a silent return
      fail(PropertyId::missing_unpreserve_warns, r.thread, r.index,
           name + " returned on " + who + ", whose driver lacks an unpreserve op, without a warning");
  }

  // Two views of the callers, from the calls' results. `outstanding`: what
  // they preserved and have not asked to unpreserve (no-leak: once nothing
  // is, nothing may be left). `kept`: what they may expect in the next kernel
  // (restore-matches). An unpreserve that warned was refused, the way a
  // kernel refuses a call whose result nobody checks (the core's unpreserves
  // return void), so the object stays kept; a contract unpreserve of a file
  // its caller does not hold (-ENOENT) did nothing.
  bool no_file_preserved() const {
    return std::none_of(w_->file_preserved.begin(), w_->file_preserved.end(), [](bool b) { return b; });
  }

  // Once no file is preserved, LUO has torn the FLB down and hands over
  // nothing of what was kept before (rule 5), the last call's included.
  void forget_kept_after_teardown() {
    if (no_file_preserved())
      devices_kept_.clear(), domains_kept_.clear();
  }

  // The call as the unpreserves and preserves of single objects it made, each
  // with whether it met a WARN condition: a session's teardown is the
  // per-file unpreserve of each file it tore down (World::call_released, in
  // its order, each warned or not on its own); any other call is itself.
  template <typename F>
  void for_each_object_call(const CallRecord& r, bool warned_in_call, F&& f) const {
    if (r.call.kind != CallKind::luo_session_release) return f(r, warned_in_call);
    for (const impl::World::released_file& released : w_->call_released[r.thread]) {
      const impl::luo_session::entry& e = released.file;
      int dev = s_.topology.file_device(e.file);
      CallRecord one = r;
      one.call = dev < 0 ? Call{CallKind::iommufd_unpreserve, -1, s_.topology.file_domain(e.file), -1}
                         : Call{CallKind::vfio_unpreserve, -1, e.domain, dev};
      one.ret = 0;
      f(one, released.warned);
    }
  }


  void update_views(const CallRecord& r, bool warned_in_call) {
    const Call& c = r.call;
    bool device = call_takes_device(c.kind);
    if (!device && !call_takes_domain(c.kind)) return;  // LUO file calls: w.file_preserved says
    int id = device ? c.device : c.domain;
    std::set<int>& outstanding = device ? devices_outstanding_ : domains_outstanding_;
    std::map<int, int>& kept = device ? devices_kept_ : domains_kept_;
    if (call_is_preserve(c.kind)) {
      if (r.ret != 0) return;
      outstanding.insert(id);
      kept[id] = device ? c.domain : -1;
    } else if (!(call_is_contract(c.kind) && r.ret == -ENOENT)) {
      outstanding.erase(id);
      if (!warned_in_call) kept.erase(id);
    }
  }

  // A preserve and an unpreserve of the same object that overlap in time
  // may take effect in either order, so the callers cannot know which one
  // won: restore-matches leaves that object out (docs/SPEC.md).
  void note_racing_opposite(int t, const Call& c) {
    auto object = [](const Call& x) {
      return call_takes_device(x.kind) ? 1000 + x.device : call_takes_domain(x.kind) ? x.domain : -1;
    };
    if (object(c) < 0) return;
    for (int u = 0; u < static_cast<int>(threads_.size()); ++u) {
      if (u == t || !threads_[u].in_call()) continue;
      const Call& other = (*threads_[u].calls)[threads_[u].next];
      if (object(other) == object(c) && call_is_preserve(other.kind) != call_is_preserve(c.kind))
        (call_takes_device(c.kind) ? racing_devices_ : racing_domains_).insert(call_takes_device(c.kind) ? c.device : c.domain);
    }
  }

  std::vector<int> callers_view_key() const {
    std::vector<int> key;
    auto add = [&](const auto& ids) {
      for (const auto& id : ids) {
        if constexpr (std::is_same_v<std::decay_t<decltype(id)>, int>) key.push_back(id);
        else key.push_back(id.first), key.push_back(id.second);
      }
      key.push_back(-2);  // end of a group
    };
    add(devices_outstanding_), add(domains_outstanding_), add(devices_kept_), add(domains_kept_);
    add(racing_devices_), add(racing_domains_);
    return key;
  }

  // The World's unfreed pages and FLB objects, brought up to date.
  const Unfreed& unfreed() {
    unfreed_.update(*w_);
    return unfreed_;
  }

  // error-path-deleted's facts now: from the watch when there is one.
  std::vector<fact> facts_now() {
    if (!watch_) return abstract_facts(*w_, unfreed().pages());
    watch_->update(*w_);
    return abstract_facts(*w_, *watch_);
  }

  // Whether the object graph may hold a finding that a property still
  // judged here would report. Without a watch, or when the watch cannot
  // rule it out, the graph is built and checked whole, as before.
  bool graph_may_report() {
    if (!watch_) return true;
    watch_->update(*w_);
    unfreed_.update_flb_objects(*w_);
    PossibleFindings p = watch_->possible(*w_, unfreed_.flb_objects());
    auto judged = [&](PropertyId q) { return enabled(q) && !violated(q); };
    return (judged(PropertyId::refcount_balanced) && p.refcount) || (judged(PropertyId::no_dangling) && p.dangling) ||
           (judged(PropertyId::no_leak) && (p.orphans || (everything_unpreserved() && p.remaining)));
  }

  bool everything_unpreserved() const {
    return devices_outstanding_.empty() && domains_outstanding_.empty() &&
           no_file_preserved();
  }

  void check_quiescent(int t, int call) {
    if (o_.invariant && !result_.divergence) {
      std::string why = o_.invariant(*w_);
      if (!why.empty()) result_.divergence = "after step " + std::to_string(step_) + ": " + why;
    }
    bool want_graph = enabled(PropertyId::refcount_balanced) || enabled(PropertyId::no_dangling) ||
                      enabled(PropertyId::no_leak);
    want_graph = want_graph && !(violated(PropertyId::refcount_balanced) && violated(PropertyId::no_dangling) &&
                                 violated(PropertyId::no_leak));
    if (want_graph) {
      GraphFindings f = graph_may_report() ? check_object_graph(build_judged_graph(*w_, unfreed())) : GraphFindings{};
      if (!f.refcount.empty()) fail(PropertyId::refcount_balanced, t, call, f.refcount.front());
      int preserved_files = static_cast<int>(std::count(w_->file_preserved.begin(), w_->file_preserved.end(), true));
      if (w_->iommu_flb.count != preserved_files)
        fail(PropertyId::refcount_balanced, t, call,
             "FLB count " + std::to_string(w_->iommu_flb.count) + " but " + std::to_string(preserved_files) +
                 " file(s) preserved");
      if (!f.dangling.empty()) fail(PropertyId::no_dangling, t, call, f.dangling.front());
      if (!f.orphans.empty()) fail(PropertyId::no_leak, t, call, f.orphans.front());
      if (everything_unpreserved() && !f.remaining.empty())
        fail(PropertyId::no_leak, t, call, "everything was unpreserved, but " + f.remaining.front());
    }
  }

  // kexec, the next kernel's restore, and its checks.
  void after_threads() {
    if (o_.observer) {
      if (auto msg = o_.observer->on_threads_done(*w_)) fail(PropertyId::model_refinement, -1, -1, *msg);
    }
    impl::next_kernel_result want = callers_view();
    impl::kexec(*w_);
    result_.kexec_done = true;
    trace_step(-1, "kexec");
    impl::next_kernel_result r;
    try {
      r = impl::next_kernel_restore(*w_);
    } catch (const impl::Oops& oops) {  // an oops in the next kernel is a verdict too
      flush_log(-1);
      trace_step(-1, "  BUG: " + oops.message);
      end_run(property_of(oops.kind), -1, -1, "next kernel: " + oops.message);
      return;
    }
    flush_log(-1);
    trace_step(-1, "next kernel: " + describe_restore(r));
    check_splats(-1, -1);  // KASAN in the next kernel: a read past a page it walked

    if (r.retrieve_err == 0) {
      std::string why = restore_mismatch(want, r);
      if (!why.empty())
        fail(PropertyId::restore_matches, -1, -1,
             why + ": the callers kept " + describe_restore(want) + "; restored " + describe_restore(r));
    }
    for (const impl::kho_page& p : w_->kho.pages)
      if (p.preserved)
        fail(PropertyId::no_leak, -1, -1,
             std::string("after the next kernel finished, page ") + hex(p.phys) + " (" +
                 impl::kho_page_kind_name(p.kind) + ") is still preserved");
    result_.restore = std::move(r);
  }

  // restore-matches compares with the callers' view, not the kernel's
  // pointers: what they kept (update_views), handed over by LUO only while
  // some file is preserved (docs/SPEC.md).
  impl::next_kernel_result callers_view() const {
    impl::next_kernel_result want;
    if (no_file_preserved()) return want;
    for (const auto& [d, domain] : devices_kept_) {
      int iommu = s_.topology.devices[d].iommu;
      want.devices.push_back({d, domain, iommu});
      want.iommus.push_back(iommu);
      want.domains.push_back(domain);  // a kept device brings its domain
    }
    for (const auto& kept : domains_kept_) want.domains.push_back(kept.first);
    for (auto* v : {&want.iommus, &want.domains}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    return want;
  }

  // Why the restore differs from the callers' view (empty: it matches),
  // leaving out the objects whose preserve and unpreserve raced.
  std::string restore_mismatch(impl::next_kernel_result want, impl::next_kernel_result got) const {
    std::set<int> racing_iommus;
    for (int d : racing_devices_) racing_iommus.insert(s_.topology.devices[d].iommu);
    for (auto* r : {&want, &got}) {
      std::erase_if(r->devices, [&](const impl::restored_device& d) { return racing_devices_.count(d.device) > 0; });
      std::erase_if(r->domains, [&](int d) { return racing_domains_.count(d) > 0; });
      std::erase_if(r->iommus, [&](int i) { return racing_iommus.count(i) > 0; });
      std::sort(r->devices.begin(), r->devices.end(), [](const auto& a, const auto& b) {
        return std::tie(a.device, a.domain, a.iommu) < std::tie(b.device, b.domain, b.iommu);
      });
      std::sort(r->domains.begin(), r->domains.end());
      std::sort(r->iommus.begin(), r->iommus.end());
    }
    if (got.devices != want.devices) return "devices differ";
    if (got.domains != want.domains) return "domains differ";
    if (got.iommus != want.iommus) return "IOMMUs differ";
    // A consistent hand-over restores whole; a record the next kernel must
    // refuse (e.g. a deleted one it walked) is a mismatch even when the
    // drivers' checks kept the restored set right.
    if (!got.errors.empty()) return "the next kernel refused records it was handed";
    return {};
  }

  static std::string describe_restore(const impl::next_kernel_result& r) {
    if (r.retrieve_err) return "FLB retrieve failed with " + impl::errno_name(r.retrieve_err) + ", nothing restored";
    std::string out = "{";
    for (int i : r.iommus) out += " iommu" + std::to_string(i);
    for (int d : r.domains) out += " domain" + std::to_string(d);
    for (const auto& d : r.devices)
      out += " dev" + std::to_string(d.device) + "(domain" + std::to_string(d.domain) + ",iommu" +
             std::to_string(d.iommu) + ")";
    out += " }";
    for (const std::string& e : r.errors) out += "; refused " + e;
    return out;
  }

  const Scenario& s_;
  const RunOptions& o_;
  const long long steps_bound_ = steps_bound(s_);
  std::unique_ptr<World> w_;
  std::vector<thread_run> threads_;
  std::vector<std::string> log_;
  std::vector<std::string> trace_;
  RunResult result_;
  int step_ = 0;
  int last_ = -1;
  bool done_ = false;
  bool ended_ = false;  // by an oops or a deadlock
  PropertySet violated_;
  std::set<int> devices_outstanding_, domains_outstanding_;
  std::map<int, int> devices_kept_, domains_kept_;  // kept object -> a device's domain (-1 for a domain)
  std::set<int> racing_devices_, racing_domains_;
  Unfreed unfreed_;
  std::optional<PageWatch> watch_;  // RunOptions::watch_from_calls
  std::vector<impl::read_event> step_events_;
};

}  // namespace

const Violation* Verdict::first_of(PropertyId p) const {
  for (const Violation& v : violations)
    if (v.property == p) return &v;
  return nullptr;
}

PropertySet Verdict::unjudged_after_end(const PropertySet& checked) const {
  if (!ended) return {};
  PropertySet out = checked;
  for (const Violation& v : violations) out.reset(static_cast<size_t>(v.property));
  return out;
}

std::string describe_call(const Call& c) {
  std::string out = call_kind_name(c.kind);
  out += "(";
  std::string sep;
  if (call_takes_file(c.kind)) out += sep + "file" + std::to_string(c.file), sep = ", ";
  if (call_takes_domain(c.kind) && call_takes_device(c.kind)) {
    out += "domain" + std::to_string(c.domain) + ", dev" + std::to_string(c.device);
  } else if (call_takes_domain(c.kind)) {
    out += sep + "domain" + std::to_string(c.domain);
  } else if (call_takes_session(c.kind)) {
    out += sep + "session" + std::to_string(c.session);
  }
  return out + ")";
}

std::string describe_world(const World& w) {
  std::string out;
  out += "FLB: count " + std::to_string(w.iommu_flb.count) + ", users " + std::to_string(w.iommu_flb.users) +
         ", object " + (w.iommu_flb.outgoing ? "allocated" : "none") + "\n";
  auto rec = [&](const impl::kptr<impl::iommu_obj_ser>& p) {
    if (!p) return std::string("NULL");
    const impl::iommu_obj_ser* o = p.get();
    return hex(o->phys) + (o->kfreed() ? " [freed]" : o->hdr.deleted ? " [deleted]" : "") + " ref_count " +
           std::to_string(o->hdr.ref_count);
  };
  auto page = [&](const impl::kptr<impl::kho_page>& p) {
    return p ? hex(p.get()->phys) + (p.get()->freed ? " [freed]" : "") : std::string("none");
  };
  for (const auto& i : w.iommus)
    out += "iommu" + std::to_string(i.id) + ": outgoing_preserved_state " + rec(i.outgoing_preserved_state) +
           ", driver page " + page(i.driver_page) + "\n";
  for (const auto& d : w.domains)
    out += "domain" + std::to_string(d.id) + ": preserved_state " + rec(d.preserved_state) + ", driver page " +
           page(d.driver_page) + "\n";
  for (const auto& d : w.devices)
    out += "dev" + std::to_string(d.id) + ": device_ser " + rec(d.iommu->device_ser) + ", driver page " +
           page(d.driver_page) + "\n";
  for (const impl::kho_page& p : w.kho.pages) {
    out += "page " + hex(p.phys) + " " + impl::kho_page_kind_name(p.kind) + (p.freed ? " [freed]" : "");
    if (p.hdr.next) out += " next " + hex(p.hdr.next);
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
      const impl::iommu_obj_ser& o = p.objects[i];
      out += "\n  " + hex(o.phys) + (o.hdr.deleted ? " deleted" : " live") + " ref_count " +
             std::to_string(o.hdr.ref_count);
      if (p.kind == impl::kho_page_kind::device_array)
        out += " devid " + std::to_string(o.devid) + " domain_phys " + hex(o.domain_iommu_ser.domain_phys) +
               " iommu_phys " + hex(o.domain_iommu_ser.iommu_phys);
      else
        out += " token " + hex(o.token);
    }
    out += "\n";
  }
  return out;
}

// Every step resumes one thread at one interleaving point (a mutex lock,
// a read outside a lock, a driver op) or at its call's start, and no point
// is passed twice without moving on: a blocked thread is not runnable. The
// deepest call passes 9 points and takes 10 steps (vfio_preserve whose
// preserve_device op fails: the session and LUO locks, the read of
// preserved_state, the FLB get and its object's lock, the IOMMU's preserve
// op, preserve_device, the IOMMU's unpreserve, LUO's unpreserve of the
// file); counted as 16. A session's teardown adds at most 6 per file it
// walks (the handler's unpreserve, 4 points, and LUO's unpreserve of the
// file), counted as 8; each file it walks was listed by one successful
// preserve and leaves the list, so over a run the teardowns walk at most
// one file per call. Hence 24 steps per call, with margin.
long long steps_bound(const Scenario& s) {
  constexpr long long call_steps = 16, teardown_steps_per_listed_file = 8;
  return static_cast<long long>(s.calls_total()) * (call_steps + teardown_steps_per_listed_file) + 1;
}

RunResult run(const Scenario& s, const RunOptions& options) {
  const impl::variant_rules* rules = impl::find_variant(s.variant);
  if (rules == nullptr) throw std::invalid_argument("variant: " + impl::unknown_variant(s.variant));
  std::string invalid = validate(s);
  if (!invalid.empty()) throw std::invalid_argument(invalid);
  // model-refinement is judged by the model's observer: run() attaches one
  // unless the caller brings its own (the check engine reads its undecided()).
  RefinementObserver model_observer;
  RunOptions o = options;
  if (o.observer == nullptr && has(o.properties, PropertyId::model_refinement)) o.observer = &model_observer;
  runner r(s, o, *rules);
  return r.go();
}

}  // namespace luv
