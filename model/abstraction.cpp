#include "model/abstraction.h"

#include "impl/world.h"

namespace luv::model {

namespace {

using impl::iommu_obj_ser;
using impl::kho_page_kind;

// A record in use: its page is not freed, it lies below the page's
// allocation mark, and it is not flagged deleted.
bool live(const iommu_obj_ser* rec) {
  if (rec == nullptr || rec->page == nullptr || rec->page->freed) return false;
  const impl::kho_page& p = *rec->page;
  auto slot = static_cast<impl::u32>(rec - p.objects.data());
  return slot < p.hdr.nr_objects && !rec->hdr.deleted;
}

bool page_held(const impl::kptr<impl::kho_page>& page) {
  const impl::kho_page* p = page.get();
  return p != nullptr && !p->freed && p->preserved;
}

std::int8_t clamp_count(impl::u32 n) { return static_cast<std::int8_t>(n > 127 ? 127 : n); }

}  // namespace

Abstract abstraction(const impl::World& w) {
  std::vector<const impl::kho_page*> unfreed;
  for (const impl::kho_page& p : w.kho.pages)
    if (!p.freed) unfreed.push_back(&p);
  return abstraction(w, unfreed);
}

Abstract abstraction(const impl::World& w, const std::vector<const impl::kho_page*>& unfreed_pages) {
  Abstract a;
  a.iommus = static_cast<int>(w.iommus.size());
  a.domains = static_cast<int>(w.domains.size());
  a.devices = static_cast<int>(w.devices.size());
  a.files = static_cast<int>(w.file_preserved.size());
  for (int f = 0; f < a.files && f < FILES_MAX; ++f)
    if (w.file_preserved[f]) a.files_preserved |= 1u << f;
  a.flb_count = w.iommu_flb.count;
  const impl::iommu_flb_obj* flb = w.iommu_flb.outgoing.get();
  a.flb_object = flb != nullptr && !flb->freed;

  for (int i = 0; i < a.iommus && i < IOMMUS_MAX; ++i) {
    const iommu_obj_ser* rec = w.iommus[i].outgoing_preserved_state.get();
    if (rec != nullptr) a.iommu_ref[i] = live(rec) ? clamp_count(rec->hdr.ref_count) : DANGLING;
    a.iommu_page[i] = page_held(w.iommus[i].driver_page);
  }
  for (int d = 0; d < a.domains && d < DOMAINS_MAX; ++d) {
    const iommu_obj_ser* rec = w.domains[d].preserved_state.get();
    if (rec != nullptr) a.domain[d] = live(rec) ? 1 : DANGLING;
    a.domain_page[d] = page_held(w.domains[d].driver_page);
  }
  for (int v = 0; v < a.devices && v < DEVICES_MAX; ++v) {
    const impl::device& dev = w.devices[v];
    a.device_page[v] = page_held(dev.driver_page);
    const iommu_obj_ser* rec = dev.iommu->device_ser.get();
    if (rec == nullptr) continue;
    if (!live(rec)) {
      a.device[v] = DANGLING;
      continue;
    }
    // The record must name the live record of a preserved domain, and the
    // live HW record of the IOMMU the device sits behind.
    std::int8_t against = BAD_LINK;
    for (int d = 0; d < a.domains && d < DOMAINS_MAX; ++d) {
      const iommu_obj_ser* drec = w.domains[d].preserved_state.get();
      if (drec != nullptr && live(drec) && drec->phys == rec->domain_iommu_ser.domain_phys)
        against = static_cast<std::int8_t>(d);
    }
    const iommu_obj_ser* hw = dev.iommu->iommu_dev->outgoing_preserved_state.get();
    if (hw == nullptr || !live(hw) || hw->phys != rec->domain_iommu_ser.iommu_phys) against = BAD_LINK;
    a.device[v] = against;
  }

  for (const impl::kho_page* page : unfreed_pages) {
    const impl::kho_page& p = *page;
    if (p.freed || !p.preserved) continue;
    switch (p.kind) {
      case kho_page_kind::driver_private: a.driver_pages++; continue;
      case kho_page_kind::ser_root: a.core_pages = true; continue;
      case kho_page_kind::iommu_array:
      case kho_page_kind::domain_array:
      case kho_page_kind::device_array: break;
    }
    a.core_pages = true;
    int n = 0;
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) n += !p.objects[i].hdr.deleted;
    if (p.kind == kho_page_kind::iommu_array) a.live_hw += n;
    else if (p.kind == kho_page_kind::domain_array) a.live_domain += n;
    else a.live_device += n;
  }
  for (const impl::warning_event& e : w.warnings) a.warnings[static_cast<int>(warn_function_parse(e.function))]++;
  return a;
}

}  // namespace luv::model
