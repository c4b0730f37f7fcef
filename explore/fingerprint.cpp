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

namespace {
constexpr std::uint64_t kind_mask = 0xffull << 56;
constexpr std::uint64_t index_mask = ~kind_mask;

// A component of several words: a hash of them (one of one word is the
// word itself: distinct words, distinct contents).
std::uint64_t words_hash(std::initializer_list<std::uint64_t> words) {
  Hasher h;
  for (std::uint64_t x : words) h.add(x);
  return h.h;
}

// Each kind's content, one function each: world_components() lists them
// all, component_content() one (a step's, update_components()).
std::uint64_t luo_content(const impl::World& w, std::uint64_t i) {
  const impl::liveupdate_flb& flb = w.iommu_flb;
  switch (i) {
    case 0: return std::uint64_t(int(flb.count));
    case 1: return std::uint64_t(int(flb.users));
    case 2: return flb_index(w, flb.outgoing.get());
    case 3: return flb.incoming;
  }
  return std::uint64_t(bool(w.file_preserved[i - 16]));
}
const impl::mutex& mutex_of(const impl::World& w, std::uint64_t i) {
  if (i == 0) return w.iommu_flb.lock;
  if (i < c_session_mutex) return w.flb_cache.objects[i - 1].lock;
  return w.sessions[i - c_session_mutex].lock;
}
std::uint64_t flb_arrays_content(const impl::iommu_flb_obj& o) {
  return words_hash({phys_of(o.ser), phys_of(o.curr_iommu_array), phys_of(o.curr_domain_array),
                     phys_of(o.curr_device_array)});
}
std::uint64_t iommu_content(const impl::iommu_device& d) {
  return words_hash({phys_of(d.outgoing_preserved_state), phys_of(d.driver_page)});
}
std::uint64_t domain_content(const impl::iommu_domain& d) {
  return words_hash({phys_of(d.preserved_state), phys_of(d.driver_page)});
}
std::uint64_t device_content(const impl::device& d) {
  return words_hash({phys_of(d.driver_page), std::uint64_t(bool(d.dma_owner_held))});
}
std::uint64_t session_content(const impl::luo_session& s) {
  Hasher h;
  for (const auto& e : s.files) h.add(std::uint64_t(e.file) << 32 | std::uint32_t(e.domain));
  return h.h;
}
std::uint64_t group_content(const impl::iommu_group& g) {
  return words_hash({std::uint64_t(int(g.owner_cnt)), std::uint64_t(int(g.devices))});
}

// Component `id` of w, which has it.
std::uint64_t component_content(const impl::World& w, std::uint64_t id) {
  const std::uint64_t i = id & index_mask;
  switch (id & kind_mask) {
    case c_luo: return luo_content(w, i);
    case c_mutex: return mutex_state(mutex_of(w, i));
    case c_flb_live: return std::uint64_t(w.flb_cache.objects[i].freed);
    case c_flb_arrays: return flb_arrays_content(w.flb_cache.objects[i]);
    case c_iommu: return iommu_content(w.iommus[i]);
    case c_domain: return domain_content(w.domains[i]);
    case c_dev_iommu: return phys_of(w.dev_iommus[i].device_ser);
    case c_device: return device_content(w.devices[i]);
    case c_page: return page_hash(w.kho.pages[i]);
    case c_kho_alloc: return w.kho.pages.size();
    case c_slab_alloc: return w.flb_cache.objects.size();
    case c_warn_once: return warn_once_hash(w);
    case c_session: return session_content(w.sessions[i]);
    case c_group: return group_content(w.groups[i]);
  }
  LUV_ASSERT(!"component_content: a known kind");
  return 0;
}

// The components as a set: the sum of each one's word (id and content)
// mixed on its own. The ids are distinct and the mix is a bijection, so
// different sets sum alike only by chance; the words are independent, so
// the processor mixes several at once (a chain would wait on each); and a
// step that changes a few components changes only their terms of the sum.
std::uint64_t mixed(std::uint64_t id, std::uint64_t content) {
  Hasher h;
  h.add(id * 0x9e3779b97f4a7c15ull ^ content);
  return h.h;
}
// Component (id, content)'s terms added to c's sums (`sign` 1), or taken
// away (`sign` ~0, minus one modulo 2^64, as the sums are).
void count(Components& c, std::uint64_t id, std::uint64_t content, std::uint64_t sign) {
  std::uint64_t x = mixed(id, content);
  c.sum += sign * x;
  if (!is_mutex_component(id)) return;
  // Only mutexes change in the mirror: their owners renamed.
  int owner = renamed(static_cast<int>(static_cast<std::uint32_t>(content)), true);
  c.mutexes += sign * x;
  c.renamed_mutexes += sign * mixed(id, (content >> 32) << 32 | std::uint32_t(owner));
}
void add(Components& c, std::uint64_t id, std::uint64_t content) {
  c.list.emplace_back(id, content);
  count(c, id, content, 1);
}
}  // namespace

