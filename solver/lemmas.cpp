// Candidate strengthening invariants. Houdini keeps the subset that is
// inductive for a variant; each proof then says which of them it needed.
// Each reads as a sentence a kernel developer could put in a comment.
#include "solver/encoding.h"

namespace luv::solver {

namespace {
using z3::expr;

expr all(z3::context& c, const std::vector<expr>& xs) {
  expr r = c.bool_val(true);
  for (const expr& x : xs) r = r && x;
  return r;
}
expr one_if(const expr& b) { return z3::ite(b, b.ctx().int_val(1), b.ctx().int_val(0)); }

// Live device records behind IOMMU i / linked to domain d.
expr devices_behind(const Layout& l, const State& s, int i) {
  expr n = s.count.ctx().int_val(0);
  for (int v = 0; v < l.V; ++v)
    if (l.iommu_of_device(v) == i) n = n + one_if(s.set[l.device(v)]);
  return n;
}
expr devices_on(const Layout& l, const State& s, int d) {
  expr n = s.count.ctx().int_val(0);
  for (int v = 0; v < l.V; ++v) n = n + one_if(s.set[l.device(v)] && s.dev_dom[v] == d);
  return n;
}
}  // namespace

const std::vector<Lemma>& lemmas() {
  static const std::vector<Lemma> list = {
      {"flb-count", "the FLB count is the number of preserved files, and the FLB object exists exactly when it is above 0",
       [](const Layout&, const impl::variant_rules&, const State& s) {
         z3::context& c = s.count.ctx();
         expr files = c.int_val(0);
         for (const expr& f : s.file) files = files + one_if(f);
         return s.count == files && (s.flb == (s.count > 0));
       }},
      {"fill-bounds", "each array's current page holds between 0 and objects-per-page records",
       [](const Layout& l, const impl::variant_rules&, const State& s) {
         std::vector<expr> xs;
         for (const expr& f : s.fill) xs.push_back(f >= 0 && f <= l.topo.objects_per_page);
         return all(s.count.ctx(), xs);
       }},
      {"normal-form",
       "an object without a record has ref_count 0, no record flags and links domain 0; device links name a domain "
       "or a dead record",
       [](const Layout& l, const impl::variant_rules&, const State& s) {
         std::vector<expr> xs;
         for (int o = 0; o < l.objects(); ++o)
           xs.push_back(s.set[o] || (s.rc[o] == 0 && !s.deleted[o] && !s.freed[o]));
         for (int o = l.device(0); o < l.objects(); ++o) xs.push_back(s.rc[o] == 0);
         for (int v = 0; v < l.V; ++v)
           xs.push_back((s.set[l.device(v)] || (s.dev_dom[v] == 0 && !s.hw_stale[v])) && s.dev_dom[v] >= -1 &&
                        s.dev_dom[v] < l.D);
         return all(s.count.ctx(), xs);
       }},
      {"records-live",
       "every record pointer names a live record, every device record links its domain's and its IOMMU's current "
       "records, and every preserved driver page is some object's",
       [](const Layout& l, const impl::variant_rules&, const State& s) {
         std::vector<expr> xs{!s.stray};
         for (int o = 0; o < l.objects(); ++o) xs.push_back(!s.deleted[o] && !s.freed[o]);
         for (int v = 0; v < l.V; ++v) xs.push_back(s.dev_dom[v] >= 0 && !s.hw_stale[v]);
         return all(s.count.ctx(), xs);
       }},
      {"hw-refcount",
       "an IOMMU's HW record is set exactly when a device behind it is preserved, and its ref_count counts them",
       [](const Layout& l, const impl::variant_rules&, const State& s) {
         std::vector<expr> xs;
         for (int i = 0; i < l.I; ++i) {
           expr n = devices_behind(l, s, i);
           xs.push_back(s.set[l.iommu(i)] == (n > 0) && (!s.set[l.iommu(i)] || s.rc[l.iommu(i)] == n));
         }
         return all(s.count.ctx(), xs);
       }},
      {"device-links-live-domain", "a preserved device's record links a domain that is preserved",
       [](const Layout& l, const impl::variant_rules&, const State& s) {
         std::vector<expr> xs;
         for (int v = 0; v < l.V; ++v)
           for (int d = 0; d < l.D; ++d)
             xs.push_back(!(s.set[l.device(v)] && s.dev_dom[v] == d) || s.set[l.domain(d)]);
         return all(s.count.ctx(), xs);
       }},
      {"domain-refcount",
       "a preserved domain's ref_count is 1, plus its preserved devices when the variant counts them (domain_counts_devices)",
       [](const Layout& l, const impl::variant_rules& r, const State& s) {
         std::vector<expr> xs;
         for (int d = 0; d < l.D; ++d) {
           expr want = r.domain_counts_devices ? 1 + devices_on(l, s, d) : s.count.ctx().int_val(1);
           xs.push_back(!s.set[l.domain(d)] || s.rc[l.domain(d)] == want);
         }
         return all(s.count.ctx(), xs);
       }},
      {"pages-follow-records", "an object holds a driver page exactly when it holds a record",
       [](const Layout& l, const impl::variant_rules&, const State& s) {
         std::vector<expr> xs;
         for (int o = 0; o < l.objects(); ++o) xs.push_back(s.page[o] == s.set[o]);
         return all(s.count.ctx(), xs);
       }},
      {"records-need-flb", "no object holds a record while the FLB object is gone",
       [](const Layout& l, const impl::variant_rules&, const State& s) {
         std::vector<expr> xs;
         for (int o = 0; o < l.objects(); ++o) xs.push_back(!s.set[o] || s.flb);
         return all(s.count.ctx(), xs);
       }},
      {"preserved-drivers-complete",
       "only a driver with every unpreserve twin holds preserved state (rule 1 refuses the others)",
       [](const Layout& l, const impl::variant_rules&, const State& s) {
         std::vector<expr> xs;
         for (int v = 0; v < l.V; ++v) {
           int i = l.iommu_of_device(v);
           xs.push_back(!s.set[l.device(v)] || (s.iop(i, 0) && s.iop(i, 1) && s.iop(i, 2) && s.iop(i, 3)));
         }
         for (int i = 0; i < l.I; ++i)
           xs.push_back(!s.set[l.iommu(i)] || (s.iop(i, 0) && s.iop(i, 1) && s.iop(i, 2) && s.iop(i, 3)));
         for (int d = 0; d < l.D; ++d) xs.push_back(!s.set[l.domain(d)] || (s.dop(d, 0) && s.dop(d, 1)));
         return all(s.count.ctx(), xs);
       }},
      {"shared-groups-unpreserved",
       "a device whose IOMMU group has others holds no record when the variant refuses them (refuse_non_singleton_group)",
       [](const Layout& l, const impl::variant_rules& r, const State& s) {
         std::vector<expr> xs;
         for (int v = 0; v < l.V; ++v)
           if (r.refuse_non_singleton_group && !l.topo.group_is_singleton(v)) xs.push_back(!s.set[l.device(v)]);
         return all(s.count.ctx(), xs);
       }},
  };
  return list;
}

}  // namespace luv::solver
