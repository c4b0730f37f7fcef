#include "properties/facts.h"

#include <algorithm>
#include <iterator>

#include "impl/hex.h"
#include "impl/world.h"
#include "properties/assert.h"
#include "properties/object_graph.h"

namespace luv {

namespace {

using impl::hex;

// The facts of files, the FLB and kernel objects.
std::vector<Fact> object_facts(const impl::World& w) {
  std::vector<Fact> facts;
  for (size_t f = 0; f < w.file_preserved.size(); ++f)
    if (w.file_preserved[f]) facts.push_back({Fact::file, 0, static_cast<int>(f), 0, 0});
  facts.push_back({Fact::flb_count, 0, 0, static_cast<impl::u64>(w.iommu_flb.count), 0});
  facts.push_back({Fact::flb_object, 0, 0, w.iommu_flb.outgoing ? 1u : 0u, 0});
  auto state = [&](impl::u8 what, int id, const auto& ptr) {
    if (ptr) facts.push_back({Fact::object_state, what, id, ptr.get()->phys, 0});
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

std::string fact_text(const Fact& f) {
  static constexpr const char* who[] = {"iommu", "iommu", "domain", "domain", "dev", "dev"};
  static constexpr const char* what[] = {"outgoing_preserved_state", "driver page", "preserved_state",
                                         "driver page", "device_ser", "driver page"};
  switch (f.kind) {
    case Fact::file: return "file " + std::to_string(f.id) + " preserved";
    case Fact::flb_count: return "FLB count " + std::to_string(f.a);
    case Fact::flb_object: return std::string("FLB object ") + (f.a ? "allocated" : "none");
    case Fact::object_state:
      LUV_ASSERT(f.sub < std::size(who));
      return who[f.sub] + std::to_string(f.id) + " " + what[f.sub] + " " + hex(f.a);
    case Fact::driver_page: return "driver page " + hex(f.a) + " preserved";
    case Fact::record:
      return std::string(impl::kho_page_kind_name(static_cast<impl::kho_page_kind>(f.sub))) + " record " + hex(f.a) +
             " live, ref_count " + std::to_string(f.b);
  }
  return {};
}

}  // namespace

std::vector<Fact> abstract_facts(const impl::World& w, const std::vector<const impl::kho_page*>& unfreed_pages) {
  std::vector<Fact> facts = object_facts(w);
  for (const impl::kho_page* page : unfreed_pages) {
    const impl::kho_page& p = *page;
    if (p.kind == impl::kho_page_kind::driver_private) facts.push_back({Fact::driver_page, 0, 0, p.phys, 0});
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
      const impl::iommu_obj_ser& o = p.objects[i];
      if (!o.hdr.deleted)
        facts.push_back({Fact::record, static_cast<impl::u8>(p.kind), 0, o.phys, o.hdr.ref_count});
    }
  }
  std::sort(facts.begin(), facts.end());
  return facts;
}

std::vector<Fact> abstract_facts(impl::World& w, const PageWatch& watch) {
  std::vector<Fact> facts = object_facts(w);
  for (impl::phys_addr_t phys : watch.live_driver_pages()) facts.push_back({Fact::driver_page, 0, 0, phys, 0});
  for (impl::phys_addr_t phys : watch.live_records()) {
    const impl::kho_page* page = impl::kho_page_at(w, phys);
    LUV_ASSERT(page != nullptr);
    const impl::iommu_obj_ser& o = page->objects[(phys - page->phys - impl::KHO_SLOT_OFFSET) / impl::KHO_SLOT_SIZE];
    facts.push_back({Fact::record, static_cast<impl::u8>(page->kind), 0, phys, o.hdr.ref_count});
  }
  std::sort(facts.begin(), facts.end());
  return facts;
}

std::string facts_diff(const std::vector<Fact>& before, const std::vector<Fact>& after) {
  if (before == after) return {};
  auto texts = [](const std::vector<Fact>& facts) {
    std::vector<std::string> out;
    for (const Fact& f : facts) out.push_back(fact_text(f));
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

}  // namespace luv
