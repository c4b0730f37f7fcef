#include "properties/object_graph.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <boost/graph/depth_first_search.hpp>

#include "impl/hex.h"
#include "impl/world.h"

namespace luv {

using impl::kho_page;
using impl::kho_page_kind;
using impl::phys_addr_t;

namespace {

using impl::hex;

RecordKind record_kind_of(kho_page_kind kind) {
  switch (kind) {
    case kho_page_kind::iommu_array: return RecordKind::hw;
    case kho_page_kind::domain_array: return RecordKind::domain;
    case kho_page_kind::device_array: return RecordKind::device;
    default: return RecordKind::none;
  }
}

const char* record_kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::hw: return "HW record";
    case RecordKind::domain: return "domain record";
    case RecordKind::device: return "device record";
    case RecordKind::none: break;
  }
  return "record";
}

// The page at a physical address, or null (impl::kho_page_at's arithmetic,
// for a World that is only read).
const kho_page* page_at(const impl::World& w, phys_addr_t phys) {
  phys_addr_t index = phys >> impl::PAGE_SHIFT;
  return index == 0 || index > w.kho.pages.size() ? nullptr : &w.kho.pages[index - 1];
}

struct builder {
  builder(const impl::World& world, bool judged) : w(world), judged_only(judged) {}
  const impl::World& w;
  bool judged_only;  // build_judged_graph: a freed page enters when an edge leads to it
  ObjectGraph g;
  std::map<phys_addr_t, Vertex> by_phys;  // pages and records
  std::vector<const kho_page*> added;     // pages in the graph, in the order added
  size_t linked = 0;                      // added[0, linked) have their edges
  Vertex nowhere = 0;

  Vertex add(GraphVertex v) { return boost::add_vertex(std::move(v), g); }
  void edge(Vertex from, Vertex to, EdgeKind kind) { boost::add_edge(from, to, GraphEdge{kind}, g); }

  // Where a physical address leads: a page, a record, or nowhere.
  Vertex target(phys_addr_t phys) {
    auto it = by_phys.find(phys);
    if (it != by_phys.end()) return it->second;
    const kho_page* p = judged_only ? page_at(w, phys) : nullptr;
    if (p == nullptr || by_phys.count(p->phys)) return nowhere;
    add_page(*p);
    it = by_phys.find(phys);
    return it == by_phys.end() ? nowhere : it->second;
  }

