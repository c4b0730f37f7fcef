#include "explore/fingerprint.h"

#include <algorithm>
#include <array>
#include <functional>
#include <string>

#include "impl/world.h"
#include "properties/assert.h"

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
// The page's header and each record in chains of their own, so that the
// processor hashes them at once, then the chains' ends in order.
std::uint64_t page_hash(const impl::kho_page& p) {
  Hasher h;
  h.add(std::uint64_t(p.kind) | std::uint64_t(p.preserved) << 8 | std::uint64_t(p.freed) << 9);
  h.add(p.root.iommu_array);
  h.add(p.root.domain_array);
  h.add(p.root.device_array);
  h.add(p.hdr.next);
  h.add(p.hdr.nr_objects);
  impl::u32 records = std::min<impl::u32>(p.hdr.nr_objects, static_cast<impl::u32>(p.objects.size()));
  std::array<std::uint64_t, impl::KHO_OBJS_PER_PAGE_MAX + 1> record{};
  for (impl::u32 i = 0; i < records; ++i) {
    const impl::iommu_obj_ser& o = p.objects[i];
    Hasher r;
    r.add(std::uint64_t(o.hdr.ref_count) | std::uint64_t(o.hdr.deleted) << 32);
    r.add(o.token);
    r.add(o.domain_iommu_ser.domain_phys);
    r.add(o.domain_iommu_ser.iommu_phys);
    r.add(std::uint64_t(o.devid) | std::uint64_t(o.pci_domain_nr) << 16);
    r.add(o.driver_phys);
    record[i] = r.h;
  }
  for (impl::u32 i = 0; i < records; ++i) h.add(record[i]);
  return h.h;
}

// Which WARN_ON_ONCE sites have fired matters, not in which order.
std::uint64_t warn_once_hash(const impl::World& w) {
  std::uint64_t sites = 0;
  for (const std::string& s : w.warn_once_sites) sites += std::hash<std::string>{}(s) * 0x9e3779b97f4a7c15ull + 1;
  Hasher h;
  h.add(sites);
  h.add(w.warn_once_sites.size());
  return h.h;
}

std::uint64_t mutex_state(const impl::mutex& m) {
  return std::uint64_t(std::uint32_t(m.owner)) | std::uint64_t(m.poisoned) << 32;
}

int renamed(int owner, bool mirror) { return mirror && (owner == 0 || owner == 1) ? 1 - owner : owner; }

// Component ids: a kind in the top byte, an index below.
enum : std::uint64_t {
  c_luo = 1ull << 56,  // index 0: the FLB's count; 1: its users; 2: its object; 3: incoming; 16 + f: file f
  c_mutex = 2ull << 56,  // index 0: LUO's lock; 1 + i: FLB object i's
  c_flb_live = 3ull << 56,
  c_flb_arrays = 4ull << 56,
  c_iommu = 5ull << 56,
  c_domain = 6ull << 56,
  c_dev_iommu = 7ull << 56,
  c_device = 8ull << 56,
  c_page = 9ull << 56,
  c_kho_alloc = 10ull << 56,
  c_slab_alloc = 11ull << 56,
  c_warn_once = 12ull << 56,
  c_session = 13ull << 56,  // index i: session i's list of files (its mutex is c_mutex | 128 + i)
  c_group = 14ull << 56,    // index i: IOMMU group i's DMA ownership claims and devices
};
constexpr std::uint64_t c_session_mutex = 128;  // below it: the FLB objects' mutexes

template <typename T>
bool inside(const void* at, const T& object) {
  auto a = reinterpret_cast<std::uintptr_t>(at), b = reinterpret_cast<std::uintptr_t>(&object);
  return a >= b && a < b + sizeof(T);
}
// The element of v that `at` points into (a vector's elements are contiguous).
template <typename T>
std::uint64_t index_in(const void* at, const std::vector<T>& v, std::uint64_t kind) {
  auto a = reinterpret_cast<std::uintptr_t>(at), b = reinterpret_cast<std::uintptr_t>(v.data());
  if (v.empty() || a < b || a >= b + v.size() * sizeof(T)) return 0;
  return kind | (a - b) / sizeof(T);
}
}  // namespace

