// A test harness around one impl::World: builds it from a variant, a
// topology and a fault plan, and runs one lifecycle call at a time to
// completion on a single thread (thread 0), so a test can inspect the kernel
// objects, records and pages between calls.
#pragma once
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "impl/callers.h"
#include "impl/iommu_liveupdate.h"
#include "impl/liveupdate.h"
#include "impl/next_kernel.h"
#include "impl/variant.h"
#include "impl/world.h"

namespace luv::test {

// Runs a task to completion on thread 0. An oops propagates as impl::Oops.
template <typename T>
T drive(impl::World& w, impl::task<T> t) {
  w.current = 0;
  std::coroutine_handle<> h = t.start_handle();
  // A single thread never waits for a lock held by another, so every resume
  // makes progress; the bound only guards against a harness bug.
  for (int resumes = 0; !t.done(); ++resumes) {
    if (resumes > 10000) throw std::runtime_error("drive: call did not finish");
    w.threads[0].point = nullptr;
    h.resume();
    if (!t.done()) h = w.threads[0].resume_at;
  }
  return t.result();
}

// The kind of oops `f` ends in, or nothing when it returns normally.
template <typename F>
std::optional<impl::oops_kind> oops_of(F&& f) {
  try {
    f();
  } catch (const impl::Oops& o) {
    return o.kind;
  }
  return std::nullopt;
}

inline Topology topology(int objects_per_page, std::vector<impl::u8> iommu_ops, std::vector<impl::u8> domain_ops,
                         std::vector<DeviceSpec> devices) {
  Topology t;
  t.objects_per_page = objects_per_page;
  for (impl::u8 ops : iommu_ops) t.iommus.push_back(IommuSpec{ops});
  for (impl::u8 ops : domain_ops) t.domains.push_back(DomainSpec{ops});
  t.devices = std::move(devices);
  return t;
}

// `n` PCI devices, all behind IOMMU 0, one domain, every op.
inline Topology devices_behind_one_iommu(int n, int objects_per_page) {
  return topology(objects_per_page, {IOMMU_OPS_ALL}, {DOMAIN_OPS_ALL}, std::vector<DeviceSpec>(n, DeviceSpec{0}));
}

class Kernel {
 public:
  explicit Kernel(const std::string& variant, Topology t = default_topology(), std::vector<Fault> faults = {},
                  impl::mutant mut = impl::mutant::none) {
    const impl::variant_rules* found = impl::find_variant(variant);
    if (found == nullptr) throw std::invalid_argument("no variant " + variant);
    rules_ = *found;
    rules_.mut = mut;
    scenario_.variant = variant;
    scenario_.topology = std::move(t);
    scenario_.faults = std::move(faults);
    scenario_.threads = {{}};  // one thread: the test itself
    w_ = std::make_unique<impl::World>(scenario_, rules_);
  }

  impl::World& w() { return *w_; }

  // The kernel's entry points, by index.
  int preserve_file(int file) { return drive(*w_, impl::liveupdate_preserve_file(*w_, file)); }
  int unpreserve_file(int file) { return drive(*w_, impl::liveupdate_unpreserve_file(*w_, file)); }
  int domain_preserve(int domain) { return drive(*w_, impl::iommu_domain_preserve(*w_, &w_->domains[domain])); }
  void domain_unpreserve(int domain) { drive(*w_, impl::iommu_domain_unpreserve(*w_, &w_->domains[domain])); }
  int preserve_device(int domain, int dev, impl::u64* state = nullptr) {
    impl::u64 ignored = 0;
    return drive(*w_, impl::iommu_preserve_device(*w_, &w_->domains[domain], &w_->devices[dev], state ? state : &ignored));
  }
  void unpreserve_device(int domain, int dev) {
    drive(*w_, impl::iommu_unpreserve_device(*w_, &w_->domains[domain], &w_->devices[dev]));
  }
  int invoke(const Call& c) { return drive(*w_, impl::invoke(*w_, c)); }
  // LUO file 0, then `domain` preserved through it: the usual start.
  void preserve_file_and_domain(int domain = 0) {
    if (preserve_file(0) != 0 || domain_preserve(domain) != 0) throw std::runtime_error("setup failed");
  }

  impl::iommu_device& iommu(int i) { return w_->iommus[i]; }
  impl::iommu_domain& domain(int i) { return w_->domains[i]; }
  impl::device& dev(int i) { return w_->devices[i]; }
  impl::kptr<impl::iommu_flb_obj> flb() { return w_->iommu_flb.outgoing; }

  // Counts over the KHO arena.
  int pages_preserved(impl::kho_page_kind kind) const {
    int n = 0;
    for (const impl::kho_page& p : w_->kho.pages) n += p.preserved && p.kind == kind;
    return n;
  }
  int pages_preserved() const {
    int n = 0;
    for (const impl::kho_page& p : w_->kho.pages) n += p.preserved;
    return n;
  }
  int pages_allocated() const { return static_cast<int>(w_->kho.pages.size()); }
  // Records in the arrays of `kind` (live: not deleted, page not freed).
  int records(impl::kho_page_kind kind, bool live_only) const {
    int n = 0;
    for (const impl::kho_page& p : w_->kho.pages) {
      if (p.kind != kind || p.freed) continue;
      for (impl::u32 i = 0; i < p.hdr.nr_objects; ++i) n += !live_only || !p.objects[i].hdr.deleted;
    }
    return n;
  }
  int live_records(impl::kho_page_kind kind) const { return records(kind, true); }
  // The pages of an array, following the chain from the FLB root.
  std::vector<impl::kho_page*> chain(impl::phys_addr_t head) {
    std::vector<impl::kho_page*> out;
    for (impl::phys_addr_t phys = head; phys != 0 && out.size() < 64;) {
      impl::kho_page* p = impl::kho_page_at(*w_, phys);
      if (p == nullptr) break;
      out.push_back(p);
      phys = p->hdr.next;
    }
    return out;
  }
  int warnings() const { return static_cast<int>(w_->warnings.size()); }
  std::string warned_in(int i) const { return w_->warnings.at(i).function; }

 private:
  impl::variant_rules rules_{};
  Scenario scenario_;
  std::unique_ptr<impl::World> w_;
};

}  // namespace luv::test