  // A page and its records, with the edges between them.
  void add_page(const kho_page& p) {
    GraphVertex v;
    v.kind = VertexKind::page;
    v.phys = p.phys;
    v.page_kind = p.kind;
    v.freed = p.freed;
    v.label = "page " + hex(p.phys) + " (" + impl::kho_page_kind_name(p.kind) + ")";
    Vertex pv = add(v);
    by_phys[p.phys] = pv;
    added.push_back(&p);
    RecordKind rk = record_kind_of(p.kind);
    if (rk == RecordKind::none) return;
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
      const impl::iommu_obj_ser& o = p.objects[i];
      GraphVertex r;
      r.kind = VertexKind::record;
      r.record_kind = rk;
      r.phys = o.phys;
      r.freed = p.freed;
      r.deleted = o.hdr.deleted;
      r.ref_count = o.hdr.ref_count;
      r.token = o.token;
      r.label = std::string(record_kind_name(rk)) + " " + hex(o.phys);
      Vertex rv = add(r);
      by_phys[o.phys] = rv;
      edge(pv, rv, EdgeKind::contains);
    }
  }

  // The edges out of a page and its records: array heads, the next page,
  // the records' links.
  void link_page(const kho_page& p) {
    Vertex pv = by_phys.at(p.phys);
    if (p.kind == kho_page_kind::ser_root) {
      for (phys_addr_t head : {p.root.iommu_array, p.root.domain_array, p.root.device_array})
        if (head) edge(pv, target(head), EdgeKind::array_head);
    }
    if (p.hdr.next) edge(pv, target(p.hdr.next), EdgeKind::next_page);
    if (record_kind_of(p.kind) == RecordKind::none) return;
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
      const impl::iommu_obj_ser& o = p.objects[i];
      Vertex rv = by_phys.at(o.phys);
      if (record_kind_of(p.kind) == RecordKind::device) {
        edge(rv, target(o.domain_iommu_ser.domain_phys), EdgeKind::domain_phys);
        edge(rv, target(o.domain_iommu_ser.iommu_phys), EdgeKind::iommu_phys);
      }
      if (o.driver_phys) edge(rv, target(o.driver_phys), EdgeKind::driver_phys);
    }
  }

  // Links every page added so far, and those the links add in turn.
  void link_added() {
    for (; linked < added.size(); ++linked) link_page(*added[linked]);
  }

  template <typename T>
  void object_state(Vertex v, const impl::kptr<T>& state, EdgeKind kind) {
    if (!state) return;
    edge(v, target(state.get()->phys), kind);
  }

  void flb_object(const impl::iommu_flb_obj& obj) {
    GraphVertex v;
    v.kind = VertexKind::flb;
    v.freed = obj.freed;
    v.label = "iommu_flb_obj";
    Vertex fv = add(v);
    if (obj.freed) return;  // a freed object's fields mean nothing
    for (const auto* p : {&obj.ser, &obj.curr_iommu_array, &obj.curr_domain_array, &obj.curr_device_array})
      if (*p) edge(fv, target(p->get()->phys), EdgeKind::holds);
  }

  void kernel_objects() {
    for (const impl::iommu_device& iommu : w.iommus) {
      Vertex v = add(GraphVertex{VertexKind::iommu, "iommu" + std::to_string(iommu.id), 0,
                                 kho_page_kind::driver_private, RecordKind::none, iommu.id});
      object_state(v, iommu.outgoing_preserved_state, EdgeKind::preserved);
      object_state(v, iommu.driver_page, EdgeKind::driver_page);
    }
    for (const impl::iommu_domain& domain : w.domains) {
      Vertex v = add(GraphVertex{VertexKind::domain, "domain" + std::to_string(domain.id), 0,
                                 kho_page_kind::driver_private, RecordKind::none, domain.id});
      object_state(v, domain.preserved_state, EdgeKind::preserved);
      object_state(v, domain.driver_page, EdgeKind::driver_page);
    }
    for (const impl::device& dev : w.devices) {
      GraphVertex gv{VertexKind::device, "dev" + std::to_string(dev.id), 0,
                     kho_page_kind::driver_private, RecordKind::none, dev.id};
      gv.iommu = dev.iommu->iommu_dev->id;
      Vertex v = add(gv);
      object_state(v, dev.iommu->device_ser, EdgeKind::preserved);
      object_state(v, dev.driver_page, EdgeKind::driver_page);
    }
  }
};

}  // namespace

const char* edge_kind_name(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::holds: return "holds";
    case EdgeKind::array_head: return "array";
    case EdgeKind::next_page: return "next";
    case EdgeKind::contains: return "contains";
    case EdgeKind::domain_phys: return "domain_phys";
    case EdgeKind::iommu_phys: return "iommu_phys";
    case EdgeKind::driver_phys: return "driver_phys";
    case EdgeKind::preserved: return "preserved";
    case EdgeKind::driver_page: return "driver_page";
  }
  return "?";
}

ObjectGraph build_object_graph(const impl::World& w) {
  builder b(w, false);
  b.nowhere = b.add(GraphVertex{VertexKind::nowhere, "nowhere (no page or record at that address)"});
  for (const kho_page& p : w.kho.pages) b.add_page(p);
  b.link_added();
  for (const impl::iommu_flb_obj& obj : w.flb_cache.objects) b.flb_object(obj);
  b.kernel_objects();
  return std::move(b.g);
}

// The same steps over the unfreed part: each vertex gets its out-edges in
// the same order as in the whole graph (a page's records first, then its
// links), so the checks' walks and their first findings are the same.
ObjectGraph build_judged_graph(const impl::World& w, const Unfreed& unfreed) {
  builder b(w, true);
  b.nowhere = b.add(GraphVertex{VertexKind::nowhere, "nowhere (no page or record at that address)"});
  for (const kho_page* p : unfreed.pages()) b.add_page(*p);
  b.link_added();
  for (const impl::iommu_flb_obj* obj : unfreed.flb_objects()) b.flb_object(*obj);
  b.kernel_objects();
  b.link_added();
  return std::move(b.g);
}

void Unfreed::update(const impl::World& w) {
  std::erase_if(pages_, [](const kho_page* p) { return p->freed; });
  for (; pages_seen_ < w.kho.pages.size(); ++pages_seen_)
    if (!w.kho.pages[pages_seen_].freed) pages_.push_back(&w.kho.pages[pages_seen_]);
  update_flb_objects(w);
}

