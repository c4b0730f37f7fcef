// The kernel state, a call and a restore as text, for violations, traces and reports.
#include <string>

#include "impl/hex.h"
#include "impl/world.h"
#include "linux/errno.h"
#include "properties/runner.h"

namespace luv {

using impl::hex;
using impl::World;

std::string describe_call(const Call& c) {
  std::string out = call_kind_name(c.kind);
  out += "(";
  std::string sep;
  if (call_takes_file(c.kind)) out += sep + "file" + std::to_string(c.file), sep = ", ";
  if (call_takes_domain(c.kind) && call_takes_device(c.kind)) {
    out += "domain" + std::to_string(c.domain) + ", dev" + std::to_string(c.device);
  } else if (call_takes_domain(c.kind)) {
    out += sep + "domain" + std::to_string(c.domain);
  } else if (c.kind == CallKind::iommu_group_add_device) {
    out += "group of dev" + std::to_string(c.device);
  } else if (call_takes_device(c.kind)) {
    out += sep + "dev" + std::to_string(c.device);
  } else if (call_takes_session(c.kind)) {
    out += sep + "session" + std::to_string(c.session);
  }
  return out + ")";
}

std::string describe_world(const World& w) {
  std::string out;
  out += "FLB: count " + std::to_string(w.iommu_flb.count) + ", users " + std::to_string(w.iommu_flb.users) +
         ", object " + (w.iommu_flb.outgoing ? "allocated" : "none") + "\n";
  auto rec = [&](const impl::kptr<impl::iommu_obj_ser>& p) {
    if (!p) return std::string("NULL");
    const impl::iommu_obj_ser* o = p.get();
    return hex(o->phys) + (o->kfreed() ? " [freed]" : o->hdr.deleted ? " [deleted]" : "") + " ref_count " +
           std::to_string(o->hdr.ref_count);
  };
  auto page = [&](const impl::kptr<impl::kho_page>& p) {
    return p ? hex(p.get()->phys) + (p.get()->freed ? " [freed]" : "") : std::string("none");
  };
  for (const auto& i : w.iommus)
    out += "iommu" + std::to_string(i.id) + ": outgoing_preserved_state " + rec(i.outgoing_preserved_state) +
           ", driver page " + page(i.driver_page) + "\n";
  for (const auto& d : w.domains)
    out += "domain" + std::to_string(d.id) + ": preserved_state " + rec(d.preserved_state) + ", driver page " +
           page(d.driver_page) + "\n";
  for (const auto& d : w.devices)
    out += "dev" + std::to_string(d.id) + ": device_ser " + rec(d.iommu->device_ser) + ", driver page " +
           page(d.driver_page) + "\n";
  for (const impl::kho_page& p : w.kho.pages) {
    out += "page " + hex(p.phys) + " " + impl::kho_page_kind_name(p.kind) + (p.freed ? " [freed]" : "");
    if (p.hdr.next) out += " next " + hex(p.hdr.next);
    for (impl::u32 i = 0; i < p.hdr.nr_objects && i < p.objects.size(); ++i) {
      const impl::iommu_obj_ser& o = p.objects[i];
      out += "\n  " + hex(o.phys) + (o.hdr.deleted ? " deleted" : " live") + " ref_count " +
             std::to_string(o.hdr.ref_count);
      if (p.kind == impl::kho_page_kind::device_array)
        out += " devid " + std::to_string(o.devid) + " domain_phys " + hex(o.domain_iommu_ser.domain_phys) +
               " iommu_phys " + hex(o.domain_iommu_ser.iommu_phys);
      else
        out += " token " + hex(o.token);
    }
    out += "\n";
  }
  return out;
}

std::string describe_restore(const impl::next_kernel_result& r) {
  if (r.retrieve_err) return "FLB retrieve failed with " + impl::errno_name(r.retrieve_err) + ", nothing restored";
  std::string out = "{";
  for (int i : r.iommus) out += " iommu" + std::to_string(i);
  for (int d : r.domains) out += " domain" + std::to_string(d);
  for (const auto& d : r.devices)
    out += " dev" + std::to_string(d.device) + "(domain" + std::to_string(d.domain) + ",iommu" +
           std::to_string(d.iommu) + ")";
  out += " }";
  for (const std::string& e : r.errors) out += "; refused " + e;
  return out;
}

}  // namespace luv
