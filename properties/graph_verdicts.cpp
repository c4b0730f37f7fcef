#include "properties/graph_verdicts.h"

#include <algorithm>

#include "impl/world.h"
#include "properties/assert.h"
#include "properties/object_graph.h"

namespace luv {

using impl::kho_page;
using impl::kho_page_kind;
using impl::phys_addr_t;

namespace {

constexpr std::uint64_t ids_per_page = 1 + impl::KHO_OBJS_PER_PAGE_MAX + 1;  // the page, then its slots

bool has(const std::vector<std::uint64_t>& sorted, std::uint64_t id) {
  return std::binary_search(sorted.begin(), sorted.end(), id);
}

std::uint64_t count(const std::vector<std::uint64_t>& sorted, std::uint64_t id) {
  auto [from, to] = std::equal_range(sorted.begin(), sorted.end(), id);
  return static_cast<std::uint64_t>(to - from);
}

const kho_page& page_of(const impl::World& w, const Node& n) { return w.kho.pages[n.page_index]; }

// A live record (the graph's is_live_record): not flagged deleted, its page not freed.
bool live_record(const impl::World& w, const Node& n) {
  if (n.kind != Node::record) return false;
  const kho_page& p = page_of(w, n);
  return !p.freed && !p.objects[n.slot].hdr.deleted;
}

bool live_record_of(const impl::World& w, const Node& n, kho_page_kind kind) {
  return live_record(w, n) && page_of(w, n).kind == kind;
}

// The slots the graph makes vertices of: below the count, within the arena's array.
impl::u32 record_slots(const kho_page& p) {
  if (!impl::kho_page_is_array(p.kind)) return 0;
  return std::min<impl::u32>(p.hdr.nr_objects, static_cast<impl::u32>(p.objects.size()));
}

Node record_node(const kho_page& p, impl::u32 slot) {
  return Node{Node::record, static_cast<std::uint32_t>((p.phys >> impl::PAGE_SHIFT) - 1), slot};
}

Node page_node(const kho_page& p) { return Node{Node::page, static_cast<std::uint32_t>((p.phys >> impl::PAGE_SHIFT) - 1), 0}; }

void found(Tri& t) { t = Tri::yes; }

}  // namespace

std::uint64_t Node::id() const {
  if (kind == nowhere) return 0;
  return 1 + page_index * ids_per_page + (kind == record ? 1 + slot : 0);
}

// The graph's target(): a page at its own address, a record at its slot's
// (below the page's count), anything else nowhere.
Node resolve(const impl::World& w, phys_addr_t addr) {
  phys_addr_t index = addr >> impl::PAGE_SHIFT;
  if (index == 0 || index > w.kho.pages.size()) return {};
  const kho_page& p = w.kho.pages[index - 1];
  if (addr == p.phys) return page_node(p);
  if (addr < p.phys + impl::KHO_SLOT_OFFSET) return {};
  phys_addr_t offset = addr - p.phys - impl::KHO_SLOT_OFFSET;
  if (offset % impl::KHO_SLOT_SIZE != 0) return {};
  phys_addr_t slot = offset / impl::KHO_SLOT_SIZE;
  if (slot >= record_slots(p)) return {};
  LUV_ASSERT(p.objects[slot].phys == addr);  // the arena names each slot by its address
  return record_node(p, static_cast<impl::u32>(slot));
}

GraphVerdicts verdicts_of(const GraphFindings& f) {
  auto tri = [](const std::vector<std::string>& v) { return v.empty() ? Tri::no : Tri::yes; };
  return {tri(f.refcount), tri(f.dangling), tri(f.orphans), tri(f.remaining)};
}

std::string disagreement(const GraphVerdicts& v, const GraphFindings& f) {
  GraphVerdicts g = verdicts_of(f);
  auto first = [](const std::vector<std::string>& v) { return v.empty() ? std::string("none") : v.front(); };
  std::string out;
  auto compare = [&](const char* kind, Tri mine, Tri graph, const std::vector<std::string>& findings) {
    if (mine != Tri::unsure && mine != graph)
      out += std::string(out.empty() ? "" : "; ") + kind + ": incremental says " + (mine == Tri::yes ? "found" : "none") +
             ", the graph " + first(findings);
  };
  compare("refcount", v.refcount, g.refcount, f.refcount);
  compare("dangling", v.dangling, g.dangling, f.dangling);
  compare("orphans", v.orphans, g.orphans, f.orphans);
  compare("remaining", v.remaining, g.remaining, f.remaining);
  return out;
}

void GraphJudge::mark(std::uint64_t id) {
  if (id >= mark_.size()) mark_.resize(id + ids_per_page, 0), on_stack_.resize(mark_.size(), 0);
  mark_[id] = epoch_;
}

// The kernel objects' pointers: preserved state must lead to a live record
// of the object's kind, a driver page to an unfreed page (check_dangling);
// each is an owner of where it leads (check_orphans, check_refcount) and
// something left (check_remaining).
void GraphJudge::kernel_objects(const impl::World& w, GraphVerdicts& v) {
  owned_records_.clear();
  owned_pages_.clear();
  auto state = [&](const auto& ptr, kho_page_kind kind) {
    if (!ptr) return;
    Node n = resolve(w, ptr.get()->phys);
    owned_records_.push_back(n.id());
    if (!live_record_of(w, n, kind)) found(v.dangling);
    found(v.remaining);
  };
  auto driver_page = [&](const impl::kptr<kho_page>& ptr) {
    if (!ptr) return;
    Node n = resolve(w, ptr.get()->phys);
    owned_pages_.push_back(n.id());
    if (n.kind != Node::page || page_of(w, n).freed) found(v.dangling);
    found(v.remaining);
  };
  for (const impl::iommu_device& i : w.iommus) {
    state(i.outgoing_preserved_state, kho_page_kind::iommu_array);
    driver_page(i.driver_page);
  }
  for (const impl::iommu_domain& d : w.domains) {
    state(d.preserved_state, kho_page_kind::domain_array);
    driver_page(d.driver_page);
  }
  for (const impl::device& d : w.devices) {
    state(d.iommu->device_ser, kho_page_kind::device_array);
    driver_page(d.driver_page);
  }
  std::sort(owned_records_.begin(), owned_records_.end());
  std::sort(owned_pages_.begin(), owned_pages_.end());
}

// Unfreed pages and their live records: owners (check_orphans), device
// records' links (check_dangling), where their iommu_phys lead (the counts).
void GraphJudge::live_records(const impl::World& w, const Unfreed& unfreed, GraphVerdicts& v) {
  iommu_targets_.clear();
  for (const kho_page* page : unfreed.pages()) {
    const kho_page& p = *page;
    LUV_ASSERT(!p.freed);  // Unfreed is up to date
    found(v.remaining);
    if (p.kind == kho_page_kind::driver_private && !has(owned_pages_, page_node(p).id())) found(v.orphans);
    for (impl::u32 i = 0; i < record_slots(p); ++i) {
      const impl::iommu_obj_ser& o = p.objects[i];
      if (o.hdr.deleted) continue;
      if (!has(owned_records_, record_node(p, i).id())) found(v.orphans);
      if (p.kind != kho_page_kind::device_array) continue;
      if (!live_record_of(w, resolve(w, o.domain_iommu_ser.domain_phys), kho_page_kind::domain_array)) found(v.dangling);
      Node hw = resolve(w, o.domain_iommu_ser.iommu_phys);
      if (!live_record_of(w, hw, kho_page_kind::iommu_array)) found(v.dangling);
      iommu_targets_.push_back(hw.id());
    }
  }
  std::sort(iommu_targets_.begin(), iommu_targets_.end());
}

// refcount-balanced on live HW records: ref_count is the number of live
// device records naming it, and some kernel object holds it exactly then.
void GraphJudge::hw_records(const Unfreed& unfreed, GraphVerdicts& v) {
  for (const kho_page* page : unfreed.pages()) {
    if (page->kind != kho_page_kind::iommu_array) continue;
    for (impl::u32 i = 0; i < record_slots(*page); ++i) {
      const impl::iommu_obj_ser& o = page->objects[i];
      if (o.hdr.deleted) continue;
      std::uint64_t id = record_node(*page, i).id();
      std::uint64_t refs = count(iommu_targets_, id);
      if (o.hdr.ref_count != refs || has(owned_records_, id) != (refs > 0)) found(v.refcount);
    }
  }
}

// refcount-balanced per IOMMU (check_outgoing_state): its state is set
// exactly when a live record is behind it, as a device's device_ser or as a
// live device record whose iommu_phys leads where the state leads (nowhere
// and pages included: the graph compares vertices).
void GraphJudge::iommu_states(const impl::World& w, GraphVerdicts& v) {
  std::vector<bool>& behind = behind_;  // IOMMU id -> a device behind it holds a live record
  behind.assign(w.iommus.size(), false);
  for (const impl::device& d : w.devices) {
    if (!d.iommu->device_ser || !live_record(w, resolve(w, d.iommu->device_ser.get()->phys))) continue;
    size_t id = static_cast<size_t>(d.iommu->iommu_dev->id);
    LUV_ASSERT(id < behind.size());
    behind[id] = true;
  }
  for (const impl::iommu_device& i : w.iommus) {
    bool state = static_cast<bool>(i.outgoing_preserved_state);
    bool is_behind = behind[static_cast<size_t>(i.id)] ||
                     (state && has(iommu_targets_, resolve(w, i.outgoing_preserved_state.get()->phys).id()));
    if (state != is_behind) found(v.refcount);
  }
}

// no-leak's reach: every unfreed core page is reached from an unfreed FLB
// object through holds, array heads and next pages (freed pages passed
// through, as the graph does). no-dangling's page-chain cycle: undecided
// when anything the FLB objects reach runs in a cycle.
void GraphJudge::chains(const impl::World& w, const Unfreed& unfreed, GraphVerdicts& v) {
  if (!unfreed.flb_objects().empty()) found(v.remaining);
  next_epoch();
  stack_.clear();
  for (const impl::iommu_flb_obj* obj : unfreed.flb_objects())
    for (const auto* p : {&obj->ser, &obj->curr_iommu_array, &obj->curr_domain_array, &obj->curr_device_array})
      if (*p) stack_.push_back(resolve(w, p->get()->phys));
  while (!stack_.empty()) {
    Node n = stack_.back();
    stack_.pop_back();
    if (marked(n.id())) continue;
    mark(n.id());
    if (n.kind != Node::page) continue;
    const kho_page& p = page_of(w, n);
    if (p.kind == kho_page_kind::ser_root)
      for (phys_addr_t head : {p.root.iommu_array, p.root.domain_array, p.root.device_array})
        if (head) stack_.push_back(resolve(w, head));
    if (p.hdr.next) stack_.push_back(resolve(w, p.hdr.next));
  }
  for (const kho_page* page : unfreed.pages())
    if (page->kind != kho_page_kind::driver_private && !marked(page_node(*page).id())) found(v.orphans);
  if (v.dangling != Tri::yes && finds_cycle(w, unfreed)) v.dangling = Tri::unsure;
}

// The graph's out-edges of a vertex (builder::add_page and link_page).
void GraphJudge::out_edges(const impl::World& w, const Node& n, std::vector<Node>& out) const {
  if (n.kind == Node::nowhere) return;
  const kho_page& p = page_of(w, n);
  if (n.kind == Node::page) {
    for (impl::u32 i = 0; i < record_slots(p); ++i) out.push_back(record_node(p, i));
    if (p.kind == kho_page_kind::ser_root)
      for (phys_addr_t head : {p.root.iommu_array, p.root.domain_array, p.root.device_array})
        if (head) out.push_back(resolve(w, head));
    if (p.hdr.next) out.push_back(resolve(w, p.hdr.next));
    return;
  }
  const impl::iommu_obj_ser& o = p.objects[n.slot];
  if (p.kind == kho_page_kind::device_array) {
    out.push_back(resolve(w, o.domain_iommu_ser.domain_phys));
    out.push_back(resolve(w, o.domain_iommu_ser.iommu_phys));
  }
  if (o.driver_phys) out.push_back(resolve(w, o.driver_phys));
}

// Whether a depth-first search from the FLB objects' held pages meets an
// edge back to a vertex on its stack: a cycle, which the graph's search
// (following the same edges) meets too, in an order this does not follow.
bool GraphJudge::finds_cycle(const impl::World& w, const Unfreed& unfreed) {
  next_epoch();
  bool cycle = false;
  auto enter = [&](const Node& n) {
    mark(n.id());
    on_stack_[n.id()] = 1;
    auto first = static_cast<std::uint32_t>(edges_.size());
    out_edges(w, n, edges_);
    frames_.push_back(frame{n, first, first, static_cast<std::uint32_t>(edges_.size())});
  };
  for (const impl::iommu_flb_obj* obj : unfreed.flb_objects()) {
    for (const auto* p : {&obj->ser, &obj->curr_iommu_array, &obj->curr_domain_array, &obj->curr_device_array}) {
      if (!*p) continue;
      Node root = resolve(w, p->get()->phys);
      if (marked(root.id())) continue;
      enter(root);
      while (!frames_.empty() && !cycle) {
        frame& f = frames_.back();
        if (f.next == f.end) {
          on_stack_[f.node.id()] = 0;
          edges_.resize(f.first);
          frames_.pop_back();
          continue;
        }
        Node to = edges_[f.next++];
        if (!marked(to.id())) enter(to);
        else if (on_stack_[to.id()]) cycle = true;
      }
      for (const frame& f : frames_) on_stack_[f.node.id()] = 0;  // a cycle cut the search short
      frames_.clear();
      edges_.clear();
      if (cycle) return true;
    }
  }
  return false;
}

void GraphJudge::next_epoch() {
  if (++epoch_ == 0) {  // wrapped: old marks could match again
    std::fill(mark_.begin(), mark_.end(), 0);
    epoch_ = 1;
  }
}

GraphVerdicts GraphJudge::judge(const impl::World& w, const Unfreed& unfreed) {
  GraphVerdicts v{Tri::no, Tri::no, Tri::no, Tri::no};
  kernel_objects(w, v);
  live_records(w, unfreed, v);
  hw_records(unfreed, v);
  iommu_states(w, v);
  chains(w, unfreed, v);
  return v;
}

}  // namespace luv