void Unfreed::update_flb_objects(const impl::World& w) {
  std::erase_if(flb_objects_, [](const impl::iommu_flb_obj* o) { return o->freed; });
  for (; flb_objects_seen_ < w.flb_cache.objects.size(); ++flb_objects_seen_)
    if (!w.flb_cache.objects[flb_objects_seen_].freed) flb_objects_.push_back(&w.flb_cache.objects[flb_objects_seen_]);
}

bool is_live_record(const GraphVertex& v) { return v.kind == VertexKind::record && !v.deleted && !v.freed; }

namespace {

bool is_live_page(const GraphVertex& v) { return v.kind == VertexKind::page && !v.freed; }

// Page chains are followed from the live FLB object; a back edge is a cycle.
struct cycle_finder : boost::default_dfs_visitor {
  std::vector<std::string>* out;
  void back_edge(ObjectGraph::edge_descriptor e, const ObjectGraph& g) const {
    if (g[e].kind == EdgeKind::next_page)
      out->push_back("page chain cycle: " + g[boost::source(e, g)].label + " -> " + g[boost::target(e, g)].label);
  }
};

}  // namespace

// refcount-balanced, per IOMMU: outgoing_preserved_state is non-NULL
// (wherever it points: a freed page, a deleted record, nowhere) exactly when
// a live device record sits behind the IOMMU, as a device's device_ser or as
// a record whose iommu_phys leads to the IOMMU's HW record.
// `devices`: the device vertices behind this IOMMU.
static void check_outgoing_state(const ObjectGraph& g, Vertex iommu, const std::vector<Vertex>& devices,
                                 std::vector<std::string>& out) {
  const GraphVertex& k = g[iommu];
  std::optional<Vertex> state;
  for (auto [e, end] = boost::out_edges(iommu, g); e != end; ++e)
    if (g[*e].kind == EdgeKind::preserved) state = boost::target(*e, g);
  std::set<Vertex> behind;
  for (Vertex v : devices) {
    for (auto [e, eend] = boost::out_edges(v, g); e != eend; ++e)
      if (g[*e].kind == EdgeKind::preserved && is_live_record(g[boost::target(*e, g)])) behind.insert(boost::target(*e, g));
  }
  if (state)
    for (auto [e, end] = boost::in_edges(*state, g); e != end; ++e)
      if (g[*e].kind == EdgeKind::iommu_phys && is_live_record(g[boost::source(*e, g)])) behind.insert(boost::source(*e, g));
  if (state && behind.empty()) {
    const GraphVertex& to = g[*state];
    std::string where = to.freed ? " (its page is freed)" : to.deleted ? " (flagged deleted)"
                        : to.kind != VertexKind::record ? " (not a record)" : "";
    out.push_back(k.label + ": outgoing_preserved_state set -> " + to.label + where +
                  " but no live device record behind it");
  } else if (!state && !behind.empty()) {
    out.push_back(k.label + ": outgoing_preserved_state NULL but " + g[*behind.begin()].label +
                  " behind it is live");
  }
}

