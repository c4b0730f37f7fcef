#include "solver/describe.h"

#include <map>
#include <set>

#include "impl/world.h"

namespace luv::solver {

bool AbstractState::operator==(const AbstractState& o) const {
  return file == o.file && set == o.set && deleted == o.deleted && freed == o.freed && page == o.page &&
         rc == o.rc && dev_dom == o.dev_dom && hw_stale == o.hw_stale && claim == o.claim && grown == o.grown && (!flb || fill == o.fill) &&
         count == o.count && flb == o.flb && warned == o.warned && stray == o.stray;
}

namespace {
std::string object_name(const Layout& l, int o) {
  if (o < l.I) return "iommu" + std::to_string(o);
  if (o < l.I + l.D) return "domain" + std::to_string(o - l.I);
  return "dev" + std::to_string(o - l.I - l.D);
}
}  // namespace

std::string AbstractState::describe(const Layout& l) const {
  std::string out = "files {";
  for (size_t f = 0; f < file.size(); ++f)
    if (file[f]) out += " " + std::to_string(f);
  out += " }, FLB count " + std::to_string(count) + (flb ? ", object allocated" : ", no object");
  if (flb)
    out += " (array fill " + std::to_string(fill[0]) + "/" + std::to_string(fill[1]) + "/" + std::to_string(fill[2]) +
           ")";
  out += warned ? ", warned" : "";
  out += stray ? ", a driver page nobody holds" : "";
  for (size_t v = 0; v < claim.size(); ++v)
    out += (claim[v] ? "" : ", dev" + std::to_string(v) + " holds no DMA ownership claim") +
           (grown[v] ? ", a new device joined dev" + std::to_string(v) + "'s group" : "");
  for (int o = 0; o < l.objects(); ++o) {
    if (!set[o] && !page[o] && rc[o] == 0) continue;
    out += "; " + object_name(l, o) + ":";
    if (set[o]) {
      out += " record";
      out += freed[o] ? " (page freed)" : deleted[o] ? " (deleted)" : "";
      if (o >= l.I + l.D) {
        int v = o - l.I - l.D;
        out += dev_dom[v] < 0 ? " -> a dead domain record" : " -> domain" + std::to_string(dev_dom[v]);
        out += hw_stale[v] ? ", iommu_phys -> a dead HW record" : "";
      } else {
        out += " ref_count " + std::to_string(rc[o]);
      }
    } else if (rc[o] != 0) {
      out += " no record but ref_count " + std::to_string(rc[o]);
    }
    if (page[o]) out += " +page";
  }
  return out;
}

std::string AbstractState::dot(const Layout& l, const std::string& title) const {
  std::string out = "digraph cti {\n  label=\"" + title + "\";\n  node [fontname=monospace fontsize=10];\n";
  out += std::string("  flb [label=\"FLB count ") + std::to_string(count) + (flb ? "" : "\\n(no object)") + "\"];\n";
  for (int o = 0; o < l.objects(); ++o) {
    std::string n = object_name(l, o);
    out += "  " + n + " [label=\"" + n + (page[o] ? "\\n+driver page" : "") + "\"];\n";
    if (!set[o]) continue;
    out += "  r_" + n + " [shape=box label=\"record of " + n +
           (o < l.I + l.D ? "\\nref_count=" + std::to_string(rc[o]) : "") + "\"];\n";
    out += "  " + n + " -> r_" + n + " [label=preserved];\n";
    if (o >= l.I + l.D) {
      int v = o - l.I - l.D;
      if (dev_dom[v] < 0) continue;  // a dead record: drawn as nothing
      out += "  r_" + n + " -> r_" + object_name(l, l.domain(dev_dom[v])) + " [label=domain_phys];\n";
      out += "  r_" + n + " -> r_" + object_name(l, l.iommu(l.iommu_of_device(v))) + " [label=iommu_phys];\n";
    }
  }
  return out + "}\n";
}

AbstractState read_state(const z3::model& m, const Layout& l, const State& s) {
  auto b = [&](const z3::expr& e) { return m.eval(e, true).is_true(); };
  auto i = [&](const z3::expr& e) { return m.eval(e, true).get_numeral_int(); };
  AbstractState a;
  for (const auto& f : s.file) a.file.push_back(b(f));
  for (int o = 0; o < l.objects(); ++o) {
    a.set.push_back(b(s.set[o]));
    a.deleted.push_back(b(s.deleted[o]));
    a.freed.push_back(b(s.freed[o]));
    a.page.push_back(b(s.page[o]));
    a.rc.push_back(i(s.rc[o]));
  }
  for (const auto& d : s.dev_dom) a.dev_dom.push_back(i(d));
  for (const auto& h : s.hw_stale) a.hw_stale.push_back(b(h));
  for (const auto& h : s.claim) a.claim.push_back(b(h));
  for (const auto& h : s.grown) a.grown.push_back(b(h));
  a.stray = b(s.stray);
  for (int k = 0; k < 3; ++k) a.fill[k] = i(s.fill[k]);
  a.count = i(s.count);
  a.flb = b(s.flb);
  a.warned = b(s.warned);
  return a;
}

namespace {
// Each record's flags by address: (deleted, on a freed page).
std::map<impl::phys_addr_t, std::pair<bool, bool>> record_flags(const impl::World& w) {
  std::map<impl::phys_addr_t, std::pair<bool, bool>> out;
  for (const impl::kho_page& p : w.kho.pages) {
    if (!impl::kho_page_is_array(p.kind)) continue;
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i)
      out[p.objects[i].phys] = {p.objects[i].hdr.deleted, p.freed};
  }
  return out;
}
}  // namespace