// In id order (kind, then index), so that the list needs no sort: each kind's
// loop below comes in the order of the kinds' ids.
void world_components(const impl::World& w, Components& out) {
  out.list.clear();  // its buffer kept: a list is rebuilt at every expansion
  out.sum = out.mutexes = out.renamed_mutexes = 0;
  const auto& objects = w.flb_cache.objects;
  for (std::uint64_t i : {0, 1, 2, 3}) add(out, c_luo | i, luo_content(w, i));
  for (size_t f = 0; f < w.file_preserved.size(); ++f) add(out, c_luo | (16 + f), luo_content(w, 16 + f));
  add(out, c_mutex, mutex_state(w.iommu_flb.lock));
  LUV_ASSERT(objects.size() < c_session_mutex);  // FLB objects' mutexes come before the sessions'
  for (size_t i = 0; i < objects.size(); ++i) add(out, c_mutex | (i + 1), mutex_state(objects[i].lock));
  for (size_t i = 0; i < w.sessions.size(); ++i)
    add(out, c_mutex | (c_session_mutex + i), mutex_state(w.sessions[i].lock));
  for (size_t i = 0; i < objects.size(); ++i) add(out, c_flb_live | i, std::uint64_t(objects[i].freed));
  for (size_t i = 0; i < objects.size(); ++i) add(out, c_flb_arrays | i, flb_arrays_content(objects[i]));
  for (size_t i = 0; i < w.iommus.size(); ++i) add(out, c_iommu | i, iommu_content(w.iommus[i]));
  for (size_t i = 0; i < w.domains.size(); ++i) add(out, c_domain | i, domain_content(w.domains[i]));
  for (size_t i = 0; i < w.dev_iommus.size(); ++i) add(out, c_dev_iommu | i, phys_of(w.dev_iommus[i].device_ser));
  for (size_t i = 0; i < w.devices.size(); ++i) add(out, c_device | i, device_content(w.devices[i]));
  for (size_t i = 0; i < w.kho.pages.size(); ++i) add(out, c_page | i, page_hash(w.kho.pages[i]));
  add(out, c_kho_alloc, w.kho.pages.size());
  add(out, c_slab_alloc, objects.size());
  add(out, c_warn_once, warn_once_hash(w));
  for (size_t i = 0; i < w.sessions.size(); ++i) add(out, c_session | i, session_content(w.sessions[i]));
  for (size_t i = 0; i < w.groups.size(); ++i) add(out, c_group | i, group_content(w.groups[i]));
  // What observe() and the fingerprint rely on: ids in order (distinct, so
  // comparing the ids alone is enough).
  LUV_ASSERT(std::adjacent_find(out.list.begin(), out.list.end(),
                                [](const auto& a, const auto& b) { return a.first >= b.first; }) == out.list.end());
}

std::string component_name(std::uint64_t id) {
  static const char* const kinds[] = {"?", "LUO's FLB or file", "mutex", "FLB object (live)", "FLB object's arrays",
                                      "IOMMU", "domain", "dev_iommu", "device", "KHO page", "KHO allocator",
                                      "slab allocator", "WARN_ON_ONCE sites", "session's files", "IOMMU group"};
  std::uint64_t kind = id >> 56;
  return std::string(kind < std::size(kinds) ? kinds[kind] : "?") + " " + std::to_string(id & index_mask);
}