// In id order (kind, then index), so that the list needs no sort: each kind's
// loop below comes in the order of the kinds' ids.
void world_components(const impl::World& w, Components& out) {
  out.clear();
  // A one-word component is its word (distinct words, distinct contents);
  // a longer one, a hash of its words.
  auto add = [&](std::uint64_t id, std::initializer_list<std::uint64_t> words) {
    if (words.size() == 1) {
      out.emplace_back(id, *words.begin());
      return;
    }
    Hasher h;
    for (std::uint64_t x : words) h.add(x);
    out.emplace_back(id, h.h);
  };
  const impl::liveupdate_flb& flb = w.iommu_flb;
  const auto& objects = w.flb_cache.objects;
  add(c_luo | 0, {std::uint64_t(int(flb.count))});
  add(c_luo | 1, {std::uint64_t(int(flb.users))});
  add(c_luo | 2, {flb_index(w, flb.outgoing.get())});
  add(c_luo | 3, {flb.incoming});
  for (size_t f = 0; f < w.file_preserved.size(); ++f) add(c_luo | (16 + f), {std::uint64_t(bool(w.file_preserved[f]))});
  out.emplace_back(c_mutex, mutex_state(flb.lock));
  LUV_ASSERT(objects.size() < c_session_mutex);  // FLB objects' mutexes come before the sessions'
  for (size_t i = 0; i < objects.size(); ++i) out.emplace_back(c_mutex | (i + 1), mutex_state(objects[i].lock));
  for (size_t i = 0; i < w.sessions.size(); ++i)
    out.emplace_back(c_mutex | (c_session_mutex + i), mutex_state(w.sessions[i].lock));
  for (size_t i = 0; i < objects.size(); ++i) add(c_flb_live | i, {std::uint64_t(objects[i].freed)});
  for (size_t i = 0; i < objects.size(); ++i) {
    const impl::iommu_flb_obj& o = objects[i];
    add(c_flb_arrays | i, {phys_of(o.ser), phys_of(o.curr_iommu_array), phys_of(o.curr_domain_array),
                           phys_of(o.curr_device_array)});
  }
  for (size_t i = 0; i < w.iommus.size(); ++i)
    add(c_iommu | i, {phys_of(w.iommus[i].outgoing_preserved_state), phys_of(w.iommus[i].driver_page)});
  for (size_t i = 0; i < w.domains.size(); ++i)
    add(c_domain | i, {phys_of(w.domains[i].preserved_state), phys_of(w.domains[i].driver_page)});
  for (size_t i = 0; i < w.dev_iommus.size(); ++i) add(c_dev_iommu | i, {phys_of(w.dev_iommus[i].device_ser)});
  for (size_t i = 0; i < w.devices.size(); ++i)
    add(c_device | i, {phys_of(w.devices[i].driver_page), std::uint64_t(bool(w.devices[i].dma_owner_held))});
  for (size_t i = 0; i < w.kho.pages.size(); ++i) out.emplace_back(c_page | i, page_hash(w.kho.pages[i]));
  add(c_kho_alloc, {w.kho.pages.size()});
  add(c_slab_alloc, {objects.size()});
  add(c_warn_once, {warn_once_hash(w)});
  for (size_t i = 0; i < w.sessions.size(); ++i) {
    Hasher h;
    for (const auto& e : w.sessions[i].files) h.add(std::uint64_t(e.file) << 32 | std::uint32_t(e.domain));
    out.emplace_back(c_session | i, h.h);
  }
  for (size_t i = 0; i < w.groups.size(); ++i)
    add(c_group | i, {std::uint64_t(int(w.groups[i].owner_cnt)), std::uint64_t(int(w.groups[i].devices))});
  // What observe() and the fingerprint rely on: ids in order (distinct, so
  // comparing the ids alone is enough).
  LUV_ASSERT(std::adjacent_find(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first >= b.first; }) ==
             out.end());
}

bool is_mutex_component(std::uint64_t id) { return (id >> 56) == (c_mutex >> 56); }

namespace {
bool is_lasting_mutex(std::uint64_t id) {
  std::uint64_t index = id & ((1ull << 56) - 1);
  return is_mutex_component(id) && (index == 0 || index >= c_session_mutex);
}
}  // namespace

bool only_took_lasting_lock(const Components& before, const Components& after, const std::vector<std::uint64_t>& read,
                            int t) {
  for (std::uint64_t id : read)
    if (!is_lasting_mutex(id)) return false;
  if (before.size() != after.size()) return false;  // a component came or went
  impl::mutex held_by_t;
  held_by_t.owner = t;
  const std::uint64_t free = mutex_state(impl::mutex{}), taken = mutex_state(held_by_t);
  int changed = 0;
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i].first != after[i].first) return false;
    if (before[i].second == after[i].second) continue;
    if (!is_lasting_mutex(before[i].first) || before[i].second != free || after[i].second != taken) return false;
    ++changed;
  }
  return changed == 1;
}