namespace {

// Who points at v by edges of `kind`; `live_sources_only`: leaving out
// records that are not live.
int owners(const ObjectGraph& g, Vertex v, EdgeKind kind, bool live_sources_only) {
  int n = 0;
  for (auto [e, end] = boost::in_edges(v, g); e != end; ++e) {
    if (g[*e].kind != kind) continue;
    const GraphVertex& s = g[boost::source(*e, g)];
    if (live_sources_only && s.kind == VertexKind::record && !is_live_record(s)) continue;
    ++n;
  }
  return n;
}

// refcount-balanced: a live HW record's ref_count is the number of live
// device records pointing at it; its IOMMU points at it exactly then.
void check_refcount(const ObjectGraph& g, std::vector<std::string>& out) {
  for (auto [v, end] = boost::vertices(g); v != end; ++v) {
    const GraphVertex& r = g[*v];
    if (!is_live_record(r) || r.record_kind != RecordKind::hw) continue;
    int refs = owners(g, *v, EdgeKind::iommu_phys, true);
    if (static_cast<int>(r.ref_count) != refs)
      out.push_back(r.label + ": ref_count " + std::to_string(r.ref_count) + " but " + std::to_string(refs) +
                    " live device record(s) point at it");
    int held = owners(g, *v, EdgeKind::preserved, false);
    if ((held > 0) != (refs > 0))
      out.push_back(r.label + ": " + (held ? "still its IOMMU's outgoing_preserved_state with no device"
                                            : "has devices but is not its IOMMU's outgoing_preserved_state"));
  }
  // Devices grouped by IOMMU once: a scan of every vertex per IOMMU would
  // grow with the product of the topology's sizes.
  std::map<int, std::vector<Vertex>> devices_behind;
  for (auto [v, end] = boost::vertices(g); v != end; ++v)
    if (g[*v].kind == VertexKind::device) devices_behind[g[*v].iommu].push_back(*v);
  for (auto [v, end] = boost::vertices(g); v != end; ++v)
    if (g[*v].kind == VertexKind::iommu) check_outgoing_state(g, *v, devices_behind[g[*v].id], out);
}

// no-dangling: every pointer of a live record or a kernel object leads to a
// live record of the right kind, and no page chain runs in a cycle.
void check_dangling(const ObjectGraph& g, std::vector<std::string>& out) {
  auto expect_live = [&](const GraphVertex& from, ObjectGraph::edge_descriptor e, RecordKind want) {
    const GraphVertex& to = g[boost::target(e, g)];
    std::string what = from.label + " " + edge_kind_name(g[e].kind) + " -> " + to.label;
    if (to.kind != VertexKind::record) {
      out.push_back(what + ": not a record");
    } else if (to.freed) {
      out.push_back(what + ": its page is freed");
    } else if (to.deleted) {
      out.push_back(what + ": flagged deleted");
    } else if (want != RecordKind::none && to.record_kind != want) {
      out.push_back(what + ": wrong kind of record");
    }
  };
  for (auto [v, end] = boost::vertices(g); v != end; ++v) {
    const GraphVertex& s = g[*v];
    for (auto [e, eend] = boost::out_edges(*v, g); e != eend; ++e) {
      EdgeKind k = g[*e].kind;
      if (is_live_record(s) && k == EdgeKind::domain_phys) expect_live(s, *e, RecordKind::domain);
      if (is_live_record(s) && k == EdgeKind::iommu_phys) expect_live(s, *e, RecordKind::hw);
      if (k == EdgeKind::preserved) {
        RecordKind want = s.kind == VertexKind::iommu    ? RecordKind::hw
                          : s.kind == VertexKind::domain ? RecordKind::domain
                                                         : RecordKind::device;
        expect_live(s, *e, want);
      }
      if (k == EdgeKind::driver_page && !is_live_page(g[boost::target(*e, g)]))
        out.push_back(s.label + " driver_page -> " + g[boost::target(*e, g)].label + ": not a preserved page");
    }
  }
  for (auto [v, end] = boost::vertices(g); v != end; ++v) {
    if (g[*v].kind != VertexKind::flb || g[*v].freed) continue;
    std::vector<boost::default_color_type> color(boost::num_vertices(g));
    cycle_finder vis;
    vis.out = &out;
    boost::depth_first_visit(g, *v, vis, boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, g)));
  }
}

// The pages reachable from the live FLB object through its page links.
std::set<Vertex> reachable_from_flb(const ObjectGraph& g) {
  std::set<Vertex> reachable;
  for (auto [v, end] = boost::vertices(g); v != end; ++v) {
    if (g[*v].kind != VertexKind::flb || g[*v].freed) continue;
    std::vector<Vertex> stack{*v};
    while (!stack.empty()) {
      Vertex u = stack.back();
      stack.pop_back();
      for (auto [e, eend] = boost::out_edges(u, g); e != eend; ++e) {
        EdgeKind k = g[*e].kind;
        if (k != EdgeKind::holds && k != EdgeKind::array_head && k != EdgeKind::next_page) continue;
        if (reachable.insert(boost::target(*e, g)).second) stack.push_back(boost::target(*e, g));
      }
    }
  }
  return reachable;
}