namespace {
std::uint64_t& content_at(Components& c, std::uint64_t id) {
  auto it = std::lower_bound(c.list.begin(), c.list.end(), std::make_pair(id, std::uint64_t{0}));
  LUV_ASSERT(it != c.list.end() && it->first == id);  // components never go: pages and FLB objects stay, poisoned
  return it->second;
}
// Component id of c hashed again from w (most a step reads it leaves as
// they were); `changed` gets id's bit when its content changed.
void recount(Components& c, const impl::World& w, std::uint64_t id, std::uint64_t& changed) {
  std::uint64_t& content = content_at(c, id);
  std::uint64_t now = component_content(w, id);
  if (now == content) return;
  changed |= footprint_bit(id);
  count(c, id, content, ~std::uint64_t{0});
  content = now;
  count(c, id, content, 1);
}
}  // namespace

void update_components(const impl::World& w, const Components& before, const std::vector<std::uint64_t>& touched,
                       Components& out, StepFootprint* footprint) {
  out = before;
  std::uint64_t changed = 0;
  // What an allocation added (an allocation reads its allocator, so only a
  // step that touched one can have): the pages and FLB objects past those
  // counted before (an FLB object is three components), merged into the id order.
  if (std::any_of(touched.begin(), touched.end(), [](std::uint64_t id) { return id == c_kho_alloc || id == c_slab_alloc; })) {
    const auto kept = static_cast<std::ptrdiff_t>(out.list.size());
    const std::uint64_t pages = content_at(out, c_kho_alloc), objects = content_at(out, c_slab_alloc);
    for (size_t i = pages; i < w.kho.pages.size(); ++i) {
      add(out, c_page | i, page_hash(w.kho.pages[i]));
      changed |= footprint_bit(c_page | i);
    }
    for (size_t i = objects; i < w.flb_cache.objects.size(); ++i)
      for (std::uint64_t first : {std::uint64_t{c_mutex | 1}, std::uint64_t{c_flb_live}, std::uint64_t{c_flb_arrays}}) {
        add(out, first + i, component_content(w, first + i));
        changed |= footprint_bit(first + i);
      }
    std::sort(out.list.begin() + kept, out.list.end());
    std::inplace_merge(out.list.begin(), out.list.begin() + kept, out.list.end());
  }
  std::uint64_t bits = 0;
  for (std::uint64_t id : touched) {
    bits |= footprint_bit(id);
    recount(out, w, id, changed);
    // Freeing an FLB object poisons its lock (iommu_flb_obj::kpoison): a
    // write the object's read stands for.
    if ((id & kind_mask) == c_flb_live) recount(out, w, c_mutex | ((id & index_mask) + 1), changed);
  }
  if (footprint) *footprint = StepFootprint{bits | changed, changed};
}

std::uint64_t runner_reads(const Components& c, bool call_ended) {
  std::uint64_t bits = 0;
  for (const auto& [id, content] : c.list) {
    const std::uint64_t kind = id & kind_mask, i = id & index_mask;
    if (kind == c_luo && (i == 2 || i >= 16)) bits |= footprint_bit(id);
    if (!call_ended) {
      if (kind != c_luo) break;  // LUO's components come first in the id order
      continue;
    }
    switch (kind) {
      case c_luo: case c_flb_live: case c_iommu: case c_domain: case c_dev_iommu: case c_device: case c_group:
      case c_session: bits |= footprint_bit(id); break;
    }
  }
  return bits;
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
  if (before.list.size() != after.list.size()) return false;  // a component came
  impl::mutex held_by_t;
  held_by_t.owner = t;
  const std::uint64_t free = mutex_state(impl::mutex{}), taken = mutex_state(held_by_t);
  int changed = 0;
  for (size_t i = 0; i < before.list.size(); ++i) {
    const auto& [id, was] = before.list[i];
    const auto& [after_id, is] = after.list[i];
    if (id != after_id) return false;
    if (was == is) continue;
    if (!is_lasting_mutex(id) || was != free || is != taken) return false;
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
  std::uint64_t tail = std::uint64_t(!w.warnings.empty()) | std::uint64_t(w.splats.size()) << 1 |
                       std::uint64_t(w.after_kexec) << 40;
  auto finish = [&](std::uint64_t set) {
    Hasher h;
    h.add(set);
    h.add(tail);
    return h.h;
  };
  if (mirror) *mirror = finish(c.sum - c.mutexes + c.renamed_mutexes);
  return finish(c.sum);
}

}  // namespace luv::explorer
