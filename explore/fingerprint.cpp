#include "fingerprint.h"

#include <functional>
#include <string>

#include "world.h"

namespace luv::explorer {

namespace {
template <typename T>
std::uint64_t phys_of(const impl::kptr<T>& p) {
  return p.get() ? p.get()->phys : 0;
}
std::uint64_t flb_index(const impl::World& w, const impl::iommu_flb_obj* obj) {
  if (obj == nullptr) return ~0ull;
  for (size_t i = 0; i < w.flb_cache.objects.size(); ++i)
    if (&w.flb_cache.objects[i] == obj) return i;
  return ~1ull;
}
}  // namespace

std::uint64_t world_fingerprint(const impl::World& w) {
  Hasher h;
  std::uint64_t files = 0;
  for (size_t f = 0; f < w.file_preserved.size(); ++f) files |= std::uint64_t(w.file_preserved[f]) << f;
  h.add(files);
  const impl::liveupdate_flb& flb = w.iommu_flb;
  h.add(std::uint64_t(flb.count) << 32 | std::uint32_t(flb.users));
  h.add(flb_index(w, flb.outgoing.get()));
  h.add(std::uint64_t(std::int64_t(flb.lock.owner)));
  h.add(flb.incoming);
  h.add(w.flb_cache.objects.size());
  for (const impl::iommu_flb_obj& o : w.flb_cache.objects) {
    h.add(std::uint64_t(o.freed) | std::uint64_t(o.lock.poisoned) << 1 | std::uint64_t(std::uint32_t(o.lock.owner)) << 8);
    h.add(phys_of(o.ser));
    h.add(phys_of(o.curr_iommu_array));
    h.add(phys_of(o.curr_domain_array));
    h.add(phys_of(o.curr_device_array));
  }
  for (const impl::iommu_device& i : w.iommus) {
    h.add(phys_of(i.outgoing_preserved_state));
    h.add(phys_of(i.driver_page));
  }
  for (const impl::iommu_domain& d : w.domains) {
    h.add(phys_of(d.preserved_state));
    h.add(phys_of(d.driver_page));
  }
  for (const impl::device& d : w.devices) {
    h.add(phys_of(d.iommu->device_ser));
    h.add(phys_of(d.driver_page));
  }
  h.add(w.kho.pages.size());
  for (const impl::kho_page& p : w.kho.pages) {
    h.add(std::uint64_t(p.kind) | std::uint64_t(p.preserved) << 8 | std::uint64_t(p.freed) << 9);
    h.add(p.root.iommu_array);
    h.add(p.root.domain_array);
    h.add(p.root.device_array);
    h.add(p.hdr.next);
    h.add(p.hdr.nr_objects);
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
      const impl::iommu_obj_ser& o = p.objects[i];
      h.add(std::uint64_t(o.hdr.ref_count) | std::uint64_t(o.hdr.deleted) << 32);
      h.add(o.token);
      h.add(o.domain_iommu_ser.domain_phys);
      h.add(o.domain_iommu_ser.iommu_phys);
      h.add(std::uint64_t(o.devid) | std::uint64_t(o.pci_domain_nr) << 16);
      h.add(o.driver_phys);
    }
  }
  // Which WARN_ON_ONCE sites have fired matters, not in which order.
  std::uint64_t sites = 0;
  for (const std::string& s : w.warn_once_sites) sites += std::hash<std::string>{}(s) * 0x9e3779b97f4a7c15ull + 1;
  h.add(sites);
  h.add(w.warn_once_sites.size());
  h.add(std::uint64_t(!w.warnings.empty()) | std::uint64_t(w.lockdep_splats.size()) << 1 |
        std::uint64_t(w.after_kexec) << 40);
  return h.h;
}

}  // namespace luv::explorer
