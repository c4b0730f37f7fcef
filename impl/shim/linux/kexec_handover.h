// Stand-in for <linux/kexec_handover.h>: KHO pages with physical addresses.
//
// Every page the outgoing kernel preserves for the next one comes from this
// arena. Addresses start at 0x1000 and are never reused, so address 0 is
// never valid and a freed page stays poisoned: a later touch through a kptr
// is caught as a use after free. kexec keeps exactly the pages still
// preserved.
#pragma once
#include <array>
#include <deque>
#include <source_location>

#include "impl/shim/kptr.h"
#include "linux/fault-inject.h"
#include "linux/kho/abi/iommu.h"
#include "linux/types.h"

namespace luv::impl {
struct World;
struct kho_page;

inline constexpr unsigned long PAGE_SHIFT = 12;
inline constexpr int KHO_OBJS_PER_PAGE_MAX = 8;  // the topology's bound on objects per page

// What a KHO page holds; the IOMMU core's pages and the drivers' own.
enum class kho_page_kind : u8 { ser_root, iommu_array, domain_array, device_array, driver_private };
const char* kho_page_kind_name(kho_page_kind kind);
bool kho_page_is_array(kho_page_kind kind);  // a page of record slots

// An array page holds exactly `capacity` record slots: the topology's
// objects_per_page, luv's stand-in for what the kernel computes from
// PAGE_SIZE (iommu_max_objs_per_page). objects[capacity] is not the page's:
// it stands for the memory just past the page's end, so that a record
// written one past the last slot lands somewhere, as it does in the kernel;
// kho_array_slot() reports every access there.
struct kho_page {
  phys_addr_t phys = 0;
  kho_page_kind kind = kho_page_kind::driver_private;
  bool preserved = false;
  bool freed = false;
  u32 capacity = 0;                 // record slots: objects_per_page for array pages, 0 for others
  iommu_ser root{};                 // ser_root pages
  iommu_array_hdr_ser hdr{};        // array pages
  std::array<iommu_obj_ser, KHO_OBJS_PER_PAGE_MAX + 1> objects{};  // [capacity]: past the page

  bool kfreed() const { return freed; }
  const char* kname() const { return "KHO page"; }
};

inline bool iommu_obj_ser::kfreed() const { return page == nullptr || page->freed; }

// Byte layout of an array page: a 64-byte header, then 64-byte slots.
inline constexpr phys_addr_t KHO_SLOT_OFFSET = 64;
inline constexpr phys_addr_t KHO_SLOT_SIZE = 64;

// The arena: pages in a deque so that a page never moves once handed out.
struct kho_arena {
  std::deque<kho_page> pages;
};

// Allocates a zeroed page and marks it preserved. Fails (ERR_PTR(-ENOMEM))
// when the fault plan says so at `site`.
kptr<kho_page> kho_alloc_preserve(World& w, kho_page_kind kind, fault_site site);
void kho_unpreserve_free(World& w, kptr<kho_page> page);

// Record slot `idx` of an array page, about to be read or written: the
// kernel's `&array->objects[idx]` and the access through it. At or past the
// page's capacity the access is outside the page: reported the way KASAN
// does (slab-out-of-bounds, a splat that no-use-after-free judges), and
// the access goes on, as in the kernel. Further accesses through the
// returned pointer are not checked again: the first bad access is the bug
// (KASAN too reports once per boot by default). An index past
// objects[capacity] is beyond the memory luv models: an oops.
enum class kho_access : u8 { read, write };
kptr<iommu_obj_ser> kho_array_slot(World& w, const kptr<kho_page>& page, u32 idx, kho_access access,
                                   std::source_location site = std::source_location::current());

phys_addr_t virt_to_phys(const kptr<iommu_obj_ser>& obj);
inline phys_addr_t __pa(const kptr<iommu_obj_ser>& obj) { return virt_to_phys(obj); }
// The page or record at a physical address, or null when there is none.
kho_page* kho_page_at(World& w, phys_addr_t phys);
kptr<iommu_obj_ser> phys_to_virt(World& w, phys_addr_t phys);

}  // namespace luv::impl
