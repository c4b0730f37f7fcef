// The Runner's memory of one run, as a value: what the callers believe
// (which objects they preserved, which they may expect in the next kernel,
// which raced) and what the Runner noted when each thread's call started.
// Neither is in the World: it is what the calls' results told their callers.
// The Runner keeps it up to date (an observer reads it as
// RunObserver::callers(); a run's last one is RunResult::callers), and every
// reader asks it instead of rebuilding it from the calls: no-leak and
// restore-matches here, the explorer's state key, the drawings, the solver's
// snapshot checks.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "impl/next_kernel.h"
#include "impl/scenario.h"
#include "properties/call_record.h"
#include "properties/facts.h"

namespace luv::impl {
struct World;
}

namespace luv {

// What the Runner noted when a thread's current (or last) call started.
struct CallStart {
  bool alone = true;        // no other thread has stepped since the call started
  int warn_conditions = 0;  // its kthread's WARN conditions then
  std::vector<Fact> facts;  // error-path-deleted's abstract state then (empty when not judged)
};

class CallersMemory {
 public:
  explicit CallersMemory(int threads = 0) : started_(static_cast<size_t>(threads)) {}

  // ---- what the callers believe -----------------------------------------------
  // One object's call returned (object_calls: a session's teardown is its
  // per-file unpreserves), `warned`: it met a WARN condition. `outstanding`:
  // what they preserved and have not asked to unpreserve (no-leak: once
  // nothing is, nothing may be left). `kept`: what they may expect in the
  // next kernel (restore-matches). An unpreserve that warned was refused, the
  // way a kernel refuses a call whose result nobody checks (the core's
  // unpreserves return void), so the object stays kept; a contract
  // unpreserve of a file its caller does not hold (-ENOENT) did nothing.
  void note_returned(const CallRecord& r, bool warned);
  // Once LUO has torn the FLB down (no file preserved and no call holding
  // it), it hands over nothing of what was kept before (rule 5), the last
  // call's included.
  void forget_kept();
  // `returned` returned while `other` was in its call: a preserve and an
  // unpreserve of the same object that overlap in time may take effect in
  // either order, so the callers cannot know which one won, and
  // restore-matches leaves that object out (docs/SPEC.md). The same for a
  // raw LUO call on the object's file (adversarial mode) overlapping a call
  // on the object: it can drop the file between the handler and LUO's step,
  // and the call's errno then no longer says what it did; and for a session's
  // teardown, whose unpreserves are noted when it returns, overlapping a call
  // on one of its files' objects.
  void note_overlap(const Topology& t, const Call& returned, const Call& other);

  const std::set<int>& devices_outstanding() const { return devices_outstanding_; }
  const std::set<int>& domains_outstanding() const { return domains_outstanding_; }
  // Kept device -> the domain it was preserved with; kept domain -> -1.
  const std::map<int, int>& devices_kept() const { return devices_kept_; }
  const std::map<int, int>& domains_kept() const { return domains_kept_; }
  const std::set<int>& racing_devices() const { return racing_devices_; }
  const std::set<int>& racing_domains() const { return racing_domains_; }

  // No preserve outstanding and no file preserved in w: no-leak's "once
  // everything is unpreserved, nothing may be left".
  bool everything_unpreserved(const impl::World& w) const;
  // What the callers expect the next kernel to restore: what they kept,
  // handed over by LUO only while some file is preserved in w.
  impl::next_kernel_result expected_restore(const impl::World& w, const Topology& t) const;
  // Why `got` differs from `want` (empty: it matches), leaving out the
  // objects whose preserve and unpreserve raced.
  std::string restore_mismatch(const Topology& t, impl::next_kernel_result want, impl::next_kernel_result got) const;

  // The beliefs as numbers in a fixed order, each group ended by -2: two
  // runs with equal Worlds judge the rest of a run alike only if these are
  // equal too (the explorer keys its states on them). No allocation.
  // `racing`: the racing objects too (the explorer may keep them apart).
  template <typename F>
  void each_number(F&& f, bool racing = true) const {
    for (int id : devices_outstanding_) f(id);
    f(-2);
    for (int id : domains_outstanding_) f(id);
    f(-2);
    for (const auto& [id, domain] : devices_kept_) f(id), f(domain);
    f(-2);
    for (const auto& [id, domain] : domains_kept_) f(id), f(domain);
    f(-2);
    if (!racing) return;
    for (int id : racing_devices_) f(id);
    f(-2);
    for (int id : racing_domains_) f(id);
    f(-2);
  }

  // ---- what the Runner noted at each call's start ------------------------------
  int threads() const { return static_cast<int>(started_.size()); }
  CallStart& started(int thread);
  const CallStart& started(int thread) const;
  // Thread t ran a step: every other thread's call now has company.
  void note_step(int t);
  // The threads of `in_call` whose call has run alone so far, bit t for thread t.
  unsigned alone_mask(unsigned in_call) const;

 private:
  std::set<int> devices_outstanding_, domains_outstanding_;
  std::map<int, int> devices_kept_, domains_kept_;
  std::set<int> racing_devices_, racing_domains_;
  std::vector<CallStart> started_;  // per thread
};

// The call as the unpreserves and preserves of single objects it made, each
// with whether it met a WARN condition: a session's teardown is the per-file
// unpreserve of each file it tore down (World::call_released, in its order,
// each warned or not on its own); any other call is itself.
std::vector<std::pair<CallRecord, bool>> object_calls(const impl::World& w, const Topology& t, const CallRecord& r,
                                                      bool warned_in_call);

}  // namespace luv
