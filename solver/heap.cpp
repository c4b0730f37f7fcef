#include "heap.h"

namespace luv::solver {

namespace {
z3::expr any(z3::context& c, const std::vector<z3::expr>& xs) {
  z3::expr r = c.bool_val(false);
  for (const z3::expr& x : xs) r = r || x;
  return r;
}
z3::context& ctx_of(const Heap& h) { return h.count.ctx(); }
}  // namespace

z3::expr Heap::points_live(const z3::expr& link, Kind kind) const {
  z3::context& c = link.ctx();
  z3::expr r = c.bool_val(false);
  for (int s = 0; s < static_cast<int>(recs.size()); ++s)
    if (recs[s].kind == kind) r = r || (link == c.int_val(s) && live(s));
  return r;
}

namespace {
// Live device records whose iommu_phys names slot `h`.
z3::expr refs_to(const Heap& heap, int h) {
  z3::context& c = ctx_of(heap);
  z3::expr n = c.int_val(0);
  for (int s = 0; s < static_cast<int>(heap.recs.size()); ++s)
    if (heap.recs[s].kind == Kind::device)
      n = n + z3::ite(heap.live(s) && heap.recs[s].hw_link == c.int_val(h), c.int_val(1), c.int_val(0));
  return n;
}
}  // namespace

// refcount-balanced as SPEC.md reads it: a live HW record's ref_count is the
// number of live device records pointing at it, and an IOMMU's
// outgoing_preserved_state is set (wherever it points, a freed page included)
// exactly when a live device record sits behind the IOMMU: a device of it
// whose device_ser is live, or a live record whose iommu_phys names the
// IOMMU's record. And the FLB count is the number of preserved files.
z3::expr refcount_violated(const Heap& h) {
  z3::context& c = ctx_of(h);
  std::vector<z3::expr> bad;
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) {
    if (h.recs[s].kind != Kind::hw) continue;
    z3::expr refs = refs_to(h, s);
    z3::expr held = c.bool_val(false);
    for (int o = 0; o < static_cast<int>(h.ptr.size()); ++o)
      if (h.object_kind[o] == Kind::hw) held = held || h.ptr[o] == c.int_val(s);
    bad.push_back(h.live(s) && (h.recs[s].rc != refs || held != (refs > 0)));
  }
  for (int i = 0; i < static_cast<int>(h.ptr.size()); ++i) {
    if (h.object_kind[i] != Kind::hw) continue;
    z3::expr set = h.ptr[i] != c.int_val(-1);
    z3::expr behind = c.bool_val(false);
    for (int v = 0; v < static_cast<int>(h.ptr.size()); ++v)
      if (h.object_kind[v] == Kind::device && h.iommu_of[v] == i)
        for (int s = 0; s < static_cast<int>(h.recs.size()); ++s)
          if (h.recs[s].kind == Kind::device) behind = behind || (h.ptr[v] == c.int_val(s) && h.live(s));
    for (int s = 0; s < static_cast<int>(h.recs.size()); ++s)
      if (h.recs[s].kind == Kind::device) behind = behind || (set && h.live(s) && h.recs[s].hw_link == h.ptr[i]);
    bad.push_back(set != behind);
  }
  z3::expr files = c.int_val(0);
  for (const z3::expr& f : h.file) files = files + z3::ite(f, c.int_val(1), c.int_val(0));
  bad.push_back(h.count != files);
  return any(c, bad);
}

z3::expr dangling_violated(const Heap& h) {
  z3::context& c = ctx_of(h);
  std::vector<z3::expr> bad;
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) {
    if (h.recs[s].kind != Kind::device) continue;
    bad.push_back(h.live(s) && !(h.points_live(h.recs[s].dom_link, Kind::domain) &&
                                 h.points_live(h.recs[s].hw_link, Kind::hw)));
  }
  for (int o = 0; o < static_cast<int>(h.ptr.size()); ++o) {
    bad.push_back(h.ptr[o] != c.int_val(-1) && !h.points_live(h.ptr[o], h.object_kind[o]));
    z3::expr page_ok = c.bool_val(false);
    for (int p = 0; p < static_cast<int>(h.pages.size()); ++p)
      page_ok = page_ok || (h.pgptr[o] == c.int_val(p) && h.page_live(p));
    bad.push_back(h.pgptr[o] != c.int_val(-1) && !page_ok);
  }
  return any(c, bad);
}

z3::expr orphan_violated(const Heap& h) {
  z3::context& c = ctx_of(h);
  std::vector<z3::expr> bad;
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) {
    z3::expr owned = c.bool_val(false);
    for (const z3::expr& p : h.ptr) owned = owned || p == c.int_val(s);
    bad.push_back(h.live(s) && !owned);
  }
  for (int p = 0; p < static_cast<int>(h.pages.size()); ++p) {
    z3::expr owned = c.bool_val(false);
    for (const z3::expr& q : h.pgptr) owned = owned || q == c.int_val(p);
    bad.push_back(h.page_live(p) && !owned);
  }
  // Core pages hang off the FLB object; the implementation frees them together.
  bad.push_back(h.core_pages_live && !h.flb);
  return any(c, bad);
}

z3::expr remaining_violated(const Heap& h, const z3::expr& everything_unpreserved) {
  z3::context& c = ctx_of(h);
  std::vector<z3::expr> left{h.flb, h.core_pages_live};
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) left.push_back(h.live(s));
  for (int p = 0; p < static_cast<int>(h.pages.size()); ++p) left.push_back(h.page_live(p));
  for (size_t o = 0; o < h.ptr.size(); ++o) {
    left.push_back(h.ptr[o] != c.int_val(-1));
    left.push_back(h.pgptr[o] != c.int_val(-1));
  }
  return everything_unpreserved && any(c, left);
}

}  // namespace luv::solver
