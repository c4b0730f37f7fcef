#include "solver/heap.h"

#include <cstdint>
#include <optional>

namespace luv::solver {

bool is_value(const z3::expr& x) { return x.is_numeral() || x.is_true() || x.is_false(); }

namespace {
// The value of a term built of values by the operators the encoding uses
// (Bool as 0 or 1), or none. Z3's rewriter folds such a term too, but each
// call of it costs tens of microseconds of set-up, and a folded step stores
// thousands of small terms.
std::optional<long long> eval(const z3::expr& x) {
  if (x.is_true() || x.is_false()) return x.is_true();
  if (x.is_numeral()) {
    int64_t v = 0;
    return x.is_numeral_i64(v) ? std::optional<long long>(v) : std::nullopt;
  }
  if (!x.is_app()) return std::nullopt;
  Z3_decl_kind k = x.decl().decl_kind();
  unsigned n = x.num_args();
  if (k == Z3_OP_ITE) {
    auto c = eval(x.arg(0));
    return c ? eval(x.arg(*c ? 1 : 2)) : std::nullopt;
  }
  if (k == Z3_OP_AND || k == Z3_OP_OR) {  // an operand that decides is enough
    bool unknown = false;
    for (unsigned i = 0; i < n; ++i) {
      auto v = eval(x.arg(i));
      if (!v) unknown = true;
      else if ((*v != 0) == (k == Z3_OP_OR)) return k == Z3_OP_OR;
    }
    return unknown ? std::nullopt : std::optional<long long>(k == Z3_OP_AND);
  }
  std::vector<long long> a;
  for (unsigned i = 0; i < n; ++i) {
    auto v = eval(x.arg(i));
    if (!v) return std::nullopt;
    a.push_back(*v);
  }
  switch (k) {
    case Z3_OP_NOT: return n == 1 ? std::optional<long long>(!a[0]) : std::nullopt;
    case Z3_OP_EQ: return n == 2 ? std::optional<long long>(a[0] == a[1]) : std::nullopt;
    case Z3_OP_DISTINCT: return n == 2 ? std::optional<long long>(a[0] != a[1]) : std::nullopt;
    case Z3_OP_LT: return n == 2 ? std::optional<long long>(a[0] < a[1]) : std::nullopt;
    case Z3_OP_LE: return n == 2 ? std::optional<long long>(a[0] <= a[1]) : std::nullopt;
    case Z3_OP_GT: return n == 2 ? std::optional<long long>(a[0] > a[1]) : std::nullopt;
    case Z3_OP_GE: return n == 2 ? std::optional<long long>(a[0] >= a[1]) : std::nullopt;
    case Z3_OP_UMINUS: return n == 1 ? std::optional<long long>(-a[0]) : std::nullopt;
    case Z3_OP_ADD: {
      long long sum = 0;
      for (long long v : a) sum += v;
      return sum;
    }
    case Z3_OP_SUB: {
      if (n == 0) return std::nullopt;
      long long d = a[0];
      for (unsigned i = 1; i < n; ++i) d -= a[i];
      return d;
    }
    default: return std::nullopt;
  }
}
}  // namespace

z3::expr fold_value(const z3::expr& x) {
  if (is_value(x)) return x;
  if (!x.is_bool() && !x.is_int()) return x.simplify();
  auto v = eval(x);
  if (!v) return x.simplify();
  return x.is_bool() ? x.ctx().bool_val(*v != 0) : x.ctx().int_val(static_cast<int64_t>(*v));
}

z3::expr fold_and(bool fold, const z3::expr& a, const z3::expr& b) {
  if (fold && (a.is_false() || b.is_false())) return a.ctx().bool_val(false);
  if (fold && a.is_true()) return b;
  if (fold && b.is_true()) return a;
  return a && b;
}

z3::expr fold_or(bool fold, const z3::expr& a, const z3::expr& b) {
  if (fold && (a.is_true() || b.is_true())) return a.ctx().bool_val(true);
  if (fold && a.is_false()) return b;
  if (fold && b.is_false()) return a;
  return a || b;
}

z3::expr fold_not(bool fold, const z3::expr& a) {
  if (fold && is_value(a)) return a.ctx().bool_val(a.is_false());
  return !a;
}

z3::expr fold_eq(bool fold, const z3::expr& a, int v) {
  if (fold && a.is_numeral()) return a.ctx().bool_val(a.get_numeral_int() == v);
  return a == a.ctx().int_val(v);
}

namespace {
z3::context& ctx_of(const Heap& h) { return h.count.ctx(); }

z3::expr any(const Heap& h, const std::vector<z3::expr>& xs) {
  z3::expr r = ctx_of(h).bool_val(false);
  for (const z3::expr& x : xs) r = fold_or(h.fold, r, x);
  return r;
}

// A small term over values, folded to its value when the heap folds.
z3::expr settle(const Heap& h, const z3::expr& x) { return h.fold ? fold_value(x) : x; }

// Per index in [0, n): some pointer of `ptrs` names it. Folded, the
// pointers are counted once instead of compared with every index.
std::vector<z3::expr> pointed(const Heap& h, const std::vector<z3::expr>& ptrs, int n) {
  z3::context& c = ctx_of(h);
  bool numerals = h.fold;
  for (const z3::expr& p : ptrs) numerals = numerals && p.is_numeral();
  std::vector<z3::expr> out;
  if (numerals) {
    std::vector<bool> named(static_cast<size_t>(n), false);
    for (const z3::expr& p : ptrs)
      if (int k = p.get_numeral_int(); k >= 0 && k < n) named[static_cast<size_t>(k)] = true;
    for (int i = 0; i < n; ++i) out.push_back(c.bool_val(named[static_cast<size_t>(i)]));
    return out;
  }
  for (int i = 0; i < n; ++i) {
    z3::expr owned = c.bool_val(false);
    for (const z3::expr& p : ptrs) owned = owned || p == c.int_val(i);
    out.push_back(owned);
  }
  return out;
}
}  // namespace

z3::expr Heap::live(int s) const {
  if (!fold) return recs[s].alloc && !recs[s].deleted && !recs[s].freed;
  return fold_and(true, fold_and(true, recs[s].alloc, fold_not(true, recs[s].deleted)), fold_not(true, recs[s].freed));
}

z3::expr Heap::page_live(int p) const {
  if (!fold) return pages[p].alloc && !pages[p].freed;
  return fold_and(true, pages[p].alloc, fold_not(true, pages[p].freed));
}

z3::expr Heap::points_live(const z3::expr& link, Kind kind) const {
  z3::context& c = link.ctx();
  if (fold && link.is_numeral()) {  // the one slot it names
    int s = link.get_numeral_int();
    bool in = s >= 0 && s < static_cast<int>(recs.size()) && recs[s].kind == kind;
    return in ? live(s) : c.bool_val(false);
  }
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
  int counted = 0;  // folded: the records that do, counted here
  for (int s = 0; s < static_cast<int>(heap.recs.size()); ++s) {
    if (heap.recs[s].kind != Kind::device) continue;
    z3::expr refers = fold_and(heap.fold, heap.live(s), fold_eq(heap.fold, heap.recs[s].hw_link, h));
    if (heap.fold && is_value(refers)) counted += refers.is_true();
    else n = n + z3::ite(refers, c.int_val(1), c.int_val(0));
  }
  if (!heap.fold) return n;
  return n.is_numeral() ? c.int_val(n.get_numeral_int() + counted) : n + c.int_val(counted);
}
}  // namespace