std::uint64_t mutex_as_seen_by(std::uint64_t content, int reader) {
  int owner = static_cast<int>(static_cast<std::uint32_t>(content));
  std::uint64_t who = owner == reader ? 1 : 0;
  return (content >> 32) << 2 | who;
}

std::uint64_t component_of(const impl::World& w, const impl::read_event& e) {
  using impl::read_kind;
  switch (e.kind) {
    case read_kind::kho_alloc: return c_kho_alloc;
    case read_kind::slab_alloc: return c_slab_alloc;
    case read_kind::warn_once: return c_warn_once;
    case read_kind::mutex:
      if (e.at == &w.iommu_flb.lock) return c_mutex;
      for (size_t i = 0; i < w.flb_cache.objects.size(); ++i)
        if (e.at == &w.flb_cache.objects[i].lock) return c_mutex | (i + 1);
      for (size_t i = 0; i < w.sessions.size(); ++i)
        if (e.at == &w.sessions[i].lock) return c_mutex | (c_session_mutex + i);
      return 0;
    case read_kind::pointer:
    case read_kind::object:
    case read_kind::variable: break;
  }
  if (e.at == nullptr) return 0;
  const impl::liveupdate_flb& flb = w.iommu_flb;
  if (inside(e.at, flb)) {
    if (inside(e.at, flb.count)) return c_luo | 0;
    if (inside(e.at, flb.users)) return c_luo | 1;
    if (inside(e.at, flb.outgoing)) return c_luo | 2;
    return c_luo | 3;
  }
  for (size_t f = 0; f < w.file_preserved.size(); ++f)
    if (inside(e.at, w.file_preserved[f])) return c_luo | (16 + f);
  for (size_t i = 0; i < w.sessions.size(); ++i)
    if (e.at == &w.sessions[i].files) return c_session | i;
  for (size_t i = 0; i < w.flb_cache.objects.size(); ++i) {
    const impl::iommu_flb_obj& o = w.flb_cache.objects[i];
    if (e.kind == read_kind::object && e.at == &o) return c_flb_live | i;
    if (inside(e.at, o)) return c_flb_arrays | i;
  }
  if (std::uint64_t id = index_in(e.at, w.iommus, c_iommu)) return id;
  if (std::uint64_t id = index_in(e.at, w.domains, c_domain)) return id;
  if (std::uint64_t id = index_in(e.at, w.dev_iommus, c_dev_iommu)) return id;
  if (std::uint64_t id = index_in(e.at, w.devices, c_device)) return id;
  if (std::uint64_t id = index_in(e.at, w.groups, c_group)) return id;
  for (size_t i = 0; i < w.kho.pages.size(); ++i)
    if (inside(e.at, w.kho.pages[i])) return c_page | i;
  return 0;
}

std::uint64_t world_fingerprint(const impl::World& w, const Components& c, std::uint64_t* mirror) {
  // The components as a set: the sum of each one's word (id and content)
  // mixed on its own. The ids are distinct and the mix is a bijection, so
  // different sets sum alike only by chance; and the words are independent,
  // so the processor mixes several at once (a chain of them would wait on
  // each). Only mutexes change in the mirror (their owners renamed).
  auto mixed = [](std::uint64_t id, std::uint64_t content) {
    Hasher h;
    h.add(id * 0x9e3779b97f4a7c15ull ^ content);
    return h.h;
  };
  std::uint64_t sum = 0, mutexes = 0, renamed_mutexes = 0;
  for (const auto& [id, content] : c) {
    std::uint64_t x = mixed(id, content);
    sum += x;
    if (mirror == nullptr || !is_mutex_component(id)) continue;
    int owner = renamed(static_cast<int>(static_cast<std::uint32_t>(content)), true);
    mutexes += x;
    renamed_mutexes += mixed(id, (content >> 32) << 32 | std::uint32_t(owner));
  }
  std::uint64_t tail = std::uint64_t(!w.warnings.empty()) | std::uint64_t(w.splats.size()) << 1 |
                       std::uint64_t(w.after_kexec) << 40;
  auto finish = [&](std::uint64_t set) {
    Hasher h;
    h.add(set);
    h.add(tail);
    return h.h;
  };
  if (mirror) *mirror = finish(sum - mutexes + renamed_mutexes);
  return finish(sum);
}

}  // namespace luv::explorer