// no-leak, at any quiescent point: every live record is its kernel object's
// state, every preserved driver page is some object's, and every preserved
// core page hangs off the live FLB object.
void check_orphans(const ObjectGraph& g, std::vector<std::string>& out) {
  std::set<Vertex> reachable = reachable_from_flb(g);
  for (auto [v, end] = boost::vertices(g); v != end; ++v) {
    const GraphVertex& x = g[*v];
    if (is_live_record(x) && owners(g, *v, EdgeKind::preserved, false) == 0)
      out.push_back(x.label + " is live but no kernel object's preserved state");
    if (is_live_page(x) && x.page_kind == kho_page_kind::driver_private &&
        owners(g, *v, EdgeKind::driver_page, false) == 0)
      out.push_back(x.label + " is preserved but no object's driver page");
    if (is_live_page(x) && x.page_kind != kho_page_kind::driver_private && !reachable.count(*v))
      out.push_back(x.label + " is preserved but not reachable from the FLB");
  }
}

// no-leak, once everything is unpreserved: nothing at all is left.
void check_remaining(const ObjectGraph& g, std::vector<std::string>& out) {
  for (auto [v, end] = boost::vertices(g); v != end; ++v) {
    const GraphVertex& x = g[*v];
    if (is_live_record(x)) out.push_back(x.label + " still live");
    else if (is_live_page(x)) out.push_back(x.label + " still preserved");
    else if (x.kind == VertexKind::flb && !x.freed) out.push_back("iommu_flb_obj still allocated");
    for (auto [e, eend] = boost::out_edges(*v, g); e != eend; ++e)
      if ((g[*e].kind == EdgeKind::preserved || g[*e].kind == EdgeKind::driver_page) && x.kind != VertexKind::record)
        out.push_back(x.label + " still has " + (g[*e].kind == EdgeKind::preserved ? "preserved state" : "a driver page"));
  }
}

}  // namespace

GraphFindings check_object_graph(const ObjectGraph& g) {
  GraphFindings f;
  check_refcount(g, f.refcount);
  check_dangling(g, f.dangling);
  check_orphans(g, f.orphans);
  check_remaining(g, f.remaining);
  return f;
}

}  // namespace luv

// ---- PageWatch ----------------------------------------------------------------

namespace luv {

namespace {

using impl::phys_addr_t;

bool is_core(kho_page_kind kind) { return kind != kho_page_kind::driver_private; }

// The record at a physical address, or null (what build_judged_graph's
// target() resolves to a record vertex: a slot below the page's count).
const impl::iommu_obj_ser* record_at(const impl::World& w, phys_addr_t phys) {
  const kho_page* p = page_at(w, phys);
  if (p == nullptr || phys < p->phys + impl::KHO_SLOT_OFFSET) return nullptr;
  phys_addr_t offset = phys - p->phys - impl::KHO_SLOT_OFFSET;
  if (offset % impl::KHO_SLOT_SIZE != 0) return nullptr;
  size_t i = offset / impl::KHO_SLOT_SIZE;
  return i < p->hdr.nr_objects && i < p->objects.size() ? &p->objects[i] : nullptr;
}

// A link whose target cannot lead back into a page chain: nowhere (an
// address on no page, or below the first), a driver page, or a slot of an
// HW or domain array (whose records link only driver pages). `driver_only`:
// driver_phys, which must not lead to another record (records could then
// link each other in a ring). An address past the arena could become a
// page later without the linking page being touched, so it is not plain.
bool plain_link(const impl::World& w, phys_addr_t to, bool driver_only) {
  phys_addr_t index = to >> impl::PAGE_SHIFT;
  if (index == 0) return true;
  if (index > w.kho.pages.size()) return false;
  const kho_page& p = w.kho.pages[index - 1];
  if (p.kind == kho_page_kind::driver_private) return true;
  if (driver_only) return false;
  return to != p.phys && (p.kind == kho_page_kind::iommu_array || p.kind == kho_page_kind::domain_array);
}

// A page with an edge the watch does not follow: a driver or root page with
// a next page, or a record linking where a ring could close.
bool has_odd_link(const impl::World& w, const kho_page& p) {
  if (!impl::kho_page_is_array(p.kind)) return p.hdr.next != 0;
  for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
    const impl::iommu_obj_ser& o = p.objects[i];
    if (p.kind == kho_page_kind::device_array &&
        !(plain_link(w, o.domain_iommu_ser.domain_phys, false) && plain_link(w, o.domain_iommu_ser.iommu_phys, false)))
      return true;
    if (o.driver_phys && !plain_link(w, o.driver_phys, true)) return true;
  }
  return false;
}

std::array<phys_addr_t, 4> links_of(const kho_page& p) {
  if (p.kind == kho_page_kind::ser_root) return {p.hdr.next, p.root.iommu_array, p.root.domain_array, p.root.device_array};
  return {p.hdr.next, 0, 0, 0};
}

}  // namespace