AbstractState abstract_world(const impl::World& w) {
  AbstractState a;
  auto flags = record_flags(w);
  // The record a pointer names: set, deleted, freed, ref_count (read without an oops).
  auto record = [&](const auto& ptr, bool counts) {
    bool set = bool(ptr);
    auto f = set ? flags[ptr.get()->phys] : std::pair<bool, bool>{false, false};
    a.set.push_back(set);
    a.deleted.push_back(f.first);
    a.freed.push_back(f.second);
    a.rc.push_back(set && counts ? static_cast<int>(ptr.get()->hdr.ref_count) : 0);
  };
  std::set<const impl::kho_page*> held;
  for (bool f : w.file_preserved) a.file.push_back(f);
  for (const auto& i : w.iommus) {
    record(i.outgoing_preserved_state, true);
    a.page.push_back(bool(i.driver_page));
    held.insert(i.driver_page.get());
  }
  for (const auto& d : w.domains) {
    record(d.preserved_state, true);
    a.page.push_back(bool(d.driver_page));
    held.insert(d.driver_page.get());
  }
  for (const auto& dev : w.devices) {
    const auto& ser = dev.iommu->device_ser;
    record(ser, false);
    a.page.push_back(bool(dev.driver_page));
    held.insert(dev.driver_page.get());
    int dom = 0;
    bool hw_stale = false;
    if (ser) {
      dom = -1;  // links no domain's current record
      for (const auto& d : w.domains)
        if (d.preserved_state && d.preserved_state.get()->phys == ser.get()->domain_iommu_ser.domain_phys) dom = d.id;
      const auto& hw = dev.iommu->iommu_dev->outgoing_preserved_state;
      hw_stale = !hw || hw.get()->phys != ser.get()->domain_iommu_ser.iommu_phys;
    }
    a.dev_dom.push_back(dom);
    a.hw_stale.push_back(hw_stale);
    a.claim.push_back(dev.dma_owner_held);
    // A device joined the group this one heads: more members than the topology gave it.
    int members = 0;
    for (const auto& other : w.devices) members += other.iommu_group == dev.iommu_group;
    a.grown.push_back(w.topology.group_of(dev.id) == dev.id && dev.iommu_group->devices > members);
  }
  for (const impl::kho_page& p : w.kho.pages)
    if (p.kind == impl::kho_page_kind::driver_private && !p.freed && !held.count(&p)) a.stray = true;
  const auto& obj = w.iommu_flb.outgoing;
  a.flb = bool(obj);
  if (obj) {
    const impl::iommu_flb_obj* o = obj.get();
    a.fill = {static_cast<int>(o->curr_iommu_array.get()->hdr.nr_objects),
              static_cast<int>(o->curr_domain_array.get()->hdr.nr_objects),
              static_cast<int>(o->curr_device_array.get()->hdr.nr_objects)};
  }
  a.count = w.iommu_flb.count;
  a.warned = !w.warnings.empty();
  return a;
}

std::string describe_state(const z3::model& m, const Layout& l, const State& s) {
  return read_state(m, l, s).describe(l);
}

}  // namespace luv::solver
