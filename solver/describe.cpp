#include "describe.h"

#include "world.h"

namespace luv::solver {

bool AbstractState::operator==(const AbstractState& o) const {
  return file == o.file && set == o.set && page == o.page && rc == o.rc && dev_dom == o.dev_dom &&
         (!flb || fill == o.fill) && count == o.count && flb == o.flb && warned == o.warned;
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
  for (int o = 0; o < l.objects(); ++o) {
    if (!set[o] && !page[o] && rc[o] == 0) continue;
    out += "; " + object_name(l, o) + ":";
    if (set[o]) {
      out += " record";
      if (o >= l.I + l.D) out += " -> domain" + std::to_string(dev_dom[o - l.I - l.D]);
      else out += " ref_count " + std::to_string(rc[o]);
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
    a.page.push_back(b(s.page[o]));
    a.rc.push_back(i(s.rc[o]));
  }
  for (const auto& d : s.dev_dom) a.dev_dom.push_back(i(d));
  for (int k = 0; k < 3; ++k) a.fill[k] = i(s.fill[k]);
  a.count = i(s.count);
  a.flb = b(s.flb);
  a.warned = b(s.warned);
  return a;
}

AbstractState abstract_world(const impl::World& w) {
  AbstractState a;
  for (bool f : w.file_preserved) a.file.push_back(f);
  for (const auto& i : w.iommus) {
    a.set.push_back(bool(i.outgoing_preserved_state));
    a.rc.push_back(i.outgoing_preserved_state ? static_cast<int>(i.outgoing_preserved_state.get()->hdr.ref_count) : 0);
    a.page.push_back(bool(i.driver_page));
  }
  for (const auto& d : w.domains) {
    a.set.push_back(bool(d.preserved_state));
    a.rc.push_back(d.preserved_state ? static_cast<int>(d.preserved_state.get()->hdr.ref_count) : 0);
    a.page.push_back(bool(d.driver_page));
  }
  for (const auto& dev : w.devices) {
    const auto& ser = dev.iommu->device_ser;
    a.set.push_back(bool(ser));
    a.rc.push_back(0);
    a.page.push_back(bool(dev.driver_page));
    int dom = 0;
    if (ser) {
      dom = -1;  // links no domain's current record
      for (const auto& d : w.domains)
        if (d.preserved_state && d.preserved_state.get()->phys == ser.get()->domain_iommu_ser.domain_phys) dom = d.id;
    }
    a.dev_dom.push_back(dom);
  }
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
