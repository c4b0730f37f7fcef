#include "solver/snapshot.h"

#include <algorithm>
#include <map>

#include "impl/world.h"
#include "linux/errno.h"
#include "properties/object_graph.h"
#include "solver/heap.h"

namespace luv::solver {

namespace {

Kind kind_of(impl::kho_page_kind k) {
  return k == impl::kho_page_kind::iommu_array ? Kind::hw
         : k == impl::kho_page_kind::domain_array ? Kind::domain
                                                  : Kind::device;
}

}  // namespace

Heap world_heap(z3::context& c, const impl::World& w) {
  Heap h(c);
  std::map<impl::phys_addr_t, int> rec_at, page_at;
  for (const impl::kho_page& p : w.kho.pages) {
    if (p.kind == impl::kho_page_kind::driver_private) {
      page_at[p.phys] = static_cast<int>(h.pages.size());
      h.pages.push_back(PageSlot{-1, c.bool_val(true), c.bool_val(p.freed)});
      continue;
    }
    if (p.kind == impl::kho_page_kind::ser_root) continue;
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i)
      rec_at[p.objects[i].phys] = static_cast<int>(h.recs.size()),
      h.recs.push_back(RecSlot{kind_of(p.kind), -1, c.bool_val(true), c.bool_val(p.objects[i].hdr.deleted),
                               c.bool_val(p.freed), c.int_val(p.objects[i].hdr.ref_count), c.int_val(-1),
                               c.int_val(-1)});
  }
  auto slot = [&](impl::phys_addr_t phys) {
    auto it = rec_at.find(phys);
    return c.int_val(it == rec_at.end() ? -1 : it->second);
  };
  for (const impl::kho_page& p : w.kho.pages) {
    if (p.kind != impl::kho_page_kind::device_array) continue;
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
      RecSlot& r = h.recs[rec_at.at(p.objects[i].phys)];
      r.dom_link = slot(p.objects[i].domain_iommu_ser.domain_phys);
      r.hw_link = slot(p.objects[i].domain_iommu_ser.iommu_phys);
    }
  }
  auto object = [&](Kind k, const auto& state, const impl::kptr<impl::kho_page>& page, int iommu = -1) {
    h.object_kind.push_back(k);
    h.iommu_of.push_back(iommu);
    h.ptr.push_back(state ? slot(state.get()->phys) : c.int_val(-1));
    auto it = page ? page_at.find(page.get()->phys) : page_at.end();
    h.pgptr.push_back(c.int_val(it == page_at.end() ? -1 : it->second));
  };
  for (const auto& i : w.iommus) object(Kind::hw, i.outgoing_preserved_state, i.driver_page);
  for (const auto& d : w.domains) object(Kind::domain, d.preserved_state, d.driver_page);
  for (const auto& d : w.devices) object(Kind::device, d.iommu->device_ser, d.driver_page, d.iommu->iommu_dev->id);
  for (bool f : w.file_preserved) h.file.push_back(c.bool_val(f));
  h.count = c.int_val(w.iommu_flb.count);
  bool flb = std::any_of(w.flb_cache.objects.begin(), w.flb_cache.objects.end(),
                         [](const impl::iommu_flb_obj& o) { return !o.freed; });
  h.flb = c.bool_val(flb);
  bool core = std::any_of(w.kho.pages.begin(), w.kho.pages.end(), [](const impl::kho_page& p) {
    return !p.freed && p.kind != impl::kho_page_kind::driver_private;
  });
  h.core_pages_live = c.bool_val(core);
  return h;
}

namespace {

bool holds(z3::context& c, const z3::expr& violated) {
  z3::solver s(c);
  s.add(violated);
  return s.check() == z3::sat;
}

}  // namespace

SnapshotFindings snapshot_check(const impl::World& w, bool everything_unpreserved) {
  z3::context c;
  Heap h = world_heap(c, w);
  SnapshotFindings f;
  f.refcount = holds(c, refcount_violated(h));
  f.dangling = holds(c, dangling_violated(h));
  f.orphan = holds(c, orphan_violated(h));
  f.remaining = holds(c, remaining_violated(h, c.bool_val(everything_unpreserved)));
  return f;
}

SnapshotFindings graph_check(const impl::World& w, bool everything_unpreserved) {
  GraphFindings g = check_object_graph(build_object_graph(w));
  int files = static_cast<int>(std::count(w.file_preserved.begin(), w.file_preserved.end(), true));
  SnapshotFindings f;
  f.refcount = !g.refcount.empty() || w.iommu_flb.count != files;
  // Page chain cycles are the C++ check's alone; the encoding never builds one.
  f.dangling = std::any_of(g.dangling.begin(), g.dangling.end(),
                           [](const std::string& s) { return s.rfind("page chain cycle", 0) != 0; });
  f.orphan = !g.orphans.empty();
  f.remaining = everything_unpreserved && !g.remaining.empty();
  return f;
}

void CrossCheckObserver::on_start(const impl::World& w) {
  if (inner_) inner_->on_start(w);
}

void CrossCheckObserver::on_call_start(const impl::World& w, int thread, const Call& call) {
  if (inner_) inner_->on_call_start(w, thread, call);
}

std::optional<std::string> CrossCheckObserver::on_call_end(const impl::World& w, const CallRecord& r) {
  // What the callers believe is the Runner's memory (this call included):
  // both checks are asked about the same state.
  const Call& c = r.call;
  bool eu = callers().everything_unpreserved(w);
  SnapshotFindings z = snapshot_check(w, eu), g = graph_check(w, eu);
  ++checked_;
  auto cmp = [&](const char* what, bool zv, bool gv) {
    if (zv != gv)
      disagreements_.push_back(std::string(what) + " after " + describe_call(c) + " (T" + std::to_string(r.thread) +
                               " call " + std::to_string(r.index) + "): Z3 says " + (zv ? "violated" : "holds") +
                               ", the C++ check says " + (gv ? "violated" : "holds"));
  };
  cmp("refcount-balanced", z.refcount, g.refcount);
  cmp("no-dangling", z.dangling, g.dangling);
  cmp("no-leak (orphans)", z.orphan, g.orphan);
  cmp("no-leak (remaining)", z.remaining, g.remaining);
  return inner_ ? inner_->on_call_end(w, r) : std::nullopt;
}

std::optional<std::string> CrossCheckObserver::on_threads_done(const impl::World& w) {
  return inner_ ? inner_->on_threads_done(w) : std::nullopt;
}

}  // namespace luv::solver
