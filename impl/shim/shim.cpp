// The shims' bodies: errno names, fault injection, WARN, mutex, KHO, PCI.
#include <algorithm>
#include <cstdio>
#include <string>

#include "impl/hex.h"
#include "impl/world.h"
#include "linux/bug.h"
#include "linux/errno.h"
#include "linux/fault-inject.h"
#include "linux/kexec_handover.h"
#include "linux/mutex.h"
#include "linux/pci.h"
#include "impl/shim/kthread.h"

namespace luv::impl {

thread_local constinit std::vector<read_event>* step_reads = nullptr;
thread_local constinit std::vector<const void*>* step_writes = nullptr;

namespace {
struct errno_entry {
  int value;
  const char* name;
};
constexpr errno_entry kErrnos[] = {
    {EPERM, "EPERM"},   {ENOENT, "ENOENT"}, {EIO, "EIO"},     {ENOMEM, "ENOMEM"},
    {EBUSY, "EBUSY"},   {EEXIST, "EEXIST"}, {ENODEV, "ENODEV"}, {EINVAL, "EINVAL"},
    {ENOSPC, "ENOSPC"}, {EOPNOTSUPP, "EOPNOTSUPP"},
};
}  // namespace

std::string errno_name(int err) {
  if (err == 0) return "0";
  for (const errno_entry& e : kErrnos)
    if (e.value == -err) return std::string("-") + e.name;
  return std::to_string(err);
}

bool errno_parse(const std::string& text, int& err_out) {
  std::string name = text;
  if (!name.empty() && name[0] == '-') name = name.substr(1);
  for (const errno_entry& e : kErrnos) {
    if (name == e.name) {
      err_out = -e.value;
      return true;
    }
  }
  return false;
}

// ---- fault injection ----------------------------------------------------

namespace {
constexpr const char* kFaultSiteNames[FAULT_SITE_COUNT] = {
    "flb_kzalloc",       "kho_flb_root",       "kho_flb_array",      "kho_array_page", "kho_driver_page",
    "op_iommu_preserve", "op_preserve_device", "op_domain_preserve", "flb_retrieve",
};
}  // namespace

const char* fault_site_name(fault_site site) { return kFaultSiteNames[static_cast<int>(site)]; }

bool fault_site_parse(std::string_view name, fault_site& out) {
  for (int i = 0; i < FAULT_SITE_COUNT; ++i) {
    if (name == kFaultSiteNames[i]) {
      out = static_cast<fault_site>(i);
      return true;
    }
  }
  return false;
}

// What a site returns when the plan does not say.
int default_fault_errno(fault_site site) {
  switch (site) {
    case fault_site::op_iommu_preserve:
    case fault_site::op_preserve_device:
    case fault_site::op_domain_preserve:
    case fault_site::flb_retrieve:
      return -EIO;
    default:
      return -ENOMEM;
  }
}

int should_fail(World& w, fault_site site) {
  int visit = ++w.fault_visits[static_cast<int>(site)];
  for (const Fault& f : w.faults) {
    if (f.site != site || f.nth != visit) continue;
    int err = f.err != 0 ? f.err : default_fault_errno(site);
    w.faults_fired.push_back(Fault{site, visit, err});
    w.printk(std::string("FAULT_INJECTION: ") + fault_site_name(site) + " #" + std::to_string(visit) +
             " fails with " + errno_name(err));
    return err;
  }
  return 0;
}

// ---- WARN ------------------------------------------------------------------

namespace {
// "luv::impl::task<int> luv::impl::iommu_preserve_device(...)" -> "iommu_preserve_device"
std::string function_of(const std::source_location& site) {
  std::string f = site.function_name();
  size_t paren = f.find('(');
  if (paren != std::string::npos) f.resize(paren);
  size_t colon = f.rfind(':');
  size_t space = f.rfind(' ');
  size_t cut = std::string::npos;
  if (colon != std::string::npos) cut = colon;
  if (space != std::string::npos && (cut == std::string::npos || space > cut)) cut = space;
  return cut == std::string::npos ? f : f.substr(cut + 1);
}

void record_warning(World& w, const std::source_location& site, const char* form) {
  warning_event e{function_of(site), site.file_name(), site.line(), w.current};
  w.printk(std::string("WARNING: CPU: ") + std::to_string(w.current) + " " + form + " in " + e.function);
  w.warnings.push_back(std::move(e));
}
}  // namespace

// A met condition is the kernel refusing something, whether or not it prints:
// the Runner reads a call's refusals off it (properties/runner.cpp).
static void note_warn_condition(World& w) {
  if (w.current >= 0 && w.current < static_cast<int>(w.threads.size())) w.threads[w.current].warn_conditions++;
}

bool WARN_ON(World& w, bool condition, std::source_location site) {
  if (!condition) return false;
  note_warn_condition(w);
  record_warning(w, site, "WARN_ON");
  return true;
}

bool WARN_ON_ONCE(World& w, bool condition, std::source_location site) {
  if (!condition) return false;
  note_warn_condition(w);
  note_read(&w.warn_once_sites, read_kind::warn_once);
  std::string key = std::string(site.file_name()) + ":" + std::to_string(site.line()) + ":" +
                    std::to_string(site.column());
  for (const std::string& fired : w.warn_once_sites)
    if (fired == key) return true;
  w.warn_once_sites.push_back(std::move(key));
  record_warning(w, site, "WARN_ON_ONCE");
  return true;
}

// ---- scheduler points and mutexes --------------------------------------------

void sched_point_awaiter::await_suspend(std::coroutine_handle<> h) noexcept {
  kthread& t = w.threads[w.current];
  t.resume_at = h;
  t.point = point;
}

namespace {
// A report that does not stop the thread: lockdep's, or KASAN's. A KASAN
// report of another bug type than use-after-free names it in its message
// ("KASAN: slab-out-of-bounds in ..."), which is then printed as the
// kernel's "BUG: KASAN: ..." line; all of KASAN's are judged by
// no-use-after-free (the Runner's mapping of use_after_free).
void splat(World& w, oops_kind kind, std::string message) {
  if (kind == oops_kind::lockdep)
    w.printk("lockdep: " + message);
  else if (message.starts_with("KASAN: "))
    w.printk("BUG: " + message);
  else
    w.printk("KASAN: use-after-free: " + message);
  w.splats.push_back({kind, std::move(message)});
}
void lockdep_splat(World& w, std::string message) { splat(w, oops_kind::lockdep, std::move(message)); }
}  // namespace

mutex_lock_awaiter mutex_lock(World& w, mutex* lock) { return {w, lock}; }

bool mutex_lock_awaiter::await_ready() const {
  note_read(lock, read_kind::mutex);
  if (lock->owner == w.current) oops(oops_kind::deadlock, std::string("recursive locking of ") + lock->name);
  return false;
}

void mutex_lock_awaiter::await_suspend(std::coroutine_handle<> h) {
  kthread& t = w.threads[w.current];
  t.resume_at = h;
  t.point = "mutex_lock";
  t.blocked_on = lock;
}

void mutex_lock_awaiter::await_resume() {
  note_read(lock, read_kind::mutex);
  w.threads[w.current].blocked_on = nullptr;
  if (lock->poisoned) oops(oops_kind::use_after_free, std::string("mutex_lock on freed ") + lock->name);
  // The scheduler resumes a thread blocked on a lock only once it is free.
  lock->owner = w.current;
}

void mutex_unlock(World& w, mutex* lock) {
  note_read(lock, read_kind::mutex);
  if (lock->poisoned) oops(oops_kind::use_after_free, std::string("mutex_unlock on freed ") + lock->name);
  if (lock->owner != w.current) {
    lockdep_splat(w, std::string("unlock of ") + lock->name + " not held by this thread");
    return;
  }
  lock->owner = -1;
}

void lockdep_assert_held(World& w, const mutex* lock, std::source_location site) {
  note_read(lock, read_kind::mutex);
  if (lock->owner == w.current) return;
  lockdep_splat(w, std::string("lockdep_assert_held(") + lock->name + ") fails in " + function_of(site));
}

mutex_guard::~mutex_guard() {
  if (std::uncaught_exceptions() > uncaught_ || w_.unwinding) return;  // an oops: the lock stays held
  note_read(lock_, read_kind::mutex);
  if (lock_->poisoned) {  // the object holding the lock was freed under the guard
    splat(w_, oops_kind::use_after_free, std::string("guard releases ") + lock_->name + " of a freed object");
    return;
  }
  if (lock_->owner != w_.current) {
    lockdep_splat(w_, std::string("guard releases ") + lock_->name + " which it does not hold");
    return;
  }
  lock_->owner = -1;
}

// ---- KHO -------------------------------------------------------------------------

bool kho_page_is_array(kho_page_kind kind) {
  return kind == kho_page_kind::iommu_array || kind == kho_page_kind::domain_array ||
         kind == kho_page_kind::device_array;
}

const char* kho_page_kind_name(kho_page_kind kind) {
  switch (kind) {
    case kho_page_kind::ser_root: return "ser root";
    case kho_page_kind::iommu_array: return "iommu array";
    case kho_page_kind::domain_array: return "domain array";
    case kho_page_kind::device_array: return "device array";
    case kho_page_kind::driver_private: return "driver page";
  }
  return "?";
}

kptr<kho_page> kho_alloc_preserve(World& w, kho_page_kind kind, fault_site site) {
  if (int err = should_fail(w, site)) return kptr<kho_page>::from_err(err);
  note_read(&w.kho, read_kind::kho_alloc);
  kho_page& page = w.kho.pages.emplace_back();
  page.phys = static_cast<phys_addr_t>(w.kho.pages.size()) << PAGE_SHIFT;
  page.kind = kind;
  page.preserved = true;
  if (kho_page_is_array(kind)) page.capacity = static_cast<u32>(std::clamp(w.objs_per_page(), 1, KHO_OBJS_PER_PAGE_MAX));
  for (size_t i = 0; i < page.objects.size(); ++i) {
    page.objects[i].page = &page;
    page.objects[i].phys = page.phys + KHO_SLOT_OFFSET + i * KHO_SLOT_SIZE;
  }
  return kptr<kho_page>(&page);
}

void kho_unpreserve_free(World& w, kptr<kho_page> page) {
  (void)w;
  kho_page* p = page.operator->();  // a double free touches a freed page
  p->preserved = false;
  p->freed = true;
}

kptr<iommu_obj_ser> kho_array_slot(World& w, const kptr<kho_page>& page, u32 idx, kho_access access,
                                   std::source_location site) {
  kho_page* p = page.operator->();  // the page itself must be live
  if (idx < p->capacity) return kptr<iommu_obj_ser>(&p->objects[idx]);
  std::string what = std::string(access == kho_access::write ? "write" : "read") + " of record slot " +
                     std::to_string(idx) + " at " + hex(p->phys + KHO_SLOT_OFFSET + idx * KHO_SLOT_SIZE) +
                     ", past the end of " + kho_page_kind_name(p->kind) + " page " + hex(p->phys) + " (" +
                     std::to_string(p->capacity) + " slots)";
  std::string report = "KASAN: slab-out-of-bounds in " + function_of(site) + ": " + what;
  if (idx >= p->objects.size()) oops(oops_kind::use_after_free, report);
  splat(w, oops_kind::use_after_free, std::move(report));
  return kptr<iommu_obj_ser>(&p->objects[idx]);
}

phys_addr_t virt_to_phys(const kptr<iommu_obj_ser>& obj) {
  // Arithmetic, as in the kernel: no dereference, so null gives 0 and a freed
  // record still gives its old address.
  return obj.get() ? obj.get()->phys : 0;
}

kho_page* kho_page_at(World& w, phys_addr_t phys) {
  phys_addr_t index = phys >> PAGE_SHIFT;
  if (index == 0 || index > w.kho.pages.size()) return nullptr;
  return &w.kho.pages[index - 1];
}

kptr<iommu_obj_ser> phys_to_virt(World& w, phys_addr_t phys) {
  kho_page* page = kho_page_at(w, phys);
  if (page == nullptr) return nullptr;
  phys_addr_t offset = phys & ((phys_addr_t{1} << PAGE_SHIFT) - 1);
  if (offset < KHO_SLOT_OFFSET || (offset - KHO_SLOT_OFFSET) % KHO_SLOT_SIZE != 0) return nullptr;
  phys_addr_t slot = (offset - KHO_SLOT_OFFSET) / KHO_SLOT_SIZE;
  if (slot >= page->capacity) return nullptr;  // past the page: not one of its records
  return kptr<iommu_obj_ser>(&page->objects[slot]);
}

// ---- PCI -------------------------------------------------------------------------

bool dev_is_pci(const device* dev) { return dev->is_pci; }
pci_dev* to_pci_dev(device* dev) { return &dev->pdev; }

}  // namespace luv::impl