void PageWatch::touched(const std::vector<impl::read_event>& events) {
  for (const impl::read_event& e : events) {
    auto at = reinterpret_cast<std::uintptr_t>(e.at);
    auto it = by_address_.upper_bound(at);
    if (it == by_address_.begin()) continue;
    --it;
    if (at - it->first >= sizeof(kho_page) || is_dirty_[it->second]) continue;
    is_dirty_[it->second] = true;
    dirty_.push_back(it->second);
  }
}

void PageWatch::set_preds(phys_addr_t phys, int delta, const impl::World& w) {
  int& n = preds_[phys];
  n += delta;
  const kho_page* p = page_at(w, phys);
  if (p == nullptr || p->phys != phys) return;
  size_t index = (phys >> impl::PAGE_SHIFT) - 1;
  if (index >= pages_.size() || !pages_[index].counted || !is_core(pages_[index].kind)) return;
  if (n == 0) no_pred_.insert(phys);
  else no_pred_.erase(phys);
}

// Takes page `index`'s last summary out of the totals.
void PageWatch::forget(size_t index, const impl::World& w) {
  page_summary& s = pages_[index];
  const kho_page& p = w.kho.pages[index];
  if (s.odd) --odd_;
  if (s.counted) {
    --unfreed_pages_;
    for (size_t i = 0; i < p.objects.size(); ++i)
      if (s.live_mask >> i & 1u) live_.erase(p.objects[i].phys);
    live_driver_pages_.erase(p.phys);
    no_pred_.erase(p.phys);
    if (s.next) set_preds(s.next, -1, w);
  }
  s.counted = s.odd = false;
  s.next = 0;
  s.live_mask = 0;
}

// Adds page `index` as it is now, and looks for a cycle through any link
// of it that changed.
void PageWatch::summarise(size_t index, const impl::World& w) {
  page_summary& s = pages_[index];
  const kho_page& p = w.kho.pages[index];
  s.kind = p.kind;
  s.odd = has_odd_link(w, p);
  if (s.odd) ++odd_;
  std::array<phys_addr_t, 4> links = links_of(p);
  for (size_t k = 0; k < links.size(); ++k)
    if (links[k] != s.links[k] && links[k] && walk_finds_cycle(w, index, links[k])) cycle_ = true;
  s.links = links;
  if (p.freed) return;
  s.counted = true;
  ++unfreed_pages_;
  for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i)
    if (!p.objects[i].hdr.deleted) live_.insert(p.objects[i].phys), s.live_mask |= 1u << i;
  if (!is_core(p.kind)) {
    live_driver_pages_.insert(p.phys);
    return;
  }
  if (preds_[p.phys] == 0) no_pred_.insert(p.phys);
  s.next = p.hdr.next;
  if (s.next) set_preds(s.next, +1, w);
}

// Whether following next pages from `start` comes back to page `from`, or
// meets a root page (whose array heads the walk does not follow), or goes
// on longer than there are pages.
bool PageWatch::walk_finds_cycle(const impl::World& w, size_t from, phys_addr_t start) const {
  phys_addr_t at = start;
  for (size_t steps = 0; steps <= w.kho.pages.size(); ++steps) {
    const kho_page* p = page_at(w, at);
    if (p == nullptr || p->phys != at) return false;  // nowhere, or a record: the chain ends
    if (p == &w.kho.pages[from] || p->kind == kho_page_kind::ser_root) return true;
    at = p->hdr.next;
  }
  return true;
}

void PageWatch::update(const impl::World& w) {
  for (size_t i = pages_.size(); i < w.kho.pages.size(); ++i) {
    pages_.emplace_back();
    is_dirty_.push_back(true);
    dirty_.push_back(i);
    by_address_[reinterpret_cast<std::uintptr_t>(&w.kho.pages[i])] = i;
  }
  std::sort(dirty_.begin(), dirty_.end());  // a fixed order: the summary does not depend on it, the walks' cost might
  for (size_t i : dirty_) forget(i, w);
  for (size_t i : dirty_) summarise(i, w), is_dirty_[i] = false;
  dirty_.clear();
}