// refcount-balanced as docs/SPEC.md reads it: a live HW record's ref_count is the
// number of live device records pointing at it, and an IOMMU's
// outgoing_preserved_state is set (wherever it points, a freed page included)
// exactly when a live device record sits behind the IOMMU: a device of it
// whose device_ser is live, or a live record whose iommu_phys names the
// IOMMU's record. And the FLB count is the number of preserved files.
z3::expr refcount_violated(const Heap& h) {
  z3::context& c = ctx_of(h);
  bool f = h.fold;
  std::vector<z3::expr> bad;
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) {
    if (h.recs[s].kind != Kind::hw) continue;
    z3::expr live = h.live(s);
    if (live.is_false() && f) continue;  // folded: nothing to judge
    z3::expr refs = refs_to(h, s);
    z3::expr held = c.bool_val(false);
    for (int o = 0; o < static_cast<int>(h.ptr.size()); ++o)
      if (h.object_kind[o] == Kind::hw) held = fold_or(f, held, fold_eq(f, h.ptr[o], s));
    bad.push_back(settle(h, live && (h.recs[s].rc != refs || held != (refs > 0))));
  }
  for (int i = 0; i < static_cast<int>(h.ptr.size()); ++i) {
    if (h.object_kind[i] != Kind::hw) continue;
    z3::expr set = settle(h, h.ptr[i] != c.int_val(-1));
    z3::expr behind = c.bool_val(false);
    for (int v = 0; v < static_cast<int>(h.ptr.size()); ++v)
      if (h.object_kind[v] == Kind::device && h.iommu_of[v] == i) {
        if (f && h.ptr[v].is_numeral()) {  // folded: the one slot it names
          int s = h.ptr[v].get_numeral_int();
          if (s >= 0 && s < static_cast<int>(h.recs.size()) && h.recs[s].kind == Kind::device)
            behind = fold_or(f, behind, h.live(s));
          continue;
        }
        for (int s = 0; s < static_cast<int>(h.recs.size()); ++s)
          if (h.recs[s].kind == Kind::device) behind = behind || (h.ptr[v] == c.int_val(s) && h.live(s));
      }
    for (int s = 0; s < static_cast<int>(h.recs.size()); ++s)
      if (h.recs[s].kind == Kind::device) {
        if (f && set.is_false()) break;  // folded: no term of this loop can hold
        behind = fold_or(f, behind, settle(h, set && h.live(s) && h.recs[s].hw_link == h.ptr[i]));
      }
    bad.push_back(settle(h, set != behind));
  }
  z3::expr files = c.int_val(0);
  for (const z3::expr& file : h.file) files = files + z3::ite(file, c.int_val(1), c.int_val(0));
  bad.push_back(settle(h, h.count != files));
  return any(h, bad);
}

