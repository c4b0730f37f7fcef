// The step function: drivers/iommu/liveupdate.c, LUO and the callers of
// impl/, executed symbolically on a Heap. Each function below mirrors the one
// of the same name in impl/ line by line; a guard (`g()`) stands for "this
// line runs", an early return clears its function's guard, and an oops stops
// everything after it. Rules are read from impl::variant_rules.
#include "solver/encoding.h"

#include <optional>
#include <stdexcept>

#include "impl/unpreserve_twin.h"
#include "linux/errno.h"
#include "solver/encoding/exec.h"
#include "solver/heap.h"

namespace luv::solver {

int checked_index(PropertyId p) {
  for (int i = 0; i < CHECKED_COUNT; ++i)
    if (CHECKED[i] == p) return i;
  return -1;
}

Layout::Layout(const Topology& t)
    : topo(t),
      I(static_cast<int>(t.iommus.size())),
      D(static_cast<int>(t.domains.size())),
      V(static_cast<int>(t.devices.size())),
      F(t.files()) {}

State State::fresh(z3::context& c, const Layout& l, const std::string& p) {
  State s(c);
  auto b = [&](const std::string& n) { return c.bool_const((p + n).c_str()); };
  auto i = [&](const std::string& n) { return c.int_const((p + n).c_str()); };
  for (int f = 0; f < l.F; ++f) s.file.push_back(b("file" + std::to_string(f)));
  for (int o = 0; o < l.objects(); ++o) {
    s.set.push_back(b("set" + std::to_string(o)));
    s.deleted.push_back(b("del" + std::to_string(o)));
    s.freed.push_back(b("freed" + std::to_string(o)));
    s.rc.push_back(i("rc" + std::to_string(o)));
    s.page.push_back(b("page" + std::to_string(o)));
    s.intent.push_back(b("intent" + std::to_string(o)));
  }
  for (int v = 0; v < l.V; ++v) s.dev_dom.push_back(i("devdom" + std::to_string(v)));
  for (int v = 0; v < l.V; ++v) s.hw_stale.push_back(b("hwstale" + std::to_string(v)));
  for (int v = 0; v < l.V; ++v) s.claim.push_back(b("claim" + std::to_string(v)));
  for (int v = 0; v < l.V; ++v) s.grown.push_back(b("grown" + std::to_string(v)));
  for (int a = 0; a < 3; ++a) s.fill.push_back(i("fill" + std::to_string(a)));
  for (int k = 0; k < 4 * l.I; ++k) s.iommu_ops.push_back(b("iop" + std::to_string(k)));
  for (int k = 0; k < 2 * l.D; ++k) s.domain_ops.push_back(b("dop" + std::to_string(k)));
  s.count = i("count");
  s.flb = b("flb");
  s.warned = b("warned");
  s.stray = b("stray");
  return s;
}

std::vector<z3::expr> State::mutable_vars() const {
  std::vector<z3::expr> v;
  for (const auto* part : {&file, &set, &deleted, &freed, &rc, &page, &dev_dom, &hw_stale, &intent, &claim, &grown, &fill})
    v.insert(v.end(), part->begin(), part->end());
  v.push_back(count);
  v.push_back(flb);
  v.push_back(warned);
  v.push_back(stray);
  return v;
}

std::vector<z3::expr> State::vars() const {
  std::vector<z3::expr> v = mutable_vars();
  v.insert(v.end(), iommu_ops.begin(), iommu_ops.end());
  v.insert(v.end(), domain_ops.begin(), domain_ops.end());
  return v;
}

z3::expr state_equal(const State& a, const State& b) {
  std::vector<z3::expr> x = a.vars(), y = b.vars();
  z3::expr r = x[0].ctx().bool_val(true);
  for (size_t k = 0; k < x.size(); ++k) r = r && x[k] == y[k];
  return r;
}

z3::expr initial(const Layout& l, const State& s, OpsMode ops) {
  z3::context& c = s.count.ctx();
  z3::expr r = s.count == 0 && !s.flb && !s.warned && !s.stray;
  for (const z3::expr& f : s.file) r = r && !f;
  for (int o = 0; o < l.objects(); ++o)
    r = r && !s.set[o] && !s.deleted[o] && !s.freed[o] && s.rc[o] == 0 && !s.page[o] && !s.intent[o];
  for (const z3::expr& d : s.dev_dom) r = r && d == 0;
  for (const z3::expr& h : s.hw_stale) r = r && !h;
  for (int v = 0; v < l.V; ++v) r = r && s.claim[v] == c.bool_val(l.topo.devices[v].dma_owner) && !s.grown[v];
  for (const z3::expr& f : s.fill) r = r && f == 0;
  for (int i = 0; i < l.I; ++i) {
    bool symbolic = ops == OpsMode::all || (ops == OpsMode::spec && i == 1);
    if (symbolic) continue;
    for (int bit = 0; bit < 4; ++bit) r = r && s.iop(i, bit) == c.bool_val(l.topo.iommus[i].ops >> bit & 1);
  }
  for (int d = 0; d < l.D; ++d) {
    bool symbolic = ops == OpsMode::all || (ops == OpsMode::spec && d == 1);
    if (symbolic) continue;
    for (int bit = 0; bit < 2; ++bit) r = r && s.dop(d, bit) == c.bool_val(l.topo.domains[d].ops >> bit & 1);
  }
  return r;
}

StepResult::StepResult(z3::context& c)
    : post(c),
      ret(c),
      bad{c, c, c, c, c, c},
      other_oops(c),
      exact(c),
      clean(c),
      visits_after{c, c, c, c, c, c, c, c, c} {}

FaultOracle free_faults(z3::context& c, const std::string& prefix) {
  FaultOracle o;
  o.decide = [&c, prefix](impl::fault_site site, const z3::expr&, int index) {
    z3::expr fails = c.bool_const((prefix + "fault" + std::to_string(index)).c_str());
    return std::make_pair(fails, c.int_val(impl::default_fault_errno(site)));
  };
  return o;
}

FaultOracle planned_faults(z3::context& c, const std::vector<Fault>& plan) {
  FaultOracle o;
  o.decide = [&c, plan](impl::fault_site site, const z3::expr& nth, int) {
    z3::expr fails = c.bool_val(false);
    z3::expr err = c.int_val(impl::default_fault_errno(site));
    // The first fault of the plan naming this visit wins, as in should_fail().
    for (auto f = plan.rbegin(); f != plan.rend(); ++f) {
      if (f->site != site) continue;
      z3::expr hit = nth == c.int_val(f->nth);
      fails = fails || hit;
      if (f->err != 0) err = z3::ite(hit, c.int_val(f->err), err);
    }
    return std::make_pair(fails, err);
  };
  return o;
}


std::string not_mirrored(const impl::variant_rules& rules) {
  // The mutants whose line the encoding mirrors, each at its twin of the
  // impl/ line (`r_.mut`); the rest would silently run the reference.
  static constexpr impl::mutant mirrored[] = {
      impl::mutant::none,
      impl::mutant::skip_refcount_get,
      impl::mutant::keep_error_record_live,
  };
  for (impl::mutant m : mirrored)
    if (rules.mut == m) return "";
  return std::string("the encoding does not mirror mutant ") + impl::mutant_name(rules.mut) +
         " (variant " + rules.name + ")";
}

StepResult step(const Layout& l, const impl::variant_rules& rules, const State& pre, const Call& call,
                FaultOracle& oracle, const std::array<z3::expr, impl::FAULT_SITE_COUNT>& visits_before,
                bool fold_values) {
  std::string refused = not_mirrored(rules);
  if (!refused.empty()) throw std::invalid_argument(refused);
  encoding::exec e(l, rules, pre, oracle, visits_before, fold_values);
  return e.run(call);
}

z3::expr holds_in_state(const Layout& l, const impl::variant_rules& rules, const State& s, int k) {
  FaultOracle none = free_faults(s.count.ctx(), "unused_");
  z3::context& c = s.count.ctx();
  std::array<z3::expr, impl::FAULT_SITE_COUNT> visits{c, c, c, c, c, c, c, c, c};
  for (auto& v : visits) v = c.int_val(0);
  encoding::exec e(l, rules, s, none, visits);
  return e.pre_holds(k);
}

std::vector<Call> all_calls(const Layout& l, CallerMode mode) {
  std::vector<Call> calls;
  for (int d = 0; d < l.D; ++d) {
    calls.push_back(Call{CallKind::iommufd_preserve, -1, d, -1});
    calls.push_back(Call{CallKind::iommufd_unpreserve, -1, d, -1});
    for (int v = 0; v < l.V; ++v) {
      calls.push_back(Call{CallKind::vfio_preserve, -1, d, v});
      calls.push_back(Call{CallKind::vfio_unpreserve, -1, d, v});
    }
  }
  if (mode == CallerMode::contract) return calls;
  for (int f = 0; f < l.F; ++f) {
    calls.push_back(Call{CallKind::luo_preserve_file, f, -1, -1});
    calls.push_back(Call{CallKind::luo_unpreserve_file, f, -1, -1});
  }
  for (int d = 0; d < l.D; ++d) {
    calls.push_back(Call{CallKind::iommu_domain_preserve, -1, d, -1});
    calls.push_back(Call{CallKind::iommu_domain_unpreserve, -1, d, -1});
    for (int v = 0; v < l.V; ++v) {
      calls.push_back(Call{CallKind::iommu_preserve_device, -1, d, v});
      calls.push_back(Call{CallKind::iommu_unpreserve_device, -1, d, v});
    }
  }
  for (int v = 0; v < l.V; ++v) {
    calls.push_back(Call{CallKind::iommu_device_release_dma_owner, -1, -1, v});
    calls.push_back(Call{CallKind::iommu_group_add_device, -1, -1, v});
  }
  return calls;
}

}  // namespace luv::solver