PossibleFindings PageWatch::possible(const impl::World& w, const std::vector<const impl::iommu_flb_obj*>& flb_objects) const {
  PossibleFindings out{false, false, false, false};
  auto kind_of = [&](phys_addr_t phys) { return page_at(w, phys)->kind; };
  auto live_of_kind = [&](phys_addr_t phys, kho_page_kind kind) { return live_.count(phys) && kind_of(phys) == kind; };
  std::set<phys_addr_t> owned_records, owned_pages;
  std::map<int, phys_addr_t> iommu_state;  // IOMMU id -> its outgoing_preserved_state
  auto object = [&](const auto& state, kho_page_kind kind, const impl::kptr<impl::kho_page>& page) {
    if (state) {
      phys_addr_t phys = state.get()->phys;
      owned_records.insert(phys);
      out.dangling |= !live_of_kind(phys, kind);
      out.remaining = true;
    }
    if (page) {
      const kho_page* p = page.get();
      owned_pages.insert(p->phys);
      out.dangling |= p->freed;
      out.remaining = true;
    }
  };
  for (const impl::iommu_device& i : w.iommus) {
    object(i.outgoing_preserved_state, kho_page_kind::iommu_array, i.driver_page);
    if (i.outgoing_preserved_state) {
      iommu_state[i.id] = i.outgoing_preserved_state.get()->phys;
      // A state that is no record: the graph's in-edges of where it leads decide.
      out.refcount |= record_at(w, iommu_state[i.id]) == nullptr;
    }
  }
  for (const impl::iommu_domain& d : w.domains) object(d.preserved_state, kho_page_kind::domain_array, d.driver_page);
  for (const impl::device& d : w.devices) object(d.iommu->device_ser, kho_page_kind::device_array, d.driver_page);

  // Live records: refcount-balanced's counts, no-dangling's links, no-leak's owners.
  std::map<phys_addr_t, int> refs;  // live HW record -> live device records naming it
  std::set<int> iommus_behind;      // IOMMUs with a live device record behind them
  for (phys_addr_t phys : live_) {
    out.orphans |= !owned_records.count(phys);
    out.remaining = true;
    if (kind_of(phys) != kho_page_kind::device_array) continue;
    const impl::iommu_obj_ser& r = *record_at(w, phys);
    out.dangling |= !live_of_kind(r.domain_iommu_ser.domain_phys, kho_page_kind::domain_array) ||
                    !live_of_kind(r.domain_iommu_ser.iommu_phys, kho_page_kind::iommu_array);
    ++refs[r.domain_iommu_ser.iommu_phys];
    for (const auto& [id, state] : iommu_state)
      if (state == r.domain_iommu_ser.iommu_phys) iommus_behind.insert(id);
  }
  for (const impl::device& d : w.devices)
    if (d.iommu->device_ser && live_.count(d.iommu->device_ser.get()->phys)) iommus_behind.insert(d.iommu->iommu_dev->id);
  for (phys_addr_t phys : live_) {
    if (kind_of(phys) != kho_page_kind::iommu_array) continue;
    int n = refs.count(phys) ? refs.at(phys) : 0;
    bool held = owned_records.count(phys) > 0;  // any kernel object's preserved state, as the graph counts
    out.refcount |= static_cast<int>(record_at(w, phys)->hdr.ref_count) != n || held != (n > 0);
  }
  for (const impl::iommu_device& i : w.iommus) out.refcount |= iommu_state.count(i.id) != iommus_behind.count(i.id);

  out.dangling |= odd_ > 0 || cycle_;
  for (phys_addr_t phys : live_driver_pages_) out.orphans |= !owned_pages.count(phys);
  // Unreachable core pages: every unfreed one without an unfreed core
  // predecessor must be where an FLB object's chains start.
  std::set<phys_addr_t> starts;
  bool flb_allocated = false;
  for (const impl::iommu_flb_obj* obj : flb_objects) {
    flb_allocated = true;
    for (const auto* p : {&obj->ser, &obj->curr_iommu_array, &obj->curr_domain_array, &obj->curr_device_array})
      if (*p) starts.insert(p->get()->phys);
    if (obj->ser && obj->ser.get()->kind == kho_page_kind::ser_root)
      for (phys_addr_t head : links_of(*obj->ser.get())) starts.insert(head);
  }
  out.orphans |= cycle_;
  for (phys_addr_t phys : no_pred_) out.orphans |= !starts.count(phys);
  out.remaining |= flb_allocated || unfreed_pages_ > 0;
  return out;
}

}  // namespace luv