z3::expr dangling_violated(const Heap& h) {
  z3::context& c = ctx_of(h);
  bool f = h.fold;
  std::vector<z3::expr> bad;
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) {
    if (h.recs[s].kind != Kind::device) continue;
    z3::expr links_live = fold_and(f, h.points_live(h.recs[s].dom_link, Kind::domain),
                                   h.points_live(h.recs[s].hw_link, Kind::hw));
    bad.push_back(fold_and(f, h.live(s), fold_not(f, links_live)));
  }
  for (int o = 0; o < static_cast<int>(h.ptr.size()); ++o) {
    z3::expr set = settle(h, h.ptr[o] != c.int_val(-1));
    bad.push_back(fold_and(f, set, fold_not(f, h.points_live(h.ptr[o], h.object_kind[o]))));
    z3::expr page_ok = c.bool_val(false);
    if (f && h.pgptr[o].is_numeral()) {  // folded: the one page it names
      int p = h.pgptr[o].get_numeral_int();
      if (p >= 0 && p < static_cast<int>(h.pages.size())) page_ok = h.page_live(p);
    } else {
      for (int p = 0; p < static_cast<int>(h.pages.size()); ++p)
        page_ok = page_ok || (h.pgptr[o] == c.int_val(p) && h.page_live(p));
    }
    z3::expr page_set = settle(h, h.pgptr[o] != c.int_val(-1));
    bad.push_back(fold_and(f, page_set, fold_not(f, page_ok)));
  }
  return any(h, bad);
}

z3::expr orphan_violated(const Heap& h) {
  bool f = h.fold;
  std::vector<z3::expr> bad;
  std::vector<z3::expr> owned = pointed(h, h.ptr, static_cast<int>(h.recs.size()));
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) bad.push_back(fold_and(f, h.live(s), fold_not(f, owned[s])));
  std::vector<z3::expr> page_owned = pointed(h, h.pgptr, static_cast<int>(h.pages.size()));
  for (int p = 0; p < static_cast<int>(h.pages.size()); ++p)
    bad.push_back(fold_and(f, h.page_live(p), fold_not(f, page_owned[p])));
  // Core pages hang off the FLB object; the implementation frees them together.
  bad.push_back(fold_and(f, h.core_pages_live, fold_not(f, h.flb)));
  return any(h, bad);
}

z3::expr remaining_violated(const Heap& h, const z3::expr& everything_unpreserved) {
  z3::context& c = ctx_of(h);
  std::vector<z3::expr> left{h.flb, h.core_pages_live};
  for (int s = 0; s < static_cast<int>(h.recs.size()); ++s) left.push_back(h.live(s));
  for (int p = 0; p < static_cast<int>(h.pages.size()); ++p) left.push_back(h.page_live(p));
  for (size_t o = 0; o < h.ptr.size(); ++o) {
    left.push_back(settle(h, h.ptr[o] != c.int_val(-1)));
    left.push_back(settle(h, h.pgptr[o] != c.int_val(-1)));
  }
  return fold_and(h.fold, everything_unpreserved, any(h, left));
}

}  // namespace luv::solver
